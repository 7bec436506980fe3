//! Resumable uploads over the tus 1.0.0 protocol, core + `creation` +
//! `termination` (<https://tus.io/protocols/resumable-upload>): the headers
//! and status codes; the work is `library::uploads`. The finished upload's
//! asset id comes back in `PixelUnion-Asset-Id`.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pixelunion_catalog::UploadRow;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::codes::ErrorCode;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::Authed;
use crate::library::{quota, uploads};

const TUS_VERSION: &str = "1.0.0";
/// Header carrying the finished upload's asset id.
pub(crate) const ASSET_HEADER: &str = "pixelunion-asset-id";

pub(super) fn streaming_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, options))
        .routes(routes!(status, append, terminate))
}

fn tus(status: StatusCode) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    r
}

fn set(r: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        r.headers_mut().insert(name, v);
    }
}

fn check_version(h: &HeaderMap) -> Result<(), ApiError> {
    match h.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(ApiError::new(
            ErrorCode::TusVersion,
            "send Tus-Resumable: 1.0.0 (the only version supported)",
        )
        .with_header("tus-version", TUS_VERSION)),
    }
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn progress(up: &UploadRow, offset: i64) -> Response {
    let mut r = tus(StatusCode::NO_CONTENT);
    set(&mut r, "upload-offset", offset);
    set(&mut r, "upload-length", up.length);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[utoipa::path(options, path = "/uploads", tag = "library",
    summary = "tus discovery: version, extensions (creation, termination) and the size limit",
    responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size")))]
pub(crate) async fn options(State(state): State<AppState>, _a: Authed<gate::Upload>) -> Response {
    let mut r = tus(StatusCode::NO_CONTENT);
    set(&mut r, "tus-version", TUS_VERSION);
    set(&mut r, "tus-extension", "creation,termination");
    set(&mut r, "tus-max-size", quota::max_upload_bytes(&state));
    r
}

#[utoipa::path(post, path = "/uploads", tag = "library",
    summary = "tus creation: start a resumable upload of Upload-Length bytes (Upload-Metadata `filename`); checks the size limit and quota now",
    params(
        ("Tus-Resumable" = String, Header, description = "must be `1.0.0`", pattern = r"^1\.0\.0$"),
        ("Upload-Length" = u64, Header, description = "the file's size in bytes", minimum = 1),
        ("Upload-Metadata" = Option<String>, Header, description = "tus metadata; `filename` is kept (encrypted)"),
    ),
    responses(
        (status = 201, description = "Location of the upload; Upload-Offset 0"),
        (status = 400, description = "`upload-length`, `defer-length` or `empty-file`", body = ErrorBody),
        (status = 412, description = "`tus-version`", body = ErrorBody),
        (status = 413, description = "`file-too-large` or `quota-exceeded`", body = ErrorBody),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_version(&headers)?;
    if headers.contains_key("upload-defer-length") {
        return Err(ApiError::new(
            ErrorCode::DeferLength,
            "Upload-Defer-Length is not supported: send Upload-Length",
        ));
    }
    let length = header_u64(&headers, "upload-length").ok_or_else(|| {
        ApiError::new(
            ErrorCode::UploadLength,
            "send Upload-Length: the file's size in bytes",
        )
    })?;
    let name = headers
        .get("upload-metadata")
        .and_then(|v| v.to_str().ok())
        .and_then(pixelunion_wire::tus_file_name);
    let up = uploads::create(&state, &a.user, length, name.as_deref()).await?;
    let mut r = tus(StatusCode::CREATED);
    set(&mut r, "location", format!("/api/v1/uploads/{}", up.id));
    set(&mut r, "upload-offset", 0);
    Ok(r)
}

#[utoipa::path(head, path = "/uploads/{id}", tag = "library",
    summary = "tus: how many bytes the server has (Upload-Offset); PixelUnion-Asset-Id once complete",
    params(
        ("id" = String, Path, description = "upload id"),
        ("Tus-Resumable" = String, Header, description = "must be `1.0.0`", pattern = r"^1\.0\.0$"),
    ),
    responses(
        (status = 204, description = "Upload-Offset, Upload-Length"),
        (status = 412, description = "`tus-version`", body = ErrorBody),
    ))]
pub(crate) async fn status(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let up = uploads::get(&state, &a.user.id, &id).await?;
    check_version(&headers)?;
    uploads::finish_if_stalled(&state, &a.user, &up).await?;
    let mut r = progress(&up, up.received);
    if let Some(asset) = &up.asset_id {
        set(&mut r, ASSET_HEADER, asset);
    }
    Ok(r)
}

#[utoipa::path(patch, path = "/uploads/{id}", tag = "library",
    summary = "tus: send bytes from Upload-Offset (Content-Type application/offset+octet-stream); what arrives is kept even if the connection drops",
    params(
        ("id" = String, Path, description = "upload id"),
        ("Tus-Resumable" = String, Header, description = "must be `1.0.0`", pattern = r"^1\.0\.0$"),
        ("Upload-Offset" = u64, Header, description = "where these bytes start"),
    ),
    request_body(content = Vec<u8>, description = "the next bytes", content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "new Upload-Offset; PixelUnion-Asset-Id when complete"),
        (status = 400, description = "`upload-offset`, `empty-file` or `upload-interrupted`", body = ErrorBody),
        (status = 409, description = "`offset-mismatch`", body = ErrorBody),
        (status = 412, description = "`tus-version`", body = ErrorBody),
        (status = 413, description = "`upload-length-exceeded`, `file-too-large` or `quota-exceeded`", body = ErrorBody),
        (status = 415, description = "`content-type`, or `unsupported-media-type` when the finished file is not a photo or video", body = ErrorBody),
        (status = 423, description = "`busy`: another request holds the upload", body = ErrorBody),
    ))]
