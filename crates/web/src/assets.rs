//! The embedded static files. They are served under one versioned folder,
//! `/static/<version>/<name>`, where the version is a hash of every file:
//! ES modules import each other with relative paths, so they stay inside one
//! consistent version, and any change gives new URLs (cached `immutable`).

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// file name
    pub name: &'static str,
    /// `Content-Type`
    pub mime: &'static str,
    /// the bytes
    pub bytes: &'static [u8],
}

macro_rules! embed {
    ($($name:literal => $mime:literal),* $(,)?) => {
        &[$(Asset { name: $name, mime: $mime, bytes: include_bytes!(concat!("../static/", $name)) }),*]
    };
}

/// Every embedded file.
pub const ALL: &[Asset] = embed![
    "app.css" => "text/css; charset=utf-8",
    "api.js" => "text/javascript; charset=utf-8",
    "login.js" => "text/javascript; charset=utf-8",
    "setup.js" => "text/javascript; charset=utf-8",
    "library.js" => "text/javascript; charset=utf-8",
    "upload.js" => "text/javascript; charset=utf-8",
    "viewer.js" => "text/javascript; charset=utf-8",
    "albums.js" => "text/javascript; charset=utf-8",
    "settings.js" => "text/javascript; charset=utf-8",
    "admin.js" => "text/javascript; charset=utf-8",
    "locked.js" => "text/javascript; charset=utf-8",
    "invite.js" => "text/javascript; charset=utf-8",
    "policies.js" => "text/javascript; charset=utf-8",
    "recover.js" => "text/javascript; charset=utf-8",
    "share.js" => "text/javascript; charset=utf-8",
    "link.js" => "text/javascript; charset=utf-8",
    "icon.svg" => "image/svg+xml",
];

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for a in ALL {
        h.update(a.name.as_bytes());
        h.update((a.bytes.len() as u64).to_le_bytes());
        h.update(a.bytes);
    }
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
});

/// The content hash naming the current set of files.
pub fn version() -> &'static str {
    &VERSION
}

/// The URL of an embedded file.
pub fn url(name: &str) -> String {
    format!("/static/{}/{name}", version())
}

/// The file `name` of `version` (only the current version is served).
pub fn get(version: &str, name: &str) -> Option<&'static Asset> {
    (version == self::version())
        .then(|| ALL.iter().find(|a| a.name == name))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_found_only_under_the_current_version() {
        let v = version();
        assert_eq!(v.len(), 12);
        assert!(get(v, "app.css").is_some());
        assert!(get("000000000000", "app.css").is_none());
        assert!(get(v, "../Cargo.toml").is_none());
        assert_eq!(url("api.js"), format!("/static/{v}/api.js"));
    }

    #[test]
    fn scripts_never_use_inner_html_or_eval() {
        // User content is written with textContent; the CSP would block
        // eval anyway, but a stray innerHTML would be an XSS hole.
        for a in ALL.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(a.bytes).expect("utf-8");
            for bad in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "eval(",
                "new Function",
                "document.write",
            ] {
                assert!(!text.contains(bad), "{} uses {bad}", a.name);
            }
        }
    }

    #[test]
    fn styles_and_scripts_fetch_nothing_from_elsewhere() {
        for a in ALL {
            let text = String::from_utf8_lossy(a.bytes);
            assert!(
                !text.contains("http://") && !text.contains("https://") || a.name == "icon.svg",
                "{} names another origin",
                a.name
            );
        }
    }
}
