//! The audit trail's integrity (specified in `docs/audit-format.md`): each
//! entry carries an HMAC-SHA256 over the previous entry's MAC and its own
//! fields, under a key derived from the keyring, so that a changed, removed,
//! inserted or reordered entry breaks the chain; **checkpoints** sign the
//! chain's head with an Ed25519 key derived from the keyring's first version,
//! whose public key operators keep outside the server, so that cutting the
//! newest entries off is caught too.
//!
//! Pure functions over bytes: storing entries and checkpoints is the
//! caller's job.

use aws_lc_rs::signature::Ed25519KeyPair;

use crate::error::Result;
use crate::keyring::Keyring;
pub use crate::primitives::{PUBLIC_KEY_LEN, SIGNATURE_LEN, ed25519_verify};
use crate::primitives::{
    ed25519_from_seed, ed25519_public, ed25519_sign, hkdf_sha256, hmac_sha256, push_lp,
};

/// Length of an entry's MAC.
pub const MAC_LEN: usize = 32;
/// The "previous MAC" of the first chained entry.
pub const GENESIS: [u8; MAC_LEN] = [0; MAC_LEN];

const MAC_INFO: &[u8] = b"pixelunion/audit/mac/v1";
const SIGN_INFO: &[u8] = b"pixelunion/audit/sign/v1";
const ENTRY_LABEL: &[u8] = b"pixelunion audit entry v1";
const CHECKPOINT_LABEL: &[u8] = b"pixelunion audit checkpoint v1";

/// The fields of one entry that its MAC covers, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// sequence number (1, 2, 3 … without gaps)
    pub seq: u64,
    /// unix seconds
    pub at: i64,
    /// keyring version whose MAC key made the MAC
    pub key_version: u32,
    /// acting user id
    pub actor: Option<&'a str>,
    /// what happened
    pub action: &'a str,
    /// what it happened to
    pub target: Option<&'a str>,
    /// "success", "failure", "denied", "request"
    pub outcome: &'a str,
    /// stored details (ciphertext, as stored)
    pub details: Option<&'a [u8]>,
    /// stored client address and agent (ciphertext, as stored)
    pub client: Option<&'a [u8]>,
}

impl Entry<'_> {
    /// The MAC's input after the previous MAC: every field, each
    /// length-prefixed, optional ones behind a presence byte.
    fn encode(&self, prev: &[u8; MAC_LEN]) -> Vec<u8> {
        fn opt(out: &mut Vec<u8>, v: Option<&[u8]>) {
            match v {
                None => out.push(0),
                Some(b) => {
                    out.push(1);
                    push_lp(out, b);
                }
            }
        }
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(ENTRY_LABEL);
        out.extend_from_slice(prev);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.to_be_bytes());
        out.extend_from_slice(&self.key_version.to_be_bytes());
        opt(&mut out, self.actor.map(str::as_bytes));
        push_lp(&mut out, self.action.as_bytes());
        opt(&mut out, self.target.map(str::as_bytes));
        push_lp(&mut out, self.outcome.as_bytes());
        opt(&mut out, self.details);
        opt(&mut out, self.client);
        out
    }
}

/// HMAC-SHA256 under the raw MAC key (for the vectors).
fn mac_with(key: &[u8; 32], prev: &[u8; MAC_LEN], e: &Entry<'_>) -> [u8; MAC_LEN] {
    hmac_sha256(key, &[&e.encode(prev)])
}

impl Keyring {
    /// The entry's MAC, chained to `prev`, under the audit key of keyring
    /// version `e.key_version`.
    pub fn audit_mac(&self, prev: &[u8; MAC_LEN], e: &Entry<'_>) -> Result<[u8; MAC_LEN]> {
        let key = hkdf_sha256(
            &[],
            self.blind_index_base(e.key_version)?.expose(),
            &[MAC_INFO],
        )?;
        Ok(mac_with(key.expose(), prev, e))
    }

    /// The checkpoint signer: Ed25519 from a seed derived from the keyring's
    /// first version, so its public key never changes with rotation.
    pub fn audit_signer(&self) -> Result<AuditSigner> {
        let first = self
            .versions()
            .into_iter()
            .next()
            .ok_or(crate::VaultError::InvalidFormat("keyring is empty"))?;
        let seed = hkdf_sha256(&[], self.blind_index_base(first)?.expose(), &[SIGN_INFO])?;
        Ok(AuditSigner {
            pair: ed25519_from_seed(seed.expose())?,
        })
    }
}

