//! Streaming encryption and decryption in constant memory: at most one
//! segment is buffered, whatever the object size.

use aws_lc_rs::aead::LessSafeKey;
use zeroize::Zeroize;

use super::header::{BlobHeader, DEFAULT_SEGMENT_LOG2};
use super::nonce;
use crate::error::{Result, VaultError};
use crate::keys::{DataKey, ObjectId};
use crate::primitives::{TAG_LEN, open_out_of_place, seal_out_of_place};

/// Seals `plaintext` as segment `index` and appends it to `out`, encrypting
/// straight from the input into the output (no intermediate copy).
fn seal_segment(
    key: &LessSafeKey,
    header: &BlobHeader,
    index: u64,
    last: bool,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    let mid = start + plaintext.len();
    out.resize(mid + TAG_LEN, 0);
    let (ct, tag) = out[start..].split_at_mut(plaintext.len());
    seal_out_of_place(
        key,
        nonce(index, last),
        header.as_bytes(),
        plaintext,
        ct,
        tag,
    )
    .inspect_err(|_| {
        out.truncate(start);
    })
}

/// Zeroes every byte `v` holds or held (its whole allocation) and empties it.
///
/// `Zeroize for Vec<u8>` writes the initialised bytes one volatile store at a
/// time (≈ 1 byte per cycle: 20 µs for a 64 KiB segment, a seventh of a
/// ranged read's CPU); zeroizing the byte *slice* and the spare capacity
/// takes the crate's bulk path (a fill behind an optimisation barrier),
/// with the same guarantee.
pub(super) fn wipe(v: &mut Vec<u8>) {
    v.as_mut_slice().zeroize();
    v.spare_capacity_mut().zeroize();
    v.clear();
}

/// Opens segment `index` from `ciphertext` and appends its plaintext to `out`.
/// On failure nothing is appended.
pub(super) fn open_segment(
    key: &LessSafeKey,
    header: &BlobHeader,
    index: u64,
    last: bool,
    ciphertext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    let Some(n) = ciphertext.len().checked_sub(TAG_LEN) else {
        return Err(VaultError::Truncated);
    };
    let start = out.len();
    out.resize(start + n, 0);
    let (ct, tag) = ciphertext.split_at(n);
    open_out_of_place(
        key,
        nonce(index, last),
        header.as_bytes(),
        ct,
        tag,
        &mut out[start..],
    )
    .inspect_err(|_| {
        out[start..].zeroize();
        out.truncate(start);
    })
}

/// Cuts a stream into `unit`-byte pieces with one piece of lookahead: `emit`
/// gets every full piece known *not* to be the last (more bytes follow it);
/// the possibly-last piece stays in `pending` for `finish`. Full pieces are
/// taken straight from `input` when nothing is pending (no copy).
fn feed_with_lookahead(
    pending: &mut Vec<u8>,
    unit: usize,
    mut input: &[u8],
    mut emit: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    while !input.is_empty() {
        if pending.len() == unit {
            emit(pending)?;
            wipe(pending);
        }
        if pending.is_empty() && input.len() > unit {
            emit(&input[..unit])?;
            input = &input[unit..];
            continue;
        }
        let take = (unit - pending.len()).min(input.len());
        pending.extend_from_slice(&input[..take]);
        input = &input[take..];
    }
    Ok(())
}

fn bump(index: &mut u64) -> Result<u64> {
    let i = *index;
    *index = i
        .checked_add(1)
        .ok_or(VaultError::InvalidFormat("too many segments"))?;
    Ok(i)
}

/// Encrypts a plaintext stream of any length, one segment at a time.
///
/// Write [`BlobEncryptor::header`] first, then everything `push` and `finish`
/// append to their output.
pub struct BlobEncryptor {
    key: LessSafeKey,
    header: BlobHeader,
    segment: usize,
    index: u64,
    pending: Vec<u8>,
}

impl std::fmt::Debug for BlobEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobEncryptor")
            .field("key_id", &self.header.key_id())
            .field("segment", &self.index)
            .finish_non_exhaustive()
    }
}

impl BlobEncryptor {
    /// A new object with a random salt and 64 KiB segments.
    pub fn new(key: &DataKey, object: ObjectId) -> Result<Self> {
        Self::with_segment_log2(key, object, DEFAULT_SEGMENT_LOG2)
    }

    /// A new object with a random salt and `2^log2`-byte segments.
    pub fn with_segment_log2(key: &DataKey, object: ObjectId, log2: u8) -> Result<Self> {
        Self::with_salt(key, object, log2, crate::rng::array()?)
    }

