//! Shamir k-of-n splitting of the unseal key (GF(256), through the audited
//! `vsss-rs` crate) and the typeable share text format.
//!
//! Share text: `pu-` then the RFC 4648 base32 (lowercase, no padding) of
//! `payload || check`, in groups of five separated by `-`, where
//!
//! ```text
//! payload = 0x01 (format) || set_id (4) || threshold (1) || x (1) || y (32)
//! check   = SHA-256("pixelunion/share/v1" || payload)[0..4]
//! ```
//!
//! Parsing ignores case, spaces, dashes and the prefix, and reads the digits
//! 0/1/8 as the letters O/I/B they are usually mistaken for, so that a share
//! read aloud or retyped from paper works; any other typo fails the checksum
//! before anything is combined.

use std::fmt;

use data_encoding::BASE32_NOPAD;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Result, VaultError};
use crate::primitives::sha256;
use crate::secure_memory::{KEY_LEN, LockedKey};

/// Largest number of shares (and threshold) supported.
pub const MAX_SHARES: u8 = 16;
const FORMAT: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 4 + 1 + 1 + KEY_LEN;
const CHECK_LEN: usize = 4;
const PREFIX: &str = "pu-";
/// Base32 characters of `payload || check` (43 bytes).
const ENCODED_LEN: usize = ((PAYLOAD_LEN + CHECK_LEN) * 8).div_ceil(5);
const CHECK_DOMAIN: &[u8] = b"pixelunion/share/v1";

/// Identifier of one split (one `init` or re-key); shares of different sets
/// never combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShareSetId(pub [u8; 4]);

impl fmt::Display for ShareSetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// One share as text, ready to print once and hand to its keeper.
/// Zeroed on drop, redacted in `Debug`.
pub struct ShareText(Zeroizing<String>);

impl ShareText {
    /// The share text. Print it once, to the person who keeps it; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ShareText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShareText(<redacted>)")
    }
}

/// A parsed share. Zeroed on drop.
pub(crate) struct Share {
    pub(crate) set_id: ShareSetId,
    pub(crate) threshold: u8,
    pub(crate) x: u8,
    pub(crate) y: Zeroizing<[u8; KEY_LEN]>,
}

impl Share {
    fn payload(&self) -> Zeroizing<[u8; PAYLOAD_LEN]> {
        let mut p = Zeroizing::new([0u8; PAYLOAD_LEN]);
        p[0] = FORMAT;
        p[1..5].copy_from_slice(&self.set_id.0);
        p[5] = self.threshold;
        p[6] = self.x;
        p[7..].copy_from_slice(&self.y[..]);
        p
    }

