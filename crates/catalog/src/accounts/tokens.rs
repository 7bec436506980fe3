//! API tokens: stored by the hash of their secret; names are ciphertext.

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

impl Catalog {
    /// Stores a new API token.
    pub async fn create_api_token(&self, t: &ApiTokenRow) -> Result<()> {
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

    /// A user's API tokens, newest first.
    pub async fn list_api_tokens(&self, user: &str) -> Result<Vec<ApiTokenRow>> {
        let q = format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user).fetch_all(p).await?))
    }

    /// Revokes (deletes) one of `user`'s tokens; false if none matched.
    pub async fn delete_api_token(&self, user: &str, id: &str) -> Result<bool> {
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
