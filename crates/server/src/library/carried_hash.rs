//! The content hash of a resumable upload, carried in this node's memory
//! from one PATCH to the next: each piece is hashed as it arrives, so the
//! PATCH that completes the upload needs no pass over all the parts to
//! hash them, and an upload whose bytes the owner already has is known as
//! a duplicate before anything is written again.
//!
//! An entry counts only for the exact offset it was kept at, and is taken
//! (removed) by the PATCH that continues from there. Whatever breaks the
//! chain — a PATCH that failed, one taken by another node, a restart, a
//! seal, an entry pushed out — leaves no entry for the next offset, and the
//! upload is hashed again from its parts when it is assembled. It must
//! never be written anywhere or outlive the key state: a hash state holds
//! up to 63 bytes of the content in the clear, so sealing drops them all.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pixelunion_vault::Sha256Stream;

/// Uploads whose hash is kept at once.
const KEPT: usize = 1024;
/// How long a hash waits for the next PATCH.
const TTL: Duration = Duration::from_secs(24 * 3600);

struct Entry {
    offset: u64,
    hash: Sha256Stream,
    until: Instant,
}

/// The hashes of the uploads in progress on this node, by upload id.
#[derive(Default)]
pub struct CarriedHashes {
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for CarriedHashes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarriedHashes")
            .field("uploads", &self.lock().len())
            .finish()
    }
}

impl CarriedHashes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The hash of upload `upload`'s first `offset` bytes, if this node
    /// kept it at exactly that offset. Taken: a second call finds nothing.
    pub fn take(&self, upload: &str, offset: u64) -> Option<Sha256Stream> {
        let e = self.lock().remove(upload)?;
        (e.offset == offset && e.until > Instant::now()).then_some(e.hash)
    }

    /// Keeps `hash`, the hash of upload `upload`'s first `offset` bytes,
    /// for the PATCH that continues from `offset`.
    pub fn keep(&self, upload: &str, offset: u64, hash: Sha256Stream) {
        let now = Instant::now();
        let mut m = self.lock();
        if m.len() >= KEPT && !m.contains_key(upload) {
            m.retain(|_, e| e.until > now);
            if m.len() >= KEPT
                && let Some(oldest) = m
                    .iter()
                    .min_by_key(|(_, e)| e.until)
                    .map(|(k, _)| k.clone())
            {
                m.remove(&oldest);
            }
        }
        m.insert(
            upload.to_string(),
            Entry {
                offset,
                hash,
                until: now + TTL,
            },
        );
    }

    /// Drops upload `upload`'s hash (it ended).
    pub fn forget(&self, upload: &str) {
        self.lock().remove(upload);
    }

    /// Drops every hash (sealing, shutdown).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(b: &[u8]) -> Sha256Stream {
        let mut h = Sha256Stream::default();
        h.update(b);
        h
    }

    #[test]
    fn a_hash_counts_only_at_its_offset_and_only_once() {
        let c = CarriedHashes::default();
        c.keep("u1", 3, hash_of(b"abc"));
        assert!(c.take("u1", 4).is_none(), "another offset");
        assert!(c.take("u1", 3).is_none(), "a miss drops the entry");
        c.keep("u1", 3, hash_of(b"abc"));
        assert!(c.take("u2", 3).is_none(), "another upload");
        let mut h = c.take("u1", 3).expect("kept at 3");
        h.update(b"def");
        assert_eq!(h.finish(), pixelunion_vault::sha256(b"abcdef"));
        assert!(c.take("u1", 3).is_none(), "taken once");
    }

    #[test]
    fn forgetting_and_clearing_drop_hashes() {
        let c = CarriedHashes::default();
        c.keep("u1", 1, hash_of(b"a"));
        c.keep("u2", 1, hash_of(b"b"));
        c.forget("u1");
        assert!(c.take("u1", 1).is_none());
        c.keep("u1", 1, hash_of(b"a"));
        c.clear();
        assert!(c.take("u1", 1).is_none() && c.take("u2", 1).is_none());
    }

    #[test]
    fn at_most_kept_uploads_the_oldest_pushed_out() {
        let c = CarriedHashes::default();
        c.keep("u0", 1, hash_of(b"x"));
        std::thread::sleep(Duration::from_millis(2));
        for i in 1..KEPT {
            c.keep(&format!("u{i}"), 1, hash_of(b"x"));
        }
        c.keep("last", 1, hash_of(b"x"));
        assert_eq!(c.lock().len(), KEPT);
        assert!(c.take("u0", 1).is_none(), "the oldest went");
        assert!(c.take("last", 1).is_some());
        assert!(c.take(&format!("u{}", KEPT - 1), 1).is_some());
        // keeping again for a known upload replaces, pushing nothing out
        c.keep("u5", 2, hash_of(b"xy"));
        c.keep("u5", 3, hash_of(b"xyz"));
        assert!(c.take("u5", 3).is_some());
    }
}
