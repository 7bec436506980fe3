//! The media pipeline on the real binary: a JPEG carrying EXIF (capture time
//! with offset, GPS, camera, orientation 6) gets its metadata (encrypted at
//! rest, decrypted for its owner), its timeline position moved to the
//! capture time, a thumbnail and a preview with the orientation applied;
//! hostile files fail cleanly with a reason while the original stays
//! downloadable; videos wait for their own renderer; nothing readable reaches
//! the disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use serde_json::Value;

const CAMERA: &str = "PixelCamMARKER 9000";

/// A little-endian TIFF/EXIF block: IFD0 (Make, Model, Orientation, Exif and
/// GPS pointers), an Exif IFD (DateTimeOriginal, OffsetTimeOriginal) and a
/// GPS IFD (48°51'30.24" N, 2°17'40.2" E).
fn exif_block() -> Vec<u8> {
    // (tag, type, count, value bytes)
    type Entry = (u16, u16, u32, Vec<u8>);
    fn ascii(s: &str) -> (u16, u32, Vec<u8>) {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        (2, v.len() as u32, v)
    }
    fn rationals(r: &[(u32, u32)]) -> (u16, u32, Vec<u8>) {
        let mut v = Vec::new();
        for (n, d) in r {
            v.extend(n.to_le_bytes());
            v.extend(d.to_le_bytes());
        }
        (5, r.len() as u32, v)
    }
    fn ifd(out: &mut Vec<u8>, start: usize, entries: &[Entry]) {
        // entries, then next-IFD 0, then the data area
        let data_at = start + 2 + entries.len() * 12 + 4;
        let mut data = Vec::new();
        out.extend((entries.len() as u16).to_le_bytes());
        for (tag, ty, count, bytes) in entries {
            out.extend(tag.to_le_bytes());
            out.extend(ty.to_le_bytes());
            out.extend(count.to_le_bytes());
            if bytes.len() <= 4 {
                let mut b = bytes.clone();
                b.resize(4, 0);
                out.extend(b);
            } else {
                out.extend(((data_at + data.len()) as u32).to_le_bytes());
                data.extend(bytes);
                if data.len() % 2 == 1 {
                    data.push(0);
                }
            }
        }
        out.extend(0u32.to_le_bytes());
        out.extend(data);
    }
    let e = |tag, (ty, count, v): (u16, u32, Vec<u8>)| (tag, ty, count, v);
    // Lay out: header (8) | IFD0 | Exif IFD | GPS IFD, computing offsets.
    let exif_entries = vec![
        e(0x9003, ascii("2021:07:14 18:30:00")),
        e(0x9011, ascii("+02:00")),
    ];
    let gps_entries = vec![
        e(0x0001, ascii("N")),
        e(0x0002, rationals(&[(48, 1), (51, 1), (3024, 100)])),
        e(0x0003, ascii("E")),
        e(0x0004, rationals(&[(2, 1), (17, 1), (402, 10)])),
    ];
    let size = |entries: &[Entry]| {
        let mut v = Vec::new();
        ifd(&mut v, 0, entries);
        v.len()
    };
    let ifd0_len = size(&[
        e(0x010F, ascii(CAMERA)),
        e(0x0110, ascii("Model X")),
        (0x0112, 3, 1, 6u16.to_le_bytes().to_vec()),
        (0x8769, 4, 1, 0u32.to_le_bytes().to_vec()),
        (0x8825, 4, 1, 0u32.to_le_bytes().to_vec()),
    ]);
    let exif_at = 8 + ifd0_len;
    let gps_at = exif_at + size(&exif_entries);
    let mut out = b"II*\0".to_vec();
    out.extend(8u32.to_le_bytes());
    ifd(
        &mut out,
        8,
        &[
            e(0x010F, ascii(CAMERA)),
            e(0x0110, ascii("Model X")),
            (0x0112, 3, 1, 6u16.to_le_bytes().to_vec()),
            (0x8769, 4, 1, (exif_at as u32).to_le_bytes().to_vec()),
            (0x8825, 4, 1, (gps_at as u32).to_le_bytes().to_vec()),
        ],
    );
    ifd(&mut out, exif_at, &exif_entries);
    ifd(&mut out, gps_at, &gps_entries);
    out
}

