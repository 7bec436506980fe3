//! The router: one module per resource, merged here, wrapped in the
//! perimeter layers (security headers, body limit) and the sealed guard.

mod admin;
mod auth;
pub(crate) mod library;
mod pages;
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

/// The OpenAPI 3 document, generated from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "PixelUnion API", description = "Privacy-first photo and video storage. Errors are `{\"error\": {\"code\", \"message\"}}`; while the server is sealed every `/api/v1` data route answers 503 `sealed`."),
    paths(
        sys::healthz, sys::readyz, sys::status, sys::unseal, sys::seal, sys::openapi,
        auth::login, auth::logout, auth::me, auth::sessions, auth::revoke_session, auth::revoke_others,
        auth::change_password, auth::totp_begin, auth::totp_confirm, auth::create_token, auth::list_tokens,
        auth::revoke_token, auth::accept_invite, auth::signup,
        admin::list_users, admin::create_user, admin::update_user, admin::create_invite, admin::list_invites,
        admin::revoke_invite, admin::audit_events, admin::jobs, admin::storage,
        library::upload, library::exists, library::list, library::months, library::usage,
        library::get_one, library::update, library::trash, library::restore, library::batch,
        library::empty_trash, library::original, library::thumbnail, library::preview, library::playback,
        library::list_albums, library::create_album, library::get_album, library::update_album,
        library::delete_album, library::add_assets, library::remove_assets,
        library::options, library::create, library::status, library::append, library::terminate,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "system", description = "health, seal status, unseal, seal"),
        (name = "auth", description = "sign-in, sessions, MFA, API tokens, invitations"),
        (name = "admin", description = "account administration (no content)"),
        (name = "library", description = "photos and videos: upload (also resumable, tus 1.0), timeline, download, trash, albums"),
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

/// The whole application router.
pub fn router(state: AppState) -> Router {
    // JSON routes take at most 1 MiB; uploads stream and count their own limit.
    let json_routes = Router::new()
        .merge(auth::router())
        .merge(admin::router())
        .layer(RequestBodyLimitLayer::new(1 << 20));
    let data = Router::new()
        .merge(json_routes)
        .merge(library::router().layer(axum::extract::DefaultBodyLimit::disable()))
        // Unknown API paths answer 404 once unsealed.
        .fallback(|| async { ApiError::not_found() })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_unsealed,
        ));
    Router::new()
        .merge(sys::router().layer(RequestBodyLimitLayer::new(64 << 10)))
        .nest("/api/v1", data)
        .merge(pages::router())
        .fallback(pages::not_found)
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
