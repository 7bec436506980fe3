//! A real SMTP server on loopback for the tests: `aiosmtpd` (PyPI) writing
//! every message it accepts into a Maildir. Missing aiosmtpd skips the
//! test with a message, except under CI (`.ci/run` installs it).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running SMTP sink.
pub struct Sink {
    child: Child,
    /// its port on 127.0.0.1
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    /// Starts one, or `None` (after saying so) when aiosmtpd is not installed.
    pub fn start(test: &str) -> Option<Sink> {
        let ok = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run {test}: aiosmtpd missing (pip install aiosmtpd)"
            );
            eprintln!("SKIPPED the e-mail part of {test}: pip install aiosmtpd");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let sink = Sink { child, port, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(sink);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// The server's configuration for this sink (environment variables).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("PIXELUNION_SMTP__HOST".into(), "127.0.0.1".into()),
            ("PIXELUNION_SMTP__PORT".into(), self.port.to_string()),
            ("PIXELUNION_SMTP__SECURITY".into(), "none".into()),
            (
                "PIXELUNION_SMTP__FROM".into(),
                "photos@pixelunion.test".into(),
            ),
        ]
    }

    /// Every message received so far, raw (headers and body).
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let d: PathBuf = self.dir.path().join("mail").join(sub);
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                out.push(String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned());
            }
        }
        out
    }

    /// The messages addressed to `to`.
    pub fn to(&self, to: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
