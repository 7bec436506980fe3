//! Reading what the library stores, for its owner: an original or a video's
//! playable copy (any byte range, decrypting only the segments it touches)
//! and the small renditions (thumbnail, preview) whole.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, TryStreamExt as _};
use pixelunion_catalog::{AssetFileRow, AssetKind, FileKind, MediaState, UserRow};
use pixelunion_media::strip::Patch;
use pixelunion_store::{BlobName, EncryptedObject, StoreError};
use pixelunion_vault::{DataKey, ObjectId};

use super::{Error, Result, asset_object_id, assets, sharing};
use crate::AppState;

/// An encrypted file to read by ranges.
#[derive(Debug, Clone)]
pub struct Readable {
    /// the owner's key
    pub key: Arc<DataKey>,
    /// the object id its AEAD is bound to
    pub object: ObjectId,
    /// where it is stored
    pub blob: BlobName,
    /// plaintext length
    pub len: u64,
    /// media type
    pub mime: String,
    /// a strong validator (quoted), stable for the file's life
    pub etag: String,
    /// the original file name (originals only)
    pub file_name: Option<String>,
    /// byte edits applied as the file is served (a link's metadata-free
    /// video: same length, same offsets)
    pub patches: Option<Arc<Vec<Patch>>>,
}

/// Where a read's bytes come from: the primary copy, or — when that is
/// missing or fails authentication — the backup copy, whose every segment
/// is authenticated as it is served (a damaged or substituted copy cannot
/// pass), while a repair job rewrites the primary.
#[derive(Debug, Clone)]
pub enum Opened {
    /// the primary copy
    Primary(Arc<EncryptedObject>),
    /// the backup copy
    Backup(Arc<EncryptedObject>),
}

/// Whether a primary read failed because the object is gone or damaged
/// (not because the store is unreachable).
fn damaged(e: &StoreError) -> bool {
    matches!(e, StoreError::NotFound(_) | StoreError::Vault(_))
}

