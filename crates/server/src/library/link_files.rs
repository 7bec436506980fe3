//! What a public link serves of an item: its renditions (re-encoded, no
//! metadata), its video for a player and its original for download —
//! without EXIF/XMP/GPS, names or MP4 place and dates unless the link keeps
//! them (see `links` for the link itself).

use std::sync::{Arc, OnceLock};

use pixelunion_catalog::{AssetKind, FileKind, LinkRow};
use pixelunion_media::strip::{self, Patch};
use quick_cache::sync::Cache;

use super::files::{self, Readable};
use super::links::item_row;
use super::{Error, Result};
use crate::AppState;

/// Most bytes of a photo cleaned in memory, and of an MP4 `moov` box read.
const MAX_CLEANED: u64 = 64 << 20;
/// Top-level boxes walked to find `moov`.
const MAX_TOP_BOXES: usize = 64;
/// Videos whose edits are kept at once.
const PATCHES_KEPT: usize = 256;

/// A video's edits (`None`: it cannot be served without its metadata).
type Edits = Option<Arc<Vec<Patch>>>;

/// The edits of recently served videos, by the file's validator and
/// length: a player seeking through a linked video asks for many ranges,
/// and each would otherwise read the whole `moov` box again. A validator
/// names bytes that never change (an asset's original, a blob), so nothing
/// kept goes stale. They are offsets and the bytes written there (box
/// types, zeroes), no content; still, like everything worked out from a
/// decrypted file, they are forgotten when the node seals ([`forget_all`]).
fn kept() -> &'static Cache<(String, u64), Edits> {
    static KEPT: OnceLock<Cache<(String, u64), Edits>> = OnceLock::new();
    KEPT.get_or_init(|| Cache::new(PATCHES_KEPT))
}

fn kept_patches(key: &(String, u64)) -> Option<Edits> {
    kept().get(key)
}

fn keep_patches(key: (String, u64), patches: Edits) {
    kept().insert(key, patches);
}

/// Forgets every video's edits (sealing).
pub fn forget_all() {
    kept().clear();
}

/// A file a link serves.
#[derive(Debug)]
pub enum LinkFile {
    /// by ranges (an original as stored, or a video with its metadata
    /// edited out as it is served)
    Ranged(Readable),
    /// whole: a photo without its metadata, or the preview in its place
    Whole {
        /// the bytes
        bytes: Vec<u8>,
        /// media type
        mime: String,
        /// the name to save it under
        name: String,
    },
}

fn is_iso_video(mime: &str) -> bool {
    matches!(
        mime,
        "video/mp4" | "video/quicktime" | "video/3gpp" | "video/x-m4v"
    )
}

/// Plaintext bytes `span` of `file`.
async fn read_span(
    state: &AppState,
    file: &Readable,
    span: std::ops::Range<u64>,
) -> Result<Vec<u8>> {
    let opened = file.open(state).await?;
    let mut out = Vec::new();
    let mut s = std::pin::pin!(file.stream(state, opened, span));
    while let Some(b) = futures::StreamExt::next(&mut s).await {
        out.extend_from_slice(&b?);
    }
    Ok(out)
}

/// The edits that take an MP4/MOV's metadata out, or `None` if its boxes
/// cannot be walked (then it is not served without its metadata).
async fn video_patches(state: &AppState, file: &Readable) -> Result<Option<Vec<Patch>>> {
    let mut at = 0;
    for _ in 0..MAX_TOP_BOXES {
        if at + 8 > file.len {
            break;
        }
        let head = read_span(state, file, at..(at + 16).min(file.len)).await?;
        let Some((_, whole, kind)) = strip::box_header(&head, file.len - at) else {
            return Ok(None);
        };
        if &kind == b"moov" {
            if whole > MAX_CLEANED {
                return Ok(None);
            }
            let moov = read_span(state, file, at..at + whole).await?;
            return Ok(strip::mp4_patches(&moov, at));
        }
        at += whole.max(8);
    }
    Ok(None)
}

