//! Deleting one's own account (re-authenticated and confirmed by typing
//! "delete my account"), and an administrator's deletion and cancellation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use crate::AppState;
use crate::accounts::deletion::{self, Pending};
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(delete_own))
        .routes(routes!(admin_delete, admin_cancel))
        .routes(routes!(admin_pending))
}

/// Re-authentication and the typed confirmation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteOwn {
    /// the current password
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    /// a TOTP code (when two-factor authentication is enrolled)
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    totp: Option<Zeroizing<String>>,
    /// or a recovery code
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    recovery_code: Option<Zeroizing<String>>,
    /// the words "delete my account"
    confirm: String,
}

#[utoipa::path(post, path = "/auth/account/delete", tag = "auth", summary = "Delete your account: it is closed at once (every session and API token ends) and purged with all its photos, videos and backups after the grace period",
    request_body = DeleteOwn,
    responses(
        (status = 202, description = "closed; purged after `purge_after`", body = Pending),
        (status = 422, description = "`confirmation-mismatch`", body = ErrorBody),
        (status = 401, description = "`reauthentication-failed` or `mfa-required`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
        (status = 503, description = "`audit-unavailable`", body = ErrorBody),
    ))]
pub(crate) async fn delete_own(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    JsonBody(body): JsonBody<DeleteOwn>,
) -> Result<Response, ApiError> {
    let pending = deletion::request_own(
        &state,
        &a,
        &body.password,
        body.totp.as_deref().map(String::as_str),
        body.recovery_code.as_deref().map(String::as_str),
        &body.confirm,
    )
    .await?;
    let mut resp = (StatusCode::ACCEPTED, Json(pending)).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, super::login::session_cookie("", 0)?);
    Ok(resp)
}

/// The administrator's typed confirmation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteOther {
    /// the words "delete this account"
    confirm: String,
}

#[utoipa::path(post, path = "/admin/users/{id}/deletion", tag = "admin", summary = "Delete an account (administrator, typing \"delete this account\"): closed at once, purged after the grace period unless cancelled",
    params(("id" = String, Path, description = "account id")),
    request_body = DeleteOther,
    responses(
        (status = 422, description = "`confirmation-mismatch`", body = ErrorBody),
        (status = 202, description = "closed; purged after `purge_after`", body = Pending),
        (status = 409, description = "`deletion-pending`", body = ErrorBody),
        (status = 503, description = "`audit-unavailable`", body = ErrorBody),
    ))]
pub(crate) async fn admin_delete(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DeleteOther>,
) -> Result<(StatusCode, Json<Pending>), ApiError> {
    if body.confirm.trim().to_lowercase() != deletion::ADMIN_CONFIRMATION {
        return Err(crate::accounts::Error::ConfirmationMismatch.into());
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(deletion::request_by_admin(&state, &a, &id).await?),
    ))
}

/// Cancelled.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Cancelled {
    /// always true
    cancelled: bool,
}

#[utoipa::path(delete, path = "/admin/users/{id}/deletion", tag = "admin", summary = "Cancel a pending account deletion (administrator); the account is enabled again",
    params(("id" = String, Path, description = "account id")),
    responses(
        (status = 200, description = "cancelled", body = Cancelled),
        (status = 503, description = "`audit-unavailable`", body = ErrorBody),
    ))]
pub(crate) async fn admin_cancel(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    Path(id): Path<String>,
) -> Result<Json<Cancelled>, ApiError> {
    deletion::cancel(&state, &a, &id).await?;
    Ok(Json(Cancelled { cancelled: true }))
}

/// Pending deletions.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PendingDeletions {
    /// soonest purge first
    items: Vec<Pending>,
}

#[utoipa::path(get, path = "/admin/deletions", tag = "admin", summary = "Accounts waiting for their purge (administrator)",
    responses((status = 200, description = "pending deletions", body = PendingDeletions)))]
pub(crate) async fn admin_pending(
    State(state): State<AppState>,
    _a: Authed<gate::ManageUsers>,
) -> Result<Json<PendingDeletions>, ApiError> {
    Ok(Json(PendingDeletions {
        items: deletion::pending(&state).await?,
    }))
}
