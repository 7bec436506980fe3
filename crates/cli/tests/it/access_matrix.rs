//! Every route × every role, on the real binary. Each role's session calls
//! each route of `pixelunion_server::http::routes::ROUTES` (which a unit test
//! keeps complete), with `{id}` set to *another* user's object:
//! - a role without the route's permission gets 403;
//! - a route on the caller's own objects, given another user's id, gets 404;
//! - a permitted call is never 401/403/5xx;
//! - without credentials every gated route is 401; API tokens never reach
//!   account or admin routes.

use crate::harness::*;

use pixelunion_auth::{Role, roles};
use pixelunion_server::http::routes::{Access, ROUTES, Target};
use serde_json::json;

/// Signs in with a one-time password, sets a password and (for privileged
/// roles) enrols TOTP; returns a ready session token.
fn set_up(s: &Server, email: &str, otp: &str, role: Role) -> String {
    finish_setup(
        s,
        email,
        otp,
        &format!("long passphrase number {}", role as u8 + 7),
        role.requires_mfa(),
    )
}

/// The first administrator's session, then one account of every role:
/// `(role, session token, e-mail address)`, the administrator first.
fn every_role(s: &Server) -> Vec<(Role, String, String)> {
    let email = s.printed("e-mail:");
    let admin = set_up(s, &email, &s.printed("password:"), Role::Admin);
    let mut sessions = vec![(Role::Admin, admin.clone(), email)];
    for role in [Role::User, Role::Support, Role::Operator, Role::Security] {
        let email = format!("{}@example.org", role.as_str());
        let token = if role == Role::User {
            new_user(s, &admin, &email).1
        } else {
            // Privileged roles come through a grant (break-glass here).
            staff_member(s, &admin, &email, role.as_str()).1
        };
        sessions.push((role, token, email));
    }
    sessions
}

