//! Key identities and the owner keys that encrypt fields and blobs.

use std::fmt;

use crate::error::{Result, VaultError};
use crate::secure_memory::{KEY_LEN, LockedKey};

/// Which key a ciphertext was made with. Recorded in every ciphertext header
/// so that old versions stay readable after a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyId {
    /// A keyring data key (system-owned data: audit log, snapshots, settings).
    System {
        /// keyring version
        version: u32,
    },
    /// A per-user key (everything a user owns).
    User {
        /// generation of that user's key (1 for the first)
        generation: u32,
    },
}

impl KeyId {
    pub(crate) const KIND_SYSTEM: u8 = 1;
    pub(crate) const KIND_USER: u8 = 2;

    /// Encodes as kind byte + u32 big-endian.
    pub fn to_bytes(self) -> [u8; 5] {
        let (kind, v) = match self {
            KeyId::System { version } => (Self::KIND_SYSTEM, version),
            KeyId::User { generation } => (Self::KIND_USER, generation),
        };
        let mut out = [0u8; 5];
        out[0] = kind;
        out[1..].copy_from_slice(&v.to_be_bytes());
        out
    }

    /// Decodes [`KeyId::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let b: &[u8; 5] = b
            .try_into()
            .map_err(|_| VaultError::InvalidFormat("key id has the wrong length"))?;
        let v = u32::from_be_bytes([b[1], b[2], b[3], b[4]]);
        match b[0] {
            Self::KIND_SYSTEM => Ok(KeyId::System { version: v }),
            Self::KIND_USER => Ok(KeyId::User { generation: v }),
            _ => Err(VaultError::InvalidFormat("unknown key kind")),
        }
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyId::System { version } => write!(f, "system/v{version}"),
            KeyId::User { generation } => write!(f, "user/g{generation}"),
        }
    }
}

/// A 256-bit key that owns data (a user's key, or a keyring version used for
/// system data), held in locked memory and zeroed on drop.
pub struct DataKey {
    id: KeyId,
    key: LockedKey,
}

impl DataKey {
    pub(crate) fn new(id: KeyId, key: LockedKey) -> Self {
        DataKey { id, key }
    }

    /// A fresh random key with the given identity.
    pub fn generate(id: KeyId) -> Result<Self> {
        Ok(DataKey::new(id, LockedKey::random()?))
    }

    /// Builds a key from raw bytes. For test vectors and tools that hold a key
    /// from elsewhere; production keys come from the keyring.
    pub fn from_bytes(id: KeyId, bytes: &[u8; KEY_LEN]) -> Result<Self> {
        Ok(DataKey::new(id, LockedKey::from_bytes(bytes)?))
    }

    /// Which key this is.
    pub fn id(&self) -> KeyId {
        self.id
    }

    pub(crate) fn secret(&self) -> &[u8; KEY_LEN] {
        self.key.expose()
    }

    /// Copies the key into new locked memory.
    pub fn try_clone(&self) -> Result<Self> {
        Ok(DataKey::new(self.id, self.key.try_clone()?))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Identifier of a stored object (an asset's original, a thumbnail, a snapshot):
/// 16 opaque bytes (a UUID). It is bound into the object key so that a blob
/// moved to another id does not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectId(pub [u8; 16]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_round_trip_and_rejects_unknown_kind() {
        for id in [
            KeyId::System { version: 1 },
            KeyId::System { version: u32::MAX },
            KeyId::User { generation: 7 },
        ] {
            assert_eq!(KeyId::from_bytes(&id.to_bytes()), Ok(id));
        }
        assert!(KeyId::from_bytes(&[3, 0, 0, 0, 1]).is_err());
        assert!(KeyId::from_bytes(&[1, 0, 0, 1]).is_err());
    }

    #[test]
    fn data_key_debug_hides_bytes() {
        let k = DataKey::from_bytes(KeyId::User { generation: 1 }, &[0x5a; 32]).expect("key");
        let s = format!("{k:?}");
        assert!(s.contains("redacted"));
        assert!(!s.to_lowercase().contains("5a") && !s.contains("90"));
    }
}