fn jpeg(w: u32, h: u32, exif: Option<Vec<u8>>) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x / 8) as u8, (y / 8) as u8, 90]));
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 85)
        .encode(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    let Some(tiff) = exif else { return plain };
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend((app1.len() as u16 + 2).to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

fn get_bytes(s: &Server, token: &str, path: &str, extra: &[&str]) -> (String, Vec<u8>) {
    let out = std::process::Command::new("curl")
        .args([
            "-sk",
            "--http1.1",
            "-D",
            "/dev/stderr",
            "-H",
            &format!("authorization: Bearer {token}"),
        ])
        .args(extra)
        .arg(format!("{}{path}", s.url))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stderr).to_ascii_lowercase(),
        out.stdout,
    )
}

fn upload(s: &Server, token: &str, dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let f = dir.join(name);
    std::fs::write(&f, bytes).unwrap();
    let (st, text) = s.curl(&[
        "-X",
        "POST",
        "-H",
        &format!("authorization: Bearer {token}"),
        "--data-binary",
        &format!("@{}", f.display()),
        &format!("{}/api/v1/assets", s.url),
    ]);
    assert_eq!(st, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["asset"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn settled(s: &Server, token: &str, id: &str) -> Value {
    let mut v = Value::Null;
    wait_for("the media job", || {
        v = s
            .api("GET", &format!("/api/v1/assets/{id}"), Some(token), None)
            .1;
        v["media"]["state"] != "pending"
    });
    v
}

#[test]
fn metadata_thumbnails_previews_and_hostile_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");

    let photo = jpeg(3000, 2000, Some(exif_block()));
    let id = upload(&s, &ann, dir.path(), "exif.jpg", &photo);
    let (head, body) = get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/thumbnail"), &[]);
    assert!(
        head.contains("pixelunion-placeholder") || head.contains("content-type: image/jpeg"),
        "{head}"
    );
    assert!(!body.is_empty());

    let v = settled(&s, &ann, &id);
    assert_eq!(v["media"]["state"], "ready", "{v}");
    assert_eq!(
        v["taken_at"], 1_626_280_200_000i64,
        "18:30 at +02:00 is 16:30 UTC: {v}"
    );
    assert_eq!(
        (v["width"].as_i64(), v["height"].as_i64()),
        (Some(2000), Some(3000)),
        "orientation 6 turns it upright"
    );
    let m = &v["metadata"];
    assert_eq!(m["make"], CAMERA);
    assert_eq!(m["offset_minutes"], 120);
    assert!(
        (m["latitude"].as_f64().unwrap() - 48.8584).abs() < 1e-4,
        "{m}"
    );
    assert!(
        (m["longitude"].as_f64().unwrap() - 2.2945).abs() < 1e-4,
        "{m}"
    );

    // Renditions: JPEG, upright, right sizes, ETag.
    let (head, thumb) = get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/thumbnail"), &[]);
    assert!(
        head.contains("content-type: image/jpeg") && head.contains("cache-control: private"),
        "{head}"
    );
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!((t.width(), t.height()), (250, 375));
    let (_, prev) = get_bytes(&s, &ann, &format!("/api/v1/assets/{id}/preview"), &[]);
    let p = image::load_from_memory(&prev).unwrap();
    assert_eq!((p.width(), p.height()), (960, 1440));
    let etag = head
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .unwrap()
        .trim()
        .to_string();
    let (head, _) = get_bytes(
        &s,
        &ann,
        &format!("/api/v1/assets/{id}/thumbnail"),
        &["-H", &format!("if-none-match: {etag}")],
    );
    assert!(head.starts_with("http/1.1 304"), "{head}");

    // The capture time orders the timeline: a newer photo without EXIF comes first.
    let plain = upload(&s, &ann, dir.path(), "plain.jpg", &jpeg(640, 480, None));
    let v = settled(&s, &ann, &plain);
    assert_eq!(v["media"]["state"], "ready", "{v}");
    let (_, page) = s.api("GET", "/api/v1/assets", Some(&ann), None);
    let order: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [plain.as_str(), id.as_str()]);
    let (_, months) = s.api("GET", "/api/v1/library/months", Some(&ann), None);
    assert!(
        months["months"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["month"] == "2021-07"),
        "{months}"
    );

    // Hostile files: a failed job with a reason, the original still there.
    let full = jpeg(800, 600, None);
    let truncated = upload(&s, &ann, dir.path(), "cut.jpg", &full[..full.len() / 3]);
    let bomb = pixelunion_media::fixtures::png_bomb(100_000);
    let bomb_id = upload(&s, &ann, dir.path(), "bomb.png", &bomb);
    for (hostile, bytes) in [
        (&truncated, full[..full.len() / 3].to_vec()),
        (&bomb_id, bomb.clone()),
    ] {
        let v = settled(&s, &ann, hostile);
        assert_eq!(v["media"]["state"], "failed", "{v}");
        assert!(
            v["media"]["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{v}"
        );
        let (head, _) = get_bytes(
            &s,
            &ann,
            &format!("/api/v1/assets/{hostile}/thumbnail"),
            &[],
        );
        assert!(head.contains("pixelunion-placeholder: failed"), "{head}");
        let (_, original) = get_bytes(&s, &ann, &format!("/api/v1/assets/{hostile}/original"), &[]);
        assert!(original == bytes, "the original stays downloadable");
    }
    let v = settled(&s, &ann, &bomb_id);
    assert!(
        v["media"]["error"].as_str().unwrap().contains("too large"),
        "{v}"
    );

    // Videos wait for their renderer.
    let video = upload(&s, &ann, dir.path(), "clip.mp4", &noise_video(100_000, 3));
    assert_eq!(settled(&s, &ann, &video)["media"]["state"], "none");

    // Nobody else sees a rendition.
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    assert_eq!(
        s.api(
            "GET",
            &format!("/api/v1/assets/{id}/thumbnail"),
            Some(&bob),
            None
        )
        .0,
        404
    );

    // Every rendition was replicated; nothing readable on disk.
    wait_for("replication", || {
        files_under(&data.join("blobs/backup")).len()
            == files_under(&data.join("blobs/primary")).len()
    });
    assert_eq!(
        files_under(&data.join("blobs/primary")).len(),
        5 + 2 * 2,
        "5 originals, 2 renditions each for the 2 readable photos"
    );
    let log = s.stop();
    let log_file = dir.path().join("server.log");
    std::fs::write(&log_file, &log).unwrap();
    for f in files_under(&data).into_iter().chain([log_file]) {
        let b = std::fs::read(&f).unwrap();
        for needle in [CAMERA.as_bytes(), b"48.858", b"2021:07:14", &thumb[..64]] {
            assert!(
                !b.windows(needle.len()).any(|w| w == needle),
                "plaintext in {}",
                f.display()
            );
        }
    }
}

/// Media jobs need the owner's key: on a sealed server a queued job is put
/// back without counting an attempt (never dead), and runs once unsealed.
#[test]
fn media_jobs_wait_for_the_unseal() {
    use pixelunion_catalog::{Catalog, JobKind};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let share = s
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .expect("share");
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let id = upload(&s, &ann, dir.path(), "p.jpg", &jpeg(640, 480, None));
    assert_eq!(settled(&s, &ann, &id)["media"]["state"], "ready");
    let _ = s.stop();

    // Queue the asset's media job again while no server runs.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = data.join("catalog.sqlite");
    rt.block_on(async {
        let c = Catalog::open_sqlite(&db).await.unwrap();
        c.set_media_state(&id, "pending", None).await.unwrap();
        c.enqueue_job(JobKind::Media, &id, 0).await.unwrap();
        c.close().await;
    });

    // Sealed: the worker looks at the job (every 2 s) and puts it back.
    let s = Server::start(&data);
    std::thread::sleep(std::time::Duration::from_secs(4));
    rt.block_on(async {
        let c = Catalog::open_sqlite(&db).await.unwrap();
        let counts = c.job_counts(i64::MAX / 2).await.unwrap();
        assert!(
            counts
                .iter()
                .any(|(k, st, n)| k == "media" && st == "ready" && *n == 1),
            "{counts:?}"
        );
        assert!(c.dead_jobs(10).await.unwrap().is_empty());
        let a = c.asset_for_job(&id).await.unwrap().unwrap();
        assert_eq!(a.media_state, "pending", "nothing ran without the key");
        // Not one attempt was spent: claiming it now makes attempt 1 (retried
        // for the instant the worker itself may hold it).
        let mut claimed = None;
        for _ in 0..50 {
            claimed = c
                .claim_job(&[JobKind::Media], i64::MAX / 2, i64::MAX / 2 + 1)
                .await
                .unwrap();
            if claimed.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let j = claimed.expect("queued");
        assert_eq!(j.attempt, 1);
        c.postpone_job(&j, 0).await.unwrap();
        c.close().await;
    });

    let (st, v) = s.api(
        "POST",
        "/api/v1/sys/unseal",
        None,
        Some(serde_json::json!({"share": share})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        settled(&s, &ann, &id)["media"]["state"],
        "ready",
        "runs once unsealed"
    );
    let _ = s.stop();
}
