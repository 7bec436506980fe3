//! Reading what the library stores, for its owner: an original or a video's
//! playable copy (any byte range, decrypting only the segments it touches)
//! and the small renditions (thumbnail, preview) whole. An original kept as
//! the parts of an upload in pieces reads as one file: each range is cut
//! at the parts' boundaries and every blob is read from either copy.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt as _, TryStreamExt as _};
use pixelunion_catalog::{AssetFileRow, AssetKind, AssetRow, FileKind, MediaState, UserRow};
use pixelunion_media::strip::Patch;
use pixelunion_store::{BlobName, EncryptedObject, StoreError};
use pixelunion_vault::{DataKey, ObjectId};

use super::{Error, Result, asset_object_id, assets, sharing};
use crate::AppState;

/// An encrypted file to read by ranges.
#[derive(Debug, Clone)]
pub struct Readable {
    /// the owner's key
    pub key: Arc<DataKey>,
    /// the object id its AEAD is bound to
    pub object: ObjectId,
    /// where it is stored
    pub blob: BlobName,
    /// plaintext length
    pub len: u64,
    /// media type
    pub mime: String,
    /// a strong validator (quoted), stable for the file's life
    pub etag: String,
    /// the original file name (originals only)
    pub file_name: Option<String>,
    /// byte edits applied as the file is served (a link's metadata-free
    /// video: same length, same offsets)
    pub patches: Option<Arc<Vec<Patch>>>,
    /// for an original: its asset's id, whose later parts make up the rest
    /// of the file when `blob` holds only its first bytes (an upload in
    /// pieces, kept as its parts; see [`Opened::Parts`])
    pub parts_of: Option<String>,
}

/// Where a read's bytes come from: the primary copy, or — when that is
/// missing or fails authentication — the backup copy, whose every segment
/// is authenticated as it is served (a damaged or substituted copy cannot
/// pass), while a repair job rewrites the primary.
#[derive(Debug, Clone)]
pub enum Opened {
    /// the primary copy
    Primary(Arc<EncryptedObject>),
    /// the backup copy
    Backup(Arc<EncryptedObject>),
    /// an original stored as several blobs: the first opened (either
    /// copy), the others opened as the read reaches them
    Parts(Arc<Parts>),
}

/// An original stored as several blobs, in order.
#[derive(Debug)]
pub struct Parts {
    /// the first blob, opened
    first: Opened,
    /// where the first blob's bytes sit, and what it is bound to
    head: Piece,
    /// the blobs after it
    rest: Arc<Vec<Piece>>,
}

impl Parts {
    fn piece(&self, i: usize) -> Option<&Piece> {
        match i {
            0 => Some(&self.head),
            _ => self.rest.get(i - 1),
        }
    }
}

/// The later parts of originals stored as several blobs, by asset id, as
/// a node read them. They never change once recorded (an asset's parts are
/// written with its row and go only with it, and ids are never reused), so
/// nothing can make an entry wrong: a purged asset is refused before its
/// entry is looked at. Saves a catalog query per Range request; holds
/// object names and sizes only, nothing secret.
#[derive(Debug, Default)]
pub struct PartsCache(std::sync::Mutex<std::collections::HashMap<String, Arc<Vec<Piece>>>>);

/// Originals whose parts a node keeps in [`PartsCache`] (emptied when full).
const PARTS_KEPT_FOR: usize = 256;

impl PartsCache {
    fn get(&self, asset: &str) -> Option<Arc<Vec<Piece>>> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.get(asset).cloned()
    }

    fn put(&self, asset: &str, rest: Arc<Vec<Piece>>) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= PARTS_KEPT_FOR {
            m.clear();
        }
        m.insert(asset.to_string(), rest);
    }
}

/// One blob of an original stored as several: where its plaintext sits in
/// the file, and what its AEAD is bound to.
#[derive(Debug, Clone)]
pub struct Piece {
    blob: BlobName,
    object: ObjectId,
    start: u64,
    len: u64,
}

impl Opened {
    /// The opened copy of a file stored as one blob (or of an original's
    /// first part).
    fn single(&self) -> Option<&Arc<EncryptedObject>> {
        match self {
            Opened::Primary(o) | Opened::Backup(o) => Some(o),
            Opened::Parts(_) => None,
        }
    }
}

/// Whether a primary read failed because the object is gone or damaged
/// (not because the store is unreachable).
fn damaged(e: &StoreError) -> bool {
    matches!(e, StoreError::NotFound(_) | StoreError::Vault(_))
}

