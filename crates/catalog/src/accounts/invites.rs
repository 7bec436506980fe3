//! Invitations: single use, expiring, optionally bound to an e-mail's
//! blind index; accepting one creates the user in the same transaction.

use crate::BeginWrite as _;
use pixelunion_auth::Role;

use super::UserRow;
use crate::{Catalog, CatalogError, Result};

/// A stored invitation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InviteRow {
    /// public id
    pub id: String,
    /// SHA-256 of the invitation code
    pub token_hash: Vec<u8>,
    /// role the new account gets
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// if set, only this e-mail (blind index) may accept
    pub email_index: Option<Vec<u8>>,
    /// admin who made it
    pub created_by: String,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub expires_at: i64,
    /// unix seconds, once accepted
    pub used_at: Option<i64>,
}

const INVITE_COLS: &str =
    "id, token_hash, role, email_index, created_by, created_at, expires_at, used_at";

impl Catalog {
    /// Stores an invitation.
    pub async fn create_invite(&self, i: &InviteRow) -> Result<()> {
        let q = "INSERT INTO invites (id, token_hash, role, email_index, created_by, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&i.id).bind(&i.token_hash).bind(i.role.as_str()).bind(&i.email_index).bind(&i.created_by)
            .bind(i.created_at).bind(i.expires_at).bind(i.used_at)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The invitation with this code hash.
    pub async fn invite_by_hash(&self, hash: &[u8]) -> Result<Option<InviteRow>> {
        let q = format!("SELECT {INVITE_COLS} FROM invites WHERE token_hash = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// Every invitation, newest first.
    pub async fn list_invites(&self) -> Result<Vec<InviteRow>> {
        let q = format!("SELECT {INVITE_COLS} FROM invites ORDER BY created_at DESC, id");
        Ok(with_pool!(self, p => sqlx::query_as(&q).fetch_all(p).await?))
    }

    /// Deletes an unused invitation; false if none matched.
    pub async fn delete_invite(&self, id: &str) -> Result<bool> {
        let q = "DELETE FROM invites WHERE id = $1 AND used_at IS NULL";
        Ok(with_pool!(self, p => sqlx::query(q).bind(id).execute(p).await?.rows_affected()) == 1)
    }

    /// Accepts an invitation and creates the user in one transaction: false
    /// (and nothing created) if the code was used meanwhile or has expired.
    pub async fn accept_invite(&self, hash: &[u8], now: i64, user: &UserRow) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let claim = "UPDATE invites SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1";
        let insert = "INSERT INTO users (id, email_index, email, user_key, password_hash, role, disabled, must_change_password, totp_secret, totp_last_step, created_at, last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        let u = user;
        let res: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(claim).bind(now).bind(hash).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(insert)
                .bind(&u.id).bind(&u.email_index).bind(&u.email).bind(&u.user_key).bind(&u.password_hash)
                .bind(u.role.as_str()).bind(u.disabled).bind(u.must_change_password).bind(&u.totp_secret)
                .bind(u.totp_last_step).bind(u.created_at).bind(u.last_login_at)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }.await);
        res.map_err(|e| crate::dialect::unique_to(e, CatalogError::AlreadyExists))
    }
}
