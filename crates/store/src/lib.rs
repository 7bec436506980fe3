//! # pixelunion-store
//!
//! Owns the blob stores: a **primary** and a **backup** object store (a local
//! directory each by default, any S3-compatible endpoint in production)
//! reached through the `object_store` crate, and the encrypted streaming
//! put/get/range-get on top of them in the vault's blob format.
//!
//! Invariants: objects live under opaque random names only (never a user id,
//! file name or content hash); a write is atomic (an object is visible whole
//! or not at all: one PUT, or a multipart upload completed at the end, or a
//! local temp file renamed into place); only ciphertext is ever handed to a
//! store. What serving keeps between requests (object headers) is
//! ciphertext, bounded, and forgotten when the object is deleted. It must
//! never hold keys beyond a call, log object contents, or write plaintext
//! anywhere.

mod checkpoints;
pub mod checksum;
mod config;
mod deployment;
mod durable;
mod encrypted;
mod error;
pub mod hashing;
mod kept;
mod local_write;
mod pool;
mod replica;
mod snapshots;

use object_store::ObjectStoreExt as _;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};

pub use checkpoints::CheckpointName;
pub use checksum::ChecksumKind;
pub use config::StoreConfig;
pub use encrypted::{EncryptedObject, StoredBlob, WINDOW, read_ahead};
pub use error::{Result, StoreError};
pub use snapshots::{ListedSnapshot, SnapshotId, SnapshotObject, SnapshotPart};

/// An opaque object name: 128 random bits as 32 hex characters, fanned out
/// as `ab/cd/abcd…` so that no directory grows too large.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobName(String);

impl BlobName {
    /// A fresh random name.
    pub fn random() -> Self {
        BlobName(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Parses a stored name (32 lowercase hex characters).
    pub fn parse(s: &str) -> Result<Self> {
        if s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(BlobName(s.to_string()))
        } else {
            Err(StoreError::BadName)
        }
    }

    /// The name as stored in the catalog.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The object id the AEAD of a blob that is not an asset's original
    /// (renditions, playable copies, upload parts) is bound to: the name's
    /// own 128 random bits.
    pub fn object_id(&self) -> pixelunion_vault::ObjectId {
        let mut id = [0u8; 16];
        for (i, pair) in self.0.as_bytes().chunks(2).enumerate().take(16) {
            let hex = |b: u8| match b {
                b'0'..=b'9' => b - b'0',
                _ => b - b'a' + 10,
            };
            id[i] = hex(pair[0]) << 4 | hex(pair[1]);
        }
        pixelunion_vault::ObjectId(id)
    }
}

/// Something stored under a path of its own: a blob, or a part of a
/// catalog snapshot.
pub trait ObjectKey {
    /// Where it lives in the store.
    fn path(&self) -> ObjectPath;
}

impl ObjectKey for BlobName {
    fn path(&self) -> ObjectPath {
        ObjectPath::from(format!("{}/{}/{}", &self.0[..2], &self.0[2..4], self.0))
    }
}

/// One object store (primary or backup).
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
    label: &'static str,
    /// the directory of a local store (for cleaning interrupted writes)
    local_root: Option<std::path::PathBuf>,
    /// what serving keeps between requests (see
    /// [`BlobStore::open_encrypted_for_serving`])
    kept: Arc<kept::Kept>,
}

impl BlobStore {
    /// Opens a store from its configuration. `label` names it in errors and
    /// logs ("primary", "backup").
    pub fn open(config: &StoreConfig, label: &'static str) -> Result<Self> {
        Ok(BlobStore {
            inner: config.build()?,
            label,
            local_root: match config {
                StoreConfig::Local { root } => Some(root.clone()),
                StoreConfig::S3 { .. } => None,
            },
            kept: Arc::default(),
        })
    }

