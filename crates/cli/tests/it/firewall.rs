//! The request firewall on the real binary: attacks in a query, a JSON
//! body, a multipart file name and tus metadata are refused with 403
//! `request-blocked` and a request id before any handler runs (nothing
//! changes); ordinary captions and file names pass; the refusal is logged
//! and audited with the rules that fired and never the payload; JSON bodies
//! past the inspection limit get 413; operators see the rules' version;
//! exclusions come from the configuration; a rule file given by path is
//! reloaded on SIGHUP, a broken one names its line and keeps the rules in
//! force, and detection-only mode lets requests through while recording
//! them.

use crate::harness::*;

use serde_json::{Value, json};

const ATTACK_SQLI: &str = "' OR 1=1--";
const ATTACK_XSS: &str = "<script>alert(document.cookie)</script>";

/// Percent-encodes everything but letters and digits.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn a_jpeg() -> Vec<u8> {
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1,
    ];
    jpeg.extend((0..4_000u32).map(|i| (i * 7 + 3) as u8));
    jpeg
}

/// A refusal as the API promises it; returns the request id.
fn assert_refused(what: &str, r: &Reply) -> String {
    assert_eq!(r.status, 403, "{what}: {}", r.text());
    assert_eq!(r.error_code().as_deref(), Some("request-blocked"), "{what}");
    let id = r.json()["error"]["request_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{what}: request id {id:?}"
    );
    assert_eq!(r.header("x-request-id"), Some(id.as_str()), "{what}");
    id
}

/// A security officer's session (the only role that reads the audit trail).
fn security_officer(s: &Server, admin: &str) -> String {
    staff_member(s, admin, "sec@example.org", "security").1
}

fn audit(s: &Server, officer: &str) -> Vec<Value> {
    let (st, v) = s.api("GET", "/api/v1/audit/events", Some(officer), None);
    assert_eq!(st, 200, "{v}");
    v["items"].as_array().cloned().unwrap_or_default()
}

