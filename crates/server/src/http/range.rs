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

/// What to answer a request for a representation of `len` bytes with
/// validator `etag`: the span to send and its status, or a finished answer
/// (304 for a matching `If-None-Match`, 416 for a range outside it). An
/// `If-Range` naming another validator gets the whole representation.
pub fn decide(
    headers: &HeaderMap,
    len: u64,
    etag: &str,
) -> Result<(StatusCode, std::ops::Range<u64>, bool), Box<Response>> {
    if not_modified(headers, etag) {
        return Err(Box::new(not_modified_response(etag)));
    }
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    match headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .map_or(RangeRequest::Whole, |v| parse_range(v, len))
    {
        RangeRequest::Whole => Ok((StatusCode::OK, 0..len, false)),
        RangeRequest::Part(r) => Ok((StatusCode::PARTIAL_CONTENT, r, true)),
        RangeRequest::Unsatisfiable => Err(Box::new(
            (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response(),
        )),
    }
}

/// The answer's headers for `span` of a representation of `len` bytes.
pub fn describe(
    resp: &mut Response,
    mime: &str,
    len: u64,
    span: &std::ops::Range<u64>,
    partial: bool,
    etag: &str,
    how: Presentation<'_>,
) -> Result<(), ApiError> {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).or_internal()?,
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
    if partial {
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {}-{}/{len}", span.start, span.end - 1))
                .or_internal()?,
        );
    }
    Ok(())
}

/// Answers a request for `file` with the whole file or the range asked for.
pub async fn serve(
    state: &AppState,
    headers: &HeaderMap,
    file: &Readable,
    how: Presentation<'_>,
) -> Result<Response, ApiError> {
    let (len, etag) = (file.len, file.etag.as_str());
    let (status, span, partial) = match decide(headers, len, etag) {
        Ok(d) => d,
        Err(done) => return Ok(*done),
    };
    // Size and header are read once; each window then fetches only its segments.
    let opened = file.open(state).await?;
    let stream = file.stream(state, opened, span.clone()).map(|r| {
        r.map_err(|e| {
            crate::metrics::get().store_error("primary");
            tracing::error!(error = %e, "blob stream failed; aborting the response");
            std::io::Error::other("blob read failed")
        })
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = status;
    describe(&mut resp, &file.mime, len, &span, partial, etag, how)?;
    Ok(resp)
}
