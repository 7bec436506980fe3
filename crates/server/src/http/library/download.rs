//! Reading files: the original (Range, ETag, RFC 6266 names), a video's
//! playable copy (Range) and the renditions (ETag; an SVG placeholder until
//! the pipeline has made them).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use pixelunion_catalog::FileKind;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody, OrInternal};
use crate::http::extract::Authed;
use crate::http::range::{self, Presentation};
use crate::library::archive;
use crate::library::files::{self, Rendition};

pub(super) fn streaming_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(original))
        .routes(routes!(thumbnail))
        .routes(routes!(preview))
        .routes(routes!(playback))
        .routes(routes!(zip))
}

/// Shown until the pipeline has made the rendition (or when it cannot).
/// 4 × 3 pixels: clients tell it from a rendition by its size.
const PLACEHOLDER: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"3\" viewBox=\"0 0 4 3\"><rect width=\"4\" height=\"3\" fill=\"#8884\"/></svg>";

/// The placeholder answer while a rendition is not made (`state`: the
/// pipeline's, in `PixelUnion-Placeholder`, when the caller may know it).
pub(super) fn placeholder(state: Option<&'static str>) -> Response {
    let mut r = Response::new(Body::from(PLACEHOLDER));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(s) = state {
        h.insert("pixelunion-placeholder", HeaderValue::from_static(s));
    }
    r
}

/// A made rendition's answer: its bytes, media type and validator, cached
/// as `cache_control` says.
pub(super) fn rendition_answer(
    bytes: Vec<u8>,
    mime: &str,
    etag: &str,
    cache_control: &'static str,
) -> Result<Response, ApiError> {
    let mut r = Response::new(Body::from(bytes));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).or_internal()?,
    );
    h.insert(header::ETAG, HeaderValue::from_str(etag).or_internal()?);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    Ok(r)
}

async fn rendition(
    state: &AppState,
    user: &pixelunion_catalog::UserRow,
    id: &str,
    kind: FileKind,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let (file, owner) = match files::rendition(state, user, id, kind).await? {
        Rendition::Ready(f, owner) => (f, owner),
        Rendition::Missing(media_state) => return Ok(placeholder(Some(media_state.as_str()))),
    };
    let etag = Rendition::etag(&file);
    if range::not_modified(headers, &etag) {
        return Ok(range::not_modified_response(&etag));
    }
    let bytes = files::read_rendition(state, user, &owner, &file).await?;
    // Someone else's item is asked again each time (a 304 when still
    // shared): an ended share ends what the browser shows too.
    let cache = if owner == user.id {
        "private, max-age=86400"
    } else {
        "private, no-cache"
    };
    rendition_answer(bytes, &file.mime, &etag, cache)
}

#[utoipa::path(get, path = "/assets/{id}/thumbnail", tag = "library",
    summary = "Grid thumbnail (JPEG, shorter side 250 px, ETag); an SVG placeholder with `PixelUnion-Placeholder: pending|failed|none` until it exists",
    params(("id" = String, Path, description = "asset id")),
    responses(
        (status = 200, description = "the thumbnail (image/jpeg), or the placeholder (image/svg+xml)", content((Vec<u8> = "image/jpeg"), (String = "image/svg+xml"))),
        (status = 304, description = "not modified"),
    ))]
pub(crate) async fn thumbnail(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    rendition(&state, &a.user, &id, FileKind::Thumbnail, &headers).await
}

#[utoipa::path(get, path = "/assets/{id}/preview", tag = "library",
    summary = "Viewer preview (JPEG, longer side 1440 px, ETag); an SVG placeholder with `PixelUnion-Placeholder` until it exists",
    params(("id" = String, Path, description = "asset id")),
    responses(
        (status = 200, description = "the preview (image/jpeg), or the placeholder (image/svg+xml)", content((Vec<u8> = "image/jpeg"), (String = "image/svg+xml"))),
        (status = 304, description = "not modified"),
    ))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    rendition(&state, &a.user, &id, FileKind::Preview, &headers).await
}

