//! The state of the backups for operators: the last snapshot and its age,
//! the replication backlog and lag, the last verification and scrub, and
//! whether the backup store answers.

use serde::Serialize;

use super::Result;
use crate::AppState;
use crate::clock::now_ms;

/// One snapshot in the backup store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SnapshotView {
    /// its id
    pub id: String,
    /// when it was taken (unix ms)
    pub at: i64,
    /// bytes of its encrypted body
    pub bytes: u64,
    /// both parts are there
    pub complete: bool,
}

/// A past run of the backup machinery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunView {
    /// when it ended (unix ms)
    pub at: Option<i64>,
    /// how it ended
    pub ok: Option<bool>,
    /// its counts
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Backups at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BackupStatus {
    /// `ok`, or `degraded` when the backup store does not answer (uploads and
    /// downloads go on; replication catches up when it is back)
    pub backup_store: String,
    /// the newest complete snapshot
    pub last_snapshot: Option<SnapshotView>,
    /// its age in seconds
    pub last_snapshot_age_secs: Option<i64>,
    /// complete snapshots kept
    pub snapshots: u64,
    /// blobs waiting to be copied to the backup store
    pub replication_queued: i64,
    /// copies that failed for good
    pub replication_dead: i64,
    /// how long the oldest waiting copy has waited (seconds)
    pub replication_lag_secs: Option<i64>,
    /// the last verification
    pub last_verify: Option<RunView>,
    /// the last scrub of the primary store
    pub last_scrub: Option<RunView>,
    /// primary reads served from the backup since start
    pub healed_reads: u64,
    /// primary objects rewritten from the backup since start
    pub repairs: u64,
}

async fn last_run(state: &AppState, kind: &str) -> Result<Option<RunView>> {
    Ok(state
        .catalog()
        .backup_runs(kind, 1)
        .await?
        .into_iter()
        .next()
        .map(|r| RunView {
            at: r.finished_at,
            ok: r.ok,
            details: r
                .details
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or(serde_json::Value::Null),
        }))
}

/// How long the backup store has to answer a ping before it counts as down
/// (a store that hangs must not hang readiness or status).
pub const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(3);

/// Whether the backup store answers, within [`ANSWER_WITHIN`].
pub async fn backup_answers(state: &AppState) -> bool {
    matches!(
        tokio::time::timeout(ANSWER_WITHIN, state.stores().backup.ping()).await,
        Ok(Ok(()))
    )
}

/// The snapshots in the backup store, oldest first.
pub async fn snapshots(state: &AppState) -> Result<Vec<SnapshotView>> {
    Ok(state
        .stores()
        .backup
        .list_snapshots()
        .await?
        .into_iter()
        .map(SnapshotView::from)
        .collect())
}

impl From<pixelunion_store::ListedSnapshot> for SnapshotView {
    fn from(s: pixelunion_store::ListedSnapshot) -> Self {
        SnapshotView {
            at: s.id.at_ms(),
            id: s.id.to_string(),
            bytes: s.body_len,
            complete: s.complete,
        }
    }
}

/// Backups at a glance (the backup store being down is a state, not an error).
pub async fn status(state: &AppState) -> Result<BackupStatus> {
    let now = now_ms();
    let answering = backup_answers(state).await;
    let listed = if answering {
        tokio::time::timeout(ANSWER_WITHIN * 4, snapshots(state))
            .await
            .ok()
            .and_then(|r| r.ok())
    } else {
        None
    };
    let degraded = listed.is_none();
    let listed = listed.unwrap_or_default();
    let complete: Vec<&SnapshotView> = listed.iter().filter(|s| s.complete).collect();
    let last = complete.last().map(|s| (*s).clone());
    let backlog = state.catalog().replication_backlog().await?;
    Ok(BackupStatus {
        backup_store: if degraded { "degraded" } else { "ok" }.into(),
        last_snapshot_age_secs: last.as_ref().map(|s| (now - s.at) / 1000),
        last_snapshot: last,
        snapshots: complete.len() as u64,
        replication_queued: backlog.queued,
        replication_dead: backlog.dead,
        replication_lag_secs: backlog.oldest_queued_at.map(|t| (now - t).max(0) / 1000),
        last_verify: last_run(state, "verify").await?,
        last_scrub: last_run(state, "scrub").await?,
        healed_reads: super::heal::HEALED_READS.load(std::sync::atomic::Ordering::Relaxed),
        repairs: super::heal::REPAIRS.load(std::sync::atomic::Ordering::Relaxed),
    })
}
