//! Media jobs: for one asset, read the original (decrypted in memory), pull
//! its metadata, make the thumbnail and preview, encrypt and store them under
//! write intents, and record everything in one transaction. Needs the
//! owner's key, so while sealed the job is postponed without counting an
//! attempt. Decoding runs on a blocking thread, one at a time per process,
//! so that uploads stay responsive during a large import. A file the
//! pipeline cannot read ends as `failed` with the reason; the original stays
//! downloadable.

use std::sync::Arc;

use pixelunion_catalog::{AssetFileRow, AssetRow, MediaResult};
use pixelunion_media::MediaError;
use pixelunion_store::{BlobName, StoreError};
use pixelunion_vault::DataKey;

use crate::AppState;
use crate::http::library::ingest::{WriteLease, asset_object_id, object_id_of};
use crate::http::library::{now_ms, seal_text};

/// Originals larger than this are not decoded (their renditions would need
/// the whole file in memory).
pub const MAX_RENDER_BYTES: i64 = 256 << 20;

/// What a media job run came to.
#[derive(Debug)]
pub enum Outcome {
    /// recorded (ready, failed or none)
    Done,
    /// no key in memory: try again later without counting the attempt
    Sealed,
}

/// Why a media job could not finish (retried by the queue).
#[derive(Debug, thiserror::Error)]
pub enum MediaJobError {
    /// store failure
    #[error("{0}")]
    Store(#[from] StoreError),
    /// catalog failure
    #[error("{0}")]
    Catalog(#[from] pixelunion_catalog::CatalogError),
    /// anything else on our side
    #[error("{0}")]
    Internal(String),
}

fn limiter() -> &'static tokio::sync::Semaphore {
    static ONE: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    ONE.get_or_init(|| tokio::sync::Semaphore::new(1))
}

/// Runs the media job of asset `id`.
pub async fn run(state: &AppState, id: &str) -> Result<Outcome, MediaJobError> {
    let c = state.catalog();
    let Some(asset) = c.asset_for_job(id).await? else {
        return Ok(Outcome::Done); // purged meanwhile
    };
    if asset.kind != "photo" {
        c.set_media_state(id, "none", Some("video posters are not made yet"))
            .await?;
        return Ok(Outcome::Done);
    }
    if asset.size > MAX_RENDER_BYTES {
        c.set_media_state(id, "failed", Some("file too large to render"))
            .await?;
        return Ok(Outcome::Done);
    }
    let Some(user) = c.user_by_id(&asset.owner_id).await? else {
        return Ok(Outcome::Done);
    };
    let key = match crate::accounts::key_for(state, &user) {
        Ok(k) => k,
        Err(_) if state.keys().is_sealed() => return Ok(Outcome::Sealed),
        Err(e) => return Err(MediaJobError::Internal(format!("user key: {}", e.code()))),
    };
    let object = asset_object_id(&asset.id)
        .ok_or_else(|| MediaJobError::Internal("asset id is not a UUID".into()))?;
    // One original in memory at a time per process: take the permit first.
    let permit = limiter()
        .acquire()
        .await
        .map_err(|e| MediaJobError::Internal(e.to_string()))?;
    let original = state
        .stores()
        .primary
        .get_decrypted(&key, object, &BlobName::parse(&asset.blob_name)?)
        .await?;
    let mime = asset.mime.clone();
    let worked = tokio::task::spawn_blocking(move || {
        let meta = pixelunion_media::metadata::extract(&original);
        let rendered = pixelunion_media::render::render(&original, &mime, meta.orientation);
        (meta, rendered)
    })
    .await
    .map_err(|e| MediaJobError::Internal(e.to_string()))?;
    drop(permit);
    let (meta, rendered) = worked;
    let rendered = match rendered {
        Ok(r) => r,
        Err(e @ MediaError::Unsupported(_)) => {
            c.set_media_state(id, "none", Some(&e.to_string())).await?;
            return Ok(Outcome::Done);
        }
        Err(e) => {
            c.set_media_state(id, "failed", Some(&e.to_string()))
                .await?;
            return Ok(Outcome::Done);
        }
    };
    let json = serde_json::to_string(&meta).map_err(|e| MediaJobError::Internal(e.to_string()))?;
    let metadata = seal_text(
        &key,
        &asset.owner_id,
        "assets",
        "metadata",
        &asset.id,
        &json,
    )
    .map_err(|e| MediaJobError::Internal(e.code().to_string()))?;
    let key = Arc::new(key);
    let mut files = Vec::new();
    let mut leases = Vec::new();
    for (kind, r) in [
        ("thumbnail", &rendered.thumbnail),
        ("preview", &rendered.preview),
    ] {
        let (row, lease) = store_file(state, &key, &asset, kind, r).await?;
        files.push(row);
        leases.push(lease);
    }
    let result = MediaResult {
        taken_at: meta.taken_at_ms,
        width: i32::try_from(rendered.width).ok(),
        height: i32::try_from(rendered.height).ok(),
        metadata: Some(metadata),
        files,
    };
    if !c.record_media(id, &result, now_ms()).await? {
        for l in &leases {
            l.abandon().await;
        }
    }
    Ok(Outcome::Done)
}

async fn store_file(
    state: &AppState,
    key: &DataKey,
    asset: &AssetRow,
    kind: &str,
    r: &pixelunion_media::render::Rendition,
) -> Result<(AssetFileRow, Arc<WriteLease>), MediaJobError> {
    let name = BlobName::random();
    let lease = WriteLease::begin(state, &name)
        .await
        .map_err(|e| MediaJobError::Internal(e.code().to_string()))?;
    let object = object_id_of(&name).map_err(|e| MediaJobError::Internal(e.code().to_string()))?;
    if let Err(e) = state
        .stores()
        .primary
        .put_encrypted(key, object, name.clone(), &r.jpeg)
        .await
    {
        lease.abandon().await;
        return Err(e.into());
    }
    Ok((
        AssetFileRow {
            asset_id: asset.id.clone(),
            kind: kind.to_string(),
            blob_name: name.as_str().to_string(),
            mime: "image/jpeg".into(),
            size: r.jpeg.len() as i64,
            width: i32::try_from(r.width).unwrap_or(i32::MAX),
            height: i32::try_from(r.height).unwrap_or(i32::MAX),
        },
        lease,
    ))
}
