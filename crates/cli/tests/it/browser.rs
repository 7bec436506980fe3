//! The web app end to end in a real browser: starts the real server, makes
//! photos and a video, and runs `e2e/library.mjs` (playwright-core driving
//! Debian's headless Chromium): first sign-in with the new password and the
//! authenticator enrolment, sign-in with TOTP, uploads, thumbnails, viewer,
//! video play and seek, album, trash and restore, and the CSP blocking an
//! injected inline script. Screenshots land in `target/e2e-screenshots/`.
//! Needs `scripts/install-browser.sh` (Chromium, Node packages) and the
//! media tools; skipped without them outside CI.

use crate::harness::*;

use pixelunion_media::fixtures::{self, ExifSpec};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ready() -> bool {
    let chromium = std::env::var("PU_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ok = std::path::Path::new(&chromium).exists()
        && root().join("e2e/node_modules/playwright-core").exists()
        && root().join("e2e/node_modules/axe-core").exists()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok()
        && std::process::Command::new("ffmpeg")
            .arg("-version")
            .output()
            .is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: run scripts/install-browser.sh and scripts/install-media-tools.sh"
        );
        eprintln!(
            "SKIPPED web_app_in_chromium: run scripts/install-browser.sh and scripts/install-media-tools.sh"
        );
    }
    ok
}

