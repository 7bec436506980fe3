//! Large buffers kept for the next write instead of handed back to the
//! allocator.
//!
//! A streamed write seals its ciphertext into batches of about 1 MiB that
//! another thread writes and drops, and gathers direct writes in a 4 MiB
//! buffer. Freed and allocated anew for every batch, they were the largest
//! part of an upload's fresh page faults (`perf record -e page-faults`,
//! docs/benchmarks.md, twelfth pass): the allocator keeps a block freed by
//! another thread aside until the owning thread looks at it again, and
//! returns free memory to the system only a second later, so each new batch
//! touched new pages and a 256 MiB upload in pieces grew the server's
//! resident memory by 30–55 MiB. A pool reuses the same few buffers
//! whichever thread drops them.
//!
//! Only ciphertext is ever given back: the batches once sealed, the direct
//! buffers (which gather ciphertext). A pool keeps at most `max` buffers;
//! more are freed as usual.

use std::sync::Mutex;

use bytes::Bytes;

/// Buffers of one use, kept for reuse.
#[derive(Debug)]
pub(crate) struct Pool {
    kept: Mutex<Vec<Vec<u8>>>,
    max: usize,
}

impl Pool {
    pub(crate) const fn new(max: usize) -> Self {
        Pool {
            kept: Mutex::new(Vec::new()),
            max,
        }
    }

    /// An empty buffer with room for at least `cap` bytes: a kept one if
    /// there is one that large.
    pub(crate) fn take(&self, cap: usize) -> Vec<u8> {
        if let Ok(mut kept) = self.kept.lock()
            && let Some(at) = kept.iter().rposition(|b| b.capacity() >= cap)
        {
            return kept.swap_remove(at);
        }
        Vec::with_capacity(cap)
    }

    /// Keeps `b` for a later [`take`](Self::take) (emptied), or frees it if
    /// the pool is full.
    pub(crate) fn give(&self, mut b: Vec<u8>) {
        if b.capacity() == 0 {
            return;
        }
        b.clear();
        if let Ok(mut kept) = self.kept.lock()
            && kept.len() < self.max
        {
            kept.push(b);
        }
    }

    /// `b` as [`Bytes`] (no copy) that gives its buffer back to the pool
    /// once the last of its clones and slices is dropped.
    pub(crate) fn bytes(&'static self, b: Vec<u8>) -> Bytes {
        Bytes::from_owner(Returning { buf: b, pool: self })
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.kept.lock().map(|k| k.len()).unwrap_or(0)
    }
}

/// A buffer on its way back to its pool.
struct Returning {
    buf: Vec<u8>,
    pool: &'static Pool,
}

impl AsRef<[u8]> for Returning {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Returning {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_once_its_last_bytes_are_dropped_and_is_reused() {
        static POOL: Pool = Pool::new(2);
        let mut b = POOL.take(1000);
        let addr = b.as_ptr();
        b.extend_from_slice(&[7; 600]);
        let bytes = POOL.bytes(b);
        let (head, tail) = (bytes.slice(..10), bytes.slice(500..));
        assert_eq!(&bytes[..], &[7; 600][..], "no copy, same bytes");
        assert_eq!(bytes.as_ptr(), addr);
        drop(bytes);
        drop(head);
        assert_eq!(POOL.kept(), 0, "a slice still holds it");
        drop(tail);
        assert_eq!(POOL.kept(), 1);
        let again = POOL.take(1000);
        assert_eq!(again.as_ptr(), addr, "the same buffer");
        assert!(again.is_empty() && again.capacity() >= 1000);
        // too small for what is asked: a new one
        POOL.give(again);
        let larger = POOL.take(5000);
        assert!(larger.capacity() >= 5000);
        assert_eq!(POOL.kept(), 1);
    }

    #[test]
    fn a_full_pool_frees_what_it_cannot_keep() {
        static POOL: Pool = Pool::new(2);
        for _ in 0..5 {
            POOL.give(Vec::with_capacity(64));
        }
        POOL.give(Vec::new());
        assert_eq!(POOL.kept(), 2);
    }
}
