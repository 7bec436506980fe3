//! Backups that bring the service back: consistent, encrypted snapshots of
//! the whole catalog in the backup store (taken on a schedule, on demand,
//! at seal and at shutdown, kept by a retention rule), the restore that
//! rebuilds a deployment from the backup store and the shares alone,
//! verification of every backup copy, and self-healing of the primary
//! store from the backup.
//!
//! A snapshot is two objects in the backup store: `snapshots/<id>.head`
//! (`pixelunion_vault::snapshot_head`: the sealed root record and the
//! wrapped keyring, ciphertext already) and `snapshots/<id>.body` (the catalog's rows in the logical
//! format of `pixelunion_catalog::snapshot`, encrypted with the vault's blob
//! format under the system key, its AEAD bound to the head). Plaintext of a
//! snapshot exists only in memory, a piece at a time.
//!
//! It must never depend on `http` or axum, write a snapshot's plaintext
//! anywhere, or delete a backup object a row still needs.

pub mod heal;
pub mod restore;
pub mod retention;
pub mod snapshot;
pub mod status;
pub mod verify;

use pixelunion_catalog::CatalogError;
use pixelunion_catalog::snapshot::SnapshotError;
use pixelunion_store::StoreError;
use pixelunion_vault::VaultError;

/// A backup operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No key in memory.
    #[error("the server is sealed")]
    Sealed,
    /// The backup store holds no usable snapshot.
    #[error("the backup store holds no complete snapshot")]
    NoSnapshot,
    /// The snapshot asked for is not there.
    #[error("no snapshot {0} in the backup store")]
    UnknownSnapshot(String),
    /// A snapshot that is not one (truncated, tampered, foreign).
    #[error("the snapshot cannot be used: {0}")]
    BadSnapshot(&'static str),
    /// The shares do not open this snapshot's sealed root record.
    #[error("these shares do not open this backup's keys")]
    WrongShares,
    /// A share could not be read or is malformed.
    #[error("share: {0}")]
    Share(String),
    /// Where the restore would write already holds data.
    #[error("{0}")]
    NotEmpty(String),
    /// A blob the restored catalog needs is missing or damaged in the backup.
    #[error("{0} blob(s) the catalog references are missing or damaged in the backup store")]
    MissingBlobs(u64),
    /// The catalog.
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// A snapshot's rows.
    #[error("snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    /// A store.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Keys.
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    /// A local file or directory.
    #[error("{0}")]
    Io(String),
}

impl From<crate::keystate::KeyError> for Error {
    fn from(e: crate::keystate::KeyError) -> Self {
        match e {
            crate::keystate::KeyError::Sealed => Error::Sealed,
            crate::keystate::KeyError::Vault(v) => Error::Vault(v),
        }
    }
}

/// Result of backup operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