    /// A caller-chosen salt. Only for test vectors: reusing a salt for the same
    /// key and object id reuses the object key and nonces.
    #[doc(hidden)]
    pub fn with_salt(key: &DataKey, object: ObjectId, log2: u8, salt: [u8; 32]) -> Result<Self> {
        let header = BlobHeader::build(log2, key.id(), salt)?;
        let key = header.object_key(key, object)?;
        let segment = header.segment_size();
        Ok(BlobEncryptor {
            key,
            header,
            segment,
            index: 0,
            pending: Vec::with_capacity(segment),
        })
    }

    /// The header to write before any segment.
    pub fn header(&self) -> &BlobHeader {
        &self.header
    }

    /// Consumes plaintext; appends every segment known not to be the last to
    /// `out`. Holds back at most one segment of plaintext.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let (key, header, index) = (&self.key, &self.header, &mut self.index);
        feed_with_lookahead(&mut self.pending, self.segment, input, |seg| {
            seal_segment(key, header, bump(index)?, false, seg, out)
        })
    }

    /// Seals the final segment (possibly empty if nothing was pushed).
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        let i = bump(&mut self.index)?;
        seal_segment(&self.key, &self.header, i, true, &self.pending, out)?;
        wipe(&mut self.pending);
        Ok(())
    }
}

/// Decrypts a whole blob as a stream (after its header), in constant memory.
pub struct BlobDecryptor {
    key: LessSafeKey,
    header: BlobHeader,
    segment_ct: usize,
    index: u64,
    pending: Vec<u8>,
}

impl std::fmt::Debug for BlobDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobDecryptor")
            .field("key_id", &self.header.key_id())
            .field("segment", &self.index)
            .finish_non_exhaustive()
    }
}

impl BlobDecryptor {
    /// Prepares to decrypt the segments that follow `header`.
    pub fn new(key: &DataKey, object: ObjectId, header: &BlobHeader) -> Result<Self> {
        let segment_ct = header.segment_size() + TAG_LEN;
        Ok(BlobDecryptor {
            key: header.object_key(key, object)?,
            header: header.clone(),
            segment_ct,
            index: 0,
            pending: Vec::with_capacity(segment_ct),
        })
    }

    /// Consumes ciphertext (the bytes after the header); appends the
    /// plaintext of every segment known not to be the last to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let (key, header, index) = (&self.key, &self.header, &mut self.index);
        feed_with_lookahead(&mut self.pending, self.segment_ct, input, |seg| {
            open_segment(key, header, bump(index)?, false, seg, out)
        })
    }

    /// Opens the final segment. Fails if the stream was truncated or extended.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.pending.len() < TAG_LEN {
            return Err(VaultError::Truncated);
        }
        if self.pending.len() == TAG_LEN && self.index > 0 {
            // Only an empty object has an empty final segment.
            return Err(VaultError::InvalidFormat("empty final segment after data"));
        }
        let i = bump(&mut self.index)?;
        open_segment(&self.key, &self.header, i, true, &self.pending, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyId;

    #[test]
    fn buffers_stay_one_segment_whatever_the_size() {
        let k = DataKey::from_bytes(KeyId::User { generation: 1 }, &[1; 32]).expect("key");
        let obj = ObjectId([1; 16]);
        let mut enc = BlobEncryptor::new(&k, obj).expect("enc");
        let header = enc.header().clone();
        let mut dec = BlobDecryptor::new(&k, obj, &header).expect("dec");
        let chunk = vec![0x5au8; (1 << 20) + 3];
        let mut ct = Vec::new();
        let mut pt = Vec::new();
        let mut total = 0usize;
        for _ in 0..64 {
            enc.push(&chunk, &mut ct).expect("push");
            dec.push(&ct, &mut pt).expect("push");
            total += pt.len();
            assert!(pt.iter().all(|b| *b == 0x5a));
            ct.clear();
            pt.clear();
            assert!(enc.pending.capacity() <= 1 << 16, "encryptor buffer grew");
            assert!(
                dec.pending.capacity() <= (1 << 16) + TAG_LEN,
                "decryptor buffer grew"
            );
        }
        enc.finish(&mut ct).expect("finish");
        dec.push(&ct, &mut pt).expect("push");
        dec.finish(&mut pt).expect("finish");
        total += pt.len();
        assert_eq!(total, 64 * chunk.len());
    }
}
