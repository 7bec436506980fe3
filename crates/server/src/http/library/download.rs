//! The original file with HTTP Range: single and suffix ranges, 206/416,
//! strong ETag with If-None-Match and If-Range, RFC 6266 names. Only the
//! segments a range touches are fetched and decrypted, window by window, so
//! a video player seeks instantly and memory stays bounded.

use std::ops::Range;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use pixelunion_store::BlobName;
use pixelunion_wire::{RangeRequest, parse_range};

use super::{asset_name, owned};
use crate::AppState;
use crate::accounts::Authed;
use crate::accounts::principal::gate;
use crate::error::{ApiError, ErrorBody, OrInternal};

/// Bytes fetched and decrypted per step when streaming an original.
const WINDOW: u64 = 1 << 20;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{id}/original", get(original))
        .route("/assets/{id}/thumbnail", get(thumbnail))
        .route("/assets/{id}/preview", get(preview))
        .route("/assets/{id}/playback", get(playback))
}

/// Shown until the pipeline has made the rendition (or when it cannot).
/// 4 × 3 pixels: clients tell it from a rendition by its size.
const PLACEHOLDER: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"3\" viewBox=\"0 0 4 3\"><rect width=\"4\" height=\"3\" fill=\"#8884\"/></svg>";

async fn rendition(
    state: &AppState,
    user: &pixelunion_catalog::UserRow,
    id: &str,
    kind: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    // The file lookup is owner-scoped; only a miss needs the asset itself
    // (404, or a placeholder naming the pipeline's state).
    let Some(file) = state
        .catalog()
        .asset_file(&user.id, id, kind)
        .await
        .or_internal()?
    else {
        let asset = owned(state, user, id).await?;
        let mut r = Response::new(Body::from(PLACEHOLDER));
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            "pixelunion-placeholder",
            HeaderValue::from_str(&asset.media_state).or_internal()?,
        );
        return Ok(r);
    };
    let etag = format!("\"{}\"", file.blob_name);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let key = crate::accounts::key_for(state, user)?;
    let name = BlobName::parse(&file.blob_name).or_internal()?;
    let object = super::ingest::object_id_of(&name)?;
    let bytes = state
        .stores()
        .primary
        .get_decrypted(&key, object, &name)
        .await
        .or_internal()?;
    let mut r = Response::new(Body::from(bytes));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mime).or_internal()?,
    );
    h.insert(header::ETAG, HeaderValue::from_str(&etag).or_internal()?);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(r)
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/thumbnail", tag = "library", summary = "Grid thumbnail (JPEG, shorter side 250 px, ETag); an SVG placeholder with `PixelUnion-Placeholder: pending|failed|none` until it exists", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the thumbnail, or the placeholder"), (status = 304, description = "not modified"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(crate) async fn thumbnail(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    rendition(&state, &a.user, &id, "thumbnail", &headers).await
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/preview", tag = "library", summary = "Viewer preview (JPEG, longer side 1440 px, ETag); an SVG placeholder with `PixelUnion-Placeholder` until it exists", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the preview, or the placeholder"), (status = 304, description = "not modified"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(crate) async fn preview(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    rendition(&state, &a.user, &id, "preview", &headers).await
}

fn content_disposition(name: Option<&str>) -> HeaderValue {
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

#[utoipa::path(get, path = "/api/v1/assets/{id}/original", tag = "library", summary = "Download the original (HTTP Range, ETag); decrypts only the segments a range touches", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the whole file"), (status = 206, description = "the requested range"), (status = 304, description = "not modified"), (status = 416, description = "range not satisfiable"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(crate) async fn original(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let asset = owned(&state, &a.user, &id).await?;
    let key = Arc::new(crate::accounts::key_for(&state, &a.user)?);
    let name = asset_name(&key, &asset);
    let object = super::ingest::asset_object_id(&asset.id)
        .ok_or_else(|| ApiError::internal(&"asset id is not a UUID"))?;
    ranged(
        &state,
        &headers,
        Ranged {
            key,
            object,
            blob: BlobName::parse(&asset.blob_name).or_internal()?,
            len: u64::try_from(asset.size).unwrap_or(0),
            mime: &asset.mime,
            etag: format!("\"{}\"", asset.id),
            disposition: Some(content_disposition(name.as_deref())),
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/playback", tag = "library", summary = "The video for a player (HTTP Range, ETag): the H.264/AAC MP4 made for a video browsers cannot play, else the original", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the whole file"), (status = 206, description = "the requested range"), (status = 304, description = "not modified"), (status = 416, description = "range not satisfiable"), (status = 404, description = "no such video of yours", body = ErrorBody)))]
pub(crate) async fn playback(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let asset = owned(&state, &a.user, &id).await?;
    if asset.kind != "video" {
        return Err(super::error(
            StatusCode::NOT_FOUND,
            "not-a-video",
            "this asset is not a video",
        ));
    }
    let key = Arc::new(crate::accounts::key_for(&state, &a.user)?);
    let file = state
        .catalog()
        .asset_file(&a.user.id, &id, "playback")
        .await
        .or_internal()?;
    let target = match &file {
        Some(f) => {
            let blob = BlobName::parse(&f.blob_name).or_internal()?;
            Ranged {
                key,
                object: super::ingest::object_id_of(&blob)?,
                etag: format!("\"{}\"", f.blob_name),
                blob,
                len: u64::try_from(f.size).unwrap_or(0),
                mime: &f.mime,
                disposition: None,
            }
        }
        None => Ranged {
            key,
            object: super::ingest::asset_object_id(&asset.id)
                .ok_or_else(|| ApiError::internal(&"asset id is not a UUID"))?,
            blob: BlobName::parse(&asset.blob_name).or_internal()?,
            len: u64::try_from(asset.size).unwrap_or(0),
            mime: &asset.mime,
            etag: format!("\"{}\"", asset.id),
            disposition: None,
        },
    };
    ranged(&state, &headers, target).await
}

/// An encrypted blob to serve with HTTP Range.
pub(crate) struct Ranged<'a> {
    pub key: Arc<pixelunion_vault::DataKey>,
    pub object: pixelunion_vault::ObjectId,
    pub blob: BlobName,
    /// plaintext length
    pub len: u64,
    pub mime: &'a str,
    /// strong ETag, quoted
    pub etag: String,
    /// `Content-Disposition` (downloads), none for inline media
    pub disposition: Option<HeaderValue>,
}

