//! Crash safety on the real binary: SIGKILL the server while a large upload
//! and a resumable PATCH are streaming, restart, unseal, and check that
//! every acknowledged upload is intact (byte for byte), no half-written asset
//! is visible, the acknowledged part of the resumable upload is still there
//! and completes, and the sweeper removes what the killed writes left in the
//! store (staging files and unreferenced objects).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;

const ENV: &[(&str, &str)] = &[
    ("PIXELUNION_LIBRARY__SWEEP_INTERVAL_SECS", "1"),
    ("PIXELUNION_LIBRARY__WRITE_LEASE_SECS", "2"),
];

fn photo(seed: u8) -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, seed,
    ];
    v.extend((0..200_000u32).map(|i| (i.wrapping_mul(seed as u32 + 7) >> 3) as u8));
    v
}

fn staging_files(data: &std::path::Path) -> Vec<std::path::PathBuf> {
    files_under(&data.join("blobs/primary"))
        .into_iter()
        .filter(|f| f.file_name().unwrap().to_string_lossy().contains('#'))
        .collect()
}

fn download(s: &Server, token: &str, id: &str) -> Vec<u8> {
    Command::new("curl")
        .args([
            "-sk",
            "--http1.1",
            "-H",
            &format!("authorization: Bearer {token}"),
        ])
        .arg(format!("{}/api/v1/assets/{id}/original", s.url))
        .output()
        .unwrap()
        .stdout
}

fn tus_patch(
    url: &str,
    token: &str,
    offset: usize,
    file: &std::path::Path,
    extra: &[&str],
) -> Command {
    let mut c = Command::new("curl");
    c.args([
        "-sk",
        "--http1.1",
        "-X",
        "PATCH",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
    ])
    .args(["-H", &format!("authorization: Bearer {token}")])
    .args([
        "-H",
        "tus-resumable: 1.0.0",
        "-H",
        "content-type: application/offset+octet-stream",
    ])
    .args(["-H", &format!("upload-offset: {offset}")])
    .arg("--data-binary")
    .arg(format!("@{}", file.display()))
    .args(extra)
    .arg(url);
    c
}

