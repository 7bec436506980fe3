//! The incident register against the real server and a real SMTP server
//! (aiosmtpd on loopback): an incident from opening to notification — the
//! affected-account queries (address range, stored objects, a token),
//! containment (tokens revoked, keyring rotated, sessions ended, sealed),
//! the 72-hour clock, the notifications with the DPO's contact received by
//! the affected user and the authority, every message recorded, reminders
//! at 24/48 h and the overdue alarm to the security role; bad requests
//! change nothing; without SMTP nothing is sent and the incident says so.

use serde_json::{Value, json};

use crate::harness::smtp::Sink;
use crate::harness::*;

fn env_with(sink: Option<&Sink>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("PIXELUNION_LIBRARY__SWEEP_INTERVAL_SECS".into(), "1".into()),
        (
            "PIXELUNION_CONTACTS__DPO_NAME".into(),
            "Dana Protect".into(),
        ),
        (
            "PIXELUNION_CONTACTS__DPO_EMAIL".into(),
            "dpo@pixelunion.test".into(),
        ),
        (
            "PIXELUNION_CONTACTS__AUTHORITY_EMAILS".into(),
            "[\"dpa@authority.test\"]".into(),
        ),
    ];
    if let Some(s) = sink {
        env.extend(s.env());
    }
    env
}

fn start(data: &std::path::Path, env: &[(String, String)]) -> Server {
    let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Server::start_with(data, &e)
}

