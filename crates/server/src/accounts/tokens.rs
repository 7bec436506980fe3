//! API tokens for scripts and phone apps: named, scoped (`upload`, `read`,
//! `full` — never account or admin routes), expiring, shown once, stored
//! as a hash; their names are encrypted under the owner's key.

use pixelunion_auth::token::{self, TokenKind};
use pixelunion_catalog::{ApiTokenRow, UserRow};
use serde::Serialize;
use zeroize::Zeroizing;

use super::principal::TokenScope;
use super::{Error, Result, audit};
use crate::AppState;
use crate::clock::now_secs;
use crate::fields::{self, Column};

/// Longest token name (characters).
pub const MAX_NAME: usize = 100;
/// Default lifetime in days.
pub const DEFAULT_DAYS: u32 = 90;

/// A token as its owner sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    /// token id
    pub id: String,
    /// its name
    pub name: Option<String>,
    /// `upload`, `read` or `full`
    pub scope: String,
    /// created (unix s)
    pub created_at: i64,
    /// expires (unix s)
    pub expires_at: i64,
    /// last used (unix s, to the minute)
    pub last_used_at: Option<i64>,
}

/// A new token, with its secret (shown once).
#[derive(Debug)]
pub struct NewToken {
    /// the stored token
    pub view: TokenView,
    /// the token text
    pub secret: Zeroizing<String>,
}

/// Creates a token named `name` with `scope`, valid `days` (1–365).
pub async fn create(
    state: &AppState,
    user: &UserRow,
    name: &str,
    scope: &str,
    days: Option<u32>,
) -> Result<NewToken> {
    // the limit applies to what was sent (as the API document says), the
    // emptiness test to what is left once trimmed
    if name.chars().count() > MAX_NAME || name.trim().is_empty() {
        return Err(Error::InvalidName);
    }
    let name = name.trim();
    if TokenScope::parse(scope).is_none() {
        return Err(Error::InvalidScope);
    }
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=365).contains(&days) {
        return Err(Error::InvalidExpiry(
            "expires_in_days must be between 1 and 365",
        ));
    }
    let t = token::mint(TokenKind::Api)?;
    let id = uuid::Uuid::new_v4().to_string();
    let key = state.keys().user_key(user)?;
    let name_ct = fields::seal_text(&key, Column::ApiTokenName, &user.id, &id, name)?;
    let now = now_secs();
    let row = ApiTokenRow {
        id: id.clone(),
        user_id: user.id.clone(),
        token_hash: t.hash.to_vec(),
        name: name_ct,
        scope: scope.to_string(),
        created_at: now,
        expires_at: now + i64::from(days) * 86_400,
        last_used_at: None,
    };
    state.catalog().create_api_token(&row).await?;
    audit(
        state,
        Some(&user.id),
        &format!("token.create:{scope}"),
        Some(&id),
        "success",
    )
    .await;
    Ok(NewToken {
        view: TokenView {
            id,
            name: Some(name.to_string()),
            scope: row.scope,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_used_at: None,
        },
        secret: t.secret,
    })
}

/// The caller's tokens.
pub async fn list(state: &AppState, user: &UserRow) -> Result<Vec<TokenView>> {
    let rows = state.catalog().list_api_tokens(&user.id).await?;
    let key = state.keys().user_key(user)?;
    Ok(rows
        .into_iter()
        .map(|t| TokenView {
            name: fields::open_text(&key, Column::ApiTokenName, &user.id, &t.id, Some(&t.name)),
            id: t.id,
            scope: t.scope,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        })
        .collect())
}

/// Revokes one of the caller's tokens (another user's id: not found).
pub async fn revoke(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    if !state.catalog().delete_api_token(&user.id, id).await? {
        return Err(Error::NotFound);
    }
    audit(state, Some(&user.id), "token.revoke", Some(id), "success").await;
    Ok(())
}
