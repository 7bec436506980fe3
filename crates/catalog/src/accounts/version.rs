//! The accounts' version: a number this process moves on after each of
//! its writes to users, sessions or API tokens, so that a cache of
//! credentials read before a write (the server's recent sign-ins) stops
//! using them at once on this node. Other processes' writes are not seen
//! here: such a cache must also bound how long it keeps anything.
//!
//! The last-used times that every request moves forward
//! (`touch_session`, `touch_api_token`) do not count as changes.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Catalog;

/// This process's writes to accounts, counted (one count for every
/// catalog in the process: a write to any of them ends what was cached).
static VERSION: AtomicU64 = AtomicU64::new(0);

impl Catalog {
    /// The accounts' version now: credentials read after taking it are
    /// current until it changes (for this process's writes).
    pub fn accounts_version(&self) -> u64 {
        VERSION.load(Ordering::SeqCst)
    }
}

/// Held by a method that writes users, sessions or API tokens, from its
/// start: when the method ends (its write committed, failed or abandoned),
/// the version moves on. Taken first, so that no path of the method can
/// miss it.
#[must_use = "the version moves on when this is dropped"]
pub(crate) struct AccountsWrite(());

impl AccountsWrite {
    pub(crate) fn start() -> Self {
        AccountsWrite(())
    }
}

impl Drop for AccountsWrite {
    fn drop(&mut self) {
        VERSION.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    /// Every catalog function whose SQL writes users, sessions or API
    /// tokens takes the guard itself (the last-used touches excepted): a
    /// guard in a caller misses the function's other callers.
    #[test]
    fn every_function_writing_accounts_moves_the_version() {
        let write =
            regex::Regex::new(r"(INSERT INTO|UPDATE|DELETE FROM)\s+(users|sessions|api_tokens)\b")
                .expect("regex");
        let start = regex::Regex::new(r"^    (pub(\(crate\))? )?async fn (\w+)").expect("regex");
        let exempt = ["touch_session", "touch_api_token"];
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        let (mut missing, mut checked) = (Vec::new(), 0);
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("source directory") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("source");
                // each function: from its first line to the next one's
                let mut current: Option<(String, String)> = None;
                let mut done = Vec::new();
                for line in text.lines() {
                    if let Some(c) = start.captures(line) {
                        done.extend(current.take());
                        current = Some((c[3].to_string(), String::new()));
                    }
                    if let Some((_, body)) = current.as_mut() {
                        body.push_str(line);
                        body.push('\n');
                    }
                }
                done.extend(current);
                for (name, body) in done {
                    if write.is_match(&body) && !exempt.contains(&name.as_str()) {
                        checked += 1;
                        if !body.contains("AccountsWrite::start()") {
                            missing.push(format!("{}: {name}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(checked >= 25, "only {checked} writing functions found");
        assert!(missing.is_empty(), "no guard: {missing:#?}");
    }
}
