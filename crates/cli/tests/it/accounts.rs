//! Accounts end to end on the real binary: the first administrator's forced
//! password change and MFA enrolment, inviting a user, TOTP with replay
//! protection and recovery codes, cookies with CSRF, sessions, throttling,
//! identical answers for unknown accounts, and role separation.

use crate::harness::*;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Api<'a> {
    s: &'a Server,
}

impl Api<'_> {
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.s.api(method, path, token, body)
    }

    fn login(&self, email: &str, password: &str, extra: Value) -> (u16, Value) {
        let mut b = json!({"email": email, "password": password, "bearer": true});
        if let (Some(o), Some(e)) = (b.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        self.call("POST", "/api/v1/auth/login", None, Some(b))
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// Waits for the next TOTP step so a fresh code is available.
fn next_step_code(secret: &[u8], after_step: u64) -> String {
    loop {
        let t = now_secs();
        if t / 30 > after_step {
            return pixelunion_auth::mfa::code_at(secret, t).unwrap();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn admin_setup_invite_user_and_sign_in_with_totp() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let api = Api { s: &s };
    let field = |label: &str| s.printed(label);
    let admin_email = field("e-mail:");
    let admin_otp = field("password:");
    assert_eq!(admin_email, "admin@localhost");

    // First login: only password change (and MFA enrolment) are allowed.
    let (st, v) = api.login(&admin_email, &admin_otp, json!({}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["user"]["must_change_password"], true);
    let t1 = v["token"].as_str().unwrap().to_string();
    let (st, v) = api.call("GET", "/api/v1/admin/users", Some(&t1), None);
    assert_eq!((st, code(&v)), (403, "password-change-required"));
    let (st, v) = api.call(
        "POST",
        "/api/v1/auth/password",
        Some(&t1),
        Some(json!({"current_password": admin_otp, "new_password": "password1234"})),
    );
    assert_eq!((st, code(&v)), (422, "weak-password"), "{v}");
    let (st, v) = api.call("POST", "/api/v1/auth/password", Some(&t1), Some(json!({"current_password": "wrong wrong wrong", "new_password": "plenty of horses in the meadow"})));
    assert_eq!((st, code(&v)), (401, "reauthentication-failed"));
    let admin_pw = "plenty of horses in the meadow";
    let (st, v) = api.call(
        "POST",
        "/api/v1/auth/password",
        Some(&t1),
        Some(json!({"current_password": admin_otp, "new_password": admin_pw})),
    );
    assert_eq!(st, 200, "{v}");

    // A privileged role without MFA can do nothing but enrol.
    let (st, v) = api.call("GET", "/api/v1/admin/users", Some(&t1), None);
    assert_eq!((st, code(&v)), (403, "mfa-enrolment-required"));
    let (st, v) = api.call(
        "POST",
        "/api/v1/auth/mfa/totp",
        Some(&t1),
        Some(json!({"password": admin_pw})),
    );
    assert_eq!(st, 200, "{v}");
    assert!(
        v["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/PixelUnion:admin%40localhost?")
    );
    let secret = pixelunion_auth::mfa::secret_from_base32(v["secret"].as_str().unwrap()).unwrap();
    let enrolment = v["enrolment"].as_str().unwrap().to_string();
    let (st, v) = api.call(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        Some(&t1),
        Some(json!({"enrolment": enrolment, "code": "000000"})),
    );
    assert_eq!((st, code(&v)), (422, "invalid-code"), "{v}");
    let enrol_step = now_secs() / 30;
    let enrol_code = pixelunion_auth::mfa::code_at(&secret, now_secs()).unwrap();
    let (st, v) = api.call(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        Some(&t1),
        Some(json!({"enrolment": enrolment, "code": enrol_code})),
    );
    assert_eq!(st, 200, "{v}");
    let recovery: Vec<String> = v["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);

    // Now the admin can manage users, but not read the audit trail or operate.
    let (st, v) = api.call("GET", "/api/v1/admin/users", Some(&t1), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["items"][0]["email"], "admin@localhost");
    assert_eq!(
        api.call("GET", "/api/v1/audit/events", Some(&t1), None).0,
        403
    );
    let (st, v) = api.call(
        "POST",
        "/api/v1/admin/users",
        Some(&t1),
        Some(json!({"email": "Ann@Example.org"})),
    );
    assert_eq!(st, 201, "{v}");
    let ann_id = v["id"].as_str().unwrap().to_string();
    let ann_otp = v["one_time_password"].as_str().unwrap().to_string();
    let (st, v) = api.call(
        "POST",
        "/api/v1/admin/users",
        Some(&t1),
        Some(json!({"email": "ann@example.org"})),
    );
    assert_eq!((st, code(&v)), (409, "email-taken"));

    // Ann signs in (e-mail matched case-insensitively through the blind index).
    let (st, v) = api.login("ANN@example.org", &ann_otp, json!({}));
    assert_eq!(st, 200, "{v}");
    let ta = v["token"].as_str().unwrap().to_string();
    let ann_pw = "ann's own long passphrase";
    assert_eq!(
        api.call(
            "POST",
            "/api/v1/auth/password",
            Some(&ta),
            Some(json!({"current_password": ann_otp, "new_password": ann_pw}))
        )
        .0,
        200
    );
    let (st, v) = api.call("GET", "/api/v1/auth/me", Some(&ta), None);
    assert_eq!(
        (st, v["email"].as_str(), v["role"].as_str()),
        (200, Some("ann@example.org"), Some("user"))
    );
    assert_eq!(
        code(&api.call("GET", "/api/v1/admin/users", Some(&ta), None).1),
        "forbidden"
    );
    assert_eq!(
        api.call(
            "PATCH",
            &format!("/api/v1/admin/users/{ann_id}"),
            Some(&ta),
            Some(json!({"role": "admin"}))
        )
        .0,
        403
    );

    // Invitations: single use, optionally bound to an e-mail; sign-up is closed by default.
    let (st, v) = api.call(
        "POST",
        "/api/v1/admin/invites",
        Some(&t1),
        Some(json!({"email": "bob@example.org", "role": "user", "expires_in_hours": 24})),
    );
    assert_eq!(st, 201, "{v}");
    let code_b = v["code"].as_str().unwrap().to_string();
    assert!(
        v["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/invite#{code_b}"))
    );
    let accept = |email: &str, pw: &str, code: &str| {
        api.call(
            "POST",
            "/api/v1/auth/invites/accept",
            None,
            Some(json!({"code": code, "email": email, "password": pw})),
        )
    };
    assert_eq!(
        code(&accept("mallory@example.org", "bob's long passphrase", &code_b).1),
        "invite-email-mismatch"
    );
    assert_eq!(
        code(&accept("bob@example.org", "password1234", &code_b).1),
        "weak-password"
    );
    assert_eq!(
        code(&accept("bob@example.org", "bob's long passphrase", "pui_nonsense").1),
        "invite-invalid"
    );
    let (st, v) = accept("Bob@Example.org", "bob's long passphrase", &code_b);
    assert_eq!((st, v["role"].as_str()), (201, Some("user")), "{v}");
    assert_eq!(
        accept("bob@example.org", "bob's long passphrase", &code_b).0,
        410,
        "single use"
    );
    let (st, v) = api.login("bob@example.org", "bob's long passphrase", json!({}));
    assert_eq!(
        (st, v["user"]["must_change_password"].as_bool()),
        (200, Some(false)),
        "{v}"
    );
    let (st, v) = api.call(
        "POST",
        "/api/v1/auth/signup",
        None,
        Some(json!({"email": "eve@example.org", "password": "eve's long passphrase"})),
    );
    assert_eq!((st, code(&v)), (403, "signup-closed"));
    let (st, v) = api.call("GET", "/api/v1/admin/invites", Some(&t1), None);
    assert_eq!(
        (st, v["items"][0]["used"].as_bool()),
        (200, Some(true)),
        "{v}"
    );

    // Admin sign-in needs the second factor; a used code is refused (replay).
    let (st, v) = api.login(&admin_email, admin_pw, json!({}));
    assert_eq!((st, code(&v)), (401, "mfa-required"));
    let (st, v) = api.login(&admin_email, admin_pw, json!({"totp": enrol_code}));
    assert_eq!(
        (st, code(&v)),
        (401, "invalid-credentials"),
        "replayed code: {v}"
    );
    let (st, v) = api.login(
        &admin_email,
        admin_pw,
        json!({"recovery_code": recovery[0]}),
    );
    assert_eq!(st, 200, "{v}");
    let (st, _) = api.login(
        &admin_email,
        admin_pw,
        json!({"recovery_code": recovery[0]}),
    );
    assert_eq!(st, 401, "recovery codes work once");
    let fresh = next_step_code(&secret, enrol_step);
    let (st, v) = api.login(&admin_email, admin_pw, json!({"totp": fresh}));
    assert_eq!(st, 200, "{v}");
    let t2 = v["token"].as_str().unwrap().to_string();

    // One admin cannot grant a privileged role (that takes a second one:
    // tests/it/grants.rs); nothing changes. Setting `user` takes one admin
    // and ends Ann's sessions; disabling refuses sign-in.
    let (st, v) = api.call(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&t2),
        Some(json!({"role": "support"})),
    );
    assert_eq!((st, code(&v)), (409, "four-eyes-required"), "{v}");
    let (st, v) = api.call("GET", "/api/v1/auth/me", Some(&ta), None);
    assert_eq!((st, v["role"].as_str()), (200, Some("user")), "{v}");
    let (st, v) = api.call(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&t2),
        Some(json!({"role": "user"})),
    );
    assert_eq!((st, v["role"].as_str()), (200, Some("user")), "{v}");
    assert_eq!(
        api.call("GET", "/api/v1/auth/me", Some(&ta), None).0,
        401,
        "sessions ended on role change"
    );
    let (st, v) = api.call(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&t2),
        Some(json!({"disabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = api.login("ann@example.org", ann_pw, json!({}));
    assert_eq!((st, code(&v)), (401, "invalid-credentials"));
    assert_eq!(
        api.call(
            "PATCH",
            "/api/v1/admin/users/no-such-id",
            Some(&t2),
            Some(json!({"disabled": true}))
        )
        .0,
        404
    );

    let _ = s.stop();
}

#[test]
fn sessions_cookies_csrf_throttling_and_enumeration() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let api = Api { s: &s };
    let field = |label: &str| s.printed(label);
    let (email, otp) = (field("e-mail:"), field("password:"));

    // Cookie login: __Host- cookie, Secure, HttpOnly, SameSite=Strict; no token in the body.
    let r = s
        .call("POST", "/api/v1/auth/login")
        .json(&json!({"email": email, "password": otp}))
        .send();
    let text = r.text();
    let cookie_line = r.header("set-cookie").expect("cookie").to_string();
    for attr in [
        "__Host-pixelunion=pus_",
        "Max-Age=28800", // the administrator's configured absolute timeout (8 h)
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(cookie_line.contains(attr), "{cookie_line}");
    }
    assert!(!text.contains("\"token\""), "no bearer token unless asked");
    let cookie = cookie_line.split(';').next().unwrap().trim().to_string();
    let csrf = r.json()["csrf_token"].as_str().unwrap().to_string();

    let with_cookie = |extra: &[&str], method: &str, path: &str| {
        let mut c = s.call(method, path).header("cookie", &cookie);
        for h in extra.iter().filter(|h| **h != "-H") {
            let (k, v) = h.split_once(':').unwrap();
            c = c.header(k.trim(), v.trim());
        }
        c.send().status
    };
    assert_eq!(
        with_cookie(&[], "GET", "/api/v1/auth/me"),
        200,
        "cookie authenticates reads"
    );
    assert_eq!(
        with_cookie(&[], "POST", "/api/v1/auth/logout"),
        403,
        "state change without CSRF token"
    );
    let h = format!("x-csrf-token: {csrf}");
    assert_eq!(
        with_cookie(
            &["-H", &h, "-H", "origin: https://evil.example"],
            "POST",
            "/api/v1/auth/logout"
        ),
        403,
        "foreign origin"
    );
    assert_eq!(
        with_cookie(&["-H", "x-csrf-token: 00"], "POST", "/api/v1/auth/logout"),
        403,
        "wrong token"
    );
    assert_eq!(with_cookie(&["-H", &h], "POST", "/api/v1/auth/logout"), 200);
    assert_eq!(
        with_cookie(&[], "GET", "/api/v1/auth/me"),
        401,
        "logged out"
    );

    // Sessions: list, revoke another, revoke all others.
    let t1 = api.login(&email, &otp, json!({})).1["token"]
        .as_str()
        .unwrap()
        .to_string();
    let t2 = api.login(&email, &otp, json!({})).1["token"]
        .as_str()
        .unwrap()
        .to_string();
    let _t3 = api.login(&email, &otp, json!({})).1["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(t1, t2, "a new token at every login");
    // The admin must change its password before using OwnAccount routes; do it from t1.
    let pw = "a completely new passphrase";
    let (st, v) = api.call(
        "POST",
        "/api/v1/auth/password",
        Some(&t1),
        Some(json!({"current_password": otp, "new_password": pw})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["other_sessions_ended"], 2,
        "changing the password ends the other sessions"
    );
    assert_eq!(api.call("GET", "/api/v1/auth/me", Some(&t2), None).0, 401);

    // Unknown e-mail and wrong password answer identically, and both pay for a hash.
    let t0 = Instant::now();
    let (st_a, v_a) = api.login("nobody@example.org", "some wrong password", json!({}));
    let unknown = t0.elapsed();
    let t0 = Instant::now();
    let (st_b, v_b) = api.login(&email, "some wrong password", json!({}));
    let known = t0.elapsed();
    assert_eq!((st_a, &v_a), (st_b, &v_b), "identical responses");
    assert!(
        unknown >= Duration::from_millis(40) && known >= Duration::from_millis(40),
        "{unknown:?} {known:?}"
    );

    // Throttling: after 5 failures (2 above) this address and account back off
    // with 429 — then even the right password waits.
    let mut failures = 2;
    loop {
        let (st, _) = api.login(&email, "still the wrong password", json!({}));
        if st == 429 {
            break;
        }
        assert_eq!(st, 401);
        failures += 1;
        assert!(failures <= 5, "no backoff after {failures} failures");
    }
    assert_eq!(failures, 5);
    let (st, v) = api.login(&email, pw, json!({}));
    assert_eq!((st, code(&v)), (429, "too-many-attempts"), "{v}");
    let _ = s.stop();
}

/// Credentials are kept for a moment between requests (the recent lookups):
/// a change made on this node must still end them at once, however often
/// they were used just before — a revoked API token, a signed-out session,
/// a disabled account.
#[test]
fn credentials_ended_on_this_node_are_refused_at_once_even_just_after_use() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let busy = |token: &str| {
        for _ in 0..20 {
            assert_eq!(s.api("GET", "/api/v1/assets", Some(token), None).0, 200);
        }
    };

    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/tokens",
        Some(&ann),
        Some(
            json!({"name": "phone", "scope": "read", "password": "a very long library passphrase"}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    let api = v["token"].as_str().unwrap().to_string();
    let id = v["id"].as_str().unwrap().to_string();
    busy(&api);
    let (st, v) = s.api(
        "DELETE",
        &format!("/api/v1/auth/tokens/{id}"),
        Some(&ann),
        None,
    );
    assert!(st == 200 || st == 204, "{st} {v}");
    assert_eq!(
        s.api("GET", "/api/v1/assets", Some(&api), None).0,
        401,
        "a revoked token"
    );

    busy(&bob);
    assert_eq!(
        s.api("POST", "/api/v1/auth/logout", Some(&bob), None).0,
        200
    );
    assert_eq!(
        s.api("GET", "/api/v1/auth/me", Some(&bob), None).0,
        401,
        "a signed-out session"
    );

    busy(&ann);
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&admin),
        Some(json!({"disabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        s.api("GET", "/api/v1/auth/me", Some(&ann), None).0,
        401,
        "a disabled account's session"
    );
    let _ = s.stop();
}
