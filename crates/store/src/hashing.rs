//! SHA-256 of a stream on its own thread: an upload hashes its plaintext
//! for the content index, and at ≈ 1.9 GB/s a 1 GiB file would hold the
//! request's task for over half a second. Batches of at least [`BATCH`]
//! bytes go through a short bounded channel (back-pressure, bounded memory)
//! to a blocking thread that hashes while the task encrypts and writes.
//! (The ciphertext's checksum is BLAKE3, cheap enough to run inline: see
//! [`crate::checksum`].)

use bytes::Bytes;
use pixelunion_vault::Sha256Stream;
use tokio::sync::{mpsc, oneshot};

/// Bytes gathered before a hand-over (one wake-up of the hashing thread).
pub const BATCH: usize = 1 << 20;
/// Batches waiting for the hashing thread at most.
const QUEUED: usize = 4;

/// The feeding end; [`Sha256Offload::finish`] gives the digest.
#[derive(Debug)]
pub struct Sha256Offload {
    tx: mpsc::Sender<Vec<Bytes>>,
    pending: Vec<Bytes>,
    pending_len: usize,
    done: oneshot::Receiver<[u8; 32]>,
}

/// The hashing thread stopped before the end (it panicked or the runtime
/// is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the hashing thread stopped")]
pub struct HashStopped;

impl Sha256Offload {
    /// Starts the hashing thread (on the runtime's blocking pool).
    pub fn start() -> Self {
        let (tx, mut rx) = mpsc::channel::<Vec<Bytes>>(QUEUED);
        let (done_tx, done) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let mut h = Sha256Stream::default();
            while let Some(batch) = rx.blocking_recv() {
                for b in &batch {
                    h.update(b);
                }
            }
            let _ = done_tx.send(h.finish());
        });
        Sha256Offload {
            tx,
            pending: Vec::new(),
            pending_len: 0,
            done,
        }
    }

    /// Adds `b` (hashed in order); waits only when the thread is behind.
    pub async fn update(&mut self, b: Bytes) -> Result<(), HashStopped> {
        self.pending_len += b.len();
        self.pending.push(b);
        if self.pending_len >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), HashStopped> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.pending_len = 0;
        let batch = std::mem::take(&mut self.pending);
        self.tx.send(batch).await.map_err(|_| HashStopped)
    }

    /// The digest of everything added.
    pub async fn finish(mut self) -> Result<[u8; 32], HashStopped> {
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
            h.update(Bytes::copy_from_slice(&data[at..end]))
                .await
                .unwrap();
            at = end;
        }
        assert_eq!(at, data.len());
        assert_eq!(h.finish().await.unwrap(), pixelunion_vault::sha256(&data));
        let empty = Sha256Offload::start().finish().await.unwrap();
        assert_eq!(empty, pixelunion_vault::sha256(b""));
    }
}
