//! The keyring: versioned data keys encrypted by the root key, and the
//! per-user keys they wrap.
//!
//! ```text
//! keyring entry (65 bytes) = 0x01 || version u32be || nonce (12) || AES-256-GCM(root, K_v) (32 + 16)
//!   AAD = "pixelunion/keyring/v1" || version u32be
//! subkeys of K_v (HKDF-SHA256, empty salt, ikm = K_v):
//!   wrap key    info = "pixelunion/keyring/wrap/v1"    wraps user keys (random nonces: counted)
//!   system key  info = "pixelunion/keyring/system/v1"  owner key of system data (KeyId::System{v})
//!   blind index info = "pixelunion/blind-index/v1" || lp(domain)   (see blind_index)
//! wrapped user key (69 bytes) =
//!   0x01 || keyring version u32be || generation u32be || nonce (12) || AES-256-GCM(wrap_v, U) (32 + 16)
//!   AAD = "pixelunion/user-key/v1" || keyring version || generation || lp(user id)
//! ```
//!
//! Rotation adds a version and makes it active; old versions stay so that
//! everything made with them still opens. Every direct use of a key with a
//! random 96-bit nonce is counted; past [`UsageLimits::rotate_after`]
//! [`Keyring::needs_rotation`] says so, and at [`UsageLimits::hard_limit`]
//! (below NIST SP 800-38D's 2^32) the key refuses further encryptions. Fields
//! and blobs never use a keyring or user key directly with a random nonce:
//! they derive a fresh key per message from a random salt, so they consume no
//! nonce budget.
//!
//! Crypto-shredding: a user's data is encrypted under keys derived from that
//! user's key `U`, which exists on storage only as its wrapped form. Deleting
//! the wrapped user key (and every copy of the metadata snapshot holding it)
//! makes all of that user's ciphertext, in every store and backup,
//! permanently unreadable.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, VaultError};
use crate::keys::{DataKey, KeyId};
use crate::primitives::{NONCE_LEN, TAG_LEN, hkdf_sha256, push_lp, unwrap_key, wrap_key};
use crate::root::RootKey;
use crate::secure_memory::{KEY_LEN, LockedKey};

const FORMAT: u8 = 1;
/// Serialized length of a [`WrappedKeyringKey`].
pub const WRAPPED_KEYRING_KEY_LEN: usize = 1 + 4 + NONCE_LEN + KEY_LEN + TAG_LEN;
/// Serialized length of a [`WrappedUserKey`].
pub const WRAPPED_USER_KEY_LEN: usize = 1 + 4 + 4 + NONCE_LEN + KEY_LEN + TAG_LEN;

/// When to rotate and when to refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageLimits {
    /// From this many random-nonce encryptions on, rotation is due.
    pub rotate_after: u64,
    /// At this many the key refuses to encrypt.
    pub hard_limit: u64,
}

impl Default for UsageLimits {
    fn default() -> Self {
        UsageLimits {
            rotate_after: 1 << 31,
            hard_limit: (1 << 32) - (1 << 24),
        }
    }
}

/// One keyring version, encrypted by the root key. Safe to store.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKeyringKey {
    version: u32,
    wrapped: [u8; NONCE_LEN + KEY_LEN + TAG_LEN],
}

impl fmt::Debug for WrappedKeyringKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedKeyringKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl WrappedKeyringKey {
    /// Keyring version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Serializes.
    pub fn to_bytes(&self) -> [u8; WRAPPED_KEYRING_KEY_LEN] {
        let mut out = [0u8; WRAPPED_KEYRING_KEY_LEN];
        out[0] = FORMAT;
        out[1..5].copy_from_slice(&self.version.to_be_bytes());
        out[5..].copy_from_slice(&self.wrapped);
        out
    }

