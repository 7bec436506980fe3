//! Published policy versions (privacy, security) and which version each
//! account has seen. Versions count up from 1 per kind; a view only ever
//! moves forward.

use crate::BeginWrite as _;
use crate::{Catalog, CatalogError, Result};

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyRow {
    /// `privacy` or `security`
    pub kind: String,
    /// 1, 2, …
    pub version: i64,
    /// the text (public)
    pub body: String,
    /// unix seconds
    pub published_at: i64,
    /// who published it (an account id)
    pub published_by: String,
}

const COLS: &str = "kind, version, body, published_at, published_by";

impl Catalog {
    /// Publishes the next version of `kind`; returns its number.
    /// [`CatalogError::AlreadyExists`] if another publication won the race.
    pub async fn publish_policy(&self, kind: &str, body: &str, by: &str, now: i64) -> Result<i64> {
        let q = format!("INSERT INTO policies ({COLS}) VALUES ($1, $2, $3, $4, $5)");
        with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let last: Option<i64> = sqlx::query_scalar("SELECT CAST(MAX(version) AS BIGINT) FROM policies WHERE kind = $1")
                .bind(kind).fetch_one(&mut *tx).await?;
            let version = last.unwrap_or(0) + 1;
            sqlx::query(&q).bind(kind).bind(version).bind(body).bind(now).bind(by)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(version)
        }.await)
        .map_err(|e| crate::dialect::unique_to(e, CatalogError::AlreadyExists))
    }

    /// The latest version of each kind.
    pub async fn latest_policies(&self) -> Result<Vec<PolicyRow>> {
        let q = format!(
            "SELECT {COLS} FROM policies p WHERE version = (SELECT MAX(version) FROM policies q WHERE q.kind = p.kind) ORDER BY kind"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).fetch_all(p).await?))
    }

    /// The version of each kind `user` has seen.
    pub async fn policy_views(&self, user: &str) -> Result<Vec<(String, i64)>> {
        let q = "SELECT kind, version FROM policy_views WHERE user_id = $1 ORDER BY kind";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(user).fetch_all(p).await?))
    }

    /// Records that `user` saw `version` of `kind` (never moves back).
    pub async fn record_policy_view(
        &self,
        user: &str,
        kind: &str,
        version: i64,
        now: i64,
    ) -> Result<()> {
        let q = "INSERT INTO policy_views (user_id, kind, version, seen_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, kind) DO UPDATE SET version = excluded.version, seen_at = excluded.seen_at \
                 WHERE policy_views.version < excluded.version";
        with_pool!(self, p => sqlx::query(q).bind(user).bind(kind).bind(version).bind(now)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }
}
