//! What serving keeps of objects between requests: the header and size of
//! objects opened for reading by ranges, so that a repeated Range read
//! skips two store round trips, and the whole ciphertext of small objects
//! served whole (thumbnails, previews), so that a grid of thumbnails asked
//! again is not read from the store again. Objects never change once
//! written (names are never reused), so nothing kept can go stale; a
//! deleted object is forgotten. Only ciphertext is kept — headers and
//! sealed bytes as the store holds them, never a key, never plaintext — in
//! bounded caches.

use bytes::Bytes;
use quick_cache::sync::Cache;

use crate::encrypted::EncryptedObject;

/// Headers kept for Range reads (a few hundred bytes each).
pub(crate) const HEADERS_KEPT: usize = 4096;

/// Bytes of small objects' ciphertext kept (the least recently used go
/// first): some thousands of thumbnails, or a few hundred previews.
pub(crate) const SMALL_BYTES_KEPT: u64 = 32 << 20;

/// Largest object whose ciphertext is kept whole.
pub(crate) const SMALL_KEPT_MAX: usize = 1 << 20;

/// Weighs a kept object by its length.
#[derive(Debug, Clone, Copy)]
struct ByLength;

impl quick_cache::Weighter<String, Bytes> for ByLength {
    fn weight(&self, _: &String, bytes: &Bytes) -> u64 {
        // (at least 1: an item of weight 0 would never be evicted)
        (bytes.len() as u64).max(1)
    }
}

/// The bounded caches of one store, keyed by object path.
#[derive(Debug)]
pub(crate) struct Kept {
    headers: Cache<String, EncryptedObject>,
    small: Cache<String, Bytes, ByLength>,
}

impl Default for Kept {
    fn default() -> Self {
        Kept {
            headers: Cache::new(HEADERS_KEPT),
            // (the item estimate sizes the table: thumbnails of ~20 KiB)
            small: Cache::with_weighter(
                (SMALL_BYTES_KEPT / (20 << 10)) as usize,
                SMALL_BYTES_KEPT,
                ByLength,
            ),
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

    /// The ciphertext of a small object served whole, if kept.
    pub(crate) fn small(&self, path: &str) -> Option<Bytes> {
        self.small.get(path)
    }

    /// Keeps the ciphertext of a small object served whole (one that
    /// decrypted: what is kept is authentic). Larger objects are not kept.
    pub(crate) fn keep_small(&self, path: String, ciphertext: Bytes) {
        if ciphertext.len() <= SMALL_KEPT_MAX {
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
    fn small_objects_are_kept_within_their_byte_bound_and_large_ones_not_at_all() {
        let kept = Kept::default();
        let mib = Bytes::from(vec![7u8; SMALL_KEPT_MAX]);
        for i in 0..48 {
            kept.keep_small(format!("o{i}"), mib.clone());
        }
        assert!(kept.small.weight() <= SMALL_BYTES_KEPT, "over its bound");
        assert!(
            kept.small.weight() >= SMALL_BYTES_KEPT / 2,
            "kept too little"
        );
        assert_eq!(
            kept.small("o47").as_deref(),
            Some(&mib[..]),
            "the newest kept"
        );
        kept.keep_small("over".into(), Bytes::from(vec![1u8; SMALL_KEPT_MAX + 1]));
        assert!(
            kept.small("over").is_none(),
            "an object over the limit is not kept"
        );
        kept.forget("o47");
        assert!(kept.small("o47").is_none());
    }
}
