//! The real binary, end to end: first start initialises and serves unsealed;
//! a restart comes up sealed and every data route answers 503; a wrong share
//! is refused and the server stays sealed; `pixelunion unseal` reading the
//! share from stdin unseals it; `seal` wipes the key. Then every file under
//! the data directory, the process's environ and cmdline and its log output
//! are scanned for the root key, the unseal key and the share: none may appear.

use std::io::Write;

use std::process::{Command, Stdio};
use std::time::Duration;

use pixelunion_vault::root::{SealedRootKey, UnsealProgress, UnsealStep};

use crate::harness::*;

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every form a secret could take in a file or log.
fn forms(secret: &[u8]) -> Vec<Vec<u8>> {
    vec![
        secret.to_vec(),
        hex(secret).into_bytes(),
        hex(secret).to_uppercase().into_bytes(),
    ]
}

#[test]
fn sealed_lifecycle_and_no_key_material_at_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");

    // First start: initialises, prints the share once, serves unsealed.
    let s = Server::start(&data);
    let share = s
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .expect("share printed at first start");
    let admin_password = s
        .stdout
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("password:")
                .map(|p| p.trim().to_string())
        })
        .expect("admin password printed at first start");
    let (code, body) = s.get("/api/v1/sys/status");
    assert_eq!(code, 200);
    let st: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (
            st["initialized"].as_bool(),
            st["sealed"].as_bool(),
            st["threshold"].as_u64()
        ),
        (Some(true), Some(false), Some(1))
    );
    assert_eq!(s.get("/readyz").0, 200);
    assert_eq!(
        s.get("/api/v1/no-such-route").0,
        404,
        "unsealed: unknown data route is 404"
    );
    assert_eq!(
        s.get("/api/v1/assets").0,
        401,
        "unsealed: data routes ask for a sign-in"
    );
    let environ = s.proc_file("environ");
    let cmdline = s.proc_file("cmdline");
    // Hardened at start: no core file can be written.
    let limits = String::from_utf8_lossy(&s.proc_file("limits")).to_string();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .expect("limits");
    assert_eq!(
        core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(),
        ["0", "0"],
        "{core}"
    );
    let log1 = s.stop();

    // Restart: sealed; data routes 503 with a JSON error; readyz 503.
    let s = Server::start(&data);
    assert!(
        s.stdout.iter().any(|l| l.contains("SEALED")),
        "{:?}",
        s.stdout
    );
    assert!(
        !s.stdout.iter().any(|l| l.contains("pu-")),
        "share is never printed again"
    );
    let (code, body) = s.get("/api/v1/sys/status");
    assert_eq!(code, 200);
    assert!(body.contains("\"sealed\":true"), "{body}");
    let (code, body) = s.get("/api/v1/assets");
    assert_eq!(code, 503);
    assert!(body.contains("\"code\":\"sealed\""), "{body}");
    assert_eq!(s.post_json("/api/v1/assets", "{}").0, 503);
    assert_eq!(s.get("/readyz").0, 503);
    assert_eq!(s.get("/healthz").0, 200, "alive while sealed");
    let (code, body) = s.get("/api/openapi.json");
    assert_eq!(code, 200);
    assert!(
        body.contains("\"/api/v1/auth/login\""),
        "the API description is served"
    );

    // A wrong share set: clear message, still sealed.
    let other = pixelunion_vault::root::initialize(1, 1).expect("init");
    let (code, body) = s.post_json(
        "/api/v1/sys/unseal",
        &format!("{{\"share\":\"{}\"}}", other.shares[0].expose()),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("share-set-mismatch"), "{body}");
    let (code, body) = s.post_json("/api/v1/sys/unseal", "{\"share\":\"pu-garbage\"}");
    assert!(code == 400 || code == 429, "{code} {body}");
    assert_eq!(s.post_json("/api/v1/sys/unseal", "not json").0 / 100, 4);
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":true"));

    // Throttled after failures from this address.
    let (code, body) = s.post_json("/api/v1/sys/unseal", &format!("{{\"share\":\"{share}\"}}"));
    assert_eq!(code, 429, "backoff after failures: {body}");
    std::thread::sleep(Duration::from_secs(5));

    // At a terminal, `pixelunion unseal` prompts and reads without echo: run
    // it on a pseudo-terminal (util-linux `script`) and check the share never
    // appears in what the terminal showed.
    let tty = Command::new("script")
        .args(["-qec"])
        .arg(format!(
            "{BIN} unseal --data-dir {} --addr {}",
            data.display(),
            s.url
        ))
        .arg("/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            std::thread::sleep(Duration::from_millis(500));
            c.stdin
                .take()
                .expect("stdin")
                .write_all(format!("{share}\n").as_bytes())?;
            c.wait_with_output()
        })
        .expect("script");
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(screen.contains("input hidden"), "prompted: {screen}");
    assert!(!screen.contains(&share[3..20]), "share echoed: {screen}");
    assert!(screen.contains("unsealed"), "{screen}");
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":false"));
    assert!(s.cli(&data, "seal", "").status.success());
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":true"));

    // Without a terminal, `pixelunion unseal` reads the share from stdin (never argv or env).
    let out = s.cli(&data, "unseal", &format!("{share}\n"));
    assert!(
        out.status.success(),
        "unseal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("unsealed"));
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":false"));
    assert_eq!(s.get("/api/v1/assets").0, 401);
    let out = s.cli(&data, "status", "");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains("unsealed"), "{said}");
    assert!(
        said.contains("firewall: pixelunion-rules ") && said.contains("paranoia 1"),
        "status names the firewall's rules: {said}"
    );

    // `pixelunion seal` wipes the key.
    let out = s.cli(&data, "seal", "");
    assert!(
        out.status.success(),
        "seal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.get("/api/v1/assets").0, 503);
    let environ2 = s.proc_file("environ");
    let cmdline2 = s.proc_file("cmdline");
    let log2 = s.stop();

    // Recover the secrets the way an attacker with the share would, to know
    // what to look for: the unseal key (the share's y for 1-of-1) and the root key.
    let db = std::fs::read(data.join("catalog.sqlite")).expect("db");
    // Find the stored sealed record by trying every 67-byte window of every file.
    let root = files_under(&data)
        .iter()
        .find_map(|path| {
            let b = std::fs::read(path).ok()?;
            (0..b.len().saturating_sub(66)).find_map(|i| {
                let rec = SealedRootKey::from_bytes(&b[i..i + 67]).ok()?;
                match UnsealProgress::new().submit(&share, &rec) {
                    Ok(UnsealStep::Unsealed(r)) => Some(r),
                    _ => None,
                }
            })
        })
        .expect("the share opens the stored sealed record");
    let unseal_key = pixelunion_vault::shares::audit_share_secret(&share).expect("share y");
    assert_ne!(&root.audit_bytes()[..], &unseal_key[..]);
    let mut needles = needles(&share, &root);
    needles.push((
        "share body".into(),
        share.replace('-', "").as_bytes()[2..].to_vec(),
    ));
    needles.push((
        "admin one-time password".into(),
        admin_password.as_bytes().to_vec(),
    ));
    needles.push(("admin e-mail".into(), b"admin@localhost".to_vec()));

    let mut scanned = vec![("catalog.sqlite".to_string(), db)];
    for f in files_under(&data) {
        scanned.push((f.display().to_string(), std::fs::read(&f).expect("read")));
    }
    scanned.push(("environ".into(), environ));
    scanned.push(("cmdline".into(), cmdline));
    scanned.push(("environ after unseal".into(), environ2));
    scanned.push(("cmdline after unseal".into(), cmdline2));
    scanned.push(("log of first run".into(), log1.clone()));
    scanned.push(("log of second run".into(), log2.clone()));
    assert!(scanned.len() >= 8);
    for (what, hay) in &scanned {
        for (name, needle) in &needles {
            assert!(!contains(hay, needle), "{name} found in {what}");
        }
    }
    // The logs did record the events (so the scan looked at real output).
    let log2 = String::from_utf8_lossy(&log2);
    assert!(
        log2.contains("server unsealed") && log2.contains("server sealed"),
        "{log2}"
    );

    // A third start is sealed again.
    let s = Server::start(&data);
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":true"));
    s.stop();
}

