//! The incident register for the security role: incidents, their timeline,
//! affected-account queries, containment actions, the breach clock and the
//! notifications. Thin adapters over `crate::incidents`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authed, JsonBody};
use crate::AppState;
use crate::accounts::principal::gate;
use crate::incidents::affected::{self, Affected, Query};
use crate::incidents::containment::{self, Action};
use crate::incidents::notify::{self, Drafts, SendReport, SendRequest};
use crate::incidents::{self, Edit, IncidentView, NewIncident};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, open_incident))
        .routes(routes!(get_incident, edit_incident))
        .routes(routes!(confirm_breach))
        .routes(routes!(find_affected))
        .routes(routes!(contain))
        .routes(routes!(notification_drafts, send_notifications))
}

/// Incidents.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Incidents {
    /// newest first
    items: Vec<IncidentView>,
}

#[utoipa::path(get, path = "/incidents", tag = "incidents", summary = "The incident register (security role), newest first",
    responses((status = 200, description = "incidents", body = Incidents)))]
pub(crate) async fn list_incidents(
    State(state): State<AppState>,
    _a: Authed<gate::ManageIncidents>,
) -> Result<Json<Incidents>, ApiError> {
    Ok(Json(Incidents {
        items: incidents::list(&state).await?,
    }))
}

#[utoipa::path(post, path = "/incidents", tag = "incidents", summary = "Open an incident (security role)",
    request_body = NewIncident,
    responses(
        (status = 201, description = "opened", body = IncidentView),
        (status = 422, description = "`invalid-incident`", body = ErrorBody),
    ))]
pub(crate) async fn open_incident(
    State(state): State<AppState>,
    a: Authed<gate::ManageIncidents>,
    JsonBody(body): JsonBody<NewIncident>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(incidents::create(&state, &a.user.id, body).await?),
    ))
}

#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents", summary = "One incident with its timeline, messages and breach clock",
    params(("id" = String, Path, description = "incident id")),
    responses((status = 200, description = "the incident", body = IncidentView)))]
pub(crate) async fn get_incident(
    State(state): State<AppState>,
    _a: Authed<gate::ManageIncidents>,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(incidents::get(&state, &id).await?))
}

#[utoipa::path(patch, path = "/incidents/{id}", tag = "incidents", summary = "Change an incident: severity, status, description, breach facts, the post-incident review, or add a timeline note",
    params(("id" = String, Path, description = "incident id")),
    request_body = Edit,
    responses((status = 200, description = "the incident", body = IncidentView)))]
pub(crate) async fn edit_incident(
    State(state): State<AppState>,
    a: Authed<gate::ManageIncidents>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Edit>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(incidents::edit(&state, &a.user.id, &id, body).await?))
}

#[utoipa::path(post, path = "/incidents/{id}/breach", tag = "incidents", summary = "Confirm that the incident is a personal-data breach: the 72-hour notification clock starts",
    params(("id" = String, Path, description = "incident id")),
    responses((status = 200, description = "the incident with its clock", body = IncidentView)))]
pub(crate) async fn confirm_breach(
    State(state): State<AppState>,
    a: Authed<gate::ManageIncidents>,
    Path(id): Path<String>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(
        incidents::confirm_breach(&state, &a.user.id, &id).await?,
    ))
}

/// Accounts found.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AffectedAccounts {
    /// accounts and why
    items: Vec<Affected>,
}

#[utoipa::path(post, path = "/incidents/{id}/affected", tag = "incidents", summary = "Find affected accounts: sign-ins or sessions from an address range in a time window, owners of stored objects, the holder of a token or session; optionally record them on the incident",
    params(("id" = String, Path, description = "incident id")),
    request_body = Query,
    responses((status = 200, description = "the accounts", body = AffectedAccounts)))]
pub(crate) async fn find_affected(
    State(state): State<AppState>,
    a: Authed<gate::ManageIncidents>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Query>,
) -> Result<Json<AffectedAccounts>, ApiError> {
    Ok(Json(AffectedAccounts {
        items: affected::find(&state, &a.user.id, &id, body).await?,
    }))
}

/// A containment action.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Contain {
    /// `end-sessions`, `revoke-tokens`, `rotate-keyring` or `seal`
    action: Action,
}

/// Done.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Contained {
    /// what was done
    done: String,
}

#[utoipa::path(post, path = "/incidents/{id}/containment", tag = "incidents", summary = "Contain: end every session, revoke every API token, rotate the keyring or seal the server — audited first (refused if the audit trail cannot record it) and put on the incident's timeline",
    params(("id" = String, Path, description = "incident id")),
    request_body = Contain,
    responses(
        (status = 200, description = "done", body = Contained),
        (status = 503, description = "`audit-unavailable`", body = ErrorBody),
    ))]
pub(crate) async fn contain(
    State(state): State<AppState>,
    a: Authed<gate::ManageIncidents>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Contain>,
) -> Result<Json<Contained>, ApiError> {
    Ok(Json(Contained {
        done: containment::act(&state, &a.user.id, &id, body.action).await?,
    }))
}

#[utoipa::path(get, path = "/incidents/{id}/notifications", tag = "incidents", summary = "The breach notification drafts (users, authority, partners), prefilled with the breach facts and the DPO's contact, with their recipient counts",
    params(("id" = String, Path, description = "incident id")),
    responses((status = 200, description = "drafts", body = Drafts)))]
pub(crate) async fn notification_drafts(
    State(state): State<AppState>,
    _a: Authed<gate::ManageIncidents>,
    Path(id): Path<String>,
) -> Result<Json<Drafts>, ApiError> {
    Ok(Json(notify::drafts(&state, &id).await?))
}

#[utoipa::path(post, path = "/incidents/{id}/notifications", tag = "incidents", summary = "Send the breach notifications by e-mail to the chosen audiences; every message and its delivery is recorded (without SMTP nothing is sent and the incident says so)",
    params(("id" = String, Path, description = "incident id")),
    request_body = SendRequest,
    responses(
        (status = 200, description = "what was sent", body = SendReport),
        (status = 422, description = "`no-recipients` or `invalid-incident`", body = ErrorBody),
    ))]
pub(crate) async fn send_notifications(
    State(state): State<AppState>,
    a: Authed<gate::ManageIncidents>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<SendRequest>,
) -> Result<Json<SendReport>, ApiError> {
    Ok(Json(notify::send(&state, &a.user.id, &id, body).await?))
}
