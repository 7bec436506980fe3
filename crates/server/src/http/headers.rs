//! The security headers every response carries — API answers, pages,
//! static files, errors and the plain-HTTP redirect listener alike — set
//! in one place so that no route can forget them. A page's own CSP (the
//! web app's) and a route's own `Cache-Control` win over the defaults.

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// HSTS: two years, subdomains included.
pub const HSTS: &str = "max-age=63072000; includeSubDomains";
/// HSTS with the preload flag (`tls.hsts_preload`), for names submitted
/// to the browsers' preload list.
pub const HSTS_PRELOAD: &str = "max-age=63072000; includeSubDomains; preload";
/// The CSP of anything that is not a page: nothing may load, nothing may frame it.
pub const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// No powerful feature is used by the app; deny them all, to every frame.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), fullscreen=(self), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(self), publickey-credentials-get=(self), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()";

/// Wraps `router` in the security headers; `preload` adds HSTS preload.
pub fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    preload: bool,
) -> Router<S> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    router
        .layer(set(
            header::STRICT_TRANSPORT_SECURITY,
            if preload { HSTS_PRELOAD } else { HSTS },
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ))
        .layer(set(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(set(
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}