#[test]
fn sigkill_mid_upload_loses_nothing_acknowledged_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start_with(&data, ENV);
    let share = s
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .expect("share");
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let auth = format!("authorization: Bearer {ann}");

    // Acknowledged uploads.
    let mut acked = Vec::new();
    for seed in 1..=5u8 {
        let bytes = photo(seed);
        let f = dir.path().join(format!("p{seed}.jpg"));
        std::fs::write(&f, &bytes).unwrap();
        let (st, text) = s.curl(&[
            "-X",
            "POST",
            "-H",
            &auth,
            "--data-binary",
            &format!("@{}", f.display()),
            &format!("{}/api/v1/assets", s.url),
        ]);
        assert_eq!(st, 201, "{text}");
        let id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["asset"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        acked.push((id, bytes));
    }
    // A resumable upload with 1 MiB acknowledged.
    let tus_file = noise_video(24 << 20, 1);
    let (st, text) = s.curl(&[
        "-X",
        "POST",
        "-D",
        "-",
        "-H",
        &auth,
        "-H",
        "tus-resumable: 1.0.0",
        "-H",
        &format!("upload-length: {}", tus_file.len()),
        &format!("{}/api/v1/uploads", s.url),
    ]);
    assert_eq!(st, 201, "{text}");
    let loc = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("location: ")
                .map(|v| v.trim().to_string())
        })
        .unwrap();
    let first = dir.path().join("first");
    std::fs::write(&first, &tus_file[..1 << 20]).unwrap();
    let out = tus_patch(&format!("{}{loc}", s.url), &ann, 0, &first, &[])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "204");

    // In flight when the server dies: a 48 MiB upload and the resumable rest.
    let big = noise_video(48 << 20, 2);
    let big_file = dir.path().join("big.mp4");
    std::fs::write(&big_file, &big).unwrap();
    let mut inflight = Command::new("curl")
        .args([
            "-sk",
            "--http1.1",
            "-X",
            "POST",
            "-H",
            &auth,
            "--limit-rate",
            "6M",
            "--data-binary",
        ])
        .arg(format!("@{}", big_file.display()))
        .arg(format!("{}/api/v1/assets", s.url))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rest = dir.path().join("rest");
    std::fs::write(&rest, &tus_file[1 << 20..]).unwrap();
    let mut inflight_tus = tus_patch(
        &format!("{}{loc}", s.url),
        &ann,
        1 << 20,
        &rest,
        &["--limit-rate", "2M"],
    )
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    let mut waited = 0;
    while staging_files(&data).is_empty() {
        assert!(waited < 150, "no partial object appeared");
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    let mut s = s;
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    let _ = inflight.wait();
    let _ = inflight_tus.wait();
    drop(s);
    let left = staging_files(&data);
    assert!(!left.is_empty(), "the killed write left a partial object");
    eprintln!(
        "after SIGKILL: {} staging file(s) in the primary store",
        left.len()
    );

    // Restart: sealed until unsealed.
    let s = Server::start_with(&data, ENV);
    let (st, v) = s.api("GET", "/api/v1/assets", Some(&ann), None);
    assert_eq!((st, v["error"]["code"].as_str()), (503, Some("sealed")));
    let (st, v) = s.api(
        "POST",
        "/api/v1/sys/unseal",
        None,
        Some(json!({"share": share})),
    );
    assert_eq!(st, 200, "{v}");

    // Exactly the acknowledged assets, each intact.
    let (st, v) = s.api("GET", "/api/v1/assets", Some(&ann), None);
    assert_eq!(st, 200, "{v}");
    let mut listed: Vec<String> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let mut want: Vec<String> = acked.iter().map(|a| a.0.clone()).collect();
    listed.sort();
    want.sort();
    assert_eq!(listed, want, "no half-written asset is visible");
    for (id, bytes) in &acked {
        assert!(download(&s, &ann, id) == *bytes, "asset {id} intact");
    }

    // The resumable upload kept at least what was acknowledged and completes.
    let out = Command::new("curl")
        .args([
            "-sk",
            "--http1.1",
            "-I",
            "-H",
            &auth,
            "-H",
            "tus-resumable: 1.0.0",
        ])
        .arg(format!("{}{loc}", s.url))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    let offset: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("upload-offset: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(offset >= 1 << 20, "acknowledged bytes survive: {offset}");
    let tail = dir.path().join("tail");
    std::fs::write(&tail, &tus_file[offset..]).unwrap();
    // The killed request's hold on the upload runs out within the lease (2 s
    // here); until then the server answers 423 and a tus client retries.
    let resume = || {
        tus_patch(
            &format!("{}{loc}", s.url),
            &ann,
            offset,
            &tail,
            &["-D", "/dev/stderr"],
        )
        .output()
        .unwrap()
    };
    let mut out = resume();
    for _ in 0..20 {
        if String::from_utf8_lossy(&out.stdout) != "423" {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        out = resume();
    }
    assert_eq!(String::from_utf8_lossy(&out.stdout), "204");
    let headers = String::from_utf8_lossy(&out.stderr).to_ascii_lowercase();
    let tus_asset = headers
        .lines()
        .find_map(|l| l.strip_prefix("pixelunion-asset-id: "))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        download(&s, &ann, &tus_asset) == tus_file,
        "resumed upload intact"
    );

    // The sweeper and the job queue clean up: no staging files, and exactly
    // one object per asset in the primary store, and a copy of each in the backup.
    let mut ok = false;
    for _ in 0..300 {
        let primary = files_under(&data.join("blobs/primary")).len();
        let backup = files_under(&data.join("blobs/backup")).len();
        if staging_files(&data).is_empty() && primary == 6 && backup == 6 {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ok, "left behind: {:?}", files_under(&data.join("blobs")));
    let _ = s.stop();
}
