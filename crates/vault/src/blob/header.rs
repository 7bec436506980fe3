//! The 44-byte blob header: parsing (untrusted bytes) and key derivation.

use aws_lc_rs::aead::LessSafeKey;

use crate::error::{Result, VaultError};
use crate::keys::{DataKey, KeyId, ObjectId};
use crate::primitives::{aead_key, hkdf_sha256};

/// Magic bytes at the start of every blob.
pub const MAGIC: [u8; 4] = *b"PXUB";
/// Format version.
pub const VERSION: u8 = 1;
/// Header length.
pub const HEADER_LEN: usize = 44;
/// Default segment size: 64 KiB (see docs/benchmarks.md).
pub const DEFAULT_SEGMENT_LOG2: u8 = 16;
/// Smallest segment size accepted (16 bytes; used by tests to exercise many boundaries).
pub const MIN_SEGMENT_LOG2: u8 = 4;
/// Largest segment size accepted (16 MiB; bounds the memory a hostile header can demand).
pub const MAX_SEGMENT_LOG2: u8 = 24;
const SALT_LEN: usize = 32;
const INFO: &[u8] = b"pixelunion/blob/v1";

/// A parsed, well-formed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    raw: [u8; HEADER_LEN],
    key: KeyId,
}

impl BlobHeader {
    pub(crate) fn build(segment_log2: u8, key: KeyId, salt: [u8; SALT_LEN]) -> Result<Self> {
        if !(MIN_SEGMENT_LOG2..=MAX_SEGMENT_LOG2).contains(&segment_log2) {
            return Err(VaultError::InvalidFormat("segment size out of range"));
        }
        let mut raw = [0u8; HEADER_LEN];
        raw[..4].copy_from_slice(&MAGIC);
        raw[4] = VERSION;
        raw[5] = segment_log2;
        raw[6..11].copy_from_slice(&key.to_bytes());
        raw[11] = 0;
        raw[12..].copy_from_slice(&salt);
        Ok(BlobHeader { raw, key })
    }

    /// Parses the header at the start of `bytes` (more bytes may follow).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let raw: [u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(VaultError::Truncated)?;
        if raw[..4] != MAGIC {
            return Err(VaultError::InvalidFormat(
                "not a PixelUnion blob (bad magic)",
            ));
        }
        if raw[4] != VERSION {
            return Err(VaultError::InvalidFormat("unsupported blob format version"));
        }
        if !(MIN_SEGMENT_LOG2..=MAX_SEGMENT_LOG2).contains(&raw[5]) {
            return Err(VaultError::InvalidFormat("segment size out of range"));
        }
        if raw[11] != 0 {
            return Err(VaultError::InvalidFormat("unknown header flags"));
        }
        let key = KeyId::from_bytes(&raw[6..11])?;
        Ok(BlobHeader { raw, key })
    }

    /// The header bytes (the AAD of every segment).
    pub fn as_bytes(&self) -> &[u8; HEADER_LEN] {
        &self.raw
    }

    /// Which key the blob was made with.
    pub fn key_id(&self) -> KeyId {
        self.key
    }

    /// log2 of the plaintext segment size.
    pub fn segment_log2(&self) -> u8 {
        self.raw[5]
    }

    /// Plaintext segment size in bytes.
    pub fn segment_size(&self) -> usize {
        1usize << self.raw[5]
    }

    fn salt(&self) -> &[u8] {
        &self.raw[12..]
    }

    /// Derives the object key. Fails if `key` is not the key the header names.
    pub(crate) fn object_key(&self, key: &DataKey, object: ObjectId) -> Result<LessSafeKey> {
        if key.id() != self.key {
            return Err(VaultError::WrongKey {
                found: self.key,
                expected: key.id(),
            });
        }
        let k = hkdf_sha256(self.salt(), key.secret(), &[INFO, &object.0])?;
        aead_key(k.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_bad_headers() {
        let h = BlobHeader::build(16, KeyId::User { generation: 1 }, [7; 32]).expect("build");
        assert_eq!(BlobHeader::parse(h.as_bytes()).expect("parse"), h);
        let cases: [(usize, u8); 5] = [(0, b'X'), (4, 2), (5, 3), (5, 25), (11, 1)];
        for (i, v) in cases {
            let mut b = *h.as_bytes();
            b[i] = v;
            assert!(
                matches!(BlobHeader::parse(&b), Err(VaultError::InvalidFormat(_))),
                "{i}"
            );
        }
        let mut b = *h.as_bytes();
        b[6] = 9;
        assert!(BlobHeader::parse(&b).is_err());
        assert_eq!(
            BlobHeader::parse(&h.as_bytes()[..43]),
            Err(VaultError::Truncated)
        );
        assert!(BlobHeader::build(3, KeyId::User { generation: 1 }, [0; 32]).is_err());
    }
}
