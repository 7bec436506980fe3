//! What serving keeps of objects between requests, so that a repeated read
//! skips store round trips: the header and size of objects opened for Range
//! reads, and the whole ciphertext of small objects (thumbnails, previews).
//! Objects never change once written (names are never reused), so nothing
//! kept can go stale; a deleted object is forgotten. Only ciphertext is
//! kept — never a key, never plaintext — and both caches are bounded.

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::encrypted::EncryptedObject;

/// Headers kept for Range reads (a few hundred bytes each).
pub(crate) const HEADERS_KEPT: usize = 4096;
/// Largest object whose ciphertext is kept whole.
pub(crate) const SMALL_MAX: usize = 1 << 20;
/// Total ciphertext kept, in bytes.
pub(crate) const SMALL_BUDGET: u64 = 64 << 20;

/// Weighs a kept ciphertext by its length (at least 1).
#[derive(Debug, Clone, Copy)]
struct ByLen;

impl Weighter<String, Bytes> for ByLen {
    fn weight(&self, _key: &String, val: &Bytes) -> u64 {
        (val.len() as u64).max(1)
    }
}

/// The two bounded caches of one store, keyed by object path.
#[derive(Debug)]
pub(crate) struct Kept {
    headers: Cache<String, EncryptedObject>,
    small: Cache<String, Bytes, ByLen>,
}

impl Default for Kept {
    fn default() -> Self {
        Kept {
            headers: Cache::new(HEADERS_KEPT),
            small: Cache::with_weighter((SMALL_BUDGET / (32 << 10)) as usize, SMALL_BUDGET, ByLen),
        }
    }
}

impl Kept {
    pub(crate) fn header(&self, path: &str) -> Option<EncryptedObject> {
        self.headers.get(path)
    }

    pub(crate) fn keep_header(&self, path: String, o: EncryptedObject) {
        self.headers.insert(path, o);
    }

    pub(crate) fn small(&self, path: &str) -> Option<Bytes> {
        self.small.get(path)
    }

    /// Keeps `ciphertext` if it is small enough; larger objects are not kept.
    pub(crate) fn keep_small(&self, path: String, ciphertext: Bytes) {
        if ciphertext.len() <= SMALL_MAX {
            self.small.insert(path, ciphertext);
        }
    }

    pub(crate) fn forget(&self, path: &str) {
        self.headers.remove(path);
        self.small.remove(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_ciphertexts_are_kept_within_the_budget() {
        let k = Kept::default();
        k.keep_small("a".into(), Bytes::from(vec![1u8; 100]));
        k.keep_small("big".into(), Bytes::from(vec![0u8; SMALL_MAX + 1]));
        assert_eq!(k.small("a").as_deref(), Some(&[1u8; 100][..]));
        assert!(k.small("big").is_none(), "larger objects are not kept");
        // Far more than the budget: what is kept stays within it.
        for i in 0..200 {
            k.keep_small(format!("o{i}"), Bytes::from(vec![0u8; SMALL_MAX]));
        }
        let kept: u64 = (0..200)
            .filter_map(|i| k.small(&format!("o{i}")))
            .map(|b| b.len() as u64)
            .sum();
        assert!(kept > 0 && kept <= SMALL_BUDGET, "{kept}");
        k.forget("a");
        assert!(k.small("a").is_none());
    }
}
