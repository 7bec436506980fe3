//! Exporting a library against the real server: the archive holds every
//! original byte for byte under `YYYY/MM/name` (names made unique), and
//! `metadata.json` holds captions, favourites, archive and trash state and
//! albums; two readers (the `zip` crate and Python's `zipfile`) check every
//! CRC; any byte range of the archive is served again (a resume joins into
//! the same bytes, `If-Range` with another validator gets the whole); other
//! accounts get 404; `pixelunion export` downloads it and resumes a cut-off
//! run; the access report lists what is stored about the account.

use std::io::Read;

use serde_json::{Value, json};

use crate::harness::*;

fn ready(s: &Server, token: &str, id: &str) -> Value {
    let mut last = Value::Null;
    wait_secs("the export to be prepared", 60, || {
        last = s
            .api("GET", &format!("/api/v1/exports/{id}"), Some(token), None)
            .1;
        last["state"] != "preparing"
    });
    assert_eq!(last["state"], "ready", "{last}");
    last
}

fn entries(zip_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("a valid ZIP");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut b = Vec::new();
            f.read_to_end(&mut b).expect("read (CRC checked)");
            (name, b)
        })
        .collect()
}

#[test]
fn the_whole_library_exports_resumes_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let jpg = |seed| pixelunion_media::fixtures::plain_jpeg(48, 32, seed);
    let files = [
        ("IMG_0001.jpg", jpg(1)),
        ("IMG_0001.jpg", jpg(2)),
        ("Été à Paris.jpg", jpg(3)),
        ("clip.mp4", noise_video(300_000, 7)),
    ];
    // (a name outside ASCII goes as a multipart file name; X-File-Name is ASCII)
    let ids: Vec<String> = files
        .iter()
        .map(|(n, b)| {
            if *n == "clip.mp4" {
                // sent in pieces: an original kept as its parts
                return crate::harness::tus::in_pieces(&s, &ann, n, b, 3);
            }
            if n.is_ascii() {
                return upload(&s, &ann, n, b);
            }
            let r = s
                .call("POST", "/api/v1/assets")
                .bearer(&ann)
                .multipart_file("file", n, "image/jpeg", b.clone())
                .send();
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["asset"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    let (st, _) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{}", ids[0]),
        Some(&ann),
        Some(json!({"caption": "first light", "favorite": true})),
    );
    assert_eq!(st, 200);
    let (st, _) = s.api(
        "PATCH",
        &format!("/api/v1/assets/{}", ids[2]),
        Some(&ann),
        Some(json!({"archived": true})),
    );
    assert_eq!(st, 200);
    assert_eq!(
        s.api(
            "DELETE",
            &format!("/api/v1/assets/{}", ids[1]),
            Some(&ann),
            None
        )
        .0,
        200
    );
    let (st, album) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(json!({"name": "Summer"})),
    );
    assert_eq!(st, 201);
    let album_id = album["id"].as_str().unwrap();
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album_id}/assets"),
        Some(&ann),
        Some(json!({"asset_ids": [ids[0], ids[3]]})),
    );
    assert!(st < 300, "{v}");

    let (st, x) = s.api("POST", "/api/v1/exports", Some(&ann), None);
    assert_eq!(st, 202, "{x}");
    let id = x["id"].as_str().unwrap().to_string();
    let (st, again) = s.api("POST", "/api/v1/exports", Some(&ann), None);
    if st == 409 {
        assert_eq!(again["error"]["code"], "export-in-progress");
    } else {
        assert_eq!(
            st, 202,
            "a second export only once the first is ready: {again}"
        );
        assert_eq!(
            s.api("GET", &format!("/api/v1/exports/{id}"), Some(&ann), None)
                .1["state"],
            "ready"
        );
    }
    let x = ready(&s, &ann, &id);
    assert_eq!(
        (x["entries"].as_i64(), x["done"].as_i64()),
        (Some(4), Some(4)),
        "{x}"
    );
    let len = x["archive_bytes"].as_u64().unwrap();
    let archive = format!("/api/v1/exports/{id}/archive");

    // Another account: no such export.
    assert_eq!(
        s.api("GET", &format!("/api/v1/exports/{id}"), Some(&bob), None)
            .0,
        404
    );
    assert_eq!(s.call("GET", &archive).bearer(&bob).send().status, 404);

    // The whole archive.
    let whole = s.call("GET", &archive).bearer(&ann).send();
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-type"), Some("application/zip"));
    assert!(
        whole
            .header("content-disposition")
            .unwrap()
            .contains("pixelunion-export-")
    );
    let etag = whole.header("etag").unwrap().to_string();
    let bytes = whole.body.clone();
    assert_eq!(bytes.len() as u64, len);
    let got = entries(&bytes);
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names[4], "metadata.json");
    for (i, (name, b)) in files.iter().enumerate() {
        let (path, content) = got
            .iter()
            .find(|(_, c)| c == b)
            .unwrap_or_else(|| panic!("{name} is in the archive byte for byte"));
        let base = path.rsplit('/').next().unwrap();
        let month = &path[..7];
        assert!(
            month.len() == 7 && month.as_bytes()[4] == b'/',
            "{path}: a folder per year/month"
        );
        if i == 1 {
            assert_eq!(base, "IMG_0001 (2).jpg", "same names are made unique");
        } else {
            assert_eq!(base, *name);
        }
        assert_eq!(content.len(), b.len());
    }
    let meta: Value = serde_json::from_slice(&got[4].1).expect("metadata.json is JSON");
    assert_eq!(meta["format"], "pixelunion-export-v1");
    assert_eq!(meta["account"]["email"], "ann@example.org");
    assert_eq!(meta["account"]["id"], ann_id.as_str());
    let item = |id: &str| {
        meta["assets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(item(&ids[0])["caption"], "first light");
    assert_eq!(item(&ids[0])["favorite"], true);
    assert_eq!(item(&ids[2])["archived"], true);
    assert_eq!(item(&ids[1])["trashed"], true);
    assert_eq!(item(&ids[1])["file_name"], "IMG_0001.jpg");
    assert_eq!(item(&ids[3])["kind"], "video");
    assert!(
        item(&ids[0])["path"]
            .as_str()
            .unwrap()
            .ends_with("/IMG_0001.jpg")
    );
    assert_eq!(item(&ids[0])["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(meta["albums"][0]["name"], "Summer");
    assert_eq!(meta["albums"][0]["asset_ids"].as_array().unwrap().len(), 2);
    // An independent reader checks every CRC.
    let zip_path = dir.path().join("export.zip");
    std::fs::write(&zip_path, &bytes).unwrap();
    match std::process::Command::new("python3")
        .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))"])
        .arg(&zip_path)
        .output()
    {
        Ok(o) => {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "5");
        }
        Err(_) => assert!(std::env::var_os("CI").is_none(), "CI needs python3"),
    }

    // Resume: three ranges join into the same bytes; a stale validator gets the whole.
    let cuts = [0, len / 3, len / 3 + 777, len];
    let mut joined = Vec::new();
    for w in cuts.windows(2) {
        let r = s
            .call("GET", &archive)
            .bearer(&ann)
            .header("range", &format!("bytes={}-{}", w[0], w[1] - 1))
            .header("if-range", &etag)
            .send();
        assert_eq!(r.status, 206);
        assert_eq!(
            r.header("content-range"),
            Some(format!("bytes {}-{}/{len}", w[0], w[1] - 1).as_str())
        );
        joined.extend_from_slice(&r.body);
    }
    assert!(joined == bytes, "ranges join into the archive");
    let r = s
        .call("GET", &archive)
        .bearer(&ann)
        .header("range", "bytes=10-")
        .header("if-range", "\"another\"")
        .send();
    assert_eq!((r.status, r.body.len() as u64), (200, len));
    let r = s
        .call("GET", &archive)
        .bearer(&ann)
        .header("range", &format!("bytes={len}-"))
        .send();
    assert_eq!(r.status, 416);

    // The command line: a full download, then a resumed one.
    let (st, tok) = s.api("POST", "/api/v1/auth/tokens", Some(&ann), Some(json!({"name": "export", "scope": "read", "password": "a very long library passphrase"})));
    assert_eq!(st, 201, "{tok}");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, tok["token"].as_str().unwrap()).unwrap();
    let to = dir.path().join("library.zip");
    let cert = data.join("tls/cert.pem");
    let args = |to: &std::path::Path| {
        vec![
            "export".to_string(),
            "--server".into(),
            s.url.clone(),
            "--token-file".into(),
            token_file.display().to_string(),
            "--ca-cert".into(),
            cert.display().to_string(),
            "--to".into(),
            to.display().to_string(),
        ]
    };
    let run = |to: &std::path::Path| {
        let a = args(to);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        pixelunion(&a, "")
    };
    let out = run(&to);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read(&to).unwrap() == bytes,
        "the ready export is reused, byte for byte"
    );
    // A cut-off run: half the file and its sidecar are there.
    let to2 = dir.path().join("again.zip");
    std::fs::write(dir.path().join("again.zip.part"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(
        dir.path().join("again.zip.part.json"),
        json!({"id": id, "etag": etag}).to_string(),
    )
    .unwrap();
    let out = run(&to2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("resuming at byte {}", bytes.len() / 2)),
        "{err}"
    );
    assert!(std::fs::read(&to2).unwrap() == bytes);
    assert!(!dir.path().join("again.zip.part").exists());

    // The access report.
    let (st, rep) = s.api("GET", "/api/v1/auth/account/data", Some(&ann), None);
    assert_eq!(st, 200, "{rep}");
    assert_eq!(rep["profile"]["email"], "ann@example.org");
    assert_eq!(rep["library"]["assets"], 4);
    assert_eq!(rep["library"]["albums"], 1);
    assert!(rep["sessions"].as_array().unwrap().iter().any(|x| {
        x["client"]
            .as_str()
            .is_some_and(|c| c.contains("127.0.0.1"))
    }));
    assert_eq!(rep["api_tokens"][0]["name"], "export");
    assert!(
        rep["security_events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "login" && e["by"] == "you")
    );
    assert!(
        rep["security_events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "export.create")
    );

    // Deleting the export.
    assert_eq!(
        s.api("DELETE", &format!("/api/v1/exports/{id}"), Some(&ann), None)
            .0,
        200
    );
    assert_eq!(s.call("GET", &archive).bearer(&ann).send().status, 404);
}
