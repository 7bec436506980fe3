//! How long snapshots are kept: every snapshot younger than
//! `backups.keep_all_hours`, then the newest of each UTC day up to
//! `backups.keep_days` (at most 30), never more. The newest complete
//! snapshot is always kept. A snapshot whose head never arrived (a crash
//! while it was written) goes after an hour. Run by the sweeper; every
//! deletion is audited.
//!
//! For crypto-shredding this means: the wrapped key of an account deleted
//! today is gone from every snapshot `keep_days` days from now.

use std::collections::BTreeSet;

use pixelunion_store::{ListedSnapshot, SnapshotId};

use super::Result;
use crate::AppState;
use crate::clock::now_ms;
use crate::config::BackupConfig;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// The snapshots to delete now.
pub fn plan(listed: &[ListedSnapshot], now: i64, cfg: &BackupConfig) -> Vec<SnapshotId> {
    let keep_all_from = now - i64::try_from(cfg.keep_all_hours).unwrap_or(0) * HOUR_MS;
    let oldest_kept = now - i64::try_from(cfg.keep_days).unwrap_or(30) * DAY_MS;
    let newest_complete = listed.iter().filter(|s| s.complete).map(|s| &s.id).max();
    let mut days_kept = BTreeSet::new();
    let mut delete = Vec::new();
    // Newest first, so that the first snapshot seen of a day is its newest.
    let mut by_age: Vec<&ListedSnapshot> = listed.iter().collect();
    by_age.sort_by(|a, b| b.id.cmp(&a.id));
    for s in by_age {
        let at = s.id.at_ms();
        if Some(&s.id) == newest_complete {
            continue;
        }
        let keep = if !s.complete {
            at > now - HOUR_MS
        } else if at >= keep_all_from {
            true
        } else if at < oldest_kept {
            false
        } else {
            days_kept.insert(at.div_euclid(DAY_MS))
        };
        if !keep {
            delete.push(s.id.clone());
        }
    }
    delete
}

/// Deletes what [`plan`] says; returns how many snapshots went.
pub async fn prune(state: &AppState) -> Result<usize> {
    let backup = &state.stores().backup;
    let listed = backup.list_snapshots().await?;
    let doomed = plan(&listed, now_ms(), &state.config().backups);
    for id in &doomed {
        backup.delete_snapshot(id).await?;
        crate::accounts::audit(
            state,
            None,
            "backup.snapshot.prune",
            Some(id.as_str()),
            "success",
        )
        .await;
    }
    // Forget run records as old as the oldest snapshot kept.
    let horizon = now_ms() - i64::try_from(state.config().backups.keep_days).unwrap_or(30) * DAY_MS;
    state.catalog().prune_backup_runs(horizon).await?;
    Ok(doomed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(at: i64, complete: bool) -> ListedSnapshot {
        ListedSnapshot {
            id: SnapshotId::new(at),
            body_len: 10,
            complete,
        }
    }

    #[test]
    fn keeps_recent_ones_then_one_a_day_then_none() {
        let cfg = BackupConfig::default();
        let now = 100 * DAY_MS;
        let mut listed = Vec::new();
        // Every 15 minutes over 40 days.
        let mut t = now - 40 * DAY_MS;
        while t <= now {
            listed.push(snap(t, true));
            t += 15 * 60_000;
        }
        let doomed = plan(&listed, now, &cfg);
        let kept: Vec<&ListedSnapshot> =
            listed.iter().filter(|s| !doomed.contains(&s.id)).collect();
        assert!(
            kept.iter().all(|s| s.id.at_ms() >= now - 30 * DAY_MS),
            "nothing beyond 30 days"
        );
        let recent = kept
            .iter()
            .filter(|s| s.id.at_ms() >= now - 48 * HOUR_MS)
            .count();
        assert_eq!(recent, 48 * 4 + 1, "every snapshot of the last 48 hours");
        let older: Vec<i64> = kept
            .iter()
            .filter(|s| s.id.at_ms() < now - 48 * HOUR_MS)
            .map(|s| s.id.at_ms().div_euclid(DAY_MS))
            .collect();
        let days: BTreeSet<i64> = older.iter().copied().collect();
        assert_eq!(older.len(), days.len(), "one a day before that");
        assert!((27..=29).contains(&days.len()), "{}", days.len());
    }

    #[test]
    fn the_newest_complete_one_stays_and_stale_incomplete_ones_go() {
        let cfg = BackupConfig::default();
        let now = 100 * DAY_MS;
        let old = snap(now - 60 * DAY_MS, true);
        let broken_old = snap(now - 2 * HOUR_MS, false);
        let broken_new = snap(now - 60_000, false);
        let doomed = plan(
            &[old.clone(), broken_old.clone(), broken_new.clone()],
            now,
            &cfg,
        );
        assert_eq!(
            doomed,
            vec![broken_old.id],
            "the only complete one stays, however old"
        );
    }
}
