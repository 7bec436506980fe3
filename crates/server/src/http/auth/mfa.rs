//! TOTP enrolment: start (re-authenticated), then confirm with a first code.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use crate::AppState;
use crate::accounts::credentials;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(totp_begin))
        .routes(routes!(totp_confirm))
}

/// Re-authentication.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct TotpBeginBody {
    /// the current password
    #[schema(value_type = String)]
    password: Zeroizing<String>,
}

/// A new TOTP secret (shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TotpEnrolment {
    /// for authenticator apps
    otpauth_uri: String,
    /// the URI as a QR code (SVG)
    qr_svg: String,
    /// the secret in base32, for typing
    secret: String,
    /// send back with the first code
    enrolment: String,
}

#[utoipa::path(post, path = "/auth/mfa/totp", tag = "auth", summary = "Start TOTP enrolment (re-authenticates): secret, otpauth URI, QR code, enrolment ticket",
    request_body = TotpBeginBody,
    responses(
        (status = 200, description = "the enrolment", body = TotpEnrolment),
        (status = 401, description = "`reauthentication-failed`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(crate) async fn totp_begin(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
    JsonBody(body): JsonBody<TotpBeginBody>,
) -> Result<Json<TotpEnrolment>, ApiError> {
    let e = credentials::begin_totp(&state, &a, &body.password).await?;
    Ok(Json(TotpEnrolment {
        otpauth_uri: e.otpauth_uri.to_string(),
        qr_svg: e.qr_svg,
        secret: e.secret.to_string(),
        enrolment: URL_SAFE_NO_PAD.encode(e.ticket),
    }))
}

/// The ticket and a first code.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct TotpConfirmBody {
    /// the ticket `/auth/mfa/totp` gave
    #[schema(pattern = "^[A-Za-z0-9_-]+$")]
    enrolment: String,
    /// the authenticator's current code
    #[schema(value_type = String)]
    code: Zeroizing<String>,
}

/// Enrolled (recovery codes shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TotpEnrolled {
    /// always true
    enrolled: bool,
    /// ten single-use recovery codes
    recovery_codes: Vec<String>,
    /// other sessions ended
    other_sessions_ended: u64,
}

#[utoipa::path(post, path = "/auth/mfa/totp/confirm", tag = "auth", summary = "Finish TOTP enrolment with a first code; returns ten recovery codes (once)",
    request_body = TotpConfirmBody,
    responses(
        (status = 200, description = "enrolled", body = TotpEnrolled),
        (status = 422, description = "`invalid-code`, or `invalid-enrolment`: the ticket is malformed or not this account's", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(crate) async fn totp_confirm(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
    JsonBody(body): JsonBody<TotpConfirmBody>,
) -> Result<Json<TotpEnrolled>, ApiError> {
    let ticket = URL_SAFE_NO_PAD
        .decode(body.enrolment.as_bytes())
        .map_err(|_| crate::accounts::Error::InvalidEnrolment)?;
    let done = credentials::confirm_totp(&state, &a, &ticket, &body.code).await?;
    Ok(Json(TotpEnrolled {
        enrolled: true,
        recovery_codes: done.recovery_codes.iter().map(|c| c.to_string()).collect(),
        other_sessions_ended: done.other_sessions_ended,
    }))
}
