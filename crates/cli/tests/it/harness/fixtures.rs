//! What tests need besides the server and a client: accounts made through
//! the API (first administrator, users), uploads, waiting for the pipeline,
//! generated test media and the external media tools.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::server::Server;

/// Unix seconds now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Signs in with a one-time password, sets `password` and, when asked,
/// enrols TOTP; returns the session token (kept through both steps).
pub fn finish_setup(
    s: &Server,
    email: &str,
    otp: &str,
    password: &str,
    enrol_totp: bool,
) -> String {
    setup_account(s, email, otp, password, enrol_totp).0
}

/// [`finish_setup`], also returning the TOTP secret when one was enrolled
/// (to sign in again later).
pub fn setup_account(
    s: &Server,
    email: &str,
    otp: &str,
    password: &str,
    enrol_totp: bool,
) -> (String, Option<Vec<u8>>) {
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": otp, "bearer": true})),
    );
    assert_eq!(st, 200, "{v}");
    let t = v["token"].as_str().unwrap().to_string();
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/password",
        Some(&t),
        Some(json!({"current_password": otp, "new_password": password})),
    );
    assert_eq!(st, 200, "{v}");
    if !enrol_totp {
        return (t, None);
    }
    let (secret, _) = enrol_authenticator(s, &t, password);
    (t, Some(secret))
}

/// Signs the first administrator in (with the credentials the first start
/// printed) and completes its forced setup; returns its session token.
pub fn first_admin(s: &Server) -> String {
    finish_setup(
        s,
        &s.printed("e-mail:"),
        &s.printed("password:"),
        "a long passphrase for the first account",
        true,
    )
}

/// Creates a plain user as `admin` and returns `(user id, ready session token)`.
pub fn new_user(s: &Server, admin: &str, email: &str) -> (String, String) {
    let (st, v) = s.api(
        "POST",
        "/api/v1/admin/users",
        Some(admin),
        Some(serde_json::json!({"email": email})),
    );
    assert_eq!(st, 201, "{v}");
    let token = finish_setup(
        s,
        email,
        v["one_time_password"].as_str().expect("one-time password"),
        "a very long library passphrase",
        false,
    );
    (v["id"].as_str().expect("id").to_string(), token)
}

/// `len` bytes of an MP4 (by its signature) with incompressible contents.
pub fn noise_video(len: usize, seed: u32) -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    let mut x = 0x9e37_79b9u32 ^ seed;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(x as u8);
    }
    v.truncate(len);
    v
}

/// Polls `f` every 100 ms for up to 20 s.
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// GET with the headers (names lower-case, as `name: value` lines) and the
/// raw body; `extra` are more request headers (`"range: bytes=0-9"`, each
/// optionally after a `"-H"`).
pub fn get_bytes(s: &Server, token: &str, path: &str, extra: &[&str]) -> (String, Vec<u8>) {
    let mut c = s.call("GET", path).bearer(token);
    for h in extra.iter().filter(|h| **h != "-H") {
        let (k, v) = h.split_once(':').expect("name: value");
        c = c.header(k.trim(), v.trim());
    }
    let r = c.send();
    let mut head = format!("http/1.1 {}\r\n", r.status);
    for (k, v) in &r.headers {
        head.push_str(&format!("{}: {}\r\n", k.as_str(), v.to_str().unwrap_or("")));
    }
    (head.to_ascii_lowercase(), r.body)
}

/// Uploads `bytes` in one request (raw body, name in `X-File-Name`); the asset id.
pub fn upload(s: &Server, token: &str, name: &str, bytes: &[u8]) -> String {
    let r = s
        .call("POST", "/api/v1/assets")
        .bearer(token)
        .header("x-file-name", name)
        .bytes(bytes.to_vec())
        .send();
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["asset"]["id"].as_str().unwrap().to_string()
}

/// The asset once its media job has run (state no longer `pending`).
pub fn settled(s: &Server, token: &str, id: &str) -> Value {
    let mut v = Value::Null;
    wait_for("the media job", || {
        v = s
            .api("GET", &format!("/api/v1/assets/{id}"), Some(token), None)
            .1;
        v["media"]["state"] != "pending"
    });
    v
}

/// Whether the external media tools run here. Missing: a skip outside CI
/// (with the reason printed), a failure in CI.
pub fn media_tools(test: &str) -> bool {
    let ok = ["ffmpeg", "ffprobe", "heif-enc", "heif-thumbnailer"]
        .iter()
        .all(|t| {
            Command::new(t)
                .arg("-h")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        });
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run {test}: media tools missing (scripts/install-media-tools.sh)"
        );
        eprintln!("SKIPPED {test}: run scripts/install-media-tools.sh (ffmpeg, libheif tools)");
    }
    ok
}