    /// "primary" or "backup".
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// The file holding the object at `path` in a local store (`None` on S3).
    pub(crate) fn local_file(&self, path: &ObjectPath) -> Option<std::path::PathBuf> {
        let root = self.local_root.as_ref()?;
        Some(
            path.parts()
                .fold(root.clone(), |p, part| p.join(part.as_ref())),
        )
    }

    /// Writes a whole object atomically and durably (on stable storage when
    /// this returns).
    pub async fn put<N: ObjectKey + ?Sized>(&self, name: &N, data: Bytes) -> Result<()> {
        self.inner
            .put(&name.path(), PutPayload::from_bytes(data))
            .await
            .map_err(|e| StoreError::backend(self.label, e))?;
        self.make_durable(&name.path()).await
    }

    /// Reads a whole object.
    pub async fn get<N: ObjectKey + ?Sized>(&self, name: &N) -> Result<Bytes> {
        let r = self
            .inner
            .get(&name.path())
            .await
            .map_err(|e| StoreError::backend(self.label, e))?;
        r.bytes()
            .await
            .map_err(|e| StoreError::backend(self.label, e))
    }

    /// Reads bytes `range` of an object.
    pub async fn get_range<N: ObjectKey + ?Sized>(
        &self,
        name: &N,
        range: Range<u64>,
    ) -> Result<Bytes> {
        self.inner
            .get_range(&name.path(), range)
            .await
            .map_err(|e| StoreError::backend(self.label, e))
    }

    /// Size of an object in bytes.
    pub async fn size<N: ObjectKey + ?Sized>(&self, name: &N) -> Result<u64> {
        let m = self
            .inner
            .head(&name.path())
            .await
            .map_err(|e| StoreError::backend(self.label, e))?;
        Ok(m.size)
    }

    /// Deletes an object (absent is fine) and forgets what serving kept of it.
    pub async fn delete<N: ObjectKey + ?Sized>(&self, name: &N) -> Result<()> {
        self.kept.forget(name.path().as_ref());
        match self.inner.delete(&name.path()).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::backend(self.label, e)),
        }
    }

    /// Every object name in the store (for sweeps, audits and tests). Objects
    /// that are not ours (other names) are skipped.
    pub async fn list(&self) -> Result<Vec<BlobName>> {
        use futures::TryStreamExt;
        let metas: Vec<object_store::ObjectMeta> = self
            .inner
            .list(None)
            .try_collect()
            .await
            .map_err(|e| StoreError::backend(self.label, e))?;
        Ok(metas
            .iter()
            .filter_map(|m| m.location.filename().and_then(|f| BlobName::parse(f).ok()))
            .collect())
    }

    /// Checks the store answers (readiness): lists at most one object.
    pub async fn ping(&self) -> Result<()> {
        use futures::StreamExt;
        let mut l = self.inner.list(None);
        match l.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(StoreError::backend(self.label, e)),
        }
    }

    pub(crate) fn inner(&self) -> &Arc<dyn ObjectStore> {
        &self.inner
    }
}

/// The primary store and the backup store.
#[derive(Debug, Clone)]
pub struct Stores {
    /// where the service reads and writes
    pub primary: BlobStore,
    /// independent copy, never given a key
    pub backup: BlobStore,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_random_opaque_hex() {
        let a = BlobName::random();
        let b = BlobName::random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(BlobName::parse(a.as_str()).expect("parse"), a);
        assert!(a.path().as_ref().starts_with(&a.as_str()[..2]));
        // The object id is the name's bits, as a UUID reads them.
        let n = BlobName::parse("0123456789abcdef0123456789abcdef").expect("name");
        assert_eq!(
            n.object_id().0,
            *uuid::Uuid::parse_str(n.as_str()).expect("uuid").as_bytes()
        );
        for bad in [
            "",
            "../../etc/passwd",
            "ABCDEF0123456789ABCDEF0123456789",
            "x".repeat(32).as_str(),
        ] {
            assert!(BlobName::parse(bad).is_err(), "{bad}");
        }
    }
}