#[test]
fn web_app_in_chromium() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    let mut paths = Vec::new();
    // A landscape photo with full camera data, a portrait, a panorama; then
    // one taken at 18:32 +02:00 and one at 00:00:05 +01:00 on 1 January
    // (shown at those local times whatever the browser's time zone).
    for (i, (w, h, taken, offset)) in [
        (1600u32, 1200u32, "2026:08:10 10:00:00", "+02:00"),
        (1200, 1600, "2026:08:11 10:00:00", "+02:00"),
        (2000, 1000, "2026:08:12 10:00:00", "+02:00"),
        (1200, 900, "2026:07:04 18:32:00", "+02:00"),
        (900, 1200, "2026:01:01 00:00:05", "+01:00"),
    ]
    .iter()
    .enumerate()
    {
        let exif = fixtures::exif_block(&ExifSpec {
            make: Some("Canon".into()),
            model: Some("Canon EOS 80D".into()),
            taken: Some((*taken).into()),
            offset: Some((*offset).into()),
            gps: Some((46.2044, 6.1432)),
            exposure_time: Some((1, 250)),
            f_number: Some((28, 10)),
            iso: Some(200),
            focal_mm: Some((35, 1)),
            lens: Some("EF-S 18-135mm".into()),
            ..ExifSpec::default()
        });
        let jpeg = fixtures::jpeg_with(
            &fixtures::plain_jpeg(*w, *h, i as u8 * 40),
            Some(&exif),
            None,
            None,
        );
        let p = files.join(format!("IMG_{i}.jpg"));
        std::fs::write(&p, jpeg).unwrap();
        paths.push(p);
    }
    let video = files.join("clip.mp4");
    make_video(
        &video,
        "640x360",
        4,
        false,
        true,
        &[
            "-movflags",
            "+faststart",
            "-metadata",
            "creation_time=2026-08-13T09:00:00Z",
        ],
    );
    paths.push(video);

    // HEVC: browsers get the transcoded H.264 copy.
    let hevc = files.join("phone.mp4");
    make_video(&hevc, "480x270", 3, true, true, &[]);

    // Over 32 MiB: the page sends it with tus (its media job fails: noise).
    let big = files.join("big.mp4");
    std::fs::write(&big, noise_video(40 << 20, 77)).unwrap();

    // 130 small photos dated across 2025, for infinite scroll and the scrubber.
    let many_dir = files.join("many");
    std::fs::create_dir(&many_dir).unwrap();
    let mut many = Vec::new();
    for i in 0..130u32 {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
            + chrono::Duration::days(i64::from(i) * 2);
        let exif = fixtures::exif_block(&ExifSpec {
            taken: Some(day.format("%Y:%m:%d 12:00:00").to_string()),
            ..ExifSpec::default()
        });
        let p = many_dir.join(format!("S{i:03}.jpg"));
        std::fs::write(
            &p,
            fixtures::jpeg_with(
                &fixtures::plain_jpeg(96, 64, i as u8),
                Some(&exif),
                None,
                None,
            ),
        )
        .unwrap();
        many.push(p.display().to_string());
    }

    let s = Server::start_with(&data, &[("PIXELUNION_LIMITS__ENABLED", "true")]);
    let share = s
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .expect("share printed at first start");
    let email = s.printed("e-mail:");
    let password = s.printed("password:");
    let joined: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let (big, hevc) = (big.display().to_string(), hevc.display().to_string());
    e2e(
        &s,
        &[
            ("PU_EMAIL", &email),
            ("PU_PASSWORD", &password),
            (
                "PU_FINGERPRINT",
                &s.printed("Certificate SHA-256 fingerprint:"),
            ),
            ("PU_FILES", &joined.join(":")),
            ("PU_BIG_FILE", &big),
            ("PU_HEVC", &hevc),
            ("PU_MANY", &many.join(":")),
        ],
        &[
            "03-timeline",
            "04-viewer",
            "06-albums",
            "07-trash",
            "13-viewer-portrait-info",
            "14-viewer-landscape-info",
            "15-phone-viewer",
            "16-phone-viewer-info",
            "17-timeline-utc",
            "18-timeline-new-york",
            "19-setup-codes",
            "20-phone-setup",
            "21-sealed-while-open",
        ],
    );

    // Restarted: sealed. The browser shows the locked page; once the share
    // is given at the command line, the page reloads into the sign-in page.
    drop(s);
    let shots = root().join("target/e2e-screenshots");
    let s = Server::start_with(&data, &[("PIXELUNION_LIMITS__ENABLED", "true")]);
    let mut node = std::process::Command::new("node")
        .arg(root().join("e2e/library.mjs"))
        .current_dir(root())
        .env("PU_MODE", "locked")
        .env("PU_URL", s.url.trim_end_matches('/'))
        .env("PU_SHOTS", &shots)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = node.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    while !seen.contains("waiting for unseal") {
        use std::io::Read;
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "the locked-page check ended early:\n{seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let unsealed = s.cli(&data, "unseal", &format!("{share}\n"));
    assert!(unsealed.status.success(), "{unsealed:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let status = node.wait().unwrap();
    let all = format!("{seen}{rest}");
    eprintln!("{all}");
    assert!(
        status.success() && all.contains("all checks passed"),
        "{all}"
    );
    assert!(shots.join("12-locked.png").exists());
}

/// Runs `e2e/library.mjs` against `s` with `env` (PU_MODE and the rest) to
/// its end; fails the test unless every check passed and each of the
/// `screenshots` was taken.
fn e2e(s: &Server, env: &[(&str, &str)], screenshots: &[&str]) {
    let shots = root().join("target/e2e-screenshots");
    let out = std::process::Command::new("node")
        .arg(root().join("e2e/library.mjs"))
        .current_dir(root())
        .env("PU_URL", s.url.trim_end_matches('/'))
        .env("PU_SHOTS", &shots)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"));
    for name in screenshots {
        assert!(
            shots.join(format!("{name}.png")).exists(),
            "{name} screenshot"
        );
    }
}

/// Data rights and incidents in the browser (`PU_MODE=rights`): a user
/// exports the library and downloads it, downloads the access report, sees
/// the security activity and deletes the account; the administrator stops
/// the deletion; a security officer takes an incident from opening through
/// the breach clock, affected accounts and containment to notification.
#[test]
fn data_rights_and_incidents_in_chromium() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    upload(&s, &ann, "beach.jpg", &fixtures::plain_jpeg(320, 240, 5));
    let (_, security, _) = security_officer(&s, &admin, "officer@example.org");
    e2e(
        &s,
        &[
            ("PU_MODE", "rights"),
            ("PU_USER_TOKEN", &ann),
            ("PU_USER_EMAIL", "ann@example.org"),
            ("PU_USER_PASSWORD", "a very long library passphrase"),
            ("PU_ADMIN_TOKEN", &admin),
            ("PU_SECURITY_TOKEN", &security),
        ],
        &["22-settings-data", "23-admin-deletions", "24-incident"],
    );
    // The deletion was stopped: Ann signs in again.
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(serde_json::json!({"email": "ann@example.org", "password": "a very long library passphrase"})),
    );
    assert_eq!(st, 200);
}

