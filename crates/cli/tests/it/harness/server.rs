//! The real `pixelunion serve` on a free port: started, read (its printed
//! address, credentials and log), driven with CLI subcommands, stopped with
//! SIGTERM, and never left running.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_pixelunion");

/// The request rate limits lifted: tests poll and fetch far faster than
/// people (hundreds of calls a second from one address and account).
pub const LIFTED_LIMITS: &[(&str, &str)] = &[
    ("PIXELUNION_LIMITS__CLIENT_PER_SEC", "1000000"),
    ("PIXELUNION_LIMITS__CLIENT_BURST", "1000000"),
    ("PIXELUNION_LIMITS__ACCOUNT_API_PER_SEC", "1000000"),
    ("PIXELUNION_LIMITS__ACCOUNT_API_BURST", "1000000"),
    ("PIXELUNION_LIMITS__ACCOUNT_FILES_PER_SEC", "1000000"),
    ("PIXELUNION_LIMITS__ACCOUNT_FILES_BURST", "1000000"),
    ("PIXELUNION_LIMITS__ACCOUNT_UPLOAD_PER_SEC", "1000000"),
    ("PIXELUNION_LIMITS__ACCOUNT_UPLOAD_BURST", "1000000"),
    ("PIXELUNION_LIMITS__CONNECTIONS_PER_CLIENT", "100000"),
    ("PIXELUNION_LIMITS__UPLOADS_PER_ACCOUNT", "1000"),
];

/// A running server.
pub struct Server {
    /// the process
    pub child: Child,
    /// `https://127.0.0.1:PORT`
    pub url: String,
    /// what it printed before serving
    pub stdout: Vec<String>,
    /// its log so far
    pub stderr: Arc<Mutex<Vec<u8>>>,
    /// the data directory
    pub data: PathBuf,
    pub(super) http1: reqwest::blocking::Client,
    pub(super) http2: reqwest::blocking::Client,
}

impl Server {
    /// Starts on `data` with the debug log on.
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[])
    }

    /// Starts with extra environment variables (configuration).
    pub fn start_with(data: &Path, env: &[(&str, &str)]) -> Server {
        Self::start_through(data, env, &[])
    }

    /// Starts through `wrapper` (a command and its arguments, given the
    /// server's command line after them), with extra environment variables.
    pub fn start_through(data: &Path, env: &[(&str, &str)], wrapper: &[&str]) -> Server {
        // Tests poll and fetch far faster than people (hundreds of calls a
        // second from one address and account): unless a test sets limits
        // itself (tests/it/perimeter.rs, the browser test with the
        // defaults), the request rate limits are lifted.
        let own_limits = env
            .iter()
            .any(|(k, _)| k.starts_with("PIXELUNION_LIMITS__"));
        let lifted: &[(&str, &str)] = if own_limits { &[] } else { LIFTED_LIMITS };
        let mut command = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        let mut child = command
            .args(["serve", "--data-dir"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .env("PIXELUNION_LOG", "debug")
            .envs(lifted.iter().copied())
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let stderr = Arc::new(Mutex::new(Vec::new()));
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
        let (http1, http2) = super::client::clients(&cert_of(data));
        let s = Server {
            child,
            url,
            stdout,
            stderr,
            data: data.to_path_buf(),
            http1,
            http2,
        };
        for _ in 0..100 {
            if s.get("/healthz").0 == 200 {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not answer /healthz");
    }

    /// Another process serving in front of servers (a load balancer), at
    /// `url` with the certificate `cert_pem`: called like a server, killed
    /// when dropped. `like` lends what the first start printed.
    pub fn front(child: Child, url: &str, like: &Server, cert_pem: &[u8]) -> Server {
        let (http1, http2) = super::client::clients(cert_pem);
        Server {
            child,
            url: url.to_string(),
            stdout: like.stdout.clone(),
            stderr: Arc::new(Mutex::new(Vec::new())),
            data: like.data.clone(),
            http1,
            http2,
        }
    }

    /// Calls from now on leave from the local address `ip` (`127.0.0.N`:
    /// another client, as far as the server can tell).
    pub fn call_from(&mut self, ip: &str, cert_pem: &[u8]) {
        let (h1, h2) = super::client::clients_from(cert_pem, ip.parse().ok());
        self.http1 = h1;
        self.http2 = h2;
    }

    /// Trusts the certificate the server serves now (after a reload).
    pub fn trust_current_certificate(&mut self) {
        let (h1, h2) = super::client::clients(&cert_of(&self.data));
        self.http1 = h1;
        self.http2 = h2;
    }

    /// A client for this server (one that can outlive a borrow of it).
    pub fn client(&self, proto: super::client::Proto) -> reqwest::blocking::Client {
        match proto {
            super::client::Proto::Http1 => self.http1.clone(),
            super::client::Proto::Http2 => self.http2.clone(),
        }
    }

    /// Runs `pixelunion CMD --data-dir DATA --addr URL` with `stdin` (`cmd`
    /// may be several words: `"backup verify --all"`).
    pub fn cli(&self, data: &Path, cmd: &str, stdin: &str) -> std::process::Output {
        let data = data.to_string_lossy();
        let mut args: Vec<&str> = cmd.split_whitespace().collect();
        args.extend(["--data-dir", &data, "--addr", &self.url]);
        pixelunion(&args, stdin)
    }

    /// `/proc/PID/NAME` of the server process.
    pub fn proc_file(&self, name: &str) -> Vec<u8> {
        std::fs::read(format!("/proc/{}/{name}", self.child.id())).unwrap_or_default()
    }

    /// A value the first start printed after `label` (e.g. "e-mail:", "password:").
    pub fn printed(&self, label: &str) -> String {
        self.stdout
            .iter()
            .find_map(|l| l.trim().strip_prefix(label).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("nothing printed after {label}"))
    }

    /// The log so far, as text.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// SIGTERM (a graceful shutdown, which must succeed); returns the log.
    pub fn stop(mut self) -> Vec<u8> {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "graceful exit on SIGTERM, got {status:?}");
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }
}

/// Runs `pixelunion ARGS` (warnings-only log) with `stdin`; its output.
pub fn pixelunion(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("PIXELUNION_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pixelunion");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("output")
}

fn cert_of(data: &Path) -> Vec<u8> {
    std::fs::read(data.join("tls/cert.pem")).expect("the server's certificate")
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

/// The objects of a local store: every file below `dir` but the store's
/// deployment claim (`meta/deployment`, written at each start).
pub fn store_objects(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| !p.ends_with("meta/deployment"))
        .collect()
}

/// Every file below `dir`.
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

/// Every file below `dir` with its bytes, read in one pass in which no file
/// vanished. SQLite removes its `-wal` and `-shm` files when the last
/// connection closes, possibly just after they were listed; a pass that
/// misses one is retried, so a scan never skips what a closing database
/// was still folding into its main file.
pub fn read_files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    for _ in 0..50 {
        let read: Result<Vec<_>, _> = files_under(dir)
            .into_iter()
            .map(|p| std::fs::read(&p).map(|b| (p, b)))
            .collect();
        match read {
            Ok(all) => return all,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            Err(e) => panic!("reading {}: {e}", dir.display()),
        }
    }
    panic!("files under {} kept vanishing while read", dir.display())
}
