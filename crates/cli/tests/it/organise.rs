//! Organising a library on the real binary: the bulk "which do you have"
//! check, favourites, archive, captions, timeline filters, per-month counts,
//! usage and quotas, albums, batch actions, restore and emptying the trash —
//! with replication of every blob to the backup store and the primary blob
//! of an emptied item deleted by the job queue.

use crate::harness::*;

use serde_json::{Value, json};

fn sha256_hex(b: &[u8]) -> String {
    pixelunion_vault::sha256(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn jpeg(seed: u8, len: usize) -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, seed,
    ];
    v.extend((0..len).map(|i| (i as u8).wrapping_mul(seed)));
    v
}

fn mp4(seed: u8, len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    v.extend((0..len).map(|i| (i as u8) ^ seed));
    v
}

/// Uploads in one request; `(status, answer)`.
fn send(s: &Server, token: &str, name: &str, bytes: &[u8]) -> (u16, Value) {
    let r = s
        .call("POST", "/api/v1/assets")
        .bearer(token)
        .header("x-file-name", name)
        .bytes(bytes.to_vec())
        .send();
    (r.status, r.json())
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn blob_count(data: &std::path::Path, store: &str) -> usize {
    let d = data.join("blobs").join(store);
    if !d.exists() {
        return 0;
    }
    store_objects(&d).len()
}

#[test]
fn filters_months_albums_trash_quota_and_replication() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    let t = Some(ann.as_str());

    let (p1b, p2b, vb) = (jpeg(1, 3000), jpeg(2, 4000), mp4(3, 5000));
    let (st, v) = send(&s, &ann, "p1.jpg", &p1b);
    assert_eq!(st, 201, "{v}");
    let p1 = v["asset"]["id"].as_str().unwrap().to_string();
    let (_, v) = send(&s, &ann, "p2.jpg", &p2b);
    let p2 = v["asset"]["id"].as_str().unwrap().to_string();
    let (_, v) = send(&s, &ann, "clip.mp4", &vb);
    assert_eq!(v["asset"]["kind"], "video", "{v}");
    let vid = v["asset"]["id"].as_str().unwrap().to_string();

    // Which of these do I have?
    let unknown = sha256_hex(b"never uploaded");
    let (st, v) = s.api(
        "POST",
        "/api/v1/assets/exists",
        t,
        Some(json!({"sha256": [sha256_hex(&p1b), unknown, sha256_hex(&vb).to_uppercase()]})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["existing"][sha256_hex(&p1b)], json!(p1));
    assert_eq!(v["existing"][sha256_hex(&vb)], json!(vid));
    assert!(v["existing"].get(&unknown).is_none());
    let (st, v) = s.api(
        "POST",
        "/api/v1/assets/exists",
        t,
        Some(json!({"sha256": ["abc"]})),
    );
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("bad-hash")));

    // Favourite, archive, caption.
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{p1}"),
        t,
        Some(json!({"favorite": true, "caption": "  at the lake "})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["favorite"].as_bool(), v["caption"].as_str()),
        (Some(true), Some("at the lake"))
    );
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{p2}"),
        t,
        Some(json!({"archived": true})),
    );
    assert_eq!((st, v["archived"].as_bool()), (200, Some(true)), "{v}");
    let (st, _) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{p2}"),
        t,
        Some(json!({"favorite": "yes"})),
    );
    assert_eq!(st, 400);
    let (_, v) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{p1}"),
        t,
        Some(json!({"caption": null})),
    );
    assert_eq!(
        (v["caption"].clone(), v["favorite"].as_bool()),
        (Value::Null, Some(true)),
        "{v}"
    );

    // Filters: archived items leave the main timeline.
    let list = |q: &str| {
        let (st, v) = s.api("GET", &format!("/api/v1/assets{q}"), t, None);
        assert_eq!(st, 200, "{q}: {v}");
        ids(&v)
    };
    assert_eq!(list(""), [vid.as_str(), p1.as_str()]);
    assert_eq!(list("?archived=true"), [p2.as_str()]);
    assert_eq!(list("?favorite=true"), [p1.as_str()]);
    assert_eq!(list("?kind=video"), [vid.as_str()]);
    assert_eq!(list("?kind=photo&archived=false"), [p1.as_str()]);
    assert!(list("?from=2999-01-01").is_empty());
    assert!(list("?to=2000-01-01T00:00:00Z").is_empty());
    assert_eq!(list("?from=2000-01-01").len(), 2);
    // Malformed parameters are 400; a well-formed time that is not one is 422.
    for (bad, status) in [
        ("?kind=pdf", 400),
        ("?from=yesterday", 422),
        ("?limit=0", 400),
        ("?favorite=maybe", 400),
    ] {
        assert_eq!(
            s.api("GET", &format!("/api/v1/assets{bad}"), t, None).0,
            status,
            "{bad}"
        );
    }

    // Month counts (kept by triggers).
    let (_, v) = s.api("GET", "/api/v1/library/months", t, None);
    let months = v["months"].as_array().unwrap().clone();
    assert_eq!(months.len(), 1, "{v}");
    assert_eq!(months[0]["count"], 2);
    assert_eq!(months[0]["month"].as_str().map(str::len), Some(7));
    let (_, v) = s.api("GET", "/api/v1/library/months?archived=true", t, None);
    assert_eq!(v["months"][0]["count"], 1, "{v}");
    let (_, v) = s.api("GET", "/api/v1/library/months?kind=video", t, None);
    assert_eq!(v["months"][0]["count"], 1, "{v}");

    // Usage.
    let (_, v) = s.api("GET", "/api/v1/library/usage", t, None);
    let total = (p1b.len() + p2b.len() + vb.len()) as i64;
    assert_eq!(
        (
            v["bytes"].as_i64(),
            v["assets"].as_i64(),
            v["quota_bytes"].clone()
        ),
        (Some(total), Some(3), Value::Null),
        "{v}"
    );

    // Albums.
    let (st, v) = s.api(
        "POST",
        "/api/v1/albums",
        t,
        Some(json!({"name": "Summer", "asset_ids": [p1, vid]})),
    );
    assert_eq!(st, 201, "{v}");
    let album = v["id"].as_str().unwrap().to_string();
    assert_eq!(
        (v["name"].as_str(), v["asset_count"].as_i64()),
        (Some("Summer"), Some(2))
    );
    assert_eq!(
        s.api("POST", "/api/v1/albums", t, Some(json!({"name": "  "})))
            .0,
        422
    );
    assert_eq!(list(&format!("?album={album}")), [vid.clone(), p1.clone()]);
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/albums/{album}"),
        t,
        Some(json!({"name": "Summer '26", "cover_asset_id": p1})),
    );
    assert_eq!(
        (st, v["cover_asset_id"].as_str(), v["name"].as_str()),
        (200, Some(p1.as_str()), Some("Summer '26")),
        "{v}"
    );
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/albums/{album}"),
        t,
        Some(json!({"cover_asset_id": p2})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("not-in-album"))
    );
    // All or none: an id that is not one of the caller's changes nothing.
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/assets"),
        t,
        Some(json!({"asset_ids": [p2, "not-an-id"]})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("not-your-asset")),
        "{v}"
    );
    assert_eq!(list(&format!("?album={album}")).len(), 2, "nothing added");
    let (_, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/assets"),
        t,
        Some(json!({"asset_ids": [p2]})),
    );
    assert_eq!(v["changed"], 1);
    assert_eq!(
        list(&format!("?album={album}")).len(),
        3,
        "archived items show in albums"
    );
    let (_, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/remove"),
        t,
        Some(json!({"asset_ids": [p1]})),
    );
    assert_eq!(v["changed"], 1);
    let (_, v) = s.api("GET", &format!("/api/v1/albums/{album}"), t, None);
    assert_eq!(
        (v["asset_count"].as_i64(), v["cover_asset_id"].clone()),
        (Some(2), Value::Null),
        "removing the cover clears it"
    );
    let (_, v) = s.api("GET", "/api/v1/albums", t, None);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/assets?album={}", uuid_like()),
            t,
            None
        )
        .0,
        404
    );

    // Batch, restore, trash counts.
    let (_, v) = s.api(
        "POST",
        "/api/v1/assets/batch",
        t,
        Some(json!({"ids": [p1, vid, "zzz"], "action": "trash"})),
    );
    assert_eq!(v["changed"], 2, "{v}");
    assert_eq!(
        s.api(
            "POST",
            "/api/v1/assets/batch",
            t,
            Some(json!({"ids": [], "action": "explode"}))
        )
        .0,
        400
    );
    assert_eq!(list("?trashed=true").len(), 2);
    assert!(list("").is_empty());
    let (_, v) = s.api("GET", "/api/v1/library/months", t, None);
    assert!(
        v["months"].as_array().unwrap().is_empty(),
        "trash is not in the month counts: {v}"
    );
    let (st, v) = s.api("POST", &format!("/api/v1/assets/{p1}/restore"), t, None);
    assert_eq!((st, v["trashed"].as_bool()), (200, Some(false)));
    assert_eq!(list(""), [p1.as_str()]);

    // Every blob reaches the backup store, byte for byte.
    wait_for("replication", || blob_count(&data, "backup") == 3);
    for f in files_under(&data.join("blobs/primary")) {
        let rel = f.strip_prefix(data.join("blobs/primary")).unwrap();
        assert_eq!(
            std::fs::read(&f).unwrap(),
            std::fs::read(data.join("blobs/backup").join(rel)).unwrap()
        );
    }

    // Emptying the trash purges the rows now and the primary blob via the job queue.
    let (st, v) = s.api("POST", "/api/v1/trash/empty", t, None);
    assert_eq!((st, v["purged"].as_i64()), (200, Some(1)), "{v}");
    assert_eq!(
        s.api("GET", &format!("/api/v1/assets/{vid}"), t, None).0,
        404
    );
    assert!(list("?trashed=true").is_empty());
    wait_for("the purged blob to leave the primary store", || {
        blob_count(&data, "primary") == 2
    });
    let (_, v) = s.api("GET", "/api/v1/library/usage", t, None);
    assert_eq!(v["bytes"].as_i64(), Some(total - vb.len() as i64));

    // Quota: an admin sets 1 MiB; a bigger upload is refused and stores nothing.
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&admin),
        Some(json!({"quota_mib": 1})),
    );
    assert_eq!(st, 200, "{v}");
    let (_, v) = s.api("GET", "/api/v1/library/usage", t, None);
    assert_eq!(v["quota_bytes"].as_i64(), Some(1 << 20));
    let (st, v) = send(&s, &ann, "big.jpg", &jpeg(9, 2 << 20));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (413, Some("quota-exceeded")),
        "{v}"
    );
    let r = s
        .call("POST", "/api/v1/uploads")
        .bearer(&ann)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "2000000")
        .send();
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(blob_count(&data, "primary"), 2, "nothing stored");
    let (st, _) = send(&s, &ann, "small.jpg", &jpeg(10, 1000));
    assert_eq!(st, 201, "within the quota");
    let (st, _) = s.api(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&admin),
        Some(json!({"quota_mib": -3})),
    );
    assert_eq!(st, 400);

    // Deleting an album keeps its photos.
    assert_eq!(
        s.api("DELETE", &format!("/api/v1/albums/{album}"), t, None)
            .0,
        200
    );
    assert_eq!(
        s.api("GET", &format!("/api/v1/albums/{album}"), t, None).0,
        404
    );
    assert_eq!(
        s.api("GET", &format!("/api/v1/assets/{p2}"), t, None).0,
        200
    );
    let _ = s.stop();
}

