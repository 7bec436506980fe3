//! The sweeper: every `library.sweep_interval_secs` (and once at start) it
//! purges trash past `library.trash_days`, deletes what crashed writes left
//! (expired blob intents), drops abandoned resumable uploads and prunes
//! catalog snapshots past their retention (`backup::retention`).

use std::time::Duration;

use pixelunion_store::BlobName;

use crate::AppState;
use crate::clock::now_ms;
use crate::library::purge::{self, Purge};

const BATCH: i64 = 500;

pub(super) async fn run(state: AppState) {
    let every = Duration::from_secs(state.config().library.sweep_interval_secs);
    loop {
        match sweep_once(&state).await {
            Ok(s) if s != Swept::default() => {
                tracing::info!(
                    purged = s.purged,
                    crashed_writes = s.crashed_writes,
                    abandoned_uploads = s.abandoned_uploads,
                    snapshots_pruned = s.snapshots_pruned,
                    accounts_purged = s.accounts_purged,
                    exports_expired = s.exports_expired,
                    breach_reminders = s.breach_reminders,
                    role_requests_expired = s.roles.requests_expired,
                    roles_ended = s.roles.roles_ended,
                    role_reminders = s.roles.reminders,
                    "sweep"
                );
                state.wake_jobs();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweep failed; retrying next round"),
        }
        tokio::time::sleep(every).await;
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// assets purged from the trash
    pub purged: u64,
    /// blobs of crashed or abandoned writes deleted
    pub crashed_writes: u64,
    /// resumable uploads dropped
    pub abandoned_uploads: u64,
    /// catalog snapshots past their retention deleted
    pub snapshots_pruned: u64,
    /// deleted accounts purged (grace period over)
    pub accounts_purged: u64,
    /// exports past their time deleted
    pub exports_expired: u64,
    /// confirmed breaches whose security officers were reminded
    pub breach_reminders: u64,
    /// role requests lapsed, roles ended, bounded and reminded of
    pub roles: crate::accounts::grant_terms::Swept,
    /// a scheduled access review opened
    pub review_opened: bool,
}

/// One sweep.
pub async fn sweep_once(
    state: &AppState,
) -> Result<Swept, Box<dyn std::error::Error + Send + Sync>> {
    let c = state.catalog();
    let now = now_ms();
    let mut s = Swept::default();
    let days = i64::try_from(state.config().library.trash_days).unwrap_or(30);
    s.purged = purge::purge(state, Purge::TrashedBefore(now - days * 86_400_000)).await?;
    for blob in c.expired_intents(now, BATCH).await? {
        let Ok(name) = BlobName::parse(&blob) else {
            c.clear_intent(&blob).await?;
            continue;
        };
        super::worker::drop_blob(&state.stores().primary, &name).await?;
        c.clear_intent(&blob).await?;
        s.crashed_writes += 1;
    }
    for id in c.expired_uploads(now, BATCH).await? {
        if c.delete_upload(None, &id, now).await? {
            s.abandoned_uploads += 1;
        }
    }
    s.exports_expired = crate::library::export::sweep(state, None).await?;
    s.accounts_purged = crate::accounts::deletion::purge_due(state).await?;
    s.breach_reminders = crate::incidents::notify::reminders(state).await?;
    s.roles = crate::accounts::grant_terms::sweep(state).await?;
    s.review_opened = crate::accounts::reviews::sweep(state).await?;
    c.expire_recoveries(now / 1000).await?;
    crate::accounts::throttle::prune(state).await?;
    // Pages of rows deleted since the last round (purged assets' job rows,
    // ended sessions) leave the write-ahead log.
    c.shred_deleted_rows().await?;
    // The backup store being down must not stop the rest of the sweep.
    match crate::backup::retention::prune(state).await {
        Ok(n) => s.snapshots_pruned = n as u64,
        Err(e) => tracing::warn!(error = %e, "snapshot retention skipped this round"),
    }
    Ok(s)
}
