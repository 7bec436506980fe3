//! The search indexes a node keeps in memory, per user: kept for [`TTL`]
//! and while the library's revision in the catalog is the one they were
//! built at, forgotten at once on this node's own change, and all of them
//! when the node seals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Index, KEPT, TTL};

/// The indexes in memory, per user.
#[derive(Debug)]
pub struct Cache {
    inner: Mutex<HashMap<String, Arc<Index>>>,
    /// per user, how many times the library changed (an index built while
    /// it changed is used once, never kept)
    changes: Mutex<HashMap<String, u64>>,
    /// how many times every index was dropped (sealing)
    clears: std::sync::atomic::AtomicU64,
    /// one build at a time
    pub(super) building: tokio::sync::Semaphore,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            inner: Mutex::new(HashMap::new()),
            changes: Mutex::new(HashMap::new()),
            clears: std::sync::atomic::AtomicU64::new(0),
            building: tokio::sync::Semaphore::new(1),
        }
    }
}

impl Cache {
    pub(super) fn get(&self, user: &str, rev: i64) -> Option<Arc<Index>> {
        let g = self.inner.lock().ok()?;
        g.get(user)
            .filter(|i| i.built.elapsed() < TTL && i.rev == rev)
            .cloned()
    }

    pub(super) fn put(&self, user: &str, index: Arc<Index>) {
        if let Ok(mut g) = self.inner.lock() {
            if g.len() >= KEPT {
                g.retain(|_, i| i.built.elapsed() < TTL);
                if g.len() >= KEPT
                    && let Some(oldest) = g
                        .iter()
                        .min_by_key(|(_, i)| i.built)
                        .map(|(k, _)| k.clone())
                {
                    g.remove(&oldest);
                }
            }
            g.insert(user.to_string(), index);
        }
    }

    /// How many times `user`'s library changed or every index was dropped
    /// (since this process began).
    pub(super) fn changes(&self, user: &str) -> u64 {
        let own = self
            .changes
            .lock()
            .map(|g| g.get(user).copied().unwrap_or(0))
            .unwrap_or(0);
        own + self.clears.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Forgets `user`'s index (their library changed).
    pub fn forget(&self, user: &str) {
        if let Ok(mut c) = self.changes.lock() {
            *c.entry(user.to_string()).or_default() += 1;
        }
        if let Ok(mut g) = self.inner.lock() {
            g.remove(user);
        }
    }

    /// Forgets every index (sealing).
    pub fn clear(&self) {
        // an index being built now is not kept either
        self.clears
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut g) = self.inner.lock() {
            g.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn empty() -> Index {
        Index {
            entries: Vec::new(),
            built: Instant::now(),
            rev: 0,
        }
    }

    #[test]
    fn the_cache_keeps_forgets_and_clears() {
        let c = Cache::default();
        c.put("u1", Arc::new(empty()));
        c.put("u2", Arc::new(empty()));
        assert!(c.get("u1", 0).is_some());
        c.forget("u1");
        assert!(c.get("u1", 0).is_none() && c.get("u2", 0).is_some());
        c.clear();
        assert!(c.get("u2", 0).is_none());
        let before = c.changes("u4");
        c.forget("u4");
        assert_eq!(c.changes("u4"), before + 1, "a change is counted");
        c.clear();
        assert_eq!(c.changes("u4"), before + 2, "sealing counts as a change");
        assert_eq!(c.changes("nobody"), 2, "for everyone: two seals so far");
        let old = Index {
            entries: Vec::new(),
            built: Instant::now()
                .checked_sub(TTL + Duration::from_secs(1))
                .unwrap_or_else(Instant::now),
            rev: 0,
        };
        c.put("u3", Arc::new(old));
        assert!(c.get("u3", 0).is_none(), "too old: rebuilt");
        c.put("u5", Arc::new(empty()));
        assert!(c.get("u5", 0).is_some());
        assert!(
            c.get("u5", 1).is_none(),
            "another node changed the library: rebuilt"
        );
        for n in 0..(KEPT + 5) {
            c.put(&format!("x{n}"), Arc::new(empty()));
        }
        assert!(c.inner.lock().map(|g| g.len()).unwrap_or(0) <= KEPT);
    }
}
