//! Sharing on the real binary: albums shared between accounts (viewer and
//! contributor, shares to addresses without an account, immediate ends),
//! and public links (token, password and its throttle, expiry, revocation,
//! views, and files served without their metadata).

use crate::harness::*;

use pixelunion_media::fixtures::{ExifSpec, exif_block, jpeg_with, plain_jpeg};
use serde_json::{Value, json};

/// A JPEG whose EXIF names a camera and a place.
fn gps_jpeg(seed: u8) -> Vec<u8> {
    let exif = exif_block(&ExifSpec {
        make: Some("CANARYMAKE".into()),
        model: Some("CANARYMODEL".into()),
        taken: Some("2019:07:14 10:00:00".into()),
        gps: Some((48.8584, 2.2945)),
        ..ExifSpec::default()
    });
    jpeg_with(
        &plain_jpeg(320, 240, seed),
        Some(&exif),
        Some("<x:xmpmeta>XMPCANARY</x:xmpmeta>"),
        None,
    )
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn albums_shared_between_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let (_, cat) = new_user(&s, &admin, "cat@example.org");
    let (st, v) = s.api(
        "PUT",
        "/api/v1/profile",
        Some(&ann),
        Some(json!({"display_name": "Ann Smith"})),
    );
    assert_eq!((st, v["display_name"].as_str()), (200, Some("Ann Smith")));

    let x = upload(&s, &ann, "beach.jpg", &gps_jpeg(1));
    let y = upload(&s, &ann, "private.jpg", &gps_jpeg(2));
    settled(&s, &ann, &x);
    let (_, v) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(json!({"name": "Holidays", "asset_ids": [x]})),
    );
    let album = v["id"].as_str().unwrap().to_string();
    let share = |who: &str, role: &str| {
        s.api(
            "POST",
            &format!("/api/v1/albums/{album}/shares"),
            Some(&ann),
            Some(json!({"email": who, "role": role})),
        )
    };

    // Before any share, Bob sees nothing of it.
    let (st, _) = s.api("GET", &format!("/api/v1/albums/{album}"), Some(&bob), None);
    assert_eq!(st, 404);
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/assets/{x}/thumbnail"),
            Some(&bob),
            None
        )
        .0,
        404
    );

    // A share to an account and one to an address without an account look
    // the same.
    let (st, to_bob) = share("Bob@Example.org", "viewer");
    assert_eq!(st, 201, "{to_bob}");
    let (st, to_dan) = share("dan@example.org", "viewer");
    assert_eq!(st, 201, "{to_dan}");
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&to_bob), keys(&to_dan));
    assert_eq!(to_bob["email"], "bob@example.org");
    assert_eq!(to_bob["role"], "viewer");
    // Bad input: not an address, one's own album, unknown role; nothing changes.
    for (body, code) in [
        (json!({"email": "not an address", "role": "viewer"}), 422),
        (json!({"email": "ann@example.org", "role": "viewer"}), 422),
        (json!({"email": "cat@example.org", "role": "owner"}), 400),
    ] {
        let (st, v) = s.api(
            "POST",
            &format!("/api/v1/albums/{album}/shares"),
            Some(&ann),
            Some(body),
        );
        assert_eq!(st, code, "{v}");
    }
    // Someone else's album: 404 whatever the body.
    let (st, _) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/shares"),
        Some(&bob),
        Some(json!({"email": "cat@example.org", "role": "viewer"})),
    );
    assert_eq!(st, 404);
    let (_, v) = s.api(
        "GET",
        &format!("/api/v1/albums/{album}/shares"),
        Some(&ann),
        None,
    );
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "{v}");

    // Bob sees it, marked as shared with Ann's name, and its photo.
    let (_, v) = s.api("GET", "/api/v1/shared/albums", Some(&bob), None);
    assert_eq!(ids(&v), [album.as_str()], "{v}");
    let al = &v["items"][0];
    assert_eq!(
        (
            al["name"].as_str(),
            al["role"].as_str(),
            al["owner_name"].as_str()
        ),
        (Some("Holidays"), Some("viewer"), Some("Ann Smith"))
    );
    assert_eq!(
        s.api("GET", "/api/v1/albums", Some(&bob), None).1["items"],
        json!([])
    );
    let (_, v) = s.api(
        "GET",
        &format!("/api/v1/assets?album={album}"),
        Some(&bob),
        None,
    );
    assert_eq!(ids(&v), [x.as_str()]);
    assert_eq!(v["items"][0]["owner"], "Ann Smith");
    assert_eq!(v["items"][0]["file_name"], "beach.jpg");
    let r = s
        .call("GET", &format!("/api/v1/assets/{x}/thumbnail"))
        .bearer(&bob)
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("private, no-cache"));
    let (st, _) = s.api(
        "GET",
        &format!("/api/v1/assets/{x}/original"),
        Some(&bob),
        None,
    );
    assert_eq!(st, 200);
    // Not what is outside the album, and nothing a viewer may change.
    for (m, p, body) in [
        ("GET", format!("/api/v1/assets/{y}"), None),
        ("GET", format!("/api/v1/assets/{y}/thumbnail"), None),
        (
            "PATCH",
            format!("/api/v1/assets/{x}"),
            Some(json!({"favorite": true})),
        ),
        ("DELETE", format!("/api/v1/assets/{x}"), None),
        (
            "PATCH",
            format!("/api/v1/albums/{album}"),
            Some(json!({"name": "mine"})),
        ),
        ("DELETE", format!("/api/v1/albums/{album}"), None),
        ("GET", format!("/api/v1/albums/{album}/shares"), None),
    ] {
        let (st, v) = s.api(m, &p, Some(&bob), body);
        assert_eq!(st, 404, "{m} {p}: {v}");
    }
    let bob_photo = upload(&s, &bob, "bob.jpg", &plain_jpeg(64, 48, 9));
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/assets"),
        Some(&bob),
        Some(json!({"asset_ids": [bob_photo]})),
    );
    assert_eq!((st, v["error"]["code"].as_str()), (403, Some("view-only")));

    // As a contributor Bob adds his own photo (it stays his), never Ann's
    // other one or Cat's, and takes out only his own.
    let (st, v) = share("bob@example.org", "contributor");
    assert_eq!(
        (st, v["id"].as_str()),
        (201, to_bob["id"].as_str()),
        "same share"
    );
    let cat_photo = upload(&s, &cat, "cat.jpg", &plain_jpeg(64, 48, 10));
    for other in [&y, &cat_photo] {
        let (st, v) = s.api(
            "POST",
            &format!("/api/v1/albums/{album}/assets"),
            Some(&bob),
            Some(json!({"asset_ids": [bob_photo, other]})),
        );
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (422, Some("not-your-asset")),
            "{v}"
        );
    }
    let (_, v) = s.api("GET", &format!("/api/v1/albums/{album}"), Some(&ann), None);
    assert_eq!(v["asset_count"], 1, "nothing was added: {v}");
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/assets"),
        Some(&bob),
        Some(json!({"asset_ids": [bob_photo]})),
    );
    assert_eq!((st, v["changed"].as_u64()), (200, Some(1)), "{v}");
    let (_, v) = s.api(
        "GET",
        &format!("/api/v1/assets?album={album}"),
        Some(&ann),
        None,
    );
    let mut got = ids(&v);
    got.sort();
    let mut want = vec![x.clone(), bob_photo.clone()];
    want.sort();
    assert_eq!(got, want, "Ann sees Bob's photo in her album");
    let bobs = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == bob_photo.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        bobs["owner"], "bob@example.org",
        "no display name: the address"
    );
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/assets/{bob_photo}/preview"),
            Some(&ann),
            None
        )
        .0,
        200
    );
    assert_eq!(
        s.api(
            "PATCH",
            &format!("/api/v1/assets/{bob_photo}"),
            Some(&ann),
            Some(json!({"caption": "mine now"}))
        )
        .0,
        404,
        "a contributor's item stays theirs"
    );
    let (_, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/remove"),
        Some(&bob),
        Some(json!({"asset_ids": [x]})),
    );
    assert_eq!(
        v["changed"], 0,
        "a contributor cannot take out the owner's items"
    );
    // Bob's own library is unchanged by any of it.
    let (_, v) = s.api("GET", "/api/v1/assets", Some(&bob), None);
    assert_eq!(ids(&v), [bob_photo.as_str()]);

    // Ann trashes her photo: nobody else sees it any more.
    assert_eq!(
        s.api("DELETE", &format!("/api/v1/assets/{x}"), Some(&ann), None)
            .0,
        200
    );
    assert_eq!(
        s.api("GET", &format!("/api/v1/assets/{x}"), Some(&bob), None)
            .0,
        404
    );
    assert_eq!(
        s.api(
            "POST",
            &format!("/api/v1/assets/{x}/restore"),
            Some(&ann),
            None
        )
        .0,
        200
    );
    assert_eq!(
        s.api("GET", &format!("/api/v1/assets/{x}"), Some(&bob), None)
            .0,
        200
    );

    // An account made later with Dan's address receives the share.
    let (_, dan) = new_user(&s, &admin, "dan@example.org");
    let (_, v) = s.api("GET", "/api/v1/shared/albums", Some(&dan), None);
    assert_eq!(ids(&v), [album.as_str()], "{v}");

    // Ending Bob's share is immediate; his photo leaves the album (it stays his).
    let (st, _) = s.api(
        "DELETE",
        &format!(
            "/api/v1/albums/{album}/shares/{}",
            to_bob["id"].as_str().unwrap()
        ),
        Some(&ann),
        None,
    );
    assert_eq!(st, 200);
    for p in [
        format!("/api/v1/albums/{album}"),
        format!("/api/v1/assets/{x}"),
        format!("/api/v1/assets/{x}/thumbnail"),
        format!("/api/v1/assets/{x}/original"),
        format!("/api/v1/assets?album={album}"),
    ] {
        assert_eq!(s.api("GET", &p, Some(&bob), None).0, 404, "{p}");
    }
    let (_, v) = s.api(
        "GET",
        &format!("/api/v1/assets?album={album}"),
        Some(&ann),
        None,
    );
    assert_eq!(ids(&v), [x.as_str()]);
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/assets/{bob_photo}"),
            Some(&bob),
            None
        )
        .0,
        200
    );
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/assets/{bob_photo}"),
            Some(&ann),
            None
        )
        .0,
        404
    );

    // Dan leaves; an owner cannot "leave" their own album.
    assert_eq!(
        s.api(
            "POST",
            &format!("/api/v1/albums/{album}/leave"),
            Some(&dan),
            None
        )
        .0,
        200
    );
    assert_eq!(
        s.api("GET", &format!("/api/v1/albums/{album}"), Some(&dan), None)
            .0,
        404
    );
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/leave"),
        Some(&ann),
        None,
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("bad-share")),
        "{v}"
    );
    let (_, v) = s.api(
        "GET",
        &format!("/api/v1/albums/{album}/shares"),
        Some(&ann),
        None,
    );
    assert_eq!(v["items"], json!([]), "{v}");
    let _ = s.stop();
}

