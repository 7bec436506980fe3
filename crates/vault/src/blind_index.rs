//! Blind indexes: keyed HMAC-SHA256 tags for equality lookups on encrypted
//! values (e-mail at login, duplicate detection), never plain hashes.
//!
//! ```text
//! k_domain = HKDF-SHA256(salt = "", ikm = K, info = "pixelunion/blind-index/v1" || lp(domain))
//! tag      = HMAC-SHA256(k_domain, value)
//! stored   = key id (5) || tag (32)
//! ```
//!
//! `K` is a keyring version's base key (system-wide indexes such as e-mail)
//! or a user's key (per-user indexes such as content hashes: they are not
//! comparable across users, and they are shredded with the user key).
//! Normalising the value (e.g. lower-casing an e-mail) is the caller's job.

use crate::error::Result;
use crate::keyring::Keyring;
use crate::keys::{DataKey, KeyId};
use crate::primitives::{hkdf_sha256, hmac_sha256, push_lp};

/// A blind index value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlindIndex {
    /// key it was computed with
    pub key: KeyId,
    /// HMAC tag
    pub tag: [u8; 32],
}

impl BlindIndex {
    /// `key id || tag`, 37 bytes, for a unique index column.
    pub fn to_bytes(&self) -> [u8; 37] {
        let mut out = [0u8; 37];
        out[..5].copy_from_slice(&self.key.to_bytes());
        out[5..].copy_from_slice(&self.tag);
        out
    }
}

fn compute(key: &[u8; 32], id: KeyId, domain: &str, value: &[u8]) -> Result<BlindIndex> {
    let mut info = b"pixelunion/blind-index/v1".to_vec();
    push_lp(&mut info, domain.as_bytes());
    let k = hkdf_sha256(&[], key, &[&info])?;
    Ok(BlindIndex {
        key: id,
        tag: hmac_sha256(k.expose(), &[value]),
    })
}

impl Keyring {
    /// System-wide index under the active version (store this one).
    pub fn blind_index(&self, domain: &str, value: &[u8]) -> Result<BlindIndex> {
        self.blind_index_with(self.active_version(), domain, value)
    }

    /// Index under a given version.
    pub fn blind_index_with(&self, version: u32, domain: &str, value: &[u8]) -> Result<BlindIndex> {
        compute(
            self.blind_index_base(version)?.expose(),
            KeyId::System { version },
            domain,
            value,
        )
    }

    /// The index under every version: look up with `IN (...)` so that rows
    /// indexed before a rotation are still found.
    pub fn blind_index_candidates(&self, domain: &str, value: &[u8]) -> Result<Vec<BlindIndex>> {
        self.versions()
            .into_iter()
            .map(|v| self.blind_index_with(v, domain, value))
            .collect()
    }
}

/// Per-user index under a user's key.
pub fn user_blind_index(user_key: &DataKey, domain: &str, value: &[u8]) -> Result<BlindIndex> {
    compute(user_key.secret(), user_key.id(), domain, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::initialize;

    #[test]
    fn deterministic_keyed_and_domain_separated() {
        let root = initialize(1, 1).expect("init").root;
        let (mut ring, _) = Keyring::create(&root).expect("create");
        let a = ring.blind_index("email", b"ann@example.org").expect("bi");
        assert_eq!(
            a,
            ring.blind_index("email", b"ann@example.org").expect("bi")
        );
        assert_ne!(
            a,
            ring.blind_index("email", b"bob@example.org").expect("bi")
        );
        assert_ne!(
            a.tag,
            ring.blind_index("other", b"ann@example.org")
                .expect("bi")
                .tag
        );
        assert_ne!(
            &a.tag,
            &crate::sha256(b"ann@example.org"),
            "not a plain hash"
        );

        let (ring2, _) = Keyring::create(&root).expect("create");
        assert_ne!(
            a.tag,
            ring2
                .blind_index("email", b"ann@example.org")
                .expect("bi")
                .tag
        );

        ring.rotate(&root).expect("rotate");
        let c = ring
            .blind_index_candidates("email", b"ann@example.org")
            .expect("bi");
        assert_eq!(c.len(), 2);
        assert!(c.contains(&a));
    }

    #[test]
    fn user_indexes_differ_between_users() {
        let u1 = DataKey::from_bytes(KeyId::User { generation: 1 }, &[1; 32]).expect("key");
        let u2 = DataKey::from_bytes(KeyId::User { generation: 1 }, &[2; 32]).expect("key");
        let h = crate::sha256(b"photo bytes");
        assert_ne!(
            user_blind_index(&u1, "content", &h).expect("bi"),
            user_blind_index(&u2, "content", &h).expect("bi")
        );
    }
}
