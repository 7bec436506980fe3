//! Turning a plaintext byte stream into an asset: sniff the type from the
//! first bytes, enforce the size limit and the quota, encrypt into the
//! primary store while hashing, then record the asset — or return the
//! existing one when the owner already has identical bytes. The blob is
//! covered by a write intent from before its first byte until the row that
//! references it commits, so a crash at any point leaves nothing visible and
//! nothing the sweeper cannot find.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use pixelunion_catalog::{AssetKind, AssetPartRow, AssetRow, CatalogError, MediaState, UserRow};
use pixelunion_store::{BlobName, StoreError, StoredBlob};
use pixelunion_vault::{DataKey, ObjectId};

use super::lease::WriteLease;
use super::{Error, Result, quota};
use crate::AppState;
use crate::clock::now_ms;
use crate::fields::{self, Column};

/// Bytes read before the type is decided.
pub(super) const SNIFF_BYTES: usize = 512;
/// Longest file name kept (characters).
pub const MAX_FILE_NAME: usize = 255;

/// What an ingest came to.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// the stored asset (the existing one for a duplicate)
    pub asset: AssetRow,
    /// the owner had these bytes already; nothing new was stored
    pub duplicate: bool,
}

/// Media types accepted, decided from the content (never the name).
pub fn sniff(head: &[u8]) -> Option<(AssetKind, &'static str)> {
    let t = infer::get(head)?;
    let kind = match t.mime_type() {
        "image/jpeg"
        | "image/png"
        | "image/webp"
        | "image/gif"
        | "image/heif"
        | "image/heic"
        | "image/avif"
        | "image/tiff"
        | "image/x-canon-cr2"
        | "image/x-nikon-nef"
        | "image/x-sony-arw"
        | "image/x-olympus-orf"
        | "image/x-panasonic-rw2"
        | "image/x-fujifilm-raf"
        | "image/x-adobe-dng" => AssetKind::Photo,
        "video/mp4" | "video/quicktime" | "video/webm" | "video/x-matroska" | "video/3gpp"
        | "video/x-m4v" => AssetKind::Video,
        _ => return None,
    };
    Some((kind, t.mime_type()))
}

/// The per-user blind index of a content digest (duplicate detection).
pub fn content_index(key: &DataKey, sha256: &[u8; 32]) -> Result<Vec<u8>> {
    Ok(
        pixelunion_vault::blind_index::user_blind_index(key, "content", sha256)?
            .to_bytes()
            .to_vec(),
    )
}

/// Where an ingest's content hash comes from.
enum ContentHash {
    /// the caller hashed the bytes already
    Known([u8; 32]),
    /// hashed here, on a thread of its own
    Hashing(Arc<tokio::sync::Mutex<pixelunion_store::hashing::Sha256Offload>>),
}

/// Why the source stream was cut by our own checks (told apart from the
/// client's stream failing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    TooLarge,
    OverQuota,
}

/// Encrypts an incoming stream into the primary store while hashing it, then
/// records the asset (or returns the existing one for identical content).
/// `quota_left` is what the owner's quota still allows ([`quota::left`];
/// `u64::MAX` for a resumable upload, whose length was reserved at creation).
/// `known` is the stream's SHA-256 when the caller already has it (a
/// resumable upload hashed piece by piece): it is then not hashed again.
pub async fn ingest<S, E>(
    state: &AppState,
    user: &UserRow,
    file_name: Option<String>,
    quota_left: u64,
    known: Option<[u8; 32]>,
    mut src: S,
) -> Result<Ingested>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    let mut head = BytesMut::new();
    while head.len() < SNIFF_BYTES {
        match src.next().await {
            Some(Ok(b)) => head.extend_from_slice(&b),
            Some(Err(_)) => return Err(Error::Interrupted),
            None => break,
        }
    }
    if head.is_empty() {
        return Err(Error::EmptyFile);
    }
    let (kind, mime) = sniff(&head).ok_or(Error::Unsupported)?;
    let key = state.keys().user_key(user)?;
    let max = quota::max_upload_bytes(state);
    let id = uuid::Uuid::now_v7();
    let blob = BlobName::random();
    let lease = WriteLease::begin(state, &blob).await?;
    // The content hash, unless known, runs on its own thread beside the encryption.
    let hash = match known {
        Some(d) => ContentHash::Known(d),
        None => ContentHash::Hashing(Arc::new(tokio::sync::Mutex::new(
            pixelunion_store::hashing::Sha256Offload::start(),
        ))),
    };
    let count = Arc::new(AtomicU64::new(0));
    let cut = Arc::new(Mutex::new(None::<Cut>));
    let h = match &hash {
        ContentHash::Hashing(h) => Some(h.clone()),
        ContentHash::Known(_) => None,
    };
    let (c, l, k) = (count.clone(), lease.clone(), cut.clone());
    let stream = futures::stream::once(async move { Ok::<Bytes, String>(head.freeze()) })
        .chain(src.map(|r| r.map_err(|e| e.to_string())))
        .then(move |r| {
            let h = h.clone();
            let (c, l, k) = (c.clone(), l.clone(), k.clone());
            async move {
                let b = r?;
                let total = c.fetch_add(b.len() as u64, Ordering::Relaxed) + b.len() as u64;
                let over = if total > max {
                    Some(Cut::TooLarge)
                } else if total > quota_left {
                    Some(Cut::OverQuota)
                } else {
                    None
                };
                if let Some(why) = over {
                    *k.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                    return Err("cut by a limit".to_string());
                }
                if let Some(h) = &h {
                    h.lock().await.update(&b).await.map_err(|e| e.to_string())?;
                }
                l.touch();
                Ok(b)
            }
        });
    let put = state
        .stores()
        .primary
        .put_encrypted_stream(
            &key,
            ObjectId(*id.as_bytes()),
            blob.clone(),
            Box::pin(stream),
        )
        .await;
    let stored = match put {
        Ok(s) => s,
        Err(e) => {
            lease.abandon().await;
            let why = *cut.lock().unwrap_or_else(|e| e.into_inner());
            return Err(match (why, e) {
                (Some(Cut::TooLarge), _) => Error::TooLarge {
                    max_mib: state.config().library.max_upload_mib,
                },
                (Some(Cut::OverQuota), _) => Error::OverQuota,
                (None, StoreError::Source(_)) => Error::Interrupted,
                (None, e) => Error::Store(e),
            });
        }
    };
    let digest = match hash {
        ContentHash::Known(d) => d,
        ContentHash::Hashing(h) => Arc::try_unwrap(h)
            .map_err(|_| Error::Corrupt("hasher still shared after the upload"))?
            .into_inner()
            .finish()
            .await
            .map_err(|_| Error::Corrupt("the content hash stopped"))?,
    };
    let new = NewAsset::one_blob(id, stored, kind, mime, digest);
    record(state, user, &key, file_name, new, Some(&lease)).await
}

