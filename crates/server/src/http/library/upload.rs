//! One-request uploads (multipart field `file`, or the raw body with the
//! name in `X-File-Name`) and the bulk "which of these do you have" check
//! that lets clients skip uploads.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ingest::{ingest, quota_exceeded, quota_left, too_large};
use super::{bad_json, error};
use crate::AppState;
use crate::accounts::Authed;
use crate::accounts::principal::gate;
use crate::error::{ApiError, ErrorBody, OrInternal};

/// At most this many hashes per check.
const MAX_HASHES: usize = 1000;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/assets", post(upload)).route(
        "/assets/exists",
        post(exists).layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20)),
    )
}

fn malformed() -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "bad-multipart",
        "malformed multipart body",
    )
}

#[utoipa::path(post, path = "/api/v1/assets", tag = "library", summary = "Upload a photo or video: multipart field `file`, or the raw body (name in `X-File-Name`); encrypted as it streams; identical content returns the existing asset", request_body(content = Vec<u8>, description = "the file", content_type = "application/octet-stream"), responses((status = 201, description = "stored: {duplicate: false, asset}"), (status = 200, description = "duplicate: {duplicate: true, asset} (the existing one)"), (status = 415, description = "unsupported-media-type", body = ErrorBody), (status = 413, description = "file-too-large or quota-exceeded", body = ErrorBody), (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not allowed", body = ErrorBody)))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // A declared length past the limit or the quota is refused before any byte is stored.
    let left = quota_left(&state, &a.user).await?;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len
            > state
                .config()
                .library
                .max_upload_mib
                .saturating_mul(1 << 20)
                + (64 << 10)
        {
            return Err(too_large(&state));
        }
        if len > left.saturating_add(64 << 10) {
            return Err(quota_exceeded());
        }
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (status, v) = if is_multipart {
        let mut mp = Multipart::from_request(req, &state)
            .await
            .map_err(|_| malformed())?;
        loop {
            let field = mp
                .next_field()
                .await
                .map_err(|_| malformed())?
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "missing-file",
                        "send the file in a multipart field named \"file\"",
                    )
                })?;
            if field.name() == Some("file") {
                let name = field.file_name().map(str::to_string);
                break ingest(&state, &a.user, name, left, field).await?;
            }
        }
    } else {
        let name = req
            .headers()
            .get("x-file-name")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        ingest(
            &state,
            &a.user,
            name,
            left,
            req.into_body().into_data_stream(),
        )
        .await?
    };
    Ok((status, Json(v)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExistsBody {
    /// SHA-256 digests of files (64 hex characters each), at most 1000
    sha256: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/assets/exists", tag = "library", summary = "Which of these files (by SHA-256) are already in my library? Lets clients skip uploads", request_body = ExistsBody, responses((status = 200, description = "{existing: {sha256: asset id}}"), (status = 400, description = "bad-request", body = ErrorBody)))]
pub(crate) async fn exists(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    body: Result<Json<ExistsBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|_| bad_json("{\"sha256\": [\"<64 hex>\", …]}"))?;
    if body.sha256.len() > MAX_HASHES {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "too-many",
            "at most 1000 hashes per request",
        ));
    }
    let key = crate::accounts::key_for(&state, &a.user)?;
    let mut by_index = std::collections::HashMap::new();
    for h in &body.sha256 {
        let digest: [u8; 32] = hex::decode(h.trim())
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "bad-hash",
                    "each entry must be a SHA-256 digest in hex (64 characters)",
                )
            })?;
        let index = pixelunion_vault::blind_index::user_blind_index(&key, "content", &digest)
            .or_internal()?
            .to_bytes()
            .to_vec();
        by_index.insert(index, h.trim().to_ascii_lowercase());
    }
    let indexes: Vec<Vec<u8>> = by_index.keys().cloned().collect();
    let found = state
        .catalog()
        .assets_with_content(&a.user.id, &indexes)
        .await
        .or_internal()?;
    let existing: serde_json::Map<String, Value> = found
        .into_iter()
        .filter_map(|(idx, id)| by_index.get(&idx).map(|h| (h.clone(), json!(id))))
        .collect();
    Ok(Json(json!({ "existing": existing })))
}
