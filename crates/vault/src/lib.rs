//! # pixelunion-vault
//!
//! Owns every key and every cryptographic format of PixelUnion:
//!
//! - the **unseal key** split into Shamir shares ([`root::initialize`],
//!   [`root::UnsealProgress`]) and the **root key** sealed under it;
//! - the **keyring** of versioned data keys under the root key, with usage
//!   counting and rotation ([`keyring`]);
//! - **per-user keys** wrapped by the keyring, whose destruction shreds all of
//!   a user's data everywhere ([`keyring::Keyring::new_user_key`]);
//! - **field encryption** bound to owner/table/column/row ([`field`]) and
//!   **blind indexes** for equality lookups ([`blind_index`]);
//! - the **segmented blob format** with streaming and random access ([`blob`]),
//!   specified in `docs/blob-format.md`;
//! - **memory hygiene**: locked, non-dumpable key pages and process hardening
//!   ([`secure_memory`]).
//!
//! It must never do I/O (no files, sockets, databases, environment), never
//! run async code, never know about HTTP or SQL, and never log, print or
//! `Debug`-format key bytes, shares or plaintext. Callers store what it
//! returns (sealed records, wrapped keys, ciphertext); it only transforms bytes.
//! All cryptography goes through one provider, aws-lc-rs.

pub mod audit;
pub mod blind_index;
pub mod blob;
mod error;
pub mod field;
pub mod keyring;
mod keys;
mod primitives;
mod rng;
pub mod root;
pub mod secure_memory;
pub mod shares;
pub mod snapshot_head;
#[cfg(test)]
mod vectors;

pub use error::{Result, VaultError};
pub use keys::{DataKey, KeyId, ObjectId};
pub use primitives::{Sha256Stream, ct_eq, sha256};
pub use rng::{array as random_array, fill as random_fill};
