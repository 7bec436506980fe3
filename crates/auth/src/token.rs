//! Opaque bearer secrets (session tokens, API tokens, invite codes): 256 bits
//! from the system CSPRNG, shown once, stored only as SHA-256 hashes. Lookup
//! is by hash, so the secret itself is never compared.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
    let secret = Zeroizing::new(format!(
        "{}{}",
        kind.prefix(),
        URL_SAFE_NO_PAD.encode(&raw[..])
    ));
    let hash = hash(&secret);
    Ok(NewToken { secret, hash })
}

/// The stored form of a presented token.
pub fn hash(token: &str) -> [u8; 32] {
    pixelunion_vault::sha256(token.as_bytes())
}

/// True when `token` has the shape of a token of `kind` (cheap pre-check
/// before any database lookup).
pub fn looks_like(kind: TokenKind, token: &str) -> bool {
    token.len() == 4 + 43
        && token.starts_with(kind.prefix())
        && token[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
}