    /// Parses [`WrappedKeyringKey::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        if b.len() != WRAPPED_KEYRING_KEY_LEN || b[0] != FORMAT {
            return Err(VaultError::InvalidFormat("not a keyring entry"));
        }
        let mut wrapped = [0u8; NONCE_LEN + KEY_LEN + TAG_LEN];
        wrapped.copy_from_slice(&b[5..]);
        Ok(WrappedKeyringKey {
            version: u32::from_be_bytes([b[1], b[2], b[3], b[4]]),
            wrapped,
        })
    }

    fn aad(version: u32) -> Vec<u8> {
        let mut aad = b"pixelunion/keyring/v1".to_vec();
        aad.extend_from_slice(&version.to_be_bytes());
        aad
    }
}

/// A user's key wrapped by a keyring version. Deleting every copy of it
/// crypto-shreds that user's data.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedUserKey {
    keyring_version: u32,
    generation: u32,
    wrapped: [u8; NONCE_LEN + KEY_LEN + TAG_LEN],
}

impl fmt::Debug for WrappedUserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedUserKey")
            .field("keyring_version", &self.keyring_version)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl WrappedUserKey {
    /// Keyring version that wraps it.
    pub fn keyring_version(&self) -> u32 {
        self.keyring_version
    }

    /// Generation of the user key.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Serializes.
    pub fn to_bytes(&self) -> [u8; WRAPPED_USER_KEY_LEN] {
        let mut out = [0u8; WRAPPED_USER_KEY_LEN];
        out[0] = FORMAT;
        out[1..5].copy_from_slice(&self.keyring_version.to_be_bytes());
        out[5..9].copy_from_slice(&self.generation.to_be_bytes());
        out[9..].copy_from_slice(&self.wrapped);
        out
    }

    /// Parses [`WrappedUserKey::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        if b.len() != WRAPPED_USER_KEY_LEN || b[0] != FORMAT {
            return Err(VaultError::InvalidFormat("not a wrapped user key"));
        }
        let mut wrapped = [0u8; NONCE_LEN + KEY_LEN + TAG_LEN];
        wrapped.copy_from_slice(&b[9..]);
        Ok(WrappedUserKey {
            keyring_version: u32::from_be_bytes([b[1], b[2], b[3], b[4]]),
            generation: u32::from_be_bytes([b[5], b[6], b[7], b[8]]),
            wrapped,
        })
    }

    fn aad(keyring_version: u32, generation: u32, user_id: &[u8]) -> Vec<u8> {
        let mut aad = b"pixelunion/user-key/v1".to_vec();
        aad.extend_from_slice(&keyring_version.to_be_bytes());
        aad.extend_from_slice(&generation.to_be_bytes());
        push_lp(&mut aad, user_id);
        aad
    }
}

struct Entry {
    /// K_v itself, kept for deriving blind-index keys.
    base: LockedKey,
    wrap: LockedKey,
    system: DataKey,
    used: AtomicU64,
}

impl Entry {
    fn derive(version: u32, base: LockedKey) -> Result<Entry> {
        let wrap = hkdf_sha256(&[], base.expose(), &[b"pixelunion/keyring/wrap/v1"])?;
        let system = DataKey::new(
            KeyId::System { version },
            hkdf_sha256(&[], base.expose(), &[b"pixelunion/keyring/system/v1"])?,
        );
        Ok(Entry {
            base,
            wrap,
            system,
            used: AtomicU64::new(0),
        })
    }
}

/// Usage of one keyring version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyUsage {
    /// keyring version
    pub version: u32,
    /// random-nonce encryptions made with it (since the count was last restored)
    pub encryptions: u64,
}

/// The unlocked keyring, held in RAM while the server is unsealed.
pub struct Keyring {
    entries: BTreeMap<u32, Entry>,
    active: u32,
    limits: UsageLimits,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("versions", &self.entries.keys().collect::<Vec<_>>())
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A new keyring with version 1, and its wrapped form to store.
    pub fn create(root: &RootKey) -> Result<(Keyring, WrappedKeyringKey)> {
        let mut ring = Keyring {
            entries: BTreeMap::new(),
            active: 0,
            limits: UsageLimits::default(),
        };
        let wrapped = ring.add_version(root, 1)?;
        Ok((ring, wrapped))
    }

