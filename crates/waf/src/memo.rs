//! Remembered verdicts of a request's values. A browser sends the same
//! User-Agent, Accept, Sec-Ch-Ua and session cookie on every request, and a
//! player seeking in a video asks for the same path again and again; the
//! rules that match such a value depend only on the value, its source (and
//! header or cookie name) and the rule file, so they are worked out once
//! and remembered as a set of rule indices (exclusions, which depend on the
//! request's path, are applied afterwards, every time). Text bodies and
//! arguments' values, which may be a user's own words, are never
//! remembered: a remembered value is answered sooner, and the difference
//! would tell another client that someone sent the same words.
//!
//! Only a 128-bit keyed hash of each value is kept (two SipHash keys drawn
//! at start) — never the value, which may be a session token. The memory is
//! bounded: at [`CAPACITY`] entries it is emptied (an attacker varying
//! values only costs the time the memo would have saved).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, Mutex};

/// Most values remembered.
pub const CAPACITY: usize = 4096;

/// A value's key: a 128-bit keyed hash.
pub type Key = (u64, u64);

/// The rules a value matched, as a bit set of rule indices.
pub type RuleBits = Arc<[u64]>;

/// The memo of one engine.
pub struct Memo {
    keys: (RandomState, RandomState),
    map: Mutex<HashMap<Key, RuleBits>>,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo").field("values", &self.len()).finish()
    }
}

impl Default for Memo {
    fn default() -> Self {
        Memo {
            keys: (RandomState::new(), RandomState::new()),
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl Memo {
    /// The key of a value of source `kind` named `name`.
    pub fn key(&self, kind: u16, name: &str, value: &str) -> (u64, u64) {
        let one = |s: &RandomState| {
            let mut h = s.build_hasher();
            h.write_u16(kind);
            h.write(name.as_bytes());
            h.write_u8(0xff);
            h.write(value.as_bytes());
            h.finish()
        };
        (one(&self.keys.0), one(&self.keys.1))
    }

    /// The rule set remembered for `key`.
    pub fn get(&self, key: (u64, u64)) -> Option<Arc<[u64]>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&key).cloned()
    }

    /// Remembers `rules` (a bit set of rule indices) for `key`.
    pub fn put(&self, key: (u64, u64), rules: Arc<[u64]>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key, rules);
    }

    /// Forgets everything (benchmarks of a cold start).
    pub fn clear(&self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// How many values are remembered.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether bit `i` is set.
pub fn has(set: &[u64], i: usize) -> bool {
    set.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_source_name_and_value_and_the_memo_stays_bounded() {
        let m = Memo::default();
        assert_ne!(m.key(8, "ab", "c"), m.key(8, "a", "bc"));
        assert_ne!(m.key(8, "a", "b"), m.key(16, "a", "b"));
        assert_eq!(m.key(8, "a", "b"), m.key(8, "a", "b"));
        for i in 0..CAPACITY + 10 {
            m.put(m.key(8, "x", &i.to_string()), Arc::from(vec![1u64]));
        }
        assert!(m.len() <= CAPACITY);
        let k = m.key(8, "x", "last");
        m.put(k, Arc::from(vec![0b100u64]));
        let set = m.get(k).unwrap();
        assert!(has(&set, 2) && !has(&set, 1) && !has(&set, 64));
        m.clear();
        assert!(m.is_empty());
    }
}
