//! The media pipeline on the real binary: a JPEG carrying EXIF (capture time
//! with offset, GPS, camera, orientation 6) gets its metadata (encrypted at
//! rest, decrypted for its owner), its timeline position moved to the
//! capture time, a thumbnail and a preview with the orientation applied;
//! hostile files fail cleanly with a reason while the original stays
//! downloadable; a fake video fails with a reason; nothing readable reaches
//! the disk.

use crate::harness::*;

const CAMERA: &str = "PixelCamMARKER 9000";

/// An EXIF block: camera, orientation 6, 2021-07-14 18:30 at +02:00, and
/// 48°51'30.24" N 2°17'40.2" E.
fn exif_block() -> Vec<u8> {
    pixelunion_media::fixtures::exif_block(&pixelunion_media::fixtures::ExifSpec {
        make: Some(CAMERA.into()),
        model: Some("Model X".into()),
        orientation: Some(6),
        taken: Some("2021:07:14 18:30:00".into()),
        offset: Some("+02:00".into()),
        gps: Some((48.8584, 2.2945)),
        ..Default::default()
    })
}

fn jpeg(w: u32, h: u32, exif: Option<Vec<u8>>) -> Vec<u8> {
    let plain = pixelunion_media::fixtures::plain_jpeg(w, h, 0);
    pixelunion_media::fixtures::jpeg_with(&plain, exif.as_deref(), None, None)
}

#[test]
fn metadata_thumbnails_previews_and_hostile_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");

    let photo = jpeg(3000, 2000, Some(exif_block()));
    let id = upload(&s, &ann, "exif.jpg", &photo);
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
    let plain = upload(&s, &ann, "plain.jpg", &jpeg(640, 480, None));
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
    let truncated = upload(&s, &ann, "cut.jpg", &full[..full.len() / 3]);
    let bomb = pixelunion_media::fixtures::png_bomb(100_000);
    let bomb_id = upload(&s, &ann, "bomb.png", &bomb);
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

    // A "video" that is only an MP4 signature and noise: failed, with a reason.
    let video = upload(&s, &ann, "clip.mp4", &noise_video(100_000, 3));
    let v = settled(&s, &ann, &video);
    assert_eq!(v["media"]["state"], "failed", "{v}");
    assert!(
        v["media"]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{v}"
    );

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
        store_objects(&data.join("blobs/backup"))
            .iter()
            .filter(|p| !p.to_string_lossy().contains("/audit/checkpoints/"))
            .count()
            == store_objects(&data.join("blobs/primary")).len()
    });
    assert_eq!(
        store_objects(&data.join("blobs/primary")).len(),
        5 + 2 * 2,
        "5 originals, 2 renditions each for the 2 readable photos"
    );
    let log = s.stop();
    let log_file = dir.path().join("server.log");
    std::fs::write(&log_file, &log).unwrap();
    for f in files_under(&data).into_iter().chain([log_file]) {
        let b = std::fs::read(&f).unwrap();
        for needle in [
            CAMERA.as_bytes(),
            b"\"latitude\"",
            b"2021:07:14",
            &thumb[..64],
        ] {
            assert!(
                !b.windows(needle.len()).any(|w| w == needle),
                "plaintext {:?} in {}",
                String::from_utf8_lossy(&needle[..needle.len().min(16)]),
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
    let id = upload(&s, &ann, "p.jpg", &jpeg(640, 480, None));
    assert_eq!(settled(&s, &ann, &id)["media"]["state"], "ready");
    let _ = s.stop();

    // Queue the asset's media job again while no server runs.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = data.join("catalog.sqlite");
    rt.block_on(async {
        let c = Catalog::open_sqlite(&db).await.unwrap();
        c.set_media_state(&id, pixelunion_catalog::MediaState::Pending, None)
            .await
            .unwrap();
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
        assert_eq!(
            a.media_state,
            pixelunion_catalog::MediaState::Pending,
            "nothing ran without the key"
        );
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
