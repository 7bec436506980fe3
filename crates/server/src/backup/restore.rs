//! Rebuilding a deployment from the backup store and the shares alone: the
//! newest complete snapshot (or the one asked for) is unlocked with the
//! shares, its body decrypted and checked through to its end before
//! anything is written, then its rows go into a new, empty catalog and every
//! blob a row references is copied back from the backup store into the
//! primary store, checked against the checksum recorded for it. The server
//! then starts sealed and unseals with the same shares.
//!
//! Bad input changes nothing: an empty or foreign backup store, a truncated
//! or tampered snapshot or wrong shares are refused before the data
//! directory, the database or the primary store is touched.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use pixelunion_catalog::Catalog;
use pixelunion_catalog::snapshot::format::{Decoder, Event};
use pixelunion_store::{BlobName, BlobStore, ChecksumKind, SnapshotId, SnapshotPart, StoreError};
use pixelunion_vault::keyring::{Keyring, WrappedKeyringKey};
use pixelunion_vault::root::{SealedRootKey, UnsealProgress, UnsealStep};
use pixelunion_vault::{DataKey, VaultError};
use serde::Serialize;
use zeroize::Zeroizing;

use super::{Error, Result};
use crate::clock::now_ms;
use crate::config::Config;
use pixelunion_vault::snapshot_head::Head;

/// Blobs copied at once.
const PARALLEL_COPIES: usize = 4;

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// the snapshot restored
    pub snapshot: String,
    /// when it was taken (unix ms)
    pub taken_at: i64,
    /// rows put back
    pub rows: u64,
    /// blobs copied into the primary store
    pub blobs: u64,
    /// their bytes
    pub bytes: u64,
    /// blobs missing or damaged in the backup store
    pub missing: u64,
    /// how long it took (ms)
    pub took_ms: i64,
}

/// How far a restore is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// the snapshot is being checked: bytes read so far
    Checking(u64),
    /// rows are going into the catalog
    Importing,
    /// blobs copied so far, of all
    Copying {
        /// copied
        done: u64,
        /// in all
        of: u64,
    },
}

/// The snapshots in the backup store `config` names, oldest first, read
/// directly (no server, no key): what `backup list --offline` shows before
/// a restore.
pub async fn list(config: &Config) -> Result<Vec<super::status::SnapshotView>> {
    let backup = BlobStore::open(&config.backup_store(), "backup")?;
    Ok(backup
        .list_snapshots()
        .await?
        .into_iter()
        .map(super::status::SnapshotView::from)
        .collect())
}

/// The snapshot a restore would use: its id, head and body size.
pub async fn choose(
    backup: &BlobStore,
    wanted: Option<&str>,
) -> Result<(SnapshotId, Head, Vec<u8>)> {
    let listed = backup.list_snapshots().await?;
    let chosen = match wanted {
        Some(w) => listed
            .iter()
            .find(|s| s.id.as_str() == w && s.complete)
            .ok_or_else(|| Error::UnknownSnapshot(w.to_string()))?,
        None => listed
            .iter()
            .rev()
            .find(|s| s.complete)
            .ok_or(Error::NoSnapshot)?,
    };
    let head_bytes = backup
        .get(&chosen.id.part(SnapshotPart::Head))
        .await?
        .to_vec();
    let head = Head::decode(&head_bytes).map_err(|e| match e {
        VaultError::InvalidFormat(why) => Error::BadSnapshot(why),
        e => Error::Vault(e),
    })?;
    Ok((chosen.id.clone(), head, head_bytes))
}

