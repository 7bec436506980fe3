//! The caller's sessions: list, end one, end all others.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::principal::gate;
use crate::accounts::sessions::{self, SessionView};
use crate::http::error::ApiError;
use crate::http::extract::Authed;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(revoke_session))
        .routes(routes!(revoke_others))
}

/// Sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SessionList {
    /// the caller's sessions
    items: Vec<SessionView>,
}

#[utoipa::path(get, path = "/auth/sessions", tag = "auth", summary = "List own sessions (client, created, last seen)",
    responses((status = 200, description = "the sessions", body = SessionList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<SessionList>, ApiError> {
    Ok(Json(SessionList {
        items: sessions::list(&state, &a).await?,
    }))
}

/// How many were revoked.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Revoked {
    /// sessions or tokens ended
    revoked: u64,
}

impl Revoked {
    /// One revoked.
    pub(crate) fn one() -> Json<Self> {
        Json(Revoked { revoked: 1 })
    }
}

#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth", summary = "Revoke one of own sessions",
    params(("id" = String, Path, description = "session id")),
    responses((status = 200, description = "revoked", body = Revoked)))]
pub(crate) async fn revoke_session(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    sessions::revoke(&state, &a.user, &id).await?;
    Ok(Revoked::one())
}

#[utoipa::path(post, path = "/auth/sessions/revoke-others", tag = "auth", summary = "Revoke all own sessions but the current one",
    responses((status = 200, description = "how many ended", body = Revoked)))]
pub(crate) async fn revoke_others(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = sessions::revoke_others(&state, &a).await?;
    Ok(Json(Revoked { revoked }))
}
