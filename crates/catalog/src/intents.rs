//! Blob write intents: a blob name is recorded (with a lease the writer
//! renews) before its first byte is written, and cleared in the transaction
//! that makes a row reference the blob. An intent whose lease ran out marks a
//! write that crashed or was abandoned: the sweeper deletes whatever of that
//! blob exists and then the intent.

use crate::{Catalog, Result};

pub(crate) const CLEAR: &str = "DELETE FROM blob_intents WHERE blob_name = $1";

impl Catalog {
    /// Records that `blob` is about to be written.
    pub async fn add_intent(&self, blob: &str, lease_until_ms: i64) -> Result<()> {
        let q = "INSERT INTO blob_intents (blob_name, lease_until) VALUES ($1, $2)";
        with_pool!(self, p => sqlx::query(q).bind(blob).bind(lease_until_ms).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Extends the lease of a write still in progress.
    pub async fn renew_intent(&self, blob: &str, lease_until_ms: i64) -> Result<()> {
        let q = "UPDATE blob_intents SET lease_until = $1 WHERE blob_name = $2";
        with_pool!(self, p => sqlx::query(q).bind(lease_until_ms).bind(blob).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Clears an intent (the blob is referenced, or was deleted).
    pub async fn clear_intent(&self, blob: &str) -> Result<()> {
        with_pool!(self, p => sqlx::query(CLEAR).bind(blob).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Intents whose lease ended before `now_ms`.
    pub async fn expired_intents(&self, now_ms: i64, limit: i64) -> Result<Vec<String>> {
        let q = "SELECT blob_name FROM blob_intents WHERE lease_until < $1 ORDER BY lease_until LIMIT $2";
        let rows: Vec<(String,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(now_ms).bind(limit).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
