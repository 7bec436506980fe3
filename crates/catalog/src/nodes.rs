//! State that several compute nodes on one catalog share: the nodes
//! running now (for sharing the request rates), sign-in and link
//! failure counters (the throttle), and a revision per account's library
//! that tells a node its search index in memory has gone stale. Keys are
//! opaque bytes the caller made (keyed hashes); nothing here is content.

use crate::{Catalog, Result};

/// A throttle key's failures and the time of the last one (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// failures counted
    pub failures: i64,
    /// when the last one was counted (Unix ms)
    pub last_at: i64,
}

impl Catalog {
    /// The failures counted for `key`, if any.
    pub async fn throttle_failures(&self, key: &[u8]) -> Result<Option<Failures>> {
        let q = "SELECT failures, last_at FROM throttle WHERE key = $1";
        let row: Option<(i64, i64)> =
            with_pool!(self, p => sqlx::query_as(q).bind(key).fetch_optional(p).await?);
        Ok(row.map(|(failures, last_at)| Failures { failures, last_at }))
    }

    /// Counts a failure for `key` at `now_ms`; a count whose last failure
    /// is older than `forget_before_ms` starts again from one.
    pub async fn throttle_failure(
        &self,
        key: &[u8],
        now_ms: i64,
        forget_before_ms: i64,
    ) -> Result<()> {
        let q = "INSERT INTO throttle (key, failures, last_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN throttle.last_at < $3 THEN 1 ELSE throttle.failures + 1 END, \
                 last_at = $2";
        with_pool!(self, p => sqlx::query(q).bind(key).bind(now_ms).bind(forget_before_ms).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Forgets `key`'s failures (after a success).
    pub async fn throttle_clear(&self, key: &[u8]) -> Result<()> {
        let q = "DELETE FROM throttle WHERE key = $1";
        with_pool!(self, p => sqlx::query(q).bind(key).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Forgets every count whose last failure is older than `before_ms`;
    /// how many.
    pub async fn throttle_prune(&self, before_ms: i64) -> Result<u64> {
        let q = "DELETE FROM throttle WHERE last_at < $1";
        Ok(with_pool!(self, p => sqlx::query(q).bind(before_ms).execute(p).await?.rows_affected()))
    }

    /// The revision of `user`'s library (0 before its first change).
    pub async fn library_revision(&self, user: &str) -> Result<i64> {
        let q = "SELECT rev FROM library_revisions WHERE user_id = $1";
        let row: Option<(i64,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(user).fetch_optional(p).await?);
        Ok(row.map_or(0, |r| r.0))
    }

    /// Marks `user`'s library changed.
    pub async fn bump_library_revision(&self, user: &str) -> Result<()> {
        let q = "INSERT INTO library_revisions (user_id, rev) VALUES ($1, 1) \
                 ON CONFLICT (user_id) DO UPDATE SET rev = library_revisions.rev + 1";
        with_pool!(self, p => sqlx::query(q).bind(user).execute(p).await?.rows_affected());
        Ok(())
    }
}

impl Catalog {
    /// Node `id` is running at `now_ms`, serving (unsealed) or not.
    pub async fn node_heartbeat(&self, id: &str, now_ms: i64, serving: bool) -> Result<()> {
        let q = "INSERT INTO nodes (id, seen_at, serving) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET seen_at = $2, serving = $3";
        with_pool!(self, p => sqlx::query(q).bind(id).bind(now_ms).bind(i32::from(serving)).execute(p).await?.rows_affected());
        Ok(())
    }

    /// How many nodes serving were seen since `since_ms`; rows older than
    /// `forget_before_ms` (nodes that died) are removed first.
    pub async fn serving_nodes(&self, since_ms: i64, forget_before_ms: i64) -> Result<i64> {
        let gone = "DELETE FROM nodes WHERE seen_at < $1";
        with_pool!(self, p => sqlx::query(gone).bind(forget_before_ms).execute(p).await?.rows_affected());
        let q = "SELECT COUNT(*) FROM nodes WHERE serving = 1 AND seen_at >= $1";
        let (n,): (i64,) =
            with_pool!(self, p => sqlx::query_as(q).bind(since_ms).fetch_one(p).await?);
        Ok(n)
    }

    /// Node `id` stops.
    pub async fn node_gone(&self, id: &str) -> Result<()> {
        let q = "DELETE FROM nodes WHERE id = $1";
        with_pool!(self, p => sqlx::query(q).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }
}
