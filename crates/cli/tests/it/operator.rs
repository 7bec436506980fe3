//! Network separation in the software: with `[operator] listen` set, the
//! system and operator routes (unseal, seal, backups, the firewall's state,
//! account administration, the audit trail, the admin page) are served on
//! that listener only and answer 404 on the public one, while the library
//! and the seal status stay public; the CLI finds the operator listener in
//! the configuration.

use crate::harness::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn operator_routes_live_on_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let port = free_port();
    std::fs::write(
        data.join("pixelunion.toml"),
        format!("[operator]\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    let s = Server::start(&data);
    let op_url = format!("https://127.0.0.1:{port}");
    assert!(
        s.printed("Operator listener").starts_with(&op_url),
        "the operator address is printed"
    );
    assert!(
        s.stdout.iter().any(|l| l.contains(&format!(
            "pixelunion unseal --data-dir {} --addr {op_url}",
            data.display()
        ))),
        "the unseal command names the operator listener: {:?}",
        s.stdout
    );
    let admin = first_admin(&s);
    let cert = std::fs::read(data.join("tls/cert.pem")).unwrap();
    let (op, _) = crate::harness::client::clients(&cert);
    // accounts are made on the operator listener; people sign in publicly
    let made: serde_json::Value = op
        .post(format!("{op_url}/api/v1/admin/users"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"email": "ann@example.org"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let ann = finish_setup(
        &s,
        "ann@example.org",
        made["one_time_password"].as_str().unwrap(),
        "a very long library passphrase",
        false,
    );

    // public: the library and the status, nothing of the operators'
    assert_eq!(s.get("/api/v1/sys/status").0, 200);
    assert_eq!(
        s.call("GET", "/api/v1/assets").bearer(&ann).send().status,
        200
    );
    for (method, path) in [
        ("GET", "/api/v1/sys/firewall"),
        ("GET", "/api/v1/sys/backup"),
        ("POST", "/api/v1/sys/seal"),
        ("POST", "/api/v1/sys/unseal"),
        ("GET", "/api/v1/admin/users"),
        ("GET", "/api/v1/audit/events"),
        ("GET", "/admin"),
    ] {
        let r = s.call(method, path).bearer(&admin).send();
        assert_eq!(r.status, 404, "{method} {path} on the public listener");
        if path.starts_with("/api/") {
            assert_eq!(r.error_code().as_deref(), Some("not-found"), "{path}");
        }
    }

    // the operator listener: everything, with the same TLS and headers
    let r = op
        .get(format!("{op_url}/api/v1/admin/users"))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("strict-transport-security"));
    let r = op
        .get(format!("{op_url}/api/v1/sys/firewall"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "from this machine, no account needed");
    let r = op.get(format!("{op_url}/admin")).send().unwrap();
    assert_ne!(r.status(), 404);

    // the CLI uses the operator listener from the configuration
    let d = data.to_string_lossy().to_string();
    let out = pixelunion(&["status", "--data-dir", &d], "");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("unsealed") && said.contains("firewall: "),
        "{said}"
    );
    // and sealing through the public address is impossible
    let out = pixelunion(&["seal", "--data-dir", &d, "--addr", &s.url], "");
    assert!(!out.status.success());
    assert_eq!(
        s.call("GET", "/api/v1/assets").bearer(&ann).send().status,
        200
    );
    let out = pixelunion(&["seal", "--data-dir", &d], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        s.call("GET", "/api/v1/assets").bearer(&ann).send().status,
        503
    );
}
