//! Every secret and cursor the service mints, sent back the way its clients
//! send it, passes the embedded firewall rules with a score of zero.
//!
//! Random text spells SQL by chance: lower-case base32 or base64 puts
//! `7or4` between two digits about once in a few hundred values, and CRS
//! rule 942211 refuses that. A value the service minted itself that the
//! firewall refuses shuts its holder out for good (a session whose every
//! request is 403, a recovery code that never works, a timeline page that
//! never loads). Each test here draws many fresh values from the real
//! generator and fails on the first one the rules score: the embedded
//! rules, and in a build with the `modsecurity` feature also the real CRS
//! with the same exclusions (what `waf.engine = "crs"` runs).

use pixelunion_waf::{Body, Engine, Request, RuleSet, Settings, Verdict};

/// How many values each test draws: at one refusal in 500 (what base32
/// MACs measured), missing every one of them has odds below 10⁻¹⁷.
const DRAWS: usize = 20_000;

/// Draws through the real CRS, whose every request is a libmodsecurity
/// transaction (milliseconds each here): at one refusal in 500 the odds of
/// missing them all are 2 %, at one in 100 below 10⁻⁸.
#[cfg(feature = "modsecurity")]
const CRS_DRAWS: usize = 2_000;

/// A rule engine the values must pass.
enum Judge {
    Embedded(Engine),
    #[cfg(feature = "modsecurity")]
    Crs(pixelunion_waf::crs::Crs),
}

impl Judge {
    fn inspect(&self, req: &Request<'_>) -> Verdict {
        match self {
            Judge::Embedded(e) => e.inspect(req),
            #[cfg(feature = "modsecurity")]
            Judge::Crs(c) => c.inspect(req),
        }
    }
}

/// Each engine, with how many values to draw for it.
fn judges() -> Vec<(Judge, usize)> {
    let embedded = Engine::new(
        RuleSet::embedded().expect("embedded rules"),
        Settings::default(),
    );
    let embedded = (Judge::Embedded(embedded), DRAWS);
    #[cfg(not(feature = "modsecurity"))]
    return vec![embedded];
    #[cfg(feature = "modsecurity")]
    vec![
        embedded,
        (
            Judge::Crs(
                pixelunion_waf::crs::Crs::load(pixelunion_waf::crs::CrsSettings {
                    exclusions: crate::firewall::exclusions(
                        &crate::config::WafConfig::default(),
                        true,
                    ),
                    ..pixelunion_waf::crs::CrsSettings::default()
                })
                .expect("the CRS (Debian: modsecurity-crs)"),
            ),
            CRS_DRAWS,
        ),
    ]
}

/// Fails with the value and the rules that scored it.
fn assert_passes(
    waf: &Judge,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    json: Option<String>,
) {
    let mut all = vec![("Host".to_string(), "photos.example.org".to_string())];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    if let Some(text) = &json {
        all.push(("Content-Type".into(), "application/json".into()));
        all.push(("Content-Length".into(), text.len().to_string()));
    }
    let body = match &json {
        Some(text) => Body::Json(text.as_bytes()),
        None => Body::None,
    };
    let v = waf.inspect(&Request {
        method,
        target,
        headers: &all,
        body,
    });
    assert!(
        !v.block && v.score == 0,
        "{method} {target} {headers:?} {json:?} scored {}: {:?}",
        v.score,
        v.hits
    );
}