/// Signs checkpoints; held only while unsealed.
pub struct AuditSigner {
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSigner")
            .field("public_key", &hex_lower(&self.public_key()))
            .finish()
    }
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl AuditSigner {
    /// The public key operators verify checkpoints with.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        ed25519_public(&self.pair)
    }

    /// Signs a checkpoint.
    pub fn sign(&self, c: &Checkpoint) -> [u8; SIGNATURE_LEN] {
        ed25519_sign(&self.pair, &c.message())
    }
}

/// The chain's state at one moment: "entries `first_seq..=seq` exist and the
/// last one's MAC is `mac`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// the first chained entry
    pub first_seq: u64,
    /// the last entry covered
    pub seq: u64,
    /// unix seconds when it was made
    pub at: i64,
    /// the MAC of entry `seq`
    pub mac: [u8; MAC_LEN],
}

impl Checkpoint {
    /// The signed message: label, first seq, seq, time, MAC.
    pub fn message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(CHECKPOINT_LABEL.len() + 56);
        m.extend_from_slice(CHECKPOINT_LABEL);
        m.extend_from_slice(&self.first_seq.to_be_bytes());
        m.extend_from_slice(&self.seq.to_be_bytes());
        m.extend_from_slice(&self.at.to_be_bytes());
        m.extend_from_slice(&self.mac);
        m
    }

    /// Whether `signature` is this checkpoint's under `public_key`.
    pub fn verify(&self, public_key: &[u8], signature: &[u8]) -> bool {
        ed25519_verify(public_key, &self.message(), signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::initialize;

    fn entry(seq: u64) -> Entry<'static> {
        Entry {
            seq,
            at: 1_790_000_000,
            key_version: 1,
            actor: Some("u-1"),
            action: "login",
            target: None,
            outcome: "success",
            details: None,
            client: Some(b"\x01\x02"),
        }
    }

    #[test]
    fn mac_vector() {
        // docs/audit-format.md, vector 1: key = 0x00..0x1f, GENESIS, entry(1).
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let mac = mac_with(&key, &GENESIS, &entry(1));
        assert_eq!(
            hex_lower(&mac),
            "e9e7bc9785a62254d22f544a20f058dbaa706965b754217a9a683e816a79ad0d"
        );
    }

    #[test]
    fn every_field_and_the_chain_are_covered() {
        let root = initialize(1, 1).expect("init").root;
        let (ring, _) = Keyring::create(&root).expect("keyring");
        let base = ring.audit_mac(&GENESIS, &entry(1)).expect("mac");
        let variants: Vec<Entry<'_>> = vec![
            Entry { seq: 2, ..entry(1) },
            Entry { at: 1, ..entry(1) },
            Entry {
                actor: None,
                ..entry(1)
            },
            Entry {
                actor: Some(""),
                ..entry(1)
            },
            Entry {
                action: "logout",
                ..entry(1)
            },
            Entry {
                target: Some("x"),
                ..entry(1)
            },
            Entry {
                outcome: "failure",
                ..entry(1)
            },
            Entry {
                details: Some(b""),
                ..entry(1)
            },
            Entry {
                client: None,
                ..entry(1)
            },
        ];
        for v in variants {
            assert_ne!(ring.audit_mac(&GENESIS, &v).expect("mac"), base, "{v:?}");
        }
        assert_ne!(ring.audit_mac(&[1; 32], &entry(1)).expect("mac"), base);
        assert!(
            ring.audit_mac(
                &GENESIS,
                &Entry {
                    key_version: 9,
                    ..entry(1)
                }
            )
            .is_err()
        );
    }

    #[test]
    fn checkpoints_verify_with_the_public_key_only() {
        let root = initialize(1, 1).expect("init").root;
        let (mut ring, _) = Keyring::create(&root).expect("keyring");
        let signer = ring.audit_signer().expect("signer");
        let pk = signer.public_key();
        let c = Checkpoint {
            first_seq: 1,
            seq: 42,
            at: 1_790_000_000,
            mac: [7; 32],
        };
        let sig = signer.sign(&c);
        assert!(c.verify(&pk, &sig));
        assert!(!Checkpoint { seq: 41, ..c }.verify(&pk, &sig));
        assert!(!Checkpoint { mac: [8; 32], ..c }.verify(&pk, &sig));
        // The key survives rotation; another keyring's does not verify.
        ring.rotate(&root).expect("rotate");
        assert_eq!(ring.audit_signer().expect("signer").public_key(), pk);
        let other = initialize(1, 1).expect("init").root;
        let (other, _) = Keyring::create(&other).expect("keyring");
        assert!(!c.verify(&other.audit_signer().expect("signer").public_key(), &sig));
    }
}
