//! Storage per owner (kept by triggers) and quotas.

use crate::{Catalog, Result};

impl Catalog {
    /// Bytes and number of assets the owner stores (trash included).
    pub async fn usage(&self, owner: &str) -> Result<(i64, i64)> {
        let q = "SELECT bytes, assets FROM user_usage WHERE owner_id = $1";
        let row: Option<(i64, i64)> =
            with_pool!(self, p => sqlx::query_as(q).bind(owner).fetch_optional(p).await?);
        Ok(row.unwrap_or((0, 0)))
    }

    /// Bytes and assets stored by everyone together (for operators: a
    /// total, never per user or per item).
    pub async fn total_usage(&self) -> Result<(i64, i64)> {
        let q = "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT), CAST(COALESCE(SUM(assets), 0) AS BIGINT) FROM user_usage";
        let row: (i64, i64) = with_pool!(self, p => sqlx::query_as(q).fetch_one(p).await?);
        Ok(row)
    }

    /// The user's own quota in bytes (None = the server's default).
    pub async fn user_quota(&self, user: &str) -> Result<Option<i64>> {
        let q = "SELECT quota_bytes FROM users WHERE id = $1";
        let row: Option<(Option<i64>,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(user).fetch_optional(p).await?);
        Ok(row.and_then(|r| r.0))
    }

    /// Sets (or with None clears) a user's quota; false if no such user.
    pub async fn set_user_quota(&self, user: &str, bytes: Option<i64>) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "UPDATE users SET quota_bytes = $1 WHERE id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(bytes).bind(user).execute(p).await?.rows_affected())
                == 1,
        )
    }
}
