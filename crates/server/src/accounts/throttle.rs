//! Login and MFA throttling: per client address and per account, exponential
//! backoff after 5 failures (1 s doubling, capped at 15 minutes), forgotten
//! after success or after the cap has passed — so an attacker can slow down
//! guesses against an account but cannot lock its owner out for long.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FREE_FAILURES: u32 = 5;
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
struct Entry {
    failures: u32,
    last: Option<Instant>,
}

/// Failure counters by key ("ip:…", "acct:…").
#[derive(Debug, Default)]
pub struct LoginThrottle(Mutex<HashMap<String, Entry>>);

impl LoginThrottle {
    fn delay(failures: u32) -> Duration {
        if failures < FREE_FAILURES {
            Duration::ZERO
        } else {
            Duration::from_secs(1u64 << (failures - FREE_FAILURES).min(10)).min(MAX_DELAY)
        }
    }

    /// Seconds to wait before another attempt for any of `keys`, if any.
    pub fn retry_after(&self, keys: &[&str]) -> Option<u64> {
        let g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|k| g.get(*k))
            .filter_map(|e| {
                let last = e.last?;
                let wait = Self::delay(e.failures);
                let since = last.elapsed();
                (since < wait).then(|| (wait - since).as_secs().max(1))
            })
            .max()
    }

    /// Records a failure for every key.
    pub fn failure(&self, keys: &[&str]) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if g.len() > 100_000 {
            g.retain(|_, e| e.last.is_some_and(|l| l.elapsed() < MAX_DELAY));
        }
        for k in keys {
            let e = g.entry((*k).to_string()).or_default();
            if e.last.is_some_and(|l| l.elapsed() > MAX_DELAY * 2) {
                e.failures = 0;
            }
            e.failures = e.failures.saturating_add(1);
            e.last = Some(Instant::now());
        }
    }

    /// Clears keys after a success.
    pub fn success(&self, keys: &[&str]) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            g.remove(*k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_free_failures_then_backoff_capped() {
        let t = LoginThrottle::default();
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.retry_after(&["acct:a"]), None);
            t.failure(&["acct:a", "ip:1"]);
        }
        assert!(t.retry_after(&["acct:a"]).is_some());
        assert!(t.retry_after(&["ip:1"]).is_some());
        assert_eq!(
            t.retry_after(&["acct:b"]),
            None,
            "other accounts unaffected"
        );
        assert_eq!(
            LoginThrottle::delay(1000),
            MAX_DELAY,
            "lockout is capped at 15 minutes"
        );
        t.success(&["acct:a", "ip:1"]);
        assert_eq!(t.retry_after(&["acct:a", "ip:1"]), None);
    }
}
