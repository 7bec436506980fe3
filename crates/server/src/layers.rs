//! The dependency rule between the server's layers, checked on the source:
//!
//! ```text
//! http → library, accounts → catalog, store, vault
//! background → library, accounts (and the media tools)
//! ```
//!
//! Nothing under `library/`, `accounts/` or `background/` may import the
//! HTTP layer (`crate::http`) or axum; `library/` and `accounts/` may not
//! import `background` either (jobs are woken through the app state).

use std::path::{Path, PathBuf};

/// What a layer may not name: `(layer folder, forbidden paths)`.
const RULES: &[(&str, &[&str])] = &[
    (
        "library",
        &["crate::http", "axum", "crate::background", "tower_http"],
    ),
    (
        "accounts",
        &["crate::http", "axum", "crate::background", "tower_http"],
    ),
    ("background", &["crate::http", "axum", "tower_http"]),
    (
        "incidents",
        &["crate::http", "axum", "crate::background", "tower_http"],
    ),
    (
        "audit",
        &["crate::http", "axum", "crate::background", "tower_http"],
    ),
    (
        "backup",
        &["crate::http", "axum", "crate::background", "tower_http"],
    ),
];

/// The forbidden names `source` uses, ignoring comments.
fn violations(source: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for f in forbidden {
            let hit = code.match_indices(f).any(|(i, _)| {
                let before = code[..i].chars().next_back();
                let after = code[i + f.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push(format!("line {}: {f}", n + 1));
            }
        }
    }
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

#[test]
fn layers_import_only_what_the_rule_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (layer, forbidden) in RULES {
        let files = rust_files(&src.join(layer));
        assert!(!files.is_empty(), "no sources found under src/{layer}");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for v in violations(&text, forbidden) {
                broken.push(format!("{}: {v}", f.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rule broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_checker_sees_an_import_and_ignores_comments_and_longer_names() {
    let forbidden = &["crate::http", "axum"];
    assert_eq!(
        violations("use crate::http::error::ApiError;", forbidden),
        vec!["line 1: crate::http".to_string()]
    );
    assert_eq!(violations("    axum::Json(x)", forbidden).len(), 1);
    assert!(violations("// see crate::http for the routes", forbidden).is_empty());
    assert!(violations("use crate::https_redirect;", forbidden).is_empty());
    assert!(violations("let axum_like = 1;", forbidden).is_empty());
}
