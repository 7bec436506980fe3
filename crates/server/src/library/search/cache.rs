//! The search indexes a node keeps in memory, per user: kept for [`TTL`]
//! and while the library's revision in the catalog is the one they were
//! built at, forgotten at once on this node's own change, and all of them
//! when the node seals.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{Index, KEPT, TTL};

/// The indexes in memory, per user.
#[derive(Debug)]
pub struct Cache {
    inner: Mutex<HashMap<String, Arc<Index>>>,
    /// how many times the libraries of the users sharing a stripe changed
    /// (an index built while its owner's stripe moved is used once, never
    /// kept): a fixed array, so memory does not grow with the users who
    /// ever changed something; two users on one stripe only cost a rebuild
    changes: [AtomicU64; STRIPES],
    /// which stripe a user is on
    stripe_of: RandomState,
    /// how many times every index was dropped (sealing)
    clears: AtomicU64,
    /// one build at a time
    pub(super) building: tokio::sync::Semaphore,
}

impl Default for Cache {
    fn default() -> Self {
        Cache {
            inner: Mutex::new(HashMap::new()),
            changes: std::array::from_fn(|_| AtomicU64::new(0)),
            stripe_of: RandomState::new(),
            clears: AtomicU64::new(0),
            building: tokio::sync::Semaphore::new(1),
        }
    }
}

/// Change counters kept (see [`Cache::changes`]).
const STRIPES: usize = 256;

impl Cache {
    fn stripe(&self, user: &str) -> &AtomicU64 {
        let i = usize::try_from(self.stripe_of.hash_one(user)).unwrap_or(0) % STRIPES;
        &self.changes[i]
    }

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

    /// How many times `user`'s library (or another on its stripe) changed
    /// or every index was dropped, since this process began.
    pub(super) fn changes(&self, user: &str) -> u64 {
        self.stripe(user).load(Ordering::SeqCst) + self.clears.load(Ordering::SeqCst)
    }

    /// Forgets `user`'s index (their library changed).
    pub fn forget(&self, user: &str) {
        self.stripe(user).fetch_add(1, Ordering::SeqCst);
        if let Ok(mut g) = self.inner.lock() {
            g.remove(user);
        }
    }

    /// Forgets every index (sealing).
    pub fn clear(&self) {
        // an index being built now is not kept either
        self.clears.fetch_add(1, Ordering::SeqCst);
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
        let nobody = c.changes("nobody");
        assert!(nobody >= 2, "for everyone: two seals so far");
        let moved = (0..10_000)
            .filter(|n| {
                let u = format!("user{n}");
                let before = c.changes(&u);
                c.forget("u4");
                c.changes(&u) != before
            })
            .count();
        assert!(
            moved < 200,
            "another user's change rarely moves one's counter ({moved} of 10,000)"
        );
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
