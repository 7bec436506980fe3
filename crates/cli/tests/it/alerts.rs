//! Sign-in alerts against the real server and a real SMTP server: with the
//! alerts on, a sign-in from a device the account never used sends the
//! owner an e-mail (address, device, time); the same device again, or a new
//! version of the same browser, does not; with the alerts off nothing is
//! sent. No user agent is stored in clear.

use serde_json::json;

use crate::harness::smtp::Sink;
use crate::harness::*;

#[test]
fn a_sign_in_from_a_new_device_mails_the_owner() {
    let Some(sink) = Sink::start("a_sign_in_from_a_new_device_mails_the_owner") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let env: Vec<(String, String)> = sink.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start_with(&data, &env);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let sign_in = |agent: &str| {
        let r = s
            .call("POST", "/api/v1/auth/login")
            .header("user-agent", agent)
            .json(
                &json!({"email": "ann@example.org", "password": "a very long library passphrase"}),
            )
            .send();
        assert_eq!(r.status, 200);
    };
    let settle = || std::thread::sleep(std::time::Duration::from_millis(1500));

    // Off by default: a new device sends nothing.
    sign_in("Firefox/120.0 (Windows NT 10.0)");
    settle();
    assert!(sink.to("ann@example.org").is_empty());
    assert_eq!(
        s.api("GET", "/api/v1/auth/sign-in-alerts", Some(&ann), None)
            .1["enabled"],
        false
    );
    let (st, _) = s.api(
        "PUT",
        "/api/v1/auth/sign-in-alerts",
        Some(&ann),
        Some(json!({"enabled": true})),
    );
    assert_eq!(st, 200);
    assert_eq!(
        s.api("GET", "/api/v1/auth/sign-in-alerts", Some(&ann), None)
            .1["enabled"],
        true
    );

    // Known devices (also after a browser update) stay quiet.
    sign_in("Firefox/121.0 (Windows NT 10.0)");
    settle();
    assert!(
        sink.to("ann@example.org").is_empty(),
        "a newer version of a known browser"
    );
    // A new one is reported.
    let phone = "CanaryPhone/9 (zq44 Android 15)";
    sign_in(phone);
    wait_secs("the alert", 20, || sink.to("ann@example.org").len() == 1);
    let m = &sink.to("ann@example.org")[0];
    assert!(
        m.contains("Subject: New sign-in to your PixelUnion account"),
        "{m}"
    );
    assert!(m.contains("127.0.0.1") && m.contains("CanaryPhone"), "{m}");
    sign_in(phone);
    settle();
    assert_eq!(sink.to("ann@example.org").len(), 1, "only once per device");
    let _ = s.stop();
    for (f, b) in read_files_under(&data) {
        assert!(
            !b.windows(10).any(|w| w == b"zq44 Andro"),
            "{} holds the agent",
            f.display()
        );
    }
}