impl Readable {
    /// Reads the header and size once, for any number of range reads; falls
    /// back to the backup copy if the primary one is missing or damaged.
    pub async fn open(&self, state: &AppState) -> Result<Opened> {
        match state
            .stores()
            .primary
            .open_encrypted_for_serving(&self.blob)
            .await
        {
            Ok(o) => Ok(Opened::Primary(Arc::new(o))),
            Err(e) if damaged(&e) => match open_backup(state, &self.blob).await {
                Some(o) => Ok(Opened::Backup(o)),
                None => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// The plaintext bytes `span`, fetched and decrypted window by window.
    /// A window the primary copy cannot give (missing, damaged) is read from
    /// the backup copy, and so is the rest of the stream.
    ///
    /// Read by [`pixelunion_store::read_ahead`]: a first window that ends
    /// with the first segment the span touches (one segment decrypted
    /// before the first bytes leave), then one window ahead of the one
    /// being sent.
    pub fn stream(
        &self,
        state: &AppState,
        opened: Opened,
        span: Range<u64>,
    ) -> impl Stream<Item = std::result::Result<Bytes, StoreError>> + Send + use<> {
        let windows = Arc::new(Windows {
            state: state.clone(),
            key: self.key.clone(),
            object: self.object,
            blob: self.blob.clone(),
        });
        let segment = match &opened {
            Opened::Primary(o) | Opened::Backup(o) => o.segment_size().max(1),
        };
        let first = segment - span.start % segment;
        let patches = self.patches.clone();
        let mut at = span.start;
        pixelunion_store::read_ahead(opened, span, first, move |opened, range| {
            let windows = windows.clone();
            async move { windows.read(opened, range).await }
        })
        .map_ok(|pieces| futures::stream::iter(pieces.into_iter().map(Ok)))
        .try_flatten()
        .map_ok(move |b: Bytes| {
            let here = at;
            at += b.len() as u64;
            match &patches {
                Some(p) if !p.is_empty() => {
                    let mut v = b.to_vec();
                    pixelunion_media::strip::apply(p, here, &mut v);
                    Bytes::from(v)
                }
                _ => b,
            }
        })
    }
}

/// What reading one window of a file needs.
struct Windows {
    state: AppState,
    key: Arc<DataKey>,
    object: ObjectId,
    blob: BlobName,
}

impl Windows {
    /// Plaintext bytes `range` from `opened`, falling back to the backup
    /// copy when the primary one is missing or damaged; returns the copy the
    /// next window should be read from.
    async fn read(
        &self,
        opened: Opened,
        range: Range<u64>,
    ) -> std::result::Result<(Vec<Bytes>, Opened), StoreError> {
        match self.read_from(&opened, range.clone()).await {
            Err(e) if damaged(&e) && matches!(opened, Opened::Primary(_)) => {
                self.state.stores().primary.forget_opened(&self.blob);
                match open_backup(&self.state, &self.blob).await {
                    Some(b) => {
                        let b = Opened::Backup(b);
                        self.read_from(&b, range).await.map(|v| (v, b))
                    }
                    None => Err(e),
                }
            }
            other => other.map(|v| (v, opened)),
        }
    }

    async fn read_from(
        &self,
        opened: &Opened,
        range: Range<u64>,
    ) -> std::result::Result<Vec<Bytes>, StoreError> {
        let stores = self.state.stores();
        let (store, obj) = match opened {
            Opened::Primary(x) => (&stores.primary, x),
            Opened::Backup(x) => (&stores.backup, x),
        };
        store
            .read_decrypted_pieces(&self.key, self.object, obj, range)
            .await
    }
}

/// The backup copy of `blob`, opened, after counting and auditing the
/// fallback and queueing the primary's repair; `None` if there is no usable
/// backup copy either.
async fn open_backup(state: &AppState, blob: &BlobName) -> Option<Arc<EncryptedObject>> {
    match state.stores().backup.open_encrypted(blob).await {
        Ok(o) => {
            crate::backup::heal::read_healed(state, blob).await;
            Some(Arc::new(o))
        }
        Err(e) => {
            crate::metrics::get().store_error("backup");
            tracing::error!(blob = %blob.as_str(), error = %e, "primary copy missing or damaged and no usable backup copy");
            None
        }
    }
}

/// The original of asset `id` (the caller's, or shared with them).
pub async fn original(state: &AppState, user: &UserRow, id: &str) -> Result<Readable> {
    let asset = sharing::visible_asset(state, user, id).await?;
    let key = sharing::key_for(state, user, &asset.owner_id).await?;
    Ok(Readable {
        file_name: assets::file_name(&key, &asset),
        key,
        object: asset_object_id(&asset.id)?,
        blob: BlobName::parse(&asset.blob_name)?,
        len: u64::try_from(asset.size).unwrap_or(0),
        mime: asset.mime.clone(),
        etag: format!("\"{}\"", asset.id),
        patches: None,
    })
}

/// What a player should load for the caller's video `id`: the H.264/AAC
/// copy made for a video browsers cannot play, else the original.
pub async fn playback(state: &AppState, user: &UserRow, id: &str) -> Result<Readable> {
    let asset = sharing::visible_asset(state, user, id).await?;
    if asset.kind != AssetKind::Video {
        return Err(Error::NotAVideo);
    }
    let file = state
        .catalog()
        .asset_file(&asset.owner_id, id, FileKind::Playback)
        .await?;
    let key = sharing::key_for(state, user, &asset.owner_id).await?;
    Ok(match file {
        Some(f) => {
            let blob = BlobName::parse(&f.blob_name)?;
            Readable {
                key,
                object: blob.object_id(),
                etag: format!("\"{}\"", f.blob_name),
                blob,
                len: u64::try_from(f.size).unwrap_or(0),
                mime: f.mime,
                file_name: None,
                patches: None,
            }
        }
        None => Readable {
            key,
            object: asset_object_id(&asset.id)?,
            blob: BlobName::parse(&asset.blob_name)?,
            len: u64::try_from(asset.size).unwrap_or(0),
            mime: asset.mime,
            etag: format!("\"{}\"", asset.id),
            file_name: None,
            patches: None,
        },
    })
}

/// A thumbnail or preview, or why there is none yet.
#[derive(Debug, Clone)]
pub enum Rendition {
    /// made: the stored file and its owner (read it with [`read_rendition`])
    Ready(AssetFileRow, String),
    /// not made (yet): the pipeline's state
    Missing(MediaState),
}

impl Rendition {
    /// The validator of a made rendition (quoted).
    pub fn etag(file: &AssetFileRow) -> String {
        format!("\"{}\"", file.blob_name)
    }
}

/// Rendition `kind` of asset `id`, the caller's or shared with them. The
/// lookup of the caller's own is one owner-scoped query; only a miss asks
/// for the asset (not found, shared, or its pipeline state).
pub async fn rendition(
    state: &AppState,
    user: &UserRow,
    id: &str,
    kind: FileKind,
) -> Result<Rendition> {
    let c = state.catalog();
    if let Some(f) = c.asset_file(&user.id, id, kind).await? {
        return Ok(Rendition::Ready(f, user.id.clone()));
    }
    let asset = sharing::visible_asset(state, user, id).await?;
    match c.asset_file(&asset.owner_id, id, kind).await? {
        Some(f) => Ok(Rendition::Ready(f, asset.owner_id)),
        None => Ok(Rendition::Missing(asset.media_state)),
    }
}

/// The decrypted bytes of a made rendition owned by `owner` (the caller,
/// or whoever shared it with them).
pub async fn read_rendition(
    state: &AppState,
    user: &UserRow,
    owner: &str,
    file: &AssetFileRow,
) -> Result<Vec<u8>> {
    let key = sharing::key_for(state, user, owner).await?;
    let name = BlobName::parse(&file.blob_name)?;
    let stores = state.stores();
    match stores
        .primary
        .get_decrypted_for_serving(&key, name.object_id(), &name)
        .await
    {
        Err(e) if damaged(&e) => {
            match stores
                .backup
                .get_decrypted(&key, name.object_id(), &name)
                .await
            {
                Ok(v) => {
                    crate::backup::heal::read_healed(state, &name).await;
                    Ok(v)
                }
                Err(_) => Err(e.into()),
            }
        }
        other => Ok(other?),
    }
}
