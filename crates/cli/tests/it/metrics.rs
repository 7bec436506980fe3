//! `/metrics` on the real binary: Prometheus text with the request counts
//! by route template, seal state, unseal and sign-in outcomes, firewall
//! blocks, the job queue, replication and snapshots, media times per format
//! and TLS handshakes — and no id, address, e-mail or file name anywhere.

use crate::harness::*;

use serde_json::json;

#[test]
fn metrics_count_what_operators_watch_and_name_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann.metrics@example.org");
    let id = upload(
        &s,
        &ann,
        "SECRETNAME.jpg",
        &pixelunion_media::fixtures::plain_jpeg(320, 240, 7),
    );
    settled(&s, &ann, &id);
    assert_eq!(
        s.api("GET", &format!("/api/v1/assets/{id}"), Some(&ann), None)
            .0,
        200
    );
    // a failed sign-in, a firewall block
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "ann.metrics@example.org", "password": "wrong wrong wrong"})),
    );
    assert_eq!(st, 401);
    let r = s
        .call(
            "GET",
            "/api/v1/assets?cursor=1%27%20UNION%20SELECT%20password%20FROM%20users--",
        )
        .bearer(&ann)
        .send();
    assert_eq!(r.status, 403, "{}", r.text());

    let r = s.call("GET", "/metrics").send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(r.text().trim_end().ends_with("# EOF"));
    let text = r.text();
    let has =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series} missing:\n{text}"));
    assert!(
        has(
            r#"pixelunion_http_requests_total{method="GET",route="/api/v1/assets/{id}",status="200"}"#
        ) >= 1.0
    );
    assert!(
        has(
            r#"pixelunion_http_request_duration_seconds_count{method="POST",route="/api/v1/assets",status="201"}"#
        ) >= 1.0
    );
    assert_eq!(has("pixelunion_sealed"), 0.0);
    assert!(has(r#"pixelunion_sign_ins_total{outcome="failed"}"#) >= 1.0);
    assert!(has(r#"pixelunion_sign_ins_total{outcome="ok"}"#) >= 1.0);
    assert!(has(r#"pixelunion_firewall_requests_total{outcome="blocked"}"#) >= 1.0);
    assert!(has(r#"pixelunion_tls_handshakes_total{outcome="ok"}"#) >= 1.0);
    assert!(
        has(r#"pixelunion_media_processing_seconds_count{format="image/jpeg",outcome="ready"}"#)
            >= 1.0
    );
    for g in [
        "pixelunion_replication_backlog",
        "pixelunion_replication_lag_seconds",
        "pixelunion_last_snapshot_age_seconds",
        "pixelunion_self_heal_repairs",
    ] {
        has(g);
    }
    // Nothing that names a person or an object.
    for secret in [
        id.as_str(),
        "SECRETNAME",
        "ann.metrics",
        "example.org",
        "UNION",
        &ann,
    ] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }

    // Sealed: the gauge says so (the route answers while sealed), and a
    // wrong share counts as rejected.
    assert_eq!(s.call("POST", "/api/v1/sys/seal").send().status, 200);
    s.post_json("/api/v1/sys/unseal", "{\"share\":\"pu-garbage\"}");
    let text = s.call("GET", "/metrics").send().text();
    assert_eq!(sample(&text, "pixelunion_sealed"), Some(1.0), "{text}");
    assert!(
        sample(
            &text,
            r#"pixelunion_unseal_attempts_total{outcome="rejected"}"#
        ) >= Some(1.0),
        "{text}"
    );
    let _ = s.stop();
}