    pub(crate) fn to_text(&self) -> ShareText {
        let mut raw = Zeroizing::new(Vec::with_capacity(PAYLOAD_LEN + CHECK_LEN));
        let payload = self.payload();
        raw.extend_from_slice(&payload[..]);
        raw.extend_from_slice(&checksum(&payload[..]));
        let mut b32 = Zeroizing::new(BASE32_NOPAD.encode(&raw));
        b32.make_ascii_lowercase();
        let mut out = String::with_capacity(PREFIX.len() + b32.len() * 6 / 5 + 1);
        out.push_str(PREFIX);
        for (i, c) in b32.chars().enumerate() {
            if i > 0 && i % 5 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        ShareText(Zeroizing::new(out))
    }

    /// Parses and checks a share typed by a person.
    pub(crate) fn parse(text: &str) -> Result<Share> {
        let mut norm = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.chars() {
            match c {
                '-' | ' ' | '\t' | '\r' | '\n' => {}
                '0' => norm.push('O'),
                '1' => norm.push('I'),
                '8' => norm.push('B'),
                c if c.is_ascii_alphanumeric() => norm.push(c.to_ascii_uppercase()),
                _ => return Err(VaultError::MalformedShare("unexpected character")),
            }
        }
        // The prefix is optional; separators were dropped above, so it is the
        // two letters "PU" in front of a body of exactly the encoded length.
        let body = match norm.strip_prefix("PU") {
            Some(rest) if rest.len() == ENCODED_LEN => rest,
            _ => norm.as_str(),
        };
        let raw = Zeroizing::new(
            BASE32_NOPAD
                .decode(body.as_bytes())
                .map_err(|_| VaultError::MalformedShare("not a share (bad length or letters)"))?,
        );
        if raw.len() != PAYLOAD_LEN + CHECK_LEN {
            return Err(VaultError::MalformedShare("wrong length"));
        }
        let (payload, check) = raw.split_at(PAYLOAD_LEN);
        if !crate::primitives::ct_eq(&checksum(payload), check) {
            return Err(VaultError::MalformedShare(
                "checksum mismatch (a character is mistyped)",
            ));
        }
        if payload[0] != FORMAT {
            return Err(VaultError::MalformedShare("unknown share format version"));
        }
        let threshold = payload[5];
        let x = payload[6];
        if threshold == 0 || threshold > MAX_SHARES || x == 0 {
            return Err(VaultError::MalformedShare("share parameters out of range"));
        }
        let mut y = Zeroizing::new([0u8; KEY_LEN]);
        y.copy_from_slice(&payload[7..]);
        Ok(Share {
            set_id: ShareSetId([payload[1], payload[2], payload[3], payload[4]]),
            threshold,
            x,
            y,
        })
    }
}

fn checksum(payload: &[u8]) -> [u8; CHECK_LEN] {
    let mut buf = Zeroizing::new(Vec::with_capacity(CHECK_DOMAIN.len() + payload.len()));
    buf.extend_from_slice(CHECK_DOMAIN);
    buf.extend_from_slice(payload);
    let h = sha256(&buf);
    [h[0], h[1], h[2], h[3]]
}

/// The secret `y` bytes of a share, for tests that scan disks and logs for
/// key material (for a 1-of-1 split this is the unseal key itself). Only
/// compiled with the `audit` feature.
#[cfg(feature = "audit")]
pub fn audit_share_secret(text: &str) -> Result<Vec<u8>> {
    Ok(Share::parse(text)?.y.to_vec())
}

/// Checks 1 <= threshold <= shares <= MAX_SHARES.
pub fn check_parameters(threshold: u8, shares: u8) -> Result<()> {
    if threshold == 0 || threshold > shares || shares > MAX_SHARES {
        return Err(VaultError::InvalidShareParameters);
    }
    Ok(())
}

/// Splits `secret` into `n` shares, any `k` of which recover it.
pub(crate) fn split(secret: &LockedKey, set_id: ShareSetId, k: u8, n: u8) -> Result<Vec<Share>> {
    check_parameters(k, n)?;
    let mut out = Vec::with_capacity(usize::from(n));
    if k == 1 {
        // Degree-0 polynomial: every share is the secret itself.
        for x in 1..=n {
            out.push(Share {
                set_id,
                threshold: 1,
                x,
                y: Zeroizing::new(*secret.expose()),
            });
        }
        return Ok(out);
    }
    let mut raw = vsss_rs::Gf256::split_bytes(
        usize::from(k),
        usize::from(n),
        &secret.expose()[..],
        rand_core::UnwrapErr(crate::rng::SystemRng),
    )
    .map_err(|_| VaultError::Crypto)?;
    for s in &raw {
        if s.len() != KEY_LEN + 1 || s[0] == 0 {
            return Err(VaultError::Crypto);
        }
        let mut y = Zeroizing::new([0u8; KEY_LEN]);
        y.copy_from_slice(&s[1..]);
        out.push(Share {
            set_id,
            threshold: k,
            x: s[0],
            y,
        });
    }
    for s in raw.iter_mut() {
        s.zeroize();
    }
    Ok(out)
}

/// Recombines exactly `threshold` distinct shares of one set.
pub(crate) fn combine(shares: &[Share]) -> Result<LockedKey> {
    let first = shares.first().ok_or(VaultError::InvalidShares)?;
    if shares.len() != usize::from(first.threshold) {
        return Err(VaultError::InvalidShares);
    }
    for (i, s) in shares.iter().enumerate() {
        if s.set_id != first.set_id || s.threshold != first.threshold {
            return Err(VaultError::ShareSetMismatch);
        }
        if shares[..i].iter().any(|o| o.x == s.x) {
            return Err(VaultError::DuplicateShare);
        }
    }
    let mut key = LockedKey::zeroed()?;
    if first.threshold == 1 {
        key.expose_mut().copy_from_slice(&first.y[..]);
        return Ok(key);
    }
    let mut input: Vec<Vec<u8>> = shares
        .iter()
        .map(|s| {
            let mut v = Vec::with_capacity(KEY_LEN + 1);
            v.push(s.x);
            v.extend_from_slice(&s.y[..]);
            v
        })
        .collect();
    let result = vsss_rs::Gf256::combine_bytes(&input);
    for v in input.iter_mut() {
        v.zeroize();
    }
    let mut secret = Zeroizing::new(result.map_err(|_| VaultError::InvalidShares)?);
    if secret.len() != KEY_LEN {
        return Err(VaultError::InvalidShares);
    }
    key.expose_mut().copy_from_slice(&secret[..]);
    secret.zeroize();
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> LockedKey {
        LockedKey::from_bytes(&[b; KEY_LEN]).expect("key")
    }

    #[test]
    fn text_round_trip_and_typo_tolerance() {
        let secret = LockedKey::random().expect("key");
        let shares = split(&secret, ShareSetId([1, 2, 3, 4]), 3, 5).expect("split");
        for s in &shares {
            let t = s.to_text();
            assert!(t.expose().starts_with("pu-"));
            let back = Share::parse(t.expose()).expect("parse");
            assert_eq!(back.x, s.x);
            assert_eq!(back.y, s.y);
            // Upper case, no dashes, surrounding space, o/i/b read as 0/1/8.
            let shouty = format!("  {}\n", t.expose().to_uppercase().replace('-', " "));
            assert!(Share::parse(&shouty).is_ok());
            let digits = t.expose()[3..]
                .replace('o', "0")
                .replace('i', "1")
                .replace('b', "8");
            assert!(Share::parse(&digits).is_ok());
        }
    }

    #[test]
    fn every_single_character_typo_is_rejected() {
        let s = split(&key(9), ShareSetId([9; 4]), 2, 3)
            .expect("split")
            .remove(0);
        let text = s.to_text().expose().to_string();
        let alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        let mut tried = 0;
        for (i, c) in text.char_indices().skip(3) {
            if c == '-' {
                continue;
            }
            for r in alphabet.chars().filter(|r| *r != c) {
                let mut t = text.clone();
                t.replace_range(i..i + 1, &r.to_string());
                // A change in the final character's unused low bits decodes to the
                // same bytes (data-encoding rejects non-canonical trailing bits).
                match Share::parse(&t) {
                    Err(VaultError::MalformedShare(_)) => {}
                    other => panic!("typo at {i} ({c}->{r}) accepted: {:?}", other.is_ok()),
                }
                tried += 1;
            }
        }
        assert!(tried > 1000);
    }

    #[test]
    fn combine_any_k_of_n() {
        let secret = LockedKey::random().expect("key");
        let shares = split(&secret, ShareSetId([7; 4]), 3, 5).expect("split");
        let idx = [[0, 1, 2], [0, 2, 4], [4, 3, 1], [1, 2, 3]];
        for set in idx {
            let chosen: Vec<Share> = set
                .iter()
                .map(|&i| Share::parse(shares[i].to_text().expose()).expect("parse"))
                .collect();
            let got = combine(&chosen).expect("combine");
            assert_eq!(got.expose(), secret.expose());
        }
    }

    #[test]
    fn fewer_than_k_or_duplicates_or_mixed_sets_fail() {
        let secret = key(3);
        let a = split(&secret, ShareSetId([1; 4]), 2, 3).expect("split");
        let b = split(&secret, ShareSetId([2; 4]), 2, 3).expect("split");
        let p = |s: &Share| Share::parse(s.to_text().expose()).expect("parse");
        assert_eq!(combine(&[p(&a[0])]).err(), Some(VaultError::InvalidShares));
        assert_eq!(
            combine(&[p(&a[0]), p(&a[0])]).err(),
            Some(VaultError::DuplicateShare)
        );
        assert_eq!(
            combine(&[p(&a[0]), p(&b[1])]).err(),
            Some(VaultError::ShareSetMismatch)
        );
    }

    #[test]
    fn one_of_one_and_parameter_bounds() {
        let secret = key(0x42);
        let s = split(&secret, ShareSetId([0; 4]), 1, 1).expect("split");
        assert_eq!(s.len(), 1);
        let got =
            combine(&[Share::parse(s[0].to_text().expose()).expect("parse")]).expect("combine");
        assert_eq!(got.expose(), secret.expose());
        assert!(split(&secret, ShareSetId([0; 4]), 16, 16).is_ok());
        for (k, n) in [(0, 1), (2, 1), (1, 17), (17, 17)] {
            assert_eq!(
                split(&secret, ShareSetId([0; 4]), k, n).err(),
                Some(VaultError::InvalidShareParameters)
            );
        }
    }

    #[test]
    fn garbage_is_rejected_cleanly() {
        for t in ["", "pu-", "hello", "pu-!!!!!", &"a".repeat(500), "pu-ééééé"] {
            assert!(
                matches!(Share::parse(t), Err(VaultError::MalformedShare(_))),
                "{t}"
            );
        }
    }
}
