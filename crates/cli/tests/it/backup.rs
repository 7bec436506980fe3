//! Backups that bring the service back, drilled on the real binary: a
//! library (users, one with TOTP, an album, captions, photos with their
//! renditions, a transcoded video) is replicated and snapshotted; the
//! primary store and the catalog are destroyed; `pixelunion backup restore`
//! rebuilds the deployment from the backup store and the key shares alone;
//! the restored server starts sealed, unseals with the same shares, signs
//! everyone in and serves every byte as it was. Then damage: primary copies
//! corrupted and deleted are served from the backup, repaired, scrubbed and
//! verified. Bad input (wrong shares, an empty backup store, a tampered or
//! truncated snapshot) is refused with nothing written.
//!
//! Three sites: local directories with SQLite (always), the same snapshot
//! restored into PostgreSQL (SQLite → PostgreSQL), and PostgreSQL with the
//! primary and backup stores on two separate Garage instances (with the
//! backup instance frozen mid-way: uploads go on, status says degraded, the
//! backlog drains when it is back).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::harness::garage::Garage;
use crate::harness::*;

/// What one library looks like from its owners' side, to compare after a
/// restore: every file of every asset, the albums and the captions.
#[derive(Debug, Default, PartialEq)]
struct Library {
    /// `asset id/kind` → bytes (original, thumbnail, preview, playback)
    files: BTreeMap<String, Vec<u8>>,
    /// album name → asset ids
    albums: BTreeMap<String, Vec<String>>,
    /// asset id → caption
    captions: BTreeMap<String, String>,
}

/// The accounts of the drill and how to sign them in again.
struct People {
    admin_email: String,
    admin_password: String,
    admin_totp: Vec<u8>,
    user_email: String,
    user_token: String,
}

const USER_PASSWORD: &str = "a very long library passphrase";
const ADMIN_PASSWORD: &str = "a long passphrase for the first account";

fn text(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `pixelunion backup restore --data-dir DATA --json` with these shares.
fn restore(data: &Path, extra: &[&str], shares: &[&str]) -> std::process::Output {
    let mut args = vec!["backup", "restore", "--json", "--data-dir"];
    let d = data.to_string_lossy().into_owned();
    args.push(&d);
    args.extend(extra);
    pixelunion(&args, &(shares.join("\n") + "\n"))
}

/// Writes `DATA/pixelunion.toml` (both `restore` and `serve` read it).
fn write_config(data: &Path, toml: &str) {
    std::fs::create_dir_all(data).expect("data dir");
    std::fs::write(data.join("pixelunion.toml"), toml).expect("config");
}

/// A site's settings: the database and the two stores (TOML).
fn site_toml(database_url: Option<&str>, primary: &str, backup: &str) -> String {
    let mut t = String::from("[init]\nshares = 3\nthreshold = 2\n\n");
    if let Some(url) = database_url {
        t = format!("database_url = \"{url}\"\n\n{t}");
    }
    format!("{t}[primary]\n{primary}\n[backup]\n{backup}\n")
}

fn local_store(path: &Path) -> String {
    format!("kind = \"local\"\npath = \"{}\"\n", path.display())
}

/// Signs the admin in with password and a TOTP code of a step after the
/// last one used (a replayed code is refused, also after a restore).
fn admin_sign_in(s: &Server, p: &People) -> String {
    let after = now_secs() / 30;
    let mut st = 0;
    let mut v = Value::Null;
    for attempt in 0..2 {
        let t = if attempt == 0 {
            now_secs()
        } else {
            wait_secs("a fresh TOTP step", 40, || now_secs() / 30 > after);
            now_secs()
        };
        let code = pixelunion_auth::mfa::code_at(&p.admin_totp, t).unwrap();
        (st, v) = s.api(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": p.admin_email, "password": p.admin_password, "totp": code, "bearer": true})),
        );
        if st == 200 {
            break;
        }
    }
    assert_eq!(st, 200, "admin sign-in with TOTP: {v}");
    v["token"].as_str().unwrap().to_string()
}

fn user_sign_in(s: &Server, p: &People) -> String {
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": p.user_email, "password": USER_PASSWORD, "bearer": true})),
    );
    assert_eq!(st, 200, "user sign-in: {v}");
    v["token"].as_str().unwrap().to_string()
}