/// Polls `f` every 200 ms for up to `secs` seconds.
pub fn wait_secs(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// Runs a command that must succeed (test input generation).
pub fn run_ok(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test video from ffmpeg's test pattern (`size` "WxH", `secs` long,
/// 25 fps): `hevc` picks x265 (tagged `hvc1`, as phones write it) over x264,
/// `audio` adds an AAC tone; `extra` output options (metadata, movflags)
/// go before the path.
pub fn make_video(path: &Path, size: &str, secs: u32, hevc: bool, audio: bool, extra: &[&str]) {
    let pattern = format!("testsrc2=size={size}:rate=25:duration={secs}");
    let tone = format!("sine=frequency=440:duration={secs}");
    let mut args: Vec<&str> = vec!["-v", "error", "-y", "-f", "lavfi", "-i", &pattern];
    if audio {
        args.extend(["-f", "lavfi", "-i", &tone, "-c:a", "aac"]);
    }
    if hevc {
        args.extend([
            "-c:v",
            "libx265",
            "-x265-params",
            "log-level=none",
            "-tag:v",
            "hvc1",
        ]);
    } else {
        args.extend(["-c:v", "libx264"]);
    }
    args.extend(["-pix_fmt", "yuv420p"]);
    args.extend(extra);
    let out = path.to_string_lossy();
    args.push(&out);
    run_ok("ffmpeg", &args);
}

/// Runs one SQL statement with `psql` against `url` (it must succeed); its
/// output, trimmed.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-tAc", sql])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new, empty PostgreSQL database named `name` on the test server.
pub fn fresh_database(pg: &str, name: &str) -> String {
    psql(pg, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(pg, &format!("CREATE DATABASE {name}"));
    format!("{}/{name}", pg.rsplit_once('/').expect("db in url").0)
}

/// `pixelunion backup status --json` of a running server (from its machine).
pub fn backup_status(s: &Server) -> Value {
    let out = s.cli(&s.data, "backup status --json", "");
    assert!(
        out.status.success(),
        "backup status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

/// The value of the sample `name{labels}` (labels as printed) in
/// Prometheus text, if present.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// How many resumable uploads the server completed in the way `outcome`
/// (`adopted`, `carried`, `rehashed`, `duplicate`), from `/metrics`.
pub fn resumable_completed(s: &Server, outcome: &str) -> f64 {
    let text = s.call("GET", "/metrics").send().text();
    let series = format!("pixelunion_resumable_uploads_completed_total{{outcome=\"{outcome}\"}}");
    sample(&text, &series).unwrap_or(0.0)
}

/// The shares `serve` printed at its first start (`pu-…` lines).
pub fn shares_printed(s: &Server) -> Vec<String> {
    s.stdout
        .iter()
        .filter_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .collect()
}

/// Grants `role` to the account `email` for `days` with the key shares
/// (break-glass: what a deployment with one administrator does; the
/// four-eyes path has tests of its own in `grants.rs`). The account needs
/// TOTP; its sessions end.
pub fn grant_role(s: &Server, email: &str, role: &str) {
    let (st, v) = s.api(
        "POST",
        "/api/v1/sys/break-glass",
        None,
        Some(json!({
            "shares": shares_printed(s),
            "email": email,
            "role": role,
            "reason": "test set-up",
        })),
    );
    assert_eq!(st, 201, "break-glass {role} for {email}: {v}");
}

/// Signs in with a password and a recovery code (used up); the session token.
pub fn login_recovery(s: &Server, email: &str, password: &str, code: &str) -> String {
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": email, "password": password, "recovery_code": code, "bearer": true})),
    );
    assert_eq!(st, 200, "{v}");
    v["token"].as_str().unwrap().to_string()
}

/// A new account with TOTP enrolled, then granted `role` (break-glass) and
/// signed in again (with a recovery code: the TOTP code of this step was
/// used at enrolment); returns `(user id, session token, TOTP secret, the
/// recovery codes left)`.
pub fn staff_member(
    s: &Server,
    admin: &str,
    email: &str,
    role: &str,
) -> (String, String, Vec<u8>, Vec<String>) {
    let (id, t) = new_user(s, admin, email);
    let password = "a very long library passphrase";
    let (secret, mut codes) = enrol_authenticator(s, &t, password);
    grant_role(s, email, role);
    let t = login_recovery(s, email, password, &codes.remove(0));
    (id, t, secret, codes)
}

/// A security officer (see [`staff_member`]); returns `(user id, session
/// token, recovery codes)`.
pub fn security_officer(s: &Server, admin: &str, email: &str) -> (String, String, Vec<String>) {
    let (id, t, _, codes) = staff_member(s, admin, email, "security");
    (id, t, codes)
}

/// The actions of the latest audit events, read by security officer `officer`.
pub fn audit_actions(s: &Server, officer: &str) -> Vec<String> {
    let (st, v) = s.api("GET", "/api/v1/audit/events", Some(officer), None);
    assert_eq!(st, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str().map(String::from))
        .collect()
}

/// Enrols TOTP on session `t` (after `password`); the secret and the
/// recovery codes.
pub fn enrol_authenticator(s: &Server, t: &str, password: &str) -> (Vec<u8>, Vec<String>) {
    let (_, v) = s.api(
        "POST",
        "/api/v1/auth/mfa/totp",
        Some(t),
        Some(json!({"password": password})),
    );
    let secret = pixelunion_auth::mfa::secret_from_base32(v["secret"].as_str().unwrap()).unwrap();
    let code = pixelunion_auth::mfa::code_at(&secret, now_secs()).unwrap();
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/mfa/totp/confirm",
        Some(t),
        Some(json!({"enrolment": v["enrolment"], "code": code})),
    );
    assert_eq!(st, 200, "{v}");
    let codes = v["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret.to_vec(), codes)
}
