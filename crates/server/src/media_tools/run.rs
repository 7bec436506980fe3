//! External media tools (ffprobe, ffmpeg, heif-thumbnailer) run
//! as subprocesses so that a decoder crash or hang on a hostile file costs
//! one job, never the server. Plaintext reaches them only through memory: a
//! memfd (an anonymous file in RAM, gone when the last descriptor closes) as
//! standard input, the loopback feed ([`super::feed`]), and pipes for their
//! output. Every run has a deadline and an output cap; children are killed
//! when dropped, get an empty environment apart from `PATH`, and their
//! error output is never logged or stored (it can quote file metadata).

use std::io::{Seek, Write};
use std::os::fd::OwnedFd;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// Why a tool run did not produce output.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// the program is not installed (or not executable)
    #[error("{0} is not installed on this server")]
    Missing(String),
    /// it exited with an error: the input is unreadable to it
    #[error("{tool} could not read the file (exit status {code})")]
    Failed {
        /// program
        tool: String,
        /// exit code (-1: killed by a signal)
        code: i32,
    },
    /// it ran past its deadline and was killed
    #[error("{0} took too long and was stopped")]
    TimedOut(String),
    /// it wrote more than its output cap
    #[error("{0} produced more output than allowed")]
    TooMuchOutput(String),
    /// an I/O error on our side
    #[error("running {0}: {1}")]
    Io(String, std::io::Error),
}

/// How to find the tools.
#[derive(Debug, Clone)]
pub struct Tools {
    dir: Option<std::path::PathBuf>,
}

impl Tools {
    /// Tools from `dir`, or from `PATH` when empty.
    pub fn new(dir: &str) -> Self {
        Tools {
            dir: (!dir.is_empty()).then(|| std::path::PathBuf::from(dir)),
        }
    }

    fn program(&self, name: &str) -> std::path::PathBuf {
        match &self.dir {
            Some(d) => d.join(name),
            None => std::path::PathBuf::from(name),
        }
    }

    /// A command with a clean environment and no stdin.
    // PATH is how the OS finds programs, not configuration: it is the one
    // variable passed through.
    #[allow(clippy::disallowed_methods)]
    pub fn command(&self, name: &str) -> Command {
        let mut c = Command::new(self.program(name));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        c
    }

    /// Whether `name` runs (`name -version` or `--version`-free probe: we
    /// only need the exec to succeed).
    pub async fn available(&self, name: &str, probe_arg: &str) -> bool {
        let mut c = self.command(name);
        c.arg(probe_arg).stdout(Stdio::null());
        matches!(
            tokio::time::timeout(Duration::from_secs(10), c.status()).await,
            Ok(Ok(_))
        )
    }

    /// Runs `name args…` with `stdin` (a memfd, or nothing) and returns its
    /// standard output, at most `max_out` bytes, within `deadline`.
    pub async fn output(
        &self,
        name: &str,
        args: &[&str],
        stdin: Option<OwnedFd>,
        max_out: usize,
        deadline: Duration,
    ) -> Result<Vec<u8>, ToolError> {
        let mut c = self.command(name);
        c.args(args);
        if let Some(fd) = stdin {
            c.stdin(Stdio::from(fd));
        }
        let child = spawn(&mut c, name)?;
        collect(child, name, max_out, deadline).await
    }
}

/// Spawns, mapping "not found" to [`ToolError::Missing`].
pub fn spawn(c: &mut Command, name: &str) -> Result<Child, ToolError> {
    c.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
            ToolError::Missing(name.to_string())
        }
        _ => ToolError::Io(name.to_string(), e),
    })
}

async fn collect(
    mut child: Child,
    name: &str,
    max_out: usize,
    deadline: Duration,
) -> Result<Vec<u8>, ToolError> {
    let Some(mut out) = child.stdout.take() else {
        return Err(ToolError::Io(
            name.into(),
            std::io::Error::other("no stdout pipe"),
        ));
    };
    let work = async {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 64 << 10];
        loop {
            let n = out
                .read(&mut chunk)
                .await
                .map_err(|e| ToolError::Io(name.into(), e))?;
            if n == 0 {
                break;
            }
            if buf.len() + n > max_out {
                return Err(ToolError::TooMuchOutput(name.into()));
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let status = child
            .wait()
            .await
            .map_err(|e| ToolError::Io(name.into(), e))?;
        if !status.success() {
            return Err(ToolError::Failed {
                tool: name.into(),
                code: status.code().unwrap_or(-1),
            });
        }
        Ok(buf)
    };
    // Dropping the future on timeout drops the child: kill_on_drop.
    tokio::time::timeout(deadline, work)
        .await
        .map_err(|_| ToolError::TimedOut(name.into()))?
}

/// An anonymous in-memory file holding `bytes` (Linux memfd): what a tool
/// that needs a seekable file reads as `/dev/stdin`. Never on disk; gone
/// when the last descriptor closes.
pub fn memory_file(bytes: &[u8]) -> std::io::Result<OwnedFd> {
    let fd = rustix::fs::memfd_create("pixelunion-media", rustix::fs::MemfdFlags::CLOEXEC)?;
    let mut f = std::fs::File::from(fd);
    f.write_all(bytes)?;
    f.seek(std::io::SeekFrom::Start(0))?;
    Ok(OwnedFd::from(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memfd_input_deadline_and_caps() {
        let t = Tools::new("");
        let fd = memory_file(b"hello from memory").expect("memfd");
        let out = t
            .output(
                "cat",
                &["/dev/stdin"],
                Some(fd),
                1024,
                Duration::from_secs(10),
            )
            .await
            .expect("cat");
        assert_eq!(out, b"hello from memory");
        let fd = memory_file(&[7u8; 5000]).expect("memfd");
        assert!(matches!(
            t.output("cat", &[], Some(fd), 1000, Duration::from_secs(10))
                .await,
            Err(ToolError::TooMuchOutput(_))
        ));
        assert!(matches!(
            t.output("sleep", &["5"], None, 10, Duration::from_millis(200))
                .await,
            Err(ToolError::TimedOut(_))
        ));
        assert!(matches!(
            t.output("false", &[], None, 10, Duration::from_secs(5))
                .await,
            Err(ToolError::Failed { code: 1, .. })
        ));
        assert!(matches!(
            t.output(
                "pixelunion-no-such-tool",
                &[],
                None,
                10,
                Duration::from_secs(5)
            )
            .await,
            Err(ToolError::Missing(_))
        ));
    }

    #[tokio::test]
    async fn children_see_no_environment_but_path() {
        // SAFETY-free check: the server's own environment has PIXELUNION_*
        // variables in tests; the child must not.
        let t = Tools::new("");
        let out = t
            .output("env", &[], None, 1 << 16, Duration::from_secs(5))
            .await
            .expect("env");
        let text = String::from_utf8_lossy(&out);
        let names: Vec<&str> = text.lines().filter_map(|l| l.split('=').next()).collect();
        assert!(
            names.iter().all(|n| *n == "PATH" || *n == "LC_ALL"),
            "{names:?}"
        );
    }
}