pub(crate) async fn append(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let up = uploads::get(&state, &a.user.id, &id).await?;
    let _sending = super::upload_slot(&state, &a.user.id)?;
    let headers = req.headers();
    check_version(headers)?;
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return Err(ApiError::new(
            ErrorCode::ContentType,
            "send Content-Type: application/offset+octet-stream",
        ));
    }
    let offset = header_u64(headers, "upload-offset").ok_or_else(|| {
        ApiError::new(
            ErrorCode::UploadOffset,
            "send Upload-Offset: the offset this request's bytes start at",
        )
    })?;
    let offset = i64::try_from(offset).map_err(|_| crate::library::Error::OffsetMismatch)?;
    let body = req.into_body().into_data_stream();
    let done = uploads::append(&state, &a.user, up.clone(), offset, body).await?;
    Ok(match done {
        uploads::Appended::Progress(at) => progress(&up, at),
        uploads::Appended::Complete { offset, asset_id } => {
            let mut r = progress(&up, offset);
            set(&mut r, ASSET_HEADER, asset_id);
            r
        }
    })
}

#[utoipa::path(delete, path = "/uploads/{id}", tag = "library",
    summary = "tus termination: abandon an upload and delete what was received",
    params(
        ("id" = String, Path, description = "upload id"),
        ("Tus-Resumable" = String, Header, description = "must be `1.0.0`", pattern = r"^1\.0\.0$"),
    ),
    responses(
        (status = 204, description = "terminated"),
        (status = 412, description = "`tus-version`", body = ErrorBody),
    ))]
pub(crate) async fn terminate(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    uploads::get(&state, &a.user.id, &id).await?;
    check_version(&headers)?;
    uploads::terminate(&state, &a.user, &id).await?;
    Ok(tus(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_required() {
        let mut h = HeaderMap::new();
        assert!(check_version(&h).is_err());
        h.insert("tus-resumable", HeaderValue::from_static("0.2.2"));
        assert!(check_version(&h).is_err());
        h.insert("tus-resumable", HeaderValue::from_static("1.0.0"));
        assert!(check_version(&h).is_ok());
    }
}