impl Readable {
    /// Reads the header and size once, for any number of range reads; falls
    /// back to the backup copy if the primary one is missing or damaged.
    ///
    /// An original whose blob holds fewer bytes than the file is stored as
    /// several blobs: its later parts are looked up then (one query the
    /// first time, only for such originals; the node keeps them in
    /// [`PartsCache`]) and must add up to the file's length.
    pub async fn open(&self, state: &AppState) -> Result<Opened> {
        let first = open_copy(state, &self.blob).await?;
        let first_len = first.single().map_or(0, |o| o.plaintext_len());
        let Some(asset) = self.parts_of.as_deref().filter(|_| first_len < self.len) else {
            return Ok(first);
        };
        let rest = match state.kept_parts().get(asset) {
            Some(rest) => rest,
            None => {
                let rest = later_parts(state, asset, first_len).await?;
                if !rest.is_empty() {
                    state.kept_parts().put(asset, rest.clone());
                }
                rest
            }
        };
        if rest.is_empty() {
            // a short blob with nothing after it: reading past its end
            // fails as for any damaged file
            return Ok(first);
        }
        let end = rest.last().map_or(first_len, |p| p.start + p.len);
        if rest.first().map(|p| p.start) != Some(first_len) || end != self.len {
            return Err(Error::Corrupt(
                "an original's parts do not add up to its size",
            ));
        }
        let head = Piece {
            blob: self.blob.clone(),
            object: self.object,
            start: 0,
            len: first_len,
        };
        Ok(Opened::Parts(Arc::new(Parts { first, head, rest })))
    }

    /// The plaintext bytes `span`, fetched and decrypted window by window.
    /// A window the primary copy cannot give (missing, damaged) is read from
    /// the backup copy, and so is the rest of the stream.
    ///
    /// Read by [`pixelunion_store::read_ahead`]: a first window that ends
    /// with the first segment the span touches (one segment decrypted
    /// before the first bytes leave), then one window ahead of the one
    /// being sent. An original stored as several blobs is read so blob
    /// after blob, each for the part of the span it holds.
    pub fn stream(
        &self,
        state: &AppState,
        opened: Opened,
        span: Range<u64>,
    ) -> impl Stream<Item = std::result::Result<Bytes, StoreError>> + Send + use<> {
        let body = match opened {
            Opened::Parts(parts) => parts_stream(state, &self.key, parts, span.clone()),
            single => one_blob(
                state,
                &self.key,
                self.object,
                &self.blob,
                single,
                span.clone(),
            )
            .boxed(),
        };
        let patches = self.patches.clone();
        let mut at = span.start;
        body.map_ok(move |b: Bytes| {
            let here = at;
            at += b.len() as u64;
            match &patches {
                Some(p) if !p.is_empty() => {
                    let mut v = b.to_vec();
                    pixelunion_media::strip::apply(p, here, &mut v);
                    Bytes::from(v)
                }
                _ => b,
            }
        })
    }
}

/// The later parts of asset `asset`'s original from the catalog, placed
/// after a first blob of `first_len` bytes.
async fn later_parts(state: &AppState, asset: &str, first_len: u64) -> Result<Arc<Vec<Piece>>> {
    let mut at = first_len;
    let mut rest = Vec::new();
    for p in state.catalog().asset_parts(asset).await? {
        let blob = BlobName::parse(&p.blob_name)?;
        let len = u64::try_from(p.size).map_err(|_| Error::Corrupt("a part's size"))?;
        rest.push(Piece {
            object: blob.object_id(),
            blob,
            start: at,
            len,
        });
        at += len;
    }
    Ok(Arc::new(rest))
}

/// The plaintext bytes `span` of one blob (`opened`), window by window
/// (see [`Readable::stream`]).
fn one_blob(
    state: &AppState,
    key: &Arc<DataKey>,
    object: ObjectId,
    blob: &BlobName,
    opened: Opened,
    span: Range<u64>,
) -> impl Stream<Item = std::result::Result<Bytes, StoreError>> + Send + use<> {
    let windows = Arc::new(Windows {
        state: state.clone(),
        key: key.clone(),
        object,
        blob: blob.clone(),
    });
    let segment = opened.single().map_or(1, |o| o.segment_size().max(1));
    let first = segment - span.start % segment;
    pixelunion_store::read_ahead(opened, span, first, move |opened, range| {
        let windows = windows.clone();
        async move { windows.read(opened, range).await }
    })
    .map_ok(|pieces| futures::stream::iter(pieces.into_iter().map(Ok)))
    .try_flatten()
}

