//! The resume journal: for each upload begun and not finished, the server,
//! the file's SHA-256 and size, and the tus upload's address — so a run
//! after an interruption continues each file from the server's offset
//! instead of sending it again. One small JSON file, private to its user,
//! replaced atomically (written beside it, synced, renamed) after each change.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// An upload begun.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Pending {
    /// the upload's address (`/api/v1/uploads/{id}`)
    pub location: String,
    /// the file's size when it began
    pub size: u64,
}

/// The journal, keyed by `server sha256`.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    entries: BTreeMap<String, Pending>,
}

fn key(server: &str, sha256: &str) -> String {
    format!("{server} {sha256}")
}

impl Journal {
    /// Reads the journal at `path` (none yet, or unreadable: empty).
    pub(crate) fn open(path: &Path) -> Journal {
        let entries = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Journal {
            path: path.to_path_buf(),
            entries,
        }
    }

    /// The upload begun for this file on this server.
    pub(crate) fn get(&self, server: &str, sha256: &str) -> Option<&Pending> {
        self.entries.get(&key(server, sha256))
    }

    /// Records an upload begun.
    pub(crate) fn begin(&mut self, server: &str, sha256: &str, p: Pending) -> Result<()> {
        self.entries.insert(key(server, sha256), p);
        self.save()
    }

    /// Forgets an upload (finished, refused or gone).
    pub(crate) fn end(&mut self, server: &str, sha256: &str) -> Result<()> {
        if self.entries.remove(&key(server, sha256)).is_some() {
            self.save()?;
        }
        Ok(())
    }

    fn save(&self) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let tmp = self.path.with_extension("json.new");
        {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(&tmp)
                .with_context(|| format!("writing {}", tmp.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            f.write_all(&serde_json::to_vec_pretty(&self.entries)?)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("replacing {}", self.path.display()))?;
        Ok(())
    }
}

/// Where the journal lives by default: `~/.local/state/pixelunion/uploads.json`
/// (or beside the current directory when there is no home).
pub(crate) fn default_path() -> PathBuf {
    std::env::home_dir()
        .map(|h| h.join(".local/state/pixelunion"))
        .unwrap_or_else(|| PathBuf::from(".pixelunion"))
        .join("uploads.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_restart_and_forgets_what_ended() -> Result<()> {
        let t = tempfile::tempdir()?;
        let path = t.path().join("state/uploads.json");
        let mut j = Journal::open(&path);
        let p = Pending {
            location: "/api/v1/uploads/u1".into(),
            size: 9,
        };
        j.begin("https://a", "ab", p.clone())?;
        j.begin("https://b", "ab", p.clone())?;
        let mut again = Journal::open(&path);
        assert_eq!(again.get("https://a", "ab"), Some(&p));
        again.end("https://a", "ab")?;
        let last = Journal::open(&path);
        assert_eq!(last.get("https://a", "ab"), None);
        assert_eq!(last.get("https://b", "ab"), Some(&p), "per server");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path)?.permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::write(&path, b"{broken")?;
        assert_eq!(
            Journal::open(&path).get("https://b", "ab"),
            None,
            "unreadable: empty"
        );
        Ok(())
    }
}
