//! Turning a plaintext byte stream into an asset: sniff the type from the
//! first bytes, enforce the size limit and the quota, encrypt into the
//! primary store while hashing, then record the asset — or return the
//! existing one when the owner already has identical bytes. The blob is
//! covered by a write intent from before its first byte until the row that
//! references it commits, so a crash at any point leaves nothing visible and
//! nothing the sweeper cannot find.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use pixelunion_catalog::{AssetRow, CatalogError, UserRow};
use pixelunion_store::{BlobName, StoreError};
use pixelunion_vault::ObjectId;
use serde_json::{Value, json};

use super::{asset_json, error, now_ms, seal_text};
use crate::AppState;
use crate::error::{ApiError, OrInternal};

const TOO_LARGE: &str = "file exceeds the upload limit";
const OVER_QUOTA: &str = "file exceeds the quota";

/// Media types accepted, decided from the content (never the name).
pub(crate) fn sniff(head: &[u8]) -> Option<(&'static str, &'static str)> {
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
        | "image/x-adobe-dng" => "photo",
        "video/mp4" | "video/quicktime" | "video/webm" | "video/x-matroska" | "video/3gpp"
        | "video/x-m4v" => "video",
        _ => return None,
    };
    Some((kind, t.mime_type()))
}

pub(crate) fn unsupported() -> ApiError {
    error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "not a photo or video format PixelUnion stores (JPEG, PNG, WebP, GIF, HEIC/HEIF, AVIF, TIFF/DNG, RAW, MP4, MOV, WebM, MKV, 3GP)",
    )
}

fn interrupted() -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "upload-interrupted",
        "the upload ended before the file was complete",
    )
}

/// The object id an asset's original is bound to: the asset's UUID.
pub(crate) fn asset_object_id(asset_id: &str) -> Option<ObjectId> {
    uuid::Uuid::parse_str(asset_id)
        .ok()
        .map(|u| ObjectId(*u.as_bytes()))
}

/// The object id a blob's AEAD is bound to, for blobs that are not an asset's
/// original (resumable-upload parts): the name's own 128 random bits.
pub(crate) fn object_id_of(name: &BlobName) -> Result<ObjectId, ApiError> {
    Ok(ObjectId(
        *uuid::Uuid::parse_str(name.as_str())
            .or_internal()?
            .as_bytes(),
    ))
}

/// A blob write in progress: its intent's lease is renewed while bytes flow.
pub(crate) struct WriteLease {
    state: AppState,
    blob: String,
    lease_ms: i64,
    renewed: AtomicI64,
}

impl WriteLease {
    /// Records the intent before the first byte is written.
    pub(crate) async fn begin(state: &AppState, blob: &BlobName) -> Result<Arc<Self>, ApiError> {
        let lease_ms = state.config().library.write_lease_secs as i64 * 1000;
        let now = now_ms();
        state
            .catalog()
            .add_intent(blob.as_str(), now + lease_ms)
            .await
            .or_internal()?;
        Ok(Arc::new(WriteLease {
            state: state.clone(),
            blob: blob.as_str().to_string(),
            lease_ms,
            renewed: AtomicI64::new(now),
        }))
    }

    /// Called as bytes arrive: renews the lease once a third of it has passed.
    pub(crate) fn touch(&self) {
        let now = now_ms();
        let last = self.renewed.load(Ordering::Relaxed);
        if now - last > self.lease_ms / 3
            && self
                .renewed
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let (state, blob, until) = (self.state.clone(), self.blob.clone(), now + self.lease_ms);
            tokio::spawn(async move {
                if let Err(e) = state.catalog().renew_intent(&blob, until).await {
                    tracing::warn!(error = %e, "could not renew a blob write lease");
                }
            });
        }
    }

    /// The write failed or its result is not needed: delete the blob (if it
    /// became visible) and the intent. On failure the sweeper does it later.
    pub(crate) async fn abandon(&self) {
        let Ok(name) = BlobName::parse(&self.blob) else {
            return;
        };
        if self.state.stores().primary.delete(&name).await.is_ok() {
            let _ = self.state.catalog().clear_intent(&self.blob).await;
        }
    }
}

/// What the caller may still store, in bytes (u64::MAX when unlimited).
pub(crate) async fn quota_left(state: &AppState, user: &UserRow) -> Result<u64, ApiError> {
    let c = state.catalog();
    let quota = match c.user_quota(&user.id).await.or_internal()? {
        Some(q) => q.max(0) as u64,
        None => match state.config().library.default_quota_mib {
            0 => return Ok(u64::MAX),
            mib => mib.saturating_mul(1 << 20),
        },
    };
    let (used, _) = c.usage(&user.id).await.or_internal()?;
    let reserved = c.reserved_upload_bytes(&user.id).await.or_internal()?;
    Ok(quota.saturating_sub(used.max(0) as u64 + reserved.max(0) as u64))
}

pub(crate) fn quota_exceeded() -> ApiError {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "quota-exceeded",
        "this file does not fit in your storage quota; empty the trash or ask an administrator for more space",
    )
}

