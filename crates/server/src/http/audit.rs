//! The audit trail's integrity for operators and the `pixelunion audit`
//! command (verify, checkpoint — from the server's machine, or as a signed-in
//! operator: the answers hold counts, sequence numbers and MACs, never an
//! event's content), and the JSON-lines export for the security role.

use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authed, LoopbackOrOperator};
use crate::AppState;
use crate::accounts::principal::gate;
use crate::audit::checkpoint::{self, Signed};
use crate::audit::verify::{self, AuditReport};
use crate::audit::{Event, export};

/// The system routes (`/api/v1/sys/audit…`).
pub(super) fn sys_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(run_verify))
        .routes(routes!(make_checkpoint))
}

/// The security role's routes (under `/api/v1`).
pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_lines))
        .routes(routes!(security_verify))
        .routes(routes!(security_checkpoint))
}

#[utoipa::path(get, path = "/api/v1/sys/audit/verify", tag = "audit", summary = "Verify the audit trail: every entry's MAC chain, the sequence numbers, and every signed checkpoint (backup store and catalog) — reports changed, removed, inserted, reordered and cut-off entries; writes nothing (the server must be unsealed)",
    responses((status = 200, description = "the report (`ok` false when anything is wrong)", body = AuditReport)))]
pub(super) async fn run_verify(
    State(state): State<AppState>,
    _caller: LoopbackOrOperator,
) -> Result<Json<AuditReport>, ApiError> {
    Ok(Json(verify::verify(&state).await?))
}

/// A checkpoint just made, or none when nothing changed since the last.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CheckpointMade {
    /// the new checkpoint
    checkpoint: Option<Signed>,
    /// the audit public key (hex)
    public_key: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/sys/audit/checkpoints", tag = "audit", summary = "Sign the audit chain's head now and write the checkpoint to the backup store (the server must be unsealed)",
    responses((status = 200, description = "the checkpoint (null when the head has not moved)", body = CheckpointMade)))]
pub(super) async fn make_checkpoint(
    State(state): State<AppState>,
    _caller: LoopbackOrOperator,
) -> Result<Json<CheckpointMade>, ApiError> {
    checkpoint_now(&state).await
}

/// Signs the head now (both callers' routes answer the same).
async fn checkpoint_now(state: &AppState) -> Result<Json<CheckpointMade>, ApiError> {
    Ok(Json(CheckpointMade {
        checkpoint: checkpoint::make(state).await?,
        public_key: checkpoint::public_key(state),
    }))
}

#[utoipa::path(get, path = "/audit/verify", tag = "audit", summary = "Verify the audit trail (security role): the same report as the operators' `/sys/audit/verify` — counts, sequence numbers and what is wrong, never an event's content",
    responses((status = 200, description = "the report (`ok` false when anything is wrong)", body = AuditReport)))]
pub(super) async fn security_verify(
    State(state): State<AppState>,
    _a: Authed<gate::ReadAudit>,
) -> Result<Json<AuditReport>, ApiError> {
    Ok(Json(verify::verify(&state).await?))
}

#[utoipa::path(post, path = "/audit/checkpoints", tag = "audit", summary = "Sign the audit chain's head now and write the checkpoint to the backup store (security role)",
    responses((status = 200, description = "the checkpoint (null when the head has not moved)", body = CheckpointMade)))]
pub(super) async fn security_checkpoint(
    State(state): State<AppState>,
    _a: Authed<gate::ReadAudit>,
) -> Result<Json<CheckpointMade>, ApiError> {
    checkpoint_now(&state).await
}

/// Which entries to export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportQuery {
    /// from this time on: unix ms, a date or RFC 3339 (default: the beginning)
    since: Option<String>,
    /// before this time: unix ms, a date or RFC 3339 (default: no end)
    until: Option<String>,
}

/// Unix seconds from a time bound (unix ms, `YYYY-MM-DD` or RFC 3339).
fn parse_time(key: &str, v: &str) -> Result<i64, ApiError> {
    pixelunion_wire::parse_time(v)
        .map(|ms| ms.div_euclid(1000))
        .ok_or_else(|| {
            ApiError::new(
                super::codes::ErrorCode::BadRequest,
                format!("{key} is unix milliseconds, a date (2026-12-03) or an RFC 3339 time"),
            )
        })
}

#[utoipa::path(get, path = "/audit/export", tag = "audit", summary = "The audit trail as JSON lines for a SIEM (security role): one entry per line, oldest first, with the client's address and agent decrypted",
    params(ExportQuery),
    responses(
        (status = 200, description = "JSON lines", content_type = "application/x-ndjson", body = export::Line),
        (status = 400, description = "`bad-request`", body = ErrorBody),
    ))]
pub(super) async fn export_lines(
    State(state): State<AppState>,
    a: Authed<gate::ReadAudit>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let since = q
        .since
        .as_deref()
        .map(|v| parse_time("since", v))
        .transpose()?
        .unwrap_or(0);
    let until = q
        .until
        .as_deref()
        .map(|v| parse_time("until", v))
        .transpose()?;
    crate::audit::record(
        &state,
        Event::new(Some(&a.user.id), "audit.export", None, "success"),
    )
    .await;
    let body = Body::from_stream(export::lines(&state, since, until));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