    /// Opens stored entries with the root key. The highest version is active.
    pub fn open(root: &RootKey, stored: &[WrappedKeyringKey]) -> Result<Keyring> {
        let mut entries = BTreeMap::new();
        for w in stored {
            let base = unwrap_key(
                root.secret(),
                &WrappedKeyringKey::aad(w.version),
                &w.wrapped,
            )?;
            if entries
                .insert(w.version, Entry::derive(w.version, base)?)
                .is_some()
            {
                return Err(VaultError::InvalidFormat("keyring version appears twice"));
            }
        }
        let active = *entries
            .keys()
            .next_back()
            .ok_or(VaultError::InvalidFormat("keyring is empty"))?;
        Ok(Keyring {
            entries,
            active,
            limits: UsageLimits::default(),
        })
    }

    fn add_version(&mut self, root: &RootKey, version: u32) -> Result<WrappedKeyringKey> {
        let base = LockedKey::random()?;
        let wrapped = wrap_key(
            root.secret(),
            &WrappedKeyringKey::aad(version),
            base.expose(),
        )?;
        self.entries.insert(version, Entry::derive(version, base)?);
        self.active = version;
        Ok(WrappedKeyringKey { version, wrapped })
    }

    /// Adds a new version and makes it active; returns it wrapped, to store.
    pub fn rotate(&mut self, root: &RootKey) -> Result<WrappedKeyringKey> {
        let next = self
            .active
            .checked_add(1)
            .ok_or(VaultError::InvalidFormat("keyring version overflow"))?;
        self.add_version(root, next)
    }

    /// A new version's key, wrapped by the root key, **without** adding it:
    /// store it first, then [`Keyring::adopt`] it, so that nothing is ever
    /// encrypted under a version the catalog does not hold.
    pub fn next_version(&self, root: &RootKey) -> Result<WrappedKeyringKey> {
        let version = self
            .active
            .checked_add(1)
            .ok_or(VaultError::InvalidFormat("keyring version overflow"))?;
        let base = LockedKey::random()?;
        let wrapped = wrap_key(
            root.secret(),
            &WrappedKeyringKey::aad(version),
            base.expose(),
        )?;
        Ok(WrappedKeyringKey { version, wrapped })
    }

    /// Adds a stored version made by [`Keyring::next_version`] and makes it
    /// active (it must be the next one).
    pub fn adopt(&mut self, root: &RootKey, w: &WrappedKeyringKey) -> Result<()> {
        if Some(w.version) != self.active.checked_add(1) {
            return Err(VaultError::InvalidFormat("not the next keyring version"));
        }
        let base = unwrap_key(
            root.secret(),
            &WrappedKeyringKey::aad(w.version),
            &w.wrapped,
        )?;
        self.entries
            .insert(w.version, Entry::derive(w.version, base)?);
        self.active = w.version;
        Ok(())
    }

    /// Replaces the usage limits (operators may lower them).
    pub fn set_limits(&mut self, limits: UsageLimits) {
        self.limits = limits;
    }

    /// Restores a persisted usage count (the server persists [`Keyring::usage`]
    /// and restores it at unseal, so counts survive restarts).
    pub fn restore_usage(&self, version: u32, encryptions: u64) -> Result<()> {
        let e = self
            .entries
            .get(&version)
            .ok_or(VaultError::UnknownKeyVersion(version))?;
        e.used.fetch_max(encryptions, Ordering::Relaxed);
        Ok(())
    }

