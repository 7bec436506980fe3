//! The account's own data (data-subject access request) and its security
//! events (the security page).

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::access::{self, AccessReport, SecurityEvent};
use crate::accounts::principal::gate;
use crate::http::error::ApiError;
use crate::http::extract::Authed;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(access_report))
        .routes(routes!(security_events))
        .routes(routes!(get_alerts, set_alerts))
}

/// Whether a sign-in from a new device sends an e-mail.
#[derive(Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Alerts {
    /// e-mail me when my account is signed in to from a new device
    enabled: bool,
}

#[utoipa::path(get, path = "/auth/sign-in-alerts", tag = "auth", summary = "Whether a sign-in from a new device sends you an e-mail",
    responses((status = 200, description = "the setting", body = Alerts)))]
pub(crate) async fn get_alerts(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<Alerts>, ApiError> {
    Ok(Json(Alerts {
        enabled: crate::accounts::devices::alerts(&state, &a.user).await?,
    }))
}

#[utoipa::path(put, path = "/auth/sign-in-alerts", tag = "auth", summary = "Turn e-mails about sign-ins from new devices on or off",
    request_body = Alerts,
    responses((status = 200, description = "the setting", body = Alerts)))]
pub(crate) async fn set_alerts(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    crate::http::extract::JsonBody(body): crate::http::extract::JsonBody<Alerts>,
) -> Result<Json<Alerts>, ApiError> {
    crate::accounts::devices::set_alerts(&state, &a.user, body.enabled).await?;
    Ok(Json(body))
}

#[utoipa::path(get, path = "/auth/account/data", tag = "auth", summary = "Everything stored about your account besides the library itself (profile, sessions, API tokens, security events, counts), decrypted for you — a data access request answered at once",
    responses((status = 200, description = "the report", body = AccessReport)))]
pub(crate) async fn access_report(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<AccessReport>, ApiError> {
    Ok(Json(access::report(&state, &a).await?))
}

/// The account's security events.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SecurityEvents {
    /// newest first
    items: Vec<SecurityEvent>,
}

#[utoipa::path(get, path = "/auth/security-events", tag = "auth", summary = "Recent security events of your account (sign-ins, password and MFA changes, sessions and tokens ended, staff actions on it)",
    responses((status = 200, description = "the events", body = SecurityEvents)))]
pub(crate) async fn security_events(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<SecurityEvents>, ApiError> {
    Ok(Json(SecurityEvents {
        items: access::security_events(&state, &a.user, 100).await?,
    }))
}