/// A file stored in the primary store whose asset row is not written yet.
#[derive(Debug)]
pub(super) struct NewAsset {
    /// the asset's id (its original's AEAD is bound to it)
    pub id: uuid::Uuid,
    /// the encrypted original, or its first part
    pub blob: BlobName,
    /// the checksum of that blob's ciphertext, as recorded
    pub checksum: Vec<u8>,
    /// the original's plaintext length (all parts)
    pub len: u64,
    /// the parts after the first, for an original stored as several blobs
    pub rest: Vec<AssetPartRow>,
    /// photo or video, from the first bytes
    pub kind: AssetKind,
    /// media type, from the first bytes
    pub mime: &'static str,
    /// SHA-256 of the plaintext
    pub digest: [u8; 32],
}

impl NewAsset {
    /// An original stored as one blob.
    pub(super) fn one_blob(
        id: uuid::Uuid,
        stored: StoredBlob,
        kind: AssetKind,
        mime: &'static str,
        digest: [u8; 32],
    ) -> Self {
        NewAsset {
            id,
            blob: stored.name,
            checksum: stored.checksum,
            len: stored.plaintext_len,
            rest: Vec::new(),
            kind,
            mime,
            digest,
        }
    }
}

/// Records a stored file as the owner's asset — or returns the existing
/// asset when the owner already has identical bytes. The write `lease` of
/// the blob, when there is one, is abandoned (the blob deleted) for a
/// duplicate or a failure; without one (an upload part adopted as the
/// blob) the blob stays with whatever references it.
pub(super) async fn record(
    state: &AppState,
    user: &UserRow,
    key: &DataKey,
    file_name: Option<String>,
    new: NewAsset,
    lease: Option<&WriteLease>,
) -> Result<Ingested> {
    let abandon = || async {
        if let Some(l) = lease {
            l.abandon().await;
        }
    };
    let NewAsset {
        id,
        blob,
        checksum,
        len,
        rest,
        kind,
        mime,
        digest,
    } = new;
    let id_text = id.to_string();
    let index = content_index(key, &digest)?;
    let catalog = state.catalog();
    if let Some(existing) = catalog.asset_by_content(&user.id, &index).await? {
        abandon().await;
        return Ok(Ingested {
            asset: existing,
            duplicate: true,
        });
    }
    let file_name_ct = match file_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => Some(fields::seal_text(
            key,
            Column::AssetFileName,
            &user.id,
            &id_text,
            &n.chars().take(MAX_FILE_NAME).collect::<String>(),
        )?),
        None => None,
    };
    let now = now_ms();
    let row = AssetRow {
        id: id_text,
        owner_id: user.id.clone(),
        blob_name: blob.as_str().to_string(),
        kind,
        mime: mime.into(),
        size: i64::try_from(len).unwrap_or(i64::MAX),
        content_index: index.clone(),
        file_name: file_name_ct,
        taken_at: None,
        uploaded_at: now,
        sort_at: now,
        trashed_at: None,
        favorite: false,
        archived: false,
        caption: None,
        width: None,
        height: None,
        metadata: None,
        media_state: MediaState::Pending,
        media_error: None,
        blob_sha256: Some(checksum),
    };
    match catalog.insert_asset_with_parts(&row, &rest, now).await {
        Ok(()) => {
            state.wake_jobs();
            super::search::changed(state, &user.id).await;
            Ok(Ingested {
                asset: row,
                duplicate: false,
            })
        }
        Err(CatalogError::AlreadyExists) => {
            abandon().await;
            let existing = catalog
                .asset_by_content(&user.id, &index)
                .await?
                .ok_or(Error::Corrupt("a duplicate vanished while it was stored"))?;
            Ok(Ingested {
                asset: existing,
                duplicate: true,
            })
        }
        Err(e) => {
            abandon().await;
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_goes_by_content() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0]),
            Some((AssetKind::Photo, "image/jpeg"))
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some((AssetKind::Photo, "image/png"))
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"),
            Some((AssetKind::Video, "video/mp4"))
        );
        assert_eq!(sniff(b"%PDF-1.7 not a photo"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
    }
}
