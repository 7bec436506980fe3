//! Serving a prepared export: the archive is walked in order — each local
//! header (made from the sealed entry), the original's bytes (decrypted
//! window by window, only where the requested range touches them), the
//! metadata document, the central directory, the end records — and only the
//! bytes inside the requested range are sent. Memory stays constant
//! whatever the archive's size; a range near the end costs one pass over the
//! entries' rows, no reads of the originals before it.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use pixelunion_catalog::{ExportEntryRow, UserRow};
use pixelunion_store::BlobName;
use pixelunion_vault::DataKey;
use tokio::sync::mpsc;

use super::layout::{Entry, Layout};
use super::{METADATA_PATH, Result};
use crate::AppState;
use crate::fields::{self, Column};
use crate::library::files::Readable;
use crate::library::{Error, asset_object_id};

/// Entry rows read per page.
const PAGE: i64 = 500;
/// Pieces waiting for the client at most.
const QUEUED: usize = 4;

fn entry_row(export: &str, position: i64) -> String {
    format!("{export}:{position}")
}

/// Seals an entry's CRC-32, time and path under the owner's key.
pub(super) fn seal_entry(
    key: &DataKey,
    user: &UserRow,
    export: &str,
    position: i64,
    e: &Entry,
) -> Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(12 + e.path.len());
    plain.extend_from_slice(&e.crc32.to_be_bytes());
    plain.extend_from_slice(&e.modified_ms.to_be_bytes());
    plain.extend_from_slice(e.path.as_bytes());
    Ok(fields::seal(
        key,
        Column::ExportEntry,
        &user.id,
        &entry_row(export, position),
        &plain,
    )?)
}

/// Seals the metadata document's CRC-32, time and length.
pub(super) fn seal_metadata(
    key: &DataKey,
    user: &UserRow,
    export: &str,
    e: &Entry,
) -> Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(20);
    plain.extend_from_slice(&e.crc32.to_be_bytes());
    plain.extend_from_slice(&e.modified_ms.to_be_bytes());
    plain.extend_from_slice(&e.size.to_be_bytes());
    Ok(fields::seal(
        key,
        Column::ExportMetadata,
        &user.id,
        export,
        &plain,
    )?)
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}
fn be64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

fn open_entry(key: &DataKey, owner: &str, export: &str, row: &ExportEntryRow) -> Result<Entry> {
    let plain = fields::open(
        key,
        Column::ExportEntry,
        owner,
        &entry_row(export, row.position),
        &row.entry,
    )?;
    if plain.len() < 12 {
        return Err(Error::Corrupt("an export entry is too short"));
    }
    Ok(Entry {
        crc32: be32(&plain[..4]),
        modified_ms: i64::from_be_bytes(be64(&plain[4..12]).to_be_bytes()),
        path: String::from_utf8(plain[12..].to_vec())
            .map_err(|_| Error::Corrupt("an export path is not UTF-8"))?,
        size: u64::try_from(row.size).unwrap_or(0),
    })
}

/// A ready export, opened for download.
#[derive(Debug, Clone)]
pub struct Archive {
    /// the export
    pub id: String,
    /// the archive's length
    pub len: u64,
    /// a strong validator (quoted)
    pub etag: String,
    /// the file name to save it as
    pub file_name: String,
    owner: String,
    key: Arc<DataKey>,
    metadata: (BlobName, Entry),
}

/// The caller's ready export `id`.
pub async fn open(state: &AppState, user: &UserRow, id: &str) -> Result<Archive> {
    let x = state
        .catalog()
        .export(Some(&user.id), id)
        .await?
        .ok_or(Error::NotFound)?;
    let (Some(len), Some(blob), Some(sealed)) =
        (x.archive_bytes, x.metadata_blob, x.metadata_entry)
    else {
        return Err(Error::NotReady);
    };
    if x.state != "ready" {
        return Err(Error::NotReady);
    }
    let key = state.keys().user_key(user)?;
    let plain = fields::open(&key, Column::ExportMetadata, &user.id, id, &sealed)?;
    if plain.len() != 20 {
        return Err(Error::Corrupt(
            "an export's metadata entry has the wrong length",
        ));
    }
    let meta = Entry {
        path: METADATA_PATH.into(),
        crc32: be32(&plain[..4]),
        modified_ms: i64::from_be_bytes(be64(&plain[4..12]).to_be_bytes()),
        size: be64(&plain[12..20]),
    };
    let day = crate::audit::export::rfc3339(x.created_at / 1000);
    Ok(Archive {
        id: x.id.clone(),
        len: u64::try_from(len).unwrap_or(0),
        etag: format!("\"export-{}-{len}\"", x.id),
        file_name: format!(
            "pixelunion-export-{}.zip",
            day.get(..10).unwrap_or("library")
        ),
        owner: user.id.clone(),
        key,
        metadata: (BlobName::parse(&blob)?, meta),
    })
}

