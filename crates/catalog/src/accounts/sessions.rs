//! Sessions: stored by the hash of their token, with idle and absolute
//! limits; listed and revoked by their public id.

use super::{UserRow, qualified_user_cols, user_from_sqlite};
use crate::reader::Bind;
use crate::{Catalog, Result};

/// A session row joined with its user's (session columns prefixed `s_`).
#[derive(sqlx::FromRow)]
struct SessionAndUser {
    s_token_hash: Vec<u8>,
    s_id: String,
    s_user_id: String,
    s_created_at: i64,
    s_last_seen_at: i64,
    s_idle_secs: i64,
    s_expires_at: i64,
    s_client: Option<Vec<u8>>,
    #[sqlx(flatten)]
    user: UserRow,
}

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

/// A session and its user by token hash (session columns first, prefixed `s_`).
static SESSION_WITH_USER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT s.token_hash AS s_token_hash, s.id AS s_id, s.user_id AS s_user_id, \
         s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at, \
         s.idle_secs AS s_idle_secs, s.expires_at AS s_expires_at, s.client AS s_client, {} \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        qualified_user_cols("u")
    )
});

const SESSION_COLS: &str =
    "token_hash, id, user_id, created_at, last_seen_at, idle_secs, expires_at, client";

impl Catalog {
    /// Stores a new session.
    pub async fn create_session(&self, s: &SessionRow) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
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

    /// The session with this token hash and its user, in one query (every
    /// authenticated request asks for both).
    pub async fn session_with_user(&self, hash: &[u8]) -> Result<Option<(SessionRow, UserRow)>> {
        let q = SESSION_WITH_USER.as_str();
        if let Catalog::Sqlite(_, reader) = self
            && let Some(rows) = reader.lookup_now(q, &[Bind::Blob(hash.to_vec())], |r| {
                Ok((
                    SessionRow {
                        token_hash: r.get(0)?,
                        id: r.get(1)?,
                        user_id: r.get(2)?,
                        created_at: r.get(3)?,
                        last_seen_at: r.get(4)?,
                        idle_secs: r.get(5)?,
                        expires_at: r.get(6)?,
                        client: r.get(7)?,
                    },
                    user_from_sqlite(r, 8)?,
                ))
            })
        {
            return Ok(rows.into_iter().next());
        }
        let row: Option<SessionAndUser> =
            with_pool!(self, p => sqlx::query_as(q).bind(hash).fetch_optional(p).await?);
        Ok(row.map(|r| {
            (
                SessionRow {
                    token_hash: r.s_token_hash,
                    id: r.s_id,
                    user_id: r.s_user_id,
                    created_at: r.s_created_at,
                    last_seen_at: r.s_last_seen_at,
                    idle_secs: r.s_idle_secs,
                    expires_at: r.s_expires_at,
                    client: r.s_client,
                },
                r.user,
            )
        }))
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
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "DELETE FROM sessions WHERE user_id = $1 AND id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Deletes a session by token hash (logout, expiry).
    pub async fn delete_session_by_hash(&self, hash: &[u8]) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        with_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Deletes every session of `user` except the one with hash `keep`.
    pub async fn delete_other_sessions(&self, user: &str, keep: Option<&[u8]>) -> Result<u64> {
        let _changed = crate::accounts::AccountsWrite::start();
        let keep = keep.unwrap_or(&[]);
        let q = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(keep).execute(p).await?.rows_affected()),
        )
    }
}