/// Makes the drill's library: an admin with TOTP, a user with eight photos
/// (two captioned, five in an album, one sent in pieces) and, with the
/// media tools, an HEVC video sent in pieces that gets a transcoded
/// playback copy.
fn populate(s: &Server, with_video: bool) -> People {
    let (admin_token, totp) = setup_account(
        s,
        &s.printed("e-mail:"),
        &s.printed("password:"),
        ADMIN_PASSWORD,
        true,
    );
    let user_email = format!("drill-{}@example.org", std::process::id());
    let (_, user_token) = new_user(s, &admin_token, &user_email);
    let mut ids = Vec::new();
    for i in 0..8u8 {
        let photo = pixelunion_media::fixtures::plain_jpeg(320 + 16 * u32::from(i), 240, i);
        let name = format!("photo-{i}.jpg");
        // The last one sent in three pieces: an original kept as its parts,
        // each replicated, restored and healed like any blob.
        ids.push(match i {
            7 => crate::harness::tus::in_pieces(s, &user_token, &name, &photo, 3),
            _ => upload(s, &user_token, &name, &photo),
        });
    }
    if with_video {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clip.mp4");
        make_video(&path, "320x240", 2, true, true, &[]);
        let video = std::fs::read(&path).expect("video");
        // In two pieces: the poster and the transcoding read the original
        // across its parts.
        let id = crate::harness::tus::in_pieces(s, &user_token, "clip.mp4", &video, 2);
        // The transcoded copy is made after the poster: until then playback
        // serves the original (its ETag is the asset id).
        wait_secs("the transcoded playback copy", 180, || {
            let r = s
                .call("GET", &format!("/api/v1/assets/{id}/playback"))
                .bearer(&user_token)
                .send();
            r.status == 200 && r.header("etag") != Some(&format!("\"{id}\""))
        });
        ids.push(id);
    }
    for id in &ids {
        let v = settled(s, &user_token, id);
        assert_eq!(v["media"]["state"], "ready", "{v}");
    }
    assert_eq!(
        resumable_completed(s, "parts"),
        if with_video { 2.0 } else { 1.0 },
        "the uploads in pieces are kept as their parts"
    );
    for (id, caption) in [
        (&ids[0], "the lake at dawn"),
        (&ids[3], "grandmother's garden"),
    ] {
        let (st, v) = s.api(
            "PATCH",
            &format!("/api/v1/assets/{id}"),
            Some(&user_token),
            Some(json!({"caption": caption})),
        );
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&user_token),
        Some(json!({"name": "Summer"})),
    );
    assert_eq!(st, 201, "{v}");
    let album = v["id"].as_str().unwrap().to_string();
    let (st, v) = s.api(
        "POST",
        &format!("/api/v1/albums/{album}/assets"),
        Some(&user_token),
        Some(json!({"asset_ids": ids[..5]})),
    );
    assert!(st == 200 || st == 204, "{st} {v}");
    People {
        admin_email: s.printed("e-mail:"),
        admin_password: ADMIN_PASSWORD.into(),
        admin_totp: totp.expect("TOTP enrolled"),
        user_email,
        user_token,
    }
}

