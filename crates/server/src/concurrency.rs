//! Limits on things held at once rather than on rates: open connections per
//! client address, uploads in progress per account. A [`Slot`] is taken when
//! the thing starts and given back when it is dropped (the connection
//! closes, the upload's handler returns — also on an error or a panic).
//!
//! Owns no HTTP types: the acceptor (`connections`) and the upload handlers
//! ask for slots and answer a refusal their own way.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// How many of a thing each key may hold at once.
#[derive(Debug)]
pub struct Counter<K: Hash + Eq> {
    max: u32,
    held: Mutex<HashMap<K, u32>>,
}

/// One held place; given back on drop.
#[derive(Debug)]
pub struct Slot<K: Hash + Eq + Clone> {
    counter: Arc<Counter<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Counter<K> {
    /// A counter allowing `max` per key.
    pub fn new(max: u32) -> Arc<Self> {
        Arc::new(Counter {
            max,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// The most per key.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// A place for `key`, or `None` when it already holds the most.
    pub fn try_acquire(self: &Arc<Self>, key: K) -> Option<Slot<K>> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Slot {
            counter: self.clone(),
            key,
        })
    }

    /// What `key` holds now.
    pub fn held(&self, key: &K) -> u32 {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.get(key).copied().unwrap_or(0)
    }
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.counter.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                // keys holding nothing are forgotten: memory follows use
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_given_back_when_dropped() {
        let c = Counter::new(2);
        let a = c.try_acquire("ann").unwrap();
        let b = c.try_acquire("ann").unwrap();
        assert!(c.try_acquire("ann").is_none(), "the third is refused");
        assert!(c.try_acquire("bob").is_some(), "others are not affected");
        assert_eq!(c.held(&"ann"), 2);
        drop(a);
        let again = c.try_acquire("ann");
        assert!(again.is_some());
        drop((b, again));
        assert_eq!(c.held(&"ann"), 0);
        assert!(
            c.held.lock().unwrap().is_empty(),
            "nothing is kept for keys that hold nothing"
        );
    }
}
