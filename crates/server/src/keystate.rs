//! The server's key state: sealed (no key in memory, collecting shares) or
//! unsealed (root key and keyring in locked memory). Sealing drops both, which
//! zeroes them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pixelunion_catalog::Catalog;
use pixelunion_catalog::UserRow;
use pixelunion_vault::DataKey;
use pixelunion_vault::VaultError;
use pixelunion_vault::keyring::{Keyring, WrappedKeyringKey, WrappedUserKey};
use pixelunion_vault::root::{self, RootKey, SealedRootKey, UnsealProgress, UnsealStep};
use pixelunion_vault::shares::ShareText;

/// Errors while changing key state.
#[derive(Debug, thiserror::Error)]
pub enum KeyStateError {
    /// A vault error (bad share, invalid shares…).
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] pixelunion_catalog::CatalogError),
    /// Not initialized yet.
    #[error("the server is not initialized")]
    NotInitialized,
    /// Sealed: no key to work with.
    #[error("the server is sealed")]
    Sealed,
}

/// Why a user's key is not available.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No key in memory.
    #[error("the server is sealed")]
    Sealed,
    /// The wrapped key did not open (corrupt row, wrong keyring).
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Unwraps a user's key with the keyring.
pub fn user_key(keyring: &Keyring, user: &UserRow) -> Result<DataKey, VaultError> {
    keyring.unwrap_user_key(
        user.id.as_bytes(),
        &WrappedUserKey::from_bytes(&user.user_key)?,
    )
}

enum State {
    Sealed(UnsealProgress),
    Unsealed {
        _root: RootKey,
        keyring: Keyring,
        /// unwrapped user keys, by user id (dropped with the keyring)
        user_keys: HashMap<String, CachedKey>,
    },
}

/// How long an unwrapped user key is kept for the next requests.
const USER_KEY_TTL: Duration = Duration::from_secs(60);
/// Unwrapped user keys kept at most.
const USER_KEYS_KEPT: usize = 4096;

/// An unwrapped user key (in locked memory, zeroed when the last holder
/// drops it) and the wrapped form it came from: a row whose wrapped key
/// changed (re-wrapped, replaced) never gets the old key back.
struct CachedKey {
    wrapped: Vec<u8>,
    key: Arc<DataKey>,
    until: Instant,
}

/// Public view of the key state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyStatus {
    /// a sealed root record exists
    pub initialized: bool,
    /// no key in memory
    pub sealed: bool,
    /// shares needed
    pub threshold: u8,
    /// shares handed out
    pub shares: u8,
    /// shares received so far (while sealed)
    pub progress: u8,
}

/// Holds the key state.
pub struct KeyVault {
    sealed_record: Mutex<Option<SealedRootKey>>,
    state: Mutex<State>,
}

impl std::fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVault")
            .field("status", &self.status())
            .finish()
    }
}

/// Result of one submitted share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsealOutcome {
    /// more shares needed
    Progress,
    /// now unsealed
    Unsealed,
    /// was unsealed already; the share was not looked at
    AlreadyUnsealed,
}

