//! The router: one module per resource, merged here, wrapped in the
//! perimeter layers (security headers, body limit) and the sealed guard.

mod admin;
mod auth;
pub mod routes;
mod sys;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use crate::error::ApiError;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let data = Router::new()
        .merge(auth::router())
        .merge(admin::router())
        // Data routes (assets, albums, …) are merged here as they arrive;
        // unknown API paths answer 404 once unsealed.
        .fallback(|| async { ApiError::not_found() })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_unsealed,
        ));
    Router::new()
        .merge(sys::router())
        .nest("/api/v1", data)
        .fallback(|| async { ApiError::not_found() })
        .layer(RequestBodyLimitLayer::new(1 << 20))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state)
}

/// Every data route answers 503 `sealed` while no key is in memory.
async fn require_unsealed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.keys().is_sealed() {
        return ApiError::sealed().into_response();
    }
    next.run(req).await
}