/// Everything the user can read of the library, byte for byte.
fn read_library(s: &Server, token: &str) -> Library {
    let mut lib = Library::default();
    let (st, v) = s.api("GET", "/api/v1/assets?limit=100", Some(token), None);
    assert_eq!(st, 200, "{v}");
    for a in v["items"].as_array().expect("items") {
        let id = a["id"].as_str().unwrap();
        let mut kinds = vec!["original", "thumbnail", "preview"];
        if a["kind"] == "video" {
            kinds.push("playback");
        }
        for kind in kinds {
            let r = s
                .call("GET", &format!("/api/v1/assets/{id}/{kind}"))
                .bearer(token)
                .send();
            assert_eq!(r.status, 200, "{id}/{kind}: {}", r.text());
            lib.files.insert(format!("{id}/{kind}"), r.body);
        }
        if let Some(c) = a["caption"].as_str() {
            lib.captions.insert(id.to_string(), c.to_string());
        }
    }
    let (st, v) = s.api("GET", "/api/v1/albums", Some(token), None);
    assert_eq!(st, 200, "{v}");
    for album in v["items"].as_array().expect("albums") {
        let id = album["id"].as_str().unwrap();
        let (_, a) = s.api(
            "GET",
            &format!("/api/v1/assets?album={id}&limit=100"),
            Some(token),
            None,
        );
        let mut members: Vec<String> = a["items"]
            .as_array()
            .expect("album items")
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect();
        members.sort();
        lib.albums
            .insert(album["name"].as_str().unwrap().to_string(), members);
    }
    lib
}

/// Waits until every blob is in the backup store.
fn replicated(s: &Server, secs: u64) {
    wait_secs("the replication backlog to drain", secs, || {
        backup_status(s)["replication_queued"] == 0
    });
}

/// Replication drained, a snapshot taken (`backup run`), listed, and the
/// backup verified clean with every copy decrypted.
fn snapshot_and_verify(s: &Server) -> String {
    replicated(s, 60);
    let out = s.cli(&s.data, "backup run --json", "");
    assert!(out.status.success(), "{}", text(&out));
    let taken: Value = serde_json::from_slice(&out.stdout).expect("run JSON");
    let id = taken["id"].as_str().expect("snapshot id").to_string();
    assert!(taken["bytes"].as_u64().unwrap() > 0, "{taken}");
    let out = s.cli(&s.data, "backup list", "");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{id} ")),
        "{}",
        text(&out)
    );
    let status = backup_status(s);
    assert_eq!(status["backup_store"], "ok", "{status}");
    assert!(
        status["last_snapshot_age_secs"].as_i64().unwrap() < 60,
        "{status}"
    );
    let out = s.cli(&s.data, "backup verify --all --json", "");
    let report: Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["intact"], report["referenced"], "{report}");
    assert_eq!(report["authenticated"], report["referenced"], "{report}");
    assert!(report["referenced"].as_u64().unwrap() >= 24, "{report}");
    id
}

/// Starts the restored deployment, checks it is sealed, unseals it with two
/// of the shares through the CLI, and checks every sign-in and every byte.
fn serve_restored(data: &Path, shares: &[String], people: &People, before: &Library) -> Server {
    let s = Server::start(data);
    let (_, st) = s.get("/api/v1/sys/status");
    assert!(
        st.contains("\"sealed\":true"),
        "a restored server starts sealed: {st}"
    );
    assert!(st.contains("\"initialized\":true"), "{st}");
    for share in &shares[1..3] {
        let out = s.cli(data, "unseal", share);
        assert!(out.status.success(), "{}", text(&out));
    }
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":false"));
    let admin = admin_sign_in(&s, people);
    let (st, v) = s.api("GET", "/api/v1/auth/me", Some(&admin), None);
    assert_eq!((st, v["role"].as_str()), (200, Some("admin")), "{v}");
    let user = user_sign_in(&s, people);
    let after = read_library(&s, &user);
    assert_eq!(after.files.len(), before.files.len());
    for (k, b) in &before.files {
        assert!(
            after.files.get(k) == Some(b),
            "{k} differs after the restore"
        );
    }
    assert_eq!(after, *before);
    s
}

/// Flips one byte in the middle of a file.
fn corrupt(path: &Path) {
    let mut b = std::fs::read(path).expect("read");
    let i = b.len() / 2;
    b[i] ^= 0x5a;
    std::fs::write(path, b).expect("write");
}

/// Objects of a local store (blob names only: snapshots are not blobs).
fn blobs_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = files_under(dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.len() == 32 && n.bytes().all(|c| c.is_ascii_hexdigit()))
        })
        .collect();
    v.sort();
    v
}

