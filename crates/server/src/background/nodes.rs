//! This node in the catalog's list of running nodes: every few seconds it
//! writes whether it serves (holds the key), reads how many nodes serve,
//! and hands that count to the request rate limits, which each serving
//! node enforces a share of. Its row is removed when it stops (and by the
//! others once it has been silent, if it died).

use std::time::Duration;

use crate::AppState;
use crate::clock::now_ms;

/// How often a node says it is there.
const EVERY: Duration = Duration::from_secs(5);
/// A node silent this long no longer counts.
const SILENT_MS: i64 = 15_000;
/// A node silent this long is forgotten.
const GONE_MS: i64 = 120_000;

/// Runs until the runtime stops.
pub(super) async fn heartbeat(state: AppState) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        beat(&state).await;
    }
}

/// One beat: write this node's row, count the serving nodes.
pub async fn beat(state: &AppState) {
    let c = state.catalog();
    let now = now_ms();
    let serving = !state.keys().is_sealed();
    if let Err(e) = c.node_heartbeat(state.node_id(), now, serving).await {
        tracing::warn!(error = %e, "could not record this node in the catalog");
        return;
    }
    match c.serving_nodes(now - SILENT_MS, now - GONE_MS).await {
        Ok(n) => {
            // this node counts itself while it serves, whatever was read
            let n = u32::try_from(n).unwrap_or(u32::MAX).max(u32::from(serving));
            state.limits().set_nodes(n);
        }
        Err(e) => tracing::warn!(error = %e, "could not count the serving nodes"),
    }
}