fn json(pairs: &[(&str, &str)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

fn mint(kind: pixelunion_auth::token::TokenKind) -> String {
    pixelunion_auth::token::mint(kind)
        .expect("mint")
        .secret
        .to_string()
}

#[test]
fn session_tokens_pass_in_the_cookie() {
    use pixelunion_auth::token::TokenKind;
    for (waf, draws) in judges() {
        for _ in 0..draws {
            let token = mint(TokenKind::Session);
            let cookie = format!("{}={token}", crate::accounts::principal::COOKIE);
            let csrf = crate::accounts::principal::csrf_token(&token);
            assert_passes(
                &waf,
                "GET",
                "/api/v1/assets?limit=100",
                &[("Cookie", &cookie)],
                None,
            );
            assert_passes(
                &waf,
                "POST",
                "/api/v1/albums",
                &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
                Some(json(&[("name", "Summer")])),
            );
        }
    }
}

#[test]
fn api_and_session_tokens_pass_in_the_bearer_header() {
    use pixelunion_auth::token::TokenKind;
    for (waf, draws) in judges() {
        for i in 0..draws {
            // API clients send API tokens, or a session token asked for with
            // `bearer: true` at sign-in
            let kind = if i % 2 == 0 {
                TokenKind::Api
            } else {
                TokenKind::Session
            };
            let bearer = format!("Bearer {}", mint(kind));
            assert_passes(
                &waf,
                "GET",
                "/api/v1/assets",
                &[("Authorization", &bearer)],
                None,
            );
        }
    }
}

#[test]
fn invitation_and_recovery_link_codes_pass_in_the_body() {
    use pixelunion_auth::token::TokenKind;
    for (waf, draws) in judges() {
        for _ in 0..draws {
            let invite = mint(TokenKind::Invite);
            let body = json(&[
                ("code", &invite),
                ("email", "bob@example.org"),
                ("password", "a long passphrase"),
            ]);
            assert_passes(&waf, "POST", "/api/v1/auth/invites/accept", &[], Some(body));
            let code = mint(TokenKind::Recovery);
            let body = json(&[("code", &code), ("new_password", "another passphrase")]);
            assert_passes(
                &waf,
                "POST",
                "/api/v1/auth/recovery/complete",
                &[],
                Some(body),
            );
            assert_passes(
                &waf,
                "POST",
                "/api/v1/auth/recovery/cancel",
                &[],
                Some(json(&[("code", &code)])),
            );
        }
    }
}

#[test]
fn recovery_codes_pass_at_sign_in_and_at_deletion() {
    for (waf, draws) in judges() {
        let mut drawn = 0;
        while drawn < draws {
            for (code, _) in pixelunion_auth::mfa::new_recovery_codes().expect("codes") {
                let body = json(&[
                    ("email", "ann@example.org"),
                    ("password", "a long passphrase"),
                    ("recovery_code", &code),
                ]);
                assert_passes(&waf, "POST", "/api/v1/auth/login", &[], Some(body));
                let body = json(&[
                    ("password", "a long passphrase"),
                    ("recovery_code", &code),
                    ("confirm", "delete my account"),
                ]);
                assert_passes(&waf, "POST", "/api/v1/auth/account/delete", &[], Some(body));
                drawn += 1;
            }
        }
    }
}

#[test]
fn one_time_passwords_pass_at_sign_in_and_at_the_first_change() {
    for (waf, draws) in judges() {
        for _ in 0..draws {
            let otp = crate::accounts::one_time_password().expect("otp");
            let body = json(&[("email", "new@example.org"), ("password", &otp)]);
            assert_passes(&waf, "POST", "/api/v1/auth/login", &[], Some(body));
            let body = json(&[
                ("current_password", &otp),
                ("new_password", "a long passphrase"),
            ]);
            assert_passes(&waf, "POST", "/api/v1/auth/password", &[], Some(body));
        }
    }
}

#[test]
fn timeline_cursors_pass_in_the_query() {
    for (waf, draws) in judges() {
        for i in 0..draws {
            // photos taken over fifty years, each with a fresh time-ordered id
            let at = 946_684_800_000_i64 + (i as i64) * 78_840_000 + (i as i64 % 997);
            let id = uuid::Uuid::now_v7().to_string();
            let cursor = pixelunion_wire::encode_cursor(at, &id);
            let target = format!("/api/v1/assets?cursor={cursor}&limit=200");
            assert_passes(&waf, "GET", &target, &[], None);
        }
    }
}

#[test]
fn public_link_tokens_pass_when_a_link_is_opened() {
    for (waf, draws) in judges() {
        for _ in 0..draws {
            let token = crate::library::links::new_token().expect("token");
            let body = json(&[("token", &token), ("password", "the link's password")]);
            assert_passes(&waf, "POST", "/api/v1/public/open", &[], Some(body));
        }
    }
}

#[test]
fn link_session_cookies_pass_on_a_links_items() {
    // base32 MACs met rule 942211 in 43 of 20,000 cookies; hex never spells SQL
    for (waf, draws) in judges() {
        for _ in 0..draws {
            let mac: [u8; 37] = pixelunion_vault::random_array().expect("random");
            let cookie = format!(
                "pu_link=1765000000000.{}",
                crate::library::links::encode_mac(&mac)
            );
            assert_passes(
                &waf,
                "GET",
                "/api/v1/public/80c86838-10d2-4e5f-8182-5b051f16cbcc/items",
                &[("Cookie", &cookie)],
                None,
            );
        }
    }
}

#[test]
fn unseal_shares_pass_when_unsealing() {
    for (waf, draws) in judges() {
        for _ in 0..draws / 5 {
            let init = pixelunion_vault::root::initialize(3, 5).expect("initialize");
            for share in &init.shares {
                let body = json(&[("share", share.expose())]);
                assert_passes(&waf, "POST", "/api/v1/sys/unseal", &[], Some(body));
            }
        }
    }
}