#[test]
fn init_json_prints_only_json_and_refuses_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("d");
    let out = Command::new(BIN)
        .args([
            "init",
            "--json",
            "--shares",
            "5",
            "--threshold",
            "3",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is exactly JSON");
    assert_eq!(v["threshold"], 3);
    let shares = v["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 5);
    assert!(
        shares
            .iter()
            .all(|s| s.as_str().is_some_and(|s| s.starts_with("pu-")))
    );
    let again = Command::new(BIN)
        .args(["init", "--json", "--data-dir"])
        .arg(&data)
        .output()
        .expect("init");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already initialized"));

    let bad = Command::new(BIN)
        .args(["init", "--shares", "2", "--threshold", "3", "--data-dir"])
        .arg(dir.path().join("e"))
        .output()
        .expect("init");
    assert!(!bad.status.success());
}

fn s_client(port: &str, extra: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("openssl s_client");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        text.contains("BEGIN CERTIFICATE") && out.status.success(),
        text,
    )
}

#[test]
fn tls_versions_alpn_redirect_and_certificate_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let s = Server::start_with(&data, &[("PIXELUNION_REDIRECT_LISTEN", "127.0.0.1:0")]);
    let port = s.url.rsplit(':').next().expect("port").to_string();

    // TLS 1.2 and 1.3 only; HTTP/2 by ALPN; forward-secret AEAD suites.
    let (ok13, t13) = s_client(&port, &["-tls1_3", "-alpn", "h2,http/1.1"]);
    assert!(ok13, "TLS 1.3: {t13}");
    assert!(t13.contains("ALPN protocol: h2"), "{t13}");
    let (ok12, t12) = s_client(&port, &["-tls1_2"]);
    assert!(ok12, "TLS 1.2: {t12}");
    assert!(
        t12.contains("ECDHE") && (t12.contains("GCM") || t12.contains("CHACHA20")),
        "{t12}"
    );
    // @SECLEVEL=0 lets the client offer what it would otherwise refuse, so the
    // refusal below is the server's.
    let (ok11, _) = s_client(&port, &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    assert!(!ok11, "TLS 1.1 must be refused");
    let (okcbc, _) = s_client(
        &port,
        &[
            "-tls1_2",
            "-cipher",
            "AES128-SHA:AES256-SHA:AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0",
        ],
    );
    assert!(
        !okcbc,
        "non-AEAD / non-forward-secret suites must be refused"
    );

    // HSTS on every answer.
    let r = s.call("HEAD", "/healthz").send();
    assert!(
        r.header("strict-transport-security")
            .is_some_and(|v| v.starts_with("max-age=")),
        "{:?}",
        r.headers
    );

    // The plain-HTTP listener only redirects, to the configured host.
    let redirect = s
        .stdout
        .iter()
        .find_map(|l| {
            l.strip_prefix("Redirecting http://")
                .map(|r| r.split('/').next().unwrap_or("").to_string())
        })
        .expect("redirect listener address printed");
    let plain = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .build()
        .expect("client");
    let r = plain
        .get(format!("http://{redirect}/api/v1/sys/status?x=1"))
        .header("host", "evil.example")
        .send()
        .expect("redirect answer");
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers().get("location").and_then(|v| v.to_str().ok())
        ),
        (
            308,
            Some(format!("https://localhost:{port}/api/v1/sys/status?x=1").as_str())
        )
    );

    // SIGHUP reloads the certificate from disk without a restart.
    let (_, before) = s_client(&port, &[]);
    assert!(!before.contains("reloaded.test"));
    let tls = data.join("tls");
    let st = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=reloaded.test",
        ])
        .arg("-keyout")
        .arg(tls.join("key.pem"))
        .arg("-out")
        .arg(tls.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .expect("openssl req");
    assert!(st.success());
    let _ = Command::new("kill")
        .args(["-HUP", &s.child.id().to_string()])
        .status();
    let mut reloaded = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        if s_client(&port, &[]).1.contains("reloaded.test") {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "certificate was not reloaded on SIGHUP");
    assert_eq!(s.get("/healthz").0, 200, "still serving after reload");
    s.stop();
}