/// Serves a blob with single and suffix ranges, 206/416, strong ETag with
/// If-None-Match and If-Range; only the segments a range touches are read.
pub(crate) async fn ranged(
    state: &AppState,
    headers: &HeaderMap,
    t: Ranged<'_>,
) -> Result<Response, ApiError> {
    let (len, etag) = (t.len, t.etag.clone());
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|x| x.trim() == etag || x.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let range = match headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .map_or(RangeRequest::Whole, |v| parse_range(v, len))
    {
        RangeRequest::Whole => None,
        RangeRequest::Part(r) => Some(r),
        RangeRequest::Unsatisfiable => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response());
        }
    };
    let (status, span) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..len),
    };
    // Size and header are read once; each window then fetches only its segments.
    let store = state.stores().primary.clone();
    let opened = Arc::new(store.open_encrypted(&t.blob).await.or_internal()?);
    let body = decrypted_body(store, t.key, t.object, opened, span);
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(t.mime).or_internal()?,
    );
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(span_len(&range, len)),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).or_internal()?);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    if let Some(d) = t.disposition {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    if let Some(r) = &range {
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {}-{}/{len}", r.start, r.end - 1))
                .or_internal()?,
        );
    }
    Ok(resp)
}

/// The plaintext bytes `span` of an opened encrypted blob as a response
/// body, fetched and decrypted window by window.
pub(crate) fn decrypted_body(
    store: pixelunion_store::BlobStore,
    key: Arc<pixelunion_vault::DataKey>,
    object: pixelunion_vault::ObjectId,
    opened: Arc<pixelunion_store::EncryptedObject>,
    span: Range<u64>,
) -> Body {
    let body = futures::stream::unfold(span.start, move |pos| {
        let (store, key, opened) = (store.clone(), key.clone(), opened.clone());
        let end = span.end;
        async move {
            if pos >= end {
                return None;
            }
            let to = (pos + WINDOW).min(end);
            match store.read_decrypted(&key, object, &opened, pos..to).await {
                Ok(v) => Some((Ok(Bytes::from(v)), to)),
                Err(e) => {
                    tracing::error!(error = %e, "blob stream failed; aborting the response");
                    Some((Err(std::io::Error::other("blob read failed")), end))
                }
            }
        }
    });
    Body::from_stream(body)
}

fn span_len(range: &Option<Range<u64>>, len: u64) -> u64 {
    range.as_ref().map_or(len, |r| r.end - r.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_safe_and_keeps_unicode() {
        let v = content_disposition(Some("Fête \"été\".jpg"));
        let s = v.to_str().expect("ascii header");
        assert!(s.contains("filename=\"F_te __t__.jpg\""), "{s}");
        assert!(
            s.contains("filename*=UTF-8''F%C3%AAte%20%22%C3%A9t%C3%A9%22.jpg"),
            "{s}"
        );
    }
}
