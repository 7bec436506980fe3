//! Error answers are JSON everywhere, and documented everywhere:
//! - [`json_errors`] rewrites an error that left a layer below us without a
//!   JSON body (axum's 405, a body-limit 413, a Range 416) into
//!   `{"error": {"code", "message"}}` with its status and headers kept;
//! - [`document_errors`] adds to every operation of the OpenAPI document the
//!   error statuses the shared layers can answer (sealed, unauthenticated,
//!   forbidden, not found, malformed or oversized bodies, internal), from
//!   the route table, so that the document lists every status a route has.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::{OpenApi, RefOr, ResponseBuilder, content::ContentBuilder, path::Operation};

use super::codes::ErrorCode;
use super::error::ApiError;
use super::routes::{Access, ROUTES, Target};

/// The registered code for an error status a layer answered.
fn code_for(status: StatusCode) -> Option<ErrorCode> {
    Some(match status {
        StatusCode::BAD_REQUEST => ErrorCode::BadRequest,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::LENGTH_REQUIRED => ErrorCode::LengthRequired,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::ContentType,
        StatusCode::RANGE_NOT_SATISFIABLE => ErrorCode::RangeNotSatisfiable,
        StatusCode::INTERNAL_SERVER_ERROR => ErrorCode::Internal,
        _ => return None,
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Makes every error answer of the API JSON (a plain mapping of the
/// answer: as a layer it clones nothing per request).
pub fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(resp.headers()) {
        return resp;
    }
    let Some(code) = code_for(status) else {
        tracing::debug!(
            status = status.as_u16(),
            "error answer without a registered code"
        );
        return resp;
    };
    let message = match code {
        ErrorCode::MethodNotAllowed => "this path does not take this method".to_string(),
        ErrorCode::BodyTooLarge => "the request body is larger than this route accepts".into(),
        ErrorCode::RangeNotSatisfiable => "the requested range is outside the file".into(),
        ErrorCode::Internal => "internal error".into(),
        c => c.description(),
    };
    let (parts, _) = resp.into_parts();
    let mut fresh = ApiError::new(code, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// Raw request bodies (`application/octet-stream`, tus' offset stream) are
/// binary strings — utoipa would describe `Vec<u8>` as an array of
/// integers — and an upload's file has at least one byte.
pub fn document_binary_bodies(doc: &mut OpenApi) {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in [item.post.as_mut(), item.patch.as_mut(), item.put.as_mut()]
            .into_iter()
            .flatten()
        {
            let Some(RefOr::T(body)) = op.request_body.as_mut() else {
                continue;
            };
            for (media, content) in body.content.iter_mut() {
                let RefOr::T(content) = content else {
                    continue;
                };
                if media == "application/octet-stream" || media == "application/offset+octet-stream"
                {
                    let min = (path == "/api/v1/assets").then_some(1);
                    content.schema = Some(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                            .min_length(min)
                            .into(),
                    );
                }
            }
        }
    }
}

/// Adds the shared layers' error answers to every operation.
pub fn document_errors(doc: &mut OpenApi) {
    for route in ROUTES {
        let Some(item) = doc.paths.paths.get_mut(route.path) else {
            continue;
        };
        let op = match route.method {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PUT" => item.put.as_mut(),
            "PATCH" => item.patch.as_mut(),
            "DELETE" => item.delete.as_mut(),
            "HEAD" => item.head.as_mut(),
            "OPTIONS" => item.options.as_mut(),
            _ => None,
        };
        let Some(op) = op else { continue };
        let mut codes = vec![
            ErrorCode::Internal,
            ErrorCode::RateLimited,
            ErrorCode::RequestBlocked,
            ErrorCode::UriTooLong,
            ErrorCode::HeadersTooLarge,
        ];
        if route.path.starts_with("/api/v1/") {
            codes.push(ErrorCode::Sealed);
        }
        let has_body = op.request_body.is_some();
        if has_body || !op.parameters.as_ref().is_none_or(Vec::is_empty) {
            codes.push(ErrorCode::BadRequest);
        }
        if has_body {
            codes.push(ErrorCode::BodyTooLarge);
        }
        match route.access {
            Access::Public => {}
            Access::LoopbackOrOperator => {
                codes.extend([ErrorCode::Unauthenticated, ErrorCode::Forbidden]);
            }
            Access::Gated(_, target) => {
                codes.extend([ErrorCode::Unauthenticated, ErrorCode::Forbidden]);
                if target != Target::None {
                    codes.push(ErrorCode::NotFound);
                }
            }
        }
        for c in codes {
            add_error(op, c);
        }
    }
}

/// Documents error `code` on `op` (its status gets the error schema and the
/// code among its possible codes).
pub fn add_error(op: &mut Operation, code: ErrorCode) {
    let status = code.status().as_u16().to_string();
    let line = format!("`{}`: {}", code.as_str(), code.description());
    match op.responses.responses.get_mut(&status) {
        Some(RefOr::T(r)) => {
            if !r.description.contains(code.as_str()) {
                r.description = format!("{}; {line}", r.description);
            }
            if r.content.is_empty() {
                r.content
                    .insert("application/json".into(), RefOr::T(error_content()));
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            op.responses.responses.insert(
                status,
                RefOr::T(
                    ResponseBuilder::new()
                        .description(line)
                        .content("application/json", error_content())
                        .build(),
                ),
            );
        }
    }
}

fn error_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
        .build()
}