#[test]
fn attacks_are_refused_before_any_handler_and_ordinary_requests_pass() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let id = upload(&s, &ann, "a.jpg", &a_jpeg());
    let mut refused = Vec::new();

    // SQL injection in a query, signed in or not; over HTTP/2 too
    let r = s
        .call(
            "GET",
            &format!("/api/v1/assets?cursor={}", enc(ATTACK_SQLI)),
        )
        .bearer(&ann)
        .send();
    refused.push(assert_refused("sqli in a query", &r));
    let r = s
        .call("GET", &format!("/login?next={}", enc(ATTACK_XSS)))
        .http2()
        .send();
    refused.push(assert_refused("xss in a query, HTTP/2, signed out", &r));
    let r = s
        .call("GET", "/api/v1/assets/..%2f..%2f..%2fetc%2fpasswd")
        .bearer(&ann)
        .send();
    refused.push(assert_refused("path traversal", &r));

    // an unsupported method is the router's: 405 with Allow, not a refusal
    let r = s.call("TRACE", "/api/v1/assets").bearer(&ann).send();
    assert_eq!(r.status, 405, "{}", r.text());

    // XSS in a JSON caption: refused, and the caption did not change
    let r = s
        .call("PATCH", &format!("/api/v1/assets/{id}"))
        .bearer(&ann)
        .json(&json!({"caption": ATTACK_XSS}))
        .send();
    refused.push(assert_refused("xss in a caption", &r));
    let r = s
        .call("POST", "/api/v1/albums")
        .bearer(&ann)
        .json(&json!({"name": "x", "nested": {"deep": [ATTACK_SQLI]}}))
        .send();
    refused.push(assert_refused("sqli deep in a JSON body", &r));
    let (_, v) = s.api("GET", &format!("/api/v1/assets/{id}"), Some(&ann), None);
    assert!(v["caption"].is_null(), "nothing changed: {v}");

    // ordinary captions with quotes, <3, SQL words and emoji pass
    for caption in [
        "Anna's 30th birthday <3 (2019) — l'été à Montréal 🎂",
        "\"Select\" the best ones from Mum & Dad's trip; drop the blurry ones",
        "Ölüdeniz 'Blue Lagoon' – 海 – пляж 1=1 fun",
    ] {
        let r = s
            .call("PATCH", &format!("/api/v1/assets/{id}"))
            .bearer(&ann)
            .json(&json!({ "caption": caption }))
            .send();
        assert_eq!(r.status, 200, "{caption}: {}", r.text());
    }

    // a multipart upload's file name is inspected, its bytes never
    let count = || {
        s.api("GET", "/api/v1/assets", Some(&ann), None).1["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let multipart = |name: &str, tail: &[u8]| {
        let mut j = a_jpeg();
        j.extend(tail);
        s.call("POST", "/api/v1/assets")
            .bearer(&ann)
            .multipart_file("file", name, "image/jpeg", j)
            .send()
    };
    let before = count();
    let r = multipart("../../../../etc/passwd", &[1]);
    refused.push(assert_refused("traversal in a file name", &r));
    // file bytes are never inspected
    let r = multipart(
        "Anna's photo (1) [edited].jpg",
        format!("{ATTACK_XSS}{ATTACK_SQLI}").as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(count(), before + 1, "only the ordinary upload was stored");

    // tus metadata is decoded and inspected
    let tus = |file_name: &str| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(file_name);
        s.call("POST", "/api/v1/uploads")
            .bearer(&ann)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "100")
            .header("upload-metadata", &format!("filename {b64}"))
            .send()
    };
    let r = tus(&format!("{ATTACK_XSS}.jpg"));
    refused.push(assert_refused("xss in tus metadata", &r));
    let r = tus("Anna's <3 (2).jpg");
    assert_eq!(r.status, 201, "{}", r.text());

    // a JSON body past the inspection limit is refused, not passed unread
    let big = "a".repeat(1_100_000);
    let r = s
        .call("POST", "/api/v1/albums")
        .bearer(&ann)
        .json(&json!({ "name": big }))
        .send();
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.error_code().as_deref(), Some("body-too-large"));

    // operators see the rules and the counts
    let (st, fw) = s.api("GET", "/api/v1/sys/firewall", None, None);
    assert_eq!(st, 200, "{fw}");
    assert!(
        fw["rules_version"]
            .as_str()
            .unwrap()
            .starts_with("pixelunion-rules ")
    );
    assert_eq!(fw["mode"], "blocking");
    assert_eq!(fw["rules_source"], "embedded");
    assert!(
        fw["blocked"].as_u64().unwrap() >= refused.len() as u64,
        "{fw}"
    );

    // each refusal is in the log and the audit trail with its rules, never the payload
    let officer = security_officer(&s, &admin);
    let mut events = Vec::new();
    wait_for("audit events of every refusal", || {
        events = audit(&s, &officer);
        refused.iter().all(|id| {
            events.iter().any(|e| {
                e["action"] == "waf.block"
                    && e["target"]
                        .as_str()
                        .is_some_and(|t| t.contains(id.as_str()))
            })
        })
    });
    let blocks: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "waf.block")
        .collect();
    for e in &blocks {
        let t = e["target"].as_str().unwrap();
        assert_eq!(e["outcome"], "denied");
        assert!(t.contains(" rules "), "{t}");
        for payload in ["1=1", "script", "passwd", "document.cookie"] {
            assert!(!t.contains(payload), "audit holds the payload: {t}");
        }
    }
    assert!(
        blocks
            .iter()
            .any(|e| e["target"].as_str().unwrap().contains("@ARGS:caption")),
        "the caption's rule is named: {blocks:?}"
    );
    let log = s.log();
    for id in &refused {
        assert!(log.contains(id.as_str()), "log names request {id}");
    }
    assert!(!log.contains("document.cookie"), "the log holds a payload");
}

