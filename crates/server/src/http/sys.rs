//! System routes: health, readiness, seal status, unseal, seal. They work
//! while sealed.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use pixelunion_vault::VaultError;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::codes::ErrorCode;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, LoopbackOrOperator};
use crate::AppState;
use crate::keystate::{KeyStateError, UnsealOutcome};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(status))
        .routes(routes!(unseal))
        .routes(routes!(seal))
        .routes(routes!(firewall))
        .routes(routes!(metrics))
        .routes(routes!(openapi))
}

/// Alive.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// always `ok`
    status: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "system", summary = "Liveness: always 200, also while sealed",
    responses((status = 200, description = "alive", body = Health)))]
pub(super) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Ready or not, and why not.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Readiness {
    /// serving
    ready: bool,
    /// why not (`sealed`, `database unreachable`, …); absent when ready
    #[serde(skip_serializing_if = "Vec::is_empty")]
    problems: Vec<&'static str>,
    /// `ok`, or `degraded` while the backup store does not answer
    backup: &'static str,
}

#[utoipa::path(get, path = "/readyz", tag = "system", summary = "Readiness: 503 while sealed or when the database or the primary store is unreachable; `backup: degraded` while the backup store is (still ready)",
    responses(
        (status = 200, description = "ready", body = Readiness),
        (status = 503, description = "not ready; `problems` lists why", body = Readiness),
    ))]
pub(super) async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
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
    // The backup store being down degrades backups, not the service: the
    // replication backlog drains when it is back (status says "degraded").
    let backup = if crate::backup::status::backup_answers(&state).await {
        "ok"
    } else {
        "degraded"
    };
    let ready = problems.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            ready,
            problems,
            backup,
        }),
    )
}

/// The key state.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SysStatus {
    /// a sealed root record exists
    initialized: bool,
    /// no key in memory
    sealed: bool,
    /// shares needed to unseal
    threshold: u8,
    /// shares handed out
    shares: u8,
    /// shares given so far while sealed
    progress: u8,
    /// server version
    version: &'static str,
    /// `sqlite` or `postgres`
    database: &'static str,
    /// the key pages are locked in memory (never swapped)
    key_memory_locked: bool,
    /// the public key that verifies the audit trail's checkpoints (hex;
    /// only while unsealed)
    audit_public_key: Option<String>,
}

fn status_of(state: &AppState) -> SysStatus {
    let s = state.keys().status();
    let mem = pixelunion_vault::secure_memory::memory_lock_status();
    SysStatus {
        initialized: s.initialized,
        sealed: s.sealed,
        threshold: s.threshold,
        shares: s.shares,
        progress: s.progress,
        version: env!("CARGO_PKG_VERSION"),
        database: state.catalog().backend(),
        key_memory_locked: mem.pages_unlocked == 0,
        audit_public_key: crate::audit::checkpoint::public_key(state),
    }
}

#[utoipa::path(get, path = "/api/v1/sys/status", tag = "system", summary = "Seal status: initialized, sealed, threshold, progress",
    responses((status = 200, description = "the key state", body = SysStatus)))]
pub(super) async fn status(State(state): State<AppState>) -> Json<SysStatus> {
    Json(status_of(&state))
}

/// One unseal key share.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct UnsealBody {
    /// the share text (`pu-…`)
    #[schema(value_type = String)]
    share: Zeroizing<String>,
}

fn unseal_error(e: KeyStateError) -> ApiError {
    match e {
        KeyStateError::Vault(VaultError::InvalidShares) => ApiError::new(
            ErrorCode::InvalidShares,
            "these shares do not unlock this server; progress was reset and the server stays sealed",
        ),
        KeyStateError::Vault(VaultError::MalformedShare(why)) => ApiError::new(
            ErrorCode::MalformedShare,
            format!("share is malformed: {why}"),
        ),
        KeyStateError::Vault(VaultError::DuplicateShare) => {
            ApiError::new(ErrorCode::DuplicateShare, "this share was already given")
        }
        KeyStateError::Vault(VaultError::ShareSetMismatch) => ApiError::new(
            ErrorCode::ShareSetMismatch,
            "this share belongs to a different key set (another server or an older re-key)",
        ),
        KeyStateError::NotInitialized => {
            ApiError::new(ErrorCode::NotInitialized, "the server is not initialized")
        }
        other => ApiError::internal(&other),
    }
}