/// Damage on the primary store: 10 objects corrupted and 5 deleted; every
/// download is still byte-exact (served from the backup, audited, counted),
/// the repair jobs rewrite them; 3 more corrupted are found by the scrubber;
/// the backup verifies clean.
fn damage_heal_and_scrub(
    s: &Server,
    primary: &Path,
    backup: &Path,
    people: &People,
    before: &Library,
) {
    let blobs = blobs_in(primary);
    assert!(blobs.len() >= 18, "{} primary objects", blobs.len());
    // A fixed but spread choice: every other object.
    let picked: Vec<&PathBuf> = blobs.iter().step_by(blobs.len() / 18).take(18).collect();
    for p in &picked[..10] {
        corrupt(p);
    }
    for p in &picked[10..15] {
        std::fs::remove_file(p).expect("delete");
    }
    let user = user_sign_in(s, people);
    let after = read_library(s, &user);
    assert_eq!(after, *before, "downloads with damaged primary copies");
    // Video players read by ranges: one straddling the middle of each original.
    for (k, b) in &before.files {
        if !k.ends_with("/original") || b.len() < 100 {
            continue;
        }
        let (from, to) = (b.len() / 3, b.len() / 3 + 50);
        let r = s
            .call("GET", &format!("/api/v1/assets/{k}"))
            .bearer(&user)
            .header("range", &format!("bytes={from}-{}", to - 1))
            .send();
        assert_eq!(r.status, 206);
        assert_eq!(r.body, b[from..to], "{k} range");
    }
    wait_secs("the repairs of the damaged copies", 60, || {
        backup_status(s)["repairs"].as_u64().unwrap_or(0) >= 15
    });
    let status = backup_status(s);
    assert!(status["healed_reads"].as_u64().unwrap() >= 15, "{status}");
    for p in &picked[10..15] {
        assert!(p.exists(), "{} rewritten", p.display());
    }

    // The scrubber finds what nobody reads.
    for p in &picked[15..18] {
        corrupt(p);
    }
    let out = s.cli(&s.data, "backup scrub --json", "");
    assert!(out.status.success(), "{}", text(&out));
    let scrub: Value = serde_json::from_slice(&out.stdout).expect("scrub JSON");
    assert_eq!(scrub["repaired"], 3, "{scrub}");
    assert_eq!(scrub["unrepairable"], 0, "{scrub}");
    assert_eq!(
        scrub["checked"].as_u64(),
        Some(blobs.len() as u64),
        "{scrub}"
    );
    let out = s.cli(&s.data, "backup scrub --json", "");
    let again: Value = serde_json::from_slice(&out.stdout).expect("scrub JSON");
    assert_eq!(
        again["repaired"], 0,
        "a second scrub finds nothing: {again}"
    );
    let out = s.cli(&s.data, "backup verify --all --json", "");
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(read_library(s, &user), *before);

    // Damage in the backup store is reported with counts and a failing exit:
    // one copy deleted, one corrupted, one object no row references.
    let copies = blobs_in(backup);
    let kept: Vec<Vec<u8>> = copies[..2]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    std::fs::remove_file(&copies[0]).expect("delete a backup copy");
    corrupt(&copies[1]);
    let stray = copies[2].with_file_name("0123456789abcdef0123456789abcdef");
    std::fs::copy(&copies[2], &stray).expect("an orphan");
    let out = s.cli(&s.data, "backup verify --json", "");
    assert!(!out.status.success(), "verify must fail: {}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
    assert_eq!(
        (
            &report["missing"],
            &report["corrupt"],
            &report["orphaned"],
            &report["ok"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(false)),
        "{report}"
    );
    let out = s.cli(&s.data, "backup verify", "");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 missing, 1 corrupt; 1 orphaned"),
        "{}",
        text(&out)
    );
    // Put the backup back as it was (the next restore reads it).
    for (p, b) in copies[..2].iter().zip(kept) {
        std::fs::write(p, b).expect("restore a backup copy");
    }
    std::fs::remove_file(&stray).expect("remove the orphan");
}

/// The audit trail's actions in a stopped deployment's SQLite catalog.
fn audited_actions(data: &Path) -> Vec<String> {
    let url = format!("sqlite://{}", data.join("catalog.sqlite").display());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let c = pixelunion_catalog::Catalog::connect(&url)
            .await
            .expect("catalog");
        let rows = c.recent_audit(10_000).await.expect("audit");
        c.close().await;
        rows.into_iter()
            .map(|r| format!("{} {}", r.action, r.outcome))
            .collect()
    })
}

