//! Limits on what an owner may store: the per-file size limit and the
//! quota (the account's own, else the server's default), counting what is
//! stored (trash included) and what unfinished resumable uploads reserved.

use pixelunion_catalog::UserRow;
use serde::Serialize;

use super::Result;
use crate::AppState;

/// The largest file accepted, in bytes.
pub fn max_upload_bytes(state: &AppState) -> u64 {
    state.config().library.max_upload_bytes()
}

/// The owner's quota in bytes (`None` = unlimited).
pub async fn quota_bytes(state: &AppState, user: &UserRow) -> Result<Option<u64>> {
    Ok(match state.catalog().user_quota(&user.id).await? {
        Some(q) => Some(u64::try_from(q).unwrap_or(0)),
        None => state.config().library.default_quota_bytes(),
    })
}

/// What the owner may still store, in bytes (`u64::MAX` when unlimited).
pub async fn left(state: &AppState, user: &UserRow) -> Result<u64> {
    let Some(quota) = quota_bytes(state, user).await? else {
        return Ok(u64::MAX);
    };
    let c = state.catalog();
    let (used, _) = c.usage(&user.id).await?;
    let reserved = c.reserved_upload_bytes(&user.id).await?;
    let taken = u64::try_from(used.max(0))
        .unwrap_or(0)
        .saturating_add(u64::try_from(reserved.max(0)).unwrap_or(0));
    Ok(quota.saturating_sub(taken))
}

/// The owner's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Usage {
    /// bytes stored (originals, trash included)
    pub bytes: i64,
    /// items stored (trash included)
    pub assets: i64,
    /// bytes reserved by unfinished resumable uploads
    pub reserved_bytes: i64,
    /// the quota in bytes; `null` = unlimited
    pub quota_bytes: Option<i64>,
}

/// The owner's usage and quota.
pub async fn usage(state: &AppState, user: &UserRow) -> Result<Usage> {
    let c = state.catalog();
    let (bytes, assets) = c.usage(&user.id).await?;
    let reserved_bytes = c.reserved_upload_bytes(&user.id).await?;
    let quota_bytes = quota_bytes(state, user)
        .await?
        .map(|q| i64::try_from(q).unwrap_or(i64::MAX));
    Ok(Usage {
        bytes,
        assets,
        reserved_bytes,
        quota_bytes,
    })
}
