//! Every error answer is `{"error": {"code", "message"}}` with its status,
//! over HTTP/1.1 and HTTP/2 alike — also when the server answers before it
//! has read the request body: a declared size over the limit, a chunked
//! body that crosses it, a large body sent with the wrong method, a JSON
//! body over a route's limit.

use std::process::Command;

use crate::harness::*;

fn assert_json_error(r: &Reply, status: u16, code: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"), "{what}");
    assert_eq!(
        r.error_code().as_deref(),
        Some(code),
        "{what}: {}",
        r.text()
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{what}: a message"
    );
}

#[test]
fn early_answers_are_json_over_http1_and_http2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start_with(&data, &[("PIXELUNION_LIBRARY__MAX_UPLOAD_MIB", "1")]);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let big = noise_video(3 << 20, 7);
    for proto in [Proto::Http1, Proto::Http2] {
        let call = |method: &str, path: &str| {
            let c = s.call(method, path).bearer(&ann);
            if proto == Proto::Http2 { c.http2() } else { c }
        };
        // Declared length over the limit: refused before any byte is read.
        let r = call("POST", "/api/v1/assets").bytes(big.clone()).send();
        let expected = if proto == Proto::Http2 {
            reqwest::Version::HTTP_2
        } else {
            reqwest::Version::HTTP_11
        };
        assert_eq!(r.version, expected, "{proto:?} is what was spoken");
        assert_json_error(&r, 413, "file-too-large", &format!("{proto:?} declared"));
        // No declared length: refused when the stream crosses the limit.
        let r = call("POST", "/api/v1/assets")
            .reader(chunked(big.clone()))
            .send();
        assert_json_error(&r, 413, "file-too-large", &format!("{proto:?} chunked"));
        // A large body to a path that does not take the method.
        let r = call("PUT", "/api/v1/assets")
            .bytes(vec![0u8; 64 << 20])
            .send();
        assert_json_error(&r, 405, "method-not-allowed", &format!("{proto:?} PUT"));
        assert!(
            r.header("allow").is_some_and(|a| a.contains("POST")),
            "405 names the methods: {:?}",
            r.headers
        );
        // A JSON body over a JSON route's limit (1 MiB).
        let name = "a".repeat(2 << 20);
        let r = call("POST", "/api/v1/albums")
            .json(&serde_json::json!({ "name": name }))
            .send();
        assert_json_error(&r, 413, "body-too-large", &format!("{proto:?} JSON"));
        // Not JSON, not an object, unknown path.
        let r = call("POST", "/api/v1/albums")
            .header("content-type", "application/json")
            .bytes(b"[1, 2]".to_vec())
            .send();
        assert_json_error(&r, 400, "bad-request", &format!("{proto:?} array body"));
        let r = call("GET", "/api/v1/no-such-thing").send();
        assert_json_error(&r, 404, "not-found", &format!("{proto:?} unknown path"));
    }
    // Nothing was stored by any of it.
    let (st, v) = s.api("GET", "/api/v1/library/usage", Some(&ann), None);
    assert_eq!((st, v["assets"].as_i64()), (200, Some(0)), "{v}");

    // curl, whose HTTP/2 stack gave up on early answers before: it reads
    // the JSON answer over both protocols.
    let file = dir.path().join("big.mp4");
    std::fs::write(&file, &big).unwrap();
    for proto in ["--http1.1", "--http2"] {
        let out = Command::new("curl")
            .args(["-sk", proto, "-X", "POST", "-w", "\n%{http_code}"])
            .args(["-H", &format!("authorization: Bearer {ann}")])
            .arg("--data-binary")
            .arg(format!("@{}", file.display()))
            .arg(format!("{}/api/v1/assets", s.url))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", ""));
        assert_eq!(code, "413", "curl {proto}: {text}");
        assert!(body.contains("\"file-too-large\""), "curl {proto}: {body}");
    }
}
