//! The segmented blob format for originals, thumbnails, previews, videos and
//! snapshots: AES-256-GCM over fixed-size plaintext segments, in the manner of
//! age's STREAM and Tink's AES-GCM-HKDF streaming AEAD. Specified with test
//! vectors in `docs/blob-format.md`.
//!
//! ```text
//! blob    = header (44) || segment_0 || … || segment_{n-1}
//! header  = "PXUB" || 0x01 || log2(segment size) || key id (5) || 0x00 (flags) || salt (32)
//! k       = HKDF-SHA256(salt, ikm = owner key, info = "pixelunion/blob/v1" || object id (16))
//! nonce_i = 0x00 0x00 0x00 || u64be(i) || (0x01 if i = n-1 else 0x00)
//! segment_i = AES-256-GCM(k, nonce_i, aad = header, plaintext_i) || tag (16)
//! ```
//!
//! Every segment holds exactly S plaintext bytes except the last, which holds
//! 1..=S bytes (0 only when the whole plaintext is empty, n = 1).
//!
//! What is detected, and how: truncation and appending (the last-segment flag
//! in the nonce, and the length arithmetic of [`BlobLayout`]); reordering and
//! duplication (the index in the nonce); splicing segments between objects and
//! moving an object to another id (the object key depends on salt and id);
//! header tampering (the header is the AAD of every segment).
//!
//! Streaming output is released segment by segment: a consumer must treat
//! plaintext as unverified until `finish` succeeds (for HTTP, abort the
//! response on error rather than complete it).

mod header;
mod range;
mod stream;

pub use header::{
    BlobHeader, DEFAULT_SEGMENT_LOG2, HEADER_LEN, MAX_SEGMENT_LOG2, MIN_SEGMENT_LOG2,
};
pub use range::{BlobLayout, CiphertextSpan, RangeDecryptor, decrypt_range};
pub use stream::{BlobDecryptor, BlobEncryptor};

use crate::error::Result;
use crate::keys::{DataKey, ObjectId};
use crate::primitives::{NONCE_LEN, TAG_LEN};

/// Bytes each segment adds.
pub const SEGMENT_OVERHEAD: usize = TAG_LEN;

fn nonce(index: u64, last: bool) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    n[3..11].copy_from_slice(&index.to_be_bytes());
    n[11] = u8::from(last);
    n
}

/// Encrypts a whole plaintext held in memory (thumbnails, small objects).
pub fn encrypt_to_vec(key: &DataKey, object: ObjectId, plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut enc = BlobEncryptor::new(key, object)?;
    let layout = BlobLayout::new(enc.header().segment_log2(), plaintext.len() as u64);
    let mut out = Vec::with_capacity(layout.ciphertext_len() as usize);
    out.extend_from_slice(enc.header().as_bytes());
    enc.push(plaintext, &mut out)?;
    enc.finish(&mut out)?;
    Ok(out)
}

/// Decrypts a whole blob held in memory.
pub fn decrypt_to_vec(key: &DataKey, object: ObjectId, blob: &[u8]) -> Result<Vec<u8>> {
    let header = BlobHeader::parse(blob)?;
    let mut dec = BlobDecryptor::new(key, object, &header)?;
    let mut out = Vec::with_capacity(blob.len());
    dec.push(&blob[HEADER_LEN..], &mut out)?;
    dec.finish(&mut out)?;
    Ok(out)
}
