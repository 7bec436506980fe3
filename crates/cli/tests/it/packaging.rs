//! Packaging: the systemd unit's sandbox is rated by `systemd-analyze
//! security` (systemd itself cannot run here: no init system in the test
//! machines), and the service works under the unit's process limits that
//! need no systemd — no new privileges, no writable-and-executable memory
//! (what `MemoryDenyWriteExecute=` enforces, through `PR_SET_MDWE`), no core
//! files — photos and a video through ffmpeg included.

use crate::harness::*;

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_systemd_unit_is_rated_well_by_systemd_analyze() {
    let unit = repo().join("deploy/systemd/pixelunion.service");
    let out = match std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run this: systemd-analyze ({e})"
            );
            eprintln!("SKIPPED: systemd-analyze is not installed");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let level: f64 = text
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for pixelunion.service: ")
                .nth(1)
        })
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no rating:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(level <= 2.0, "exposure {level} (want at most 2.0):\n{text}");
    let unit = std::fs::read_to_string(&unit).unwrap();
    for directive in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "MemoryDenyWriteExecute=yes",
        "LimitCORE=0",
        "LimitMEMLOCK=",
        "LockPersonality=yes",
        "RestrictAddressFamilies=",
        "SystemCallFilter=",
        "User=pixelunion",
    ] {
        assert!(
            unit.lines().any(|l| l.starts_with(directive)),
            "{directive} missing"
        );
    }
}

#[test]
fn the_service_runs_under_the_units_process_limits() {
    let media = media_tools("the_service_runs_under_the_units_process_limits");
    let dir = tempfile::tempdir().unwrap();
    let wrapper = repo().join("scripts/run-sandboxed.py");
    let wrapper = wrapper.to_string_lossy();
    let s = Server::start_through(&dir.path().join("data"), &[], &["python3", &wrapper]);
    let status = String::from_utf8_lossy(&s.proc_file("status")).into_owned();
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("NoNewPrivs:") && l.ends_with('1')),
        "{status}"
    );
    let limits = String::from_utf8_lossy(&s.proc_file("limits")).into_owned();
    assert!(
        limits.lines().any(
            |l| l.starts_with("Max core file size") && l.split_whitespace().nth(4) == Some("0")
        ),
        "{limits}"
    );
    let admin = first_admin(&s);
    let (_, ann) = new_user(&s, &admin, "ann@example.org");
    let photo = upload(
        &s,
        &ann,
        "a.jpg",
        &pixelunion_media::fixtures::plain_jpeg(640, 480, 1),
    );
    assert_eq!(settled(&s, &ann, &photo)["media"]["state"], "ready");
    if media {
        let made = dir.path().join("v.mp4");
        make_video(&made, "320x240", 1, true, true, &[]);
        let video = upload(&s, &ann, "v.mp4", &std::fs::read(&made).unwrap());
        let v = settled(&s, &ann, &video);
        assert_eq!(v["media"]["state"], "ready", "ffmpeg under MDWE: {v}");
        let r = s
            .call("GET", &format!("/api/v1/assets/{video}/playback"))
            .bearer(&ann)
            .send();
        assert_eq!(r.status, 200, "an H.264 copy of the HEVC video was made");
    }
    let _ = s.stop();
}
