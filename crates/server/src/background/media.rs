//! Media jobs: for one asset, pull its metadata, make the thumbnail and
//! preview, encrypt and store them under write intents, and record
//! everything in one transaction. Photos are decrypted into memory and
//! decoded on a blocking thread (HEIC/AVIF by libheif's tools through a
//! memfd); videos are read by ffprobe/ffmpeg through the loopback feed, and
//! one browsers cannot play gets a transcode job (H.264/AAC MP4 streamed
//! back into the store encrypted). Photo decoding and video work each run
//! one at a time per process, so uploads stay responsive during a large
//! import. Needs the owner's key, so while sealed a job is postponed without
//! counting an attempt. A file the pipeline cannot read ends as `failed`
//! with the reason; the original stays downloadable.

use std::sync::Arc;

use pixelunion_catalog::{
    AssetFileRow, AssetKind, AssetRow, FileKind, JobKind, MediaResult, MediaState,
};
use pixelunion_media::MediaError;
use pixelunion_store::{BlobName, StoreError};
use pixelunion_vault::DataKey;

use crate::AppState;
use crate::clock::now_ms;
use crate::fields::{self, Column};
use crate::library::files;
use crate::library::lease::WriteLease;
use crate::library::{self, asset_object_id};
use crate::media_tools::feed::Feed;
use crate::media_tools::video::{self, VideoError};
use crate::media_tools::{ToolError, Tools};

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

