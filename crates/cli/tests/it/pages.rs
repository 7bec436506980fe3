//! The browser pages over HTTP (no browser): who is sent where, the strict
//! CSP on every page, content-hashed static files cached for a year, HTML
//! for unknown pages but JSON for unknown API paths, and the "locked" page
//! (not an error) while the server is sealed.

use crate::harness::*;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// (status, lower-cased `name: value` header lines, body) of a GET,
/// optionally with a session cookie.
fn get(s: &Server, path: &str, cookie: Option<&str>) -> (u16, String, String) {
    let mut c = s.call("GET", path);
    if let Some(v) = cookie {
        c = c.header("cookie", &format!("__Host-pixelunion={v}"));
    }
    let r = c.send();
    let mut head = format!("http/1.1 {}\n", r.status);
    for (k, v) in &r.headers {
        head.push_str(&format!("{}: {}\n", k.as_str(), v.to_str().unwrap_or("")));
    }
    (r.status, head.to_ascii_lowercase(), r.text())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::trim))
}

#[test]
fn pages_follow_the_session_the_role_and_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);

    // Signed out: pages send to /login (remembering the page asked for, a
    // path on this site only), which is HTML under the strict CSP.
    for (path, to) in [
        ("/", "/login"),
        ("/albums", "/login?next=/albums"),
        ("/trash", "/login?next=/trash"),
        ("/settings", "/login?next=/settings"),
        ("/admin", "/login?next=/admin"),
        // (the head is lower-cased by the helper)
        ("/?photo=01ab", "/login?next=/%3fphoto%3d01ab"),
    ] {
        let (st, head, _) = get(&s, path, None);
        assert_eq!(st, 303, "{path}");
        assert_eq!(header(&head, "location"), Some(to), "{path}: {head}");
    }
    let (st, head, body) = get(&s, "/login", None);
    assert_eq!(st, 200);
    assert_eq!(
        header(&head, "content-security-policy"),
        Some(CSP.to_ascii_lowercase().as_str())
    );
    assert_eq!(header(&head, "cache-control"), Some("no-store"));
    assert!(body.starts_with("<!DOCTYPE html>") && body.contains("id=\"login\""));
    assert!(
        !body.contains("<script>") && !body.contains(" style="),
        "no inline code"
    );

    // Static files: content-hashed, cached for a year; other versions 404.
    let css = body
        .split('"')
        .find(|p| p.starts_with("/static/") && p.ends_with("/app.css"))
        .expect("stylesheet link")
        .to_string();
    let (st, head, text) = get(&s, &css, None);
    assert_eq!(st, 200);
    assert_eq!(
        header(&head, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(header(&head, "content-type").is_some_and(|t| t.starts_with("text/css")));
    assert!(text.contains("prefers-color-scheme: dark"));
    assert_eq!(get(&s, "/static/000000000000/app.css", None).0, 404);
    // a traversal is refused by the firewall before any handler
    assert_eq!(get(&s, &css.replace("app.css", "..%2Fsecret"), None).0, 403);

    // Unknown pages are HTML; unknown API paths stay JSON.
    let (st, head, body) = get(&s, "/no/such/page", None);
    assert_eq!(st, 404);
    assert!(header(&head, "content-type").is_some_and(|t| t.starts_with("text/html")));
    assert!(body.contains("Nothing here"));
    let (st, v) = s.api("GET", "/api/v1/no-such-route", None, None);
    assert_eq!(st, 404);
    assert_eq!(v["error"]["code"], "not-found", "{v}");

    // A first sign-in (password to change, MFA to enrol) is held on /setup.
    let email = s.printed("e-mail:");
    let password = s.printed("password:");
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(serde_json::json!({"email": email, "password": password, "bearer": true})),
    );
    assert_eq!(st, 200, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let (st, head, _) = get(&s, "/", Some(&token));
    assert_eq!(st, 303);
    assert!(
        header(&head, "location").is_some_and(|l| l.ends_with("/setup")),
        "{head}"
    );
    let (st, _, body) = get(&s, "/setup", Some(&token));
    assert_eq!(st, 200);
    assert!(body.contains("data-password=\"true\"") && body.contains("data-mfa=\"true\""));
    assert!(
        body.contains("name=\"csrf-token\""),
        "the page carries the session's CSRF token"
    );
    assert!(body.contains(&email), "the header names the account");

    // Sealed after a restart: every page is the locked page, with 503.
    drop(s);
    let s = Server::start(&data);
    for path in ["/", "/login", "/albums/x", "/nowhere"] {
        let (st, head, body) = get(&s, path, None);
        assert_eq!(st, 503, "{path}");
        assert!(body.contains("Locked — waiting for unseal"), "{path}");
        assert_eq!(
            header(&head, "content-security-policy"),
            Some(CSP.to_ascii_lowercase().as_str())
        );
    }
    // Its script and stylesheet still load (static files need no key).
    let (_, _, body) = get(&s, "/", None);
    let js = body
        .split('"')
        .find(|p| p.starts_with("/static/") && p.ends_with("/locked.js"))
        .expect("locked.js")
        .to_string();
    assert_eq!(get(&s, &js, None).0, 200);
}
