//! The root key and its seal: the root key exists in plaintext only in locked
//! RAM; on disk there is only [`SealedRootKey`], the root key encrypted under
//! the unseal key, and the unseal key itself exists only as Shamir shares held
//! by people.
//!
//! ```text
//! sealed root record (67 bytes) =
//!   0x01 || set_id (4) || threshold (1) || shares (1) || nonce (12) || AES-256-GCM(unseal key, root key) (32 + 16)
//! AAD = "pixelunion/root/v1" || set_id || threshold || shares
//! ```

use std::fmt;

use crate::error::{Result, VaultError};
use crate::primitives::{NONCE_LEN, TAG_LEN, unwrap_key, wrap_key};
use crate::secure_memory::{KEY_LEN, LockedKey};
use crate::shares::{self, Share, ShareSetId, ShareText};

const FORMAT: u8 = 1;
const AAD_DOMAIN: &[u8] = b"pixelunion/root/v1";
/// Length of a serialized [`SealedRootKey`].
pub const SEALED_ROOT_LEN: usize = 1 + 4 + 1 + 1 + NONCE_LEN + KEY_LEN + TAG_LEN;

/// The root key: decrypts the keyring. Only ever in locked memory.
pub struct RootKey(LockedKey);

impl RootKey {
    pub(crate) fn secret(&self) -> &[u8; KEY_LEN] {
        self.0.expose()
    }

    /// A 64-bit fingerprint (HMAC of a fixed label) that identifies the root
    /// key in logs and status without revealing anything about it.
    pub fn fingerprint(&self) -> String {
        let tag = crate::primitives::hmac_sha256(self.secret(), &[b"pixelunion/root/fingerprint"]);
        tag[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(feature = "audit")]
impl RootKey {
    /// Raw root key bytes, for tests that prove the key is on no disk and in
    /// no log. Only compiled with the `audit` feature (tests only).
    pub fn audit_bytes(&self) -> &[u8; KEY_LEN] {
        self.secret()
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

/// The root key encrypted under the unseal key, plus the public parameters of
/// the share set. Safe to store anywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedRootKey {
    set_id: ShareSetId,
    threshold: u8,
    shares: u8,
    wrapped: [u8; NONCE_LEN + KEY_LEN + TAG_LEN],
}

impl fmt::Debug for SealedRootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedRootKey")
            .field("set_id", &self.set_id)
            .field("threshold", &self.threshold)
            .field("shares", &self.shares)
            .finish_non_exhaustive()
    }
}

impl SealedRootKey {
    fn aad(set_id: ShareSetId, threshold: u8, shares: u8) -> Vec<u8> {
        let mut aad = AAD_DOMAIN.to_vec();
        aad.extend_from_slice(&set_id.0);
        aad.push(threshold);
        aad.push(shares);
        aad
    }

    /// Number of shares needed to unseal.
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// Number of shares that were handed out.
    pub fn share_count(&self) -> u8 {
        self.shares
    }

    /// Which split the current shares belong to.
    pub fn set_id(&self) -> ShareSetId {
        self.set_id
    }

    /// Serializes the record (for the data directory / metadata DB).
    pub fn to_bytes(&self) -> [u8; SEALED_ROOT_LEN] {
        let mut out = [0u8; SEALED_ROOT_LEN];
        out[0] = FORMAT;
        out[1..5].copy_from_slice(&self.set_id.0);
        out[5] = self.threshold;
        out[6] = self.shares;
        out[7..].copy_from_slice(&self.wrapped);
        out
    }

    /// Parses [`SealedRootKey::to_bytes`].
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        if b.len() != SEALED_ROOT_LEN || b[0] != FORMAT {
            return Err(VaultError::InvalidFormat("not a sealed root key record"));
        }
        let threshold = b[5];
        let shares = b[6];
        shares::check_parameters(threshold, shares)?;
        let mut wrapped = [0u8; NONCE_LEN + KEY_LEN + TAG_LEN];
        wrapped.copy_from_slice(&b[7..]);
        Ok(SealedRootKey {
            set_id: ShareSetId([b[1], b[2], b[3], b[4]]),
            threshold,
            shares,
            wrapped,
        })
    }

