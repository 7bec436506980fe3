//! SHA-256 of a stream on its own thread: an upload hashes its plaintext
//! for the content index, and at ≈ 1.9 GB/s a 1 GiB file would hold the
//! request's task for over half a second. The bytes are copied into
//! batches of [`BATCH`] bytes that go through a short bounded channel
//! (back-pressure, bounded memory) to a blocking thread that hashes while
//! the task encrypts and writes, then wipes the batch and gives it back to
//! a small pool. The copy lets the request's read buffer go as soon as the
//! task has encrypted a piece: holding the pieces themselves until they
//! were hashed made hyper allocate a new read buffer every few hundred KiB
//! (7–13 MiB of new pages per 256 MiB upload, docs/benchmarks.md, twelfth
//! pass).
//! (The ciphertext's checksum is BLAKE3, cheap enough to run inline: see
//! [`crate::checksum`].) A hash can stop part-way and go on later
//! ([`Sha256Offload::pause`], [`Sha256Offload::resume`]): a resumable upload
//! hashes each piece as it arrives instead of all of them at the end.
//! A batch wipes itself wherever it is dropped, and its `Debug` shows its
//! length, never its bytes.

use pixelunion_vault::Sha256Stream;
use tokio::sync::{mpsc, oneshot};
use zeroize::Zeroize as _;

/// Bytes gathered before a hand-over (one wake-up of the hashing thread).
pub const BATCH: usize = 1 << 20;
/// Batches waiting for the hashing thread at most.
const QUEUED: usize = 4;
/// Batches kept for reuse, wiped (they held plaintext).
static BATCHES: crate::pool::Pool = crate::pool::Pool::new(8);

/// A batch of plaintext on its way to the hashing thread. It wipes itself
/// when dropped, wherever that happens: after it was hashed, in a hand-over
/// that was cancelled or refused (the thread stopped), or still gathering
/// in a hash dropped part-way (an upload that failed or was cut).
#[derive(Default)]
struct Batch(Vec<u8>);

impl Batch {
    /// Wipes the bytes and gives the buffer back to the pool.
    fn recycle(mut self) {
        self.0.as_mut_slice().zeroize();
        BATCHES.give(std::mem::take(&mut self.0));
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // (the slice's bulk wipe: `Vec`'s own goes a byte at a time)
        self.0.as_mut_slice().zeroize();
    }
}

/// Its length only, never its bytes.
impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Batch({} bytes)", self.0.len())
    }
}

/// The feeding end; [`Sha256Offload::finish`] gives the digest.
#[derive(Debug)]
pub struct Sha256Offload {
    tx: mpsc::Sender<Batch>,
    pending: Batch,
    done: oneshot::Receiver<Sha256Stream>,
}

/// The hashing thread stopped before the end (it panicked or the runtime
/// is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the hashing thread stopped")]
pub struct HashStopped;

impl Sha256Offload {
    /// Starts the hashing thread (on the runtime's blocking pool).
    pub fn start() -> Self {
        Self::resume(Sha256Stream::default())
    }

    /// Starts the hashing thread from `h`, a hash [`paused`](Self::pause)
    /// earlier: what is added goes on after the bytes `h` has seen.
    pub fn resume(mut h: Sha256Stream) -> Self {
        let (tx, mut rx) = mpsc::channel::<Batch>(QUEUED);
        let (done_tx, done) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            while let Some(batch) = rx.blocking_recv() {
                h.update(&batch.0);
                batch.recycle();
            }
            let _ = done_tx.send(h);
        });
        Sha256Offload {
            tx,
            pending: Batch::default(),
            done,
        }
    }

    /// Adds `b` (hashed in order); waits only when the thread is behind.
    pub async fn update(&mut self, b: &[u8]) -> Result<(), HashStopped> {
        let mut rest = b;
        while !rest.is_empty() {
            let pending = &mut self.pending.0;
            if pending.capacity() == 0 {
                *pending = BATCHES.take(BATCH);
            }
            let take = (BATCH - pending.len()).min(rest.len());
            pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if pending.len() >= BATCH {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), HashStopped> {
        if self.pending.0.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        self.tx.send(batch).await.map_err(|_| HashStopped)
    }

    /// The digest of everything added.
    pub async fn finish(self) -> Result<[u8; 32], HashStopped> {
        Ok(self.pause().await?.finish())
    }

    /// Stops the thread and gives back the hash of everything added so
    /// far, to [`resume`](Self::resume) with more bytes later.
    pub async fn pause(mut self) -> Result<Sha256Stream, HashStopped> {
        self.flush().await?;
        let Sha256Offload { tx, done, .. } = self;
        drop(tx);
        done.await.map_err(|_| HashStopped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_digest_is_sha256_of_the_bytes_in_order() {
        let data: Vec<u8> = (0..5_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = Sha256Offload::start();
        // uneven pieces, some empty, across several batches
        let mut at = 0;
        for (i, n) in [0usize, 1, 16_384, 999_999, 3, 2_000_000]
            .iter()
            .cycle()
            .enumerate()
        {
            if at >= data.len() || i > 10_000 {
                break;
            }
            let end = (at + n).min(data.len());
            h.update(&data[at..end]).await.unwrap();
            at = end;
        }
        assert_eq!(at, data.len());
        assert_eq!(h.finish().await.unwrap(), pixelunion_vault::sha256(&data));
        let empty = Sha256Offload::start().finish().await.unwrap();
        assert_eq!(empty, pixelunion_vault::sha256(b""));
    }

    #[tokio::test]
    async fn its_debug_form_shows_no_plaintext() {
        let mut h = Sha256Offload::start();
        h.update(b"GPS 46.2044 6.1432").await.unwrap();
        let shown = format!("{h:?}");
        assert!(shown.contains("Batch(18 bytes)"), "{shown}");
        // neither the text nor its bytes as numbers (`Vec<u8>`'s Debug)
        assert!(
            !shown.contains("GPS") && !shown.contains("71, 80, 83"),
            "{shown}"
        );
        assert_eq!(
            h.finish().await.unwrap(),
            pixelunion_vault::sha256(b"GPS 46.2044 6.1432")
        );
    }

    #[tokio::test]
    async fn a_paused_hash_goes_on_where_it_stopped() {
        let data: Vec<u8> = (0..3_000_001u32).map(|i| (i * 13 % 253) as u8).collect();
        // cut inside a SHA-256 block and inside a batch, and once with nothing added
        let cuts = [0usize, 1, 63, 1_048_577, 1_048_577, 2_999_999, data.len()];
        let mut h = Sha256Offload::start();
        for w in cuts.windows(2) {
            h.update(&data[w[0]..w[1]]).await.unwrap();
            h = Sha256Offload::resume(h.pause().await.unwrap());
        }
        assert_eq!(h.finish().await.unwrap(), pixelunion_vault::sha256(&data));
        // a hash paused with bytes still pending hashes them first
        let mut h = Sha256Offload::start();
        h.update(b"abc").await.unwrap();
        let paused = h.pause().await.unwrap();
        assert_eq!(paused.finish(), pixelunion_vault::sha256(b"abc"));
    }
}
