//! Unseal attempt throttling: per client address, exponential backoff after
//! failures (1 s doubling to 5 min), and a global cap on attempts per minute
//! so that many addresses cannot brute-force together.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const GLOBAL_PER_MINUTE: u32 = 60;
const MAX_BACKOFF: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
struct Inner {
    per_ip: HashMap<IpAddr, (u32, Instant)>,
    window_start: Option<Instant>,
    window_count: u32,
}

/// Throttle for unseal attempts.
#[derive(Debug, Default)]
pub struct UnsealLimiter(Mutex<Inner>);

impl UnsealLimiter {
    /// Refuses (with the seconds to wait) while `ip` is backing off or the
    /// global cap is reached.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some((failures, last)) = g.per_ip.get(&ip) {
            let wait = Duration::from_secs(1u64 << (*failures).min(9)).min(MAX_BACKOFF);
            if *failures > 0 && now.duration_since(*last) < wait {
                let secs = (wait - now.duration_since(*last)).as_secs().max(1);
                return Err(secs);
            }
        }
        match g.window_start {
            Some(s) if now.duration_since(s) < Duration::from_secs(60) => {
                if g.window_count >= GLOBAL_PER_MINUTE {
                    let left = Duration::from_secs(60).saturating_sub(now.duration_since(s));
                    return Err(left.as_secs().max(1));
                }
                g.window_count += 1;
            }
            _ => {
                g.window_start = Some(now);
                g.window_count = 1;
            }
        }
        Ok(())
    }

    /// Records a rejected share.
    pub fn failure(&self, ip: IpAddr) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let e = g.per_ip.entry(ip).or_insert((0, Instant::now()));
        e.0 = e.0.saturating_add(1);
        e.1 = Instant::now();
    }

    /// Clears an address after success.
    pub fn success(&self, ip: IpAddr) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .per_ip
            .remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_after_failure_and_reset_on_success() {
        let l = UnsealLimiter::default();
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        l.check(ip).expect("first attempt");
        l.failure(ip);
        let e = l.check(ip).expect_err("backing off");
        assert!(
            (1..=2).contains(&e),
            "waits about a second after one failure: {e}"
        );
        let other: IpAddr = "127.0.0.2".parse().expect("ip");
        l.check(other).expect("other address unaffected");
        l.success(ip);
        l.check(ip).expect("cleared");
    }

    #[test]
    fn global_cap() {
        let l = UnsealLimiter::default();
        for i in 0..GLOBAL_PER_MINUTE {
            l.check(IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]))
                .expect("under cap");
        }
        assert!(l.check("10.9.9.9".parse().expect("ip")).is_err());
    }
}
