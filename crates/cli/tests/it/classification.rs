//! The data classification registry against what is really stored: canary
//! values are written through the API into every kind of confidential
//! field (file name, caption, EXIF, album name, e-mail, API token name, the
//! client's user agent, an incident's description and note, a role
//! request's reason, the address an album is shared with, a display name,
//! a public link's token), each read back through the API (so the write really
//! happened), and then the database is read column by column as its
//! registry entry says: no canary may appear in any column, and a column
//! the registry calls field ciphertext must hold nothing but field
//! ciphertext. The whole database file is scanned too.

use pixelunion_catalog::classification::REGISTRY;
use serde_json::json;

use crate::harness::*;

const NAME: &str = "NAMECANARY-3e1f";
const CAPTION: &str = "CAPTIONCANARY-77ac";
const EXIF: &str = "EXIFCANARY-51N-0E";
const ALBUM: &str = "ALBUMCANARY-c0de";
const EMAIL_LOCAL: &str = "emailcanary-9b2d";
const TOKEN_NAME: &str = "TOKENCANARY-aa41";
const AGENT: &str = "AGENTCANARY-Browser/1";
const INCIDENT: &str = "INCIDENTCANARY-5150";
const NOTE: &str = "NOTECANARY-0451";
const REASON: &str = "REASONCANARY-2b2b";
const SHARED_WITH: &str = "sharecanary-41d3";
const DISPLAY: &str = "DISPLAYCANARY-9e9e";