    fn open(&self, unseal_key: &LockedKey) -> Result<RootKey> {
        let aad = Self::aad(self.set_id, self.threshold, self.shares);
        unwrap_key(unseal_key.expose(), &aad, &self.wrapped)
            .map(RootKey)
            .map_err(|e| match e {
                VaultError::DecryptionFailed => VaultError::InvalidShares,
                other => other,
            })
    }
}

/// What `init` produces: the root key (keep in RAM), the sealed record (store
/// it) and the shares (print once, never store).
#[derive(Debug)]
pub struct Initialized {
    /// the new root key
    pub root: RootKey,
    /// the root key sealed under the unseal key
    pub sealed: SealedRootKey,
    /// the unseal key's shares
    pub shares: Vec<ShareText>,
}

/// Creates a new random root key and splits a new unseal key into `shares`
/// shares, `threshold` of which unseal.
pub fn initialize(threshold: u8, shares: u8) -> Result<Initialized> {
    let root = RootKey(LockedKey::random()?);
    let (sealed, texts) = seal_root(&root, threshold, shares)?;
    Ok(Initialized {
        root,
        sealed,
        shares: texts,
    })
}

/// Re-keys: new unseal key and new shares for the same root key. The keyring
/// and all data stay as they are; only the sealed record changes, and the old
/// shares stop working once it is replaced.
pub fn rekey(root: &RootKey, threshold: u8, shares: u8) -> Result<(SealedRootKey, Vec<ShareText>)> {
    seal_root(root, threshold, shares)
}

fn seal_root(root: &RootKey, threshold: u8, n: u8) -> Result<(SealedRootKey, Vec<ShareText>)> {
    shares::check_parameters(threshold, n)?;
    let unseal_key = LockedKey::random()?;
    let set_id = ShareSetId(crate::rng::array()?);
    let aad = SealedRootKey::aad(set_id, threshold, n);
    let wrapped = wrap_key(unseal_key.expose(), &aad, root.secret())?;
    let parts = shares::split(&unseal_key, set_id, threshold, n)?;
    let texts = parts.iter().map(Share::to_text).collect();
    Ok((
        SealedRootKey {
            set_id,
            threshold,
            shares: n,
            wrapped,
        },
        texts,
    ))
}

/// Outcome of submitting one share.
#[derive(Debug)]
pub enum UnsealStep {
    /// More shares are needed.
    Progress {
        /// distinct valid shares held so far
        have: u8,
        /// shares needed
        need: u8,
    },
    /// The threshold was reached and the shares unlocked the root key.
    Unsealed(RootKey),
}

/// Collects shares, one submission at a time, until the threshold is reached.
///
/// A malformed, duplicate or foreign share is rejected and leaves the progress
/// as it was. When the threshold is reached the shares are combined; if they
/// do not unlock the root key the progress is reset and
/// [`VaultError::InvalidShares`] is returned — never a wrong key.
#[derive(Default)]
pub struct UnsealProgress {
    shares: Vec<Share>,
}

impl fmt::Debug for UnsealProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsealProgress")
            .field("have", &self.shares.len())
            .finish()
    }
}

impl UnsealProgress {
    /// Empty progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shares held so far.
    pub fn have(&self) -> u8 {
        self.shares.len() as u8
    }

    /// Forgets every share submitted so far.
    pub fn reset(&mut self) {
        self.shares.clear();
    }

