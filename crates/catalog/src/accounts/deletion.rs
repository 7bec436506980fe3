//! Account deletion: the request (the account is disabled and its sessions
//! and API tokens end in the same transaction), the grace period, and the
//! purge's last steps (unfinished uploads, then the user row itself — with
//! it the wrapped user key, which is what makes every copy of the account's
//! data unreadable).

use crate::BeginWrite as _;
use crate::jobs::{self, JobKind};
use crate::{Catalog, Result};

/// A deletion waiting for its purge.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeletionRow {
    /// the account
    pub user_id: String,
    /// when it was asked for (unix s)
    pub requested_at: i64,
    /// when the purge may run (unix s)
    pub purge_after: i64,
    /// who asked (the account itself or an administrator)
    pub requested_by: String,
}

const SELECT: &str = "SELECT id AS user_id, deletion_requested_at AS requested_at, purge_after, deletion_requested_by AS requested_by FROM users WHERE purge_after IS NOT NULL";

impl Catalog {
    /// Marks `id` for deletion: disabled now, its sessions and API tokens
    /// gone, purge after `purge_after`. False if absent or already marked.
    pub async fn request_account_deletion(
        &self,
        id: &str,
        by: &str,
        at: i64,
        purge_after: i64,
    ) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let mark = "UPDATE users SET disabled = TRUE, deletion_requested_at = $2, purge_after = $3, deletion_requested_by = $4 WHERE id = $1 AND purge_after IS NULL";
        let r: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(mark).bind(id).bind(at).bind(purge_after).bind(by).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }.await);
        Ok(r?)
    }

    /// Cancels a pending deletion and enables the account again. False if
    /// there was none (or it was purged already).
    pub async fn cancel_account_deletion(&self, id: &str) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "UPDATE users SET disabled = FALSE, deletion_requested_at = NULL, purge_after = NULL, deletion_requested_by = NULL WHERE id = $1 AND purge_after IS NOT NULL";
        let n = with_pool!(self, p => sqlx::query(q).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// The pending deletion of `id`, if any.
    pub async fn account_deletion(&self, id: &str) -> Result<Option<DeletionRow>> {
        let q = format!("{SELECT} AND id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_optional(p).await?))
    }

    /// Every pending deletion, soonest purge first.
    pub async fn pending_deletions(&self) -> Result<Vec<DeletionRow>> {
        let q = format!("{SELECT} ORDER BY purge_after");
        Ok(with_pool!(self, p => sqlx::query_as(&q).fetch_all(p).await?))
    }

    /// Accounts whose grace period is over at `now` (unix s).
    pub async fn accounts_due_for_purge(&self, now: i64) -> Result<Vec<String>> {
        let q = "SELECT id FROM users WHERE purge_after IS NOT NULL AND purge_after <= $1 ORDER BY purge_after LIMIT 100";
        let rows: Vec<(String,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(now).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Drops every unfinished upload of `owner`, queueing its part blobs'
    /// deletion (parts never reach the backup store). Returns how many.
    pub async fn purge_owner_uploads(&self, owner: &str, now_ms: i64) -> Result<u64> {
        // A write first (SQLite: the write lock at once).
        let parts = "DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM uploads WHERE owner_id = $1) RETURNING blob_name";
        let r: std::result::Result<u64, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let blobs: Vec<(String,)> = sqlx::query_as(parts).bind(owner).fetch_all(&mut *tx).await?;
            for (b,) in &blobs {
                sqlx::query(jobs::ENQUEUE).bind(jobs::new_id()).bind(JobKind::DropPrimary.as_str())
                    .bind(b).bind(now_ms).execute(&mut *tx).await?;
            }
            let n = sqlx::query("DELETE FROM uploads WHERE owner_id = $1").bind(owner).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok(n)
        }.await);
        Ok(r?)
    }

    /// Makes deleted rows unrecoverable from the database's files as far as
    /// the backend allows: SQLite (with `secure_delete` on) has zeroed them
    /// in the database file, and a truncating checkpoint empties the
    /// write-ahead log that still holds their old pages. PostgreSQL keeps
    /// dead rows until vacuum reuses their space and old WAL segments until
    /// they are recycled (docs/data-rights.md says so); nothing is done here.
    pub async fn shred_deleted_rows(&self) -> Result<()> {
        if let Catalog::Sqlite(p, _) = self {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await?;
        }
        Ok(())
    }

    /// Deletes a user row for good, with everything that cascades from it
    /// (sessions, recovery codes, API tokens, albums, usage). Its assets
    /// must have been purged first. False if absent.
    pub async fn delete_user(&self, id: &str) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "DELETE FROM users WHERE id = $1";
        let n = with_pool!(self, p => sqlx::query(q).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }
}
