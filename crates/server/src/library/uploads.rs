//! Resumable uploads (the domain side of tus 1.0.0): creating one reserves
//! its length (size limit and quota are checked then); each piece of bytes
//! sent from the current offset is stored as one encrypted part — also when
//! the connection drops half-way, because the part is written by a task
//! that outlives the request. When the last byte arrives:
//! - an upload sent in one PATCH is adopted as it is (its part, bound to
//!   the upload's id, becomes the original);
//! - one sent in several becomes an original stored as its parts, kept as
//!   they are (`asset_parts`): nothing is written again. Its hash was
//!   taken piece by piece as it arrived (carried between PATCHes in the
//!   node's memory, [`super::carried_hash`]) or, when this node lost it, by
//!   reading the parts back; a duplicate is known before anything is
//!   recorded;
//! - parts that cannot be kept ([`super::kept_parts`]: from before their
//!   checksums were kept, more than 1,024 of them, a first part under 512
//!   bytes or bound to its own name) are decrypted in order and streamed
//!   through [`super::ingest`] into one new blob, as before.
//!
//! Plaintext never touches disk: parts are ciphertext.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use pixelunion_catalog::{CatalogError, UploadRow, UserRow};
use pixelunion_store::hashing::Sha256Offload;
use pixelunion_store::{BlobName, StoreError, StoredBlob};
use pixelunion_vault::{DataKey, ObjectId, Sha256Stream};

use super::ingest::{
    Ingested, MAX_FILE_NAME, NewAsset, SNIFF_BYTES, content_index, ingest, record, sniff,
};
use super::kept_parts;
use super::lease::WriteLease;
use super::{Error, Result, quota};
use crate::AppState;
use crate::clock::now_ms;
use crate::fields::{self, Column};

/// Starts a resumable upload of `length` bytes; returns it (offset 0).
pub async fn create(
    state: &AppState,
    user: &UserRow,
    length: u64,
    file_name: Option<&str>,
) -> Result<UploadRow> {
    if length == 0 {
        return Err(Error::EmptyFile);
    }
    if length > quota::max_upload_bytes(state) {
        return Err(Error::TooLarge {
            max_mib: state.config().library.max_upload_mib,
        });
    }
    if length > quota::left(state, user).await? {
        return Err(Error::OverQuota);
    }
    let key = state.keys().user_key(user)?;
    let id = uuid::Uuid::now_v7().to_string();
    let file_name = match file_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(fields::seal_text(
            &key,
            Column::UploadFileName,
            &user.id,
            &id,
            &n.chars().take(MAX_FILE_NAME).collect::<String>(),
        )?),
        None => None,
    };
    let now = now_ms();
    let row = UploadRow {
        id,
        owner_id: user.id.clone(),
        length: i64::try_from(length).unwrap_or(i64::MAX),
        received: 0,
        file_name,
        created_at: now,
        expires_at: now + expiry_ms(state),
        busy_until: None,
        asset_id: None,
    };
    state.catalog().create_upload(&row).await?;
    Ok(row)
}

/// The caller's upload `id`.
pub async fn get(state: &AppState, owner: &str, id: &str) -> Result<UploadRow> {
    state
        .catalog()
        .upload(owner, id)
        .await?
        .ok_or(Error::NotFound)
}

fn expiry_ms(state: &AppState) -> i64 {
    i64::try_from(state.config().library.resumable_expiry_hours)
        .unwrap_or(24 * 7)
        .saturating_mul(3_600_000)
}

/// How long a writer's hold on an upload lasts without renewal: short, so
/// that a client resumes soon after a crashed server comes back (tus clients
/// retry 409/423), and renewed every third of it while the writer works.
fn lease_ms(state: &AppState) -> i64 {
    i64::try_from(state.config().library.write_lease_secs)
        .unwrap_or(30)
        .saturating_mul(1000)
        .min(30_000)
}

