//! An upload sent in pieces made into an asset whose original is its parts,
//! kept as they are (`asset_parts`): the first part, bound to the upload's
//! id, becomes `assets.blob_name`; the others follow in order, each bound
//! to its own name. Nothing is written twice. What this module must never
//! do: keep parts whose ciphertext checksums are unknown (a backup copy
//! could not be checked), or record an original whose parts do not add up
//! to the upload's length.

use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use pixelunion_catalog::{AssetPartRow, UploadRow, UserRow};
use pixelunion_store::hashing::Sha256Offload;
use pixelunion_store::{BlobName, StoreError};
use pixelunion_vault::{DataKey, ObjectId};

use super::ingest::{Ingested, NewAsset, SNIFF_BYTES, record, sniff};
use super::{Error, Result};
use crate::AppState;

/// Most parts an original is kept as. An upload sent in more pieces than
/// this (a client with a tiny chunk size) is assembled into one blob
/// instead: every part costs a catalog row, a replication job and a store
/// round trip when a read crosses into it.
pub const MAX_KEPT_PARTS: usize = 1024;

/// Whether an upload's parts (name, length, ciphertext checksum) can be
/// kept as its original: more than one, at most [`MAX_KEPT_PARTS`], each
/// with its checksum recorded.
pub(super) fn keepable(rows: &[(String, i64, Option<Vec<u8>>)]) -> bool {
    (2..=MAX_KEPT_PARTS).contains(&rows.len()) && rows.iter().all(|r| r.2.is_some())
}

/// The SHA-256 of a stream's bytes, hashed on a thread of its own.
pub(super) async fn hash_of<S>(mut stream: S) -> Result<[u8; 32]>
where
    S: Stream<Item = std::result::Result<Bytes, StoreError>> + Unpin,
{
    let mut hasher = Sha256Offload::start();
    while let Some(piece) = stream.next().await {
        hasher
            .update(&piece?)
            .await
            .map_err(|_| Error::Corrupt("the content hash stopped"))?;
    }
    hasher
        .finish()
        .await
        .map_err(|_| Error::Corrupt("the content hash stopped"))
}

/// Makes a complete upload sent in pieces into an asset whose original is
/// its parts, kept as they are: nothing is read again but the first bytes
/// (the type), nothing written again. Needs the upload's hash (carried
/// across its PATCHes), every part's ciphertext checksum, and a first part
/// bound to the upload's id (which the asset takes); `None` when one is
/// missing (the upload is then assembled into one blob as before). What
/// recording came to is returned for the upload to conclude with.
pub(super) async fn keep(
    state: &AppState,
    user: &UserRow,
    key: &Arc<DataKey>,
    up: &UploadRow,
    digest: [u8; 32],
    rows: &[(String, i64, Option<Vec<u8>>)],
) -> Result<Option<Result<Ingested>>> {
    let ([(first, first_len, Some(first_sum)), rest @ ..], Ok(id)) =
        (rows, uuid::Uuid::parse_str(&up.id))
    else {
        return Ok(None);
    };
    // A first part too short to tell the type from: assembled, so that the
    // type is read from the first bytes of the whole file as usual.
    if rest.is_empty() || *first_len < SNIFF_BYTES as i64 {
        return Ok(None);
    }
    let mut parts = Vec::with_capacity(rest.len());
    for (i, (name, len, sum)) in rest.iter().enumerate() {
        let Some(sum) = sum else { return Ok(None) };
        parts.push(AssetPartRow {
            seq: i32::try_from(i + 1).map_err(|_| Error::Corrupt("too many parts"))?,
            blob_name: name.clone(),
            size: *len,
            sha256: sum.clone(),
        });
    }
    let first = BlobName::parse(first)?;
    let first_len = u64::try_from(*first_len).map_err(|_| Error::Corrupt("a part's length"))?;
    let total = parts.iter().map(|p| p.size).sum::<i64>() + i64::try_from(first_len).unwrap_or(0);
    if total != up.length {
        return Err(Error::Corrupt(
            "an upload's parts do not add up to its length",
        ));
    }
    // The first bytes, decrypted as the asset's: this also proves the
    // first part is bound to the upload's id.
    let store = &state.stores().primary;
    let opened = store.open_encrypted(&first).await?;
    if opened.plaintext_len() != first_len {
        return Err(StoreError::Source("part length mismatch".into()).into());
    }
    let object = ObjectId(*id.as_bytes());
    let head = match store
        .read_decrypted(key, object, &opened, 0..first_len.min(SNIFF_BYTES as u64))
        .await
    {
        Ok(h) => h,
        Err(StoreError::Vault(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some((kind, mime)) = sniff(&head) else {
        return Ok(Some(Err(Error::Unsupported)));
    };
    let new = NewAsset {
        id,
        blob: first,
        checksum: first_sum.clone(),
        len: u64::try_from(up.length).unwrap_or(0),
        rest: parts,
        kind,
        mime,
        digest,
    };
    let name = super::uploads::file_name(key, up);
    Ok(Some(record(state, user, key, name, new, None).await))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, missing: Option<usize>) -> Vec<(String, i64, Option<Vec<u8>>)> {
        (0..n)
            .map(|i| {
                (
                    format!("p{i}"),
                    10,
                    (Some(i) != missing).then(|| vec![1; 32]),
                )
            })
            .collect()
    }

    #[test]
    fn only_several_checksummed_parts_up_to_the_limit_are_kept() {
        assert!(!keepable(&rows(0, None)), "nothing");
        assert!(!keepable(&rows(1, None)), "one part is adopted instead");
        assert!(keepable(&rows(2, None)));
        assert!(keepable(&rows(MAX_KEPT_PARTS, None)));
        assert!(!keepable(&rows(MAX_KEPT_PARTS + 1, None)), "too many");
        assert!(!keepable(&rows(3, Some(0))), "the first without a checksum");
        assert!(!keepable(&rows(3, Some(2))), "a later one without");
    }
}
