//! The caller's sessions: list them (with the client each came from,
//! decrypted), end one, all others, or the current one.

use pixelunion_catalog::UserRow;
use serde::Serialize;

use super::{Error, Principal, Result, audit};
use crate::AppState;
use crate::fields::{self, Column};

/// A session as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// session id
    pub id: String,
    /// "address · user agent" at sign-in
    pub client: Option<String>,
    /// signed in (unix s)
    pub created_at: i64,
    /// last request (unix s, to the half minute)
    pub last_seen_at: i64,
    /// ends at the latest (unix s)
    pub expires_at: i64,
    /// the session this request came with
    pub current: bool,
}

/// The caller's sessions.
pub async fn list(state: &AppState, p: &Principal) -> Result<Vec<SessionView>> {
    let rows = state.catalog().list_sessions(&p.user.id).await?;
    let key = state.keys().user_key(&p.user)?;
    Ok(rows
        .into_iter()
        .map(|s| SessionView {
            client: fields::open_text(
                &key,
                Column::SessionClient,
                &p.user.id,
                &s.id,
                s.client.as_deref(),
            ),
            current: s.id == p.session_id,
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Ends one of the caller's sessions (another user's id: not found).
pub async fn revoke(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    if !state.catalog().delete_session(&user.id, id).await? {
        return Err(Error::NotFound);
    }
    audit(state, Some(&user.id), "session.revoke", Some(id), "success").await;
    Ok(())
}

/// Ends every session of the caller's but the current one; returns how many.
pub async fn revoke_others(state: &AppState, p: &Principal) -> Result<u64> {
    let n = state
        .catalog()
        .delete_other_sessions(&p.user.id, Some(&p.session_hash))
        .await?;
    audit(
        state,
        Some(&p.user.id),
        "session.revoke-others",
        Some(&p.user.id),
        "success",
    )
    .await;
    Ok(n)
}

/// Ends the current session.
pub async fn logout(state: &AppState, p: &Principal) -> Result<()> {
    state
        .catalog()
        .delete_session_by_hash(&p.session_hash)
        .await?;
    audit(
        state,
        Some(&p.user.id),
        "logout",
        Some(&p.user.id),
        "success",
    )
    .await;
    Ok(())
}