/// A real JPEG whose EXIF names the camera `make`.
fn exif_jpeg(make: &str) -> Vec<u8> {
    use pixelunion_media::fixtures::{ExifSpec, exif_block, jpeg_with, plain_jpeg};
    let exif = exif_block(&ExifSpec {
        make: Some(make.into()),
        gps: Some((51.5007, -0.1246)),
        ..Default::default()
    });
    jpeg_with(&plain_jpeg(64, 48, 0), Some(&exif), None, None)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_classified_field_holds_a_canary_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let email = format!("{EMAIL_LOCAL}@example.org");
    let (_, ann) = new_user(&s, &admin, &email);

    // Content and its descriptions.
    let id = upload(&s, &ann, &format!("{NAME}.jpg"), &exif_jpeg(EXIF));
    let v = settled(&s, &ann, &id);
    assert_eq!(v["file_name"], format!("{NAME}.jpg"), "{v}");
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{id}"),
        Some(&ann),
        Some(json!({"caption": CAPTION})),
    );
    assert_eq!((st, v["caption"].as_str()), (200, Some(CAPTION)), "{v}");
    let (_, v) = s.api("GET", &format!("/api/v1/assets/{id}"), Some(&ann), None);
    assert!(v.to_string().contains(EXIF), "EXIF read back: {v}");
    let (st, v) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(json!({"name": ALBUM, "asset_ids": [id]})),
    );
    assert_eq!((st, v["name"].as_str()), (201, Some(ALBUM)), "{v}");
    let album = v["id"].as_str().unwrap().to_string();

    // Sharing: the address an album is shared with, a display name, a link.
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/shares"),
        Some(&ann),
        Some(json!({"email": format!("{SHARED_WITH}@example.org"), "role": "viewer"})),
    );
    assert_eq!(st, 201, "{v}");
    assert!(v["email"].as_str().unwrap().starts_with(SHARED_WITH), "{v}");
    let (st, v) = s.api(
        "PUT",
        "/api/v1/profile",
        Some(&ann),
        Some(json!({"display_name": DISPLAY})),
    );
    assert_eq!(
        (st, v["display_name"].as_str()),
        (200, Some(DISPLAY)),
        "{v}"
    );
    let (st, v) = s.api(
        "POST",
        "/api/v1/links",
        Some(&ann),
        Some(json!({"album_id": album, "password": "a link password"})),
    );
    assert_eq!(st, 201, "{v}");
    let link_token = v["token"].as_str().unwrap().to_string();
    let (_, v) = s.api("GET", "/api/v1/links", Some(&ann), None);
    assert_eq!(
        v["items"][0]["token"].as_str(),
        Some(link_token.as_str()),
        "read back"
    );

    // Account data: the e-mail (above), a token's name, the client's agent.
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/tokens",
        Some(&ann),
        Some(json!({"name": TOKEN_NAME, "scope": "read"})),
    );
    assert_eq!((st, v["name"].as_str()), (201, Some(TOKEN_NAME)), "{v}");
    let r = s
        .call("POST", "/api/v1/auth/login")
        .header("user-agent", AGENT)
        .json(
            &json!({"email": email, "password": "a very long library passphrase", "bearer": true}),
        )
        .send();
    assert_eq!(r.status, 200);
    let (_, v) = s.api("GET", "/api/v1/auth/sessions", Some(&ann), None);
    assert!(v.to_string().contains(AGENT), "the agent read back: {v}");
    let (_, v) = s.api("GET", "/api/v1/auth/me", Some(&ann), None);
    assert_eq!(v["email"], email.as_str());
    // A failed sign-in, counted by the throttle the nodes share.
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": "not the passphrase", "bearer": true})),
    );
    assert_eq!(st, 401);

    // Staff data: an incident and its note, a role request's reason.
    let (officer_id, officer, _) = security_officer(&s, &admin, "officer@example.org");
    let (st, v) = s.api(
        "POST",
        "/api/v1/incidents",
        Some(&officer),
        Some(json!({"severity": "low", "title": INCIDENT})),
    );
    assert_eq!(st, 201, "{v}");
    let incident = v["id"].as_str().unwrap().to_string();
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/incidents/{incident}"),
        Some(&officer),
        Some(json!({"note": NOTE})),
    );
    assert_eq!(st, 200, "{v}");
    let (_, v) = s.api(
        "GET",
        &format!("/api/v1/incidents/{incident}"),
        Some(&officer),
        None,
    );
    assert!(
        v.to_string().contains(INCIDENT) && v.to_string().contains(NOTE),
        "{v}"
    );
    let (st, v) = s.api(
        "POST",
        "/api/v1/admin/role-requests",
        Some(&admin),
        Some(json!({"user_id": officer_id, "role": "support", "reason": REASON})),
    );
    assert_eq!((st, v["reason"].as_str()), (201, Some(REASON)), "{v}");

    let canaries = [
        NAME,
        CAPTION,
        EXIF,
        ALBUM,
        EMAIL_LOCAL,
        TOKEN_NAME,
        AGENT,
        INCIDENT,
        NOTE,
        REASON,
        SHARED_WITH,
        DISPLAY,
        &link_token,
    ];
    let db = Db::open(&data);
    // The throttle's keys are the keyring's blind indexes (a key id and a
    // 32-byte tag), never the client's address or the account.
    let keys = db.blobs("SELECT key FROM throttle");
    assert!(!keys.is_empty(), "the failed sign-in was counted");
    for k in &keys {
        assert_eq!(k.len(), 37, "a blind index: {k:?}");
        for plain in [&b"ip:"[..], b"acct:", b"127.0.0.1", EMAIL_LOCAL.as_bytes()] {
            assert!(!contains(k, plain), "{plain:?} in a throttle key");
        }
    }
    let mut checked = 0;
    for e in REGISTRY {
        let values = db.blobs(&format!(
            "SELECT CAST({c} AS BLOB) FROM {t} WHERE {c} IS NOT NULL",
            c = e.column,
            t = e.table
        ));
        for v in &values {
            for c in canaries {
                assert!(
                    !contains(v, c.as_bytes()),
                    "{c} in plaintext in {}.{} ({:?})",
                    e.table,
                    e.column,
                    e.protection
                );
            }
            if e.protection.is_field_ciphertext() {
                assert!(
                    pixelunion_vault::field::key_id(v).is_ok(),
                    "{}.{} is registered as field ciphertext but holds something else",
                    e.table,
                    e.column
                );
                checked += 1;
            }
        }
    }
    // Every kind of encrypted field above was written at least once.
    assert!(checked >= 12, "{checked} field ciphertexts checked");
    drop(db);
    let _ = s.stop();
    for (f, bytes) in read_files_under(&data) {
        let name = f.to_string_lossy();
        if !name.contains("catalog.sqlite") {
            continue;
        }
        for c in canaries {
            assert!(
                !contains(&bytes, c.as_bytes()),
                "{c} in plaintext in {name}"
            );
        }
    }
}
