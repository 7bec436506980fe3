//! The backup machinery's records: runs (snapshots, verifications, scrubs,
//! restores) with their counts, every blob the catalog references with the
//! checksum of its ciphertext (`pixelunion_store::checksum`), and the replication backlog.

use crate::jobs::JobKind;
use crate::{Catalog, Result};

/// One run of the backup machinery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BackupRun {
    /// id
    pub id: String,
    /// `snapshot`, `verify`, `scrub` or `restore`
    pub kind: String,
    /// started (unix ms)
    pub started_at: i64,
    /// finished (unix ms), if it did
    pub finished_at: Option<i64>,
    /// how it ended
    pub ok: Option<bool>,
    /// counts and opaque ids as JSON (never user content)
    pub details: Option<String>,
}

/// A blob a row references.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReferencedBlob {
    /// its name
    pub name: String,
    /// checksum of its ciphertext, when recorded
    pub sha256: Option<Vec<u8>>,
}

/// Whose a blob is.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlobOwner {
    /// the owning account
    pub owner_id: String,
    /// the asset it belongs to
    pub asset_id: String,
    /// the asset's original, or its first part, whose AEAD is bound to the
    /// asset's id (else a later part or a derived file, bound to the blob's
    /// own name)
    pub original: bool,
}

/// The replication backlog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// blobs waiting to be copied
    pub queued: i64,
    /// copies that failed for good
    pub dead: i64,
    /// when the oldest waiting one was queued (unix ms)
    pub oldest_queued_at: Option<i64>,
}

impl Catalog {
    /// Records that a run began.
    pub async fn start_backup_run(&self, id: &str, kind: &str, at_ms: i64) -> Result<()> {
        let q = "INSERT INTO backup_runs (id, kind, started_at) VALUES ($1, $2, $3)";
        with_pool!(self, p => sqlx::query(q).bind(id).bind(kind).bind(at_ms).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Records how a run ended.
    pub async fn finish_backup_run(
        &self,
        id: &str,
        ok: bool,
        details: &str,
        at_ms: i64,
    ) -> Result<()> {
        let q = "UPDATE backup_runs SET finished_at = $1, ok = $2, details = $3 WHERE id = $4";
        with_pool!(self, p => sqlx::query(q).bind(at_ms).bind(ok).bind(details).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The latest runs of `kind`, newest first.
    pub async fn backup_runs(&self, kind: &str, limit: i64) -> Result<Vec<BackupRun>> {
        let q = "SELECT id, kind, started_at, finished_at, ok, details FROM backup_runs WHERE kind = $1 ORDER BY started_at DESC, id DESC LIMIT $2";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(kind).bind(limit).fetch_all(p).await?))
    }

    /// Forgets runs that started before `before_ms`.
    pub async fn prune_backup_runs(&self, before_ms: i64) -> Result<u64> {
        let q = "DELETE FROM backup_runs WHERE started_at < $1";
        Ok(with_pool!(self, p => sqlx::query(q).bind(before_ms).execute(p).await?.rows_affected()))
    }

    /// The blobs rows reference (originals, their later parts and derived
    /// files), by name,
    /// `limit` at a time after `after`.
    pub async fn referenced_blobs(&self, after: &str, limit: i64) -> Result<Vec<ReferencedBlob>> {
        let q = "SELECT name, sha256 FROM (SELECT blob_name AS name, blob_sha256 AS sha256 FROM assets UNION ALL SELECT blob_name AS name, sha256 FROM asset_files UNION ALL SELECT blob_name AS name, sha256 FROM asset_parts) b WHERE name > $1 ORDER BY name LIMIT $2";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(after).bind(limit).fetch_all(p).await?))
    }

    /// The checksum recorded for a blob's ciphertext, if a row references it.
    pub async fn blob_sha256(&self, name: &str) -> Result<Option<Option<Vec<u8>>>> {
        let q = "SELECT sha256 FROM (SELECT blob_name AS name, blob_sha256 AS sha256 FROM assets UNION ALL SELECT blob_name AS name, sha256 FROM asset_files UNION ALL SELECT blob_name AS name, sha256 FROM asset_parts) b WHERE name = $1";
        let row: Option<(Option<Vec<u8>>,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(name).fetch_optional(p).await?);
        Ok(row.map(|r| r.0))
    }

    /// Whose blob `name` is (its asset and owner), if a row references it.
    pub async fn blob_owner(&self, name: &str) -> Result<Option<BlobOwner>> {
        let q = "SELECT owner_id, id AS asset_id, TRUE AS original FROM assets WHERE blob_name = $1 UNION ALL SELECT a.owner_id, a.id AS asset_id, FALSE AS original FROM asset_files f JOIN assets a ON a.id = f.asset_id WHERE f.blob_name = $1 UNION ALL SELECT a.owner_id, a.id AS asset_id, FALSE AS original FROM asset_parts x JOIN assets a ON a.id = x.asset_id WHERE x.blob_name = $1";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(name).fetch_optional(p).await?))
    }

    /// Blobs whose deletion from the backup store is queued (not orphans).
    pub async fn backup_drops_pending(&self) -> Result<Vec<String>> {
        let q = "SELECT subject FROM jobs WHERE kind = $1";
        let rows: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(q)
            .bind(JobKind::DropBackup.as_str()).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The replication backlog now.
    pub async fn replication_backlog(&self) -> Result<Backlog> {
        let q = "SELECT CAST(COALESCE(SUM(CASE WHEN state = 'ready' THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS BIGINT), MIN(CASE WHEN state = 'ready' THEN created_at END) FROM jobs WHERE kind = $1";
        let (queued, dead, oldest): (i64, i64, Option<i64>) = with_pool!(self, p => sqlx::query_as(q)
            .bind(JobKind::Replicate.as_str()).fetch_one(p).await?);
        Ok(Backlog {
            queued,
            dead,
            oldest_queued_at: oldest,
        })
    }
}
