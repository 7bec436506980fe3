//! Serving an encrypted file with HTTP Range (RFC 9110): single and suffix
//! ranges, 206/416, strong ETag with If-None-Match and If-Range. Only the
//! segments a range touches are fetched and decrypted, window by window, so
//! a video player seeks at once and memory stays bounded. Used by the
//! downloads and by the media tools' loopback feed.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use pixelunion_wire::{RangeRequest, parse_range};

use super::error::{ApiError, OrInternal};
use crate::AppState;
use crate::library::files::Readable;

/// How the answer may be cached and shown.
#[derive(Debug, Clone, Copy)]
pub struct Presentation<'a> {
    /// `Cache-Control`
    pub cache_control: &'static str,
    /// `Content-Disposition` (downloads), none for inline media
    pub disposition: Option<&'a HeaderValue>,
}

/// Whether `If-None-Match` names `etag` (or `*`).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// A 304 carrying the validator.
pub fn not_modified_response(etag: &str) -> Response {
    (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.to_string())]).into_response()
}

/// Answers a request for `file` with the whole file or the range asked for.
pub async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    file: &Readable,
    how: Presentation<'_>,
) -> Result<Response, ApiError> {
    let (len, etag) = (file.len, file.etag.as_str());
    if not_modified(headers, etag) {
        return Ok(not_modified_response(etag));
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
    let opened = file.open(state).await?;
    let stream = file.stream(state, opened, span.clone()).map(|r| {
        r.map_err(|e| {
            tracing::error!(error = %e, "blob stream failed; aborting the response");
            std::io::Error::other("blob read failed")
        })
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mime).or_internal()?,
    );
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(span.end - span.start),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, HeaderValue::from_str(etag).or_internal()?);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(how.cache_control),
    );
    if let Some(d) = how.disposition {
        h.insert(header::CONTENT_DISPOSITION, d.clone());
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