fn uuid_like() -> &'static str {
    "0190f1f1-0000-7000-8000-000000000000"
}

/// With `library.trash_days = 0` the sweeper purges a trashed item at its next
/// round: the row goes, the primary blob is deleted by the job queue, and the
/// backup copy's deletion is queued (it runs 15 minutes later), which an
/// operator sees in the job counts.
#[test]
fn the_sweeper_purges_old_trash_from_every_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start_with(
        &data,
        &[
            ("PIXELUNION_LIBRARY__TRASH_DAYS", "0"),
            ("PIXELUNION_LIBRARY__SWEEP_INTERVAL_SECS", "1"),
        ],
    );
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let ops = staff_member(&s, &admin, "ops@example.org", "operator").1;
    let (st, v) = send(&s, &ann, "old.jpg", &jpeg(5, 3000));
    assert_eq!(st, 201, "{v}");
    let id = v["asset"]["id"].as_str().unwrap().to_string();
    let (st, _) = send(&s, &ann, "keep.jpg", &jpeg(6, 3000));
    assert_eq!(st, 201);
    wait_for("replication", || blob_count(&data, "backup") == 2);

    assert_eq!(
        s.api("DELETE", &format!("/api/v1/assets/{id}"), Some(&ann), None)
            .0,
        200
    );
    wait_for("the purge", || {
        s.api("GET", &format!("/api/v1/assets/{id}"), Some(&ann), None)
            .0
            == 404
    });
    wait_for("the primary blob's deletion", || {
        blob_count(&data, "primary") == 1
    });
    assert_eq!(blob_count(&data, "backup"), 2, "the backup copy goes later");
    let (st, v) = s.api("GET", "/api/v1/admin/jobs", Some(&ops), None);
    assert_eq!(st, 200, "{v}");
    assert!(
        v["counts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "drop-backup" && c["state"] == "ready" && c["count"] == 1),
        "{v}"
    );
    let (_, v) = s.api("GET", "/api/v1/library/usage", Some(&ann), None);
    assert_eq!(v["assets"], 1, "{v}");
    let _ = s.stop();
}