    /// Submits one share against the stored sealed record.
    pub fn submit(&mut self, share_text: &str, sealed: &SealedRootKey) -> Result<UnsealStep> {
        let share = Share::parse(share_text)?;
        if share.set_id != sealed.set_id || share.threshold != sealed.threshold {
            return Err(VaultError::ShareSetMismatch);
        }
        if share.x > sealed.shares {
            return Err(VaultError::ShareSetMismatch);
        }
        if self.shares.iter().any(|s| s.x == share.x) {
            return Err(VaultError::DuplicateShare);
        }
        self.shares.push(share);
        if self.shares.len() < usize::from(sealed.threshold) {
            return Ok(UnsealStep::Progress {
                have: self.have(),
                need: sealed.threshold,
            });
        }
        let result = shares::combine(&self.shares).and_then(|k| sealed.open(&k));
        self.reset();
        result.map(UnsealStep::Unsealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unseal_with(texts: &[&ShareText], sealed: &SealedRootKey) -> Result<RootKey> {
        let mut p = UnsealProgress::new();
        for t in texts {
            if let UnsealStep::Unsealed(root) = p.submit(t.expose(), sealed)? {
                return Ok(root);
            }
        }
        Err(VaultError::InvalidShares)
    }

    #[test]
    fn init_then_unseal_with_any_threshold_subset() {
        let init = initialize(3, 5).expect("init");
        let sealed = SealedRootKey::from_bytes(&init.sealed.to_bytes()).expect("parse");
        let s = &init.shares;
        for set in [[0, 1, 2], [4, 2, 0], [1, 3, 4]] {
            let root = unseal_with(&[&s[set[0]], &s[set[1]], &s[set[2]]], &sealed).expect("unseal");
            assert_eq!(root.secret(), init.root.secret());
        }
    }

    #[test]
    fn progress_counts_and_rejections_keep_state() {
        let init = initialize(2, 3).expect("init");
        let mut p = UnsealProgress::new();
        match p
            .submit(init.shares[0].expose(), &init.sealed)
            .expect("first")
        {
            UnsealStep::Progress { have, need } => assert_eq!((have, need), (1, 2)),
            UnsealStep::Unsealed(_) => panic!("unsealed with one share"),
        }
        assert_eq!(
            p.submit(init.shares[0].expose(), &init.sealed).err(),
            Some(VaultError::DuplicateShare)
        );
        assert!(matches!(
            p.submit("pu-nonsense", &init.sealed),
            Err(VaultError::MalformedShare(_))
        ));
        let other = initialize(2, 3).expect("init");
        assert_eq!(
            p.submit(other.shares[1].expose(), &init.sealed).err(),
            Some(VaultError::ShareSetMismatch)
        );
        assert_eq!(p.have(), 1);
        assert!(matches!(
            p.submit(init.shares[2].expose(), &init.sealed),
            Ok(UnsealStep::Unsealed(_))
        ));
        assert_eq!(p.have(), 0);
    }

    #[test]
    fn forged_shares_give_invalid_shares_not_a_wrong_key() {
        let init = initialize(2, 2).expect("init");
        // Build a well-formed share of the right set with a wrong y value.
        let mut forged = Share::parse(init.shares[1].expose()).expect("parse");
        forged.y = zeroize::Zeroizing::new([0x11; KEY_LEN]);
        let forged_text = forged.to_text();
        let mut p = UnsealProgress::new();
        p.submit(init.shares[0].expose(), &init.sealed)
            .expect("first");
        assert_eq!(
            p.submit(forged_text.expose(), &init.sealed).err(),
            Some(VaultError::InvalidShares)
        );
        assert_eq!(p.have(), 0, "progress is reset after a failed combine");
    }

    #[test]
    fn tampered_record_fails() {
        let init = initialize(1, 1).expect("init");
        let mut bytes = init.sealed.to_bytes();
        bytes[SEALED_ROOT_LEN - 1] ^= 1;
        let bad = SealedRootKey::from_bytes(&bytes).expect("parse");
        assert_eq!(
            unseal_with(&[&init.shares[0]], &bad).err(),
            Some(VaultError::InvalidShares)
        );
    }

    #[test]
    fn rekey_keeps_root_and_retires_old_shares() {
        let init = initialize(1, 1).expect("init");
        let (sealed2, shares2) = rekey(&init.root, 2, 3).expect("rekey");
        let root = unseal_with(&[&shares2[0], &shares2[2]], &sealed2).expect("unseal");
        assert_eq!(root.secret(), init.root.secret());
        assert_eq!(root.fingerprint(), init.root.fingerprint());
        assert_eq!(
            unseal_with(&[&init.shares[0]], &sealed2).err(),
            Some(VaultError::ShareSetMismatch)
        );
    }

    #[test]
    fn sealed_record_does_not_contain_root_key() {
        let init = initialize(1, 1).expect("init");
        let bytes = init.sealed.to_bytes();
        let root = init.root.secret();
        assert!(!bytes.windows(8).any(|w| root.windows(8).any(|r| r == w)));
        assert!(!format!("{:?} {:?}", init.sealed, init.root).contains(&init.root.fingerprint()));
    }
}