/// `file` as the link serves it: unchanged when the link keeps metadata,
/// else with its metadata edited out (`None`: it cannot be).
async fn cleaned_video(
    state: &AppState,
    link: &LinkRow,
    mut file: Readable,
) -> Result<Option<Readable>> {
    file.file_name = None;
    if link.keep_metadata {
        return Ok(Some(file));
    }
    if !is_iso_video(&file.mime) {
        return Ok(None);
    }
    let key = (file.etag.clone(), file.len);
    let patches = match kept_patches(&key) {
        Some(p) => p,
        None => {
            let p = video_patches(state, &file).await?.map(Arc::new);
            keep_patches(key, p.clone());
            p
        }
    };
    Ok(patches.map(|p| {
        file.etag = format!("\"{}-clean\"", file.etag.trim_matches('"'));
        file.patches = Some(p);
        file
    }))
}

/// Rendition `kind` of a link's item: `(bytes, media type, validator)`, or
/// `None` while it is not made. Renditions are re-encoded pictures: they
/// carry no metadata.
pub async fn rendition(
    state: &AppState,
    link: &LinkRow,
    asset: &str,
    kind: FileKind,
) -> Result<Option<(Vec<u8>, String, String)>> {
    let (row, owner) = item_row(state, link, asset).await?;
    match files::rendition(state, &owner, &row.id, kind).await? {
        files::Rendition::Ready(f, o) => {
            let bytes = files::read_rendition(state, &owner, &o, &f).await?;
            Ok(Some((bytes, f.mime.clone(), files::Rendition::etag(&f))))
        }
        files::Rendition::Missing(_) => Ok(None),
    }
}

/// A link's video for a player: its playable copy, without metadata
/// unless the link keeps it.
pub async fn playback(state: &AppState, link: &LinkRow, asset: &str) -> Result<Readable> {
    let (row, owner) = item_row(state, link, asset).await?;
    let file = files::playback(state, &owner, &row.id).await?;
    cleaned_video(state, link, file)
        .await?
        .ok_or(Error::NoCleanCopy)
}

/// A link's original for download (when the link allows it): as stored
/// with its name when the link keeps metadata; else a JPEG or PNG without
/// its metadata segments, an MP4/MOV with its metadata boxes edited out,
/// and for other photos the preview.
pub async fn original(state: &AppState, link: &LinkRow, asset: &str) -> Result<LinkFile> {
    if !link.allow_download {
        return Err(Error::NoDownload);
    }
    let (row, owner) = item_row(state, link, asset).await?;
    let file = files::original(state, &owner, &row.id).await?;
    if link.keep_metadata {
        return Ok(LinkFile::Ranged(file));
    }
    if row.kind == AssetKind::Video {
        return cleaned_video(state, link, file)
            .await?
            .map(LinkFile::Ranged)
            .ok_or(Error::NoCleanCopy);
    }
    let ext = |e: &str| format!("{}.{e}", row.id);
    if file.len <= MAX_CLEANED && matches!(file.mime.as_str(), "image/jpeg" | "image/png") {
        let bytes = read_span(state, &file, 0..file.len).await?;
        let clean = if file.mime == "image/jpeg" {
            strip::strip_jpeg(&bytes).map(|b| (b, ext("jpg")))
        } else {
            strip::strip_png(&bytes).map(|b| (b, ext("png")))
        };
        if let Some((bytes, name)) = clean {
            return Ok(LinkFile::Whole {
                bytes,
                mime: file.mime,
                name,
            });
        }
    }
    match rendition(state, link, asset, FileKind::Preview).await? {
        Some((bytes, mime, _)) => Ok(LinkFile::Whole {
            bytes,
            mime,
            name: ext("jpg"),
        }),
        None => Err(Error::NoCleanCopy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_are_kept_bounded_and_forgotten() {
        let key = |n: usize| (format!("\"link-files-test-{n}\""), 1000);
        let edits = Arc::new(vec![Patch {
            offset: 8,
            bytes: b"free".to_vec(),
        }]);
        keep_patches(key(0), Some(edits.clone()));
        keep_patches(key(1), None);
        assert_eq!(kept_patches(&key(0)), Some(Some(edits)));
        assert_eq!(
            kept_patches(&key(1)),
            Some(None),
            "cannot be cleaned: kept too"
        );
        assert_eq!(kept_patches(&(key(0).0, 999)), None, "another length");
        for n in 2..(PATCHES_KEPT + 10) {
            keep_patches(key(n), None);
        }
        assert!(kept().len() <= PATCHES_KEPT);
        forget_all();
        assert_eq!(kept_patches(&key(PATCHES_KEPT + 9)), None);
    }
}
