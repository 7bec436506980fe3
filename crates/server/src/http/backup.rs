//! The backup routes for operators and the `pixelunion backup` command:
//! status, the snapshots, a snapshot now, a verification. From the server's
//! own machine no account is needed (like `seal`); from elsewhere only a
//! signed-in operator. They work while sealed, except taking a snapshot
//! (its body is encrypted under the system key). Nothing here returns
//! content: counts, sizes, times and opaque ids.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::ApiError;
use super::extract::JsonBody;
use super::extract::LoopbackOrOperator;
use crate::AppState;
use crate::backup::heal::Scrubbed;
use crate::backup::snapshot::Taken;
use crate::backup::status::{BackupStatus, SnapshotView};
use crate::backup::verify::{Depth, Report};
use crate::backup::{heal, snapshot, status, verify};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(backup_status))
        .routes(routes!(list_snapshots, take_snapshot))
        .routes(routes!(run_verify))
        .routes(routes!(run_scrub))
}

#[utoipa::path(get, path = "/api/v1/sys/backup", tag = "backup", summary = "Backups at a glance: the last snapshot and its age, the replication backlog and lag, the last verification and scrub, and whether the backup store answers",
    responses((status = 200, description = "status", body = BackupStatus)))]
pub(super) async fn backup_status(
    State(state): State<AppState>,
    _caller: LoopbackOrOperator,
) -> Result<Json<BackupStatus>, ApiError> {
    Ok(Json(status::status(&state).await?))
}

#[utoipa::path(get, path = "/api/v1/sys/backup/snapshots", tag = "backup", summary = "The catalog snapshots in the backup store, oldest first",
    responses((status = 200, description = "snapshots", body = Vec<SnapshotView>)))]
pub(super) async fn list_snapshots(
    State(state): State<AppState>,
    _caller: LoopbackOrOperator,
) -> Result<Json<Vec<SnapshotView>>, ApiError> {
    Ok(Json(status::snapshots(&state).await?))
}

#[utoipa::path(post, path = "/api/v1/sys/backup/snapshots", tag = "backup", summary = "Take a catalog snapshot now (the server must be unsealed)",
    responses((status = 201, description = "taken", body = Taken)))]
pub(super) async fn take_snapshot(
    State(state): State<AppState>,
    caller: LoopbackOrOperator,
) -> Result<(StatusCode, Json<Taken>), ApiError> {
    let why = if caller.0.is_some() {
        "operator"
    } else {
        "command"
    };
    Ok((
        StatusCode::CREATED,
        Json(snapshot::take(&state, why).await?),
    ))
}

/// What to verify.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyRequest {
    /// decrypt every backup copy (needs the server unsealed); default: a sample
    #[serde(default)]
    all: bool,
    /// how many backup copies to decrypt when not `all` (default 20)
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 100000)]
    sample: Option<u32>,
}

#[utoipa::path(post, path = "/api/v1/sys/backup/verify", tag = "backup", summary = "Check that every blob the catalog references is in the backup store with its recorded SHA-256 (no key needed); unsealed, also decrypt a sample or all of them; counts missing, corrupt and orphaned objects",
    request_body = VerifyRequest,
    responses((status = 200, description = "the report (`ok` is false on any problem)", body = Report)))]
pub(super) async fn run_verify(
    State(state): State<AppState>,
    _caller: LoopbackOrOperator,
    JsonBody(req): JsonBody<VerifyRequest>,
) -> Result<Json<Report>, ApiError> {
    let sample = req.sample.unwrap_or(20);
    if sample > 100_000 {
        return Err(ApiError::bad_request("sample: at most 100000"));
    }
    let depth = if req.all { Depth::All } else { Depth::Sample };
    Ok(Json(verify::verify(&state, depth, sample as usize).await?))
}

#[utoipa::path(post, path = "/api/v1/sys/backup/scrub", tag = "backup", summary = "Scrub the primary store now (at `backups.scrub_mib_per_sec`): every referenced blob is checked against its recorded SHA-256 and rewritten from a good backup copy when it does not match",
    responses((status = 200, description = "what the scrub found", body = Scrubbed)))]
pub(super) async fn run_scrub(
    State(state): State<AppState>,
    _caller: LoopbackOrOperator,
) -> Result<Json<Scrubbed>, ApiError> {
    let rate = state
        .config()
        .backups
        .scrub_mib_per_sec
        .saturating_mul(1 << 20);
    Ok(Json(heal::scrub(&state, rate).await?))
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    /// The backup routes answer the server's own machine without an account
    /// and ask anyone else to sign in as an operator (nothing is taken,
    /// verified or scrubbed for them).
    #[tokio::test]
    async fn only_loopback_or_an_operator_reaches_the_backup_routes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::config::Config {
            data_dir: dir.path().join("data"),
            ..crate::config::Config::default()
        };
        let (state, _) = crate::prepare(config).await.expect("prepare");
        let app = crate::http::router(state.clone());
        let call = |method: &str, path: &str, peer: &str| {
            let peer: SocketAddr = peer.parse().expect("address");
            let mut req = Request::builder()
                .method(method)
                .uri(path)
                .header("content-type", "application/json")
                .body(Body::from(if method == "POST" { "{}" } else { "" }))
                .expect("request");
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        };
        for (method, path) in [
            ("GET", "/api/v1/sys/backup"),
            ("GET", "/api/v1/sys/backup/snapshots"),
            ("POST", "/api/v1/sys/backup/snapshots"),
            ("POST", "/api/v1/sys/backup/verify"),
            ("POST", "/api/v1/sys/backup/scrub"),
        ] {
            let r = call(method, path, "203.0.113.7:40000")
                .await
                .expect("answer");
            assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} from afar"
            );
        }
        let listed = state.stores().backup.list_snapshots().await.expect("list");
        assert!(listed.is_empty(), "nothing was taken for a stranger");
        let r = call("GET", "/api/v1/sys/backup", "127.0.0.1:40000")
            .await
            .expect("answer");
        assert_eq!(r.status(), StatusCode::OK, "from the server's own machine");
        let r = call("POST", "/api/v1/sys/backup/snapshots", "[::1]:40000")
            .await
            .expect("answer");
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "a snapshot from the machine"
        );
        assert_eq!(
            state
                .stores()
                .backup
                .list_snapshots()
                .await
                .expect("list")
                .len(),
            1
        );
    }
}
