//! Resumable uploads (tus): an upload's declared length, how much has been
//! received, and the encrypted parts holding those bytes. A part is added in
//! the transaction that clears its blob's intent and advances `received`
//! only if `received` still equals the part's offset, so two writers can
//! never both append at one offset.

use crate::BeginWrite as _;
use crate::jobs::{self, JobKind};
use crate::{Catalog, CatalogError, Result};

/// A resumable upload.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadRow {
    /// random id
    pub id: String,
    /// owner
    pub owner_id: String,
    /// declared length in bytes
    pub length: i64,
    /// bytes received and stored so far
    pub received: i64,
    /// file name, field-encrypted under the owner's key
    pub file_name: Option<Vec<u8>>,
    /// unix ms
    pub created_at: i64,
    /// abandoned after (unix ms); extended by every write
    pub expires_at: i64,
    /// a writer holds the upload until (unix ms)
    pub busy_until: Option<i64>,
    /// the asset made from it once complete
    pub asset_id: Option<String>,
}

const COLS: &str =
    "id, owner_id, length, received, file_name, created_at, expires_at, busy_until, asset_id";

/// The blobs of an upload's parts to delete with it: every part but those an
/// asset references (a one-part upload's part is adopted as the asset's
/// original, the parts of an upload in pieces become its original's parts,
/// and the upload is marked complete after the asset is written).
const PARTS_TO_DROP: &str = "SELECT p.blob_name FROM upload_parts p WHERE p.upload_id = $1 AND NOT EXISTS (SELECT 1 FROM assets a WHERE a.blob_name = p.blob_name) AND NOT EXISTS (SELECT 1 FROM asset_parts x WHERE x.blob_name = p.blob_name)";

impl Catalog {
    /// Starts an upload.
    pub async fn create_upload(&self, u: &UploadRow) -> Result<()> {
        let q = "INSERT INTO uploads (id, owner_id, length, received, file_name, created_at, expires_at) VALUES ($1, $2, $3, 0, $4, $5, $6)";
        with_pool!(self, p => sqlx::query(q).bind(&u.id).bind(&u.owner_id).bind(u.length)
            .bind(&u.file_name).bind(u.created_at).bind(u.expires_at).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The owner's upload `id`.
    pub async fn upload(&self, owner: &str, id: &str) -> Result<Option<UploadRow>> {
        let q = format!("SELECT {COLS} FROM uploads WHERE owner_id = $1 AND id = $2");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(id).fetch_optional(p).await?))
    }