/// Opens link `token` (with `password`): `(status, body, session cookie)`.
fn open(s: &Server, token: &str, password: Option<&str>) -> (u16, Value, Option<String>) {
    let mut body = json!({ "token": token });
    if let Some(p) = password {
        body["password"] = json!(p);
    }
    let r = s.call("POST", "/api/v1/public/open").json(&body).send();
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .map(str::to_string);
    (r.status, r.json(), cookie)
}

/// A GET with a link session cookie: `(status, headers, body)`.
fn with_cookie(s: &Server, cookie: &str, path: &str) -> Reply {
    s.call("GET", path).header("cookie", cookie).send()
}

#[test]
fn public_links_open_without_an_account_and_strip_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let photo = gps_jpeg(3);
    let x = upload(&s, &ann, "CANARYNAME.jpg", &photo);
    let y = upload(&s, &ann, "other.jpg", &gps_jpeg(4));
    settled(&s, &ann, &x);
    settled(&s, &ann, &y);
    let (_, v) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(json!({"name": "CANARYALBUM", "asset_ids": [x]})),
    );
    let album = v["id"].as_str().unwrap().to_string();

    // Bad input changes nothing.
    let bob_photo = upload(&s, &bob, "bob.jpg", &plain_jpeg(64, 48, 5));
    for (body, st_code) in [
        (json!({}), (422, "bad-link")),
        (
            json!({"album_id": album, "asset_ids": [x]}),
            (422, "bad-link"),
        ),
        (
            json!({"asset_ids": [x, bob_photo]}),
            (422, "not-your-asset"),
        ),
        (
            json!({"album_id": album, "expires_at": 1000}),
            (422, "bad-link"),
        ),
        (
            json!({"album_id": album, "password": "short"}),
            (422, "bad-link"),
        ),
    ] {
        let (st, v) = s.api("POST", "/api/v1/links", Some(&ann), Some(body.clone()));
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (st_code.0, Some(st_code.1)),
            "{body}: {v}"
        );
    }
    assert_eq!(
        s.api(
            "POST",
            "/api/v1/links",
            Some(&bob),
            Some(json!({"album_id": album}))
        )
        .0,
        404,
        "someone else's album"
    );
    assert_eq!(
        s.api("GET", "/api/v1/links", Some(&ann), None).1["items"],
        json!([])
    );

    // An album link, metadata stripped (the default), downloads allowed.
    let (st, link) = s.api(
        "POST",
        "/api/v1/links",
        Some(&ann),
        Some(json!({"album_id": album, "allow_download": true})),
    );
    assert_eq!(st, 201, "{link}");
    let token = link["token"].as_str().unwrap().to_string();
    assert!(
        token.len() >= 26
            && token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "at least 128 bits, letters and digits only: {token}"
    );
    let id = link["id"].as_str().unwrap().to_string();
    let (st, info, cookie) = open(&s, &token, None);
    assert_eq!(st, 200, "{info}");
    let cookie = cookie.expect("a session cookie");
    assert_eq!(
        (info["item_count"].as_i64(), info["title"].clone()),
        (Some(1), Value::Null)
    );
    let r = with_cookie(&s, &cookie, &format!("/api/v1/public/{id}/items"));
    assert_eq!(r.status, 200);
    assert!(r.header("x-robots-tag").unwrap().contains("noindex"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    let page = r.json();
    assert_eq!(ids(&page), [x.as_str()]);
    let text = page.to_string();
    assert!(
        !text.contains("CANARY") && page["items"][0]["taken_at"].is_null(),
        "{text}"
    );
    // Thumbnail, preview and the download carry no metadata and no name.
    for kind in ["thumbnail", "preview", "original"] {
        let r = with_cookie(
            &s,
            &cookie,
            &format!("/api/v1/public/{id}/assets/{x}/{kind}"),
        );
        assert_eq!(r.status, 200, "{kind}: {}", r.text());
        assert!(r.header("x-robots-tag").is_some(), "{kind}");
        for canary in [&b"CANARY"[..], b"Exif\0\0", b"XMPCANARY"] {
            assert!(
                !contains(&r.body, canary),
                "{kind} carries {:?}",
                String::from_utf8_lossy(canary)
            );
        }
        let m = pixelunion_media::metadata::extract(&r.body);
        assert!(m.latitude.is_none() && m.longitude.is_none(), "{kind}: GPS");
        assert!(
            image::load_from_memory(&r.body).is_ok(),
            "{kind} still a picture"
        );
        if kind == "original" {
            let d = r.header("content-disposition").unwrap();
            assert!(!d.contains("CANARY"), "{d}");
            assert!(r.body.len() < photo.len() && r.body.len() > photo.len() / 2);
        }
    }
    // Only the link's items, and nothing without its session.
    assert_eq!(
        with_cookie(
            &s,
            &cookie,
            &format!("/api/v1/public/{id}/assets/{y}/thumbnail")
        )
        .status,
        404
    );
    assert_eq!(
        s.call("GET", &format!("/api/v1/public/{id}/items"))
            .send()
            .status,
        404
    );
    let forged = format!("pu_link={}.AAAA", 4_102_444_800_000i64);
    assert_eq!(
        with_cookie(&s, &forged, &format!("/api/v1/public/{id}/items")).status,
        404
    );

    // A selection link that keeps metadata serves the original as uploaded.
    let (_, keep) = s.api(
        "POST",
        "/api/v1/links",
        Some(&ann),
        Some(json!({"asset_ids": [x], "keep_metadata": true, "allow_download": true})),
    );
    let (st, info, kc) = open(&s, keep["token"].as_str().unwrap(), None);
    assert_eq!(st, 200);
    assert_eq!(info["owner_name"], "ann@example.org");
    let kid = keep["id"].as_str().unwrap();
    let kc = kc.unwrap();
    let r = with_cookie(
        &s,
        &kc,
        &format!("/api/v1/public/{kid}/assets/{x}/original"),
    );
    assert_eq!((r.status, r.body == photo), (200, true));
    assert!(
        r.header("content-disposition")
            .unwrap()
            .contains("CANARYNAME.jpg")
    );
    // One link's session does not open another link.
    assert_eq!(
        with_cookie(&s, &kc, &format!("/api/v1/public/{id}/items")).status,
        404
    );

    // No downloads: previews only.
    let (_, view_only) = s.api(
        "POST",
        "/api/v1/links",
        Some(&ann),
        Some(json!({"asset_ids": [y]})),
    );
    let (_, _, vc) = open(&s, view_only["token"].as_str().unwrap(), None);
    let vid = view_only["id"].as_str().unwrap();
    let vc = vc.unwrap();
    let r = with_cookie(
        &s,
        &vc,
        &format!("/api/v1/public/{vid}/assets/{y}/original"),
    );
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (403, Some("no-download"))
    );
    assert_eq!(
        with_cookie(&s, &vc, &format!("/api/v1/public/{vid}/assets/{y}/preview")).status,
        200
    );

    // A password: asked for; a wrong one answers like a wrong token.
    let (_, locked) = s.api(
        "POST",
        "/api/v1/links",
        Some(&ann),
        Some(json!({"album_id": album, "password": "correct horse battery"})),
    );
    let lt = locked["token"].as_str().unwrap().to_string();
    assert_eq!(locked["has_password"], true);
    let (st, v, c) = open(&s, &lt, None);
    assert_eq!(
        (st, v["error"]["code"].as_str(), c),
        (401, Some("password-needed"), None)
    );
    let (st, wrong_pw, _) = open(&s, &lt, Some("wrong password"));
    let (st2, wrong_token, _) = open(&s, &"a".repeat(39), None);
    assert_eq!((st, st2), (404, 404));
    assert_eq!(wrong_pw, wrong_token, "the same answer");
    let (st, _, c) = open(&s, &lt, Some("correct horse battery"));
    assert_eq!(st, 200);
    assert!(c.is_some());
    // Views are counted; revoking ends the link and its sessions at once.
    let (_, v) = s.api("GET", "/api/v1/links", Some(&ann), None);
    let listed = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (listed["views"].as_i64(), listed["token"].as_str()),
        (Some(1), Some(token.as_str()))
    );
    assert_eq!(listed["item_count"], 1);
    assert_eq!(
        s.api("DELETE", &format!("/api/v1/links/{id}"), Some(&bob), None)
            .0,
        404
    );
    assert_eq!(
        s.api("DELETE", &format!("/api/v1/links/{id}"), Some(&ann), None)
            .0,
        200
    );
    assert_eq!(
        with_cookie(&s, &cookie, &format!("/api/v1/public/{id}/items")).status,
        404
    );
    let (st, v, _) = open(&s, &token, None);
    assert_eq!((st, v), (404, wrong_token.clone()), "revoked = unknown");

    // An expired link is unknown too.
    let soon = now_secs() as i64 * 1000 + 1500;
    let (st, short) = s.api(
        "POST",
        "/api/v1/links",
        Some(&ann),
        Some(json!({"album_id": album, "expires_at": soon})),
    );
    assert_eq!(st, 201, "{short}");
    let (st, _, sc) = open(&s, short["token"].as_str().unwrap(), None);
    assert_eq!(st, 200);
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let sid = short["id"].as_str().unwrap();
    assert_eq!(
        with_cookie(&s, &sc.unwrap(), &format!("/api/v1/public/{sid}/items")).status,
        404
    );
    assert_eq!(open(&s, short["token"].as_str().unwrap(), None).0, 404);

    // Failures are throttled per client address and per link.
    let mut throttled = false;
    for _ in 0..8 {
        let (st, v, _) = open(&s, &lt, Some("still wrong"));
        if st == 429 {
            assert_eq!(v["error"]["code"], "too-many-attempts");
            throttled = true;
            break;
        }
        assert_eq!(st, 404);
    }
    assert!(throttled, "wrong passwords are throttled");

    // The server's log never holds a token.
    let log = s.log();
    for t in [&token, &lt] {
        assert!(!log.contains(t.as_str()), "a token in the log");
    }
    let _ = s.stop();
}

