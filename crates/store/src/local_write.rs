//! Streamed writes into a local store that keep the disk busy while the
//! bytes arrive.
//!
//! object_store's local multipart upload leaves everything in the page
//! cache until the final sync: for a 1 GiB upload the disk then writes the
//! whole gigabyte *after* the last byte arrived, doubling the time before
//! the answer. Here a thread of its own writes the batches into a staging
//! file, [`DIRECT`] bytes at a time with `O_DIRECT` (from one aligned
//! buffer straight to the disk: no page cache to fill, write back and
//! drop). Where the file system refuses direct writes (tmpfs), it writes
//! through the page cache and, every [`KICK`] bytes, asks the kernel to
//! start writing back what it has (`posix_fadvise(DONTNEED)`, which also
//! drops those pages once they are clean: an upload does not push the rest
//! of the cache out). The tail that fills no whole buffer goes through the
//! page cache, and so does an object shorter than one buffer (most
//! photos), straight from the batches it came in. The final `fdatasync`
//! has little left to do (and makes the direct writes durable too: they
//! may sit in the disk's own cache); then the staging file is renamed into
//! place, and the caller syncs the directories
//! ([`BlobStore::make_durable`](crate::BlobStore)).
//!
//! The staging file is named like object_store's own (`NAME#DIGITS`), so a
//! listing of the store never shows it; on any failure, or if the writer
//! goes away before [`LocalSink::finish`], it is removed.

use std::num::NonZeroU64;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

