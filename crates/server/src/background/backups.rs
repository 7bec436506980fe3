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
