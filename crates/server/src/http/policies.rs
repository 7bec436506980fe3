//! Policy notices (`accounts::policies`): the published privacy and
//! security policies (public), publishing a new version (administrators),
//! and recording that one has read it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::extract::{Authed, JsonBody};
use crate::AppState;
use crate::accounts::policies::{self, PolicyView};
use crate::accounts::principal::gate;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(current))
        .routes(routes!(publish))
        .routes(routes!(seen))
}

/// The policies in force.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Policies {
    /// the latest version of each kind published
    items: Vec<PolicyView>,
}

#[utoipa::path(get, path = "/policies", tag = "auth", summary = "The privacy and security policies in force (latest published versions; public)",
    responses((status = 200, description = "the policies", body = Policies)))]
pub(super) async fn current(State(state): State<AppState>) -> Result<Json<Policies>, ApiError> {
    Ok(Json(Policies {
        items: policies::latest(&state).await?,
    }))
}

/// A new version.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct Publish {
    /// `privacy` or `security`
    kind: String,
    /// the full text (1–100,000 characters)
    text: String,
}

#[utoipa::path(post, path = "/admin/policies", tag = "admin", summary = "Publish a new version of the privacy or security policy: every account sees it at its next sign-in and is e-mailed",
    request_body = Publish,
    responses(
        (status = 201, description = "the version published", body = PolicyView),
        (status = 422, description = "`invalid-policy`", body = ErrorBody),
    ))]
pub(super) async fn publish(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    JsonBody(body): JsonBody<Publish>,
) -> Result<(StatusCode, Json<PolicyView>), ApiError> {
    let v = policies::publish(&state, &a.user.id, &body.kind, &body.text).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// What one has read.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct Seen {
    /// `privacy` or `security`
    kind: String,
    /// the version read (the current one)
    #[schema(minimum = 1, value_type = u32)]
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    version: Option<u32>,
}

#[utoipa::path(post, path = "/auth/policies/seen", tag = "auth", summary = "Record that one has read the current version of a policy",
    request_body = Seen,
    responses(
        (status = 204, description = "recorded"),
        (status = 404, description = "no such policy published", body = ErrorBody),
        (status = 422, description = "`invalid-policy` (unknown kind, or not the current version)", body = ErrorBody),
    ))]
pub(super) async fn seen(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    JsonBody(body): JsonBody<Seen>,
) -> Result<StatusCode, ApiError> {
    let version = body.version.ok_or(crate::accounts::Error::InvalidPolicy(
        "give the version you read",
    ))?;
    policies::seen(&state, &a.user.id, &body.kind, i64::from(version)).await?;
    Ok(StatusCode::NO_CONTENT)
}
