//! Extractors: a JSON body that answers a clear JSON 400/413 when it does
//! not parse, and the authenticated caller who passed a route's gate.

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use bytes::Bytes;

use super::codes::ErrorCode;
use super::error::ApiError;
use crate::AppState;
use crate::accounts::principal::{
    COOKIE, CSRF_HEADER, Credentials, Gate, Principal, Verb, admit, admit_request, authenticate,
    csrf_token, gate,
};

/// A JSON request body of type `T`, which must be a JSON object (every
/// body of this API is). A body that does not parse is a 400
/// `bad-request` saying why; one over the route's limit is a 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

/// Whether a (lower-case, parameter-free) media type is JSON: the one rule
/// both the JSON extractor and the firewall's body reader follow.
pub fn is_json_media(m: &str) -> bool {
    m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
}

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| is_json_media(&m.trim().to_ascii_lowercase()));
        if !is_json {
            return Err(ApiError::bad_request(
                "send the body as JSON (Content-Type: application/json)",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::BodyTooLarge,
                    "the request body is larger than this route accepts",
                )
            } else {
                ApiError::bad_request("the request body could not be read")
            }
        })?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::bad_request("the body is not valid JSON")
            } else {
                ApiError::bad_request(format!("unexpected JSON body: {e}"))
            }
        })
    }
}

/// Deserializes a whole number that JSON may write as `3` or `3.0` (both
/// are integers to JSON Schema), into `u32`.
pub fn whole_u32<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    use serde::Deserialize;
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u64)
    });
    whole
        .and_then(|v| u32::try_from(v).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected a whole number, got {n}")))
}

/// A whole number that JSON may write as `3` or `3.0` (JavaScript clients
/// send both), for signed fields (unix milliseconds).
pub fn whole_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    // ±2^53: every whole f64 up to there is exact
    const EXACT: f64 = 9_007_199_254_740_992.0;
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT)
                .map(|f| f as i64)
        })
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected a whole number, got {n}")))
}

/// What a method means for the access rules.
pub fn verb(method: &Method) -> Verb {
    match *method {
        Method::GET | Method::HEAD => Verb::Read,
        Method::OPTIONS => Verb::Options,
        _ => Verb::Write,
    }
}

fn header_text(parts: &Parts, name: impl axum::http::header::AsHeaderName) -> Option<String> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The session cookie's value.
fn cookie_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(COOKIE)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_string)
        })
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// The request's credentials and the context the access rules need.
pub fn credentials(parts: &Parts) -> Credentials {
    Credentials {
        bearer: bearer_token(parts),
        cookie: cookie_token(parts),
        csrf: header_text(parts, CSRF_HEADER),
        origin: header_text(parts, header::ORIGIN),
        host: header_text(parts, header::HOST)
            .or_else(|| parts.uri.authority().map(|a| a.as_str().to_string())),
        verb: verb(&parts.method),
        class: rate_class(parts),
    }
}

/// Which of an account's rate limits a request counts against.
fn rate_class(parts: &Parts) -> crate::ratelimit::Class {
    use crate::ratelimit::Class;
    // (inside the nested /api/v1 router the prefix is already stripped)
    let full = parts.uri.path();
    let path = full.strip_prefix("/api/v1").unwrap_or(full);
    let file_read = ["/thumbnail", "/preview", "/original", "/playback", "/zip"]
        .iter()
        .any(|end| path.ends_with(end));
    if parts.method == axum::http::Method::GET && path.starts_with("/assets/") && file_read {
        return Class::Files;
    }
    let upload = (parts.method == axum::http::Method::POST && path == "/assets")
        || path.starts_with("/uploads");
    if upload { Class::Upload } else { Class::Api }
}

/// The CSRF token of the session cookie a page request carries (pages put
/// it in a `<meta>` tag for their scripts).
pub fn page_csrf(parts: &Parts) -> Option<String> {
    cookie_token(parts).map(|t| csrf_token(&t))
}

/// An authenticated caller that passed gate `G` (refusals are audited).
#[derive(Debug)]
pub struct Authed<G: Gate> {
    /// the caller
    pub principal: Principal,
    _gate: PhantomData<G>,
}

impl<G: Gate> std::ops::Deref for Authed<G> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<G: Gate> FromRequestParts<AppState> for Authed<G> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = admit_request::<G>(state, &credentials(parts), parts.uri.path()).await?;
        Ok(Authed {
            principal,
            _gate: PhantomData,
        })
    }
}

/// A caller on the server's own machine (the `pixelunion` command: whoever
/// is there could stop the process anyway), who needs no account, or a
/// signed-in operator from elsewhere; holds the operator's id, if any.
#[derive(Debug)]
pub struct LoopbackOrOperator(pub Option<String>);

impl LoopbackOrOperator {
    /// Admits the caller of `parts` (a request without a known peer address
    /// counts as remote).
    pub async fn admit(state: &AppState, parts: &Parts) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        if peer.is_some_and(|ip| ip.is_loopback()) {
            return Ok(LoopbackOrOperator(None));
        }
        let c = credentials(parts);
        let p = authenticate(state, &c).await?;
        admit::<gate::OperateSystem>(&p, c.verb)?;
        Ok(LoopbackOrOperator(Some(p.user.id)))
    }
}

impl FromRequestParts<AppState> for LoopbackOrOperator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::admit(state, parts).await
    }
}