/// The plaintext bytes `span` of an original stored as several blobs: the
/// part of the span each blob holds, blob after blob, each opened (either
/// copy) when the read reaches it.
fn parts_stream(
    state: &AppState,
    key: &Arc<DataKey>,
    parts: Arc<Parts>,
    span: Range<u64>,
) -> BoxStream<'static, std::result::Result<Bytes, StoreError>> {
    let (state, key) = (state.clone(), key.clone());
    let spans: Vec<(usize, Range<u64>)> = std::iter::once(&parts.head)
        .chain(parts.rest.iter())
        .enumerate()
        .filter_map(|(i, p)| {
            let (from, to) = (span.start.max(p.start), span.end.min(p.start + p.len));
            (from < to).then(|| (i, from - p.start..to - p.start))
        })
        .collect();
    futures::stream::iter(spans)
        .then(move |(i, range)| {
            let (state, key, parts) = (state.clone(), key.clone(), parts.clone());
            async move {
                let p = parts
                    .piece(i)
                    .ok_or_else(|| StoreError::Source("no such part".into()))?;
                let opened = match i {
                    0 => parts.first.clone(),
                    _ => open_copy(&state, &p.blob).await?,
                };
                if opened.single().map(|o| o.plaintext_len()) != Some(p.len) {
                    return Err(StoreError::Source(
                        "a part's length does not match its record".into(),
                    ));
                }
                Ok(one_blob(&state, &key, p.object, &p.blob, opened, range))
            }
        })
        .try_flatten()
        .boxed()
}

/// What reading one window of a file needs.
struct Windows {
    state: AppState,
    key: Arc<DataKey>,
    object: ObjectId,
    blob: BlobName,
}

impl Windows {
    /// Plaintext bytes `range` from `opened`, falling back to the backup
    /// copy when the primary one is missing or damaged; returns the copy the
    /// next window should be read from.
    async fn read(
        &self,
        opened: Opened,
        range: Range<u64>,
    ) -> std::result::Result<(Vec<Bytes>, Opened), StoreError> {
        match self.read_from(&opened, range.clone()).await {
            Err(e) if damaged(&e) && matches!(opened, Opened::Primary(_)) => {
                self.state.stores().primary.forget_opened(&self.blob);
                match open_backup(&self.state, &self.blob).await {
                    Some(b) => {
                        let b = Opened::Backup(b);
                        self.read_from(&b, range).await.map(|v| (v, b))
                    }
                    None => Err(e),
                }
            }
            other => other.map(|v| (v, opened)),
        }
    }

    async fn read_from(
        &self,
        opened: &Opened,
        range: Range<u64>,
    ) -> std::result::Result<Vec<Bytes>, StoreError> {
        let stores = self.state.stores();
        let (store, obj) = match opened {
            Opened::Primary(x) => (&stores.primary, x),
            Opened::Backup(x) => (&stores.backup, x),
            Opened::Parts(_) => {
                return Err(StoreError::Source("a window of several blobs".into()));
            }
        };
        store
            .read_decrypted_pieces(&self.key, self.object, obj, range)
            .await
    }
}

