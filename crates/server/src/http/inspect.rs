//! The request firewall in front of every handler: each request's method,
//! target, headers and cookies, the decoded tus `Upload-Metadata`, and the
//! body when it is JSON, a form or text (read here up to
//! `waf.max_body_bytes`, then handed on) go through the rules. Files being
//! uploaded are never read here (multipart bodies, raw and tus uploads are
//! opaque; the upload handler has the multipart field and file names
//! checked with [`check_upload_names`]).
//!
//! A refused request gets 403 `request-blocked` with a request id that the
//! log line and the audit event also carry; the audit event names the rules
//! that fired and where (`942100@ARGS:caption`), never a value (the log line
//! adds the path, at most 120 characters).

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pixelunion_waf::{Body as Inspected, Verdict};

use super::codes::ErrorCode;
use super::error::ApiError;
use super::extract::is_json_media;
use crate::AppState;

/// How a body is treated.
enum Kind {
    Json,
    Form,
    Text,
    /// never read: a file, or a type no handler parses
    Opaque,
}

fn kind_of(headers: &HeaderMap) -> Kind {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return Kind::Opaque;
    };
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if is_json_media(&media) {
        Kind::Json
    } else if media == "application/x-www-form-urlencoded" {
        Kind::Form
    } else if media.starts_with("text/") || media == "application/xml" {
        Kind::Text
    } else {
        Kind::Opaque
    }
}

/// The header list the engine reads (an HTTP/2 request's authority counts
/// as its Host), with our own session cookie left out when it has exactly
/// a session token's shape (see [`without_own_session`]).
fn header_list(method_uri: &axum::http::Uri, headers: &HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes());
            let value = if k == header::COOKIE {
                without_own_session(&value)
            } else {
                value.into_owned()
            };
            (k.as_str().to_string(), value)
        })
        .collect();
    if !headers.contains_key(header::HOST)
        && let Some(a) = method_uri.authority()
    {
        out.push(("host".into(), a.as_str().to_string()));
    }
    out
}

/// A `Cookie` header without the session cookie when its value is exactly
/// a session token (a prefix and hex or base64url digits, checked strictly:
/// nothing else can be in it, and the server only ever hashes it). Tokens
/// minted before hex could spell SQL by chance (`3or9`) and be refused on
/// every request — the sign-in page included — until they expired; any
/// other value of that cookie is inspected as usual.
fn without_own_session(cookie: &str) -> String {
    let own = format!("{}=", crate::accounts::principal::COOKIE);
    cookie
        .split(';')
        .filter(|pair| {
            let pair = pair.trim();
            !pair.strip_prefix(&own).is_some_and(|v| {
                pixelunion_auth::token::looks_like(pixelunion_auth::token::TokenKind::Session, v)
            })
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// The tus `Upload-Metadata` entries, decoded (a value that is not UTF-8
/// is read with replacement characters, one that is not base64 as empty).
fn upload_metadata(headers: &HeaderMap) -> Vec<(String, String)> {
    let Some(m) = headers.get("upload-metadata").and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    pixelunion_wire::tus_metadata(m)
        .map(|(k, v)| {
            let value = v.map(|b| String::from_utf8_lossy(&b).into_owned());
            (k.to_string(), value.unwrap_or_default())
        })
        .collect()
}

/// Reads a JSON, form or text body whole (at most `max` bytes), or the
/// answer that refuses it.
async fn read_body(headers: &HeaderMap, body: Body, max: usize) -> Result<Bytes, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large(max));
    }
    axum::body::to_bytes(body, max).await.map_err(|e| {
        let over = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if over {
            too_large(max)
        } else {
            ApiError::bad_request("the request body could not be read").into_response()
        }
    })
}

