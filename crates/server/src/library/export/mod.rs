//! Exporting a whole library (`docs/data-rights.md`): one ZIP of every
//! original, byte for byte, in a folder per year and month of its place in
//! the timeline, plus `metadata.json` with everything the service holds
//! about each item and album. An export is **prepared** first (a job reads
//! every original once for its CRC-32 and writes the metadata document,
//! encrypted, to the primary store), so the archive's layout is fixed before
//! its first byte: the download then serves any byte range of it again
//! (resume after a dropped connection) in constant memory, decrypting only
//! the windows a range touches. Exports are kept [`KEEP_DAYS`] days.

pub mod layout;
mod prepare;
mod stream;

use pixelunion_catalog::{ExportRow, UserRow};
use serde::Serialize;

pub use prepare::{Outcome, run as prepare};
pub use stream::{Archive, open};

use super::{Error, Result};
use crate::AppState;
use crate::clock::now_ms;

/// Days an export is kept after it was asked for.
pub const KEEP_DAYS: i64 = 7;
/// The metadata document's path in the archive.
pub const METADATA_PATH: &str = "metadata.json";

/// An export as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExportView {
    /// export id
    pub id: String,
    /// `preparing`, `ready` or `failed`
    pub state: String,
    /// asked for (unix ms)
    pub created_at: i64,
    /// ready since (unix ms)
    pub ready_at: Option<i64>,
    /// deleted after (unix ms)
    pub expires_at: i64,
    /// originals in it
    pub entries: i64,
    /// originals read so far (progress while preparing)
    pub done: i64,
    /// the archive's length in bytes, once ready
    pub archive_bytes: Option<i64>,
    /// why it failed
    pub error: Option<String>,
    /// where to download it, once ready
    pub download: Option<String>,
}

impl ExportView {
    fn new(r: ExportRow) -> Self {
        ExportView {
            download: (r.state == "ready").then(|| format!("/api/v1/exports/{}/archive", r.id)),
            id: r.id,
            state: r.state,
            created_at: r.created_at,
            ready_at: r.ready_at,
            expires_at: r.expires_at,
            entries: r.entries,
            done: r.done,
            archive_bytes: r.archive_bytes,
            error: r.error,
        }
    }
}

/// Asks for a new export of the caller's library; one at a time.
pub async fn create(state: &AppState, user: &UserRow) -> Result<ExportView> {
    let c = state.catalog();
    if c.exports_of(&user.id)
        .await?
        .iter()
        .any(|x| x.state == "preparing")
    {
        return Err(Error::ExportInProgress);
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_ms();
    c.create_export(&id, &user.id, now, now + KEEP_DAYS * 86_400_000)
        .await?;
    state.wake_jobs();
    crate::audit::record(
        state,
        crate::audit::Event::new(Some(&user.id), "export.create", Some(&id), "success"),
    )
    .await;
    get(state, user, &id).await
}

/// The caller's exports, newest first.
pub async fn list(state: &AppState, user: &UserRow) -> Result<Vec<ExportView>> {
    Ok(state
        .catalog()
        .exports_of(&user.id)
        .await?
        .into_iter()
        .map(ExportView::new)
        .collect())
}

/// One of the caller's exports.
pub async fn get(state: &AppState, user: &UserRow, id: &str) -> Result<ExportView> {
    state
        .catalog()
        .export(Some(&user.id), id)
        .await?
        .map(ExportView::new)
        .ok_or(Error::NotFound)
}

/// Deletes one of the caller's exports (and its metadata blob).
pub async fn delete(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    if !state
        .catalog()
        .delete_export(Some(&user.id), id, now_ms())
        .await?
    {
        return Err(Error::NotFound);
    }
    state.wake_jobs();
    Ok(())
}

/// Deletes expired exports, or every export of `owner` (account purge);
/// returns how many went.
pub async fn sweep(state: &AppState, owner: Option<&str>) -> Result<u64> {
    let c = state.catalog();
    let mut n = 0;
    for id in c.expired_exports(now_ms(), owner).await? {
        if c.delete_export(None, &id, now_ms()).await? {
            n += 1;
        }
    }
    Ok(n)
}