/// One blob opened for serving: the primary copy, or the backup copy when
/// the primary one is missing or damaged.
async fn open_copy(state: &AppState, blob: &BlobName) -> std::result::Result<Opened, StoreError> {
    match state
        .stores()
        .primary
        .open_encrypted_for_serving(blob)
        .await
    {
        Ok(o) => Ok(Opened::Primary(Arc::new(o))),
        Err(e) if damaged(&e) => match open_backup(state, blob).await {
            Some(o) => Ok(Opened::Backup(o)),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// The backup copy of `blob`, opened, after counting and auditing the
/// fallback and queueing the primary's repair; `None` if there is no usable
/// backup copy either.
async fn open_backup(state: &AppState, blob: &BlobName) -> Option<Arc<EncryptedObject>> {
    match state.stores().backup.open_encrypted(blob).await {
        Ok(o) => {
            crate::backup::heal::read_healed(state, blob).await;
            Some(Arc::new(o))
        }
        Err(e) => {
            crate::metrics::get().store_error("backup");
            tracing::error!(blob = %blob.as_str(), error = %e, "primary copy missing or damaged and no usable backup copy");
            None
        }
    }
}

/// The original of asset `id` (the caller's, or shared with them).
pub async fn original(state: &AppState, user: &UserRow, id: &str) -> Result<Readable> {
    let asset = sharing::visible_asset(state, user, id).await?;
    let key = sharing::key_for(state, user, &asset.owner_id).await?;
    let mut file = original_of(key, &asset)?;
    file.file_name = assets::file_name(&file.key, &asset);
    Ok(file)
}

/// The original of `asset`, read with its owner's `key` (no file name).
pub fn original_of(key: Arc<DataKey>, asset: &AssetRow) -> Result<Readable> {
    Ok(Readable {
        key,
        object: asset_object_id(&asset.id)?,
        blob: BlobName::parse(&asset.blob_name)?,
        len: u64::try_from(asset.size).unwrap_or(0),
        mime: asset.mime.clone(),
        etag: format!("\"{}\"", asset.id),
        file_name: None,
        patches: None,
        parts_of: Some(asset.id.clone()),
    })
}

/// What a player should load for the caller's video `id`: the H.264/AAC
/// copy made for a video browsers cannot play, else the original.
pub async fn playback(state: &AppState, user: &UserRow, id: &str) -> Result<Readable> {
    let asset = sharing::visible_asset(state, user, id).await?;
    if asset.kind != AssetKind::Video {
        return Err(Error::NotAVideo);
    }
    let file = state
        .catalog()
        .asset_file(&asset.owner_id, id, FileKind::Playback)
        .await?;
    let key = sharing::key_for(state, user, &asset.owner_id).await?;
    Ok(match file {
        Some(f) => {
            let blob = BlobName::parse(&f.blob_name)?;
            Readable {
                key,
                object: blob.object_id(),
                etag: format!("\"{}\"", f.blob_name),
                blob,
                len: u64::try_from(f.size).unwrap_or(0),
                mime: f.mime,
                file_name: None,
                patches: None,
                parts_of: None,
            }
        }
        None => original_of(key, &asset)?,
    })
}

/// The whole plaintext of `file`, read window by window into one buffer
/// (for a file that is worked on whole in memory: a photo's renditions).
pub async fn read_whole(state: &AppState, file: &Readable) -> Result<Vec<u8>> {
    let opened = file.open(state).await?;
    let mut out = Vec::with_capacity(usize::try_from(file.len).unwrap_or(0));
    let mut body = std::pin::pin!(file.stream(state, opened, 0..file.len));
    while let Some(piece) = body.next().await {
        out.extend_from_slice(&piece?);
    }
    Ok(out)
}

/// A thumbnail or preview, or why there is none yet.
#[derive(Debug, Clone)]
pub enum Rendition {
    /// made: the stored file and its owner (read it with [`read_rendition`])
    Ready(AssetFileRow, String),
    /// not made (yet): the pipeline's state
    Missing(MediaState),
}

impl Rendition {
    /// The validator of a made rendition (quoted).
    pub fn etag(file: &AssetFileRow) -> String {
        format!("\"{}\"", file.blob_name)
    }
}

/// Rendition `kind` of asset `id`, the caller's or shared with them. The
/// lookup of the caller's own is one owner-scoped query; only a miss asks
/// for the asset (not found, shared, or its pipeline state).
pub async fn rendition(
    state: &AppState,
    user: &UserRow,
    id: &str,
    kind: FileKind,
) -> Result<Rendition> {
    let c = state.catalog();
    if let Some(f) = c.asset_file(&user.id, id, kind).await? {
        return Ok(Rendition::Ready(f, user.id.clone()));
    }
    let asset = sharing::visible_asset(state, user, id).await?;
    match c.asset_file(&asset.owner_id, id, kind).await? {
        Some(f) => Ok(Rendition::Ready(f, asset.owner_id)),
        None => Ok(Rendition::Missing(asset.media_state)),
    }
}

/// The decrypted bytes of a made rendition owned by `owner` (the caller,
/// or whoever shared it with them).
pub async fn read_rendition(
    state: &AppState,
    user: &UserRow,
    owner: &str,
    file: &AssetFileRow,
) -> Result<Vec<u8>> {
    let key = sharing::key_for(state, user, owner).await?;
    let name = BlobName::parse(&file.blob_name)?;
    let stores = state.stores();
    match stores
        .primary
        .get_decrypted_for_serving(&key, name.object_id(), &name)
        .await
    {
        Err(e) if damaged(&e) => {
            match stores
                .backup
                .get_decrypted(&key, name.object_id(), &name)
                .await
            {
                Ok(v) => {
                    crate::backup::heal::read_healed(state, &name).await;
                    Ok(v)
                }
                Err(_) => Err(e.into()),
            }
        }
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(n: u64) -> Arc<Vec<Piece>> {
        let blob = BlobName::random();
        Arc::new(vec![Piece {
            object: blob.object_id(),
            blob,
            start: n,
            len: 1,
        }])
    }

    #[test]
    fn the_parts_cache_gives_back_what_it_was_given_and_stays_bounded() {
        let cache = PartsCache::default();
        assert!(cache.get("a").is_none());
        let a = pieces(7);
        cache.put("a", a.clone());
        let got = cache.get("a").expect("kept");
        assert!(Arc::ptr_eq(&got, &a));
        assert!(cache.get("b").is_none(), "by asset id");
        for i in 1..PARTS_KEPT_FOR {
            cache.put(&format!("x{i}"), pieces(i as u64));
        }
        assert!(cache.get("a").is_some(), "full, not over");
        cache.put("one more", pieces(0));
        assert!(cache.get("a").is_none(), "emptied when full");
        assert_eq!(cache.get("one more").map(|p| p[0].start), Some(0));
    }
}
