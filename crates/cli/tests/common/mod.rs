//! Shared harness: start the real `pixelunion serve` on a free port, talk to
//! it with curl, run CLI subcommands, stop it with SIGTERM.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_pixelunion");

pub struct Server {
    pub child: Child,
    pub url: String,
    pub stdout: Vec<String>,
    pub stderr: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[])
    }

    pub fn start_with(data: &Path, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--data-dir"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .env("PIXELUNION_LOG", "debug")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut err_pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut stdout = Vec::new();
        let mut url = None;
        loop {
            let line = lines
                .next()
                .expect("server printed its address")
                .expect("line");
            stdout.push(line.clone());
            if let Some(rest) = line.strip_prefix("Serving ") {
                url = Some(
                    rest.split_whitespace()
                        .next()
                        .expect("url")
                        .trim_end_matches('/')
                        .to_string(),
                );
            }
            if line.contains("pixelunion unseal") {
                break;
            }
        }
        let url = url.expect("address printed");
        // Keep reading the rest of stdout so the pipe never fills.
        std::thread::spawn(move || for _ in lines {});
        let s = Server {
            child,
            url,
            stdout,
            stderr,
        };
        for _ in 0..100 {
            if s.get("/healthz").0 == 200 {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not answer /healthz");
    }

    pub fn curl(&self, args: &[&str]) -> (u16, String) {
        let out = Command::new("curl")
            // HTTP/1.1: with HTTP/2, a 4xx sent before the request body is read
            // ends the stream with RST_STREAM(NO_ERROR), which curl sometimes
            // reports as a failed transfer (status 0) although the answer arrived.
            .args([
                "-sk",
                "--http1.1",
                "-w",
                "\n%{http_code}",
                "--max-time",
                "10",
            ])
            .args(args)
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let (body, code) = text.rsplit_once('\n').expect("status line");
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.curl(&[&format!("{}{path}", self.url)])
    }

    pub fn post_json(&self, path: &str, body: &str) -> (u16, String) {
        self.curl(&[
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "--data-binary",
            body,
            &format!("{}{path}", self.url),
        ])
    }

    pub fn cli(&self, data: &Path, cmd: &str, stdin: &str) -> std::process::Output {
        let mut child = Command::new(BIN)
            .args([cmd, "--data-dir"])
            .arg(data)
            .args(["--addr", &self.url])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cli");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write");
        child.wait_with_output().expect("cli output")
    }

    pub fn proc_file(&self, name: &str) -> Vec<u8> {
        std::fs::read(format!("/proc/{}/{name}", self.child.id())).unwrap_or_default()
    }

    pub fn stop(mut self) -> Vec<u8> {
        // SIGTERM: graceful shutdown.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "graceful exit on SIGTERM, got {status:?}");
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p))
        } else {
            out.push(p)
        }
    }
    out
}

impl Drop for Server {
    /// On a failing test, show the server's last log lines, and never leave it running.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.stderr.lock().map(|l| l.clone()).unwrap_or_default();
            let text = String::from_utf8_lossy(&log);
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            eprintln!("--- server log (last lines) ---");
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
            eprintln!("--- exit status: {:?}", self.child.try_wait());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A JSON API call: `(status, body as JSON or Null)`.
    pub fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut args: Vec<String> = if method == "HEAD" {
            vec!["-I".into()]
        } else {
            vec!["-X".into(), method.into()]
        };
        if let Some(t) = token {
            args.extend(["-H".into(), format!("authorization: Bearer {t}")]);
        }
        if let Some(b) = body {
            args.extend([
                "-H".into(),
                "content-type: application/json".into(),
                "--data-binary".into(),
                b.to_string(),
            ]);
        }
        args.push(format!("{}{path}", self.url));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, text) = self.curl(&refs);
        (code, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A value the first start printed after `label` (e.g. "e-mail:", "password:").
    pub fn printed(&self, label: &str) -> String {
        self.stdout
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("nothing printed after {label}"))
    }
}

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
    if enrol_totp {
        let (_, v) = s.api(
            "POST",
            "/api/v1/auth/mfa/totp",
            Some(&t),
            Some(json!({"password": password})),
        );
        let secret =
            pixelunion_auth::mfa::secret_from_base32(v["secret"].as_str().unwrap()).unwrap();
        let code = pixelunion_auth::mfa::code_at(&secret, now_secs()).unwrap();
        let (st, v) = s.api(
            "POST",
            "/api/v1/auth/mfa/totp/confirm",
            Some(&t),
            Some(json!({"enrolment": v["enrolment"], "code": code})),
        );
        assert_eq!(st, 200, "{v}");
    }
    t
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

/// GET with the headers (lower-cased) and the raw body.
pub fn get_bytes(s: &Server, token: &str, path: &str, extra: &[&str]) -> (String, Vec<u8>) {
    let out = Command::new("curl")
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

/// Uploads `bytes` (written to `dir/name` for curl) in one request; the asset id.
pub fn upload(s: &Server, token: &str, dir: &Path, name: &str, bytes: &[u8]) -> String {
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
    let _ = std::fs::remove_file(&f);
    assert_eq!(st, 201, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["asset"]["id"]
        .as_str()
        .unwrap()
        .to_string()
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
    let ok = [
        "ffmpeg",
        "ffprobe",
        "heif-enc",
        "heif-info",
        "heif-thumbnailer",
    ]
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
