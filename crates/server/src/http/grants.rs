//! Role requests and their decisions (`accounts::grants`): administrators
//! ask for and decide grants of privileged roles, anyone with two-factor
//! authentication asks for a few hours of a role for themselves, and the
//! break-glass route grants on the strength of the vault's key shares.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use pixelunion_auth::Role;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::codes::ErrorCode;
use super::error::{ApiError, ErrorBody};
use super::extract::{Authed, JsonBody, LoopbackOrOperator};
use crate::AppState;
use crate::accounts::admin::parse_role;
use crate::accounts::grants::{self, Ask, BreakGlass, Duration, RequestView};
use crate::accounts::principal::gate;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, create_request))
        .routes(routes!(approve_request))
        .routes(routes!(reject_request))
        .routes(routes!(request_elevation, withdraw_elevation))
}

pub(super) fn sys_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(break_glass))
}

/// Role requests.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RequestList {
    /// the latest requests, newest first
    items: Vec<RequestView>,
}

#[utoipa::path(get, path = "/admin/role-requests", tag = "admin", summary = "Role requests: pending, decided, withdrawn and lapsed, newest first",
    responses((status = 200, description = "the requests", body = RequestList)))]
pub(super) async fn list_requests(
    State(state): State<AppState>,
    a: Authed<gate::ManageRoles>,
) -> Result<Json<RequestList>, ApiError> {
    Ok(Json(RequestList {
        items: grants::list(&state, &a.user.id).await?,
    }))
}

/// A request for another account to hold a privileged role.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct NewRequest {
    /// the account
    user_id: String,
    /// `support`, `operator`, `security` or `admin`
    #[schema(value_type = Role)]
    role: String,
    /// why (1–500 characters)
    reason: String,
    /// for how many days (1–365; default `accounts.role_grant_days`)
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    days: Option<u32>,
    /// or for how many hours (1–`accounts.elevation_max_hours`, at most 24)
    #[schema(minimum = 1, maximum = 24)]
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    hours: Option<u32>,
}

#[utoipa::path(post, path = "/admin/role-requests", tag = "admin", summary = "Ask for an account to hold a privileged role; a second administrator must approve within 72 hours",
    request_body = NewRequest,
    responses(
        (status = 201, description = "the pending request", body = RequestView),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 422, description = "`invalid-role`, `invalid-reason` or `invalid-duration`", body = ErrorBody),
        (status = 404, description = "no such account", body = ErrorBody),
        (status = 409, description = "`self-change`, `grantee-without-mfa`, `grantee-unavailable` or `role-request-pending`", body = ErrorBody),
    ))]
pub(super) async fn create_request(
    State(state): State<AppState>,
    a: Authed<gate::ManageRoles>,
    JsonBody(body): JsonBody<NewRequest>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let ask = Ask {
        user_id: &body.user_id,
        role: parse_role(&body.role)?,
        reason: &body.reason,
        duration: Duration::from_parts(body.days, body.hours)?,
    };
    let view = grants::request(&state, &a, ask).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(post, path = "/admin/role-requests/{id}/approve", tag = "admin", summary = "Approve a pending role request (never one's own, never as the grantee); the grantee's sessions end",
    params(("id" = String, Path, description = "request id")),
    responses(
        (status = 200, description = "the approved request", body = RequestView),
        (status = 403, description = "`own-role-request`", body = ErrorBody),
        (status = 404, description = "no such request", body = ErrorBody),
        (status = 409, description = "`role-request-closed`, `grantee-without-mfa` or `grantee-unavailable`", body = ErrorBody),
    ))]
pub(super) async fn approve_request(
    State(state): State<AppState>,
    a: Authed<gate::ManageRoles>,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(grants::approve(&state, &a, &id).await?))
}

#[utoipa::path(post, path = "/admin/role-requests/{id}/reject", tag = "admin", summary = "Refuse a pending role request (or withdraw one's own)",
    params(("id" = String, Path, description = "request id")),
    responses(
        (status = 200, description = "the refused or withdrawn request", body = RequestView),
        (status = 403, description = "`own-role-request` (the grantee)", body = ErrorBody),
        (status = 404, description = "no such request", body = ErrorBody),
        (status = 409, description = "`role-request-closed`", body = ErrorBody),
    ))]
pub(super) async fn reject_request(
    State(state): State<AppState>,
    a: Authed<gate::ManageRoles>,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(grants::refuse(&state, &a, &id).await?))
}

