//! A catalog snapshot's head (docs/snapshot-format.md): what a restore
//! starts from, stored beside the encrypted body as `snapshots/<id>.head`. It holds only records that are
//! ciphertext already — the sealed root record (under the unseal key, which
//! exists only as shares) and the wrapped keyring (under the root key) — so
//! it can stay readable: from it and the shares a restore reaches the
//! keyring, then decrypts the body. The body's AEAD is bound to the head
//! (its object id is the head's SHA-256, cut to 16 bytes), so a changed
//! head makes the body fail to authenticate.
//!
//! ```text
//! head := "PUSNAPH" 0x01  u16:version  u64:created_ms  u32:schema
//!         lp(sealed_root)  u16:n  (u32:version lp(wrapped)){n}
//! ```

use crate::{ObjectId, VaultError};

const MAGIC: &[u8; 8] = b"PUSNAPH\x01";
const VERSION: u16 = 1;
/// Largest head accepted (a keyring of thousands of versions fits).
pub const MAX_HEAD: usize = 1 << 20;

/// What a restore starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// when the snapshot was taken (unix ms)
    pub created_ms: u64,
    /// the catalog schema the body follows
    pub schema: u32,
    /// the sealed root record
    pub sealed_root: Vec<u8>,
    /// the wrapped keyring: `(version, wrapped key)`
    pub keyring: Vec<(u32, Vec<u8>)>,
}

fn lp(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(b);
}

impl Head {
    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&self.created_ms.to_be_bytes());
        out.extend_from_slice(&self.schema.to_be_bytes());
        lp(&mut out, &self.sealed_root);
        out.extend_from_slice(
            &u16::try_from(self.keyring.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for (v, w) in &self.keyring {
            out.extend_from_slice(&v.to_be_bytes());
            lp(&mut out, w);
        }
        out
    }

    /// Reads stored bytes.
    pub fn decode(b: &[u8]) -> Result<Head, VaultError> {
        let bad = |why: &'static str| VaultError::InvalidFormat(why);
        if b.len() > MAX_HEAD {
            return Err(bad("the head is too large"));
        }
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], VaultError> {
            let s = b
                .get(at..at.checked_add(n).ok_or(bad("length overflow"))?)
                .ok_or(bad("the head is truncated"))?;
            at += n;
            Ok(s)
        };
        if take(8)? != MAGIC {
            return Err(bad("not a snapshot head"));
        }
        let version = u16::from_be_bytes(take(2)?.try_into().map_err(|_| bad("version"))?);
        if version != VERSION {
            return Err(bad("an unknown snapshot head version"));
        }
        let created_ms = u64::from_be_bytes(take(8)?.try_into().map_err(|_| bad("time"))?);
        let schema = u32::from_be_bytes(take(4)?.try_into().map_err(|_| bad("schema"))?);
        let n = u32::from_be_bytes(take(4)?.try_into().map_err(|_| bad("length"))?) as usize;
        let sealed_root = take(n)?.to_vec();
        let count = u16::from_be_bytes(take(2)?.try_into().map_err(|_| bad("count"))?);
        let mut keyring = Vec::with_capacity(usize::from(count).min(1024));
        for _ in 0..count {
            let v = u32::from_be_bytes(take(4)?.try_into().map_err(|_| bad("version"))?);
            let n = u32::from_be_bytes(take(4)?.try_into().map_err(|_| bad("length"))?) as usize;
            keyring.push((v, take(n)?.to_vec()));
        }
        if at != b.len() {
            return Err(bad("bytes after the head"));
        }
        Ok(Head {
            created_ms,
            schema,
            sealed_root,
            keyring,
        })
    }

    /// The object id the body's AEAD is bound to: the head's own digest.
    pub fn body_object_id(encoded: &[u8]) -> ObjectId {
        let d = crate::sha256(encoded);
        let mut id = [0u8; 16];
        id.copy_from_slice(&d[..16]);
        ObjectId(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn head() -> Head {
        Head {
            created_ms: 1_700_000_000_000,
            schema: 9,
            sealed_root: vec![1, 2, 3],
            keyring: vec![(1, vec![4; 5]), (2, vec![6; 7])],
        }
    }

    #[test]
    fn round_trip_and_binding() {
        let h = head();
        let b = h.encode();
        assert_eq!(Head::decode(&b).expect("decodes"), h);
        let mut other = h.clone();
        other.keyring[1].1[0] = 9;
        assert_ne!(
            Head::body_object_id(&b),
            Head::body_object_id(&other.encode()),
            "any change to the head changes the body's binding"
        );
        for cut in 0..b.len() {
            assert!(Head::decode(&b[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = b.clone();
        long.push(0);
        assert!(Head::decode(&long).is_err());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut b = MAGIC.to_vec();
            b.extend(bytes);
            let _ = Head::decode(&b);
        }
    }
}