#[test]
fn every_route_for_every_role_against_another_users_data() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let sessions: Vec<(Role, String)> = every_role(&s)
        .into_iter()
        .map(|(role, token, _)| (role, token))
        .collect();
    let admin = sessions[0].1.clone();
    // The victim: a plain user with a session and an API token.
    let (_, v) = s.api(
        "POST",
        "/api/v1/admin/users",
        Some(&admin),
        Some(json!({"email": "victim@example.org"})),
    );
    let victim_id = v["id"].as_str().unwrap().to_string();
    let victim = set_up(
        &s,
        "victim@example.org",
        v["one_time_password"].as_str().unwrap(),
        Role::User,
    );
    let victim_session = s.api("GET", "/api/v1/auth/me", Some(&victim), None).1["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/tokens",
        Some(&victim),
        Some(json!({"name": "phone", "scope": "full"})),
    );
    assert_eq!(st, 201, "{v}");
    let victim_token_id = v["id"].as_str().unwrap().to_string();
    let victim_api_token = v["token"].as_str().unwrap().to_string();

    // The victim's photo, uploaded as a raw body.
    let mut photo = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
    ];
    photo.extend_from_slice(&[7u8; 4096]);
    let victim_asset = upload(&s, &victim, "victim.jpg", &photo);
    let (st, v) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&victim),
        Some(json!({"name": "victim's album", "asset_ids": [victim_asset]})),
    );
    assert_eq!(st, 201, "{v}");
    let victim_album = v["id"].as_str().unwrap().to_string();
    let r = s
        .call("POST", "/api/v1/uploads")
        .bearer(&victim)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "100")
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    let victim_upload = r
        .header("location")
        .and_then(|l| l.strip_prefix("/api/v1/uploads/"))
        .expect("Location header")
        .to_string();
    let (st, v) = s.api(
        "POST",
        "/api/v1/admin/invites",
        Some(&admin),
        Some(json!({"role": "user"})),
    );
    assert_eq!(st, 201, "{v}");
    let invite_id = v["id"].as_str().unwrap().to_string();

    let security = &sessions
        .iter()
        .find(|(r, _)| *r == Role::Security)
        .unwrap()
        .1;
    let (st, v) = s.api(
        "POST",
        "/api/v1/incidents",
        Some(security),
        Some(json!({"severity": "low", "title": "matrix"})),
    );
    assert_eq!(st, 201, "{v}");
    let incident = v["id"].as_str().unwrap().to_string();
    // A role request: the security officer asks for an hour of operator.
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/elevation",
        Some(security),
        Some(json!({"role": "operator", "reason": "matrix", "hours": 1})),
    );
    assert_eq!(st, 201, "{v}");
    let role_request = v["id"].as_str().unwrap().to_string();
    let (st, v) = s.api("POST", "/api/v1/audit/access-reviews", Some(security), None);
    assert_eq!(st, 201, "{v}");
    let review = v["id"].as_str().unwrap().to_string();
    let (st, v) = s.api("POST", "/api/v1/exports", Some(&victim), None);
    assert_eq!(st, 202, "{v}");
    let victim_export = v["id"].as_str().unwrap().to_string();
    let (st, v) = s.api(
        "POST",
        "/api/v1/links",
        Some(&victim),
        Some(json!({"album_id": victim_album})),
    );
    assert_eq!(st, 201, "{v}");
    let victim_link = v["id"].as_str().unwrap().to_string();

    // Destructive-for-the-caller routes go last; a role request is refused
    // before anyone can approve it (an approval would end the officer's
    // sessions: the later calls then find it closed).
    let mut routes: Vec<_> = ROUTES.iter().collect();
    routes.sort_by_key(|r| {
        u8::from(r.path.ends_with("/approve"))
            + 2 * u8::from(r.path.ends_with("/revoke-others"))
            + 4 * u8::from(r.path.ends_with("/logout"))
    });
    assert!(
        routes.iter().position(|r| r.path.ends_with("/reject"))
            < routes.iter().position(|r| r.path.ends_with("/approve"))
    );
    let mut checked = 0;
    for route in &routes {
        let Access::Gated(permission, target) = route.access else {
            continue;
        };
        let id = match target {
            Target::None => String::new(),
            Target::OwnSession => victim_session.clone(),
            Target::OwnToken => victim_token_id.clone(),
            Target::Account => victim_id.clone(),
            Target::Invite => invite_id.clone(),
            Target::OwnAsset => victim_asset.clone(),
            Target::OwnAlbum => victim_album.clone(),
            Target::SharedAsset => victim_asset.clone(),
            Target::SharedAlbum => victim_album.clone(),
            Target::OwnLink => victim_link.clone(),
            Target::OwnUpload => victim_upload.clone(),
            Target::OwnExport => victim_export.clone(),
            Target::Incident => incident.clone(),
            Target::RoleRequest => role_request.clone(),
            Target::AccessReview => review.clone(),
        };
        let path = route.path.replace("{id}", &id);
        let body = !matches!(route.method, "GET" | "DELETE" | "HEAD" | "OPTIONS");
        let body = body.then(|| json!({}));

        // No credentials: 401.
        let (st, v) = s.api(route.method, &path, None, body.clone());
        assert_eq!(st, 401, "{} {path} without credentials: {v}", route.method);
        // An API token (full scope) never reaches account or admin routes, except who-am-I.
        let (st, v) = s.api(route.method, &path, Some(&victim_api_token), body.clone());
        if route.path == "/api/v1/auth/me" {
            assert_eq!(st, 200, "{v}");
        } else if permission == pixelunion_auth::Permission::OwnLibrary {
            // The owner's full-scope token reaches the owner's library.
            assert!(
                !matches!(st, 401 | 403) && st < 500,
                "{} {path} with the owner's API token: {st} {v}",
                route.method
            );
        } else {
            assert_eq!(
                (st, v["error"]["code"].as_str()),
                (403, Some("token-scope")),
                "{} {path} with an API token",
                route.method
            );
        }

        for (role, token) in &sessions {
            let (st, v) = s.api(route.method, &path, Some(token), body.clone());
            let what = format!("{} {path} as {}: {st} {v}", route.method, role.as_str());
            // Only the roles that manage or view accounts ever see a
            // user's e-mail address.
            if !roles::allows(*role, pixelunion_auth::Permission::ViewAccounts) {
                assert!(
                    !v.to_string().contains("victim@example.org"),
                    "a user's e-mail shown: {what}"
                );
            }
            if !roles::allows(*role, permission) {
                assert_eq!(st, 403, "{what}");
                assert_eq!(v["error"]["code"], "forbidden", "{what}");
            } else if matches!(
                target,
                Target::OwnSession
                    | Target::OwnToken
                    | Target::OwnAsset
                    | Target::OwnAlbum
                    | Target::OwnUpload
                    | Target::OwnExport
                    | Target::SharedAsset
                    | Target::SharedAlbum
                    | Target::OwnLink
            ) {
                assert_eq!(st, 404, "another user's object must look absent: {what}");
            } else {
                assert!(!matches!(st, 401 | 403) && st < 500, "{what}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 5 * 15, "checked {checked} role × route pairs");
    // The victim's session and token survived every call above.
    assert_eq!(s.api("GET", "/api/v1/auth/me", Some(&victim), None).0, 200);
    assert_eq!(
        s.api("GET", "/api/v1/auth/me", Some(&victim_api_token), None)
            .0,
        200
    );
    let _ = s.stop();
}

/// Support and admin try every route they can call against another
/// account, with bodies that would set its password, e-mail, second factor
/// or role: afterwards the owner still signs in with their own password and
/// TOTP, nobody signs in with the attacker's credentials, and no answer
/// carried the account's recovery codes or TOTP secret.
#[test]
fn no_staff_route_takes_over_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let support = staff_member(&s, &admin, "support@example.org", "support").1;
    let (victim_id, victim) = new_user(&s, &admin, "victim@example.org");
    let password = "a very long library passphrase";
    let (secret, codes) = enrol_authenticator(&s, &victim, password);
    let secret_b32 = pixelunion_auth::mfa::secret_base32(&secret).to_string();
    let takeover = json!({
        "password": "the attacker's long passphrase",
        "new_password": "the attacker's long passphrase",
        "current_password": "the attacker's long passphrase",
        "email": "attacker@example.org",
        "role": "admin",
        "disabled": false,
        "totp": null,
        "enrolment": "x",
        "code": "000000",
        "user_id": victim_id,
        "reason": "the user called and asked",
        "days": 1,
        "confirm": "no",
    });
    let mut tried = 0;
    for (role, token) in [("admin", &admin), ("support", &support)] {
        for route in ROUTES {
            let Access::Gated(_, target) = route.access else {
                continue;
            };
            if route.path.ends_with("/logout") || route.path.ends_with("/revoke-others") {
                continue;
            }
            let id = if target == Target::None {
                String::new()
            } else {
                victim_id.clone()
            };
            let path = route.path.replace("{id}", &id);
            let body = (!matches!(route.method, "GET" | "DELETE")).then(|| takeover.clone());
            let (st, v) = s.api(route.method, &path, Some(token), body);
            let text = v.to_string();
            assert!(
                !text.contains(&secret_b32) && codes.iter().all(|c| !text.contains(c.as_str())),
                "{} {path} as {role} gave away a second factor: {st}",
                route.method
            );
            tried += 1;
        }
    }
    assert!(tried > 100, "{tried} calls");
    // The owner's credentials still work, the attacker's do not.
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "victim@example.org", "password": "the attacker's long passphrase"})),
    );
    assert_eq!(st, 401, "{v}");
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(
            json!({"email": "attacker@example.org", "password": "the attacker's long passphrase"}),
        ),
    );
    assert_eq!(st, 401, "{v}");
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "victim@example.org", "password": password})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("mfa-required")),
        "the second factor is still required: {v}"
    );
    let t = login_recovery(&s, "victim@example.org", password, &codes[0]);
    let (_, v) = s.api("GET", "/api/v1/auth/me", Some(&t), None);
    assert_eq!(
        (
            v["email"].as_str(),
            v["role"].as_str(),
            v["mfa_enrolled"].as_bool()
        ),
        (Some("victim@example.org"), Some("user"), Some(true)),
        "{v}"
    );
    let _ = s.stop();
}

