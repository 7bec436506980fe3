//! The parts of an original stored as several blobs (a resumable upload
//! sent in pieces, its encrypted parts kept as they are): the asset row
//! names the first, these rows the ones after it, in order.

use crate::{Catalog, Result};

/// A part of an original after its first (which is `assets.blob_name`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssetPartRow {
    /// position, from 1 (the first part is the asset row's blob)
    pub seq: i32,
    /// opaque name of the encrypted part in the stores (its AEAD is bound
    /// to this name's object id)
    pub blob_name: String,
    /// plaintext bytes it holds
    pub size: i64,
    /// checksum of its stored ciphertext as recorded (BLAKE3, tagged; see
    /// `pixelunion_store::checksum`): what a backup copy must match
    pub sha256: Vec<u8>,
}

impl Catalog {
    /// The parts after the first of asset `asset_id`'s original, in order
    /// (empty for an original stored as one blob). Not scoped by owner:
    /// callers ask only for an asset they were allowed to see.
    pub async fn asset_parts(&self, asset_id: &str) -> Result<Vec<AssetPartRow>> {
        let q =
            "SELECT seq, blob_name, size, sha256 FROM asset_parts WHERE asset_id = $1 ORDER BY seq";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(asset_id).fetch_all(p).await?))
    }
}
