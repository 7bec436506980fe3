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
