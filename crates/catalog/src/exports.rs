//! Library exports: the export row (state, progress, the archive's size and
//! its metadata document's blob) and its frozen entries in archive order.
//! Each entry's path and CRC-32 arrive sealed under the owner's key; the
//! catalog never sees either.

use crate::BeginWrite as _;
use crate::assets::COLS;
use crate::jobs::{self, JobKind};
use crate::{AssetRow, Catalog, Result};

/// One export.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportRow {
    /// random id
    pub id: String,
    /// whose library
    pub owner_id: String,
    /// `preparing`, `ready` or `failed`
    pub state: String,
    /// unix ms
    pub created_at: i64,
    /// unix ms
    pub ready_at: Option<i64>,
    /// unix ms; deleted after this
    pub expires_at: i64,
    /// originals in it
    pub entries: i64,
    /// originals read so far
    pub done: i64,
    /// the archive's length, once ready
    pub archive_bytes: Option<i64>,
    /// the metadata document's blob
    pub metadata_blob: Option<String>,
    /// the metadata document's entry (sealed: length, CRC-32)
    pub metadata_entry: Option<Vec<u8>>,
    /// why it failed
    pub error: Option<String>,
}

/// One original in an export.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ExportEntryRow {
    /// place in the archive (0, 1, …)
    pub position: i64,
    /// the asset
    pub asset_id: String,
    /// its original's blob
    pub blob_name: String,
    /// plaintext length
    pub size: i64,
    /// sealed path and CRC-32
    pub entry: Vec<u8>,
}

const EXPORT_COLS: &str = "id, owner_id, state, created_at, ready_at, expires_at, entries, done, archive_bytes, metadata_blob, metadata_entry, error";

