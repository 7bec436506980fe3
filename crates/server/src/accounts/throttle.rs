//! Login and MFA throttling: per client address and per account, exponential
//! backoff after 5 failures (1 s doubling, capped at 15 minutes), forgotten
//! after success or after the cap has passed — so an attacker can slow down
//! guesses against an account but cannot lock its owner out for long.
//!
//! The counts live in the catalog, so every node behind a load balancer
//! sees the same ones: a guesser gains nothing by landing on another node.
//! Keys ("ip:…", "acct:…", "link:…") are stored as the keyring's blind
//! index, never as addresses. When the count cannot be read (the catalog
//! is down, the node sealed), the attempt is refused for a second rather
//! than let through unthrottled.

use std::time::Duration;

use crate::AppState;
use crate::clock::now_ms;

const FREE_FAILURES: i64 = 5;
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const DOMAIN: &str = "throttle";

fn delay(failures: i64) -> Duration {
    if failures < FREE_FAILURES {
        Duration::ZERO
    } else {
        let doublings = u32::try_from((failures - FREE_FAILURES).min(10)).unwrap_or(10);
        Duration::from_secs(1u64 << doublings).min(MAX_DELAY)
    }
}

/// Counts older than this start again (and are pruned by the sweeper).
fn forget_after() -> Duration {
    MAX_DELAY * 2
}

/// Removes the counts nobody is waiting on any more (the sweeper).
pub async fn prune(state: &AppState) -> pixelunion_catalog::Result<u64> {
    state
        .catalog()
        .throttle_prune(now_ms().saturating_sub(max_ms(forget_after())))
        .await
}

fn max_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The stored form of `key`: its blind index (`None` while sealed).
fn stored(state: &AppState, key: &str) -> Option<Vec<u8>> {
    match state
        .keys()
        .with_keyring(|k| k.blind_index(DOMAIN, key.as_bytes()))
    {
        Some(Ok(b)) => Some(b.to_bytes().to_vec()),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "throttle key could not be made");
            None
        }
        None => None,
    }
}

/// Seconds to wait before another attempt for any of `keys`, if any.
pub async fn retry_after(state: &AppState, keys: &[&str]) -> Option<u64> {
    let now = now_ms();
    let mut wait: Option<u64> = None;
    for k in keys {
        let Some(key) = stored(state, k) else {
            return Some(1);
        };
        let f = match state.catalog().throttle_failures(&key).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "throttle count unreadable: refusing the attempt for now");
                return Some(1);
            }
        };
        let Some(f) = f else { continue };
        let left = max_ms(delay(f.failures)) - now.saturating_sub(f.last_at);
        if left > 0 {
            let secs = u64::try_from((left + 999) / 1000).unwrap_or(1).max(1);
            wait = Some(wait.map_or(secs, |w| w.max(secs)));
        }
    }
    wait
}

/// Records a failure for every key.
pub async fn failure(state: &AppState, keys: &[&str]) {
    let now = now_ms();
    let forget_before = now.saturating_sub(max_ms(forget_after()));
    for k in keys {
        let Some(key) = stored(state, k) else {
            continue;
        };
        if let Err(e) = state
            .catalog()
            .throttle_failure(&key, now, forget_before)
            .await
        {
            tracing::warn!(error = %e, "a throttled failure could not be counted");
        }
    }
}

/// Clears keys after a success.
pub async fn success(state: &AppState, keys: &[&str]) {
    for k in keys {
        let Some(key) = stored(state, k) else {
            continue;
        };
        if let Err(e) = state.catalog().throttle_clear(&key).await {
            tracing::warn!(error = %e, "a throttle count could not be cleared");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_free_failures_then_doubling_capped_at_fifteen_minutes() {
        for f in 0..FREE_FAILURES {
            assert_eq!(delay(f), Duration::ZERO);
        }
        assert_eq!(delay(FREE_FAILURES), Duration::from_secs(1));
        assert_eq!(delay(FREE_FAILURES + 3), Duration::from_secs(8));
        assert_eq!(delay(1000), MAX_DELAY, "lockout is capped at 15 minutes");
        assert!(forget_after() > MAX_DELAY);
    }
}
