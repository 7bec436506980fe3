//! The origin (`https://host[:port]`) people use to reach this server, for
//! links the server makes: invitations, security.txt's Canonical and Policy.

/// Where links made for people point: the configured `public_url`, else
/// the address the admin's browser used (HTTP/2 authority or `Host`; it is
/// shown only to that admin), else `public_host` and the listen port.
pub(crate) fn public_origin(
    c: &crate::config::Config,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
) -> String {
    if let Some(u) = &c.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let used = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    if let Some(host) = used {
        return format!("https://{host}");
    }
    let port = if c.listen.port() == 443 {
        String::new()
    } else {
        format!(":{}", c.listen.port())
    };
    format!("https://{}{port}", c.public_host)
}

#[cfg(test)]
mod tests {
    use super::public_origin as link_base;
    use crate::config::Config;
    use axum::http::{HeaderMap, HeaderValue, Uri};

    #[test]
    fn links_use_the_public_url_then_the_address_the_admin_used() {
        let mut c = Config::default();
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("192.168.1.20:8443"));
        let uri: Uri = "/api/v1/admin/invites".parse().unwrap();
        assert_eq!(link_base(&c, &uri, &h), "https://192.168.1.20:8443");
        let h2: Uri = "https://photos.lan:9443/api/v1/admin/invites"
            .parse()
            .unwrap();
        assert_eq!(
            link_base(&c, &h2, &HeaderMap::new()),
            "https://photos.lan:9443"
        );
        h.insert("host", HeaderValue::from_static("evil\"/><x"));
        assert_eq!(
            link_base(&c, &uri, &h),
            "https://localhost:8443",
            "a strange Host is ignored"
        );
        c.public_url = Some("https://photos.example.org/".into());
        assert_eq!(link_base(&c, &uri, &h), "https://photos.example.org");
    }
}
