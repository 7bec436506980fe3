//! Streamed writes into a local store that keep the disk busy while the
//! bytes arrive.
//!
//! object_store's local multipart upload leaves everything in the page
//! cache until the final sync: for a 1 GiB upload the disk then writes the
//! whole gigabyte *after* the last byte arrived, doubling the time before
//! the answer. Here a thread of its own writes the batches into a staging
//! file and, every [`KICK`] bytes, asks the kernel to start writing back
//! what it has (`posix_fadvise(DONTNEED)`, which also drops those pages
//! from the cache once they are clean: an upload does not push the rest of
//! the cache out). The final `fdatasync` has little left to do; then the
//! staging file is renamed into place, and the caller syncs the
//! directories ([`BlobStore::make_durable`](crate::BlobStore)).
//!
//! The staging file is named like object_store's own (`NAME#DIGITS`), so a
//! listing of the store never shows it; on any failure, or if the writer
//! goes away before [`LocalSink::finish`], it is removed.

use std::io::Write as _;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

/// Bytes written between two requests to start write-back.
const KICK: u64 = 8 << 20;
/// Batches waiting for the writing thread at most (each ≈ 1 MiB).
const QUEUED: usize = 4;

enum Msg {
    Data(Bytes),
    Finish,
}

/// The feeding end of a local streamed write.
#[derive(Debug)]
pub(crate) struct LocalSink {
    tx: mpsc::Sender<Msg>,
    done: oneshot::Receiver<std::io::Result<()>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Data(b) => write!(f, "Data({} bytes)", b.len()),
            Msg::Finish => f.write_str("Finish"),
        }
    }
}

impl LocalSink {
    /// Starts writing a new object at `dest` (on the blocking pool).
    pub(crate) fn start(dest: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel(QUEUED);
        let (done_tx, done) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let _ = done_tx.send(write_staged(&dest, rx));
        });
        LocalSink { tx, done }
    }

    /// Appends `b`; waits only when the writing thread is behind.
    pub(crate) async fn put(&mut self, b: Bytes) -> std::io::Result<()> {
        if self.tx.send(Msg::Data(b)).await.is_ok() {
            return Ok(());
        }
        // The thread stopped early: its error says why.
        Err(self.stopped().await)
    }

    async fn stopped(&mut self) -> std::io::Error {
        match (&mut self.done).await {
            Ok(Err(e)) => e,
            _ => std::io::Error::other("the writing thread stopped"),
        }
    }

    /// Syncs the data and renames the staging file into place.
    pub(crate) async fn finish(mut self) -> std::io::Result<()> {
        if self.tx.send(Msg::Finish).await.is_err() {
            return Err(self.stopped().await);
        }
        self.done
            .await
            .map_err(|_| std::io::Error::other("the writing thread stopped"))?
    }

    /// Gives up: the staging file is removed, nothing becomes visible.
    pub(crate) async fn abort(self) {
        let LocalSink { tx, done } = self;
        drop(tx);
        let _ = done.await;
    }
}

/// The staging file for `dest`: `DEST#DIGITS`, created new (parents too).
fn create_staged(dest: &Path) -> std::io::Result<(std::fs::File, PathBuf)> {
    loop {
        let mut name = dest.as_os_str().to_owned();
        name.push(format!(
            "#{}",
            uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000
        ));
        let staged = PathBuf::from(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
        {
            Ok(f) => return Ok((f, staged)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match dest.parent() {
                Some(dir) => std::fs::create_dir_all(dir)?,
                None => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
}

fn write_staged(dest: &Path, mut rx: mpsc::Receiver<Msg>) -> std::io::Result<()> {
    let (mut file, staged) = create_staged(dest)?;
    let result = (|| {
        let (mut written, mut kicked) = (0u64, 0u64);
        loop {
            match rx.blocking_recv() {
                Some(Msg::Data(b)) => {
                    file.write_all(&b)?;
                    written += b.len() as u64;
                    if written - kicked >= KICK {
                        start_write_back(&file, kicked, written - kicked);
                        kicked = written;
                    }
                }
                Some(Msg::Finish) => {
                    file.sync_data()?;
                    return std::fs::rename(&staged, dest);
                }
                None => return Err(std::io::Error::other("the write was abandoned")),
            }
        }
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    result
}

/// Asks the kernel to start writing bytes `at..at+len` back (without
/// waiting for it). Only a hint: where it is not supported, the final sync
/// does all the work, as before.
fn start_write_back(file: &std::fs::File, at: u64, len: u64) {
    let Some(len) = NonZeroU64::new(len) else {
        return;
    };
    let _ = rustix::fs::fadvise(file, at, Some(len), rustix::fs::Advice::DontNeed);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(i: usize) -> Bytes {
        Bytes::from(vec![(i % 251) as u8; 700_001 + i])
    }

    #[tokio::test]
    async fn a_finished_write_holds_every_byte_in_order_and_no_staging_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("ab/cd/object");
        let mut sink = LocalSink::start(dest.clone());
        let mut want = Vec::new();
        for i in 0..20 {
            let p = piece(i);
            want.extend_from_slice(&p);
            sink.put(p).await.unwrap();
        }
        sink.finish().await.unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), want);
        let names: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("object")]);
    }

    #[tokio::test]
    async fn an_aborted_or_dropped_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for abort in [true, false] {
            let dest = dir.path().join("object");
            let mut sink = LocalSink::start(dest.clone());
            sink.put(piece(1)).await.unwrap();
            if abort {
                sink.abort().await;
            } else {
                drop(sink);
            }
            // the thread removes its file once it sees the end
            for _ in 0..200 {
                if std::fs::read_dir(dir.path()).unwrap().next().is_none() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        }
    }

    #[tokio::test]
    async fn a_write_that_cannot_start_says_why() {
        let dir = tempfile::tempdir().unwrap();
        // a file where the object's directory should be
        std::fs::write(dir.path().join("blocker"), b"x").unwrap();
        let mut sink = LocalSink::start(dir.path().join("blocker/object"));
        let put = sink.put(piece(0)).await;
        let err = match put {
            Err(e) => e,
            Ok(()) => sink.finish().await.unwrap_err(),
        };
        assert_ne!(err.to_string(), "the writing thread stopped");
    }
}
