//! New accounts from an invitation code, or by open sign-up.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use pixelunion_auth::Role;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use crate::AppState;
use crate::accounts::invites;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::JsonBody;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(accept_invite))
        .routes(routes!(signup))
}

/// A new account's details.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct NewAccount {
    /// the invitation code (`/auth/invites/accept` only)
    #[schema(pattern = "^pui_(?:[0-9a-f]{64}|[A-Za-z0-9_-]{43})$")]
    code: Option<String>,
    /// e-mail address
    email: String,
    /// password (at least 12 characters, not the e-mail, not a common password)
    #[schema(value_type = String)]
    password: Zeroizing<String>,
}

/// The new account.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Created {
    /// account id
    id: String,
    /// its role
    #[schema(value_type = String)]
    role: Role,
}

#[utoipa::path(post, path = "/auth/invites/accept", tag = "auth", summary = "Create an account from an invitation code",
    request_body = NewAccount,
    responses(
        (status = 201, description = "created", body = Created),
        (status = 403, description = "`invite-email-mismatch`", body = ErrorBody),
        (status = 409, description = "`email-taken`", body = ErrorBody),
        (status = 410, description = "`invite-invalid`: unknown, used or expired", body = ErrorBody),
        (status = 422, description = "`invalid-email` or `weak-password`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(crate) async fn accept_invite(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<NewAccount>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let code = body.code.unwrap_or_default();
    let row = invites::accept(&state, peer.ip(), &code, &body.email, body.password).await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: row.id,
            role: row.role,
        }),
    ))
}

#[utoipa::path(post, path = "/auth/signup", tag = "auth", summary = "Open sign-up (only when accounts.open_signup is on)",
    request_body = NewAccount,
    responses(
        (status = 201, description = "created", body = Created),
        (status = 403, description = "`signup-closed`", body = ErrorBody),
        (status = 409, description = "`email-taken`", body = ErrorBody),
        (status = 422, description = "`invalid-email` or `weak-password`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(crate) async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<NewAccount>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let row = invites::signup(&state, peer.ip(), &body.email, body.password).await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            id: row.id,
            role: row.role,
        }),
    ))
}