/// Secrets derivable from the share and the stored sealed record, in every
/// form they could take in a file, a dump or a log.
fn needles(share: &str, root: &pixelunion_vault::root::RootKey) -> Vec<(String, Vec<u8>)> {
    let unseal_key = pixelunion_vault::shares::audit_share_secret(share).expect("share y");
    let mut n: Vec<(String, Vec<u8>)> = Vec::new();
    for f in forms(root.audit_bytes()) {
        n.push(("root key".into(), f));
    }
    for f in forms(&unseal_key) {
        n.push(("unseal key".into(), f));
    }
    n.push(("share".into(), share.as_bytes().to_vec()));
    n
}

/// The same lifecycle on the scale-out backends: PostgreSQL for metadata and,
/// when a test S3 server is configured, S3 buckets for both stores. The
/// database dump is scanned for key material like the data directory.
#[test]
fn postgres_and_s3_backends_hold_no_key_material() {
    const LIBRARY_MARKER: &str = "S3CANARY-d41f-PLAINTEXT";
    let Ok(pg) = std::env::var("PIXELUNION_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: its service variable is missing"
        );
        eprintln!(
            "SKIPPED postgres_and_s3_backends_hold_no_key_material: set PIXELUNION_TEST_POSTGRES_URL"
        );
        return;
    };
    let db = format!("pu_life_{}", std::process::id());
    psql(&pg, &format!("DROP DATABASE IF EXISTS {db}"));
    psql(&pg, &format!("CREATE DATABASE {db}"));
    let base = pg.rsplit_once('/').expect("db in url").0;
    let url = format!("{base}/{db}");
    let mut env: Vec<(String, String)> = vec![("PIXELUNION_DATABASE_URL".into(), url.clone())];
    let s3 = std::env::var("PIXELUNION_TEST_S3_ENDPOINT").ok();
    if let Some(endpoint) = &s3 {
        let v = |k: &str| std::env::var(format!("PIXELUNION_TEST_S3_{k}")).expect(k);
        for (store, bucket) in [
            ("PRIMARY", v("BUCKET")),
            (
                "BACKUP",
                std::env::var("PIXELUNION_TEST_S3_BACKUP_BUCKET").unwrap_or_else(|_| v("BUCKET")),
            ),
        ] {
            env.push((format!("PIXELUNION_{store}__KIND"), "s3".into()));
            env.push((format!("PIXELUNION_{store}__ENDPOINT"), endpoint.clone()));
            env.push((format!("PIXELUNION_{store}__BUCKET"), bucket));
            env.push((format!("PIXELUNION_{store}__REGION"), v("REGION")));
            env.push((
                format!("PIXELUNION_{store}__ACCESS_KEY_ID"),
                v("ACCESS_KEY_ID"),
            ));
            env.push((
                format!("PIXELUNION_{store}__SECRET_ACCESS_KEY"),
                v("SECRET_ACCESS_KEY"),
            ));
            env.push((format!("PIXELUNION_{store}__PATH_STYLE"), "true".into()));
        }
    } else {
        eprintln!(
            "note: PIXELUNION_TEST_S3_ENDPOINT not set; stores are local directories in this run"
        );
    }
    if s3.is_some()
        && let Some(g) = crate::harness::garage::Garage::from_env("S3")
    {
        // a new deployment each run, on the same buckets
        g.release();
        if let Ok(b) = std::env::var("PIXELUNION_TEST_S3_BACKUP_BUCKET") {
            g.other_bucket(&b).release();
        }
    }
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");

    let s = Server::start_with(&data, &env_ref);
    let share = s
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .expect("share printed");
    let admin_password = s.printed("password:");
    assert_eq!(s.get("/readyz").0, 200, "PostgreSQL and stores reachable");
    let log1 = s.stop();

    let s = Server::start_with(&data, &env_ref);
    assert!(s.get("/api/v1/sys/status").1.contains("\"sealed\":true"));
    assert_eq!(s.get("/api/v1/assets").0, 503);
    let out = s.cli(&data, "unseal", &share);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        s.get("/api/v1/sys/status")
            .1
            .contains("\"database\":\"postgres\"")
    );
    assert_eq!(s.get("/readyz").0, 200);

    // The library on these backends: an upload carrying a marker is stored,
    // replicated to the backup store (the job queue drains) and reads back.
    let admin = finish_setup(
        &s,
        "admin@localhost",
        &admin_password,
        "a passphrase for the backends test",
        true,
    );
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    for _ in 0..20_000 {
        photo.extend_from_slice(LIBRARY_MARKER.as_bytes());
    }
    let id = upload(&s, &admin, &format!("{LIBRARY_MARKER}.jpg"), &photo);
    let mut drained = false;
    for _ in 0..100 {
        if psql(&url, "SELECT count(*) FROM jobs") == "0" {
            drained = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        drained,
        "replication finished: {}",
        psql(&url, "SELECT kind, state, last_error FROM jobs")
    );
    let (_, original) = get_bytes(&s, &admin, &format!("/api/v1/assets/{id}/original"), &[]);
    assert!(original == photo, "the original reads back");
    let environ = s.proc_file("environ");
    let log2 = s.stop();

    let sealed_hex = psql(&url, "SELECT encode(sealed_root, 'hex') FROM vault_seal");
    let sealed_bytes: Vec<u8> = (0..sealed_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&sealed_hex[i..i + 2], 16).expect("hex"))
        .collect();
    let rec = SealedRootKey::from_bytes(&sealed_bytes).expect("record");
    let root = match UnsealProgress::new().submit(&share, &rec).expect("opens") {
        UnsealStep::Unsealed(r) => r,
        UnsealStep::Progress { .. } => panic!("1-of-1"),
    };
    let dump = Command::new("pg_dump")
        .args(["--data-only", &url])
        .output()
        .expect("pg_dump");
    assert!(dump.status.success());
    assert!(
        String::from_utf8_lossy(&dump.stdout).contains("vault_seal"),
        "dump has the tables"
    );
    let mut scanned = vec![
        ("pg_dump".to_string(), dump.stdout),
        ("environ".into(), environ),
        ("log 1".into(), log1),
        ("log 2".into(), log2),
    ];
    for f in files_under(&data) {
        scanned.push((f.display().to_string(), std::fs::read(&f).expect("read")));
    }
    // The S3 server's own data directory (both buckets), when it is on this machine.
    let mut s3_files = 0;
    if let Ok(garage) = std::env::var("PIXELUNION_TEST_S3_DATA_DIR") {
        for f in files_under(std::path::Path::new(&garage)) {
            scanned.push((
                f.display().to_string(),
                std::fs::read(&f).unwrap_or_default(),
            ));
            s3_files += 1;
        }
        assert!(
            s3_files >= 2,
            "the original and its backup copy are in the S3 server"
        );
    }
    let mut needles = needles(&share, &root);
    needles.push(("library marker".into(), LIBRARY_MARKER.as_bytes().to_vec()));
    for (what, hay) in &scanned {
        for (name, needle) in &needles {
            assert!(!contains(hay, needle), "{name} found in {what}");
        }
    }
    psql(&pg, &format!("DROP DATABASE {db} WITH (FORCE)"));
}

/// SIGTERM lets a request that is still arriving finish before the process exits.
#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&dir.path().join("data"));
    // A 3 KB body sent at 1 KB/s: in flight for about 3 s.
    let body = format!("{{\"share\":\"{}\"}}", "x".repeat(3000)).into_bytes();
    let slow = {
        let (client, url) = (s.client(Proto::Http1), s.url.clone());
        let len = body.len() as u64;
        std::thread::spawn(move || {
            client
                .post(format!("{url}/api/v1/sys/unseal"))
                .header("content-type", "application/json")
                .body(reqwest::blocking::Body::sized(throttled(body, 1024), len))
                .send()
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    };
    std::thread::sleep(Duration::from_millis(800));
    let started = std::time::Instant::now();
    let _log = s.stop();
    let code = slow.join().expect("client").to_string();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "process waited for the request"
    );
    assert!(
        code.starts_with('4') || code.starts_with('2'),
        "request completed with an answer, got {code:?}"
    );
}
