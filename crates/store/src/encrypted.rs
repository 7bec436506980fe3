//! Encrypted objects: plaintext is encrypted in the vault's blob format as it
//! streams in, and only ciphertext reaches a store.

use object_store::ObjectStoreExt as _;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::WriteMultipart;
use pixelunion_vault::blob::{
    BlobEncryptor, BlobHeader, BlobLayout, HEADER_LEN, RangeDecryptor, SEGMENT_OVERHEAD,
};
use pixelunion_vault::{DataKey, ObjectId};

use crate::error::{Result, StoreError};
use crate::{BlobName, BlobStore, ObjectKey};

/// Multipart part size: S3's minimum is 5 MiB; memory in flight is bounded by
/// part size × [`MAX_PARTS_IN_FLIGHT`].
const PART_SIZE: usize = 8 << 20;
const MAX_PARTS_IN_FLIGHT: usize = 2;
/// Ciphertext gathered before it is handed to the writer and the hasher
/// (the request body arrives in pieces of a TLS record or an HTTP/2 frame).
const OUT_BATCH: usize = 1 << 20;
/// Sealed batches, given back once written (see [`crate::pool`]): enough
/// for the batches in flight of a few uploads at once.
static BATCHES: crate::pool::Pool = crate::pool::Pool::new(12);
/// A batch buffer's capacity for segments of `segment` bytes: a batch, two
/// segments (one held back by the encryptor, one over the batch's end, see
/// [`push_bounded`]) and their tags. Sealing never grows the buffer — a
/// growth copies the whole batch (2.7 % of an upload's CPU in `perf`
/// when HTTP/1.1 handed over pieces of hundreds of KiB).
fn batch_capacity(segment: usize) -> usize {
    OUT_BATCH + 2 * segment + (OUT_BATCH / segment.max(1) + 4) * SEGMENT_OVERHEAD
}

/// Encrypts the front of `rest` into `out` and moves `rest` past it: no
/// more than the batch still has room for, or one segment, so that `out`
/// stays within [`batch_capacity`] as long as the caller hands the batch
/// on once it holds [`OUT_BATCH`] bytes.
fn push_bounded(enc: &mut BlobEncryptor, rest: &mut &[u8], out: &mut Vec<u8>) -> Result<()> {
    let room = OUT_BATCH
        .saturating_sub(out.len())
        .max(enc.header().segment_size());
    let (now, later) = rest.split_at(room.min(rest.len()));
    enc.push(now, out)?;
    *rest = later;
    Ok(())
}

/// Largest object [`BlobStore::get_decrypted_for_serving`] reads on the
/// calling thread.
pub(crate) const SMALL_NOW: u64 = 1 << 20;

/// The bytes of a local store's object if it is at most [`SMALL_NOW`] long
/// (`None` if longer), read with blocking calls, with the file's stamp.
fn read_small_now(
    file: &std::path::Path,
) -> std::io::Result<Option<(Vec<u8>, crate::kept::FileStamp)>> {
    use std::io::Read;
    let f = std::fs::File::open(file)?;
    let meta = f.metadata()?;
    let len = meta.len();
    if len > SMALL_NOW {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(len as usize);
    // the length is known: no read past it to find the end (a file that
    // is shorter reads short, and its last segment fails authentication)
    f.take(len).read_to_end(&mut out)?;
    Ok(Some((out, crate::kept::FileStamp::of(&meta))))
}

/// Largest range of a local store's object [`BlobStore::read_decrypted`]
/// reads on the calling thread (the first window of an answer: its first
/// bytes then leave without a hand-off to a blocking thread and back).
const SMALL_RANGE_NOW: u64 = 256 << 10;

/// Bytes `range` of a local store's file, read with a blocking call; a
/// file shorter than the range is an error (as a store's ranged get).
///
/// Positioned reads straight into the buffer's spare capacity, usually one
/// for the whole range. (`read_to_end` through `take` has no size hint, so
/// std probes with 8 KiB reads and doubles them: four system calls and a
/// seek for a 64 KiB segment, eight for a 1 MiB window, seen with `perf
/// trace`; and `read_exact_at` needs an initialised buffer, whose
/// zero-filling was 2–3 % of a ranged read's CPU in `perf`.)
fn read_range_now(file: &std::path::Path, range: Range<u64>) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(file)?;
    let len = usize::try_from(range.end - range.start).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        // (the capacity may exceed `len`: what is read past it is cut below)
        let at = range.start + out.len() as u64;
        match rustix::io::pread(&f, rustix::buffer::spare_capacity(&mut out), at) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    out.truncate(len);
    Ok(out)
}