/// Just-in-time elevation: a role for oneself, for a few hours.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct Elevation {
    /// `support`, `operator`, `security` or `admin`
    #[schema(value_type = Role)]
    role: String,
    /// why (1–500 characters)
    reason: String,
    /// for how many hours (1–`accounts.elevation_max_hours`, at most 24)
    #[schema(minimum = 1, maximum = 24, value_type = u32)]
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    hours: Option<u32>,
}

#[utoipa::path(post, path = "/auth/elevation", tag = "auth", summary = "Ask for a privileged role for oneself for a few hours; an administrator other than oneself approves",
    request_body = Elevation,
    responses(
        (status = 201, description = "the pending request", body = RequestView),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 422, description = "`invalid-role`, `invalid-reason` or `invalid-duration`", body = ErrorBody),
        (status = 409, description = "`grantee-without-mfa` or `role-request-pending`", body = ErrorBody),
    ))]
pub(super) async fn request_elevation(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    JsonBody(body): JsonBody<Elevation>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    let role = parse_role(&body.role)?;
    let hours = body.hours.ok_or(crate::accounts::Error::InvalidDuration(
        "give hours (1 to accounts.elevation_max_hours)",
    ))?;
    let view = grants::elevate(&state, &a, role, &body.reason, hours).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(delete, path = "/auth/elevation", tag = "auth", summary = "Withdraw one's own pending elevation request",
    responses(
        (status = 200, description = "the withdrawn request", body = RequestView),
        (status = 404, description = "none pending", body = ErrorBody),
    ))]
pub(super) async fn withdraw_elevation(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<RequestView>, ApiError> {
    Ok(Json(grants::withdraw_elevation(&state, &a).await?))
}

/// A break-glass grant.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct BreakGlassBody {
    /// the threshold of the vault's key shares (`pu-…`)
    #[schema(value_type = Vec<String>, min_items = 1, max_items = 255)]
    shares: Vec<Zeroizing<String>>,
    /// the account, by e-mail
    email: String,
    /// `support`, `operator`, `security` or `admin`
    #[schema(value_type = Role)]
    role: String,
    /// why (1–500 characters)
    reason: String,
    /// for how many days (1–365; default `accounts.role_grant_days`)
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    days: Option<u32>,
}

#[utoipa::path(post, path = "/api/v1/sys/break-glass", tag = "system", summary = "Grant a privileged role with the vault's key shares instead of a second administrator (a deployment with one administrator); audited, and every administrator is told",
    request_body = BreakGlassBody,
    responses(
        (status = 201, description = "the grant, as an approved request", body = RequestView),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 422, description = "`invalid-role`, `invalid-reason` or `invalid-duration`", body = ErrorBody),
        (status = 403, description = "`break-glass-shares-invalid`", body = ErrorBody),
        (status = 404, description = "no account with that e-mail", body = ErrorBody),
        (status = 409, description = "`grantee-without-mfa` or `grantee-unavailable`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(super) async fn break_glass(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    _caller: LoopbackOrOperator,
    JsonBody(body): JsonBody<BreakGlassBody>,
) -> Result<(StatusCode, Json<RequestView>), ApiError> {
    // Share guesses count against the unseal attempts of the address.
    if let Err(secs) = state.unseal_limiter().check(peer.ip()) {
        return Err(ApiError::new(
            ErrorCode::TooManyAttempts,
            format!("too many failed attempts; retry in {secs} s"),
        )
        .with_header("retry-after", secs.to_string()));
    }
    // (none, or more than a share set can have, open nothing either)
    if body.shares.is_empty() || body.shares.len() > 255 {
        state.unseal_limiter().failure(peer.ip());
        return Err(crate::accounts::Error::InvalidShares.into());
    }
    let shares: Vec<String> = body.shares.iter().map(|s| s.to_string()).collect();
    let shares = Zeroizing::new(shares);
    let g = BreakGlass {
        shares: &shares,
        email: &body.email,
        role: parse_role(&body.role)?,
        reason: &body.reason,
        duration: Duration::from_parts(body.days, None)?,
    };
    match grants::break_glass(&state, g).await {
        Ok(view) => {
            state.unseal_limiter().success(peer.ip());
            tracing::warn!(peer = %peer.ip(), role = view.role.as_str(), "break-glass role grant");
            Ok((StatusCode::CREATED, Json(view)))
        }
        Err(e) => {
            if matches!(e, crate::accounts::Error::InvalidShares) {
                state.unseal_limiter().failure(peer.ip());
            }
            Err(e.into())
        }
    }
}