/// Bytes written between two requests to start write-back.
const KICK: u64 = 8 << 20;
/// Bytes gathered for one direct write.
const DIRECT: usize = 4 << 20;
/// Alignment of a direct write's memory, offset and length (covers disks
/// of 512- and 4096-byte blocks).
const ALIGN: usize = 4096;
/// Batches waiting for the writing thread at most (each ≈ 1 MiB).
const QUEUED: usize = 4;
/// Direct-write buffers kept for the next writes (see [`crate::pool`]).
static DIRECT_BUFFERS: crate::pool::Pool = crate::pool::Pool::new(2);

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
    let (file, staged) = create_staged(dest)?;
    let result = (|| {
        let mut w = Writer::new(file, &staged);
        loop {
            match rx.blocking_recv() {
                Some(Msg::Data(b)) => w.write(b)?,
                Some(Msg::Finish) => {
                    w.finish()?;
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

/// One staging file being written: whole aligned buffers with `O_DIRECT`
/// while the file system takes them, everything else through the page
/// cache. Bytes are held as they came (not copied) until they fill a first
/// whole buffer: a write shorter than that (most photos) goes from the
/// request's buffers to the file in one pass, and never opens the file for
/// direct writes nor reserves a buffer.
struct Writer {
    /// the staging file, opened as usual (the tail, the fallback, the sync)
    file: std::fs::File,
    staged: PathBuf,
    /// the same file opened with `O_DIRECT`, from the first whole buffer on
    direct: Direct,
    /// the first bytes, before there is a whole buffer of them
    held: Vec<Bytes>,
    /// what is gathered for the next direct write, from `start` (an
    /// aligned address; the bytes before it are padding): its capacity,
    /// set once the first whole buffer arrives, is never exceeded, so it
    /// never moves
    buf: Vec<u8>,
    start: usize,
    /// bytes in the file
    written: u64,
    /// bytes whose write-back was asked for (page-cache writes)
    kicked: u64,
}

/// Whether direct writes are used for a staging file.
enum Direct {
    /// not tried yet (no whole buffer so far)
    Untried,
    On(std::fs::File),
    /// refused by the file system: the page cache from then on
    Off,
}

impl Writer {
    fn new(file: std::fs::File, staged: &Path) -> Self {
        Writer {
            file,
            staged: staged.to_owned(),
            direct: Direct::Untried,
            held: Vec::new(),
            buf: Vec::new(),
            start: 0,
            written: 0,
            kicked: 0,
        }
    }

    fn write(&mut self, b: Bytes) -> std::io::Result<()> {
        if self.buf.capacity() == 0 && !matches!(self.direct, Direct::Off) {
            if self.held.iter().map(Bytes::len).sum::<usize>() + b.len() < DIRECT {
                self.held.push(b);
                return Ok(());
            }
            self.buf = DIRECT_BUFFERS.take(DIRECT + ALIGN);
            self.start = self.buf.as_ptr().align_offset(ALIGN).min(ALIGN);
            self.buf.resize(self.start, 0);
            for h in std::mem::take(&mut self.held) {
                self.gather(&h)?;
            }
        }
        self.gather(&b)
    }

    /// Appends `b` to the buffer, writing it whenever it is full.
    fn gather(&mut self, mut b: &[u8]) -> std::io::Result<()> {
        while !b.is_empty() {
            if matches!(self.direct, Direct::Off) {
                return self.buffered(b);
            }
            let take = (DIRECT - self.filled()).min(b.len());
            self.buf.extend_from_slice(&b[..take]);
            b = &b[take..];
            if self.filled() == DIRECT {
                self.flush_direct()?;
            }
        }
        Ok(())
    }

    /// Bytes gathered for the next direct write.
    fn filled(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Writes the full buffer at the end of the file, directly if the
    /// file system takes it, else through the page cache from then on.
    fn flush_direct(&mut self) -> std::io::Result<()> {
        let (start, filled) = (self.start, self.filled());
        if matches!(self.direct, Direct::Untried) {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::WRONLY | OFlags::DIRECT | OFlags::CLOEXEC;
            self.direct = match rustix::fs::open(&self.staged, flags, Mode::empty()) {
                Ok(fd) => Direct::On(fd.into()),
                Err(_) => Direct::Off,
            };
        }
        if let Direct::On(d) = &self.direct {
            match d.write_all_at(&self.buf[start..], self.written) {
                Ok(()) => {
                    self.written += filled as u64;
                    self.kicked = self.written;
                    self.buf.truncate(start);
                    return Ok(());
                }
                // not for this file system after all (nothing was written)
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                    self.direct = Direct::Off;
                }
                Err(e) => return Err(e),
            }
        }
        let pending = std::mem::take(&mut self.buf);
        let wrote = self.buffered(&pending[start..]);
        DIRECT_BUFFERS.give(pending);
        wrote
    }

    fn buffered(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.file.write_all_at(b, self.written)?;
        self.written += b.len() as u64;
        if self.written - self.kicked >= KICK {
            start_write_back(&self.file, self.kicked, self.written - self.kicked);
            self.kicked = self.written;
        }
        Ok(())
    }

    /// Writes what is held or gathered (through the page cache: it fills
    /// no whole aligned buffer) and syncs the file's data.
    fn finish(mut self) -> std::io::Result<()> {
        for h in std::mem::take(&mut self.held) {
            self.buffered(&h)?;
        }
        let tail = std::mem::take(&mut self.buf);
        if let Some(t) = tail.get(self.start..).filter(|t| !t.is_empty()) {
            self.buffered(t)?;
        }
        DIRECT_BUFFERS.give(tail);
        self.file.sync_data()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        DIRECT_BUFFERS.give(std::mem::take(&mut self.buf));
    }
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

    /// Writes `pieces` through a [`Writer`] on `dir` (with `misalign` the
    /// direct writes after the first whole buffer fail as a file system
    /// without them would), returns the file's bytes, what was sent, and
    /// whether direct writes were on at the end (`None`: never tried).
    fn through_writer(
        dir: &Path,
        pieces: usize,
        misalign: bool,
    ) -> (Vec<u8>, Vec<u8>, Option<bool>) {
        let (file, staged) = create_staged(&dir.join("object")).unwrap();
        let mut w = Writer::new(file, &staged);
        let mut want = Vec::new();
        for i in 0..pieces {
            let p = piece(i);
            want.extend_from_slice(&p);
            w.write(p).unwrap();
            if misalign
                && w.written >= DIRECT as u64
                && w.start == w.buf.as_ptr().align_offset(ALIGN)
            {
                // shift what is gathered by one byte: the next direct write is misaligned
                w.buf.insert(w.start, 0);
                w.start += 1;
            }
        }
        let direct = match w.direct {
            Direct::Untried => None,
            Direct::On(_) => Some(true),
            Direct::Off => Some(false),
        };
        if direct.is_none() {
            assert_eq!(w.buf.capacity(), 0, "no buffer before a whole one's worth");
        }
        w.finish().unwrap();
        (std::fs::read(&staged).unwrap(), want, direct)
    }

    #[test]
    fn whole_buffers_go_direct_and_the_tail_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        // 20 pieces of ~700 KB: three whole buffers and a tail
        let (got, want, direct) = through_writer(dir.path(), 20, false);
        assert!(got == want, "every byte in order");
        eprintln!("direct writes on the temporary directory's file system: {direct:?}");
        assert!(direct.is_some(), "tried once a whole buffer arrived");
        // a file system refusing them part-way: the rest goes through the cache
        let (got, want, direct) = through_writer(dir.path(), 20, true);
        assert!(got == want, "every byte in order after falling back");
        assert_eq!(direct, Some(false), "fell back");
        // a write shorter than one buffer is never tried direct, nor copied
        let (got, want, direct) = through_writer(dir.path(), 5, false);
        assert!(got == want);
        assert_eq!(direct, None);
        // tmpfs (no direct writes on older kernels): the same bytes
        if Path::new("/dev/shm").is_dir() {
            let shm = tempfile::tempdir_in("/dev/shm").unwrap();
            let (got, want, _) = through_writer(shm.path(), 20, false);
            assert!(got == want, "every byte in order on tmpfs");
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
