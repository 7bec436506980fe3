//! A selection's originals as one ZIP, streamed: each file is decrypted
//! window by window into a ZIP writer (stored, not recompressed — photos and
//! videos are compressed already; ZIP64 where a file needs it) whose output
//! flows to the response through a small bounded channel. Memory stays
//! constant whatever the selection's size; nothing touches disk.

use std::collections::HashSet;
use std::io::Write;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use pixelunion_catalog::UserRow;
use tokio::sync::mpsc;

use super::assets::MAX_BATCH;
use super::files::{self, Readable};
use super::{Error, Result};
use crate::AppState;

/// Output is handed on in pieces of about this many bytes.
const PIECE: usize = 256 << 10;
/// Pieces waiting for the client at most (the memory bound, with one
/// decryption window).
const QUEUED: usize = 4;

/// The name a file gets inside the archive: its own file name without any
/// folder, control character or leading dot (else the asset id), made
/// unique among `taken` as `name (2).ext`.
pub fn entry_name(file_name: Option<&str>, id: &str, taken: &mut HashSet<String>) -> String {
    let base: String = file_name
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(200)
        .collect();
    let base = if base.is_empty() {
        id.to_string()
    } else {
        base
    };
    let (stem, ext) = match base.rfind('.') {
        Some(i) if i > 0 => (&base[..i], &base[i..]),
        _ => (base.as_str(), ""),
    };
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        name = format!("{stem} ({n}){ext}");
        n += 1;
    }
    name
}

/// The caller's originals of `ids` (each must be theirs: one that is not
/// answers "no such item", as for a single one), ready to stream.
pub async fn open(
    state: &AppState,
    user: &UserRow,
    ids: &[String],
) -> Result<Vec<(String, Readable)>> {
    if ids.len() > MAX_BATCH {
        return Err(Error::TooMany {
            max: MAX_BATCH,
            what: "ids",
        });
    }
    let mut seen = HashSet::new();
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for id in ids {
        if !seen.insert(id.as_str()) {
            continue;
        }
        let file = files::original(state, user, id).await?;
        let name = entry_name(file.file_name.as_deref(), id, &mut names);
        out.push((name, file));
    }
    if out.is_empty() {
        return Err(Error::NotFound);
    }
    Ok(out)
}

/// Writes into the channel in pieces of [`PIECE`] bytes.
struct Pipe {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Pipe {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE)));
        self.tx
            .blocking_send(Ok(piece))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))
    }
}

impl Write for Pipe {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// The ZIP of `files`, as a byte stream. A file that cannot be read ends
/// the stream with an error (the client sees a failed download, never a
/// silently shorter archive).
pub fn stream(
    state: &AppState,
    files: Vec<(String, Readable)>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + use<> {
    let (tx, mut rx) = mpsc::channel(QUEUED);
    let state = state.clone();
    let runtime = tokio::runtime::Handle::current();
    let err_tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let pipe = Pipe {
            tx,
            buf: Vec::with_capacity(PIECE),
        };
        if let Err(e) = write_zip(&runtime, &state, files, pipe) {
            tracing::warn!(error = %e, "a ZIP download ended early");
            let _ = err_tx.blocking_send(Err(e));
        }
    });
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn write_zip(
    runtime: &tokio::runtime::Handle,
    state: &AppState,
    files: Vec<(String, Readable)>,
    pipe: Pipe,
) -> std::io::Result<()> {
    use zip::write::SimpleFileOptions;
    let other = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
    let mut zip = zip::ZipWriter::new_stream(pipe);
    for (name, file) in files {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(file.len >= u64::from(u32::MAX) - (1 << 20));
        zip.start_file(name, options).map_err(|e| other(&e))?;
        let opened = runtime.block_on(file.open(state)).map_err(|e| other(&e))?;
        let mut body = Box::pin(file.stream(state, opened, 0..file.len));
        while let Some(piece) = runtime.block_on(body.next()) {
            zip.write_all(&piece.map_err(|e| other(&e))?)?;
        }
    }
    let mut pipe = zip.finish().map_err(|e| other(&e))?.into_inner();
    pipe.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_are_flat_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(entry_name(Some("IMG_1.jpg"), "a", &mut taken), "IMG_1.jpg");
        assert_eq!(
            entry_name(Some("img_1.JPG"), "b", &mut taken),
            "img_1 (2).JPG"
        );
        assert_eq!(
            entry_name(Some("../../etc/passwd"), "c", &mut taken),
            "passwd"
        );
        assert_eq!(
            entry_name(Some("C:\\x\\..\\y.png"), "d", &mut taken),
            "y.png"
        );
        assert_eq!(entry_name(Some(".hidden"), "e", &mut taken), "hidden");
        assert_eq!(entry_name(Some("a\u{0}\nb.jpg"), "f", &mut taken), "ab.jpg");
        assert_eq!(entry_name(None, "01ABC", &mut taken), "01ABC");
        assert_eq!(entry_name(Some("   "), "01ABD", &mut taken), "01ABD");
        assert_eq!(
            entry_name(Some("IMG_1.jpg"), "g", &mut taken),
            "IMG_1 (3).jpg"
        );
    }
}
