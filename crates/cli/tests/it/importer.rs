//! `pixelunion upload` against the real server: a tree of 200 photos in
//! folders (albums), Takeout sidecars, a duplicate, a file that is not a
//! photo, an unreadable one and a text file; a large video whose upload is
//! killed half-way and resumed from the server's offset; a second run that
//! sends nothing; a dry run that changes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::*;

use pixelunion_media::fixtures::{self, ExifSpec};
use serde_json::{Value, json};

struct Importer {
    server: String,
    token_file: PathBuf,
    cert: PathBuf,
    journal: PathBuf,
}

impl Importer {
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "upload".into(),
            "--server".into(),
            self.server.clone(),
            "--token-file".into(),
            self.token_file.display().to_string(),
            "--ca-cert".into(),
            self.cert.display().to_string(),
            "--journal".into(),
            self.journal.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    }

    /// Runs to the end: (exit success, stdout, stderr).
    fn run(&self, extra: &[&str]) -> (bool, String, String) {
        let a = self.args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = pixelunion(&a, "");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("the report")).expect("JSON report")
}

fn line<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .unwrap_or_else(|| panic!("{name} in the report: {r}"))
}

#[test]
fn a_tree_is_imported_resumed_and_not_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let (st, tok) = s.api(
        "POST",
        "/api/v1/auth/tokens",
        Some(&ann),
        Some(json!({"name": "importer", "scope": "full", "password": "a very long library passphrase"})),
    );
    assert_eq!(st, 201, "{tok}");
    let token = tok["token"].as_str().unwrap().to_string();
    let imp = Importer {
        server: s.url.trim_end_matches('/').to_string(),
        token_file: dir.path().join("token"),
        cert: data.join("tls/cert.pem"),
        journal: dir.path().join("state/uploads.json"),
    };
    std::fs::write(&imp.token_file, &token).unwrap();
    let count = || {
        let (st, v) = s.api("GET", "/api/v1/assets?limit=500", Some(&ann), None);
        assert_eq!(st, 200, "{v}");
        v["items"].as_array().unwrap().len()
    };

    // No token: a clear refusal before anything is read.
    let out = pixelunion(
        &[
            "upload",
            "--server",
            &imp.server,
            dir.path().to_str().unwrap(),
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PIXELUNION_TOKEN"));

    // 1. A large video sent slowly, killed half-way, then resumed.
    let big_dir = dir.path().join("big");
    std::fs::create_dir(&big_dir).unwrap();
    let video = fixtures_noise(24 << 20);
    std::fs::write(big_dir.join("clip.mp4"), &video).unwrap();
    let a = imp.args(&[big_dir.to_str().unwrap(), "--limit-rate", "4M"]);
    let mut child = Command::new(BIN)
        .args(&a)
        .env("PIXELUNION_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let location = loop {
        let j: Option<Value> = std::fs::read(&imp.journal)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(loc) = j.as_ref().and_then(|j| {
            j.as_object()?.values().next()?["location"]
                .as_str()
                .map(String::from)
        }) {
            break loc;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the upload never began"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(2500));
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let head = s
        .call("HEAD", &location)
        .bearer(&token)
        .header("tus-resumable", "1.0.0")
        .send();
    let had: u64 = head.header("upload-offset").unwrap().parse().unwrap();
    assert!(
        had > 0 && had < video.len() as u64,
        "killed half-way: {had} of {}",
        video.len()
    );
    let big_report = dir.path().join("big.json");
    let (ok, stdout, stderr) = imp.run(&[
        big_dir.to_str().unwrap(),
        "--report",
        big_report.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    let r = report(&big_report);
    let clip = line(&r, "clip.mp4");
    assert_eq!(clip["outcome"], "uploaded", "{r}");
    let resumed = clip["resumed_at"].as_u64().expect("resumed");
    assert!(
        resumed >= had && resumed < video.len() as u64,
        "{resumed} vs {had}"
    );
    let sent = r["bytes_sent"].as_u64().unwrap();
    assert!(
        sent >= video.len() as u64 - resumed && sent < video.len() as u64,
        "only the rest was sent: {sent} bytes"
    );
    let clip_id = clip["asset_id"].as_str().unwrap().to_string();
    let (_, original) = get_bytes(&s, &ann, &format!("/api/v1/assets/{clip_id}/original"), &[]);
    assert!(original == video, "the resumed file is whole");
    let journal: Value = serde_json::from_slice(&std::fs::read(&imp.journal).unwrap()).unwrap();
    assert_eq!(journal, json!({}), "nothing left to resume");

    // 2. A tree: albums, sidecars, a duplicate, bad files.
    let photos = dir.path().join("photos");
    let rome = photos.join("Rome");
    let year = photos.join("Photos from 2019");
    std::fs::create_dir_all(&rome).unwrap();
    std::fs::create_dir_all(&year).unwrap();
    let jpeg = |i: u32| fixtures::plain_jpeg(24 + i % 64, 16 + i / 64, i as u8);
    for i in 0..50 {
        std::fs::write(rome.join(format!("R{i:03}.jpg")), jpeg(i)).unwrap();
    }
    for i in 50..100 {
        let name = format!("T{i:03}.jpg");
        std::fs::write(year.join(&name), jpeg(i)).unwrap();
        if i < 70 {
            // Takeout's sidecar: when, where, what
            let side = json!({
                "title": name,
                "description": format!("Beach day {i}"),
                "photoTakenTime": {"timestamp": (1_563_712_345 + i64::from(i)).to_string(), "formatted": "…"},
                "geoData": {"latitude": 43.48, "longitude": -1.56, "altitude": 0.0, "latitudeSpan": 0.0, "longitudeSpan": 0.0},
            });
            std::fs::write(year.join(format!("{name}.json")), side.to_string()).unwrap();
        }
    }
    // A photo whose own EXIF date wins over its sidecar's.
    let exif = fixtures::exif_block(&ExifSpec {
        taken: Some("2015:06:01 10:00:00".into()),
        ..ExifSpec::default()
    });
    std::fs::write(
        year.join("E.jpg"),
        fixtures::jpeg_with(&jpeg(300), Some(&exif), None, None),
    )
    .unwrap();
    std::fs::write(
        year.join("E.jpg.supplemental-metadata.json"),
        json!({"photoTakenTime": {"timestamp": "1563712345"}, "description": "Old camera"})
            .to_string(),
    )
    .unwrap();
    for i in 100..199 {
        std::fs::write(photos.join(format!("L{i:03}.jpg")), jpeg(i)).unwrap();
    }
    std::fs::write(photos.join("copy of R000.jpg"), jpeg(0)).unwrap();
    std::fs::write(photos.join("fake.jpg"), b"this is a text file, not a photo").unwrap();
    std::fs::write(photos.join("notes.txt"), b"not media").unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere.jpg"), photos.join("ghost.jpg")).unwrap();

    let tree_report = dir.path().join("tree.json");
    let (ok, stdout, stderr) = imp.run(&[
        photos.to_str().unwrap(),
        "--albums",
        "--jobs",
        "4",
        "--report",
        tree_report.to_str().unwrap(),
    ]);
    assert!(!ok, "a failed file makes the run fail: {stdout}\n{stderr}");
    assert!(
        stdout.contains("ghost.jpg") && stdout.contains("fake.jpg"),
        "{stdout}"
    );
    let r = report(&tree_report);
    assert_eq!(
        (
            r["found"].as_u64(),
            r["uploaded"].as_u64(),
            r["duplicate"].as_u64(),
            r["failed"].as_u64()
        ),
        (Some(203), Some(200), Some(1), Some(2)),
        "200 new photos, one copy, the unreadable and the fake fail: {r}"
    );
    assert_eq!(
        r["ignored"].as_u64(),
        Some(22),
        "notes.txt and the 21 sidecars: {r}"
    );
    assert!(
        line(&r, "ghost.jpg")["error"]
            .as_str()
            .unwrap()
            .contains("cannot be read"),
        "{r}"
    );
    assert!(
        line(&r, "fake.jpg")["error"]
            .as_str()
            .unwrap()
            .contains("415"),
        "{r}"
    );
    assert_eq!(
        line(&r, "copy of R000.jpg")["asset_id"],
        line(&r, "Rome/R000.jpg")["asset_id"]
    );
    assert_eq!(count(), 201, "the tree's 200 and the video");

    // Albums: one per folder, none for Takeout's year folder.
    let (_, albums) = s.api("GET", "/api/v1/albums", Some(&ann), None);
    let mut names: Vec<(String, u64)> = albums["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["asset_count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [("Rome".to_string(), 50), ("photos".to_string(), 100)],
        "{albums}"
    );

    // Sidecars fill what the file does not say.
    let t060 = line(&r, "T060.jpg");
    assert_eq!(
        t060["sidecar"],
        json!(["taken_at", "place", "caption"]),
        "{t060}"
    );
    let (_, a) = s.api(
        "GET",
        &format!("/api/v1/assets/{}", t060["asset_id"].as_str().unwrap()),
        Some(&ann),
        None,
    );
    assert_eq!(
        a["taken_at"].as_i64(),
        Some((1_563_712_345 + 60) * 1000),
        "{a}"
    );
    assert_eq!(a["caption"], "Beach day 60");
    assert_eq!(
        (
            a["metadata"]["latitude"].as_f64(),
            a["metadata"]["longitude"].as_f64()
        ),
        (Some(43.48), Some(-1.56)),
        "{a}"
    );
    let e = line(&r, "E.jpg");
    assert_eq!(e["sidecar"], json!(["caption"]), "the EXIF date stays: {e}");
    let (_, a) = s.api(
        "GET",
        &format!("/api/v1/assets/{}", e["asset_id"].as_str().unwrap()),
        Some(&ann),
        None,
    );
    assert_eq!(a["caption"], "Old camera");
    assert_ne!(a["taken_at"].as_i64(), Some(1_563_712_345_000));
    let (_, plain) = s.api(
        "GET",
        &format!(
            "/api/v1/assets/{}",
            line(&r, "T080.jpg")["asset_id"].as_str().unwrap()
        ),
        Some(&ann),
        None,
    );
    assert!(
        plain["taken_at"].is_null() && plain["caption"].is_null(),
        "no sidecar, nothing set: {plain}"
    );

    // The place and the time a sidecar gives are checked by the server too.
    let id = t060["asset_id"].as_str().unwrap();
    for (body, status) in [
        (json!({"place": {"latitude": 91.0, "longitude": 0.0}}), 422),
        (json!({"taken_at": 99_999_999_999_999_i64}), 422),
        (json!({"taken_at": "yesterday"}), 400),
    ] {
        let (st, v) = s.api(
            "PATCH",
            &format!("/api/v1/assets/{id}"),
            Some(&ann),
            Some(body.clone()),
        );
        assert_eq!(st, status, "{body}: {v}");
    }
    let (_, same) = s.api("GET", &format!("/api/v1/assets/{id}"), Some(&ann), None);
    assert_eq!(
        same["taken_at"].as_i64(),
        Some((1_563_712_345 + 60) * 1000),
        "unchanged"
    );

    // 3. Again, without the bad files: nothing is sent.
    std::fs::remove_file(photos.join("ghost.jpg")).unwrap();
    std::fs::remove_file(photos.join("fake.jpg")).unwrap();
    let again = dir.path().join("again.json");
    let (ok, stdout, stderr) = imp.run(&[
        photos.to_str().unwrap(),
        "--albums",
        "--report",
        again.to_str().unwrap(),
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    let r = report(&again);
    assert_eq!(
        (
            r["uploaded"].as_u64(),
            r["existing"].as_u64(),
            r["bytes_sent"].as_u64()
        ),
        (Some(0), Some(201), Some(0)),
        "{r}"
    );
    assert_eq!(count(), 201);

    // 4. A dry run says what it would send and sends nothing.
    let new_dir = dir.path().join("new");
    std::fs::create_dir(&new_dir).unwrap();
    for i in 400..403 {
        std::fs::write(new_dir.join(format!("N{i}.jpg")), jpeg(i)).unwrap();
    }
    std::fs::write(new_dir.join("R000-again.jpg"), jpeg(0)).unwrap();
    let (ok, stdout, _) = imp.run(&[new_dir.to_str().unwrap(), "--dry-run"]);
    assert!(ok);
    assert_eq!(stdout.matches("would upload").count(), 3, "{stdout}");
    assert!(
        stdout.contains("3 to upload, 1 already in the library"),
        "{stdout}"
    );
    assert_eq!(count(), 201, "a dry run sends nothing");

    // 5. The rate limit holds for all files together: 6 MiB at 1 MiB/s
    // (one second's worth may go at once) takes at least 4 s whatever the
    // number of files sent at a time.
    let clips = dir.path().join("clips");
    std::fs::create_dir(&clips).unwrap();
    for seed in 0..3 {
        std::fs::write(
            clips.join(format!("c{seed}.mp4")),
            noise_video(2 << 20, 20 + seed),
        )
        .unwrap();
    }
    let t = Instant::now();
    let (ok, stdout, stderr) =
        imp.run(&[clips.to_str().unwrap(), "--limit-rate", "1M", "--jobs", "3"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(t.elapsed() >= Duration::from_secs(4), "{:?}", t.elapsed());
    assert_eq!(count(), 204);
}

/// `len` bytes an MP4 signature begins (the server stores it; its media job
/// fails on the noise, which does not matter here).
fn fixtures_noise(len: usize) -> Vec<u8> {
    noise_video(len, 9)
}
