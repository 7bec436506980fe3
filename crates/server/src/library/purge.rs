//! Deleting for good: the one purge used by "empty the trash", the
//! sweeper's expiry of old trash and (later) account deletion. Each asset's
//! row goes in the same transaction that queues its blobs' deletion from the
//! primary store and, 15 minutes later, from the backup store.

use super::Result;
use crate::AppState;
use crate::clock::now_ms;

/// Assets purged per transaction.
const BATCH: i64 = 500;

/// Which trashed assets to purge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge<'a> {
    /// everything in this owner's trash
    TrashOf(&'a str),
    /// everyone's items trashed before this time (unix ms)
    TrashedBefore(i64),
}

/// Purges in batches until nothing is left; returns how many assets went.
/// Wakes the job workers when something was queued.
pub async fn purge(state: &AppState, which: Purge<'_>) -> Result<u64> {
    let (owner, before) = match which {
        Purge::TrashOf(owner) => (Some(owner), i64::MAX),
        Purge::TrashedBefore(t) => (None, t),
    };
    let mut purged = 0;
    loop {
        let n = state
            .catalog()
            .purge_trashed(owner, before, now_ms(), BATCH)
            .await?;
        purged += n;
        if n < BATCH.unsigned_abs() {
            break;
        }
    }
    if purged > 0 {
        state.wake_jobs();
    }
    Ok(purged)
}
