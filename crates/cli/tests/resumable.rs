//! Resumable uploads (tus 1.0.0: core, creation, termination) on the real
//! binary: discovery, creation checks, offsets, a connection dropped in the
//! middle of a PATCH (what arrived is kept and the upload resumes from the
//! offset HEAD reports), assembly into an asset that downloads byte for
//! byte, duplicates, termination, and a finished file that is not a photo.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

/// `(status, lower-cased response headers)`.
fn tus(s: &Server, token: &str, method: &str, path: &str, extra: &[&str]) -> (u16, String) {
    let auth = format!("authorization: Bearer {token}");
    let url = format!("{}{path}", s.url);
    let mut args: Vec<&str> = if method == "HEAD" {
        vec!["-I"]
    } else {
        vec!["-X", method, "-D", "-", "-o", "/dev/null"]
    };
    args.extend(["-H", &auth, "-H", "tus-resumable: 1.0.0"]);
    args.extend(extra);
    args.push(&url);
    let (st, text) = s.curl(&args);
    (st, text.to_ascii_lowercase())
}

fn header(h: &str, name: &str) -> Option<String> {
    h.lines().find_map(|l| {
        l.strip_prefix(&format!("{name}: "))
            .map(|v| v.trim().to_string())
    })
}

fn create(s: &Server, token: &str, len: usize, name: &str) -> String {
    use base64::Engine;
    let meta = format!(
        "filename {}",
        base64::engine::general_purpose::STANDARD.encode(name)
    );
    let (st, h) = tus(
        s,
        token,
        "POST",
        "/api/v1/uploads",
        &[
            "-H",
            &format!("upload-length: {len}"),
            "-H",
            &format!("upload-metadata: {meta}"),
        ],
    );
    assert_eq!(st, 201, "{h}");
    assert_eq!(header(&h, "tus-resumable").as_deref(), Some("1.0.0"));
    header(&h, "location").expect("location")
}

fn patch(
    s: &Server,
    token: &str,
    loc: &str,
    offset: usize,
    bytes: &[u8],
    dir: &std::path::Path,
    extra: &[&str],
) -> (u16, String) {
    let f = dir.join(format!("chunk-{offset}"));
    std::fs::write(&f, bytes).unwrap();
    let off = format!("upload-offset: {offset}");
    let data = format!("@{}", f.display());
    let mut args = vec![
        "-H",
        "content-type: application/offset+octet-stream",
        "-H",
        &off,
        "--data-binary",
        &data,
    ];
    args.extend(extra);
    tus(s, token, "PATCH", loc, &args)
}

fn offset_of(s: &Server, token: &str, loc: &str) -> usize {
    let (st, h) = tus(s, token, "HEAD", loc, &[]);
    assert!(st == 200 || st == 204, "HEAD {st}: {h}");
    assert_eq!(header(&h, "cache-control").as_deref(), Some("no-store"));
    header(&h, "upload-offset").unwrap().parse().unwrap()
}

