//! The optional plain-HTTP listener: it serves nothing but a permanent
//! redirect to the HTTPS address. The target host is the configured
//! `public_host`, never the request's Host header (no open redirect).

use std::future::Future;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Builds the redirect-only router for `https://{public_host}:{https_port}`.
pub fn redirect_router(public_host: &str, https_port: u16) -> Router {
    let origin = if https_port == 443 {
        format!("https://{public_host}")
    } else {
        format!("https://{public_host}:{https_port}")
    };
    let router = Router::new().fallback(move |uri: Uri| {
        let origin = origin.clone();
        async move { redirect(&origin, &uri) }
    });
    // HSTS is ignored over plain HTTP, but the other headers still apply
    crate::http::headers::with_security_headers(router, false)
}

fn redirect(origin: &str, uri: &Uri) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match HeaderValue::from_str(&format!("{origin}{path}")) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// Serves redirects on `listener` until `shutdown`.
pub async fn serve_redirects(
    listener: tokio::net::TcpListener,
    public_host: String,
    https_port: u16,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, redirect_router(&public_host, https_port))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[tokio::test]
    async fn redirects_to_configured_host_keeping_path_and_query() {
        let app = redirect_router("photos.example.net", 8443);
        let req = Request::builder()
            .uri("/api/v1/assets?cursor=abc")
            .header("host", "evil.example")
            .body(Body::empty())
            .expect("request");
        let resp = app.clone().oneshot(req).await.expect("response");
        assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            resp.headers()[header::LOCATION],
            "https://photos.example.net:8443/api/v1/assets?cursor=abc"
        );
        for h in [
            "x-content-type-options",
            "content-security-policy",
            "permissions-policy",
            "cross-origin-opener-policy",
            "cross-origin-resource-policy",
            "referrer-policy",
        ] {
            assert!(resp.headers().contains_key(h), "redirects carry {h}");
        }
        let resp = redirect_router("photos.example.net", 443)
            .oneshot(
                Request::builder()
                    .uri("/")
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(
            resp.headers()[header::LOCATION],
            "https://photos.example.net/"
        );
    }
}
