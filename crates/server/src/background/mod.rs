//! Work that runs beside the requests, on every compute node, whether or not
//! the server is sealed (replication copies ciphertext as it is and purging
//! deletes rows and objects, so only media jobs wait for the key):
//! - the **job worker** runs the durable queue's jobs — replicate a blob to
//!   the backup store (verified by SHA-256 of the copy), delete a blob from
//!   the primary or the backup store, and the media pipeline (metadata,
//!   thumbnail, preview — needs a key, postponed while sealed); a separate
//!   worker converts videos browsers cannot play (lease renewed while it runs);
//! - the **sweeper** purges trash older than `library.trash_days`, deletes
//!   the blobs of crashed writes (expired write intents, including a local
//!   store's staging files) and abandoned resumable uploads, and prunes old
//!   catalog snapshots;
//! - **backups**: a catalog snapshot every `backups.snapshot_interval_minutes`
//!   while unsealed, and a scrub of the primary store every
//!   `backups.scrub_every_hours` at `backups.scrub_mib_per_sec`.
//!
//! It calls the domain (`library`) and the media tools, never the HTTP
//! layer. It must never log object contents or user data: jobs name opaque
//! ids only.

mod backups;
pub mod media;
pub mod nodes;
mod sweeper;
mod worker;

use crate::AppState;

/// Starts the worker(s) and the sweeper; they stop with the runtime.
pub fn spawn(state: &AppState) {
    for _ in 0..worker::WORKERS {
        tokio::spawn(worker::run(state.clone(), &worker::GENERAL));
    }
    tokio::spawn(worker::run(state.clone(), &worker::TRANSCODE));
    tokio::spawn(sweeper::run(state.clone()));
    tokio::spawn(backups::snapshots(state.clone()));
    tokio::spawn(backups::scrubs(state.clone()));
    tokio::spawn(backups::audit_checkpoints(state.clone()));
    tokio::spawn(check_tools(state.clone()));
    tokio::spawn(nodes::heartbeat(state.clone()));
}

/// Says once at start which media tools are missing (videos and HEIC/AVIF
/// pictures then end `failed` with a reason naming the tool).
async fn check_tools(state: AppState) {
    let t = crate::media_tools::Tools::new(&state.config().media.tools_dir);
    for (name, arg) in [
        ("ffprobe", "-version"),
        ("ffmpeg", "-version"),
        ("heif-thumbnailer", "-h"),
        ("heif-convert", "-h"),
    ] {
        if !t.available(name, arg).await {
            tracing::warn!(
                tool = name,
                "media tool not found: install ffmpeg and libheif's tools (scripts/install-media-tools.sh) for video posters and HEIC/AVIF"
            );
        }
    }
}