/// Whether restoring changed nothing: no catalog, nothing in the primary.
fn untouched(data: &Path, primary: &Path) {
    assert!(
        !data.join("catalog.sqlite").exists(),
        "a catalog was written"
    );
    assert!(
        !primary.exists() || blobs_in(primary).is_empty(),
        "blobs were written"
    );
}

#[test]
fn drill_local_directories_sqlite_and_into_postgres() {
    let tools = media_tools("drill_local_directories_sqlite_and_into_postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let site1 = dir.path().join("site1");
    let backup = dir.path().join("backup-site");
    let toml = |data: &Path, db: Option<&str>| {
        site_toml(
            db,
            &local_store(&data.join("primary")),
            &local_store(&backup),
        )
    };
    write_config(&site1, &toml(&site1, None));
    let s = Server::start(&site1);
    let shares = shares_printed(&s);
    assert_eq!(shares.len(), 3, "{:?}", s.stdout);
    let people = populate(&s, tools);
    let before = read_library(&s, &people.user_token);
    let snapshot = snapshot_and_verify(&s);
    // Sealing takes a snapshot (the last moment the key is there); the
    // shutdown that follows, sealed, cannot and does not.
    let out = s.cli(&s.data, "seal", "");
    assert!(out.status.success(), "{}", text(&out));
    s.stop();
    let heads = |dir: &Path| {
        files_under(dir)
            .iter()
            .filter(|p| p.to_string_lossy().ends_with(".head"))
            .count()
    };
    assert_eq!(
        heads(&backup),
        2,
        "the snapshot of `backup run` and the one at seal"
    );
    // What the backup provider stores of the catalog is ciphertext: none of
    // the catalog's plaintext columns (an asset id, a media type, a password
    // hash's prefix) appears in a snapshot body.
    let asset_id = before
        .files
        .keys()
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    for body in files_under(&backup)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".body"))
    {
        let b = std::fs::read(&body).unwrap();
        for needle in [asset_id.as_bytes(), b"image/jpeg", b"$argon2id$"] {
            assert!(
                !b.windows(needle.len()).any(|w| w == needle),
                "{} holds {:?} in the clear",
                body.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }

    // The primary site burns down: catalog, primary store, certificate, all.
    std::fs::remove_dir_all(&site1).expect("destroy site 1");

    // Bad input first; each leaves the new data directory without a catalog.
    let site2 = dir.path().join("site2");
    write_config(&site2, &toml(&site2, None));
    let other = dir.path().join("other");
    let out = pixelunion(
        &[
            "init",
            "--json",
            "--shares",
            "3",
            "--threshold",
            "2",
            "--data-dir",
            &other.to_string_lossy(),
        ],
        "",
    );
    let foreign: Value = serde_json::from_slice(&out.stdout).expect("init JSON");
    let foreign: Vec<&str> = foreign["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    let out = restore(&site2, &[], &foreign[..2]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("do not open") || text(&out).contains("share"),
        "{}",
        text(&out)
    );
    untouched(&site2, &site2.join("primary"));
    let out = restore(&site2, &[], &[&shares[0]]);
    assert!(!out.status.success(), "one share of two: {}", text(&out));
    assert!(
        text(&out).contains("1 share(s) given, 2 needed"),
        "{}",
        text(&out)
    );
    untouched(&site2, &site2.join("primary"));
    let out = restore(
        &site2,
        &["--snapshot", "00000000000000000001-0000000000000000"],
        &[&shares[0], &shares[1]],
    );
    assert!(text(&out).contains("no snapshot"), "{}", text(&out));
    untouched(&site2, &site2.join("primary"));

    // An empty backup store.
    let empty = dir.path().join("empty");
    write_config(
        &empty,
        &site_toml(
            None,
            &local_store(&empty.join("primary")),
            &local_store(&dir.path().join("nothing")),
        ),
    );
    let out = restore(&empty, &[], &[&shares[0], &shares[1]]);
    assert!(
        text(&out).contains("no complete snapshot"),
        "{}",
        text(&out)
    );
    untouched(&empty, &empty.join("primary"));

    // A tampered and a truncated snapshot body (in a copy of the backup).
    for (how, damage) in [
        ("tampered", corrupt as fn(&Path)),
        ("truncated", |p: &Path| {
            let b = std::fs::read(p).unwrap();
            std::fs::write(p, &b[..b.len() - 100]).unwrap();
        }),
    ] {
        let copy = dir.path().join(format!("backup-{how}"));
        run_ok(
            "cp",
            &["-r", &backup.to_string_lossy(), &copy.to_string_lossy()],
        );
        let body = files_under(&copy)
            .into_iter()
            .find(|p| p.to_string_lossy().ends_with(&format!("{snapshot}.body")))
            .expect("the snapshot's body");
        damage(&body);
        let d = dir.path().join(format!("site-{how}"));
        write_config(
            &d,
            &site_toml(None, &local_store(&d.join("primary")), &local_store(&copy)),
        );
        let out = restore(&d, &["--snapshot", &snapshot], &[&shares[0], &shares[1]]);
        assert!(!out.status.success(), "{how}: {}", text(&out));
        assert!(
            text(&out).contains("cannot be used"),
            "{how}: {}",
            text(&out)
        );
        untouched(&d, &d.join("primary"));
    }

    // The snapshots, read from the backup store with no server running.
    let out = pixelunion(
        &[
            "backup",
            "list",
            "--offline",
            "--json",
            "--data-dir",
            &site2.to_string_lossy(),
        ],
        "",
    );
    let listed: Value = serde_json::from_slice(&out.stdout).expect("list JSON");
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == snapshot.as_str() && x["complete"] == true),
        "{listed}"
    );

    // The restore, with two of the three shares on stdin (the newest
    // snapshot: the one taken at shutdown).
    let out = restore(&site2, &[], &[&shares[2], &shares[0]]);
    assert!(out.status.success(), "{}", text(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    assert_eq!(summary["missing"], 0, "{summary}");
    assert!(summary["blobs"].as_u64().unwrap() >= 24, "{summary}");
    // Restoring twice into the same place is refused.
    let out = restore(&site2, &[], &[&shares[2], &shares[0]]);
    assert!(
        text(&out).contains("restore into a new data directory"),
        "{}",
        text(&out)
    );

    let s = serve_restored(&site2, &shares, &people, &before);
    damage_heal_and_scrub(&s, &site2.join("primary"), &backup, &people, &before);
    s.stop();
    let audit = audited_actions(&site2);
    for action in [
        "backup.restore success",
        "backup.heal.read success",
        "backup.repair success",
        "backup.verify success",
        "backup.snapshot:command success",
    ] {
        assert!(
            audit.iter().any(|a| a == action),
            "{action} not audited: {audit:?}"
        );
    }

    // The same snapshot restored into PostgreSQL (SQLite → PostgreSQL).
    let Ok(pg) = std::env::var("PIXELUNION_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL part"
        );
        eprintln!("SKIPPED the SQLite -> PostgreSQL part: set PIXELUNION_TEST_POSTGRES_URL");
        return;
    };
    let url = fresh_database(&pg, "drill_sqlite_to_pg");
    let site3 = dir.path().join("site3");
    write_config(&site3, &toml(&site3, Some(&url)));
    let out = restore(
        &site3,
        &["--snapshot", &snapshot],
        &[&shares[1], &shares[2]],
    );
    assert!(out.status.success(), "{}", text(&out));
    let s = serve_restored(&site3, &shares, &people, &before);
    assert!(
        s.get("/api/v1/sys/status")
            .1
            .contains("\"database\":\"postgres\"")
    );
    s.stop();
    psql(&pg, "DROP DATABASE IF EXISTS drill_sqlite_to_pg");
}

