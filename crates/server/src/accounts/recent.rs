//! Recent credentials: the rows a session or API token was found with,
//! kept for a second, so that a page asking for a hundred thumbnails looks
//! its token up once rather than a hundred times (the lookup was the
//! largest single cost of serving a thumbnail, docs/benchmarks.md).
//!
//! What keeps this safe:
//! - keyed by the token's hash, never the token; only credentials that were
//!   found are kept, so a guessed token is looked up every time and fills
//!   nothing;
//! - only the rows are kept: every check (expiry, idle time, a disabled
//!   account, a role's end, the role's timeouts, CSRF, rate limits) is made
//!   again on each request, from the kept rows and the time now;
//! - an entry is used only while the catalog's accounts version is the one
//!   it was read at: a sign-out, a revoked session or token, a disabled
//!   account or a changed role on this node ends it at once
//!   (`Catalog::accounts_version`);
//! - only on SQLite, where this process is the database's one writer
//!   (the embedded, single-node deployment): on PostgreSQL other nodes
//!   write too, and a credential changed there (a sign-out, a new second
//!   factor, a new password) must be seen on the very next request through
//!   the load balancer, so nothing is kept;
//! - and for at most [`KEPT_FOR`]: a change made to the database file by
//!   another process is honoured within that time;
//! - bounded in number, and emptied on seal.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pixelunion_catalog::{ApiTokenRow, Catalog, SessionRow, UserRow};
use quick_cache::sync::Cache;

/// How long a lookup is used for, at most.
pub const KEPT_FOR: Duration = Duration::from_secs(1);

/// Credentials kept at most (about a kilobyte each).
const KEPT: usize = 4096;

/// What a token was found to be, with its user.
#[derive(Debug, Clone)]
pub enum Found {
    /// a session and its user
    Session(SessionRow, UserRow),
    /// an API token and its user
    Token(ApiTokenRow, UserRow),
}

#[derive(Debug)]
struct Entry {
    found: Found,
    /// the accounts' version taken before the lookup
    version: u64,
    at: Instant,
}

/// The recent lookups of one process.
#[derive(Debug)]
pub struct RecentCredentials {
    kept: Cache<[u8; 32], Arc<Entry>>,
    lifetime: Duration,
}

impl Default for RecentCredentials {
    fn default() -> Self {
        Self::with_lifetime(KEPT_FOR)
    }
}

impl RecentCredentials {
    fn with_lifetime(lifetime: Duration) -> Self {
        RecentCredentials {
            kept: Cache::new(KEPT),
            lifetime,
        }
    }

    /// What token `hash` is: as a lookup under the accounts version the
    /// catalog has now found it, if that is kept and of a kind `kind`
    /// accepts; otherwise as `look_up` finds it now (kept if found; on
    /// PostgreSQL always looked up, never kept). The
    /// version is taken before the lookup, so that a write coming between
    /// the two ends the entry.
    pub async fn found_or<E>(
        &self,
        catalog: &Catalog,
        hash: [u8; 32],
        kind: fn(&Found) -> bool,
        look_up: impl Future<Output = Result<Option<Found>, E>>,
    ) -> Result<Option<Found>, E> {
        if !matches!(catalog, Catalog::Sqlite(..)) {
            return look_up.await;
        }
        let version = catalog.accounts_version();
        if let Some(found) = self.get(&hash, version).filter(kind) {
            return Ok(Some(found));
        }
        let found = look_up.await?;
        if let Some(f) = &found {
            self.keep(hash, version, f.clone());
        }
        Ok(found)
    }

    /// What token `hash` was found to be, if that was looked up under
    /// accounts version `version` (the current one) within the lifetime.
    fn get(&self, hash: &[u8; 32], version: u64) -> Option<Found> {
        let e = self.kept.get(hash)?;
        if e.version == version && e.at.elapsed() < self.lifetime {
            Some(e.found.clone())
        } else {
            self.kept.remove(hash);
            None
        }
    }

    /// Keeps what token `hash` was found to be; `version` is the accounts
    /// version taken *before* the lookup (a write that came between moves
    /// the version on, and the entry is never used).
    fn keep(&self, hash: [u8; 32], version: u64, found: Found) {
        let entry = Entry {
            found,
            version,
            at: Instant::now(),
        };
        self.kept.insert(hash, Arc::new(entry));
    }

    /// Forgets token `hash` (its rows were just changed by this request).
    pub fn forget(&self, hash: &[u8; 32]) {
        self.kept.remove(hash);
    }

    /// Forgets everything (on seal).
    pub fn clear(&self) {
        self.kept.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pixelunion_auth::Role;

    fn found(user: &str) -> Found {
        Found::Token(
            ApiTokenRow {
                id: "t".into(),
                user_id: user.into(),
                token_hash: vec![1; 32],
                name: vec![],
                scope: "read".into(),
                created_at: 1,
                expires_at: 2,
                last_used_at: None,
            },
            UserRow {
                id: user.into(),
                email_index: vec![],
                email: vec![],
                user_key: vec![],
                password_hash: String::new(),
                role: Role::User,
                disabled: false,
                must_change_password: false,
                totp_secret: None,
                totp_last_step: None,
                created_at: 1,
                last_login_at: None,
                role_expires_at: None,
            },
        )
    }

    fn user_of(f: Option<Found>) -> Option<String> {
        f.map(|f| match f {
            Found::Token(_, u) | Found::Session(_, u) => u.id,
        })
    }

    #[test]
    fn a_lookup_is_used_only_under_its_version_and_within_its_lifetime() {
        let recent = RecentCredentials::with_lifetime(Duration::from_millis(200));
        recent.keep([1; 32], 7, found("ann"));
        assert_eq!(user_of(recent.get(&[1; 32], 7)).as_deref(), Some("ann"));
        assert_eq!(user_of(recent.get(&[2; 32], 7)), None, "another token");
        assert_eq!(
            user_of(recent.get(&[1; 32], 8)),
            None,
            "a write came after it"
        );
        assert_eq!(
            user_of(recent.get(&[1; 32], 7)),
            None,
            "gone once seen stale, even under its old version"
        );
        recent.keep([1; 32], 8, found("ann"));
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(user_of(recent.get(&[1; 32], 8)), None, "past its lifetime");
        recent.keep([3; 32], 8, found("bob"));
        recent.forget(&[3; 32]);
        assert_eq!(user_of(recent.get(&[3; 32], 8)), None, "forgotten");
        recent.keep([4; 32], 8, found("cy"));
        recent.clear();
        assert_eq!(user_of(recent.get(&[4; 32], 8)), None, "emptied");
    }

    #[test]
    fn it_stays_bounded() {
        let recent = RecentCredentials::default();
        for i in 0..(3 * KEPT as u32) {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_le_bytes());
            recent.keep(h, 1, found("u"));
        }
        assert!(recent.kept.len() <= KEPT, "{} kept", recent.kept.len());
    }
}