    /// Usage of every version.
    pub fn usage(&self) -> Vec<KeyUsage> {
        self.entries
            .iter()
            .map(|(v, e)| KeyUsage {
                version: *v,
                encryptions: e.used.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// True when the active version has reached `rotate_after`.
    pub fn needs_rotation(&self) -> bool {
        self.entries
            .get(&self.active)
            .is_some_and(|e| e.used.load(Ordering::Relaxed) >= self.limits.rotate_after)
    }

    /// The active version.
    pub fn active_version(&self) -> u32 {
        self.active
    }

    /// All versions present.
    pub fn versions(&self) -> Vec<u32> {
        self.entries.keys().copied().collect()
    }

    fn entry(&self, version: u32) -> Result<&Entry> {
        self.entries
            .get(&version)
            .ok_or(VaultError::UnknownKeyVersion(version))
    }

    fn reserve_encryption(&self, version: u32) -> Result<&Entry> {
        let e = self.entry(version)?;
        let before = e.used.fetch_add(1, Ordering::Relaxed);
        if before >= self.limits.hard_limit {
            e.used.fetch_sub(1, Ordering::Relaxed);
            return Err(VaultError::KeyExhausted(version));
        }
        Ok(e)
    }

    /// The owner key for system data (active version).
    pub fn system_key(&self) -> Result<&DataKey> {
        Ok(&self.entry(self.active)?.system)
    }

    /// The system key of a given id (to decrypt older system data).
    pub fn key_for(&self, id: KeyId) -> Result<&DataKey> {
        match id {
            KeyId::System { version } => Ok(&self.entry(version)?.system),
            KeyId::User { .. } => Err(VaultError::WrongKey {
                found: id,
                expected: KeyId::System {
                    version: self.active,
                },
            }),
        }
    }

    pub(crate) fn blind_index_base(&self, version: u32) -> Result<&LockedKey> {
        Ok(&self.entry(version)?.base)
    }

    /// Creates a new random key (generation 1) for `user_id`, wrapped by the
    /// active version.
    pub fn new_user_key(&self, user_id: &[u8]) -> Result<(DataKey, WrappedUserKey)> {
        let key = DataKey::generate(KeyId::User { generation: 1 })?;
        let wrapped = self.wrap_user_key(user_id, &key)?;
        Ok((key, wrapped))
    }

    /// Wraps a user key under the active version.
    pub fn wrap_user_key(&self, user_id: &[u8], key: &DataKey) -> Result<WrappedUserKey> {
        let KeyId::User { generation } = key.id() else {
            return Err(VaultError::WrongKey {
                found: key.id(),
                expected: KeyId::User { generation: 1 },
            });
        };
        let version = self.active;
        let e = self.reserve_encryption(version)?;
        let aad = WrappedUserKey::aad(version, generation, user_id);
        let wrapped = wrap_key(e.wrap.expose(), &aad, key.secret())?;
        Ok(WrappedUserKey {
            keyring_version: version,
            generation,
            wrapped,
        })
    }

    /// Unwraps `user_id`'s key. Fails for another user's wrapped key.
    pub fn unwrap_user_key(&self, user_id: &[u8], w: &WrappedUserKey) -> Result<DataKey> {
        let e = self.entry(w.keyring_version)?;
        let aad = WrappedUserKey::aad(w.keyring_version, w.generation, user_id);
        let key = unwrap_key(e.wrap.expose(), &aad, &w.wrapped)?;
        Ok(DataKey::new(
            KeyId::User {
                generation: w.generation,
            },
            key,
        ))
    }

    /// Re-wraps under the active version (after a rotation). The user key and
    /// so all of the user's data are unchanged.
    pub fn rewrap_user_key(&self, user_id: &[u8], w: &WrappedUserKey) -> Result<WrappedUserKey> {
        let key = self.unwrap_user_key(user_id, w)?;
        self.wrap_user_key(user_id, &key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::initialize;

    fn root() -> RootKey {
        initialize(1, 1).expect("init").root
    }

    #[test]
    fn create_open_rotate_keeps_old_versions_readable() {
        let root = root();
        let (mut ring, w1) = Keyring::create(&root).expect("create");
        let (alice, wa) = ring.new_user_key(b"alice").expect("user key");
        assert_eq!(wa.keyring_version(), 1);
        let w2 = ring.rotate(&root).expect("rotate");
        assert_eq!(ring.active_version(), 2);
        let (_bob, wb) = ring.new_user_key(b"bob").expect("user key");
        assert_eq!(wb.keyring_version(), 2);

        let stored = [
            WrappedKeyringKey::from_bytes(&w1.to_bytes()).expect("parse"),
            WrappedKeyringKey::from_bytes(&w2.to_bytes()).expect("parse"),
        ];
        let reopened = Keyring::open(&root, &stored).expect("open");
        assert_eq!(reopened.versions(), vec![1, 2]);
        let wa = WrappedUserKey::from_bytes(&wa.to_bytes()).expect("parse");
        let alice2 = reopened
            .unwrap_user_key(b"alice", &wa)
            .expect("old version opens");
        assert_eq!(alice2.secret(), alice.secret());
        let rewrapped = reopened.rewrap_user_key(b"alice", &wa).expect("rewrap");
        assert_eq!(rewrapped.keyring_version(), 2);
        let alice3 = reopened
            .unwrap_user_key(b"alice", &rewrapped)
            .expect("unwrap");
        assert_eq!(alice3.secret(), alice.secret());
    }

    #[test]
    fn wrapped_user_key_is_bound_to_its_user_and_root() {
        let root = root();
        let (ring, _) = Keyring::create(&root).expect("create");
        let (_k, w) = ring.new_user_key(b"alice").expect("user key");
        assert_eq!(
            ring.unwrap_user_key(b"mallory", &w).err(),
            Some(VaultError::DecryptionFailed)
        );
        let mut bytes = w.to_bytes();
        bytes[4] = 9; // claims another keyring version
        let forged = WrappedUserKey::from_bytes(&bytes).expect("parse");
        assert_eq!(
            ring.unwrap_user_key(b"alice", &forged).err(),
            Some(VaultError::UnknownKeyVersion(9))
        );
        let other_root = initialize(1, 1).expect("init").root;
        let (_, w1) = Keyring::create(&root).expect("create");
        assert_eq!(
            Keyring::open(&other_root, &[w1]).err(),
            Some(VaultError::DecryptionFailed)
        );
    }

    #[test]
    fn usage_is_counted_and_limits_enforced() {
        let root = root();
        let (mut ring, _) = Keyring::create(&root).expect("create");
        ring.set_limits(UsageLimits {
            rotate_after: 3,
            hard_limit: 5,
        });
        for _ in 0..3 {
            ring.new_user_key(b"u").expect("user key");
        }
        assert!(ring.needs_rotation());
        ring.new_user_key(b"u").expect("user key");
        ring.new_user_key(b"u").expect("user key");
        assert_eq!(
            ring.new_user_key(b"u").err(),
            Some(VaultError::KeyExhausted(1))
        );
        assert_eq!(ring.usage()[0].encryptions, 5);
        ring.rotate(&root).expect("rotate");
        assert!(!ring.needs_rotation());
        ring.new_user_key(b"u").expect("new version works");
        ring.restore_usage(2, 4).expect("restore");
        assert!(ring.needs_rotation());
    }

    #[test]
    fn subkeys_are_domain_separated() {
        let root = root();
        let (ring, _) = Keyring::create(&root).expect("create");
        let e = ring.entry(1).expect("entry");
        let a = e.base.expose();
        let b = e.wrap.expose();
        let c = e.system.secret();
        assert!(a != b && b != c && a != c);
    }

    #[test]
    fn debug_output_has_no_key_material() {
        let root = root();
        let (ring, w) = Keyring::create(&root).expect("create");
        let (_k, wu) = ring.new_user_key(b"alice").expect("user key");
        let s = format!("{ring:?} {w:?} {wu:?}");
        let wb = w.to_bytes();
        let hex: String = wb[5..13].iter().map(|b| format!("{b:02x}")).collect();
        assert!(!s.contains(&hex));
        assert!(!s.contains("wrapped:"));
    }
}