fn rules_text(version: &str) -> String {
    let embedded = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../waf/rules/pixelunion-rules.toml"
    ))
    .unwrap();
    let line = embedded
        .lines()
        .find(|l| l.starts_with("version = "))
        .unwrap()
        .to_string();
    embedded.replace(&line, &format!("version = \"{version}\""))
}

fn hangup(s: &Server) {
    let ok = std::process::Command::new("kill")
        .args(["-HUP", &s.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn rules_and_exclusions_come_from_configuration_and_reload_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, rules_text("site-rules 1")).unwrap();
    let config = format!(
        "[waf]\nrules_path = {:?}\n\n[[waf.exclusions]]\npath_prefix = \"/api/v1/assets/\"\narg = \"caption\"\ncategories = [\"xss\"]\n",
        rules.display().to_string()
    );
    std::fs::write(data.join("pixelunion.toml"), &config).unwrap();

    // a broken rule file stops the start, naming the line
    std::fs::write(
        &rules,
        rules_text("broken").replacen("paranoia = 1", "paranoia = 9", 1),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pixelunion"))
        .args(["serve", "--data-dir"])
        .arg(&data)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("line ") && err.contains("paranoia must be 1 to 4"),
        "{err}"
    );
    std::fs::write(&rules, rules_text("site-rules 1")).unwrap();

    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let id = upload(&s, &ann, "a.jpg", &a_jpeg());
    let fw = s.api("GET", "/api/v1/sys/firewall", None, None).1;
    assert_eq!(fw["rules_version"], "site-rules 1");
    // the configured exclusion lets markup into captions (the built-in one
    // lets SQL-like prose in), not path traversal or commands
    let patch = |caption: &str| {
        s.call("PATCH", &format!("/api/v1/assets/{id}"))
            .bearer(&ann)
            .json(&json!({ "caption": caption }))
            .send()
    };
    assert_refused(
        "xss in a caption elsewhere",
        &s.call("POST", "/api/v1/albums")
            .bearer(&ann)
            .json(&json!({ "name": ATTACK_XSS }))
            .send(),
    );
    assert_eq!(patch(ATTACK_XSS).status, 200);
    assert_eq!(patch("1' UNION SELECT password FROM users--").status, 200);
    assert_refused(
        "traversal in an excluded caption",
        &patch("../../../../../etc/passwd"),
    );

    // SIGHUP: a new version is taken; a broken one keeps the old rules
    std::fs::write(&rules, rules_text("site-rules 2")).unwrap();
    hangup(&s);
    wait_for("rules reloaded", || {
        s.api("GET", "/api/v1/sys/firewall", None, None).1["rules_version"] == "site-rules 2"
    });
    std::fs::write(&rules, "version = \"site-rules 3\"\n[[rule]]\nid = 1\n").unwrap();
    hangup(&s);
    wait_for("the failed reload logged", || {
        s.log().contains("firewall rule reload failed")
    });
    assert_eq!(
        s.api("GET", "/api/v1/sys/firewall", None, None).1["rules_version"],
        "site-rules 2"
    );
    assert_refused(
        "the old rules still block",
        &s.call(
            "GET",
            &format!("/api/v1/assets?cursor={}", enc(ATTACK_SQLI)),
        )
        .bearer(&ann)
        .send(),
    );
}

#[test]
fn detection_only_mode_lets_requests_through_and_records_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with(
        &dir.path().join("data"),
        &[("PIXELUNION_WAF__DETECTION_ONLY", "true")],
    );
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let r = s
        .call("GET", &format!("/api/v1/assets?sort={}", enc(ATTACK_SQLI)))
        .bearer(&ann)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let fw = s.api("GET", "/api/v1/sys/firewall", None, None).1;
    assert_eq!(fw["mode"], "detection-only");
    assert!(fw["flagged"].as_u64().unwrap() >= 1, "{fw}");
    assert_eq!(fw["blocked"], 0);
    let officer = security_officer(&s, &admin);
    wait_for("a waf.flag audit event", || {
        audit(&s, &officer)
            .iter()
            .any(|e| e["action"] == "waf.flag" && e["outcome"] == "allowed")
    });
}