impl KeyVault {
    /// Loads the sealed record from the catalog; starts sealed.
    pub async fn load(catalog: &Catalog) -> Result<Self, KeyStateError> {
        let record = match catalog.sealed_root().await? {
            Some(bytes) => Some(SealedRootKey::from_bytes(&bytes)?),
            None => None,
        };
        Ok(KeyVault {
            sealed_record: Mutex::new(record),
            state: Mutex::new(State::Sealed(UnsealProgress::new())),
        })
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self) -> Option<SealedRootKey> {
        self.sealed_record
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Initializes an empty catalog: new root key, keyring v1, shares. Leaves
    /// the server unsealed. Fails (changing nothing) if already initialized.
    pub async fn initialize(
        &self,
        catalog: &Catalog,
        threshold: u8,
        shares: u8,
    ) -> Result<Vec<ShareText>, KeyStateError> {
        let init = root::initialize(threshold, shares)?;
        let (keyring, wrapped) = Keyring::create(&init.root)?;
        catalog
            .initialize_vault(
                &init.sealed.to_bytes(),
                wrapped.version(),
                &wrapped.to_bytes(),
            )
            .await?;
        *self.sealed_record.lock().unwrap_or_else(|e| e.into_inner()) = Some(init.sealed);
        *self.lock_state() = State::Unsealed {
            _root: init.root,
            keyring,
            user_keys: HashMap::new(),
        };
        Ok(init.shares)
    }

    /// Current status.
    pub fn status(&self) -> KeyStatus {
        let rec = self.record();
        let st = self.lock_state();
        let (sealed, progress) = match &*st {
            State::Sealed(p) => (true, p.have()),
            State::Unsealed { .. } => (false, 0),
        };
        KeyStatus {
            initialized: rec.is_some(),
            sealed,
            threshold: rec.as_ref().map_or(0, SealedRootKey::threshold),
            shares: rec.as_ref().map_or(0, SealedRootKey::share_count),
            progress,
        }
    }

    /// True while no key is in memory.
    pub fn is_sealed(&self) -> bool {
        matches!(&*self.lock_state(), State::Sealed(_))
    }

    /// Submits one share. On reaching the threshold, opens the keyring.
    pub async fn submit_share(
        &self,
        catalog: &Catalog,
        share: &str,
    ) -> Result<UnsealOutcome, KeyStateError> {
        let record = self.record().ok_or(KeyStateError::NotInitialized)?;
        let root = {
            let mut st = self.lock_state();
            let State::Sealed(progress) = &mut *st else {
                return Ok(UnsealOutcome::AlreadyUnsealed);
            };
            match progress.submit(share, &record)? {
                UnsealStep::Progress { .. } => return Ok(UnsealOutcome::Progress),
                UnsealStep::Unsealed(root) => root,
            }
        };
        let rows = catalog.keyring().await?;
        let wrapped = rows
            .iter()
            .map(|r| WrappedKeyringKey::from_bytes(&r.wrapped))
            .collect::<Result<Vec<_>, _>>()?;
        let keyring = Keyring::open(&root, &wrapped)?;
        for r in &rows {
            keyring.restore_usage(r.version, r.encryptions)?;
        }
        let mut st = self.lock_state();
        if matches!(&*st, State::Sealed(_)) {
            *st = State::Unsealed {
                _root: root,
                keyring,
                user_keys: HashMap::new(),
            };
        }
        Ok(UnsealOutcome::Unsealed)
    }

    /// Checks that `shares` (at least the threshold of them) open this
    /// vault's sealed root key, without touching the key state: the proof a
    /// break-glass action asks for. The key they open is dropped (zeroed)
    /// at once.
    pub fn verify_shares(&self, shares: &[String]) -> Result<(), KeyStateError> {
        let record = self.record().ok_or(KeyStateError::NotInitialized)?;
        let mut progress = UnsealProgress::new();
        for share in shares {
            if let UnsealStep::Unsealed(_root) = progress.submit(share, &record)? {
                return Ok(());
            }
        }
        Err(KeyStateError::Vault(VaultError::InvalidShares))
    }

    /// Persists key usage counts (call periodically and before sealing).
    pub async fn persist_usage(&self, catalog: &Catalog) -> Result<(), KeyStateError> {
        let usage = match &*self.lock_state() {
            State::Unsealed { keyring, .. } => keyring.usage(),
            State::Sealed(_) => return Ok(()),
        };
        for u in usage {
            catalog.record_key_usage(u.version, u.encryptions).await?;
        }
        Ok(())
    }

    /// Rotates the keyring: a new version is stored in the catalog first,
    /// then becomes the active one (new data is encrypted under it; older
    /// versions stay readable). Returns the new version.
    pub async fn rotate(&self, catalog: &Catalog) -> Result<u32, KeyStateError> {
        let next = match &*self.lock_state() {
            State::Unsealed { _root, keyring, .. } => keyring.next_version(_root)?,
            State::Sealed(_) => return Err(KeyStateError::Sealed),
        };
        catalog
            .add_keyring_version(next.version(), &next.to_bytes())
            .await?;
        match &mut *self.lock_state() {
            State::Unsealed { _root, keyring, .. } => keyring.adopt(_root, &next)?,
            State::Sealed(_) => return Err(KeyStateError::Sealed),
        }
        Ok(next.version())
    }

    /// Wipes the keys from memory.
    pub fn seal(&self) {
        *self.lock_state() = State::Sealed(UnsealProgress::new());
    }

    /// Runs `f` with the keyring, or fails with `None` while sealed.
    pub fn with_keyring<T>(&self, f: impl FnOnce(&Keyring) -> T) -> Option<T> {
        match &*self.lock_state() {
            State::Unsealed { keyring, .. } => Some(f(keyring)),
            State::Sealed(_) => None,
        }
    }

    /// `user`'s key, while unsealed. Unwrapped keys are kept for
    /// [`USER_KEY_TTL`] (a thumbnail grid asks for the same key hundreds of
    /// times a second), only in locked memory, and only while the row's
    /// wrapped key is the one they came from; sealing drops them all.
    pub fn user_key(&self, user: &UserRow) -> Result<Arc<DataKey>, KeyError> {
        let mut st = self.lock_state();
        let State::Unsealed {
            keyring, user_keys, ..
        } = &mut *st
        else {
            return Err(KeyError::Sealed);
        };
        let now = Instant::now();
        if let Some(c) = user_keys.get(&user.id)
            && c.until > now
            && c.wrapped == user.user_key
        {
            return Ok(c.key.clone());
        }
        let key = Arc::new(user_key(keyring, user)?);
        if user_keys.len() >= USER_KEYS_KEPT {
            user_keys.retain(|_, c| c.until > now);
            if user_keys.len() >= USER_KEYS_KEPT {
                user_keys.clear();
            }
        }
        user_keys.insert(
            user.id.clone(),
            CachedKey {
                wrapped: user.user_key.clone(),
                key: key.clone(),
                until: now + USER_KEY_TTL,
            },
        );
        Ok(key)
    }

    /// Drops the kept key of `user_id` (its account was purged: its key
    /// must not outlive the wrapped one).
    pub fn forget_user_key(&self, user_id: &str) {
        if let State::Unsealed { user_keys, .. } = &mut *self.lock_state() {
            user_keys.remove(user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, wrapped: &WrappedUserKey) -> UserRow {
        UserRow {
            id: id.to_string(),
            email_index: vec![1],
            email: vec![2],
            user_key: wrapped.to_bytes().to_vec(),
            password_hash: String::new(),
            role: pixelunion_auth::Role::User,
            disabled: false,
            must_change_password: false,
            totp_secret: None,
            totp_last_step: None,
            created_at: 0,
            last_login_at: None,
            role_expires_at: None,
        }
    }

    #[tokio::test]
    async fn kept_user_keys_follow_the_wrapped_key_and_go_with_the_seal() {
        let dir = tempfile::tempdir().expect("dir");
        let c = Catalog::open_sqlite(&dir.path().join("c.db"))
            .await
            .expect("catalog");
        let v = KeyVault::load(&c).await.expect("load");
        v.initialize(&c, 1, 1).await.expect("init");
        let wrap = || {
            v.with_keyring(|k| k.new_user_key(b"u1"))
                .expect("unsealed")
                .expect("new key")
                .1
        };
        let first = user("u1", &wrap());
        let a = v.user_key(&first).expect("key");
        let b = v.user_key(&first).expect("key");
        assert!(Arc::ptr_eq(&a, &b), "the second request gets the kept key");
        // A row whose wrapped key changed never gets the old key back.
        let second = user("u1", &wrap());
        let c2 = v.user_key(&second).expect("key");
        assert!(!Arc::ptr_eq(&a, &c2));
        assert!(Arc::ptr_eq(&c2, &v.user_key(&second).expect("key")));
        // A purge forgets it; a seal drops them all.
        v.forget_user_key("u1");
        let d = v.user_key(&second).expect("key");
        assert!(!Arc::ptr_eq(&c2, &d));
        v.seal();
        assert!(matches!(v.user_key(&second), Err(KeyError::Sealed)));
        assert!(matches!(v.user_key(&first), Err(KeyError::Sealed)));
    }
}