/// Opens the snapshot's keyring with shares from `next_share` (called with
/// how many were given and how many are needed) until the threshold.
pub fn unlock(
    head: &Head,
    mut next_share: impl FnMut(u8, u8) -> Result<Zeroizing<String>>,
) -> Result<Keyring> {
    let record = SealedRootKey::from_bytes(&head.sealed_root)
        .map_err(|_| Error::BadSnapshot("the sealed root record is damaged"))?;
    let mut progress = UnsealProgress::new();
    let root = loop {
        let share = next_share(progress.have(), record.threshold())?;
        match progress.submit(share.trim(), &record) {
            Ok(UnsealStep::Progress { .. }) => {}
            Ok(UnsealStep::Unsealed(root)) => break root,
            Err(VaultError::InvalidShares | VaultError::ShareSetMismatch) => {
                return Err(Error::WrongShares);
            }
            Err(VaultError::MalformedShare(why)) => return Err(Error::Share(why.to_string())),
            Err(VaultError::DuplicateShare) => {
                return Err(Error::Share("this share was already given".into()));
            }
            Err(e) => return Err(Error::Vault(e)),
        }
    };
    let wrapped = head
        .keyring
        .iter()
        .map(|(_, w)| WrappedKeyringKey::from_bytes(w))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::BadSnapshot("the wrapped keyring is damaged"))?;
    Keyring::open(&root, &wrapped)
        .map_err(|_| Error::BadSnapshot("the keyring does not open with these keys"))
}

/// The snapshot's rows, decrypted, as a stream of pieces.
async fn body(
    backup: &BlobStore,
    id: &SnapshotId,
    head_bytes: &[u8],
    keyring: &Keyring,
) -> Result<impl futures::Stream<Item = std::result::Result<bytes::Bytes, StoreError>> + Send + use<>>
{
    let part = id.part(SnapshotPart::Body);
    let opened = backup.open_encrypted(&part).await?;
    let key: DataKey = keyring
        .key_for(opened.key_id())
        .and_then(|k| k.try_clone())
        .map_err(|_| Error::BadSnapshot("the body's key is not in the snapshot's keyring"))?;
    let len = opened.plaintext_len();
    Ok(backup.decrypted_stream(
        Arc::new(key),
        Head::body_object_id(head_bytes),
        Arc::new(opened),
        0..len,
    ))
}

/// Reads the whole body, checking its authentication and format; returns
/// the rows it holds.
async fn check(
    backup: &BlobStore,
    id: &SnapshotId,
    head_bytes: &[u8],
    keyring: &Keyring,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<u64> {
    let mut stream = Box::pin(body(backup, id, head_bytes, keyring).await?);
    let mut dec = Decoder::new();
    let (mut read, mut rows) = (0u64, 0u64);
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| match e {
            StoreError::Vault(_) => Error::BadSnapshot(
                "the body does not authenticate (tampered, truncated or foreign)",
            ),
            e => Error::Store(e),
        })?;
        read += piece.len() as u64;
        progress(Progress::Checking(read));
        dec.feed(&piece);
        while let Some(ev) = dec
            .next_event()
            .map_err(|_| Error::BadSnapshot("the rows are malformed"))?
        {
            match ev {
                Event::Header(h) if h.schema > pixelunion_catalog::snapshot::SCHEMA_VERSION => {
                    return Err(Error::BadSnapshot("made by a newer PixelUnion"));
                }
                Event::Table { name, .. }
                    if pixelunion_catalog::snapshot::tables::table(&name).is_none() =>
                {
                    return Err(Error::BadSnapshot(
                        "it holds a table this build does not know",
                    ));
                }
                Event::Row(_) => rows += 1,
                _ => {}
            }
        }
    }
    dec.finish()
        .map_err(|_| Error::BadSnapshot("the rows are truncated"))?;
    Ok(rows)
}

