//! Policy notices (security policy §15) on the real binary: an admin
//! publishes a new version of the privacy or security policy; every account
//! sees it at its next sign-in and on every page until it has read it, is
//! e-mailed, and the version it has seen is recorded.

use serde_json::json;

use crate::harness::smtp::Sink;
use crate::harness::*;

#[test]
fn a_new_policy_version_is_shown_mailed_and_its_reading_recorded() {
    let sink = Sink::start("a_new_policy_version_is_shown_mailed_and_its_reading_recorded");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env: Vec<(String, String)> = sink.as_ref().map(Sink::env).unwrap_or_default();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start_with(&data, &env);
    let admin = first_admin(&s);
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    let (st, v) = s.api("GET", "/api/v1/policies", None, None);
    assert_eq!(
        (st, v["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{v}"
    );

    let publish = |t: &str, body: serde_json::Value| {
        s.api("POST", "/api/v1/admin/policies", Some(t), Some(body))
    };
    assert_eq!(
        publish(&ann, json!({"kind": "privacy", "text": "x"})).0,
        403
    );
    for body in [
        json!({"kind": "privacy", "text": "   "}),
        json!({"kind": "cookies", "text": "x"}),
        json!({"kind": "privacy", "text": "x".repeat(100_001)}),
    ] {
        let (st, v) = publish(&admin, body);
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (422, Some("invalid-policy")),
            "{v}"
        );
    }
    let (st, v) = s.api("GET", "/api/v1/policies", None, None);
    assert_eq!(
        (st, v["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "nothing published: {v}"
    );
    let (st, v) = publish(
        &admin,
        json!({"kind": "privacy", "text": "We keep your photos encrypted.\nVersion one."}),
    );
    assert_eq!((st, v["version"].as_i64()), (201, Some(1)), "{v}");

    // Ann sees it when she signs in, and on every page until she reads it.
    let login = || {
        let (st, v) = s.api(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ann@example.org", "password": "a very long library passphrase", "bearer": true})),
        );
        assert_eq!(st, 200, "{v}");
        v
    };
    let v = login();
    assert_eq!(
        v["user"]["policy_notices"],
        json!([{"kind": "privacy", "version": 1, "published_at": v["user"]["policy_notices"][0]["published_at"]}]),
        "{v}"
    );
    let page = |t: &str, path: &str| {
        s.call("GET", path)
            .header("cookie", &format!("__Host-pixelunion={t}"))
            .send()
            .text()
    };
    assert!(page(&ann, "/settings").contains("Our privacy policy has changed"));
    assert!(page(&ann, "/policies").contains("Version one."));
    let seen = |version: i64| {
        s.api(
            "POST",
            "/api/v1/auth/policies/seen",
            Some(&ann),
            Some(json!({"kind": "privacy", "version": version})),
        )
    };
    let (st, v) = seen(2);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("invalid-policy")),
        "{v}"
    );
    assert_eq!(seen(1).0, 204);
    let (_, v) = s.api("GET", "/api/v1/auth/me", Some(&ann), None);
    assert_eq!(v["policy_notices"], json!([]), "{v}");
    assert!(!page(&ann, "/settings").contains("policy has changed"));
    let db = Db::open(&data);
    assert_eq!(
        db.int(&format!(
            "SELECT version FROM policy_views WHERE user_id = '{ann_id}' AND kind = 'privacy'"
        )),
        1,
        "the version seen is recorded"
    );

    // A second version and a security policy: both announced again.
    let (st, _) = publish(&admin, json!({"kind": "privacy", "text": "Version two."}));
    assert_eq!(st, 201);
    let (st, v) = publish(
        &admin,
        json!({"kind": "security", "text": "Report issues to security@."}),
    );
    assert_eq!((st, v["version"].as_i64()), (201, Some(1)), "{v}");
    let (_, v) = s.api("GET", "/api/v1/auth/me", Some(&ann), None);
    let kinds: Vec<(String, i64)> = v["policy_notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_string(),
                n["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("privacy".to_string(), 2), ("security".to_string(), 1)],
        "{v}"
    );
    let (_, v) = s.api("GET", "/api/v1/policies", None, None);
    assert_eq!(v["items"][0]["text"], "Version two.", "{v}");

    if let Some(sink) = &sink {
        wait_for("the policy e-mails", || {
            sink.to("ann@example.org")
                .iter()
                .filter(|m| m.contains("policy has changed"))
                .count()
                == 3
        });
    }
    let (_, officer, _) = security_officer(&s, &admin, "officer@example.org");
    let actions = audit_actions(&s, &officer);
    for a in [
        "policy.publish:privacy",
        "policy.publish:security",
        "policy.seen:privacy",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "audit lacks {a}: {actions:?}"
        );
    }
    let _ = s.stop();
}