#[test]
fn drill_postgres_on_two_garage_instances() {
    let (Ok(pg), Some(primary), Some(backup), Ok(backup_pid)) = (
        std::env::var("PIXELUNION_TEST_POSTGRES_URL"),
        Garage::from_env("DRILL_PRIMARY"),
        Garage::from_env("DRILL_BACKUP"),
        std::env::var("PIXELUNION_TEST_DRILL_BACKUP_PID"),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the Garage drill (scripts/garage.sh start sets PIXELUNION_TEST_DRILL_*)"
        );
        eprintln!(
            "SKIPPED drill_postgres_on_two_garage_instances: set PIXELUNION_TEST_POSTGRES_URL and run scripts/garage.sh start"
        );
        return;
    };
    let tools = media_tools("drill_postgres_on_two_garage_instances");
    primary.empty();
    backup.empty();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = fresh_database(&pg, "drill_garage");
    let site1 = dir.path().join("site1");
    let toml = site_toml(Some(&url), &primary.toml(), &backup.toml());
    write_config(&site1, &toml);
    let s = Server::start(&site1);
    let shares = shares_printed(&s);
    let people = populate(&s, tools);
    replicated(&s, 60);

    // The backup cluster stops answering: uploads and downloads go on,
    // readiness holds, status says degraded; the backlog drains once it is back.
    let signal = |sig: &str| run_ok("kill", &[sig, &backup_pid]);
    signal("-STOP");
    let resume = Resume(backup_pid.clone());
    let (st, ready) = s.get("/readyz");
    assert_eq!(st, 200, "{ready}");
    assert!(ready.contains("\"backup\":\"degraded\""), "{ready}");
    let late = upload(
        &s,
        &people.user_token,
        "late.jpg",
        &pixelunion_media::fixtures::plain_jpeg(200, 150, 77),
    );
    assert_eq!(
        settled(&s, &people.user_token, &late)["media"]["state"],
        "ready"
    );
    let late_photo = pixelunion_media::fixtures::plain_jpeg(200, 150, 77);
    let r = s
        .call("GET", &format!("/api/v1/assets/{late}/original"))
        .bearer(&people.user_token)
        .send();
    assert_eq!(
        (r.status, r.body == late_photo),
        (200, true),
        "downloads go on"
    );
    assert_eq!(s.get("/login").0, 200, "the web app goes on");
    let status = backup_status(&s);
    assert_eq!(status["backup_store"], "degraded", "{status}");
    assert!(
        status["replication_queued"].as_i64().unwrap() >= 1,
        "{status}"
    );
    drop(resume);
    replicated(&s, 180);
    assert_eq!(backup_status(&s)["backup_store"], "ok");

    let before = read_library(&s, &people.user_token);
    snapshot_and_verify(&s);
    s.stop();

    // Catalog and primary store destroyed.
    psql(&pg, "DROP DATABASE drill_garage");
    primary.empty();
    assert_eq!(primary.count(), 0);
    let url = fresh_database(&pg, "drill_garage");
    let site2 = dir.path().join("site2");
    write_config(
        &site2,
        &site_toml(Some(&url), &primary.toml(), &backup.toml()),
    );
    let out = restore(&site2, &[], &[&shares[0], &shares[1]]);
    assert!(out.status.success(), "{}", text(&out));
    let s = serve_restored(&site2, &shares, &people, &before);
    s.stop();
    psql(&pg, "DROP DATABASE IF EXISTS drill_garage");
}

/// Sends SIGCONT to the frozen backup instance when dropped (also when the
/// test fails), so no later test finds it frozen.
struct Resume(String);

impl Drop for Resume {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.0]).status();
    }
}