/// Restores into the deployment `config` describes (its data directory,
/// database and primary store must be new or empty) from its backup store.
pub async fn restore(
    config: &Config,
    snapshot: Option<&str>,
    next_share: impl FnMut(u8, u8) -> Result<Zeroizing<String>>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Restored> {
    let started = now_ms();
    let backup = BlobStore::open(&config.backup_store(), "backup")?;
    let (id, head, head_bytes) = choose(&backup, snapshot).await?;
    let keyring = unlock(&head, next_share)?;
    let rows = check(&backup, &id, &head_bytes, &keyring, progress).await?;

    // Everything checks out: only now is anything written.
    let sqlite_file = config
        .database_url()
        .strip_prefix("sqlite://")
        .map(std::path::PathBuf::from);
    if let Some(f) = &sqlite_file
        && f.exists()
    {
        return Err(Error::NotEmpty(format!(
            "{} exists: restore into a new data directory",
            f.display()
        )));
    }
    crate::create_private_dir(&config.data_dir).map_err(|e| Error::Io(e.to_string()))?;
    let primary = BlobStore::open(&config.primary_store(), "primary")?;
    if !primary.list().await?.is_empty() {
        return Err(Error::NotEmpty(
            "the primary store already holds objects: restore into an empty one".into(),
        ));
    }
    let catalog = Catalog::connect(&config.database_url()).await?;
    if !catalog.is_empty().await? {
        catalog.close().await;
        return Err(Error::NotEmpty(
            "the database already holds a catalog: restore into an empty one".into(),
        ));
    }
    progress(Progress::Importing);
    let imported = catalog
        .import_snapshot(Box::pin(body(&backup, &id, &head_bytes, &keyring).await?))
        .await?;
    debug_assert_eq!(imported.rows(), rows);
    let (blobs, bytes, missing) = copy_blobs(&catalog, &backup, &primary, progress).await?;
    let run = format!("restore-{}", uuid::Uuid::new_v4().simple());
    let done = now_ms();
    catalog.start_backup_run(&run, "restore", started).await?;
    let details = serde_json::json!({
        "snapshot": id.as_str(),
        "rows": imported.rows(),
        "blobs": blobs,
        "missing": missing,
    })
    .to_string();
    catalog
        .finish_backup_run(&run, missing == 0, &details, done)
        .await?;
    catalog
        .append_audit_pending(&pixelunion_catalog::AuditRow {
            seq: 0,
            at: done / 1000,
            actor: None,
            action: "backup.restore".into(),
            target: Some(id.to_string()),
            outcome: if missing == 0 { "success" } else { "failure" }.into(),
            details: None,
            key_version: None,
            mac: None,
            client: None,
        })
        .await?;
    catalog.close().await;
    let restored = Restored {
        snapshot: id.to_string(),
        taken_at: id.at_ms(),
        rows: imported.rows(),
        blobs,
        bytes,
        missing,
        took_ms: done - started,
    };
    if missing > 0 {
        return Err(Error::MissingBlobs(missing));
    }
    Ok(restored)
}

/// Copies every referenced blob from the backup store into the primary,
/// checking each copy; `(copied, bytes, missing or damaged)`.
async fn copy_blobs(
    catalog: &Catalog,
    backup: &BlobStore,
    primary: &BlobStore,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(u64, u64, u64)> {
    // A page of names at a time (a large library's list would not fit
    // comfortably in memory): once to count, for the progress bar, once to copy.
    const PAGE: i64 = 1000;
    let mut of = 0u64;
    let mut after = String::new();
    loop {
        let page = catalog.referenced_blobs(&after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.name.clone();
        of += page.len() as u64;
    }
    let (copied, bytes, missing) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    progress(Progress::Copying { done: 0, of });
    let (copied, bytes, missing) = (&copied, &bytes, &missing);
    let mut after = String::new();
    loop {
        let page = catalog.referenced_blobs(&after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.name.clone();
        futures::stream::iter(page)
            .for_each_concurrent(PARALLEL_COPIES, |b| async move {
                let outcome = match BlobName::parse(&b.name) {
                    Err(_) => Err(()),
                    Ok(name) => match backup
                        .replicate_to(&name, primary, ChecksumKind::of(b.sha256.as_deref()))
                        .await
                    {
                        Ok(digest) if b.sha256.as_deref().is_none_or(|want| want == digest) => {
                            Ok(primary.size(&name).await.unwrap_or(0))
                        }
                        Ok(_) => {
                            let _ = primary.delete(&name).await;
                            Err(())
                        }
                        Err(_) => Err(()),
                    },
                };
                match outcome {
                    Ok(n) => {
                        bytes.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(()) => {
                        tracing::warn!(blob = %b.name, "a blob is missing or damaged in the backup store");
                        missing.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let done = copied.fetch_add(1, Ordering::Relaxed) + 1;
                progress(Progress::Copying { done, of });
            })
            .await;
    }
    let missing = missing.load(Ordering::Relaxed);
    Ok((of - missing, bytes.load(Ordering::Relaxed), missing))
}
