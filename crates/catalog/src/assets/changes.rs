//! Changes to assets: flags and caption, trash and restore, and the purge
//! that deletes rows and queues their blobs' deletion in one transaction.

use crate::BeginWrite as _;
use crate::jobs::{self, JobKind};
use crate::{Catalog, Result};

impl Catalog {
    /// Moves the owner's asset to the trash; false if it is not theirs or already there.
    pub async fn trash_asset(&self, owner: &str, id: &str, now_ms: i64) -> Result<bool> {
        let q = "UPDATE assets SET trashed_at = $1 WHERE owner_id = $2 AND id = $3 AND trashed_at IS NULL";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(now_ms).bind(owner).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Takes the owner's asset out of the trash; false if it is not theirs or not there.
    pub async fn restore_asset(&self, owner: &str, id: &str) -> Result<bool> {
        let q = "UPDATE assets SET trashed_at = NULL WHERE owner_id = $1 AND id = $2 AND trashed_at IS NOT NULL";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(owner).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Changes the owner's asset: favourite, archived, caption (`Some(None)`
    /// clears it). False if it is not theirs.
    pub async fn update_asset(&self, owner: &str, id: &str, change: &AssetChange) -> Result<bool> {
        // A capture time moves the asset in the timeline too (the month
        // counts follow by trigger).
        let q = "UPDATE assets SET favorite = COALESCE($1, favorite), archived = COALESCE($2, archived), caption = CASE WHEN $3 THEN $4 ELSE caption END, taken_at = COALESCE($7, taken_at), sort_at = COALESCE($7, sort_at), metadata = COALESCE($8, metadata) WHERE owner_id = $5 AND id = $6";
        let (set_caption, caption) = match &change.caption {
            Some(c) => (true, c.clone()),
            None => (false, None),
        };
        Ok(with_pool!(self, p => sqlx::query(q)
            .bind(change.favorite).bind(change.archived).bind(set_caption).bind(caption)
            .bind(owner).bind(id).bind(change.taken_at).bind(change.metadata.clone())
            .execute(p).await?.rows_affected())
            == 1)
    }

    /// Purges trashed assets for good — the owner's whole trash
    /// (`owner = Some`), or everyone's items trashed before `trashed_before`
    /// — at most `limit` per call. Each asset row is deleted in the same
    /// transaction that queues its blob's deletion from the primary store and
    /// from the backup store (and drops a replication still pending), so a
    /// crash can neither lose the record nor leave a row without its blob.
    /// Returns how many were purged.
    pub async fn purge_trashed(
        &self,
        owner: Option<&str>,
        trashed_before: i64,
        now_ms: i64,
        limit: i64,
    ) -> Result<u64> {
        self.purge_where(
            owner,
            "",
            trashed_before,
            now_ms,
            jobs::BACKUP_DROP_DELAY_MS,
            limit,
        )
        .await
    }

    /// Purges up to `limit` of `owner`'s assets, trashed or not (account
    /// deletion), as [`Catalog::purge_trashed`] does; the backup copies go
    /// `backup_delay_ms` after the primary ones. Returns how many went.
    pub async fn purge_owner_assets(
        &self,
        owner: &str,
        now_ms: i64,
        backup_delay_ms: i64,
        limit: i64,
    ) -> Result<u64> {
        self.purge_where(Some(owner), ALL, i64::MAX, now_ms, backup_delay_ms, limit)
            .await
    }

    /// Purges one of the owner's assets for good, as [`Catalog::purge_trashed`]
    /// does — only if it is theirs and in the trash. Returns whether it went.
    pub async fn purge_trashed_asset(&self, owner: &str, id: &str, now_ms: i64) -> Result<bool> {
        // "" and ALL mean "any" to `purge_where`: never an asset id here.
        if id.is_empty() || id == ALL {
            return Ok(false);
        }
        Ok(self
            .purge_where(
                Some(owner),
                id,
                i64::MAX,
                now_ms,
                jobs::BACKUP_DROP_DELAY_MS,
                1,
            )
            .await?
            == 1)
    }

    #[allow(clippy::too_many_arguments)]
    async fn purge_where(
        &self,
        owner: Option<&str>,
        only_id: &str,
        trashed_before: i64,
        now_ms: i64,
        backup_delay_ms: i64,
        limit: i64,
    ) -> Result<u64> {
        let select = match owner {
            Some(_) if only_id == ALL => {
                "SELECT id, blob_name FROM assets WHERE owner_id = $1 AND $2 = $2 AND $4 = $4 ORDER BY id LIMIT $3"
            }
            Some(_) => {
                "SELECT id, blob_name FROM assets WHERE owner_id = $1 AND trashed_at IS NOT NULL AND trashed_at < $2 AND ($4 = '' OR id = $4) ORDER BY trashed_at LIMIT $3"
            }
            None => {
                "SELECT id, blob_name FROM assets WHERE trashed_at IS NOT NULL AND trashed_at < $2 AND $1 = $1 AND ($4 = '' OR id = $4) ORDER BY trashed_at LIMIT $3"
            }
        };
        let owner = owner.unwrap_or("");
        let n: std::result::Result<u64, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let rows: Vec<(String, String)> = sqlx::query_as(select)
                .bind(owner).bind(trashed_before).bind(limit).bind(only_id).fetch_all(&mut *tx).await?;
            for (id, original) in &rows {
                let files: Vec<(String,)> = sqlx::query_as("SELECT blob_name FROM asset_files WHERE asset_id = $1 UNION ALL SELECT blob_name FROM asset_parts WHERE asset_id = $1")
                    .bind(id).fetch_all(&mut *tx).await?;
                sqlx::query("DELETE FROM assets WHERE id = $1").bind(id).execute(&mut *tx).await?;
                sqlx::query(jobs::CANCEL).bind(JobKind::Media.as_str()).bind(id).execute(&mut *tx).await?;
                for blob in std::iter::once(original).chain(files.iter().map(|f| &f.0)) {
                    sqlx::query(jobs::CANCEL).bind(JobKind::Replicate.as_str()).bind(blob).execute(&mut *tx).await?;
                    for (kind, delay) in [(JobKind::DropPrimary, 0), (JobKind::DropBackup, backup_delay_ms)] {
                        sqlx::query(jobs::ENQUEUE)
                            .bind(jobs::new_id()).bind(kind.as_str()).bind(blob).bind(now_ms + delay)
                            .execute(&mut *tx).await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(rows.len() as u64)
        }.await);
        Ok(n?)
    }
}

/// `only_id` of [`Catalog::purge_where`] meaning "every asset of the owner,
/// trashed or not" (never a valid id).
const ALL: &str = "*";

/// A change to an asset's flags or caption; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetChange {
    /// favourite
    pub favorite: Option<bool>,
    /// archived
    pub archived: Option<bool>,
    /// new caption ciphertext (`Some(None)` removes it)
    pub caption: Option<Option<Vec<u8>>>,
    /// a capture time (unix ms) set by the owner: also the timeline position
    pub taken_at: Option<i64>,
    /// new metadata ciphertext (the owner set the capture time or place)
    pub metadata: Option<Vec<u8>>,
}
