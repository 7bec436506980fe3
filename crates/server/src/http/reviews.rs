//! Access reviews (`accounts::reviews`): security officers open, read and
//! decide them and export the finished ones; administrators see whether one
//! is open or overdue.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::codes::ErrorCode;
use super::error::{ApiError, ErrorBody};
use super::extract::{Authed, JsonBody};
use crate::AppState;
use crate::accounts::principal::gate;
use crate::accounts::reviews::{self, ReviewStatus, ReviewView};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reviews, open_review))
        .routes(routes!(show_review))
        .routes(routes!(decide_line))
        .routes(routes!(export_review))
        .routes(routes!(review_status))
}

/// Access reviews.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ReviewList {
    /// newest first, without their lines
    items: Vec<ReviewView>,
}

#[utoipa::path(get, path = "/audit/access-reviews", tag = "audit", summary = "Access reviews of the privileged roles, newest first (security role)",
    responses((status = 200, description = "the reviews", body = ReviewList)))]
pub(super) async fn list_reviews(
    State(state): State<AppState>,
    _a: Authed<gate::ReadAudit>,
) -> Result<Json<ReviewList>, ApiError> {
    Ok(Json(ReviewList {
        items: reviews::list(&state).await?,
    }))
}

#[utoipa::path(post, path = "/audit/access-reviews", tag = "audit", summary = "Open an access review now (one per account holding a privileged role)",
    responses(
        (status = 201, description = "the review", body = ReviewView),
        (status = 409, description = "`review-already-open`", body = ErrorBody),
    ))]
pub(super) async fn open_review(
    State(state): State<AppState>,
    a: Authed<gate::ReadAudit>,
) -> Result<(StatusCode, Json<ReviewView>), ApiError> {
    let v = reviews::open(&state, Some(&a.user.id)).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/audit/access-reviews/{id}", tag = "audit", summary = "One access review with its lines: role, last sign-in, MFA, the role's end, when each permission was last used, the decision",
    params(("id" = String, Path, description = "review id")),
    responses(
        (status = 200, description = "the review", body = ReviewView),
        (status = 404, description = "no such review", body = ErrorBody),
    ))]
pub(super) async fn show_review(
    State(state): State<AppState>,
    _a: Authed<gate::ReadAudit>,
    Path(id): Path<String>,
) -> Result<Json<ReviewView>, ApiError> {
    Ok(Json(reviews::show(&state, &id).await?))
}

/// A decision on one line.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct LineDecision {
    /// the account of the line
    user_id: String,
    /// `confirm` (keeps the role) or `revoke` (takes it away now)
    decision: String,
}

#[utoipa::path(post, path = "/audit/access-reviews/{id}/decisions", tag = "audit", summary = "Confirm or revoke one line of an open review (revoking takes the role away and ends the account's sessions)",
    params(("id" = String, Path, description = "review id")),
    request_body = LineDecision,
    responses(
        (status = 200, description = "the review", body = ReviewView),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 404, description = "no such review or line", body = ErrorBody),
        (status = 409, description = "`review-closed` or `review-line-stale`", body = ErrorBody),
    ))]
pub(super) async fn decide_line(
    State(state): State<AppState>,
    a: Authed<gate::ReadAudit>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<LineDecision>,
) -> Result<Json<ReviewView>, ApiError> {
    let revoke = match body.decision.as_str() {
        "confirm" => false,
        "revoke" => true,
        _ => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "decision is \"confirm\" or \"revoke\"",
            ));
        }
    };
    Ok(Json(
        reviews::decide(&state, &a, &id, &body.user_id, revoke).await?,
    ))
}

/// The export's format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportFormat {
    /// `json` (default) or `csv`
    format: Option<String>,
}

#[utoipa::path(get, path = "/audit/access-reviews/{id}/export", tag = "audit", summary = "A finished access review as JSON or CSV (audited)",
    params(("id" = String, Path, description = "review id"), ExportFormat),
    responses(
        (status = 200, description = "the review", content_type = "text/csv"),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 404, description = "no such review", body = ErrorBody),
        (status = 409, description = "`review-not-finished`", body = ErrorBody),
    ))]
pub(super) async fn export_review(
    State(state): State<AppState>,
    a: Authed<gate::ReadAudit>,
    Path(id): Path<String>,
    Query(q): Query<ExportFormat>,
) -> Result<Response, ApiError> {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "format is \"json\" or \"csv\"",
            ));
        }
    };
    let body = reviews::export(&state, &a.user.id, &id, csv).await?;
    let (mime, ext) = if csv {
        ("text/csv; charset=utf-8", "csv")
    } else {
        ("application/json", "json")
    };
    let disposition = format!("attachment; filename=\"access-review-{id}.{ext}\"");
    let disposition = axum::http::HeaderValue::from_str(&disposition)
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, "not a review id"))?;
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(mime),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            ),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/admin/access-reviews/status", tag = "admin", summary = "Whether an access review is open or overdue, when the last finished and when the next is due (the admin page flags an overdue one)",
    responses((status = 200, description = "the state", body = ReviewStatus)))]
pub(super) async fn review_status(
    State(state): State<AppState>,
    _a: Authed<gate::ManageRoles>,
) -> Result<Json<ReviewStatus>, ApiError> {
    Ok(Json(reviews::status(&state).await?))
}
