//! The security headers every response carries — API answers, pages,
//! static files, errors and the plain-HTTP redirect listener alike — set
//! in one place so that no route can forget them. A page's own CSP (the
//! web app's) and a route's own `Cache-Control` win over the defaults.

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use tower::util::MapResponseLayer;

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
///
/// One layer sets them all: each `Router::layer` wraps every route in a
/// boxed service that a request clones on its way in, so a stack of one
/// layer per header cost every request that many allocations
/// (docs/benchmarks.md, fifteenth pass).
pub fn with_security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    preload: bool,
) -> Router<S> {
    router.layer(MapResponseLayer::new(move |mut res: Response| {
        set_security_headers(res.headers_mut(), preload);
        res
    }))
}

/// Sets the security headers on a response's `headers`: the fixed ones
/// always, the CSP and `Cache-Control` only where the route set none.
pub fn set_security_headers(headers: &mut HeaderMap, preload: bool) {
    let fixed = [
        (
            header::STRICT_TRANSPORT_SECURITY,
            if preload { HSTS_PRELOAD } else { HSTS },
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
}