impl Archive {
    /// The bytes `span` of the archive. A failure ends the stream with an
    /// error (the client sees a broken download, never wrong bytes).
    pub fn stream(
        &self,
        state: &AppState,
        span: Range<u64>,
    ) -> impl Stream<Item = std::io::Result<Bytes>> + Send + use<> {
        let (tx, mut rx) = mpsc::channel(QUEUED);
        let (state, archive) = (state.clone(), self.clone());
        tokio::spawn(async move {
            let mut w = Walk {
                state: &state,
                tx: &tx,
                span,
                pos: 0,
            };
            if let Err(e) = archive.walk(&mut w).await
                && !matches!(e, Error::Interrupted)
            {
                tracing::warn!(error = %e, "an export download ended early");
                let _ = tx
                    .send(Err(std::io::Error::other("export read failed")))
                    .await;
            }
        });
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }

    /// One of the archive's files, to read through the store.
    /// `parts_of`: the asset, for an original (which may be stored as
    /// several blobs, see [`Readable::parts_of`]).
    fn readable(
        &self,
        object: pixelunion_vault::ObjectId,
        blob: BlobName,
        len: u64,
        parts_of: Option<&str>,
    ) -> Readable {
        Readable {
            key: self.key.clone(),
            object,
            blob,
            len,
            mime: String::new(),
            etag: String::new(),
            file_name: None,
            patches: None,
            parts_of: parts_of.map(str::to_string),
        }
    }

    async fn walk(&self, w: &mut Walk<'_>) -> Result<()> {
        let layout = Layout::default();
        let c = w.state.catalog();
        let mut count = 0u64;
        // Local headers and data.
        let mut after = -1;
        loop {
            let rows = c.export_entries(&self.id, after, PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = last.position;
            for row in &rows {
                let e = open_entry(&self.key, &self.owner, &self.id, row)?;
                w.bytes(&layout.local_header(&e)).await?;
                let blob = BlobName::parse(&row.blob_name)?;
                w.file(&self.readable(
                    asset_object_id(&row.asset_id)?,
                    blob,
                    e.size,
                    Some(&row.asset_id),
                ))
                .await?;
                count += 1;
                if w.done() {
                    return Ok(());
                }
            }
        }
        let (blob, meta) = &self.metadata;
        w.bytes(&layout.local_header(meta)).await?;
        w.file(&self.readable(blob.object_id(), blob.clone(), meta.size, None))
            .await?;
        count += 1;
        if w.done() {
            return Ok(());
        }
        // The central directory, then the end.
        let cd_offset = w.pos;
        let mut offset = 0u64;
        let mut after = -1;
        loop {
            let rows = c.export_entries(&self.id, after, PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = last.position;
            for row in &rows {
                let e = open_entry(&self.key, &self.owner, &self.id, row)?;
                w.bytes(&layout.central_header(&e, offset)).await?;
                offset += layout.local_header_len(&e) + e.size;
            }
        }
        w.bytes(&layout.central_header(meta, offset)).await?;
        let cd_len = w.pos - cd_offset;
        w.bytes(&layout.end(count, cd_offset, cd_len)).await?;
        if w.pos != self.len {
            return Err(Error::Corrupt(
                "an export's layout changed since it was prepared",
            ));
        }
        Ok(())
    }
}

/// Where the walk is, and what to send.
struct Walk<'a> {
    state: &'a AppState,
    tx: &'a mpsc::Sender<std::io::Result<Bytes>>,
    span: Range<u64>,
    pos: u64,
}

impl Walk<'_> {
    fn done(&self) -> bool {
        self.pos >= self.span.end
    }

    /// The part of `len` bytes at `pos` inside the span, relative to the part.
    fn overlap(&self, len: u64) -> Option<Range<u64>> {
        let start = self.span.start.max(self.pos);
        let end = self.span.end.min(self.pos + len);
        (start < end).then(|| start - self.pos..end - self.pos)
    }

    async fn send(&self, b: Bytes) -> Result<()> {
        self.tx.send(Ok(b)).await.map_err(|_| Error::Interrupted)
    }

    async fn bytes(&mut self, b: &[u8]) -> Result<()> {
        if let Some(r) = self.overlap(b.len() as u64) {
            let (s, e) = (
                usize::try_from(r.start).unwrap_or(0),
                usize::try_from(r.end).unwrap_or(0),
            );
            self.send(Bytes::copy_from_slice(&b[s..e])).await?;
        }
        self.pos += b.len() as u64;
        Ok(())
    }

    async fn file(&mut self, f: &Readable) -> Result<()> {
        if let Some(r) = self.overlap(f.len) {
            let opened = f.open(self.state).await?;
            let mut body = Box::pin(f.stream(self.state, opened, r));
            while let Some(piece) = body.next().await {
                self.send(piece?).await?;
            }
        }
        self.pos += f.len;
        Ok(())
    }
}