/// Why a media job could not finish (retried by the queue). The message
/// names the cause's class (`catalog: …`, `store: …`, `vault: …`,
/// `tool: …`, `task: …`) and never user content.
#[derive(Debug, thiserror::Error)]
pub enum MediaJobError {
    /// a library operation failed (write lease, key, field encryption)
    #[error(transparent)]
    Library(#[from] library::Error),
    /// a blob store failed
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// the catalog failed
    #[error("catalog: {0}")]
    Catalog(#[from] pixelunion_catalog::CatalogError),
    /// a media tool could not be run (spawn, pipe)
    #[error("tool: {0}")]
    Tool(String),
    /// the conversion ran out of time or ffmpeg failed
    #[error("transcode: {0}")]
    Transcode(String),
    /// a task of ours failed (panicked or was cancelled)
    #[error("task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn limiter() -> &'static tokio::sync::Semaphore {
    static ONE: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    ONE.get_or_init(|| tokio::sync::Semaphore::new(1))
}

fn video_limiter() -> &'static tokio::sync::Semaphore {
    static ONE: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    ONE.get_or_init(|| tokio::sync::Semaphore::new(1))
}

/// How a file the pipeline cannot handle is recorded.
enum Unusable {
    /// unreadable, hostile, or a tool is missing: `failed` with the reason
    Failed(String),
    /// a type with nothing to render: `none`
    Nothing(String),
}

impl From<MediaError> for Unusable {
    fn from(e: MediaError) -> Self {
        match e {
            MediaError::Unsupported(_) => Unusable::Nothing(e.to_string()),
            e => Unusable::Failed(e.to_string()),
        }
    }
}

/// Tool trouble on our side (cannot spawn, pipe error) is retried; the
/// tool refusing the file is the file's fault.
fn classify(e: VideoError) -> Result<Unusable, MediaJobError> {
    match e {
        VideoError::Tool(ToolError::Io(..)) => Err(MediaJobError::Tool(e.to_string())),
        VideoError::Media(m) => Ok(m.into()),
        e => Ok(Unusable::Failed(e.to_string())),
    }
}

/// The owner's key, or `None` while sealed.
async fn owner_key(
    state: &AppState,
    asset: &AssetRow,
) -> Result<Option<Option<Arc<DataKey>>>, MediaJobError> {
    let Some(user) = state.catalog().user_by_id(&asset.owner_id).await? else {
        return Ok(Some(None));
    };
    match state.keys().user_key(&user) {
        Ok(k) => Ok(Some(Some(k))),
        Err(crate::keystate::KeyError::Sealed) => Ok(None),
        Err(e) => Err(library::Error::from(e).into()),
    }
}

/// Runs the media job of asset `id`.
pub async fn run(state: &AppState, id: &str) -> Result<Outcome, MediaJobError> {
    let c = state.catalog();
    let Some(asset) = c.asset_for_job(id).await? else {
        return Ok(Outcome::Done); // purged meanwhile
    };
    if asset.kind == AssetKind::Photo && asset.size > MAX_RENDER_BYTES {
        c.set_media_state(id, MediaState::Failed, Some("file too large to render"))
            .await?;
        return Ok(Outcome::Done);
    }
    let key = match owner_key(state, &asset).await? {
        None => return Ok(Outcome::Sealed),
        Some(None) => return Ok(Outcome::Done), // owner deleted
        Some(Some(k)) => k,
    };
    let started = std::time::Instant::now();
    let made = if asset.kind == AssetKind::Video {
        video_media(state, &asset, key).await?
    } else {
        photo_media(state, &asset, key).await?
    };
    crate::metrics::get().media(&asset.mime, made.is_ok(), started.elapsed());
    match made {
        Ok(()) => {}
        Err(Unusable::Failed(why)) => {
            c.set_media_state(id, MediaState::Failed, Some(&why))
                .await?;
        }
        Err(Unusable::Nothing(why)) => c.set_media_state(id, MediaState::None, Some(&why)).await?,
    }
    Ok(Outcome::Done)
}

const HEIF: [&str; 3] = ["image/heic", "image/heif", "image/avif"];

async fn photo_media(
    state: &AppState,
    asset: &AssetRow,
    key: Arc<DataKey>,
) -> Result<Result<(), Unusable>, MediaJobError> {
    let object = asset_object_id(&asset.id)?;
    // One original in memory at a time per process: take the permit first.
    let permit = limiter()
        .acquire()
        .await
        .map_err(|e| MediaJobError::Tool(e.to_string()))?;
    // An original stored as several blobs is read part after part.
    let original = if state.catalog().asset_parts(&asset.id).await?.is_empty() {
        state
            .stores()
            .primary
            .get_decrypted(&key, object, &BlobName::parse(&asset.blob_name)?)
            .await?
    } else {
        files::read_whole(state, &files::original_of(key.clone(), asset)?).await?
    };
    let mime = asset.mime.clone();
    let (meta, rendered) = if HEIF.contains(&mime.as_str()) {
        // libheif's tools decode (orientation is part of the HEIF
        // structure and applied by them); we resize and encode.
        let meta = pixelunion_media::metadata::extract(&original);
        let tools = Tools::new(&state.config().media.tools_dir);
        let decoded = video::heif(&tools, &original).await;
        drop(original);
        let rendered = match decoded {
            Ok((w, h, pixels)) => tokio::task::spawn_blocking(move || match pixels {
                video::HeifPixels::Frame(frame, colour) => {
                    pixelunion_media::render::render_heif_frame(&frame, &colour, w, h)
                }
                video::HeifPixels::Png(png) => {
                    pixelunion_media::render::render(&png, "image/png", 1).map(|mut r| {
                        (r.width, r.height) = (w, h);
                        r
                    })
                }
            })
            .await?
            .map_err(Unusable::from),
            Err(e) => Err(classify(e)?),
        };
        (meta, rendered)
    } else {
        let (meta, rendered) = tokio::task::spawn_blocking(move || {
            let meta = pixelunion_media::metadata::extract(&original);
            let rendered = pixelunion_media::render::render(&original, &mime, meta.orientation);
            (meta, rendered)
        })
        .await?;
        (meta, rendered.map_err(Unusable::from))
    };
    drop(permit);
    let rendered = match rendered {
        Ok(r) => r,
        Err(u) => return Ok(Err(u)),
    };
    let (w, h) = (rendered.width, rendered.height);
    record(state, &key, asset, &meta, &rendered, (w, h)).await?;
    Ok(Ok(()))
}

async fn video_media(
    state: &AppState,
    asset: &AssetRow,
    key: Arc<DataKey>,
) -> Result<Result<(), Unusable>, MediaJobError> {
    let Some(format) = video::demuxer(&asset.mime) else {
        return Ok(Err(Unusable::Nothing(format!(
            "no reader for {}",
            asset.mime
        ))));
    };
    let _permit = video_limiter()
        .acquire()
        .await
        .map_err(|e| MediaJobError::Tool(e.to_string()))?;
    let (tools, feed) = feed_original(state, asset, key.clone()).await?;
    let info = match video::probe(&tools, feed.url(), format).await {
        Ok(i) => i,
        Err(e) => return Ok(Err(classify(e)?)),
    };
    let frame = match video::poster(&tools, feed.url(), format, info.poster_at_ms()).await {
        Ok(f) => f,
        Err(e) => return Ok(Err(classify(e)?)),
    };
    drop(feed);
    let rendered = tokio::task::spawn_blocking(move || {
        pixelunion_media::render::render(&frame, "image/jpeg", 1)
    })
    .await?;
    let rendered = match rendered {
        Ok(r) => r,
        Err(e) => return Ok(Err(e.into())),
    };
    let meta = info.metadata();
    if meta.web_playable == Some(false) && state.config().media.transcode_videos {
        // Queued before the result is recorded: a crash in between leaves a
        // job that finds its asset, never a video without its conversion.
        state
            .catalog()
            .enqueue_job(JobKind::Transcode, &asset.id, now_ms())
            .await?;
        state.wake_jobs();
    }
    let size = (
        info.width.unwrap_or(rendered.width),
        info.height.unwrap_or(rendered.height),
    );
    record(state, &key, asset, &meta, &rendered, size).await?;
    Ok(Ok(()))
}

/// The media tools, and the loopback feed serving `asset`'s decrypted
/// original to them (for as long as the feed is kept).
async fn feed_original(
    state: &AppState,
    asset: &AssetRow,
    key: Arc<DataKey>,
) -> Result<(Tools, Feed), MediaJobError> {
    let file = files::original_of(key, asset)?;
    let feed = Feed::start(state, file)
        .await
        .map_err(|e| MediaJobError::Tool(format!("loopback feed: {e}")))?;
    Ok((Tools::new(&state.config().media.tools_dir), feed))
}

/// Stores both renditions (encrypted, under write intents) and records them
/// with the metadata in one transaction.
async fn record(
    state: &AppState,
    key: &DataKey,
    asset: &AssetRow,
    meta: &pixelunion_media::metadata::Metadata,
    rendered: &pixelunion_media::render::Rendered,
    (width, height): (u32, u32),
) -> Result<(), MediaJobError> {
    let json = serde_json::to_string(meta).map_err(|e| MediaJobError::Tool(e.to_string()))?;
    let metadata = fields::seal_text(
        key,
        Column::AssetMetadata,
        &asset.owner_id,
        &asset.id,
        &json,
    )
    .map_err(library::Error::from)?;
    let mut files = Vec::new();
    let mut leases = Vec::new();
    for (kind, r) in [
        (FileKind::Thumbnail, &rendered.thumbnail),
        (FileKind::Preview, &rendered.preview),
    ] {
        let (row, lease) = store_file(state, key, asset, kind, r).await?;
        files.push(row);
        leases.push(lease);
    }
    let result = MediaResult {
        taken_at: meta.taken_at_ms,
        width: i32::try_from(width).ok(),
        height: i32::try_from(height).ok(),
        metadata: Some(metadata),
        files,
    };
    if !state
        .catalog()
        .record_media(&asset.id, &result, now_ms())
        .await?
    {
        for l in &leases {
            l.abandon().await;
        }
    }
    crate::library::search::changed(state, &asset.owner_id).await;
    Ok(())
}

/// Runs the transcode job of video `id`: ffmpeg reads the loopback feed and
/// its MP4 output is encrypted as it streams into a new blob, recorded as
/// the asset's `playback` file. Stopped after `media.transcode_max_minutes`.
pub async fn transcode(state: &AppState, id: &str) -> Result<Outcome, MediaJobError> {
    let c = state.catalog();
    let Some(asset) = c.asset_for_job(id).await? else {
        return Ok(Outcome::Done);
    };
    let Some(format) = video::demuxer(&asset.mime).filter(|_| asset.kind == AssetKind::Video)
    else {
        return Ok(Outcome::Done);
    };
    let key = match owner_key(state, &asset).await? {
        None => return Ok(Outcome::Sealed),
        Some(None) => return Ok(Outcome::Done),
        Some(Some(k)) => k,
    };
    let (tools, feed) = feed_original(state, &asset, key.clone()).await?;
    let (mut child, stdout) = video::transcode(&tools, feed.url(), format)
        .map_err(|e| MediaJobError::Tool(e.to_string()))?;
    let name = BlobName::random();
    let lease = WriteLease::begin(state, &name).await?;
    let out_object = name.object_id();
    let stream = tokio_util::io::ReaderStream::with_capacity(stdout, 1 << 20);
    let limit = std::time::Duration::from_secs(state.config().media.transcode_max_minutes * 60);
    let stored = tokio::time::timeout(
        limit,
        state
            .stores()
            .primary
            .put_encrypted_stream(&key, out_object, name.clone(), stream),
    )
    .await;
    let status = child
        .wait()
        .await
        .map_err(|e| MediaJobError::Tool(e.to_string()))?;
    drop(feed);
    let stored = match stored {
        Ok(Ok(s)) if status.success() => s,
        Ok(Ok(_)) | Ok(Err(_)) | Err(_) => {
            lease.abandon().await;
            let _ = super::worker::drop_blob(&state.stores().primary, &name).await;
            return Err(match stored {
                Err(_) => MediaJobError::Transcode(
                    "the conversion took longer than media.transcode_max_minutes".into(),
                ),
                Ok(Err(e)) => e.into(),
                Ok(Ok(_)) => MediaJobError::Transcode(format!(
                    "ffmpeg could not convert the video (exit status {})",
                    status.code().unwrap_or(-1)
                )),
            });
        }
    };
    let fit = |v: Option<i32>, other: Option<i32>| {
        let (v, o) = (v.unwrap_or(0), other.unwrap_or(0));
        if v.max(o) > 1920 {
            (i64::from(v) * 1920 / i64::from(v.max(o))) as i32
        } else {
            v
        }
    };
    let row = AssetFileRow {
        asset_id: asset.id.clone(),
        kind: FileKind::Playback,
        blob_name: name.as_str().to_string(),
        mime: "video/mp4".into(),
        size: i64::try_from(stored.plaintext_len).unwrap_or(i64::MAX),
        width: fit(asset.width, asset.height),
        height: fit(asset.height, asset.width),
        sha256: Some(stored.checksum.clone()),
    };
    if !c.record_derived_file(&row, now_ms()).await? {
        lease.abandon().await;
    }
    Ok(Outcome::Done)
}

async fn store_file(
    state: &AppState,
    key: &DataKey,
    asset: &AssetRow,
    kind: FileKind,
    r: &pixelunion_media::render::Rendition,
) -> Result<(AssetFileRow, Arc<WriteLease>), MediaJobError> {
    let name = BlobName::random();
    let lease = WriteLease::begin(state, &name).await?;
    let object = name.object_id();
    let stored = match state
        .stores()
        .primary
        .put_encrypted(key, object, name.clone(), &r.jpeg)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            lease.abandon().await;
            return Err(e.into());
        }
    };
    Ok((
        AssetFileRow {
            asset_id: asset.id.clone(),
            kind,
            blob_name: name.as_str().to_string(),
            mime: "image/jpeg".into(),
            size: r.jpeg.len() as i64,
            width: i32::try_from(r.width).unwrap_or(i32::MAX),
            height: i32::try_from(r.height).unwrap_or(i32::MAX),
            sha256: Some(stored.checksum.clone()),
        },
        lease,
    ))
}
