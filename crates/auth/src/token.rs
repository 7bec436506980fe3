//! Opaque bearer secrets (session tokens, API tokens, invite codes): 256 bits
//! from the system CSPRNG, shown once, stored only as SHA-256 hashes. Lookup
//! is by hash, so the secret itself is never compared.
//!
//! A token is its kind's prefix and 64 lower-case hexadecimal digits. Hex,
//! because a token travels in a cookie and in JSON bodies that the request
//! firewall reads, and letters-and-digits alphabets spell SQL by chance:
//! the base64url tokens minted before spelt `3or9` between two digits in
//! about one session in 1,100 (90 of 100,000 in a probe), and rule 942211
//! then refused every request of that session. Tokens minted before (43
//! base64url characters) are still accepted until they expire.

use zeroize::Zeroizing;

/// What a token is for; its prefix makes leaked tokens recognisable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// browser or API session
    Session,
    /// long-lived API token
    Api,
    /// invitation link code
    Invite,
    /// account recovery link code (e-mailed to the owner)
    Recovery,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "pus_",
            TokenKind::Api => "pua_",
            TokenKind::Invite => "pui_",
            TokenKind::Recovery => "pur_",
        }
    }
}

/// A freshly minted token: give `secret` to its holder once, store `hash`.
#[derive(Debug)]
pub struct NewToken {
    /// the token text (zeroed on drop)
    pub secret: Zeroizing<String>,
    /// SHA-256 of the token text
    pub hash: [u8; 32],
}

/// Token generation failed (system RNG).
#[derive(Debug, thiserror::Error)]
#[error("token generation failed")]
pub struct TokenError;

/// Mints a token of `kind`.
pub fn mint(kind: TokenKind) -> Result<NewToken, TokenError> {
    let raw: Zeroizing<[u8; 32]> =
        Zeroizing::new(pixelunion_vault::random_array().map_err(|_| TokenError)?);
    let mut secret = Zeroizing::new(String::with_capacity(PREFIX_LEN + HEX_LEN));
    secret.push_str(kind.prefix());
    data_encoding::HEXLOWER.encode_append(&raw[..], &mut secret);
    let hash = hash(&secret);
    Ok(NewToken { secret, hash })
}

/// The stored form of a presented token.
pub fn hash(token: &str) -> [u8; 32] {
    pixelunion_vault::sha256(token.as_bytes())
}

/// Length of every kind's prefix (`pus_`).
const PREFIX_LEN: usize = 4;
/// Length of a token's body: 32 bytes in hex.
const HEX_LEN: usize = 64;
/// Length of the body of a token minted before hex: 32 bytes in base64url.
const LEGACY_LEN: usize = 43;

/// True when `token` has the shape of a token of `kind`, as minted now or
/// before (cheap pre-check before any database lookup).
pub fn looks_like(kind: TokenKind, token: &str) -> bool {
    let Some(body) = token.strip_prefix(kind.prefix()) else {
        return false;
    };
    match body.len() {
        HEX_LEN => body.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        LEGACY_LEN => body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_prefixed_and_hashed() {
        let a = mint(TokenKind::Session).expect("mint");
        let b = mint(TokenKind::Session).expect("mint");
        assert_ne!(*a.secret, *b.secret);
        assert!(looks_like(TokenKind::Session, &a.secret));
        assert!(!looks_like(TokenKind::Api, &a.secret));
        assert_eq!(hash(&a.secret), a.hash);
        assert!(
            !a.hash
                .windows(8)
                .any(|w| a.secret.as_bytes().windows(8).any(|s| s == w))
        );
        assert!(looks_like(
            TokenKind::Api,
            &mint(TokenKind::Api).expect("mint").secret
        ));
        assert!(!looks_like(TokenKind::Session, "pus_short"));
    }

    #[test]
    fn tokens_are_prefix_and_hex_and_the_old_shape_is_still_known() {
        let t = mint(TokenKind::Invite).expect("mint");
        assert_eq!(t.secret.len(), 4 + 64);
        assert!(t.secret.starts_with("pui_"));
        assert!(
            t.secret[4..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{}",
            &t.secret[..6]
        );
        // a session minted before this format (base64url) still signs in
        let legacy = "pus_hgpuPgo4K2nKNfHJPiacHKN3or9IxefQ8ZL3zbydNpQ";
        assert!(looks_like(TokenKind::Session, legacy));
        assert!(!looks_like(TokenKind::Api, legacy));
        // upper-case hex, a wrong length or another letter is not a token
        let upper = format!("pus_{}", "A".repeat(64));
        assert!(!looks_like(TokenKind::Session, &upper));
        let long = format!("pus_{}", "a".repeat(65));
        assert!(!looks_like(TokenKind::Session, &long));
        let bad = format!("pus_{}g", "a".repeat(63));
        assert!(!looks_like(TokenKind::Session, &bad));
        let legacy_bad = format!("pus_{}+", "a".repeat(42));
        assert!(!looks_like(TokenKind::Session, &legacy_bad));
    }
}
