//! E-mail account recoveries: one pending per account, usable only between
//! `usable_at` and `expires_at`, used or cancelled once. Only the link's
//! hash is stored.

use crate::BeginWrite as _;
use crate::{Catalog, CatalogError, Result};

/// A recovery.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecoveryRow {
    /// random id
    pub id: String,
    /// whose account
    pub user_id: String,
    /// SHA-256 of the e-mailed code
    pub token_hash: Vec<u8>,
    /// unix seconds
    pub created_at: i64,
    /// the code sets a password from then on (unix s)
    pub usable_at: i64,
    /// … until then (unix s)
    pub expires_at: i64,
    /// `pending`, `cancelled`, `used`
    pub state: String,
    /// cancelled or used at (unix s)
    pub ended_at: Option<i64>,
}

const COLS: &str = "id, user_id, token_hash, created_at, usable_at, expires_at, state, ended_at";

impl Catalog {
    /// Stores a pending recovery; [`CatalogError::AlreadyExists`] when the
    /// account has one pending.
    pub async fn create_recovery(&self, r: &RecoveryRow) -> Result<()> {
        let q = format!(
            "INSERT INTO account_recoveries ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        );
        with_pool!(self, p => sqlx::query(&q)
            .bind(&r.id).bind(&r.user_id).bind(&r.token_hash).bind(r.created_at).bind(r.usable_at)
            .bind(r.expires_at).bind(&r.state).bind(r.ended_at)
            .execute(p).await.map(|_| ()))
        .map_err(|e| crate::dialect::unique_to(e, CatalogError::AlreadyExists))
    }

    /// The pending recovery whose code hashes to `hash`.
    pub async fn pending_recovery(&self, hash: &[u8]) -> Result<Option<RecoveryRow>> {
        let q = format!(
            "SELECT {COLS} FROM account_recoveries WHERE token_hash = $1 AND state = 'pending'"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// Cancels the pending recoveries of `user_id` (or the one with `id`);
    /// how many.
    pub async fn cancel_recoveries(
        &self,
        user_id: &str,
        id: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        let q = "UPDATE account_recoveries SET state = 'cancelled', ended_at = $1 WHERE user_id = $2 AND state = 'pending' AND ($3 = '' OR id = $3)";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(now).bind(user_id).bind(id.unwrap_or(""))
            .execute(p).await?.rows_affected()),
        )
    }

    /// Uses a pending recovery inside its window: sets the password hash
    /// (no change required at the next sign-in), ends every session of the
    /// account and marks the recovery used, in one transaction. False when
    /// it is no longer pending or outside its window.
    pub async fn complete_recovery(&self, id: &str, password_hash: &str, now: i64) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let user: Option<String> = sqlx::query_scalar("UPDATE account_recoveries SET state = 'used', ended_at = $1 WHERE id = $2 AND state = 'pending' AND usable_at <= $1 AND expires_at > $1 RETURNING user_id")
                .bind(now).bind(id).fetch_optional(&mut *tx).await?;
            let Some(user) = user else {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(false);
            };
            sqlx::query("UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2")
                .bind(password_hash).bind(&user).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&user).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }.await)
        .map_err(CatalogError::from)
    }

    /// Marks pending recoveries past their window as cancelled; how many.
    pub async fn expire_recoveries(&self, now: i64) -> Result<u64> {
        let q = "UPDATE account_recoveries SET state = 'cancelled', ended_at = $1 WHERE state = 'pending' AND expires_at <= $1";
        Ok(with_pool!(self, p => sqlx::query(q).bind(now).execute(p).await?.rows_affected()))
    }
}