    /// Bytes reserved by the owner's unfinished uploads (declared minus nothing:
    /// the whole declared length counts against the quota until done).
    pub async fn reserved_upload_bytes(&self, owner: &str) -> Result<i64> {
        let q = "SELECT CAST(COALESCE(SUM(length), 0) AS BIGINT) FROM uploads WHERE owner_id = $1 AND asset_id IS NULL";
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(q).bind(owner).fetch_one(p).await?);
        Ok(n)
    }

    /// Takes the upload for one writer until `busy_until_ms` if it is at
    /// `offset`, unfinished and not held by another writer.
    pub async fn claim_upload(
        &self,
        owner: &str,
        id: &str,
        offset: i64,
        now_ms: i64,
        busy_until_ms: i64,
    ) -> Result<bool> {
        let q = "UPDATE uploads SET busy_until = $1 WHERE owner_id = $2 AND id = $3 AND received = $4 AND asset_id IS NULL AND (busy_until IS NULL OR busy_until < $5)";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(busy_until_ms).bind(owner).bind(id).bind(offset).bind(now_ms)
            .execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Extends the writer's hold while it is still working.
    pub async fn renew_upload_claim(&self, id: &str, busy_until_ms: i64) -> Result<()> {
        let q = "UPDATE uploads SET busy_until = $1 WHERE id = $2 AND busy_until IS NOT NULL";
        with_pool!(self, p => sqlx::query(q).bind(busy_until_ms).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Releases the writer's hold.
    pub async fn release_upload(&self, id: &str) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE uploads SET busy_until = NULL WHERE id = $1").bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Appends a stored part at `offset` (with its ciphertext's checksum) and
    /// advances `received` (clearing the part blob's intent).
    /// [`CatalogError::NotFound`] when the upload moved on or vanished
    /// meanwhile (the caller then drops the part blob).
    pub async fn add_upload_part(
        &self,
        id: &str,
        offset: i64,
        blob: &str,
        len: i64,
        sha256: &[u8],
        expires_at_ms: i64,
    ) -> Result<()> {
        let advance = "UPDATE uploads SET received = received + $1, expires_at = $2 WHERE id = $3 AND received = $4 AND asset_id IS NULL";
        let insert = "INSERT INTO upload_parts (upload_id, seq, blob_name, len, sha256) VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM upload_parts WHERE upload_id = $1), $2, $3, $4)";
        let ok: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(advance).bind(len).bind(expires_at_ms).bind(id).bind(offset).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(insert).bind(id).bind(blob).bind(len).bind(sha256).execute(&mut *tx).await?;
            sqlx::query(crate::intents::CLEAR).bind(blob).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }.await);
        if ok? {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// The parts of an upload in order: (blob name, length, checksum of the
    /// ciphertext when it was kept).
    pub async fn upload_parts(&self, id: &str) -> Result<Vec<(String, i64, Option<Vec<u8>>)>> {
        let q = "SELECT blob_name, len, sha256 FROM upload_parts WHERE upload_id = $1 ORDER BY seq";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(id).fetch_all(p).await?))
    }

    /// Records the asset a complete upload became and, in the same
    /// transaction, drops its parts and queues their blobs' deletion. The row
    /// stays until `expires_at_ms` so that a client asking late still learns
    /// the upload finished.
    pub async fn complete_upload(
        &self,
        id: &str,
        asset: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<()> {
        let q =
            "UPDATE uploads SET asset_id = $1, busy_until = NULL, expires_at = $2 WHERE id = $3";
        let parts = PARTS_TO_DROP;
        let r: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(q).bind(asset).bind(expires_at_ms).bind(id).execute(&mut *tx).await?;
            let blobs: Vec<(String,)> = sqlx::query_as(parts).bind(id).fetch_all(&mut *tx).await?;
            for (b,) in &blobs {
                sqlx::query(jobs::ENQUEUE).bind(jobs::new_id()).bind(JobKind::DropPrimary.as_str())
                    .bind(b).bind(now_ms).execute(&mut *tx).await?;
            }
            sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await
        }.await);
        Ok(r?)
    }

    /// Deletes an upload (the owner's, or any when `owner` is None) and queues
    /// its part blobs' deletion in the same transaction. False if absent.
    pub async fn delete_upload(&self, owner: Option<&str>, id: &str, now_ms: i64) -> Result<bool> {
        let parts = PARTS_TO_DROP;
        let del = "DELETE FROM uploads WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)";
        let ok: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let blobs: Vec<(String,)> = sqlx::query_as(parts).bind(id).fetch_all(&mut *tx).await?;
            let n = sqlx::query(del).bind(id).bind(owner).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            for (b,) in &blobs {
                sqlx::query(jobs::ENQUEUE).bind(jobs::new_id()).bind(JobKind::DropPrimary.as_str())
                    .bind(b).bind(now_ms).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        }.await);
        Ok(ok?)
    }

    /// Uploads abandoned (or finished and kept for late `HEAD`s) whose time ran out.
    pub async fn expired_uploads(&self, now_ms: i64, limit: i64) -> Result<Vec<String>> {
        let q = "SELECT id FROM uploads WHERE expires_at < $1 AND (busy_until IS NULL OR busy_until < $1) ORDER BY expires_at LIMIT $2";
        let rows: Vec<(String,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(now_ms).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