#[test]
fn a_linked_video_plays_without_its_place_and_dates() {
    if !media_tools("a_linked_video_plays_without_its_place_and_dates") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let made = dir.path().join("v.mp4");
    make_video(
        &made,
        "320x240",
        2,
        false,
        true,
        &[
            "-metadata",
            "creation_time=2021-07-14T16:30:00Z",
            "-metadata",
            "location=+48.8584+002.2945/",
            "-metadata",
            "title=CANARYTITLE",
        ],
    );
    let video = std::fs::read(&made).unwrap();
    let tags = |path: &std::path::Path| {
        let out = std::process::Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format_tags:stream=codec_type",
                "-of",
                "json",
            ])
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // ffmpeg stores the place as a binary `loci` box.
    let before = tags(&made);
    assert!(
        before.contains("+48.8584+002.2945")
            && before.contains("2021-07-14")
            && contains(&video, b"loci"),
        "the fixture has a place and a date: {before}"
    );
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let v = upload(&s, &ann, "trip.mp4", &video);
    settled(&s, &ann, &v);
    let (_, link) = s.api(
        "POST",
        "/api/v1/links",
        Some(&ann),
        Some(json!({"asset_ids": [v], "allow_download": true})),
    );
    let id = link["id"].as_str().unwrap();
    let (_, _, c) = open(&s, link["token"].as_str().unwrap(), None);
    let c = c.unwrap();
    for kind in ["playback", "original"] {
        let r = with_cookie(&s, &c, &format!("/api/v1/public/{id}/assets/{v}/{kind}"));
        assert_eq!(r.status, 200, "{kind}: {}", r.text());
        assert_eq!(
            r.body.len(),
            video.len(),
            "{kind}: same length, same offsets"
        );
        assert!(!contains(&r.body, b"loci"), "{kind}: the place");
        assert!(!contains(&r.body, b"CANARYTITLE"), "{kind}: the title");
        // Still a video ffprobe reads, with no place or creation time left.
        let out = dir.path().join(format!("{kind}.mp4"));
        std::fs::write(&out, &r.body).unwrap();
        let report = tags(&out);
        assert!(
            report.contains("\"video\"") && report.contains("\"audio\""),
            "{report}"
        );
        assert!(
            !report.contains("2021-07-14") && !report.contains("location"),
            "{report}"
        );
        // A range is the same bytes as the whole file's.
        let r2 = s
            .call("GET", &format!("/api/v1/public/{id}/assets/{v}/{kind}"))
            .header("cookie", &c)
            .header("range", "bytes=20-4000")
            .send();
        assert_eq!(r2.status, 206);
        assert_eq!(r2.body, r.body[20..=4000]);
    }
    let _ = s.stop();
}
