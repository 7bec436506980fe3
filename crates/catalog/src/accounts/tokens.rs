//! API tokens: stored by the hash of their secret; names are ciphertext.

use super::{UserRow, qualified_user_cols, user_from_sqlite};
use crate::reader::Bind;
use crate::{Catalog, Result};

/// A stored API token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenRow {
    /// public id
    pub id: String,
    /// owner
    pub user_id: String,
    /// SHA-256 of the token
    pub token_hash: Vec<u8>,
    /// name, field-encrypted under the owner's key
    pub name: Vec<u8>,
    /// "upload", "read" or "full"
    pub scope: String,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub expires_at: i64,
    /// unix seconds
    pub last_used_at: Option<i64>,
}

const TOKEN_COLS: &str =
    "id, user_id, token_hash, name, scope, created_at, expires_at, last_used_at";

/// An API token row joined with its user's (token columns prefixed `t_`).
#[derive(sqlx::FromRow)]
struct TokenAndUser {
    t_id: String,
    t_user_id: String,
    t_token_hash: Vec<u8>,
    t_name: Vec<u8>,
    t_scope: String,
    t_created_at: i64,
    t_expires_at: i64,
    t_last_used_at: Option<i64>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// An API token and its user by token hash (token columns first, prefixed `t_`).
static TOKEN_WITH_USER: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT t.id AS t_id, t.user_id AS t_user_id, t.token_hash AS t_token_hash, \
         t.name AS t_name, t.scope AS t_scope, t.created_at AS t_created_at, \
         t.expires_at AS t_expires_at, t.last_used_at AS t_last_used_at, {} \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        qualified_user_cols("u")
    )
});

impl Catalog {
    /// Stores a new API token.
    pub async fn create_api_token(&self, t: &ApiTokenRow) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "INSERT INTO api_tokens (id, user_id, token_hash, name, scope, created_at, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&t.id).bind(&t.user_id).bind(&t.token_hash).bind(&t.name).bind(&t.scope)
            .bind(t.created_at).bind(t.expires_at).bind(t.last_used_at)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The API token with this hash.
    pub async fn api_token_by_hash(&self, hash: &[u8]) -> Result<Option<ApiTokenRow>> {
        let q = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// The API token with this hash and its user, in one query (every
    /// request an API client makes asks for both): on SQLite a point
    /// lookup on the calling thread, as for sessions.
    pub async fn api_token_with_user(&self, hash: &[u8]) -> Result<Option<(ApiTokenRow, UserRow)>> {
        let q = TOKEN_WITH_USER.as_str();
        if let Catalog::Sqlite(_, reader) = self
            && let Some(rows) = reader.lookup_now(q, &[Bind::Blob(hash.to_vec())], |r| {
                Ok((
                    ApiTokenRow {
                        id: r.get(0)?,
                        user_id: r.get(1)?,
                        token_hash: r.get(2)?,
                        name: r.get(3)?,
                        scope: r.get(4)?,
                        created_at: r.get(5)?,
                        expires_at: r.get(6)?,
                        last_used_at: r.get(7)?,
                    },
                    user_from_sqlite(r, 8)?,
                ))
            })
        {
            return Ok(rows.into_iter().next());
        }
        let row: Option<TokenAndUser> =
            with_pool!(self, p => sqlx::query_as(q).bind(hash).fetch_optional(p).await?);
        Ok(row.map(|r| {
            (
                ApiTokenRow {
                    id: r.t_id,
                    user_id: r.t_user_id,
                    token_hash: r.t_token_hash,
                    name: r.t_name,
                    scope: r.t_scope,
                    created_at: r.t_created_at,
                    expires_at: r.t_expires_at,
                    last_used_at: r.t_last_used_at,
                },
                r.user,
            )
        }))
    }

    /// A user's API tokens, newest first.
    pub async fn list_api_tokens(&self, user: &str) -> Result<Vec<ApiTokenRow>> {
        let q = format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user).fetch_all(p).await?))
    }

    /// Revokes (deletes) one of `user`'s tokens; false if none matched.
    pub async fn delete_api_token(&self, user: &str, id: &str) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "DELETE FROM api_tokens WHERE user_id = $1 AND id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Records use of a token.
    pub async fn touch_api_token(&self, hash: &[u8], now: i64) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2").bind(now).bind(hash).execute(p).await.map(|_| ())?);
        Ok(())
    }
}