impl Catalog {
    /// Records a new export (`preparing`) and queues its preparation.
    pub async fn create_export(
        &self,
        id: &str,
        owner: &str,
        now_ms: i64,
        expires_at: i64,
    ) -> Result<()> {
        let q = "INSERT INTO exports (id, owner_id, state, created_at, expires_at) VALUES ($1, $2, 'preparing', $3, $4)";
        let r: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(q).bind(id).bind(owner).bind(now_ms).bind(expires_at).execute(&mut *tx).await?;
            sqlx::query(jobs::ENQUEUE).bind(jobs::new_id()).bind(JobKind::Export.as_str()).bind(id).bind(now_ms)
                .execute(&mut *tx).await?;
            tx.commit().await
        }.await);
        Ok(r?)
    }

    /// The owner's export `id` (None for anyone else's); `owner = None` for
    /// the preparing job.
    pub async fn export(&self, owner: Option<&str>, id: &str) -> Result<Option<ExportRow>> {
        let q = format!(
            "SELECT {EXPORT_COLS} FROM exports WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).bind(owner).fetch_optional(p).await?))
    }

    /// The owner's exports, newest first.
    pub async fn exports_of(&self, owner: &str) -> Result<Vec<ExportRow>> {
        let q = format!(
            "SELECT {EXPORT_COLS} FROM exports WHERE owner_id = $1 ORDER BY created_at DESC"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).fetch_all(p).await?))
    }

    /// Starts (or restarts) a preparation: entries of an earlier attempt go.
    pub async fn reset_export(&self, id: &str) -> Result<()> {
        let r: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM export_entries WHERE export_id = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query("UPDATE exports SET done = 0, entries = 0 WHERE id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await
        }.await);
        Ok(r?)
    }

    /// Adds an entry and counts it done.
    pub async fn add_export_entry(&self, id: &str, e: &ExportEntryRow) -> Result<()> {
        let r: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query("INSERT INTO export_entries (export_id, position, asset_id, blob_name, size, entry) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id).bind(e.position).bind(&e.asset_id).bind(&e.blob_name).bind(e.size).bind(&e.entry)
                .execute(&mut *tx).await?;
            sqlx::query("UPDATE exports SET done = done + 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await
        }.await);
        Ok(r?)
    }

    /// Sets how many originals the export will hold (progress).
    pub async fn set_export_total(&self, id: &str, entries: i64) -> Result<()> {
        let q = "UPDATE exports SET entries = $2 WHERE id = $1";
        with_pool!(self, p => sqlx::query(q).bind(id).bind(entries).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Marks an export ready and clears its metadata blob's write intent.
    pub async fn finish_export(
        &self,
        id: &str,
        archive_bytes: i64,
        metadata_blob: &str,
        metadata_entry: &[u8],
        now_ms: i64,
    ) -> Result<()> {
        let q = "UPDATE exports SET state = 'ready', ready_at = $2, archive_bytes = $3, metadata_blob = $4, metadata_entry = $5 WHERE id = $1";
        let r: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(q).bind(id).bind(now_ms).bind(archive_bytes).bind(metadata_blob).bind(metadata_entry)
                .execute(&mut *tx).await?;
            // The blob is referenced now: its write intent goes in the same transaction.
            sqlx::query(crate::intents::CLEAR).bind(metadata_blob).execute(&mut *tx).await?;
            tx.commit().await
        }.await);
        Ok(r?)
    }

    /// Marks an export failed.
    pub async fn fail_export(&self, id: &str, why: &str) -> Result<()> {
        let q = "UPDATE exports SET state = 'failed', error = $2 WHERE id = $1";
        with_pool!(self, p => sqlx::query(q).bind(id).bind(why).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Up to `limit` entries after `after` (a position; -1 for the start).
    pub async fn export_entries(
        &self,
        id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ExportEntryRow>> {
        let q = "SELECT position, asset_id, blob_name, size, entry FROM export_entries WHERE export_id = $1 AND position > $2 ORDER BY position LIMIT $3";
        Ok(
            with_pool!(self, p => sqlx::query_as(q).bind(id).bind(after).bind(limit).fetch_all(p).await?),
        )
    }

    /// Deletes an export (the owner's, or any with `owner = None`) and
    /// queues its metadata blob's deletion. False if absent.
    pub async fn delete_export(&self, owner: Option<&str>, id: &str, now_ms: i64) -> Result<bool> {
        let r: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            // A write first: SQLite takes the write lock at once (a read
            // first could meet another writer's commit and fail).
            let blob: Option<(Option<String>,)> = sqlx::query_as("DELETE FROM exports WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING metadata_blob")
                .bind(id).bind(owner).fetch_optional(&mut *tx).await?;
            let Some((blob,)) = blob else {
                tx.rollback().await?;
                return Ok(false);
            };
            sqlx::query(jobs::CANCEL).bind(JobKind::Export.as_str()).bind(id).execute(&mut *tx).await?;
            if let Some(b) = blob {
                sqlx::query(jobs::ENQUEUE).bind(jobs::new_id()).bind(JobKind::DropPrimary.as_str())
                    .bind(b).bind(now_ms).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        }.await);
        Ok(r?)
    }

    /// Exports past their expiry at `now_ms`, and every export of `owner`
    /// when given (account purge).
    pub async fn expired_exports(&self, now_ms: i64, owner: Option<&str>) -> Result<Vec<String>> {
        let q = "SELECT id FROM exports WHERE expires_at < $1 OR owner_id = $2 ORDER BY created_at LIMIT 500";
        let rows: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(q).bind(now_ms).bind(owner.unwrap_or("")).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Every asset of `owner`, trashed and archived too, by `(sort_at, id)`
    /// after the given position; a page of `limit`.
    pub async fn all_assets_after(
        &self,
        owner: &str,
        after: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AssetRow>> {
        let (at, id) = after.unwrap_or((i64::MIN, ""));
        let q = format!(
            "SELECT {COLS} FROM assets WHERE owner_id = $1 AND (sort_at > $2 OR (sort_at = $2 AND id > $3)) ORDER BY sort_at, id LIMIT $4"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(at).bind(id).bind(limit).fetch_all(p).await?),
        )
    }

    /// How many assets `owner` has (trash included).
    pub async fn count_all_assets(&self, owner: &str) -> Result<i64> {
        let q = "SELECT CAST(COUNT(*) AS BIGINT) FROM assets WHERE owner_id = $1";
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(q).bind(owner).fetch_one(p).await?);
        Ok(n)
    }

    /// The asset ids of an album, in the order they were added.
    pub async fn album_asset_ids(&self, album: &str) -> Result<Vec<String>> {
        let q = "SELECT asset_id FROM album_assets WHERE album_id = $1 ORDER BY added_at, asset_id";
        let rows: Vec<(String,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(album).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
