//! The HTTP boundary: one router per resource, merged here with
//! utoipa-axum so that the OpenAPI document is made from the very routes
//! that are served (a path cannot be served undocumented or documented
//! unserved), wrapped in the perimeter layers (security headers, body
//! limits, JSON error answers) and the sealed guard.
//!
//! Handlers are protocol adapters: they read the request (extractors,
//! headers), call `library` or `accounts`, and shape the answer. The
//! domain's errors become JSON errors in `error.rs` only.

mod admin;
mod answers;
mod audit;
mod auth;
mod backup;
pub mod codes;
mod drain;
pub mod error;
pub mod extract;
#[cfg(test)]
mod firewall_fit;
mod grants;
pub mod headers;
mod incidents;
pub(crate) mod inspect;
pub(crate) mod library;
mod origin;
mod pages;
mod policies;
pub mod range;
mod reviews;
pub mod routes;
mod sys;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;
use error::ApiError;

/// Largest JSON body of the account, admin and library routes.
pub const JSON_LIMIT: usize = 1 << 20;
/// Largest body of the system routes (unseal).
pub const SYS_LIMIT: usize = 64 << 10;

/// What the OpenAPI document says beside its paths.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "PixelUnion API", description = "Privacy-first photo and video storage. Errors are `{\"error\": {\"code\", \"message\"}}` with a code from the `ErrorCode` list; while the server is sealed every `/api/v1` data route answers 503 `sealed`."),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "system", description = "health, seal status, unseal, seal"),
        (name = "auth", description = "sign-in, sessions, MFA, API tokens, invitations"),
        (name = "admin", description = "account administration (no content)"),
        (name = "library", description = "photos and videos: upload (also resumable, tus 1.0), timeline, download, trash, albums"),
        (name = "sharing", description = "albums shared between accounts, public links, the display name others see"),
        (name = "public", description = "what a public link opens, for people without an account (the link's token travels in a request body, never in a URL)"),
        (name = "audit", description = "the audit trail"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::accounts::principal::COOKIE,
                "browser session; state changes also need the X-CSRF-Token header",
            ))),
        );
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("session token (login with bearer: true) or API token"))
                    .build(),
            ),
        );
    }
}

/// The documented routes: `(system routes, /api/v1 data routes)`, each
/// with its part of the OpenAPI document.
fn documented() -> (OpenApiRouter<AppState>, OpenApiRouter<AppState>) {
    let json = OpenApiRouter::new()
        .merge(auth::router())
        .merge(admin::router())
        .merge(grants::router())
        .merge(reviews::router())
        .merge(policies::router())
        .merge(audit::router())
        .merge(incidents::router())
        .merge(library::json_router())
        .layer(DefaultBodyLimit::max(JSON_LIMIT));
    let data = OpenApiRouter::new()
        .merge(json)
        .merge(library::streaming_router().layer(DefaultBodyLimit::disable()));
    let sys = sys::router()
        .merge(backup::router())
        .merge(audit::sys_router())
        .merge(grants::sys_router())
        .layer(DefaultBodyLimit::max(SYS_LIMIT));
    (sys, data)
}

/// The OpenAPI document of every served route (made once).
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let (sys, data) = documented();
        let (_, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
            .merge(sys)
            .nest("/api/v1", data)
            .split_for_parts();
        answers::document_errors(&mut doc);
        answers::document_binary_bodies(&mut doc);
        doc
    })
}

/// Which routes a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// every route (the only listener, or the operator listener)
    All,
    /// all but the system and operator routes, which answer 404 (the public
    /// listener when a separate operator listener is configured)
    Public,
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    router_for(state, Exposure::All)
}

/// The application router of a listener with `exposure`.
pub fn router_for(state: AppState, exposure: Exposure) -> Router {
    let (sys, data) = documented();
    let (sys, _) = sys.split_for_parts();
    let (data, _) = data.split_for_parts();
    let data = data
        // Unknown API paths answer 404 once unsealed.
        .fallback(|| async { ApiError::not_found() })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_unsealed,
        ));
    let api = Router::new()
        .merge(sys)
        .nest("/api/v1", data)
        .layer(tower::util::MapResponseLayer::new(answers::json_errors));
    let app = Router::new()
        .merge(api)
        .merge(pages::router())
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), perimeter));
    let app = match exposure {
        Exposure::All => app,
        Exposure::Public => app.layer(middleware::from_fn(hide_operator_routes)),
    };
    headers::with_security_headers(app, state.config().tls.hsts_preload).with_state(state)
}

/// The perimeter every request passes before any handler, in this order:
/// behind a trusted balancer, the client's own address; the count of every
/// answer by route template (never the path itself: no ids), method and
/// status, with the time to its head, refusals of the later steps included;
/// the URL and header sizes; the global cap and the client address's own
/// rate limit; an unread body drained rather than reset (what the firewall
/// refuses unread too); the firewall.
///
/// One layer runs them all: each `Router::layer` wraps every route in a
/// boxed service that a request clones on its way in, so one layer per step
/// cost every request that many allocations (docs/benchmarks.md, fifteenth
/// pass).
async fn perimeter(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let req = crate::proxies::with_real_client(&state, req);
    let started = std::time::Instant::now();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let resp = match refuse_head(&state, &req).or_else(|| refuse_client(&state, &req)) {
        Some(refusal) => refusal,
        None => inspect::inspect(&state, drain::drain_on_drop(req), next).await,
    };
    crate::metrics::get().request(
        method.as_str(),
        &route,
        resp.status().as_u16(),
        started.elapsed(),
    );
    resp
}

/// On the public listener of a deployment with an operator listener, the
/// system and operator routes do not exist.
async fn hide_operator_routes(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if routes::is_operator_path(path) {
        return if path.starts_with("/api/") {
            ApiError::not_found().into_response()
        } else {
            pages::not_found_page()
        };
    }
    next.run(req).await
}

/// URL and header sizes (hyper already bounds the header count and the
/// time to send them): 414 and 431 with JSON errors.
fn refuse_head(state: &AppState, req: &Request) -> Option<Response> {
    let limits = &state.config().limits;
    let url = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if url > limits.max_url_bytes {
        let message = format!("URLs may be at most {} bytes", limits.max_url_bytes);
        return Some(ApiError::new(codes::ErrorCode::UriTooLong, message).into_response());
    }
    let head: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    (head > limits.max_header_bytes).then(|| {
        let message = format!(
            "request headers may be at most {} bytes together",
            limits.max_header_bytes
        );
        ApiError::new(codes::ErrorCode::HeadersTooLarge, message).into_response()
    })
}

/// The global cap and the client address's own limit.
fn refuse_client(state: &AppState, req: &Request) -> Option<Response> {
    let ip = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    let limited = state.limits().check_client(ip).err()?;
    Some(ApiError::rate_limited(&limited).into_response())
}

/// Every data route answers 503 `sealed` while no key is in memory.
async fn require_unsealed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.keys().is_sealed() {
        return ApiError::sealed().into_response();
    }
    next.run(req).await
}
