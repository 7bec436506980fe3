//! System routes: health, readiness, seal status, unseal, seal. They work
//! while sealed.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::keystate::{KeyStateError, UnsealOutcome};
use pixelunion_vault::VaultError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/sys/status", get(status))
        .route("/api/v1/sys/unseal", post(unseal))
        .route("/api/v1/sys/seal", post(seal))
        .route("/api/openapi.json", get(openapi))
}

#[utoipa::path(get, path = "/healthz", tag = "system", summary = "Liveness: always 200, also while sealed", responses((status = 200, description = "success")))]
pub(super) async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/readyz", tag = "system", summary = "Readiness: 503 while sealed or when the database or a store is unreachable", responses((status = 200, description = "success"), (status = 503, description = "not ready; `problems` lists why")))]
pub(super) async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let mut problems = Vec::new();
    if state.keys().is_sealed() {
        problems.push("sealed");
    }
    if state.catalog().ping().await.is_err() {
        problems.push("database unreachable");
    }
    if state.stores().primary.ping().await.is_err() {
        problems.push("primary store unreachable");
    }
    if state.stores().backup.ping().await.is_err() {
        problems.push("backup store unreachable");
    }
    if problems.is_empty() {
        (StatusCode::OK, Json(json!({"ready": true})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "problems": problems})),
        )
    }
}

fn status_json(state: &AppState) -> Value {
    let s = state.keys().status();
    let mem = pixelunion_vault::secure_memory::memory_lock_status();
    json!({
        "initialized": s.initialized,
        "sealed": s.sealed,
        "threshold": s.threshold,
        "shares": s.shares,
        "progress": s.progress,
        "version": env!("CARGO_PKG_VERSION"),
        "database": state.catalog().backend(),
        "key_memory_locked": mem.pages_unlocked == 0,
    })
}

#[utoipa::path(get, path = "/api/v1/sys/status", tag = "system", summary = "Seal status: initialized, sealed, threshold, progress", responses((status = 200, description = "success")))]
pub(super) async fn status(State(state): State<AppState>) -> Json<Value> {
    Json(status_json(&state))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct UnsealBody {
    #[schema(value_type = String)]
    share: Zeroizing<String>,
}

#[utoipa::path(post, path = "/api/v1/sys/unseal", tag = "system", summary = "Submit one unseal key share", request_body = UnsealBody, responses((status = 200, description = "success"), (status = 400, description = "malformed, duplicate or foreign share, or invalid share set", body = ErrorBody), (status = 429, description = "too many failed attempts", body = ErrorBody)))]
pub(super) async fn unseal(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<UnsealBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    state.unseal_limiter().check(peer.ip())?;
    let Json(body) = body.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "expected a JSON body {\"share\": \"pu-…\"}",
        )
    })?;
    match state
        .keys()
        .submit_share(state.catalog(), &body.share)
        .await
    {
        Ok(UnsealOutcome::Unsealed) => {
            state.unseal_limiter().success(peer.ip());
            tracing::info!(peer = %peer.ip(), "server unsealed");
        }
        Ok(UnsealOutcome::Progress | UnsealOutcome::AlreadyUnsealed) => {}
        Err(e) => {
            state.unseal_limiter().failure(peer.ip());
            tracing::warn!(peer = %peer.ip(), error = %e, "unseal attempt rejected");
            return Err(match e {
                KeyStateError::Vault(VaultError::InvalidShares) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-shares",
                    "these shares do not unlock this server; progress was reset and the server stays sealed",
                ),
                KeyStateError::Vault(VaultError::MalformedShare(why)) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-share",
                    format!("share is malformed: {why}"),
                ),
                KeyStateError::Vault(VaultError::DuplicateShare) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "duplicate-share",
                    "this share was already given",
                ),
                KeyStateError::Vault(VaultError::ShareSetMismatch) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "share-set-mismatch",
                    "this share belongs to a different key set (another server or an older re-key)",
                ),
                KeyStateError::NotInitialized => ApiError::new(
                    StatusCode::CONFLICT,
                    "not-initialized",
                    "the server is not initialized",
                ),
                other => ApiError::internal(&other),
            });
        }
    }
    Ok(Json(status_json(&state)))
}

#[utoipa::path(post, path = "/api/v1/sys/seal", tag = "system", summary = "Wipe the keys from memory (from the server's machine, or as a signed-in operator)", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn seal(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    parts: axum::http::request::Parts,
) -> Result<Json<Value>, ApiError> {
    // From the server's own machine (the `pixelunion seal` command) no account
    // is needed: whoever is there could stop the process anyway. From
    // elsewhere only a signed-in operator may seal.
    let actor = if peer.ip().is_loopback() || state.keys().is_sealed() {
        None
    } else {
        let p = crate::accounts::principal::authenticate(&parts, &state).await?;
        crate::accounts::principal::admit::<crate::accounts::principal::gate::OperateSystem>(
            &p,
            &parts.method,
        )?;
        Some(p.user.id)
    };
    crate::accounts::audit(&state, actor.as_deref(), "sys.seal", None, "success").await;
    if let Err(e) = state.keys().persist_usage(state.catalog()).await {
        tracing::warn!(error = %e, "could not persist key usage before sealing");
    }
    state.keys().seal();
    tracing::info!(peer = %peer.ip(), "server sealed");
    Ok(Json(status_json(&state)))
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "system", summary = "This OpenAPI 3 document", responses((status = 200, description = "the document")))]
pub(super) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    Json(super::ApiDoc::openapi())
}