/// `Content-Disposition: attachment` with an ASCII fallback name and the
/// UTF-8 one (RFC 6266).
pub(super) fn content_disposition(name: Option<&str>) -> HeaderValue {
    let name = name.unwrap_or("original");
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// Cache policy of originals and playable copies: they never change.
const IMMUTABLE: &str = "private, max-age=31536000, immutable";

#[utoipa::path(get, path = "/assets/{id}/original", tag = "library",
    summary = "Download the original (HTTP Range, ETag); decrypts only the segments a range touches",
    params(
        ("id" = String, Path, description = "asset id"),
        ("Range" = Option<String>, Header, description = "`bytes=a-b`, `bytes=a-` or `bytes=-n`"),
    ),
    responses(
        (status = 200, description = "the whole file (its own media type)", content_type = "*/*", body = Vec<u8>),
        (status = 206, description = "the requested range", content_type = "*/*", body = Vec<u8>),
        (status = 304, description = "not modified"),
        (status = 416, description = "`range-not-satisfiable`", body = ErrorBody),
    ))]
pub(crate) async fn original(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file = files::original(&state, &a.user, &id).await?;
    let disposition = content_disposition(file.file_name.as_deref());
    range::serve(
        &state,
        &headers,
        &file,
        Presentation {
            cache_control: IMMUTABLE,
            disposition: Some(&disposition),
        },
    )
    .await
}

#[utoipa::path(get, path = "/assets/{id}/playback", tag = "library",
    summary = "The video for a player (HTTP Range, ETag): the H.264/AAC MP4 made for a video browsers cannot play, else the original",
    params(
        ("id" = String, Path, description = "asset id"),
        ("Range" = Option<String>, Header, description = "`bytes=a-b`, `bytes=a-` or `bytes=-n`"),
    ),
    responses(
        (status = 200, description = "the whole file", content_type = "video/*", body = Vec<u8>),
        (status = 206, description = "the requested range", content_type = "video/*", body = Vec<u8>),
        (status = 304, description = "not modified"),
        (status = 404, description = "`not-a-video`, or no such asset of yours", body = ErrorBody),
        (status = 416, description = "`range-not-satisfiable`", body = ErrorBody),
    ))]
pub(crate) async fn playback(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file = files::playback(&state, &a.user, &id).await?;
    range::serve(
        &state,
        &headers,
        &file,
        Presentation {
            cache_control: IMMUTABLE,
            disposition: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_safe_and_keeps_unicode() -> Result<(), axum::http::header::ToStrError> {
        let v = content_disposition(Some("Fête \"été\".jpg"));
        let s = v.to_str()?;
        assert!(s.contains("filename=\"F_te __t__.jpg\""), "{s}");
        assert!(
            s.contains("filename*=UTF-8''F%C3%AAte%20%22%C3%A9t%C3%A9%22.jpg"),
            "{s}"
        );
        Ok(())
    }
}

/// A ZIP download of a selection.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ZipQuery {
    /// comma-separated asset ids, at most 500
    #[param(required = true, min_length = 1, pattern = r"^[^,]*(,[^,]*){0,499}$")]
    ids: String,
}

#[utoipa::path(get, path = "/assets/zip", tag = "library",
    summary = "Download a selection's originals as one ZIP (streamed, files stored as they are, ZIP64 where needed)",
    params(ZipQuery),
    responses(
        (status = 200, description = "the archive", content_type = "application/zip", body = Vec<u8>),
        (status = 400, description = "`too-many` or `bad-request`", body = ErrorBody),
        (status = 404, description = "an id that is not one of your items", body = ErrorBody),
    ))]
pub(crate) async fn zip(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    q: Result<axum::extract::Query<ZipQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let axum::extract::Query(q) =
        q.map_err(|r| ApiError::bad_request(format!("bad query parameters: {}", r.body_text())))?;
    let ids: Vec<String> = q
        .ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let files = archive::open(&state, &a.user, &ids).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut r = Response::new(Body::from_stream(archive::stream(&state, files)));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(Some(&format!("PixelUnion {today}.zip"))),
    );
    Ok(r)
}
