//! Sessions: stored by the hash of their token, with idle and absolute
//! limits; listed and revoked by their public id.

use crate::{Catalog, Result};

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// SHA-256 of the session token
    pub token_hash: Vec<u8>,
    /// public id (for listing and revoking)
    pub id: String,
    /// owner
    pub user_id: String,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub last_seen_at: i64,
    /// idle timeout in seconds
    pub idle_secs: i64,
    /// absolute expiry, unix seconds
    pub expires_at: i64,
    /// "ip · user agent", field-encrypted under the user's key
    pub client: Option<Vec<u8>>,
}

const SESSION_COLS: &str =
    "token_hash, id, user_id, created_at, last_seen_at, idle_secs, expires_at, client";

impl Catalog {
    /// Stores a new session.
    pub async fn create_session(&self, s: &SessionRow) -> Result<()> {
        let q = "INSERT INTO sessions (token_hash, id, user_id, created_at, last_seen_at, idle_secs, expires_at, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&s.token_hash).bind(&s.id).bind(&s.user_id).bind(s.created_at).bind(s.last_seen_at)
            .bind(s.idle_secs).bind(s.expires_at).bind(&s.client)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The session with this token hash.
    pub async fn session_by_token_hash(&self, hash: &[u8]) -> Result<Option<SessionRow>> {
        let q = format!("SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// Marks a session as used now.
    pub async fn touch_session(&self, hash: &[u8], now: i64) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2").bind(now).bind(hash).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// A user's sessions, most recently used first.
    pub async fn list_sessions(&self, user: &str) -> Result<Vec<SessionRow>> {
        let q = format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user).fetch_all(p).await?))
    }

    /// Deletes one of `user`'s sessions by public id; false if none matched.
    pub async fn delete_session(&self, user: &str, id: &str) -> Result<bool> {
        let q = "DELETE FROM sessions WHERE user_id = $1 AND id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Deletes a session by token hash (logout, expiry).
    pub async fn delete_session_by_hash(&self, hash: &[u8]) -> Result<()> {
        with_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Deletes every session of `user` except the one with hash `keep`.
    pub async fn delete_other_sessions(&self, user: &str, keep: Option<&[u8]>) -> Result<u64> {
        let keep = keep.unwrap_or(&[]);
        let q = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(keep).execute(p).await?.rows_affected()),
        )
    }
}
