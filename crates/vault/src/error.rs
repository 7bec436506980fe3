//! The one error type of the vault layer.

/// Everything that can go wrong inside the vault.
///
/// Messages are safe to show to an operator: they never contain key bytes,
/// plaintext or share material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    /// A share could not be read (bad characters, wrong length, bad checksum).
    #[error("share is malformed: {0}")]
    MalformedShare(&'static str),
    /// The same share was given twice.
    #[error("this share was already given")]
    DuplicateShare,
    /// Shares from different key sets (different `init` or re-key) were mixed.
    #[error("this share belongs to a different key set than the shares already given")]
    ShareSetMismatch,
    /// Combining the shares did not give the unseal key.
    #[error("invalid shares: they do not unlock this server's root key")]
    InvalidShares,
    /// Threshold / share count outside 1 <= k <= n <= 16.
    #[error("invalid share parameters: need 1 <= threshold <= shares <= {max}", max = crate::shares::MAX_SHARES)]
    InvalidShareParameters,
    /// A wrapped key or ciphertext failed authentication, or was made for another context.
    #[error("decryption failed: the data was tampered with, moved, or belongs to another key")]
    DecryptionFailed,
    /// A ciphertext names a key the caller did not supply.
    #[error("ciphertext was made with key {found}, not with the supplied key {expected}")]
    WrongKey {
        /// key the ciphertext header names
        found: crate::KeyId,
        /// key the caller passed
        expected: crate::KeyId,
    },
    /// A keyring version is not present.
    #[error("keyring has no key version {0}")]
    UnknownKeyVersion(u32),
    /// Bytes that are not in a format the vault knows (bad magic, version, length).
    #[error("invalid format: {0}")]
    InvalidFormat(&'static str),
    /// Ciphertext stream ended before its final segment.
    #[error("ciphertext is truncated")]
    Truncated,
    /// Data follows the final segment.
    #[error("data follows the final segment")]
    TrailingData,
    /// A requested plaintext range is empty or outside the object.
    #[error("range {start}..{end} is not satisfiable for a plaintext of {len} bytes")]
    RangeNotSatisfiable {
        /// first byte asked for
        start: u64,
        /// one past the last byte asked for
        end: u64,
        /// plaintext length
        len: u64,
    },
    /// A key reached its operation limit and must be rotated before further use.
    #[error("key version {0} reached its usage limit and must be rotated")]
    KeyExhausted(u32),
    /// The operating system's random generator or the crypto provider failed.
    #[error("cryptographic provider failure")]
    Crypto,
    /// Secure memory could not be allocated.
    #[error("could not allocate secure memory")]
    SecureMemory,
}

impl From<aws_lc_rs::error::Unspecified> for VaultError {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        VaultError::Crypto
    }
}

/// Result alias of the vault layer.
pub type Result<T, E = VaultError> = std::result::Result<T, E>;
