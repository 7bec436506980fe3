//! What serving keeps of objects between requests: the header and size of
//! objects opened for reading by ranges, so that a repeated Range read
//! skips two store round trips, and, on a local store, the whole ciphertext
//! of small objects served whole (thumbnails, previews), so that a grid of
//! thumbnails asked again is not read again. Objects never change through
//! the store once written (names are never reused), and a deleted object
//! is forgotten. A kept ciphertext is used only while its
//! file is the one it was read from, unchanged (its [`FileStamp`], one
//! `statx`): a file damaged, replaced or removed behind the store's back is
//! read again, so that the damage is found and healed as without the cache.
//! Only ciphertext is kept — headers and sealed bytes as the store holds
//! them, never a key, never plaintext — in bounded caches.

use bytes::Bytes;
use quick_cache::sync::Cache;

use crate::encrypted::EncryptedObject;

/// Headers kept for Range reads (a few hundred bytes each).
pub(crate) const HEADERS_KEPT: usize = 4096;

/// Bytes of small objects' ciphertext kept (the least recently used go
/// first): some thousands of thumbnails, or a few hundred previews.
pub(crate) const SMALL_BYTES_KEPT: u64 = 32 << 20;

/// Largest object whose ciphertext is kept whole: the largest a local
/// store reads on the calling thread, the only objects kept.
pub(crate) const SMALL_KEPT_MAX: usize = crate::encrypted::SMALL_NOW as usize;

/// What says a local file is still the one read: its device and inode,
/// length, and modification and change times (any write moves them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileStamp {
    pub(crate) fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        FileStamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// A small object's ciphertext and the stamp of the file it was read from.
#[derive(Debug, Clone)]
pub(crate) struct KeptSmall {
    pub(crate) ciphertext: Bytes,
    pub(crate) stamp: FileStamp,
}

/// Weighs a kept object by its length.
#[derive(Debug, Clone, Copy)]
struct ByLength;

impl quick_cache::Weighter<String, KeptSmall> for ByLength {
    fn weight(&self, _: &String, kept: &KeptSmall) -> u64 {
        // (at least 1: an item of weight 0 would never be evicted)
        (kept.ciphertext.len() as u64).max(1)
    }
}

/// The bounded caches of one store, keyed by object path.
#[derive(Debug)]
pub(crate) struct Kept {
    headers: Cache<String, EncryptedObject>,
    small: Cache<String, KeptSmall, ByLength>,
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
    pub(crate) fn small(&self, path: &str) -> Option<KeptSmall> {
        self.small.get(path)
    }

    /// Keeps the ciphertext of a small object served whole (one that
    /// decrypted: what is kept is authentic), with the stamp of its file.
    /// Larger objects are not kept.
    pub(crate) fn keep_small(&self, path: String, kept: KeptSmall) {
        if kept.ciphertext.len() <= SMALL_KEPT_MAX {
            self.small.insert(path, kept);
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
        let stamp = FileStamp {
            dev: 1,
            ino: 2,
            len: 3,
            mtime: (4, 5),
            ctime: (6, 7),
        };
        let kept_of = |b: Bytes| KeptSmall {
            ciphertext: b,
            stamp,
        };
        let mib = Bytes::from(vec![7u8; SMALL_KEPT_MAX]);
        for i in 0..48 {
            kept.keep_small(format!("o{i}"), kept_of(mib.clone()));
        }
        assert!(kept.small.weight() <= SMALL_BYTES_KEPT, "over its bound");
        assert!(
            kept.small.weight() >= SMALL_BYTES_KEPT / 2,
            "kept too little"
        );
        assert_eq!(
            kept.small("o47").map(|k| k.ciphertext).as_deref(),
            Some(&mib[..]),
            "the newest kept"
        );
        kept.keep_small(
            "over".into(),
            kept_of(Bytes::from(vec![1u8; SMALL_KEPT_MAX + 1])),
        );
        assert!(
            kept.small("over").is_none(),
            "an object over the limit is not kept"
        );
        kept.forget("o47");
        assert!(kept.small("o47").is_none());
    }
}