fn steps(v: &Value) -> Vec<String> {
    v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_incident_from_opening_to_notification() {
    let Some(sink) = Sink::start("an_incident_from_opening_to_notification") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = start(&data, &env_with(Some(&sink)));
    let admin = first_admin(&s);
    let (_, sec, codes) = security_officer(&s, &admin, "officer@example.org");
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    let (bob_id, bob) = new_user(&s, &admin, "bob@example.org");
    let photo = upload(
        &s,
        &ann,
        "a.jpg",
        &pixelunion_media::fixtures::plain_jpeg(32, 32, 1),
    );
    let (st, tok) = s.api(
        "POST",
        "/api/v1/auth/tokens",
        Some(&ann),
        Some(
            json!({"name": "phone", "scope": "full", "password": "a very long library passphrase"}),
        ),
    );
    assert_eq!(st, 201);
    let ann_api = tok["token"].as_str().unwrap().to_string();

    // Only the security role; bad input changes nothing.
    assert_eq!(s.api("GET", "/api/v1/incidents", Some(&admin), None).0, 403);
    assert_eq!(s.api("GET", "/api/v1/incidents", Some(&ann), None).0, 403);
    let (st, v) = s.api(
        "POST",
        "/api/v1/incidents",
        Some(&sec),
        Some(json!({"severity": "apocalyptic", "title": "x"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("invalid-incident"))
    );
    assert_eq!(
        s.api("GET", "/api/v1/incidents", Some(&sec), None).1["items"],
        json!([])
    );

    let (st, inc) = s.api(
        "POST",
        "/api/v1/incidents",
        Some(&sec),
        Some(json!({"severity": "high", "title": "Session cookies in a proxy log", "summary": "A reverse proxy logged cookies; the log also shows probes like ' OR 1=1 -- and <script>alert(1)</script> from 203.0.113.9.", "affected_systems": ["login", "proxy"]})),
    );
    assert_eq!(st, 201, "{inc}");
    let id = inc["id"].as_str().unwrap().to_string();
    let url = format!("/api/v1/incidents/{id}");
    assert_eq!(inc["status"], "open");
    assert!(inc["clock"].is_null());
    assert_eq!(
        inc["details"]["affected_systems"],
        json!(["login", "proxy"])
    );

    // Affected accounts: by address range, by stored object, by token.
    let (st, v) = s.api(
        "POST",
        &format!("{url}/affected"),
        Some(&sec),
        Some(json!({})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("invalid-incident"))
    );
    let (st, v) = s.api(
        "POST",
        &format!("{url}/affected"),
        Some(&sec),
        Some(json!({"network": "127.0.0.0/8"})),
    );
    assert_eq!(st, 200, "{v}");
    let users: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user_id"].as_str().unwrap())
        .collect();
    assert!(
        users.contains(&ann_id.as_str()) && users.contains(&bob_id.as_str()),
        "{v}"
    );
    let (_, v) = s.api(
        "POST",
        &format!("{url}/affected"),
        Some(&sec),
        Some(json!({"network": "203.0.113.0/24"})),
    );
    assert_eq!(v["items"], json!([]), "no one signed in from there");
    let db = Db::open(&data);
    let blob = db.texts(&format!(
        "SELECT blob_name FROM assets WHERE id = '{photo}'"
    ))[0]
        .clone();
    let (_, v) = s.api(
        "POST",
        &format!("{url}/affected"),
        Some(&sec),
        Some(json!({"objects": [blob], "record": true})),
    );
    assert_eq!(v["items"][0]["user_id"], ann_id.as_str(), "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let token_id = db.texts(&format!(
        "SELECT id FROM api_tokens WHERE user_id = '{ann_id}'"
    ))[0]
        .clone();
    let (_, v) = s.api(
        "POST",
        &format!("{url}/affected"),
        Some(&sec),
        Some(json!({"credential": token_id})),
    );
    assert_eq!(v["items"][0]["user_id"], ann_id.as_str());

    // The breach is confirmed: the clock runs.
    let (st, v) = s.api("POST", &format!("{url}/breach"), Some(&sec), None);
    assert_eq!(st, 200, "{v}");
    let clock = &v["clock"];
    assert_eq!(
        clock["deadline_at"].as_i64().unwrap() - clock["confirmed_at"].as_i64().unwrap(),
        72 * 3600
    );
    assert!(clock["seconds_left"].as_i64().unwrap() > 71 * 3600);
    assert_eq!(clock["overdue"], false);
    assert_eq!(v["affected_accounts"], 1);

    // Containment: tokens, keys.
    let (st, v) = s.api(
        "POST",
        &format!("{url}/containment"),
        Some(&sec),
        Some(json!({"action": "detonate"})),
    );
    assert_eq!(st, 400, "{v}");
    let (st, v) = s.api(
        "POST",
        &format!("{url}/containment"),
        Some(&sec),
        Some(json!({"action": "revoke-tokens"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(s.api("GET", "/api/v1/auth/me", Some(&ann_api), None).0, 401);
    let before = db.int("SELECT COUNT(*) FROM keyring");
    let (st, v) = s.api(
        "POST",
        &format!("{url}/containment"),
        Some(&sec),
        Some(json!({"action": "rotate-keyring"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(db.int("SELECT COUNT(*) FROM keyring"), before + 1);
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/assets/{photo}/original"),
            Some(&ann),
            None
        )
        .0,
        200,
        "older data still reads"
    );

    // Drafts, then the facts, then the notifications.
    let (_, d) = s.api("GET", &format!("{url}/notifications"), Some(&sec), None);
    assert!(
        d["missing"].as_array().unwrap().contains(&json!("nature")),
        "{d}"
    );
    assert_eq!(d["users"]["recipients"], 1);
    assert_eq!(d["authority"]["recipients"], 1);
    assert_eq!(d["email_configured"], true);
    let (st, _) = s.api(
        "PATCH",
        &url,
        Some(&sec),
        Some(json!({"status": "contained", "note": "proxy logging switched off", "breach": {
            "nature": "Session cookies were written to a proxy's log for two hours.",
            "categories": ["session identifiers", "IP addresses"],
            "records": 42,
            "consequences": "Someone reading the log could have signed in as you.",
            "measures": "Every session was ended and every API token revoked; the log was destroyed."
        }})),
    );
    assert_eq!(st, 200);
    let (st, v) = s.api(
        "POST",
        &format!("{url}/notifications"),
        Some(&sec),
        Some(json!({"audiences": []})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("invalid-incident")),
        "{v}"
    );
    let (st, v) = s.api(
        "POST",
        &format!("{url}/notifications"),
        Some(&sec),
        Some(json!({"audiences": ["users", "authority"]})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["sent"].as_u64(),
            v["failed"].as_u64(),
            v["not_configured"].as_u64()
        ),
        (Some(2), Some(0), Some(0))
    );
    wait_secs("the notifications to arrive", 20, || {
        sink.to("ann@example.org").len() == 1 && sink.to("dpa@authority.test").len() == 1
    });
    for m in [
        &sink.to("ann@example.org")[0],
        &sink.to("dpa@authority.test")[0],
    ] {
        for want in [
            "Session cookies were written",
            "session identifiers, IP addresses",
            "about 42",
            "could have signed in",
            "Every session was ended",
            "Dana Protect",
            "dpo@pixelunion.test",
            &id,
        ] {
            assert!(m.contains(want), "{want:?} missing from\n{m}");
        }
    }
    assert!(
        sink.to("bob@example.org").is_empty(),
        "only the affected accounts"
    );

    // End every session, then seal — from the timeline's point of view.
    let (st, _) = s.api(
        "POST",
        &format!("{url}/containment"),
        Some(&sec),
        Some(json!({"action": "end-sessions"})),
    );
    assert_eq!(st, 200);
    for t in [&ann, &bob, &sec] {
        assert_eq!(s.api("GET", "/api/v1/auth/me", Some(t), None).0, 401);
    }
    let (st, v) = s.api("POST", "/api/v1/auth/login", None, Some(json!({"email": "officer@example.org", "password": "a very long library passphrase", "recovery_code": codes[0], "bearer": true})));
    assert_eq!(st, 200, "{v}");
    let sec = v["token"].as_str().unwrap().to_string();
    let (_, v) = s.api("GET", &url, Some(&sec), None);
    assert!(v["clock"]["notified_at"].is_i64(), "{v}");
    assert_eq!(v["status"], "contained");
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert!(msgs.iter().all(|m| m["state"] == "sent"));
    assert!(
        msgs.iter()
            .any(|m| m["recipient"] == "dpa@authority.test" && m["audience"] == "authority")
    );
    // The officer sees that the user was written to, not the user's address.
    let to_users: Vec<_> = msgs.iter().filter(|m| m["audience"] == "users").collect();
    assert_eq!(to_users.len(), 1, "{v}");
    assert!(to_users[0]["recipient"].is_null(), "{v}");
    assert!(!v.to_string().contains("ann@example.org"), "{v}");
    let kinds = steps(&v);
    for k in [
        "opened",
        "affected",
        "breach-confirmed",
        "containment:revoke-tokens",
        "containment:rotate-keyring",
        "status",
        "note",
        "notified",
        "containment:end-sessions",
    ] {
        assert!(kinds.contains(&k.to_string()), "{k} missing from {kinds:?}");
    }
    // The register is encrypted at rest.
    drop(db);
    for f in files_under(&data) {
        let b = std::fs::read(&f).unwrap();
        for marker in [
            "Session cookies in a proxy log",
            "proxy logging switched off",
            "dpa@authority.test",
        ] {
            assert!(
                !b.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "{} holds {marker:?}",
                f.display()
            );
        }
    }
    let (st, v) = s.api(
        "POST",
        &format!("{url}/containment"),
        Some(&sec),
        Some(json!({"action": "seal"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        s.api("GET", "/api/v1/sys/status", None, None).1["sealed"],
        true
    );
}

#[test]
fn reminders_overdue_alarm_no_recipients_and_no_smtp() {
    let sink = Sink::start("reminders_overdue_alarm_no_recipients_and_no_smtp");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = start(&data, &env_with(sink.as_ref()));
    let admin = first_admin(&s);
    let (_, sec, _) = security_officer(&s, &admin, "officer@example.org");
    let open = |title: &str| {
        let (st, v) = s.api(
            "POST",
            "/api/v1/incidents",
            Some(&sec),
            Some(json!({"severity": "critical", "title": title})),
        );
        assert_eq!(st, 201, "{v}");
        v["id"].as_str().unwrap().to_string()
    };
    // No one to tell: 400, nothing recorded.
    let quiet = open("nobody affected");
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/incidents/{quiet}/notifications"),
        Some(&sec),
        Some(json!({"audiences": ["users", "partners"]})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("no-recipients")),
        "{v}"
    );
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/incidents/{quiet}"),
            Some(&sec),
            None
        )
        .1["messages"],
        json!([])
    );

    // A confirmed breach, 49 hours old: reminders for 24 h and 48 h.
    let late = open("late breach");
    assert_eq!(
        s.api(
            "POST",
            &format!("/api/v1/incidents/{late}/breach"),
            Some(&sec),
            None
        )
        .0,
        200
    );
    let db = Db::open(&data);
    let now = now_secs() as i64;
    db.exec(&format!(
        "UPDATE incidents SET confirmed_at = {} WHERE id = '{late}'",
        now - 49 * 3600
    ));
    let mut v = Value::Null;
    wait_secs("the 48-hour reminder", 30, || {
        v = s
            .api(
                "GET",
                &format!("/api/v1/incidents/{late}"),
                Some(&sec),
                None,
            )
            .1;
        steps(&v).contains(&"reminder".to_string())
    });
    assert!(v["clock"]["seconds_left"].as_i64().unwrap() < 24 * 3600);
    db.exec(&format!(
        "UPDATE incidents SET confirmed_at = {} WHERE id = '{late}'",
        now - 73 * 3600
    ));
    wait_secs("the overdue alarm", 30, || {
        v = s
            .api(
                "GET",
                &format!("/api/v1/incidents/{late}"),
                Some(&sec),
                None,
            )
            .1;
        steps(&v).contains(&"overdue".to_string())
    });
    assert_eq!(v["clock"]["overdue"], true);
    assert_eq!(
        steps(&v).iter().filter(|k| *k == "reminder").count(),
        1,
        "one reminder for 24 and 48 h together, then the alarm"
    );
    if let Some(sink) = &sink {
        // (the officer was also told of the role grant that made them one)
        let incident_mails = || -> Vec<String> {
            sink.to("officer@example.org")
                .into_iter()
                .filter(|m| !m.contains("privileged role"))
                .collect()
        };
        wait_secs("the reminder and alarm e-mails", 20, || {
            incident_mails().len() == 2
        });
        let mails = incident_mails();
        assert!(
            mails
                .iter()
                .any(|m| m.contains("Subject: Reminder: breach notification"))
        );
        assert!(mails.iter().any(|m| m.contains("Subject: OVERDUE")));
    }
    drop(s);

    // The same server without SMTP: nothing is sent and the incident says so.
    let dir2 = tempfile::tempdir().unwrap();
    let data2 = dir2.path().join("data");
    let s = start(&data2, &env_with(None));
    let admin = first_admin(&s);
    let (_, sec, _) = security_officer(&s, &admin, "officer@example.org");
    // (through the command line this time)
    let token_file = dir2.path().join("token");
    std::fs::write(&token_file, &sec).unwrap();
    let cli = |rest: &[&str]| -> Value {
        let (d, t) = (
            data2.display().to_string(),
            token_file.display().to_string(),
        );
        let mut args = vec![
            "incident",
            "--data-dir",
            &d,
            "--addr",
            &s.url,
            "--token-file",
            &t,
        ];
        args.extend_from_slice(rest);
        let out = pixelunion(&args, "");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let v = cli(&["open", "--severity", "low", "--title", "Lost laptop"]);
    let id = v["id"].as_str().unwrap().to_string();
    let id = id.as_str();
    assert_eq!(v["email_configured"], false);
    assert_eq!(
        cli(&["list"])["items"][0]["details"]["title"],
        "Lost laptop"
    );
    let v = cli(&["notify", id, "--audience", "authority"]);
    assert_eq!(
        (v["sent"].as_u64(), v["not_configured"].as_u64()),
        (Some(0), Some(1))
    );
    let (_, v) = s.api("GET", &format!("/api/v1/incidents/{id}"), Some(&sec), None);
    assert_eq!(v["messages"][0]["state"], "not-configured");
    let note = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "notified")
        .unwrap()["note"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(note.contains("NOT SENT"), "{note}");
    assert!(v["clock"].is_null() || v["clock"]["notified_at"].is_null());
}
