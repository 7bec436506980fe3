//! Search on the real server: words in file names, captions, cameras and
//! years, filters, one's own library only, an edit or the trash seen by the
//! next search, nothing left after sealing, bad input refused.

use crate::harness::*;

use pixelunion_media::fixtures::{self, ExifSpec};
use serde_json::{Value, json};

fn find(s: &Server, token: &str, query: &str) -> (u16, Value) {
    s.api("GET", &format!("/api/v1/search?{query}"), Some(token), None)
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["file_name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn one_finds_ones_own_photos_by_word_camera_year_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let photo = |seed: u8, make: &str, model: &str, taken: &str| {
        let exif = fixtures::exif_block(&ExifSpec {
            make: Some(make.into()),
            model: Some(model.into()),
            taken: Some(taken.into()),
            // the beach photos were taken in Biarritz
            gps: (seed % 2 == 1).then_some((43.4832, -1.5586)),
            ..ExifSpec::default()
        });
        fixtures::jpeg_with(&fixtures::plain_jpeg(64, 48, seed), Some(&exif), None, None)
    };
    let beach = upload(
        &s,
        &ann,
        "beach-biarritz.jpg",
        &photo(1, "Canon", "Canon EOS R5", "2019:07:21 10:00:00"),
    );
    let rome = upload(
        &s,
        &ann,
        "IMG_0002.jpg",
        &photo(2, "NIKON CORPORATION", "NIKON D700", "2015:05:01 12:00:00"),
    );
    let old = upload(
        &s,
        &ann,
        "IMG_0003.jpg",
        &photo(3, "NIKON CORPORATION", "NIKON D700", "2019:01:02 12:00:00"),
    );
    let bobs = upload(
        &s,
        &bob,
        "beach-bob.jpg",
        &photo(4, "Canon", "Canon EOS R5", "2019:07:22 10:00:00"),
    );
    for (t, id) in [(&ann, &beach), (&ann, &rome), (&ann, &old), (&bob, &bobs)] {
        assert_eq!(settled(&s, t, id)["media"]["state"], "ready");
    }
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{rome}"),
        Some(&ann),
        Some(json!({"caption": "Colosseum at noon"})),
    );
    assert_eq!(st, 200, "{v}");

    let (st, v) = find(&s, &ann, "q=BEACH");
    assert_eq!(st, 200, "{v}");
    assert_eq!(names(&v), ["beach-biarritz.jpg"], "only one's own: {v}");
    assert_eq!(v["total"], 1);
    let (_, v) = find(&s, &ann, "q=colosseum");
    assert_eq!(names(&v), ["IMG_0002.jpg"], "captions: {v}");
    let (_, v) = find(&s, &ann, "q=2019");
    assert_eq!(
        names(&v),
        ["beach-biarritz.jpg", "IMG_0003.jpg"],
        "years, newest first: {v}"
    );
    let (_, v) = find(&s, &ann, "q=nikon%202019");
    assert_eq!(names(&v), ["IMG_0003.jpg"], "every word: {v}");
    let (_, v) = find(&s, &ann, "camera=d700&from=2015-01-01&to=2016-01-01");
    assert_eq!(names(&v), ["IMG_0002.jpg"], "camera and time: {v}");
    let (_, v) = find(&s, &ann, "q=img&limit=1");
    assert_eq!((names(&v).len(), v["total"].as_u64()), (1, Some(2)), "{v}");
    let (_, v) = find(&s, &ann, "kind=video");
    assert_eq!(v["total"], 0);
    let (_, v) = find(&s, &bob, "q=colosseum");
    assert_eq!(v["total"], 0, "another's caption is not searched: {v}");

    let (st, sug) = s.api("GET", "/api/v1/search/suggestions", Some(&ann), None);
    assert_eq!(st, 200);
    assert_eq!(
        sug,
        json!({
            "cameras": ["NIKON CORPORATION NIKON D700", "Canon EOS R5"],
            "places": ["Biarritz, Aquitaine, France"],
            "years": [2019, 2015]
        })
    );
    // Places, named offline from the built-in list.
    let (_, v) = find(&s, &ann, "q=biarritz%202019");
    assert_eq!(names(&v), ["beach-biarritz.jpg", "IMG_0003.jpg"], "{v}");
    let (_, v) = find(&s, &ann, "place=FRANCE&camera=canon");
    assert_eq!(names(&v), ["beach-biarritz.jpg"], "{v}");
    let (_, v) = find(&s, &ann, "place=italy");
    assert_eq!(v["total"], 0, "{v}");
    // Within an album of one's own; another's album is not found.
    let (st, al) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(json!({"name": "Summer", "asset_ids": [old]})),
    );
    assert_eq!(st, 201, "{al}");
    let (_, v) = find(
        &s,
        &ann,
        &format!("q=biarritz&album={}", al["id"].as_str().unwrap()),
    );
    assert_eq!(names(&v), ["IMG_0003.jpg"], "{v}");
    let (st, v) = find(&s, &bob, &format!("album={}", al["id"].as_str().unwrap()));
    assert_eq!(st, 404, "{v}");
    // An album's name finds its items; a rename is seen by the next search.
    let (_, v) = find(&s, &ann, "q=summer");
    assert_eq!(names(&v), ["IMG_0003.jpg"], "{v}");
    let (st, _) = s.api(
        "PATCH",
        &format!("/api/v1/albums/{}", al["id"].as_str().unwrap()),
        Some(&ann),
        Some(json!({"name": "Winter"})),
    );
    assert_eq!(st, 200);
    let (_, v) = find(&s, &ann, "q=summer");
    assert_eq!(v["total"], 0, "{v}");
    let (_, v) = find(&s, &ann, "q=winter%202019");
    assert_eq!(names(&v), ["IMG_0003.jpg"], "{v}");

    // What changes is seen by the next search.
    let (st, _) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{old}"),
        Some(&ann),
        Some(json!({"caption": "Snow in Rome"})),
    );
    assert_eq!(st, 200);
    let (_, v) = find(&s, &ann, "q=rome");
    assert_eq!(names(&v), ["IMG_0003.jpg"], "{v}");
    let (st, v) = s.api("DELETE", &format!("/api/v1/assets/{old}"), Some(&ann), None);
    assert_eq!(st, 200, "{v}");
    let (_, v) = find(&s, &ann, "q=rome");
    assert_eq!(v["total"], 0, "the trash is not searched: {v}");

    // Bad input: a clear refusal.
    for (q, status, code) in [
        (format!("q={}", "a".repeat(201)), 400, "query-too-long"),
        ("limit=0".into(), 400, "bad-limit"),
        ("limit=201".into(), 400, "bad-limit"),
        ("kind=sound".into(), 400, "bad-kind"),
        ("from=tomorrowish".into(), 422, "bad-time"),
    ] {
        let (st, v) = find(&s, &ann, &q);
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{q}: {v}"
        );
    }
    // Administrators search their own library, never someone else's.
    let (st, v) = find(&s, &admin, "q=beach");
    assert_eq!((st, v["total"].as_u64()), (200, Some(0)), "{v}");

    // Sealed: nothing to search with, and nothing kept.
    let out = s.cli(&data, "seal", "");
    assert!(out.status.success(), "{out:?}");
    let (st, _) = find(&s, &ann, "q=beach");
    assert_eq!(st, 503);
}