pub(crate) fn too_large(state: &AppState) -> ApiError {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file-too-large",
        &format!(
            "files may be at most {} MiB",
            state.config().library.max_upload_mib
        ),
    )
}

/// Encrypts an incoming stream into the primary store while hashing it, then
/// records the asset (or returns the existing one for identical content).
/// `quota_left` is what the owner's quota still allows ([`quota_left`];
/// `u64::MAX` for a resumable upload, whose length was reserved at creation).
/// Returns 201 or 200 (duplicate) with `{duplicate, asset}`.
pub(crate) async fn ingest<S, E>(
    state: &AppState,
    user: &UserRow,
    file_name: Option<String>,
    quota_left: u64,
    mut src: S,
) -> Result<(StatusCode, Value), ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    let mut head = BytesMut::new();
    while head.len() < 512 {
        match src.next().await {
            Some(Ok(b)) => head.extend_from_slice(&b),
            Some(Err(_)) => return Err(interrupted()),
            None => break,
        }
    }
    if head.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "empty-file",
            "the file is empty",
        ));
    }
    let (kind, mime) = sniff(&head).ok_or_else(unsupported)?;
    let key = crate::accounts::key_for(state, user)?;
    let max = state
        .config()
        .library
        .max_upload_mib
        .saturating_mul(1 << 20);
    let id = uuid::Uuid::now_v7();
    let id_text = id.to_string();
    let blob = BlobName::random();
    let lease = WriteLease::begin(state, &blob).await?;
    let hasher = Arc::new(Mutex::new(pixelunion_vault::Sha256Stream::default()));
    let count = Arc::new(AtomicU64::new(0));
    let (h, c, l) = (hasher.clone(), count.clone(), lease.clone());
    let stream = futures::stream::once(async move { Ok::<Bytes, String>(head.freeze()) })
        .chain(src.map(|r| r.map_err(|e| e.to_string())))
        .map(move |r| {
            let b = r?;
            let total = c.fetch_add(b.len() as u64, Ordering::Relaxed) + b.len() as u64;
            if total > max {
                return Err(TOO_LARGE.to_string());
            }
            if total > quota_left {
                return Err(OVER_QUOTA.to_string());
            }
            h.lock().unwrap_or_else(|e| e.into_inner()).update(&b);
            l.touch();
            Ok(b)
        });
    let primary = &state.stores().primary;
    let put = primary
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
            return Err(match e {
                StoreError::Source(m) if m == TOO_LARGE => too_large(state),
                StoreError::Source(m) if m == OVER_QUOTA => quota_exceeded(),
                StoreError::Source(_) => interrupted(),
                e => ApiError::internal(&e),
            });
        }
    };
    let digest = Arc::try_unwrap(hasher)
        .map_err(|_| ApiError::internal(&"hasher still shared"))?
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .finish();
    let index = pixelunion_vault::blind_index::user_blind_index(&key, "content", &digest)
        .or_internal()?
        .to_bytes()
        .to_vec();
    let catalog = state.catalog();
    if let Some(existing) = catalog
        .asset_by_content(&user.id, &index)
        .await
        .or_internal()?
    {
        lease.abandon().await;
        return Ok((
            StatusCode::OK,
            json!({"duplicate": true, "asset": asset_json(&key, &existing)}),
        ));
    }
    let file_name_ct = match file_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => Some(seal_text(
            &key,
            &user.id,
            "assets",
            "file_name",
            &id_text,
            &n.chars().take(255).collect::<String>(),
        )?),
        None => None,
    };
    let now = now_ms();
    let row = AssetRow {
        id: id_text,
        owner_id: user.id.clone(),
        blob_name: stored.name.as_str().to_string(),
        kind: kind.into(),
        mime: mime.into(),
        size: stored.plaintext_len as i64,
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
        media_state: "pending".into(),
        media_error: None,
    };
    match catalog.insert_asset(&row, now).await {
        Ok(()) => Ok((
            StatusCode::CREATED,
            json!({"duplicate": false, "asset": asset_json(&key, &row)}),
        )),
        Err(CatalogError::AlreadyExists) => {
            lease.abandon().await;
            let existing = catalog
                .asset_by_content(&user.id, &index)
                .await
                .or_internal()?
                .ok_or_else(|| ApiError::internal(&"duplicate vanished"))?;
            Ok((
                StatusCode::OK,
                json!({"duplicate": true, "asset": asset_json(&key, &existing)}),
            ))
        }
        Err(e) => {
            lease.abandon().await;
            Err(ApiError::internal(&e))
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
            Some(("photo", "image/jpeg"))
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(("photo", "image/png"))
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"),
            Some(("video", "video/mp4"))
        );
        assert_eq!(sniff(b"%PDF-1.7 not a photo"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
    }

    #[test]
    fn part_object_ids_come_from_the_name() {
        let n = BlobName::random();
        let a = object_id_of(&n).expect("id");
        assert_eq!(a, object_id_of(&n).expect("id"));
        assert_ne!(a, object_id_of(&BlobName::random()).expect("id"));
    }
}
