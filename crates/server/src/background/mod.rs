//! Work that runs beside the requests, on every compute node, whether or not
//! the server is sealed (replication copies ciphertext as it is and purging
//! deletes rows and objects, so only media jobs wait for the key):
//! - the **job worker** runs the durable queue's jobs — replicate a blob to
//!   the backup store (verified by SHA-256 of the copy), delete a blob from
//!   the primary or the backup store, and the media pipeline (metadata,
//!   thumbnail, preview: the one kind that needs a key, postponed while sealed);
//! - the **sweeper** purges trash older than `library.trash_days`, deletes
//!   the blobs of crashed writes (expired write intents, including a local
//!   store's staging files) and abandoned resumable uploads.
//!
//! It must never log object contents or user data: jobs name opaque ids only.

pub mod media;
mod sweeper;
mod worker;

use crate::AppState;

/// Starts the worker(s) and the sweeper; they stop with the runtime.
pub fn spawn(state: &AppState) {
    for _ in 0..worker::WORKERS {
        tokio::spawn(worker::run(state.clone()));
    }
    tokio::spawn(sweeper::run(state.clone()));
}

/// Tells the workers new jobs are queued (they also poll every few seconds).
pub fn wake(state: &AppState) {
    state.jobs_wake().notify_waiters();
}
