//! Crash safety on the real binary: SIGKILL the server while a large upload
//! and a resumable PATCH are streaming, restart, unseal, and check that
//! every acknowledged upload is intact (byte for byte), no half-written asset
//! is visible, the acknowledged part of the resumable upload is still there
//! and completes, and the sweeper removes what the killed writes left in the
//! store (staging files and unreferenced objects).

use crate::harness::*;

use serde_json::json;
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
    get_bytes(s, token, &format!("/api/v1/assets/{id}/original"), &[]).1
}

/// A tus PATCH of `bytes` at `offset`, sent at most `per_second` bytes a
/// second, from a thread of its own (it outlives the server it talks to):
/// the status it ends with (0 when the connection died).
fn slow_patch(
    s: &Server,
    token: &str,
    loc: &str,
    offset: usize,
    bytes: Vec<u8>,
    per_second: usize,
) -> std::thread::JoinHandle<u16> {
    let (client, url, token) = (
        s.client(Proto::Http1),
        format!("{}{loc}", s.url),
        token.to_string(),
    );
    std::thread::spawn(move || {
        client
            .patch(url)
            .bearer_auth(token)
            .header("tus-resumable", "1.0.0")
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .body(reqwest::blocking::Body::new(throttled(bytes, per_second)))
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
}

fn patch(s: &Server, token: &str, loc: &str, offset: usize, bytes: &[u8]) -> Reply {
    s.call("PATCH", loc)
        .bearer(token)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", &offset.to_string())
        .bytes(bytes.to_vec())
        .send()
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

    // Acknowledged uploads.
    let mut acked = Vec::new();
    for seed in 1..=5u8 {
        let bytes = photo(seed);
        let id = upload(&s, &ann, &format!("p{seed}.jpg"), &bytes);
        acked.push((id, bytes));
    }
    // A resumable upload with 1 MiB acknowledged.
    let tus_file = noise_video(24 << 20, 1);
    let r = s
        .call("POST", "/api/v1/uploads")
        .bearer(&ann)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", &tus_file.len().to_string())
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    let loc = r.header("location").unwrap().to_string();
    assert_eq!(patch(&s, &ann, &loc, 0, &tus_file[..1 << 20]).status, 204);

    // In flight when the server dies: a 48 MiB upload and the resumable rest.
    let big = noise_video(48 << 20, 2);
    let inflight = {
        let (client, url, token) = (s.client(Proto::Http1), s.url.clone(), ann.clone());
        let len = big.len() as u64;
        std::thread::spawn(move || {
            client
                .post(format!("{url}/api/v1/assets"))
                .bearer_auth(token)
                .body(reqwest::blocking::Body::sized(throttled(big, 6 << 20), len))
                .send()
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    };
    let inflight_tus = slow_patch(
        &s,
        &ann,
        &loc,
        1 << 20,
        tus_file[1 << 20..].to_vec(),
        2 << 20,
    );
    let mut waited = 0;
    while staging_files(&data).is_empty() {
        assert!(waited < 150, "no partial object appeared");
        std::thread::sleep(Duration::from_millis(100));
        waited += 1;
    }
    let mut s = s;
    s.child.kill().unwrap(); // SIGKILL
    s.child.wait().unwrap();
    assert_eq!(
        inflight.join().unwrap(),
        0,
        "the big upload was cut, never answered"
    );
    assert_eq!(inflight_tus.join().unwrap(), 0, "so was the resumable one");
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
    let r = s
        .call("HEAD", &loc)
        .bearer(&ann)
        .header("tus-resumable", "1.0.0")
        .send();
    let offset: usize = r.header("upload-offset").unwrap().parse().unwrap();
    assert!(offset >= 1 << 20, "acknowledged bytes survive: {offset}");
    // The killed request's hold on the upload runs out within the lease (2 s
    // here); until then the server answers 423 and a tus client retries.
    let resume = || patch(&s, &ann, &loc, offset, &tus_file[offset..]);
    let mut r = resume();
    for _ in 0..20 {
        if r.status != 423 {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
        r = resume();
    }
    assert_eq!(r.status, 204, "{}", r.text());
    let tus_asset = r.header("pixelunion-asset-id").unwrap().to_string();
    assert!(
        download(&s, &ann, &tus_asset) == tus_file,
        "resumed upload intact"
    );

    // The sweeper and the job queue clean up: no staging files, and exactly
    // one object per asset in the primary store (the resumed upload's
    // asset: one per part, kept as its parts), and a copy of each in the
    // backup (which also holds the audit trail's signed checkpoints).
    let db = Db::open(&data);
    let blobs = db.int("SELECT COUNT(*) FROM assets") + db.int("SELECT COUNT(*) FROM asset_parts");
    assert!(
        db.int(&format!(
            "SELECT COUNT(*) FROM asset_parts WHERE asset_id = '{tus_asset}'"
        )) >= 1,
        "the resumed upload is kept as its parts"
    );
    let blobs = usize::try_from(blobs).unwrap();
    let mut ok = false;
    for _ in 0..300 {
        let primary = store_objects(&data.join("blobs/primary")).len();
        let backup = store_objects(&data.join("blobs/backup"))
            .iter()
            .filter(|p| !p.to_string_lossy().contains("/audit/checkpoints/"))
            .count();
        if staging_files(&data).is_empty() && primary == blobs && backup == blobs {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ok, "left behind: {:?}", files_under(&data.join("blobs")));
    let _ = s.stop();
}