/// Access through verified channels in the browser (`PU_MODE=access`): an
/// administrator asks for a support role for an account (reason, days), a
/// second administrator approves it, a security officer opens an access
/// review, confirms three lines and revokes the new role, and downloads the
/// finished review; an administrator publishes a privacy policy and a user
/// sees the notice on every page until having read it.
#[test]
fn verified_access_in_chromium() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let admin = first_admin(&s);
    let (_, second, _, _) = staff_member(&s, &admin, "second@example.org", "admin");
    let (_, security, _) = security_officer(&s, &admin, "officer@example.org");
    let (bo_id, bo) = new_user(&s, &admin, "bo@example.org");
    enrol_authenticator(&s, &bo, "a very long library passphrase");
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    e2e(
        &s,
        &[
            ("PU_MODE", "access"),
            ("PU_ADMIN_TOKEN", &admin),
            ("PU_SECOND_ADMIN_TOKEN", &second),
            ("PU_SECURITY_TOKEN", &security),
            ("PU_USER_TOKEN", &ann),
            ("PU_GRANTEE", "bo@example.org"),
        ],
        &["26-role-request", "27-access-review"],
    );
    // What the pages did, as the catalog and the trail have it.
    let db = Db::open(&data);
    assert_eq!(
        db.texts(&format!("SELECT role FROM users WHERE id = '{bo_id}'")),
        ["user"],
        "the revoked role is gone"
    );
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM policy_views WHERE user_id = '{ann_id}' AND kind = 'privacy' AND version = 1"
        )),
        1,
        "the version read is recorded"
    );
    let actions = audit_actions(&s, &security);
    for want in [
        "role.request:support",
        "role.grant:support",
        "access_review.revoke",
        "access_review.close",
        "policy.publish:privacy",
        "policy.seen:privacy",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
}

/// Sharing in the browser (`PU_MODE=sharing`): the owner shares an album
/// with another account and makes two public links from the share dialog;
/// the other account finds the album under "Shared with me"; a fresh
/// browser without an account opens each link (one with a password), and
/// the thumbnail, preview and original it is served carry no EXIF or GPS.
#[test]
fn sharing_in_chromium() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(&dir.path().join("data"));
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let (_, friend) = new_user(&s, &admin, "friend@example.org");
    let (st, _) = s.api(
        "PUT",
        "/api/v1/profile",
        Some(&ann),
        Some(serde_json::json!({"display_name": "Ann"})),
    );
    assert_eq!(st, 200);
    let exif = fixtures::exif_block(&ExifSpec {
        make: Some("CANARYMAKE".into()),
        gps: Some((48.8584, 2.2945)),
        ..ExifSpec::default()
    });
    let photo = fixtures::jpeg_with(
        &fixtures::plain_jpeg(640, 480, 3),
        Some(&exif),
        Some("<x:xmpmeta>GPSCANARY</x:xmpmeta>"),
        None,
    );
    let id = upload(&s, &ann, "beach.jpg", &photo);
    settled(&s, &ann, &id);
    let (st, v) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(serde_json::json!({"name": "Trip", "asset_ids": [id]})),
    );
    assert_eq!(st, 201, "{v}");
    e2e(
        &s,
        &[
            ("PU_MODE", "sharing"),
            ("PU_OWNER_TOKEN", &ann),
            ("PU_FRIEND_TOKEN", &friend),
            ("PU_FRIEND_EMAIL", "friend@example.org"),
            ("PU_ALBUM", v["id"].as_str().unwrap()),
        ],
        &["28-share-dialog", "29-link-page"],
    );
}