#[utoipa::path(post, path = "/api/v1/sys/unseal", tag = "system", summary = "Submit one unseal key share",
    request_body = UnsealBody,
    responses(
        (status = 200, description = "the key state after this share", body = SysStatus),
        (status = 400, description = "`malformed-share`, `duplicate-share`, `share-set-mismatch`, `invalid-shares` or `bad-request`", body = ErrorBody),
        (status = 409, description = "`not-initialized`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(super) async fn unseal(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<UnsealBody>,
) -> Result<Json<SysStatus>, ApiError> {
    if let Err(secs) = state.unseal_limiter().check(peer.ip()) {
        crate::metrics::get().unseal("throttled");
        return Err(ApiError::new(
            ErrorCode::TooManyAttempts,
            format!("too many failed unseal attempts; retry in {secs} s"),
        )
        .with_header("retry-after", secs.to_string()));
    }
    match state
        .keys()
        .submit_share(state.catalog(), &body.share)
        .await
    {
        Ok(UnsealOutcome::Unsealed) => {
            crate::metrics::get().unseal("accepted");
            state.unseal_limiter().success(peer.ip());
            tracing::info!(peer = %peer.ip(), "server unsealed");
            crate::audit::on_unseal(&state, &peer.ip().to_string()).await;
        }
        Ok(UnsealOutcome::Progress) => crate::metrics::get().unseal("accepted"),
        Ok(UnsealOutcome::AlreadyUnsealed) => crate::metrics::get().unseal("already_unsealed"),
        Err(e) => {
            crate::metrics::get().unseal("rejected");
            state.unseal_limiter().failure(peer.ip());
            tracing::warn!(peer = %peer.ip(), error = %e, "unseal attempt rejected");
            let event = crate::audit::Event::new(None, "sys.unseal", None, "failure");
            crate::audit::record(&state, event).await;
            return Err(unseal_error(e));
        }
    }
    Ok(Json(status_of(&state)))
}

#[utoipa::path(post, path = "/api/v1/sys/seal", tag = "system", summary = "Wipe the keys from memory (from the server's machine, or as a signed-in operator)",
    responses((status = 200, description = "sealed", body = SysStatus)))]
pub(super) async fn seal(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    parts: axum::http::request::Parts,
) -> Result<Json<SysStatus>, ApiError> {
    // Sealing a sealed server changes nothing, so nobody needs to be asked.
    let actor = if state.keys().is_sealed() {
        None
    } else {
        LoopbackOrOperator::admit(&state, &parts).await?.0
    };
    crate::accounts::audit(&state, actor.as_deref(), "sys.seal", None, "success").await;
    crate::seal_now(&state).await;
    tracing::info!(peer = %peer.ip(), "server sealed");
    Ok(Json(status_of(&state)))
}

#[utoipa::path(get, path = "/api/v1/sys/firewall", tag = "system", summary = "The request firewall: rule file version, paranoia level, threshold, mode, requests refused and flagged since start (from the server's machine, or as a signed-in operator)",
    responses((status = 200, description = "the firewall", body = crate::firewall::FirewallStatus)))]
pub(super) async fn firewall(
    State(state): State<AppState>,
    _caller: LoopbackOrOperator,
) -> Json<crate::firewall::FirewallStatus> {
    Json(state.firewall().status())
}

#[utoipa::path(get, path = "/metrics", tag = "system",
    summary = "Prometheus metrics (text format): from the server's machine, a signed-in operator, or with the scrape token of `operator.metrics_token_file`; labels carry route templates, never ids or personal data",
    responses((status = 200, description = "the metrics (OpenMetrics text)", content_type = "application/openmetrics-text", body = String)))]
pub(super) async fn metrics(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
) -> Result<axum::response::Response, ApiError> {
    if !scrape_token_matches(&state, &parts.headers) {
        LoopbackOrOperator::admit(&state, &parts).await?;
    }
    let body = crate::metrics::render(&state)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let mut r = axum::response::Response::new(axum::body::Body::from(body));
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// Whether the request carries the configured scrape token (read from its
/// file at each scrape, so that a rotated token takes effect at once).
fn scrape_token_matches(state: &AppState, headers: &axum::http::HeaderMap) -> bool {
    let Some(path) = &state.config().operator.metrics_token_file else {
        return false;
    };
    let Some(sent) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    match std::fs::read_to_string(path) {
        Ok(token) => {
            let token = zeroize::Zeroizing::new(token);
            let want = token.trim();
            // a token too short to resist guessing never matches
            want.len() >= 32
                && pixelunion_vault::ct_eq(
                    &pixelunion_vault::sha256(want.as_bytes()),
                    &pixelunion_vault::sha256(sent.trim().as_bytes()),
                )
        }
        Err(e) => {
            tracing::warn!(error = %e, "operator.metrics_token_file cannot be read");
            false
        }
    }
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "system", summary = "This OpenAPI 3 document",
    responses((status = 200, description = "the document", content_type = "application/json", body = Object)))]
pub(super) async fn openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(super::openapi())
}
