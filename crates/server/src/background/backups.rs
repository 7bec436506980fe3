//! The backup schedule: a catalog snapshot every
//! `backups.snapshot_interval_minutes` while the server is unsealed (its
//! body is encrypted under the system key), and a scrub of the primary
//! store every `backups.scrub_every_hours`.

use std::time::Duration;

use crate::AppState;
use crate::backup::{heal, snapshot};

pub(super) async fn snapshots(state: AppState) {
    let every = Duration::from_secs(state.config().backups.snapshot_interval_minutes * 60);
    loop {
        tokio::time::sleep(every).await;
        snapshot::take_if_unsealed(&state, "scheduled").await;
    }
}

/// A signed checkpoint of the audit chain every `audit.checkpoint_secs`
/// (the events raised while sealed are chained first).
pub(super) async fn audit_checkpoints(state: AppState) {
    let every = Duration::from_secs(state.config().audit.checkpoint_secs);
    loop {
        tokio::time::sleep(every).await;
        crate::audit::checkpoint::tick(&state).await;
    }
}

pub(super) async fn scrubs(state: AppState) {
    let cfg = &state.config().backups;
    if cfg.scrub_mib_per_sec == 0 {
        return;
    }
    let every = Duration::from_secs(cfg.scrub_every_hours * 3600);
    let rate = cfg.scrub_mib_per_sec.saturating_mul(1 << 20);
    loop {
        tokio::time::sleep(every).await;
        match heal::scrub(&state, rate).await {
            Ok(s) => tracing::info!(
                checked = s.checked,
                repaired = s.repaired,
                unrepairable = s.unrepairable,
                "scrub done"
            ),
            Err(e) => tracing::warn!(error = %e, "scrub stopped; next round later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// A snapshot is taken every `backups.snapshot_interval_minutes` while
    /// unsealed, and none while sealed.
    #[tokio::test]
    async fn snapshots_follow_the_interval_while_unsealed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = crate::config::Config {
            data_dir: dir.path().join("data"),
            ..crate::config::Config::default()
        };
        config.backups.snapshot_interval_minutes = 1;
        let (state, _) = crate::prepare(config).await.expect("prepare");
        let count = || async {
            state
                .stores()
                .backup
                .list_snapshots()
                .await
                .expect("list")
                .iter()
                .filter(|s| s.complete)
                .count()
        };
        tokio::time::pause();
        let task = tokio::spawn(super::snapshots(state.clone()));
        // Let the first timer be armed, then jump past it.
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_secs(61)).await;
        tokio::time::resume();
        for _ in 0..100 {
            if count().await == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(count().await, 1, "one snapshot after one interval");
        state.keys().seal();
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(61)).await;
        tokio::time::resume();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(count().await, 1, "none while sealed");
        task.abort();
    }
}