/// The matrix with sharing: an owner shares album S (holding photo X) with
/// one account of every role as a viewer, and keeps album U (holding Y)
/// unshared. Each role then calls every route on one asset or album:
/// - routes that read a shared object answer the sharee (never 401/403/5xx)
///   for X and S, and 404 for Y and U;
/// - changing an album a viewer was given is 403 `view-only` on S, 404 on U;
/// - every route on the owner's own objects (edit, trash, shares, links…)
///   answers 404 for all of them, shared or not;
/// - after the share ends, every route answers 404 for S and X too.
#[test]
fn every_role_against_shared_and_unshared_objects() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let sessions = every_role(&s);
    let admin = sessions[0].1.clone();
    let (_, owner) = new_user(&s, &admin, "owner@example.org");
    let x = upload(
        &s,
        &owner,
        "x.jpg",
        &pixelunion_media::fixtures::plain_jpeg(64, 48, 1),
    );
    let y = upload(
        &s,
        &owner,
        "y.jpg",
        &pixelunion_media::fixtures::plain_jpeg(64, 48, 2),
    );
    let album = |name: &str, id: &str| {
        let (st, v) = s.api(
            "POST",
            "/api/v1/albums",
            Some(&owner),
            Some(json!({"name": name, "asset_ids": [id]})),
        );
        assert_eq!(st, 201, "{v}");
        v["id"].as_str().unwrap().to_string()
    };
    let (shared, unshared) = (album("S", &x), album("U", &y));
    let mut share_ids = Vec::new();
    for (_, _, email) in &sessions {
        let (st, v) = s.api(
            "POST",
            &format!("/api/v1/albums/{shared}/shares"),
            Some(&owner),
            Some(json!({"email": email, "role": "viewer"})),
        );
        assert_eq!(st, 201, "{v}");
        share_ids.push(v["id"].as_str().unwrap().to_string());
    }

    let mut checked = 0;
    let mut check_all = |still_shared: bool| {
        for route in ROUTES {
            let Access::Gated(_, target) = route.access else {
                continue;
            };
            let (shared_id, unshared_id) = match target {
                Target::SharedAsset | Target::OwnAsset => (x.as_str(), y.as_str()),
                Target::SharedAlbum | Target::OwnAlbum => (shared.as_str(), unshared.as_str()),
                _ => continue,
            };
            // Leaving would end the share the rest of the checks need.
            if route.path.ends_with("/leave") {
                continue;
            }
            let body = (!matches!(route.method, "GET" | "DELETE" | "HEAD" | "OPTIONS"))
                .then(|| json!({"asset_ids": [x]}));
            for (role, token, _) in &sessions {
                for (id, is_shared) in [(shared_id, still_shared), (unshared_id, false)] {
                    let path = route.path.replace("{id}", id);
                    let (st, v) = s.api(route.method, &path, Some(token), body.clone());
                    let what = format!("{} {path} as {}: {st} {v}", route.method, role.as_str());
                    match (target, is_shared) {
                        (Target::SharedAsset, true) => {
                            let not_a_video =
                                path.ends_with("/playback") && v["error"]["code"] == "not-a-video";
                            assert!(
                                not_a_video || (!matches!(st, 401 | 403 | 404) && st < 500),
                                "{what}"
                            );
                        }
                        (Target::SharedAlbum, true) if route.method == "GET" => {
                            assert_eq!(st, 200, "{what}");
                        }
                        (Target::SharedAlbum, true) => {
                            assert_eq!(
                                (st, v["error"]["code"].as_str()),
                                (403, Some("view-only")),
                                "{what}"
                            );
                        }
                        _ => assert_eq!(st, 404, "must look absent: {what}"),
                    }
                    checked += 1;
                }
            }
        }
        // The album's items, as a timeline filter.
        for (role, token, _) in &sessions {
            let (st, v) = s.api(
                "GET",
                &format!("/api/v1/assets?album={shared}"),
                Some(token),
                None,
            );
            if still_shared {
                assert_eq!(
                    (st, v["items"][0]["id"].as_str()),
                    (200, Some(x.as_str())),
                    "{}",
                    role.as_str()
                );
            } else {
                assert_eq!(st, 404, "{}", role.as_str());
            }
            let (st, _) = s.api(
                "GET",
                &format!("/api/v1/assets?album={unshared}"),
                Some(token),
                None,
            );
            assert_eq!(st, 404, "{}", role.as_str());
        }
    };
    check_all(true);
    // Ending every share ends every access at once.
    for share in &share_ids {
        let (st, v) = s.api(
            "DELETE",
            &format!("/api/v1/albums/{shared}/shares/{share}"),
            Some(&owner),
            None,
        );
        assert_eq!(st, 200, "{v}");
    }
    check_all(false);
    assert!(checked >= 5 * 2 * 2 * 15, "checked {checked} calls");
    // The owner's photos are as they were.
    let (_, v) = s.api(
        "GET",
        &format!("/api/v1/assets?album={shared}"),
        Some(&owner),
        None,
    );
    assert_eq!(v["items"][0]["id"], x.as_str());
    let _ = s.stop();
}
