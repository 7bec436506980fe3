//! One-request uploads (multipart field `file`, or the raw body with the
//! name in `X-File-Name`) and the bulk "which of these do you have" check
//! that lets clients skip uploads.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::codes::ErrorCode;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};
use crate::library::assets::AssetView;
use crate::library::{ingest, quota, timeline};

/// Multipart framing allowed on top of the file limit.
const FRAMING: u64 = 64 << 10;

pub(super) fn streaming_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload))
}

pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(exists))
}

/// What an upload came to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Uploaded {
    /// the owner had these bytes already: `asset` is the existing one
    duplicate: bool,
    /// the asset
    asset: AssetView,
}

/// The multipart form of an upload: one field, `file`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// the file (its name is kept, encrypted)
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
}

fn malformed() -> ApiError {
    ApiError::new(ErrorCode::BadMultipart, "malformed multipart body")
}

#[utoipa::path(post, path = "/assets", tag = "library",
    summary = "Upload a photo or video: multipart field `file`, or the raw body (name in `X-File-Name`); encrypted as it streams; identical content returns the existing asset",
    params(("X-File-Name" = Option<String>, Header, description = "the file's name, for a raw body")),
    request_body(content(
        (Vec<u8> = "application/octet-stream"),
        (UploadForm = "multipart/form-data"),
    ), description = "the file"),
    responses(
        (status = 201, description = "stored", body = Uploaded),
        (status = 200, description = "duplicate: the existing asset", body = Uploaded),
        (status = 400, description = "`empty-file`, `upload-interrupted`, `bad-multipart` or `missing-file`", body = ErrorBody),
        (status = 413, description = "`file-too-large` or `quota-exceeded`", body = ErrorBody),
        (status = 415, description = "`unsupported-media-type`", body = ErrorBody),
    ))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    req: Request,
) -> Result<(StatusCode, Json<Uploaded>), ApiError> {
    let _sending = super::upload_slot(&state, &a.user.id)?;
    // A declared length past the limit or the quota is refused before any byte is stored.
    let left = quota::left(&state, &a.user).await?;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > quota::max_upload_bytes(&state).saturating_add(FRAMING) {
            return Err(crate::library::Error::TooLarge {
                max_mib: state.config().library.max_upload_mib,
            }
            .into());
        }
        if len > left.saturating_add(FRAMING) {
            return Err(crate::library::Error::OverQuota.into());
        }
    }
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let done = if is_multipart {
        let (method, path) = (req.method().clone(), req.uri().path().to_string());
        let mut mp = Multipart::from_request(req, &state)
            .await
            .map_err(|_| malformed())?;
        let field = mp
            .next_field()
            .await
            .map_err(|_| malformed())?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::MissingFile,
                    "send the file in a multipart field named \"file\"",
                )
            })?;
        if field.name() != Some("file") {
            return Err(ApiError::new(
                ErrorCode::BadMultipart,
                "unexpected multipart field: send the file alone, in a field named \"file\"",
            ));
        }
        let name = field.file_name().map(str::to_string);
        crate::http::inspect::check_upload_names(
            &state,
            method.as_str(),
            &path,
            "file",
            name.as_deref(),
        )?;
        ingest::ingest(&state, &a.user, name, left, None, field).await?
    } else {
        let name = req
            .headers()
            .get("x-file-name")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        ingest::ingest(
            &state,
            &a.user,
            name,
            left,
            None,
            req.into_body().into_data_stream(),
        )
        .await?
    };
    let key = state.keys().user_key(&a.user)?;
    let status = if done.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(Uploaded {
            duplicate: done.duplicate,
            asset: AssetView::new(&key, &done.asset),
        }),
    ))
}

/// A SHA-256 digest in hex.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(pattern = "^[0-9a-fA-F]{64}$")]
pub(crate) struct Sha256Hex(String);

/// SHA-256 digests to look for.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExistsBody {
    /// SHA-256 digests of files (64 hex characters each), at most 1000
    #[schema(max_items = 1000)]
    sha256: Vec<Sha256Hex>,
}

/// Which of the digests are in the library.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Existing {
    /// digest (lower-case hex) → asset id, for those the caller has
    existing: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/assets/exists", tag = "library",
    summary = "Which of these files (by SHA-256) are already in my library? Lets clients skip uploads",
    request_body = ExistsBody,
    responses(
        (status = 200, description = "the ones the caller has", body = Existing),
        (status = 400, description = "`bad-hash` or `too-many`", body = ErrorBody),
    ))]
pub(crate) async fn exists(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    JsonBody(body): JsonBody<ExistsBody>,
) -> Result<Json<Existing>, ApiError> {
    let hashes: Vec<String> = body.sha256.into_iter().map(|h| h.0).collect();
    Ok(Json(Existing {
        existing: timeline::existing(&state, &a.user, &hashes).await?,
    }))
}