#[test]
fn tus_upload_survives_a_dropped_connection() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");

    // Discovery.
    let (st, h) = tus(&s, &ann, "OPTIONS", "/api/v1/uploads", &[]);
    assert_eq!(st, 204, "{h}");
    assert_eq!(header(&h, "tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(
        header(&h, "tus-extension").as_deref(),
        Some("creation,termination")
    );
    assert!(header(&h, "tus-max-size").is_some());

    // Creation needs the version and a length.
    let (st, text) = s.curl(&[
        "-X",
        "POST",
        "-D",
        "-",
        "-H",
        &format!("authorization: Bearer {ann}"),
        "-H",
        "upload-length: 10",
        &format!("{}/api/v1/uploads", s.url),
    ]);
    assert_eq!(st, 412, "{text}");
    assert!(text.to_ascii_lowercase().contains("tus-version: 1.0.0"));
    assert_eq!(tus(&s, &ann, "POST", "/api/v1/uploads", &[]).0, 400);
    assert_eq!(
        tus(
            &s,
            &ann,
            "POST",
            "/api/v1/uploads",
            &["-H", "upload-length: 0"]
        )
        .0,
        400
    );
    assert_eq!(
        tus(
            &s,
            &ann,
            "POST",
            "/api/v1/uploads",
            &["-H", "upload-defer-length: 1"]
        )
        .0,
        400
    );

    let file = noise_video(6 << 20, 0);
    let loc = create(&s, &ann, file.len(), "holiday.mp4");
    assert_eq!(offset_of(&s, &ann, &loc), 0);

    // First 1 MiB.
    let (st, h) = patch(&s, &ann, &loc, 0, &file[..1 << 20], dir.path(), &[]);
    assert_eq!(st, 204, "{h}");
    assert_eq!(header(&h, "upload-offset"), Some((1 << 20).to_string()));
    // A wrong offset or content type is refused and changes nothing.
    assert_eq!(
        patch(&s, &ann, &loc, 0, &file[..10], dir.path(), &[]).0,
        409
    );
    let (st, _) = tus(
        &s,
        &ann,
        "PATCH",
        &loc,
        &["-H", "upload-offset: 1048576", "--data-binary", "x"],
    );
    assert_eq!(st, 415);
    assert_eq!(offset_of(&s, &ann, &loc), 1 << 20);

    // The rest over a slow link that is cut after ~1 s: what arrived is kept.
    let (st, _) = patch(
        &s,
        &ann,
        &loc,
        1 << 20,
        &file[1 << 20..],
        dir.path(),
        &["--limit-rate", "1M", "--max-time", "1.5"],
    );
    assert!(st == 0 || st == 100, "curl gave up mid-body, got {st}");
    let mut kept = 0;
    for _ in 0..50 {
        kept = offset_of(&s, &ann, &loc);
        if kept > 1 << 20 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(kept > 1 << 20 && kept < file.len(), "resumes from {kept}");
    eprintln!(
        "dropped connection kept {} of {} bytes",
        kept - (1 << 20),
        file.len() - (1 << 20)
    );

    // Resume from there: the last PATCH assembles the asset.
    let (st, h) = patch(&s, &ann, &loc, kept, &file[kept..], dir.path(), &[]);
    assert_eq!(st, 204, "{h}");
    assert_eq!(header(&h, "upload-offset"), Some(file.len().to_string()));
    let asset = header(&h, "pixelunion-asset-id").expect("asset id");
    let (_, hh) = tus(&s, &ann, "HEAD", &loc, &[]);
    assert_eq!(
        header(&hh, "pixelunion-asset-id").as_deref(),
        Some(asset.as_str()),
        "HEAD reports it too"
    );
    let (st, v) = s.api("GET", &format!("/api/v1/assets/{asset}"), Some(&ann), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["file_name"].as_str(),
            v["kind"].as_str(),
            v["size"].as_u64()
        ),
        (Some("holiday.mp4"), Some("video"), Some(file.len() as u64))
    );
    let out = std::process::Command::new("curl")
        .args([
            "-sk",
            "--http1.1",
            "-H",
            &format!("authorization: Bearer {ann}"),
        ])
        .arg(format!("{}/api/v1/assets/{asset}/original", s.url))
        .output()
        .unwrap();
    assert!(out.stdout == file, "the assembled original is byte-exact");
    // A repeated final PATCH is answered idempotently.
    let (st, h) = patch(&s, &ann, &loc, file.len(), b"", dir.path(), &[]);
    assert_eq!(
        (st, header(&h, "pixelunion-asset-id")),
        (204, Some(asset.clone()))
    );

    // The same bytes again: the existing asset.
    let loc2 = create(&s, &ann, file.len(), "again.mp4");
    let (st, h) = patch(&s, &ann, &loc2, 0, &file, dir.path(), &[]);
    assert_eq!(
        (st, header(&h, "pixelunion-asset-id")),
        (204, Some(asset.clone()))
    );

    // Another user cannot see, write or end it.
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let loc3 = create(&s, &ann, 1000, "x.jpg");
    assert_eq!(tus(&s, &bob, "HEAD", &loc3, &[]).0, 404);
    assert_eq!(patch(&s, &bob, &loc3, 0, b"abc", dir.path(), &[]).0, 404);
    assert_eq!(tus(&s, &bob, "DELETE", &loc3, &[]).0, 404);

    // Termination deletes what was received.
    assert_eq!(
        patch(
            &s,
            &ann,
            &loc3,
            0,
            &[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
            dir.path(),
            &[]
        )
        .0,
        204
    );
    assert_eq!(tus(&s, &ann, "DELETE", &loc3, &[]).0, 204);
    assert_eq!(tus(&s, &ann, "HEAD", &loc3, &[]).0, 404);

    // More bytes than declared: refused beyond the length.
    let loc4 = create(&s, &ann, 100, "y.jpg");
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    jpeg.resize(150, 7);
    assert_eq!(patch(&s, &ann, &loc4, 0, &jpeg, dir.path(), &[]).0, 413);

    // A finished file that is not a photo or video: 415 and the upload is gone.
    let loc5 = create(&s, &ann, 20, "notes.jpg");
    let (st, _) = patch(&s, &ann, &loc5, 0, b"%PDF-1.7 not a photo", dir.path(), &[]);
    assert_eq!(st, 415);
    assert_eq!(tus(&s, &ann, "HEAD", &loc5, &[]).0, 404);

    // Only ciphertext ever reached the store; once the jobs ran, the parts are gone.
    let primary = data.join("blobs/primary");
    for _ in 0..100 {
        let n = files_under(&primary).len();
        // the video, plus the 100 bytes kept of the over-long upload (one part)
        if n == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        files_under(&primary).len(),
        2,
        "parts of finished and ended uploads are deleted"
    );
    for f in files_under(&data) {
        let b = std::fs::read(&f).unwrap();
        assert!(
            !b.windows(4096).any(|w| w == &file[8192..8192 + 4096]),
            "plaintext in {}",
            f.display()
        );
        assert!(
            !b.windows(11).any(|w| w == b"holiday.mp4"),
            "file name in {}",
            f.display()
        );
    }
    let _ = s.stop();
}
