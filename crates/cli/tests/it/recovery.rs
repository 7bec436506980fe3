//! Optional e-mail recovery on the real binary with a real SMTP server:
//! the answer never says whether an address has an account; the owner gets
//! a link that works only after the delay, can cancel it (by the link or by
//! signing in), and once it works it sets a new password, ends every
//! session and tells the owner. Off, or without SMTP, the routes refuse.

use std::collections::BTreeSet;

use serde_json::json;

use crate::harness::smtp::Sink;
use crate::harness::*;

const PW: &str = "a very long library passphrase";
const NEW_PW: &str = "another long passphrase entirely";

/// The code of a recovery link mailed to `to` that is not in `seen` yet
/// (added to it); waits for it.
fn link_code(sink: &Sink, to: &str, seen: &mut BTreeSet<String>) -> String {
    let mut code = None;
    wait_for("a new recovery e-mail", || {
        code = sink
            .to(to)
            .iter()
            // quoted-printable may fold long lines: join them first
            .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
            .filter_map(|m| {
                m.split("/recover#").nth(1).map(|rest| {
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                        .collect::<String>()
                })
            })
            .find(|c| !seen.contains(c));
        code.is_some()
    });
    let code = code.unwrap_or_default();
    seen.insert(code.clone());
    code
}

#[test]
fn an_emailed_recovery_waits_can_be_cancelled_and_resets_only_the_password() {
    let Some(sink) =
        Sink::start("an_emailed_recovery_waits_can_be_cancelled_and_resets_only_the_password")
    else {
        return;
    };
    // Off by default: refused, and the sign-in page offers no link.
    let off = tempfile::tempdir().unwrap();
    let s = Server::start(&off.path().join("data"));
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/recovery",
        None,
        Some(json!({"email": "a@example.org"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (403, Some("recovery-unavailable")),
        "{v}"
    );
    assert!(!s.get("/login").1.contains("/recover"));
    let _ = s.stop();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut env: Vec<(String, String)> = sink.env();
    env.push(("PIXELUNION_ACCOUNTS__EMAIL_RECOVERY".into(), "true".into()));
    env.push((
        "PIXELUNION_ACCOUNTS__EMAIL_RECOVERY_DELAY_HOURS".into(),
        "24".into(),
    ));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start_with(&data, &env);
    assert!(s.get("/login").1.contains("href=\"/recover\""));
    let admin = first_admin(&s);
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    let db = Db::open(&data);
    let hash_of = || {
        db.texts(&format!(
            "SELECT password_hash FROM users WHERE id = '{ann_id}'"
        ))
    };
    let before = hash_of();
    let ask = |email: &str| {
        s.api(
            "POST",
            "/api/v1/auth/recovery",
            None,
            Some(json!({"email": email})),
        )
    };
    let (st, unknown) = ask("nobody@example.org");
    assert_eq!(st, 202);
    let (st, known) = ask("Ann@Example.org");
    assert_eq!(st, 202);
    assert_eq!(unknown, known, "the same answer either way");
    let mut seen = BTreeSet::new();
    let code = link_code(&sink, "ann@example.org", &mut seen);
    assert!(code.starts_with("pur_"), "{code}");
    assert!(sink.to("nobody@example.org").is_empty());
    let (st, _) = ask("ann@example.org");
    assert_eq!(st, 202);
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(
        sink.to("ann@example.org")
            .iter()
            .filter(|m| m.contains("/recover#"))
            .count(),
        1,
        "one pending recovery at a time"
    );

    let complete = |code: &str, pw: &str| {
        s.api(
            "POST",
            "/api/v1/auth/recovery/complete",
            None,
            Some(json!({"code": code, "new_password": pw})),
        )
    };
    // Too early: refused, nothing changed.
    let (st, v) = complete(&code, NEW_PW);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("recovery-not-yet")),
        "{v}"
    );
    assert_eq!(hash_of(), before);
    // Cancelled by the link: gone for good.
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/recovery/cancel",
        None,
        Some(json!({"code": code})),
    );
    assert_eq!(st, 204, "{v}");
    db.exec("UPDATE account_recoveries SET usable_at = 0");
    let (st, v) = complete(&code, NEW_PW);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (410, Some("recovery-invalid")),
        "{v}"
    );

    // Cancelled by the owner signing in.
    assert_eq!(ask("ann@example.org").0, 202);
    let code2 = link_code(&sink, "ann@example.org", &mut seen);
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "ann@example.org", "password": PW})),
    );
    assert_eq!(st, 200);
    db.exec("UPDATE account_recoveries SET usable_at = 0");
    assert_eq!(
        complete(&code2, NEW_PW).0,
        410,
        "a sign-in cancels pending recoveries"
    );
    assert_eq!(hash_of(), before);

    // Past the delay: a weak password is refused, a good one set; every
    // session ends; the owner is told.
    assert_eq!(ask("ann@example.org").0, 202);
    let code3 = link_code(&sink, "ann@example.org", &mut seen);
    db.exec("UPDATE account_recoveries SET usable_at = 0 WHERE state = 'pending'");
    let (st, v) = complete(&code3, "password");
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("weak-password")),
        "{v}"
    );
    let (st, v) = complete(&code3, NEW_PW);
    assert_eq!(st, 204, "{v}");
    assert_eq!(
        s.api("GET", "/api/v1/auth/me", Some(&ann), None).0,
        401,
        "sessions ended"
    );
    assert_eq!(complete(&code3, NEW_PW).0, 410, "used once");
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "ann@example.org", "password": PW})),
    );
    assert_eq!(st, 401);
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "ann@example.org", "password": NEW_PW})),
    );
    assert_eq!(st, 200);
    wait_for("the password-changed e-mail", || {
        sink.to("ann@example.org")
            .iter()
            .any(|m| m.contains("your password was changed"))
    });
    assert_eq!(complete("pur_nonsense", NEW_PW).0, 410);

    let (_, officer, _) = security_officer(&s, &admin, "officer@example.org");
    let actions = audit_actions(&s, &officer);
    for a in ["recovery.request", "recovery.cancel", "recovery.complete"] {
        assert!(
            actions.iter().any(|x| x == a),
            "audit lacks {a}: {actions:?}"
        );
    }
    let _ = s.stop();
    // Only the links' hashes were stored: no code is in the database files.
    drop(db);
    for (f, bytes) in read_files_under(&data) {
        if !f.to_string_lossy().contains("catalog.sqlite") {
            continue;
        }
        for c in &seen {
            assert!(
                !bytes.windows(c.len()).any(|w| w == c.as_bytes()),
                "a recovery code in plaintext in {}",
                f.display()
            );
        }
    }
}
