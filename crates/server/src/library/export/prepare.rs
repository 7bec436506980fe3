//! The export job: every original of the account is read once (decrypted
//! window by window) for its CRC-32 and SHA-256, its archive path is fixed
//! (`YYYY/MM/name`, unique within its folder) and sealed with the CRC under
//! the owner's key, and the metadata document streams, encrypted, into the
//! primary store under a write lease. Then the archive's length is known and
//! the export is ready. A restart (crash, seal) begins again from scratch.

use std::collections::HashSet;

use bytes::Bytes;
use futures::StreamExt;
use pixelunion_catalog::{AssetRow, ExportEntryRow, UserRow};
use pixelunion_store::BlobName;
use serde_json::json;
use tokio::sync::mpsc;

use super::layout::{Entry, Layout, Sizer};
use super::stream::{self, seal_entry};
use super::{METADATA_PATH, Result};
use crate::AppState;
use crate::clock::now_ms;
use crate::library::assets::AssetView;
use crate::library::{Error, archive, files, lease::WriteLease};

/// Assets read per catalog page.
const PAGE: i64 = 200;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// prepared, failed for good, or gone: the job is done
    Done,
    /// the server is sealed: try again later
    NeedsKey,
}

/// The archive folder of an item: its timeline month, `YYYY/MM`.
fn folder(sort_at_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(sort_at_ms.div_euclid(1000))
        .map(|t| format!("{:04}/{:02}", t.year(), u8::from(t.month())))
        .unwrap_or_else(|_| "undated".into())
}

/// Prepares export `id`.
pub async fn run(state: &AppState, id: &str) -> Result<Outcome> {
    let c = state.catalog();
    let Some(export) = c.export(None, id).await? else {
        return Ok(Outcome::Done);
    };
    if export.state != "preparing" {
        return Ok(Outcome::Done);
    }
    let Some(user) = c.user_by_id(&export.owner_id).await? else {
        return Ok(Outcome::Done);
    };
    if state.keys().is_sealed() {
        return Ok(Outcome::NeedsKey);
    }
    match prepare(state, id, &user).await {
        Ok(()) => Ok(Outcome::Done),
        Err(Error::Sealed) => Ok(Outcome::NeedsKey),
        Err(e @ (Error::Store(_) | Error::Catalog(_) | Error::Task(_))) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "an export could not be prepared");
            c.fail_export(id, "an original could not be read; ask for a new export")
                .await?;
            Ok(Outcome::Done)
        }
    }
}

async fn prepare(state: &AppState, id: &str, user: &UserRow) -> Result<()> {
    let c = state.catalog();
    let key = state.keys().user_key(user)?;
    c.reset_export(id).await?;
    c.set_export_total(id, c.count_all_assets(&user.id).await?)
        .await?;

    // The metadata document streams into the primary store as it is made.
    let blob = BlobName::random();
    let lease = WriteLease::begin(state, &blob).await?;
    let (tx, rx) = mpsc::channel::<std::result::Result<Bytes, std::io::Error>>(8);
    let writer = {
        let (state, key, blob, lease) =
            (state.clone(), key.try_clone()?, blob.clone(), lease.clone());
        tokio::spawn(async move {
            let body = tokio_stream_of(rx).inspect(move |_| lease.touch());
            state
                .stores()
                .primary
                .put_encrypted_stream(&key, blob.object_id(), blob.clone(), Box::pin(body))
                .await
        })
    };
    let mut doc = Doc::new(tx);
    let result = write_entries(state, id, user, &key, &mut doc).await;
    let result = match result {
        Ok(entries) => doc.finish_albums(state, user, &key).await.map(|()| entries),
        Err(e) => Err(e),
    };
    let (crc, len) = (doc.crc.clone().finalize(), doc.len);
    drop(doc);
    let stored = writer.await?;
    let mut sizer = match (result, stored) {
        (Ok(entries), Ok(_)) => entries,
        (Err(e), _) => {
            lease.abandon().await;
            return Err(e);
        }
        (Ok(_), Err(e)) => {
            lease.abandon().await;
            return Err(e.into());
        }
    };
    let meta = Entry {
        path: METADATA_PATH.into(),
        size: len,
        crc32: crc,
        modified_ms: now_ms(),
    };
    sizer.push(&Layout::default(), &meta);
    let archive_bytes = sizer.total(&Layout::default());
    let sealed = stream::seal_metadata(&key, user, id, &meta)?;
    c.finish_export(
        id,
        i64::try_from(archive_bytes).unwrap_or(i64::MAX),
        blob.as_str(),
        &sealed,
        meta.modified_ms,
    )
    .await?;
    crate::audit::record(
        state,
        crate::audit::Event::new(Some(&user.id), "export.ready", Some(id), "success"),
    )
    .await;
    Ok(())
}