/// Reads `span` window by window, one window ahead of the reader (reading
/// overlaps with what the reader does with the previous window; memory
/// stays within a few windows): a first window of at most `first` bytes, a
/// second of [`SECOND_WINDOW`], then windows of [`WINDOW`] (the reader
/// sends the first while the second is read, and the second while the
/// first full window is: no long wait after the first bytes). `read` gets
/// the range and a state it hands on to the next window (which copy to
/// read, say).
///
/// The first window is read by the reader's own task when it first asks,
/// and the task that reads ahead starts only when the reader comes back for
/// more, after one yield: a server answering with this stream (hyper)
/// sends the answer's head and the first window's bytes in one write, and
/// sends what it holds whenever the body is not ready, so the first bytes
/// leave before the read-ahead competes with the client for the CPU.
/// Measured by the first *body* byte (interleaved A/B, docs/benchmarks.md,
/// ninth pass): yielding before the first window as well sent the head
/// sooner but the first body byte 0.01–0.03 ms later. The read-ahead ends
/// at the first error, which the stream yields last, or when the reader
/// goes away.
pub fn read_ahead<T, S, F, Fut, E>(
    state: S,
    span: Range<u64>,
    first: u64,
    read: F,
) -> impl Stream<Item = std::result::Result<T, E>> + Send + use<T, S, F, Fut, E>
where
    T: Send + 'static,
    S: Send + 'static,
    F: FnMut(S, Range<u64>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::result::Result<(T, S), E>> + Send,
    E: Send + 'static,
{
    // The task that reads the rest from the second window (`len` bytes,
    // then `WINDOW`s), one window ahead of the receiver.
    let spawn_rest = |state: S, span: Range<u64>, len: u64, mut read: F| {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            let (mut pos, mut state, mut len) = (span.start, state, len);
            while pos < span.end {
                let to = (pos + len).min(span.end);
                len = WINDOW;
                let sent = match read(state, pos..to).await {
                    Ok((bytes, next)) => {
                        state = next;
                        tx.send(Ok(bytes)).await
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                if sent.is_err() {
                    return;
                }
                pos = to;
            }
        });
        rx
    };
    futures::stream::unfold(Ahead::First(state, read), move |stage| {
        let span = span.clone();
        async move {
            match stage {
                Ahead::First(state, mut read) => {
                    if span.start >= span.end {
                        return None;
                    }
                    let to = (span.start + first).min(span.end);
                    match read(state, span.start..to).await {
                        Ok((bytes, next)) if to < span.end => {
                            Some((Ok(bytes), Ahead::Next(next, read, to)))
                        }
                        Ok((bytes, _)) => Some((Ok(bytes), Ahead::Done)),
                        Err(e) => Some((Err(e), Ahead::Done)),
                    }
                }
                Ahead::Next(state, read, pos) => {
                    tokio::task::yield_now().await;
                    let next = if first < SECOND_WINDOW {
                        SECOND_WINDOW
                    } else {
                        WINDOW
                    };
                    let mut rx = spawn_rest(state, pos..span.end, next, read);
                    let item = rx.recv().await?;
                    Some((item, Ahead::Rest(rx)))
                }
                Ahead::Rest(mut rx) => {
                    let item = rx.recv().await?;
                    Some((item, Ahead::Rest(rx)))
                }
                Ahead::Done => None,
            }
        }
    })
}

/// Where a [`read_ahead`] stands.
enum Ahead<S, F, T, E> {
    /// nothing read yet
    First(S, F),
    /// the first window handed out; the rest starts at the offset
    Next(S, F, u64),
    /// the rest, from the task reading ahead
    Rest(tokio::sync::mpsc::Receiver<std::result::Result<T, E>>),
    /// all handed out, or an error
    Done,
}

/// The second window of a [`read_ahead`]: three segments of the default
/// size (windows stay aligned to segments), under [`SMALL_RANGE_NOW`] of
/// ciphertext with their tags, so a local store reads it at once.
pub const SECOND_WINDOW: u64 = 192 << 10;

/// Plaintext bytes fetched and decrypted per step of a
/// [`BlobStore::decrypted_stream`]: memory per reader stays near this.
pub const WINDOW: u64 = 1 << 20;

/// An encrypted object opened for random access: name, header and sizes.
#[derive(Debug, Clone)]
pub struct EncryptedObject {
    path: object_store::path::Path,
    header: BlobHeader,
    layout: BlobLayout,
}

impl EncryptedObject {
    /// Plaintext length, from the stored size.
    pub fn plaintext_len(&self) -> u64 {
        self.layout.plaintext_len()
    }

    /// The key that encrypted it (named in its header).
    pub fn key_id(&self) -> pixelunion_vault::KeyId {
        self.header.key_id()
    }

    /// Plaintext bytes per segment (the unit of decryption).
    pub fn segment_size(&self) -> u64 {
        self.header.segment_size() as u64
    }
}

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob<N = BlobName> {
    /// the object's opaque name
    pub name: N,
    /// plaintext bytes
    pub plaintext_len: u64,
    /// bytes in the store
    pub ciphertext_len: u64,
    /// checksum of the bytes in the store, as recorded (what every copy
    /// must match; see [`crate::checksum`])
    pub checksum: Vec<u8>,
}

/// Where a streamed write goes: a local store's own writer (which keeps
/// the disk busy while the bytes arrive, see [`crate::local_write`]) or
/// object_store's multipart upload (S3).
enum Sink {
    Local(crate::local_write::LocalSink),
    Multipart(WriteMultipart),
}

impl Sink {
    async fn put(&mut self, store: &BlobStore, b: Bytes) -> Result<()> {
        match self {
            Sink::Local(w) => w.put(b).await.map_err(|e| store.local_error(e)),
            Sink::Multipart(w) => {
                w.wait_for_capacity(MAX_PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| StoreError::backend(store.label, e))?;
                w.put(b);
                Ok(())
            }
        }
    }

    async fn finish(self, store: &BlobStore) -> Result<()> {
        match self {
            Sink::Local(w) => w.finish().await.map_err(|e| store.local_error(e)),
            Sink::Multipart(w) => w
                .finish()
                .await
                .map(|_| ())
                .map_err(|e| StoreError::backend(store.label, e)),
        }
    }

    async fn abort(self) {
        match self {
            Sink::Local(w) => w.abort().await,
            Sink::Multipart(w) => {
                let _ = w.abort().await;
            }
        }
    }
}

impl BlobStore {
    async fn sink(&self, path: &object_store::path::Path) -> Result<Sink> {
        if let Some(file) = self.local_file(path) {
            return Ok(Sink::Local(crate::local_write::LocalSink::start(file)));
        }
        let upload = self
            .inner()
            .put_multipart(path)
            .await
            .map_err(|e| StoreError::backend(self.label, e))?;
        Ok(Sink::Multipart(WriteMultipart::new_with_chunk_size(
            upload, PART_SIZE,
        )))
    }
}

impl BlobStore {
    /// Encrypts a plaintext stream into a new object named `name` (the caller
    /// picks it, usually [`BlobName::random`], so that it can record an
    /// intent first), in constant memory. The object becomes visible only when
    /// the whole stream has been written; on any error the partial upload is
    /// aborted and nothing is visible.
    pub async fn put_encrypted_stream<N, S, E>(
        &self,
        key: &DataKey,
        object: ObjectId,
        name: N,
        mut source: S,
    ) -> Result<StoredBlob<N>>
    where
        N: ObjectKey,
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut writer = self.sink(&name.path()).await?;
        let mut enc = BlobEncryptor::new(key, object)?;
        // The copies' checksum (BLAKE3: ≈ 0.1 ms per 1 MiB batch, on this
        // task) over the same pieces the writer takes without copying.
        let mut digest = crate::checksum::ChecksumKind::NEW.hasher();
        let header = Bytes::copy_from_slice(enc.header().as_bytes());
        let cap = batch_capacity(enc.header().segment_size());
        let mut out = BATCHES.take(cap);
        let mut plaintext_len = 0u64;
        let mut ciphertext_len = HEADER_LEN as u64;
        let result: Result<()> = async {
            digest.update(&header);
            writer.put(self, header).await?;
            while let Some(chunk) = source.next().await {
                let chunk = chunk.map_err(|e| StoreError::Source(e.to_string()))?;
                plaintext_len += chunk.len() as u64;
                let mut rest = &chunk[..];
                while !rest.is_empty() {
                    push_bounded(&mut enc, &mut rest, &mut out)?;
                    if out.len() < OUT_BATCH {
                        continue;
                    }
                    let sealed = BATCHES.bytes(std::mem::replace(&mut out, BATCHES.take(cap)));
                    ciphertext_len += sealed.len() as u64;
                    digest.update(&sealed);
                    writer.put(self, sealed).await?;
                }
            }
            enc.finish(&mut out)?;
            let sealed = BATCHES.bytes(std::mem::take(&mut out));
            ciphertext_len += sealed.len() as u64;
            digest.update(&sealed);
            writer.put(self, sealed).await?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            writer.abort().await;
            return Err(e);
        }
        writer.finish(self).await?;
        self.make_durable(&name.path()).await?;
        Ok(StoredBlob {
            name,
            plaintext_len,
            ciphertext_len,
            checksum: digest.finish(),
        })
    }

    /// Encrypts a small plaintext held in memory (thumbnails, previews) into
    /// object `name` with one PUT (the caller picks the name, as for
    /// [`BlobStore::put_encrypted_stream`], to record a write intent first).
    pub async fn put_encrypted(
        &self,
        key: &DataKey,
        object: ObjectId,
        name: BlobName,
        plaintext: &[u8],
    ) -> Result<StoredBlob> {
        let blob = pixelunion_vault::blob::encrypt_to_vec(key, object, plaintext)?;
        let ciphertext_len = blob.len() as u64;
        let checksum = crate::checksum::ChecksumKind::NEW.of_bytes(&blob);
        self.put(&name, Bytes::from(blob)).await?;
        Ok(StoredBlob {
            name,
            plaintext_len: plaintext.len() as u64,
            ciphertext_len,
            checksum,
        })
    }

    /// Reads and decrypts a whole (small) object.
    pub async fn get_decrypted(
        &self,
        key: &DataKey,
        object: ObjectId,
        name: &BlobName,
    ) -> Result<Vec<u8>> {
        let blob = self.get(name).await?;
        Ok(pixelunion_vault::blob::decrypt_to_vec(key, object, &blob)?)
    }

    /// Reads what random access to an encrypted object needs — its size and
    /// header — once, for any number of range reads.
    pub async fn open_encrypted<N: ObjectKey + ?Sized>(&self, name: &N) -> Result<EncryptedObject> {
        let size = self.size(name).await?;
        let header_bytes = self.get_range(name, 0..HEADER_LEN as u64).await?;
        let header = BlobHeader::parse(&header_bytes)?;
        let layout = BlobLayout::from_ciphertext_len(&header, size)?;
        Ok(EncryptedObject {
            path: name.path(),
            header,
            layout,
        })
    }

    /// [`BlobStore::open_encrypted`] for serving reads: an object never
    /// changes once written (names are never reused), so its header and size
    /// are kept (a bounded number of objects) and a repeated Range request
    /// skips two store round trips. Not for verification: a damaged header
    /// on disk must be found by reading it, which `open_encrypted` does.
    pub async fn open_encrypted_for_serving<N: ObjectKey + ?Sized>(
        &self,
        name: &N,
    ) -> Result<EncryptedObject> {
        let path = name.path();
        if let Some(o) = self.kept.header(path.as_ref()) {
            return Ok(o);
        }
        let o = self.open_encrypted(name).await?;
        self.kept.keep_header(path.to_string(), o.clone());
        Ok(o)
    }

    /// [`BlobStore::get_decrypted`] for serving small objects (thumbnails,
    /// previews). On a local store the file is read on the calling thread
    /// (a page-cache read of tens of KiB costs microseconds, less than
    /// handing it to a blocking thread and back; objects over
    /// [`SMALL_NOW`] take the usual path), and the ciphertext of one that
    /// decrypted is kept ([`crate::kept`], 32 MiB per store): asked again
    /// while its file is unchanged (one `statx`), it is decrypted from
    /// memory. A damaged, replaced or missing copy is read again and found
    /// here, so the caller can heal it. An S3 store's object is fetched
    /// each time.
    pub async fn get_decrypted_for_serving(
        &self,
        key: &DataKey,
        object: ObjectId,
        name: &BlobName,
    ) -> Result<Vec<u8>> {
        let path = name.path();
        let Some(file) = self.local_file(&path) else {
            let blob = self.get(name).await?;
            return Ok(pixelunion_vault::blob::decrypt_to_vec(key, object, &blob)?);
        };
        if let Some(kept) = self.kept.small(path.as_ref()) {
            let unchanged = std::fs::metadata(&file)
                .is_ok_and(|m| crate::kept::FileStamp::of(&m) == kept.stamp);
            if unchanged
                && let Ok(plain) =
                    pixelunion_vault::blob::decrypt_to_vec(key, object, &kept.ciphertext)
            {
                return Ok(plain);
            }
            // (changed on disk, or not this object's key: read it again)
            self.kept.forget(path.as_ref());
        }
        let (blob, stamp) = match read_small_now(&file) {
            Ok(Some((b, stamp))) => (Bytes::from(b), Some(stamp)),
            Err(e) => return Err(self.local_error(e)),
            Ok(None) => (self.get(name).await?, None),
        };
        let plain = pixelunion_vault::blob::decrypt_to_vec(key, object, &blob)?;
        if let Some(stamp) = stamp {
            let kept = crate::kept::KeptSmall {
                ciphertext: blob,
                stamp,
            };
            self.kept.keep_small(path.to_string(), kept);
        }
        Ok(plain)
    }

    pub(crate) fn local_error(&self, e: std::io::Error) -> StoreError {
        if e.kind() == std::io::ErrorKind::NotFound {
            StoreError::NotFound(self.label)
        } else {
            StoreError::Backend {
                store: self.label,
                source: object_store::Error::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(e),
                },
            }
        }
    }

    /// Forgets what serving kept of an object (it was found missing or
    /// damaged).
    pub fn forget_opened<N: ObjectKey + ?Sized>(&self, name: &N) {
        self.kept.forget(name.path().as_ref());
    }

    /// Reads and decrypts plaintext bytes `range` of an opened object,
    /// fetching only the segments the range touches, as one buffer (the
    /// pieces of [`BlobStore::read_decrypted_pieces`] joined: one way to
    /// decrypt a span). Callers stream large ranges as consecutive windows
    /// of bounded size.
    pub async fn read_decrypted(
        &self,
        key: &DataKey,
        object: ObjectId,
        opened: &EncryptedObject,
        range: Range<u64>,
    ) -> Result<Vec<u8>> {
        let pieces = self
            .read_decrypted_pieces(key, object, opened, range)
            .await?;
        Ok(pieces.concat())
    }

    /// [`BlobStore::read_decrypted`] for a reader that sends what it reads
    /// on: the segments are decrypted where they were read and handed out
    /// as pieces of that one buffer (one per segment), with no second
    /// buffer to fill, zero and copy into — a quarter of the passes a
    /// ranged read made over its bytes.
    pub async fn read_decrypted_pieces(
        &self,
        key: &DataKey,
        object: ObjectId,
        opened: &EncryptedObject,
        range: Range<u64>,
    ) -> Result<Vec<Bytes>> {
        let span = opened.layout.span(range)?;
        let dec = RangeDecryptor::new(key, object, &opened.header, opened.layout, span.clone())?;
        let mut sealed = self.fetch_span(opened, span.ciphertext).await?;
        let pieces = dec.open_in_place(&mut sealed)?;
        let whole = Bytes::from(sealed);
        Ok(pieces.into_iter().map(|r| whole.slice(r)).collect())
    }

    /// The ciphertext bytes `range` of an opened object, in one read of
    /// the whole (bounded) span: a local store's streamed get hands out
    /// 8 KiB pieces, each a trip to the blocking pool, which made a 1 MiB
    /// window cost milliseconds; S3 answers a ranged GET in one response
    /// either way.
    async fn fetch_span(&self, opened: &EncryptedObject, range: Range<u64>) -> Result<Vec<u8>> {
        let wanted = range.end - range.start;
        // A local file is read with one positioned read (`read_range_now`)
        // rather than object_store's ranged read, which goes through the
        // blocking pool whatever the size; a larger span on a blocking
        // thread.
        let local = match self.local_file(&opened.path) {
            Some(file) if wanted <= SMALL_RANGE_NOW => Some(read_range_now(&file, range.clone())),
            Some(file) => Some(
                tokio::task::spawn_blocking({
                    let range = range.clone();
                    move || read_range_now(&file, range)
                })
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r),
            ),
            None => None,
        };
        match local {
            Some(read) => read.map_err(|e| self.local_error(e)),
            // (no copy: the answer's buffer is not shared)
            None => Ok(Vec::from(
                self.inner()
                    .get_range(&opened.path, range)
                    .await
                    .map_err(|e| StoreError::backend(self.label, e))?,
            )),
        }
    }

    /// The plaintext bytes `span` of an opened object as a stream of
    /// pieces, one per segment, read in windows of [`WINDOW`] bytes
    /// (constant memory, any size) and decrypted in place (the pieces are
    /// slices of their window's buffer). The windows are read and
    /// decrypted by a task of their own, one window ahead of the reader, so
    /// that reading overlaps with what the reader does with the previous
    /// one; the task ends when the reader goes away. The one decrypting
    /// reader for resumable-upload reassembly, backup verification and
    /// restore.
    pub fn decrypted_stream(
        &self,
        key: Arc<DataKey>,
        object: ObjectId,
        opened: Arc<EncryptedObject>,
        span: Range<u64>,
    ) -> impl Stream<Item = Result<Bytes>> + Send + use<> {
        let store = self.clone();
        let windows = read_ahead((), span, WINDOW, move |(), range| {
            let (store, key, opened) = (store.clone(), key.clone(), opened.clone());
            async move {
                let pieces = store
                    .read_decrypted_pieces(&key, object, &opened, range)
                    .await?;
                Ok::<_, StoreError>((pieces, ()))
            }
        });
        // each window's pieces (one per segment, slices of one buffer) in turn
        windows
            .map_ok(|pieces| futures::stream::iter(pieces.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Opens and reads one range (for a single read; see [`BlobStore::open_encrypted`]).
    pub async fn get_decrypted_range(
        &self,
        key: &DataKey,
        object: ObjectId,
        name: &BlobName,
        range: Range<u64>,
    ) -> Result<Vec<u8>> {
        let opened = self.open_encrypted(name).await?;
        self.read_decrypted(key, object, &opened, range).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pixelunion_vault::KeyId;
    use pixelunion_vault::blob::BlobDecryptor;

    /// The ranges a test's reads were asked for, in order.
    type Reads = Arc<std::sync::Mutex<Vec<Range<u64>>>>;

    /// A `read_ahead` over `span` whose reads are recorded: each window
    /// answers its own range, and the state counts the windows; a read of
    /// window `fail_at` fails.
    fn recorded(
        span: Range<u64>,
        first: u64,
        fail_at: Option<u32>,
    ) -> (
        impl Stream<Item = std::result::Result<(Range<u64>, u32), String>>,
        Reads,
    ) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let s = read_ahead(0u32, span, first, move |n, range: Range<u64>| {
            log.lock().unwrap().push(range.clone());
            async move {
                if Some(n) == fail_at {
                    Err(format!("window {n}"))
                } else {
                    Ok(((range, n), n + 1))
                }
            }
        });
        (s, seen)
    }

    #[tokio::test]
    async fn read_ahead_reads_nothing_before_it_is_asked_then_every_window_in_order() {
        let span = 100..100 + 10 + SECOND_WINDOW + 2 * WINDOW + 7;
        let (s, seen) = recorded(span.clone(), 10, None);
        tokio::task::yield_now().await;
        assert!(
            seen.lock().unwrap().is_empty(),
            "read before the first poll"
        );
        let got: Vec<_> = s.map(|r| r.unwrap()).collect().await;
        let ranges: Vec<Range<u64>> = got.iter().map(|(r, _)| r.clone()).collect();
        let s0 = span.start;
        assert_eq!(
            ranges,
            vec![
                s0..s0 + 10,
                s0 + 10..s0 + 10 + SECOND_WINDOW,
                s0 + 10 + SECOND_WINDOW..s0 + 10 + SECOND_WINDOW + WINDOW,
                s0 + 10 + SECOND_WINDOW + WINDOW..s0 + 10 + SECOND_WINDOW + 2 * WINDOW,
                s0 + 10 + SECOND_WINDOW + 2 * WINDOW..span.end,
            ]
        );
        // the state each window handed on reached the next
        assert_eq!(
            got.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(*seen.lock().unwrap(), ranges, "each window read once");
    }

    #[tokio::test]
    async fn read_ahead_starts_reading_ahead_only_after_the_first_window_is_taken() {
        let (s, seen) = recorded(0..10 * WINDOW, 64 << 10, None);
        let mut s = Box::pin(s);
        let first = s.next().await.unwrap().unwrap();
        assert_eq!(first.0, 0..64 << 10);
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "read ahead before the reader came back"
        );
        let second = s.next().await.unwrap().unwrap();
        assert_eq!(second.0, (64 << 10)..(64 << 10) + SECOND_WINDOW);
    }

    #[tokio::test]
    async fn read_ahead_ends_with_the_first_error_and_at_a_short_span() {
        for fail_at in [0u32, 1, 3] {
            let (s, _) = recorded(0..5 * WINDOW, WINDOW, Some(fail_at));
            let got: Vec<_> = s.collect().await;
            assert_eq!(got.len(), fail_at as usize + 1, "{fail_at}: {got:?}");
            assert_eq!(
                got.last().unwrap().as_ref().unwrap_err(),
                &format!("window {fail_at}")
            );
            assert!(got[..fail_at as usize].iter().all(|r| r.is_ok()));
        }
        // a span within the first window: one read; an empty span: none
        let (s, seen) = recorded(5..50, 64 << 10, None);
        assert_eq!(s.collect::<Vec<_>>().await.len(), 1);
        assert_eq!(*seen.lock().unwrap(), vec![5..50]);
        let (s, seen) = recorded(5..5, 64 << 10, None);
        assert!(s.collect::<Vec<_>>().await.is_empty());
        assert!(seen.lock().unwrap().is_empty());
        // windows the size of the first throughout, when the first is a whole window
        let (s, _) = recorded(0..2 * WINDOW + 1, WINDOW, None);
        let ranges: Vec<_> = s.map(|r| r.unwrap().0).collect().await;
        assert_eq!(
            ranges,
            vec![0..WINDOW, WINDOW..2 * WINDOW, 2 * WINDOW..2 * WINDOW + 1]
        );
    }

    #[test]
    fn a_local_range_is_exactly_its_bytes_and_a_short_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("blob");
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 7 % 256) as u8).collect();
        std::fs::write(&file, &bytes).unwrap();
        for r in [0..300, 10..250, 299..300, 5..5] {
            assert_eq!(
                read_range_now(&file, r.clone()).unwrap(),
                bytes[r.start as usize..r.end as usize],
                "{r:?}"
            );
        }
        let short = read_range_now(&file, 250..400).unwrap_err();
        assert_eq!(short.kind(), std::io::ErrorKind::UnexpectedEof);
        let gone = read_range_now(&dir.path().join("none"), 0..1).unwrap_err();
        assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn a_kept_rendition_is_used_only_while_its_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(
            &crate::StoreConfig::Local {
                root: dir.path().to_path_buf(),
            },
            "primary",
        )
        .unwrap();
        let key = DataKey::from_bytes(KeyId::User { generation: 1 }, &[7; 32]).expect("key");
        let object = ObjectId([3; 16]);
        let plain = b"a thumbnail's bytes".repeat(100);
        let name = BlobName::random();
        store
            .put_encrypted(&key, object, name.clone(), &plain)
            .await
            .unwrap();
        let file = store.local_file(&name.path()).unwrap();
        let kept = || store.kept.small(name.path().as_ref()).is_some();
        let serve = || store.get_decrypted_for_serving(&key, object, &name);

        assert_eq!(serve().await.unwrap(), plain);
        assert!(kept(), "kept once it decrypted");
        assert_eq!(serve().await.unwrap(), plain, "from memory");

        // Damaged in place (same length, same inode): read again, refused.
        let good = std::fs::read(&file).unwrap();
        let mut bad = good.clone();
        let i = bad.len() / 2;
        bad[i] ^= 0x5a;
        std::fs::write(&file, &bad).unwrap();
        assert!(matches!(serve().await, Err(StoreError::Vault(_))));
        assert!(!kept(), "the damaged copy is not kept");

        // Rewritten (healed): kept again; then removed: not found.
        std::fs::write(&file, &good).unwrap();
        assert_eq!(serve().await.unwrap(), plain);
        assert!(kept());
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(serve().await, Err(StoreError::NotFound(_))));
        assert!(!kept());
    }

    #[test]
    fn a_small_object_is_read_whole_and_a_large_one_left_to_the_usual_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("small");
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 13 % 251) as u8).collect();
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(
            read_small_now(&file).unwrap().map(|(b, _)| b).as_deref(),
            Some(&bytes[..])
        );
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(
            read_small_now(&empty).unwrap().map(|(b, _)| b),
            Some(Vec::new())
        );
        let large = dir.path().join("large");
        std::fs::write(&large, vec![1u8; SMALL_NOW as usize + 1]).unwrap();
        assert!(read_small_now(&large).unwrap().is_none());
        let gone = read_small_now(&dir.path().join("none")).unwrap_err();
        assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn sealing_never_grows_a_batch_whatever_the_pieces() {
        let key = DataKey::from_bytes(KeyId::User { generation: 1 }, &[7; 32]).expect("key");
        let object = ObjectId([3; 16]);
        let mut enc = BlobEncryptor::new(&key, object).expect("encryptor");
        let header = enc.header().clone();
        let cap = batch_capacity(header.segment_size());
        let (mut out, mut sealed, mut sent) = (Vec::with_capacity(cap), Vec::new(), Vec::new());
        // pieces of a TLS record, an HTTP/2 frame, hyper's large reads, odd sizes
        let sizes = [
            16_384,
            400_000,
            1,
            65_536,
            3 << 20,
            65_535,
            999_999,
            16_383,
            2 << 20,
        ];
        for (n, size) in sizes.iter().cycle().take(40).enumerate() {
            let chunk: Vec<u8> = (0..*size).map(|i| (i * 31 + n) as u8).collect();
            sent.extend_from_slice(&chunk);
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                push_bounded(&mut enc, &mut rest, &mut out).expect("push");
                assert_eq!(out.capacity(), cap, "the batch buffer grew");
                if out.len() >= OUT_BATCH {
                    sealed.extend_from_slice(&std::mem::replace(&mut out, Vec::with_capacity(cap)));
                }
            }
        }
        enc.finish(&mut out).expect("finish");
        assert_eq!(out.capacity(), cap, "the batch buffer grew at the end");
        sealed.extend_from_slice(&out);
        let mut dec = BlobDecryptor::new(&key, object, &header).expect("decryptor");
        let mut back = Vec::new();
        dec.push(&sealed, &mut back).expect("decrypt");
        dec.finish(&mut back).expect("last segment");
        assert!(back == sent, "the batches decrypt to what was pushed");
    }
}
