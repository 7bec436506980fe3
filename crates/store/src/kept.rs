//! What serving keeps of objects between requests, so that a repeated
//! Range read skips two store round trips: the header and size of objects
//! opened for reading by ranges. Objects never change once written (names
//! are never reused), so nothing kept can go stale; a deleted object is
//! forgotten. Only ciphertext headers are kept — never a key, never
//! plaintext — in a bounded cache.

use quick_cache::sync::Cache;

use crate::encrypted::EncryptedObject;

/// Headers kept for Range reads (a few hundred bytes each).
pub(crate) const HEADERS_KEPT: usize = 4096;

/// The bounded cache of one store, keyed by object path.
#[derive(Debug)]
pub(crate) struct Kept {
    headers: Cache<String, EncryptedObject>,
}

impl Default for Kept {
    fn default() -> Self {
        Kept {
            headers: Cache::new(HEADERS_KEPT),
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

    pub(crate) fn forget(&self, path: &str) {
        self.headers.remove(path);
    }
}