/// Renews an upload's hold until dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(state: &AppState, id: &str) -> Self {
        let (state, id) = (state.clone(), id.to_string());
        Heartbeat(tokio::spawn(async move {
            let every = lease_ms(&state) / 3;
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(
                    u64::try_from(every.max(1)).unwrap_or(1),
                ))
                .await;
                if let Err(e) = state
                    .catalog()
                    .renew_upload_claim(&id, now_ms() + lease_ms(&state))
                    .await
                {
                    tracing::warn!(error = %e, "could not renew a resumable upload's hold");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every byte of `up` arrived but assembling it was interrupted (a crash,
/// a dropped connection): finish it now, in the background.
pub async fn finish_if_stalled(state: &AppState, user: &UserRow, up: &UploadRow) -> Result<()> {
    if up.asset_id.is_some() || up.received != up.length {
        return Ok(());
    }
    let now = now_ms();
    if state
        .catalog()
        .claim_upload(&user.id, &up.id, up.length, now, now + lease_ms(state))
        .await?
    {
        let (s, u, row) = (state.clone(), user.clone(), up.clone());
        tokio::spawn(async move {
            let _hold = Heartbeat::start(&s, &row.id);
            if let Err(e) = finish(&s, &u, &row, None).await {
                tracing::warn!(error = %e, "finishing a resumable upload failed");
            }
        });
    }
    Ok(())
}

/// Where an upload stands after a piece of bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// more bytes expected from this offset
    Progress(i64),
    /// complete: the asset (new, or the existing one for a duplicate)
    Complete {
        /// the final offset (the upload's length)
        offset: i64,
        /// the asset's id
        asset_id: String,
    },
}

/// Stores the bytes of `body`, which start at `offset`, as one part of the
/// caller's upload `up`. The part is written by a task of its own: if the
/// client goes away the request is dropped, but what arrived is kept.
pub async fn append<S, E>(
    state: &AppState,
    user: &UserRow,
    up: UploadRow,
    offset: i64,
    body: S,
) -> Result<Appended>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + Unpin + 'static,
    E: Send + 'static,
{
    if let Some(asset_id) = &up.asset_id {
        if offset == up.length {
            return Ok(Appended::Complete {
                offset,
                asset_id: asset_id.clone(),
            });
        }
        return Err(Error::OffsetMismatch);
    }
    if offset != up.received {
        return Err(Error::OffsetMismatch);
    }
    let now = now_ms();
    if !state
        .catalog()
        .claim_upload(&user.id, &up.id, offset, now, now + lease_ms(state))
        .await?
    {
        return Err(Error::Busy);
    }
    let (s, u) = (state.clone(), user.clone());
    let task = tokio::spawn(async move {
        let hold = Heartbeat::start(&s, &up.id);
        let r = write_part(&s, &u, &up, offset, body).await;
        drop(hold);
        if let Err(e) = s.catalog().release_upload(&up.id).await {
            tracing::warn!(error = %e, "could not release a resumable upload");
        }
        r
    });
    task.await?
}

async fn write_part<S, E>(
    state: &AppState,
    user: &UserRow,
    up: &UploadRow,
    offset: i64,
    body: S,
) -> Result<Appended>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Send + Unpin + 'static,
{
    let key = state.keys().user_key(user)?;
    let room = u64::try_from(up.length - offset).unwrap_or(0);
    let at = u64::try_from(offset).unwrap_or(u64::MAX);
    // The first part is encrypted for the asset it may become — its AEAD
    // bound to the upload's id, which the asset then takes (its name stays
    // random: a store's object names never repeat an id the API shows):
    // when it holds every byte it is adopted as the original (see
    // `adopt`), sniffed on the way in.
    let adoptable = match (offset, uuid::Uuid::parse_str(&up.id)) {
        (0, Ok(id)) => Some(id),
        _ => None,
    };
    // Every part is hashed on the way in, going on from the hash of the
    // bytes before it when this node kept that.
    let from = match offset {
        0 => Some(Sha256Stream::default()),
        _ => state.upload_hashes().take(&up.id, at),
    };
    let first = from.map(Hashing::start);
    let blob = BlobName::random();
    let object = match adoptable {
        Some(id) => ObjectId(*id.as_bytes()),
        None => blob.object_id(),
    };
    let lease = WriteLease::begin(state, &blob).await?;
    let got = Arc::new(AtomicU64::new(0));
    let overflow = Arc::new(AtomicBool::new(false));
    let (g, o, l, f) = (got.clone(), overflow.clone(), lease.clone(), first.clone());
    // Ends quietly at a dropped connection (keeping what arrived) or at the
    // declared length (flagging anything beyond it).
    let stream = futures::stream::unfold((body, false), move |(mut src, stop)| {
        let (g, o, l, f) = (g.clone(), o.clone(), l.clone(), f.clone());
        async move {
            if stop {
                return None;
            }
            match src.next().await {
                Some(Ok(mut b)) => {
                    let left = room - g.load(Ordering::Relaxed);
                    if b.len() as u64 > left {
                        b.truncate(usize::try_from(left).unwrap_or(0));
                        o.store(true, Ordering::Relaxed);
                    }
                    g.fetch_add(b.len() as u64, Ordering::Relaxed);
                    l.touch();
                    if let Some(f) = &f {
                        f.feed(&b).await;
                    }
                    let stop = o.load(Ordering::Relaxed);
                    Some((Ok::<Bytes, String>(b), (src, stop)))
                }
                Some(Err(_)) | None => None,
            }
        }
    });
    let stored = match state
        .stores()
        .primary
        .put_encrypted_stream(&key, object, blob.clone(), Box::pin(stream))
        .await
    {
        Ok(s) => s,
        Err(e) => {
            lease.abandon().await;
            return Err(e.into());
        }
    };
    let len = i64::try_from(stored.plaintext_len).unwrap_or(i64::MAX);
    // The hash counts only if it saw exactly the bytes the part holds.
    let hashed = match first {
        Some(h) => h.finish().await,
        None => None,
    }
    .filter(|(_, _, n)| *n == stored.plaintext_len);
    if len == 0 {
        lease.abandon().await;
        if let Some((_, h, _)) = hashed {
            state.upload_hashes().keep(&up.id, at, h);
        }
        return Ok(Appended::Progress(offset));
    }
    match state
        .catalog()
        .add_upload_part(
            &up.id,
            offset,
            blob.as_str(),
            len,
            &stored.checksum,
            now_ms() + expiry_ms(state),
        )
        .await
    {
        Ok(()) => {}
        Err(e) => {
            lease.abandon().await;
            return Err(match e {
                CatalogError::NotFound => Error::NotFound,
                e => e.into(),
            });
        }
    }
    let new_offset = offset + len;
    if overflow.load(Ordering::Relaxed) {
        return Err(Error::LengthExceeded);
    }
    if new_offset < up.length {
        if let Some((_, h, _)) = hashed {
            let next = u64::try_from(new_offset).unwrap_or(u64::MAX);
            state.upload_hashes().keep(&up.id, next, h);
        }
        return Ok(Appended::Progress(new_offset));
    }
    let asset_id = match (adoptable, hashed) {
        (Some(id), Some((head, h, _))) => {
            adopt(state, user, up, id, head, h.finish(), stored).await?
        }
        (None, Some((_, h, _))) => finish(state, user, up, Some(h.finish())).await?,
        (_, None) => finish(state, user, up, None).await?,
    };
    Ok(Appended::Complete {
        offset: new_offset,
        asset_id,
    })
}

/// What a part gathers on the way in: the content hash of the upload so
/// far (on a thread of its own), how many bytes of the part it has seen,
/// and the part's first bytes (the type, for a first part that turns out
/// to hold every byte).
#[derive(Debug, Clone)]
struct Hashing {
    seen: Arc<tokio::sync::Mutex<Seen>>,
}

#[derive(Debug)]
struct Seen {
    head: Vec<u8>,
    hasher: Option<Sha256Offload>,
    bytes: u64,
}

impl Hashing {
    /// Hashes on from `from`, the hash of the upload's bytes before the part.
    fn start(from: Sha256Stream) -> Self {
        Hashing {
            seen: Arc::new(tokio::sync::Mutex::new(Seen {
                head: Vec::new(),
                hasher: Some(Sha256Offload::resume(from)),
                bytes: 0,
            })),
        }
    }

    async fn feed(&self, b: &Bytes) {
        let mut seen = self.seen.lock().await;
        let Seen {
            head,
            hasher,
            bytes,
        } = &mut *seen;
        if head.len() < SNIFF_BYTES {
            let take = (SNIFF_BYTES - head.len()).min(b.len());
            head.extend_from_slice(&b[..take]);
        }
        *bytes += b.len() as u64;
        // A hashing thread that stopped only costs the carried hash: the
        // upload is then hashed again when it is assembled.
        if let Some(h) = hasher
            && h.update(b).await.is_err()
        {
            *hasher = None;
        }
    }

    /// (first bytes, the hash so far, bytes of the part seen), or `None`
    /// if the hash is lost.
    async fn finish(self) -> Option<(Vec<u8>, Sha256Stream, u64)> {
        let mut seen = self.seen.lock().await;
        let head = std::mem::take(&mut seen.head);
        let hash = seen.hasher.take()?.pause().await.ok()?;
        Some((head, hash, seen.bytes))
    }
}

/// Completes an upload whose one part holds every byte: the part,
/// encrypted for asset `id` (the upload's id), becomes the asset's original
/// as it is — no second pass over the bytes. The part's row stays until the upload is
/// marked complete, and the catalog never queues the deletion of a part an
/// asset references, so a crash in between loses nothing (the stalled
/// upload is then assembled the usual way and found to be a duplicate).
async fn adopt(
    state: &AppState,
    user: &UserRow,
    up: &UploadRow,
    id: uuid::Uuid,
    head: Vec<u8>,
    digest: [u8; 32],
    stored: StoredBlob,
) -> Result<String> {
    let key = state.keys().user_key(user)?;
    let recorded = match sniff(&head) {
        None => Err(Error::Unsupported),
        Some((kind, mime)) => {
            let new = NewAsset::one_blob(id, stored, kind, mime, digest);
            record(state, user, &key, file_name(&key, up), new, None).await
        }
    };
    let id = conclude(state, up, recorded).await?;
    crate::metrics::get().resumable_completed("adopted");
    Ok(id)
}

/// The upload's file name, decrypted.
pub(super) fn file_name(key: &DataKey, up: &UploadRow) -> Option<String> {
    fields::open_text(
        key,
        Column::UploadFileName,
        &up.owner_id,
        &up.id,
        up.file_name.as_deref(),
    )
}

/// Ends a complete upload with what making its asset came to: marked
/// complete with the asset; for a file that is not a photo or video (or
/// over the limits) deleted with its parts; after trouble on our side
/// released, kept for another try. Returns the asset id.
async fn conclude(state: &AppState, up: &UploadRow, made: Result<Ingested>) -> Result<String> {
    let c = state.catalog();
    let ingested = match made {
        Ok(i) => i,
        Err(e) => {
            if e.is_the_files_fault() {
                c.delete_upload(None, &up.id, now_ms()).await?;
                state.wake_jobs();
            } else {
                let _ = c.release_upload(&up.id).await;
            }
            return Err(e);
        }
    };
    let now = now_ms();
    c.complete_upload(&up.id, &ingested.asset.id, now, now + expiry_ms(state))
        .await?;
    state.wake_jobs();
    Ok(ingested.asset.id)
}

/// The parts read back in order, decrypted window by window.
/// The first part is bound to the upload's id (see `write_part`); one
/// written before that was bound to its own name, which is tried when the
/// upload's id does not authenticate its first bytes.
fn parts_stream(
    state: &AppState,
    key: Arc<DataKey>,
    upload: &UploadRow,
    parts: Vec<(BlobName, u64)>,
) -> impl Stream<Item = std::result::Result<Bytes, StoreError>> + Send + Unpin + 'static {
    let store = state.stores().primary.clone();
    let upload_object = uuid::Uuid::parse_str(&upload.id)
        .ok()
        .map(|u| ObjectId(*u.as_bytes()));
    Box::pin(
        futures::stream::iter(parts.into_iter().enumerate())
            .then(move |(i, (name, len))| {
                let (store, key) = (store.clone(), key.clone());
                async move {
                    let opened = store.open_encrypted(&name).await?;
                    if opened.plaintext_len() != len {
                        return Err(StoreError::Source("part length mismatch".into()));
                    }
                    let mut object = name.object_id();
                    if let (0, Some(u)) = (i, upload_object) {
                        let probe = store.read_decrypted(&key, u, &opened, 0..len.min(1)).await;
                        match probe {
                            Ok(_) => object = u,
                            Err(StoreError::Vault(_)) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(store.decrypted_stream(key, object, Arc::new(opened), 0..len))
                }
            })
            .try_flatten(),
    )
}

/// Assembles a complete upload into an asset; returns the asset id. A file
/// that is not a photo or video (or over the limits) ends the upload: its
/// parts are deleted. Trouble on our side keeps it for another try.
/// `known` is the upload's SHA-256 when its pieces were hashed as they
/// arrived: then nothing is hashed again, and bytes the owner already has
/// are not written again either.
async fn finish(
    state: &AppState,
    user: &UserRow,
    up: &UploadRow,
    carried: Option<[u8; 32]>,
) -> Result<String> {
    let key = state.keys().user_key(user)?;
    let c = state.catalog();
    let metrics = crate::metrics::get();
    let rows = c.upload_parts(&up.id).await?;
    let parts = rows
        .iter()
        .map(|(n, l, _)| Ok((BlobName::parse(n)?, u64::try_from(*l).unwrap_or(0))))
        .collect::<std::result::Result<Vec<_>, StoreError>>()?;
    // Parts that can be kept as they are, but no hash carried (another
    // node took a PATCH, a restart, a seal): read them back and hash them
    // — a read, no write.
    let keepable = kept_parts::keepable(&rows);
    let known = match carried {
        Some(d) => Some(d),
        None if keepable => {
            let stream = parts_stream(state, key.clone(), up, parts.clone());
            Some(kept_parts::hash_of(stream).await?)
        }
        None => None,
    };
    if let Some(digest) = known {
        let index = content_index(&key, &digest)?;
        if let Some(asset) = c.asset_by_content(&user.id, &index).await? {
            let found = Ingested {
                asset,
                duplicate: true,
            };
            let id = conclude(state, up, Ok(found)).await?;
            metrics.resumable_completed("duplicate");
            return Ok(id);
        }
        if keepable
            && let Some(made) = kept_parts::keep(state, user, &key, up, digest, &rows).await?
        {
            let id = conclude(state, up, made).await?;
            metrics.resumable_completed(match carried {
                Some(_) => "parts",
                None => "parts-rehashed",
            });
            return Ok(id);
        }
    }
    let how = if carried.is_some() {
        "carried"
    } else {
        "rehashed"
    };
    let name = file_name(&key, up);
    let stream = parts_stream(state, key, up, parts);
    let made = ingest(state, user, name, u64::MAX, known, stream).await;
    let id = conclude(state, up, made).await?;
    metrics.resumable_completed(how);
    Ok(id)
}

/// Abandons the caller's upload and deletes what was received.
pub async fn terminate(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    get(state, &user.id, id).await?;
    if !state
        .catalog()
        .delete_upload(Some(&user.id), id, now_ms())
        .await?
    {
        return Err(Error::NotFound);
    }
    state.upload_hashes().forget(id);
    state.wake_jobs();
    Ok(())
}