/// `library.max_upload_mib` stops a file that is too large — declared
/// (Content-Length, tus Upload-Length) or only discovered while streaming
/// (chunked body) — with 413 `file-too-large`, and nothing is stored.
#[test]
fn the_size_limit_stops_large_files_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start_with(&data, &[("PIXELUNION_LIBRARY__MAX_UPLOAD_MIB", "1")]);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let big = jpeg(7, 2 << 20);
    let (st, v) = send(&s, &ann, "big.jpg", &big);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (413, Some("file-too-large")),
        "{v}"
    );
    let r = s
        .call("POST", "/api/v1/assets")
        .bearer(&ann)
        .reader(chunked(big.clone()))
        .send();
    assert_eq!(r.status, 413, "chunked, no declared length: {}", r.text());
    assert_eq!(r.error_code().as_deref(), Some("file-too-large"));
    let r = s
        .call("POST", "/api/v1/uploads")
        .bearer(&ann)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", &big.len().to_string())
        .send();
    assert_eq!(r.status, 413, "{}", r.text());
    let (st, _) = send(&s, &ann, "small.jpg", &jpeg(8, 500_000));
    assert_eq!(st, 201, "under the limit");
    let (_, v) = s.api("GET", "/api/v1/library/usage", Some(&ann), None);
    assert_eq!(v["assets"], 1, "{v}");
    wait_for("the small file's jobs", || {
        s.api("GET", "/api/v1/assets", Some(&ann), None).1["items"][0]["media"]["state"]
            != "pending"
    });
    assert_eq!(
        blob_count(&data, "primary"),
        1,
        "only the accepted file is stored"
    );
    let _ = s.stop();
}