/// The firewall: the last step of the perimeter, before any handler.
pub(super) async fn inspect(state: &AppState, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let max = state.config().waf.max_body_bytes;
    let kind = if parts.method == Method::GET
        || parts.method == Method::HEAD
        || super::routes::is_upload_route(parts.method.as_str(), parts.uri.path())
    {
        Kind::Opaque
    } else {
        kind_of(&parts.headers)
    };
    // a body that was read goes on as the bytes read (a cheap shared copy)
    let (read, body) = match kind {
        Kind::Opaque => (None, body),
        _ => match read_body(&parts.headers, body, max).await {
            Ok(b) => (Some(b.clone()), Body::from(b)),
            Err(refusal) => return refusal,
        },
    };
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let headers = header_list(&parts.uri, &parts.headers);
    let metadata = upload_metadata(&parts.headers);
    let inspected = match (&kind, &read) {
        (Kind::Json, Some(b)) => Inspected::Json(b),
        (Kind::Form, Some(b)) => Inspected::Form(b),
        (Kind::Text, Some(b)) => Inspected::Text(b),
        _ if !metadata.is_empty() => Inspected::Fields(&metadata),
        _ => Inspected::Opaque,
    };
    let verdict = state.firewall().verdict(&pixelunion_waf::Request {
        method: parts.method.as_str(),
        target,
        headers: &headers,
        body: inspected,
    });
    if let Some(refusal) = act(state, parts.method.as_str(), parts.uri.path(), &verdict) {
        return refusal.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn too_large(max: usize) -> Response {
    ApiError::new(
        ErrorCode::BodyTooLarge,
        format!("JSON, form and text bodies may be at most {max} bytes"),
    )
    .into_response()
}

/// Checks the names of a multipart upload (the field's name and the file
/// name it declares); the file's bytes are never inspected.
pub(crate) fn check_upload_names(
    state: &AppState,
    method: &str,
    path: &str,
    field: &str,
    file_name: Option<&str>,
) -> Result<(), ApiError> {
    let fields = [(field.to_string(), file_name.unwrap_or("").to_string())];
    // The request's headers and target were inspected by the layer already;
    // only the names are new. A placeholder Host keeps the protocol check
    // for a missing one from firing on this partial view.
    let verdict = state.firewall().verdict(&pixelunion_waf::Request {
        method,
        target: path,
        headers: &[("host".to_string(), "upload".to_string())],
        body: Inspected::Fields(&fields),
    });
    act(state, method, path, &verdict).map_or(Ok(()), Err)
}

/// Logs and audits a verdict that scored; the refusal if it blocks.
fn act(state: &AppState, method: &str, path: &str, verdict: &Verdict) -> Option<ApiError> {
    if verdict.hits.is_empty() {
        return None;
    }
    let id = request_id();
    let rules = verdict
        .hits
        .iter()
        .map(|h| format!("{}@{}", h.id, h.source))
        .collect::<Vec<_>>()
        .join(",");
    let path: String = path.chars().filter(|c| !c.is_control()).take(120).collect();
    crate::metrics::get().firewall(verdict.block);
    if verdict.block {
        state.firewall().count_blocked();
        tracing::warn!(request_id = %id, %method, %path, score = verdict.score, %rules, "request refused by the firewall");
    } else {
        state.firewall().count_flagged();
        tracing::info!(request_id = %id, %method, %path, score = verdict.score, %rules, "request flagged by the firewall");
    }
    let (action, outcome) = if verdict.block {
        ("waf.block", "denied")
    } else {
        ("waf.flag", "allowed")
    };
    // the path can be the payload itself: it goes to the log line (with
    // the same request id), not into the audit trail
    let target = format!(
        "request {id}: {method} score {} rules {rules}",
        verdict.score
    );
    let s = state.clone();
    tokio::spawn(async move {
        crate::accounts::audit(&s, None, action, Some(&target), outcome).await;
    });
    verdict.block.then(|| {
        ApiError::new(
            ErrorCode::RequestBlocked,
            format!(
                "the request was refused by the web application firewall; if it was legitimate, give an operator the request id {id}"
            ),
        )
        .with_request_id(id)
    })
}

/// 16 random hex digits.
fn request_id() -> String {
    let mut b = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        b = t.to_be_bytes();
    }
    hex::encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tus_metadata_is_decoded() -> Result<(), axum::http::header::InvalidHeaderValue> {
        let mut h = HeaderMap::new();
        h.insert(
            "upload-metadata",
            "filename QW5uYSdzIDwzLmpwZw==,is_confidential".parse()?,
        );
        assert_eq!(
            upload_metadata(&h),
            vec![
                ("filename".to_string(), "Anna's <3.jpg".to_string()),
                ("is_confidential".to_string(), String::new())
            ]
        );
        Ok(())
    }

    #[test]
    fn a_well_formed_session_cookie_is_not_matched_but_anything_else_is() {
        let waf = pixelunion_waf::Engine::new(
            pixelunion_waf::RuleSet::embedded().expect("rules"),
            pixelunion_waf::Settings::default(),
        );
        let score = |cookie: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, axum::http::HeaderValue::from_static("x"));
            h.insert(
                header::COOKIE,
                axum::http::HeaderValue::from_str(cookie).expect("cookie"),
            );
            let uri = axum::http::Uri::from_static("/api/v1/assets");
            waf.inspect(&pixelunion_waf::Request {
                method: "GET",
                target: "/api/v1/assets",
                headers: &header_list(&uri, &h),
                body: Inspected::None,
            })
            .score
        };
        // a base64url session minted before hex that spells `3or9`
        let legacy = "__Host-pixelunion=pus_hgpuPgo4K2nKNfHJPiacHKN3or9IxefQ8ZL3zbydNpQ";
        assert_eq!(score(legacy), 0);
        assert_eq!(score(&format!("theme=dark; {legacy}; lang=en")), 0);
        // the same text in another cookie, or an attack in ours, still scores
        assert!(score("other=pus_hgpuPgo4K2nKNfHJPiacHKN3or9IxefQ8ZL3zbydNpQ") > 0);
        assert!(score("__Host-pixelunion=pus_x' or '1'='1") > 0);
        assert!(score(&format!("{legacy}; __Host-pixelunion=1' union select 1--")) > 0);
        assert_eq!(
            without_own_session("a=1; __Host-pixelunion=pus_short; b=2"),
            "a=1; __Host-pixelunion=pus_short; b=2"
        );
    }

    #[test]
    fn bodies_are_read_only_when_a_handler_parses_them() {
        let with = |ct: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(ct),
            );
            kind_of(&h)
        };
        assert!(matches!(
            with("application/json; charset=utf-8"),
            Kind::Json
        ));
        assert!(matches!(with("application/merge-patch+json"), Kind::Json));
        assert!(matches!(
            with("application/x-www-form-urlencoded"),
            Kind::Form
        ));
        assert!(matches!(with("text/plain"), Kind::Text));
        assert!(matches!(
            with("multipart/form-data; boundary=x"),
            Kind::Opaque
        ));
        assert!(matches!(
            with("application/offset+octet-stream"),
            Kind::Opaque
        ));
        assert!(matches!(with("image/jpeg"), Kind::Opaque));
        assert!(matches!(kind_of(&HeaderMap::new()), Kind::Opaque));
    }
}