fn tokio_stream_of(
    mut rx: mpsc::Receiver<std::result::Result<Bytes, std::io::Error>>,
) -> impl futures::Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Reads every original, records its entry, writes its metadata; returns
/// the archive's length so far.
async fn write_entries(
    state: &AppState,
    id: &str,
    user: &UserRow,
    key: &pixelunion_vault::DataKey,
    doc: &mut Doc,
) -> Result<Sizer> {
    let c = state.catalog();
    let layout = Layout::default();
    let mut sizer = Sizer::default();
    let mut position = 0i64;
    let mut after: Option<(i64, String)> = None;
    let mut current_folder = String::new();
    let mut taken = HashSet::new();
    doc.write(&format!(
        "{{\"format\":\"pixelunion-export-v1\",\"exported_at\":{},\"account\":{},\"assets\":[",
        json!(crate::audit::export::rfc3339(now_ms() / 1000)),
        json!({
            "id": user.id,
            "email": crate::accounts::email_for(state, user),
            "role": user.role.as_str(),
            "created_at": user.created_at,
        })
    ))
    .await?;
    loop {
        let page: Vec<AssetRow> = c
            .all_assets_after(
                &user.id,
                after.as_ref().map(|(a, i)| (*a, i.as_str())),
                PAGE,
            )
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.sort_at, last.id.clone()));
        for asset in page {
            let f = folder(asset.sort_at);
            if f != current_folder {
                current_folder = f.clone();
                taken.clear();
            }
            let view = AssetView::new(key, &asset);
            let path = format!(
                "{f}/{}",
                archive::entry_name(view.file_name.as_deref(), &asset.id, &mut taken)
            );
            let (crc32, sha256) = digest(state, user, &asset.id).await?;
            let entry = Entry {
                path,
                size: u64::try_from(asset.size).unwrap_or(0),
                crc32,
                modified_ms: asset.sort_at,
            };
            c.add_export_entry(
                id,
                &ExportEntryRow {
                    position,
                    asset_id: asset.id.clone(),
                    blob_name: asset.blob_name.clone(),
                    size: asset.size,
                    entry: seal_entry(key, user, id, position, &entry)?,
                },
            )
            .await?;
            let mut item = serde_json::to_value(&view).map_err(|_| Error::Corrupt("asset view"))?;
            item["path"] = json!(entry.path);
            item["sha256"] = json!(hex::encode(sha256));
            let sep = if position == 0 { "" } else { "," };
            doc.write(&format!("{sep}{item}")).await?;
            sizer.push(&layout, &entry);
            position += 1;
        }
    }
    Ok(sizer)
}

/// CRC-32 and SHA-256 of an original, read through the store (window by window).
async fn digest(state: &AppState, user: &UserRow, asset: &str) -> Result<(u32, [u8; 32])> {
    let file = files::original(state, user, asset).await?;
    let opened = file.open(state).await?;
    let mut body = Box::pin(file.stream(state, opened, 0..file.len));
    let mut crc = crc32fast::Hasher::new();
    let mut sha = pixelunion_vault::Sha256Stream::default();
    while let Some(piece) = body.next().await {
        let piece = piece?;
        crc.update(&piece);
        sha.update(&piece);
    }
    Ok((crc.finalize(), sha.finish()))
}

/// The metadata document being written: counts its bytes and CRC as they go.
struct Doc {
    tx: mpsc::Sender<std::result::Result<Bytes, std::io::Error>>,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Doc {
    fn new(tx: mpsc::Sender<std::result::Result<Bytes, std::io::Error>>) -> Self {
        Doc {
            tx,
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }

    async fn write(&mut self, s: &str) -> Result<()> {
        self.crc.update(s.as_bytes());
        self.len += s.len() as u64;
        self.tx
            .send(Ok(Bytes::copy_from_slice(s.as_bytes())))
            .await
            .map_err(|_| Error::Corrupt("the metadata writer stopped"))
    }

    /// The albums (names decrypted, members by asset id) and the end.
    async fn finish_albums(
        &mut self,
        state: &AppState,
        user: &UserRow,
        key: &pixelunion_vault::DataKey,
    ) -> Result<()> {
        self.write("],\"albums\":[").await?;
        let albums = state.catalog().albums(&user.id).await?;
        for (i, al) in albums.iter().enumerate() {
            let name = crate::fields::open_text(
                key,
                crate::fields::Column::AlbumName,
                &al.owner_id,
                &al.id,
                Some(&al.name),
            );
            let members = state.catalog().album_asset_ids(&al.id).await?;
            let v = json!({
                "id": al.id,
                "name": name,
                "cover_asset_id": al.cover_asset_id,
                "created_at": al.created_at,
                "updated_at": al.updated_at,
                "asset_ids": members,
            });
            let sep = if i == 0 { "" } else { "," };
            self.write(&format!("{sep}{v}")).await?;
        }
        self.write("]}").await
    }
}
