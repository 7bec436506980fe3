//! Assets (photos and videos): every query is scoped by owner, so another
//! user's id simply finds nothing.

use crate::{Catalog, CatalogError, Result};

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssetRow {
    /// random, time-ordered id (UUIDv7 text); also the blob's object id
    pub id: String,
    /// owner
    pub owner_id: String,
    /// opaque name of the encrypted original in the stores
    pub blob_name: String,
    /// "photo" or "video"
    pub kind: String,
    /// sniffed media type
    pub mime: String,
    /// plaintext bytes
    pub size: i64,
    /// per-user keyed blind index of the content's SHA-256
    pub content_index: Vec<u8>,
    /// original file name, field-encrypted under the owner's key
    pub file_name: Option<Vec<u8>>,
    /// capture time (unix ms) once known
    pub taken_at: Option<i64>,
    /// upload time (unix ms)
    pub uploaded_at: i64,
    /// timeline position: capture time, else upload time (unix ms)
    pub sort_at: i64,
    /// in the trash since (unix ms)
    pub trashed_at: Option<i64>,
    /// favourite
    pub favorite: bool,
    /// archived
    pub archived: bool,
}

const COLS: &str = "id, owner_id, blob_name, kind, mime, size, content_index, file_name, taken_at, uploaded_at, sort_at, trashed_at, favorite, archived";

impl Catalog {
    /// Inserts an asset; [`CatalogError::AlreadyExists`] if the owner already
    /// has this content.
    pub async fn insert_asset(&self, a: &AssetRow) -> Result<()> {
        let q = "INSERT INTO assets (id, owner_id, blob_name, kind, mime, size, content_index, file_name, taken_at, uploaded_at, sort_at, trashed_at, favorite, archived) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
        let r = with_pool!(self, p => sqlx::query(q)
            .bind(&a.id).bind(&a.owner_id).bind(&a.blob_name).bind(&a.kind).bind(&a.mime).bind(a.size)
            .bind(&a.content_index).bind(&a.file_name).bind(a.taken_at).bind(a.uploaded_at).bind(a.sort_at)
            .bind(a.trashed_at).bind(a.favorite).bind(a.archived)
            .execute(p).await.map(|_| ()));
        r.map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => CatalogError::AlreadyExists,
            _ => CatalogError::Database(e),
        })
    }

    /// The owner's asset with this content index.
    pub async fn asset_by_content(&self, owner: &str, index: &[u8]) -> Result<Option<AssetRow>> {
        let q = format!("SELECT {COLS} FROM assets WHERE owner_id = $1 AND content_index = $2");
        Ok(
            with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(index).fetch_optional(p).await?),
        )
    }

    /// The owner's asset `id` (None for anyone else's).
    pub async fn asset(&self, owner: &str, id: &str) -> Result<Option<AssetRow>> {
        let q = format!("SELECT {COLS} FROM assets WHERE owner_id = $1 AND id = $2");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(id).fetch_optional(p).await?))
    }

    /// One timeline page, newest first: assets strictly after `cursor`
    /// (`(sort_at, id)` of the last item of the previous page).
    pub async fn timeline(
        &self,
        owner: &str,
        trashed: bool,
        cursor: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AssetRow>> {
        let trash = if trashed {
            "trashed_at IS NOT NULL"
        } else {
            "trashed_at IS NULL"
        };
        let rows = match cursor {
            None => {
                let q = format!(
                    "SELECT {COLS} FROM assets WHERE owner_id = $1 AND {trash} ORDER BY sort_at DESC, id DESC LIMIT $2"
                );
                with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(limit).fetch_all(p).await?)
            }
            Some((at, id)) => {
                let q = format!(
                    "SELECT {COLS} FROM assets WHERE owner_id = $1 AND {trash} AND (sort_at < $2 OR (sort_at = $2 AND id < $3)) ORDER BY sort_at DESC, id DESC LIMIT $4"
                );
                with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(at).bind(id).bind(limit).fetch_all(p).await?)
            }
        };
        Ok(rows)
    }

    /// Moves the owner's asset to the trash; false if it is not theirs or already there.
    pub async fn trash_asset(&self, owner: &str, id: &str, now_ms: i64) -> Result<bool> {
        let q = "UPDATE assets SET trashed_at = $1 WHERE owner_id = $2 AND id = $3 AND trashed_at IS NULL";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(now_ms).bind(owner).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }
}
