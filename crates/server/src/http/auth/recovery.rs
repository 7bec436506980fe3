//! Optional e-mail account recovery (`accounts::recovery`): ask for a link,
//! cancel it, or set a new password with it once its delay is over. All
//! public (the link is the credential), throttled per client address.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use crate::AppState;
use crate::accounts::recovery;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::JsonBody;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ask))
        .routes(routes!(cancel))
        .routes(routes!(complete))
}

/// Whose account.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct Ask {
    /// the account's e-mail address
    email: String,
}

/// The same answer whatever the address.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Asked {
    /// what happens next
    message: &'static str,
}

#[utoipa::path(post, path = "/auth/recovery", tag = "auth", summary = "Ask for an e-mailed recovery link (when the server offers it): it works only after a delay, and the owner can cancel it; the answer never says whether the address has an account",
    request_body = Ask,
    responses(
        (status = 202, description = "asked", body = Asked),
        (status = 403, description = "`recovery-unavailable`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(super) async fn ask(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<Ask>,
) -> Result<(StatusCode, Json<Asked>), ApiError> {
    recovery::request(&state, peer.ip(), &body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Asked {
            message: "If an account has this address, its owner has been sent an e-mail. The link in it works only after a delay; until then the owner can cancel it.",
        }),
    ))
}

/// A recovery link's code.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct Code {
    /// the code from the link (after `#`)
    #[schema(value_type = String)]
    code: Zeroizing<String>,
}

#[utoipa::path(post, path = "/auth/recovery/cancel", tag = "auth", summary = "Cancel a pending recovery with its link",
    request_body = Code,
    responses(
        (status = 204, description = "cancelled"),
        (status = 403, description = "`recovery-unavailable`", body = ErrorBody),
        (status = 410, description = "`recovery-invalid`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(super) async fn cancel(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<Code>,
) -> Result<StatusCode, ApiError> {
    recovery::cancel(&state, peer.ip(), &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new password with a recovery link.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct NewPassword {
    /// the code from the link (after `#`)
    #[schema(value_type = String)]
    code: Zeroizing<String>,
    /// the new password
    #[schema(value_type = String)]
    new_password: Zeroizing<String>,
}

#[utoipa::path(post, path = "/auth/recovery/complete", tag = "auth", summary = "Set a new password with a recovery link whose delay is over (every session ends; two-step verification stays)",
    request_body = NewPassword,
    responses(
        (status = 204, description = "the password is set"),
        (status = 403, description = "`recovery-unavailable`", body = ErrorBody),
        (status = 409, description = "`recovery-not-yet`", body = ErrorBody),
        (status = 410, description = "`recovery-invalid`", body = ErrorBody),
        (status = 422, description = "`weak-password`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(super) async fn complete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<NewPassword>,
) -> Result<StatusCode, ApiError> {
    recovery::complete(&state, peer.ip(), &body.code, body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
