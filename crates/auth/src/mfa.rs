//! TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s steps, ±1 step) with replay
//! protection, and single-use recovery codes.
//!
//! The second factor is an enum ([`Factor`]) so that WebAuthn passkeys can be
//! added as another method beside TOTP without changing the login flow.

use data_encoding::BASE32_NOPAD;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

/// TOTP step length in seconds.
pub const STEP: u64 = 30;
/// Number of recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A second factor presented at login. Zeroed on drop.
#[derive(Debug, Clone, zeroize::ZeroizeOnDrop, zeroize::Zeroize)]
pub enum Factor {
    /// a 6-digit TOTP code
    Totp(String),
    /// a single-use recovery code
    Recovery(String),
}

/// TOTP problems.
#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    /// The secret is not usable.
    #[error("invalid TOTP secret")]
    Secret,
    /// RNG failure.
    #[error("random generator failure")]
    Rng,
}

fn totp(secret: &[u8], account: &str) -> Result<TOTP, MfaError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP,
        secret.to_vec(),
        Some("PixelUnion".to_string()),
        account.to_string(),
    )
    .map_err(|_| MfaError::Secret)
}

/// A new 160-bit TOTP secret.
pub fn new_secret() -> Result<Zeroizing<Vec<u8>>, MfaError> {
    let s: [u8; 20] = pixelunion_vault::random_array().map_err(|_| MfaError::Rng)?;
    Ok(Zeroizing::new(s.to_vec()))
}

/// The `otpauth://` URI an authenticator app scans (show once, as QR code).
pub fn otpauth_uri(secret: &[u8], account: &str) -> Result<Zeroizing<String>, MfaError> {
    Ok(Zeroizing::new(totp(secret, account)?.get_url()))
}

/// The `otpauth://` URI as an SVG QR code (error correction M, 4-module quiet
/// zone), for the enrolment page to show.
pub fn qr_svg(uri: &str) -> Result<String, MfaError> {
    let qr = qrcodegen::QrCode::encode_text(uri, qrcodegen::QrCodeEcc::Medium)
        .map_err(|_| MfaError::Secret)?;
    let n = qr.size();
    let border = 4;
    let dim = n + 2 * border;
    let mut path = String::new();
    for y in 0..n {
        for x in 0..n {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dim} {dim}\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// The secret in base32, for typing into an app by hand.
pub fn secret_base32(secret: &[u8]) -> Zeroizing<String> {
    Zeroizing::new(BASE32_NOPAD.encode(secret))
}

/// Checks `code` at unix time `now`, accepting the current step and one on
/// either side, but only a step later than `last_used_step` (each code works
/// once). Returns the step to store as the new `last_used_step`.
pub fn verify_totp(
    secret: &[u8],
    code: &str,
    now: u64,
    last_used_step: Option<u64>,
) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "x").ok()?;
    let step = now / STEP;
    let mut matched = None;
    // Check all three candidates (no early exit) to keep timing independent of which matched.
    for candidate in [step.saturating_sub(1), step, step + 1] {
        let expected = t.generate(candidate * STEP);
        if pixelunion_vault::ct_eq(expected.as_bytes(), code.as_bytes())
            && last_used_step.is_none_or(|l| candidate > l)
        {
            matched = Some(candidate);
        }
    }
    matched
}

/// A recovery code to show once, and its stored hash.
pub type RecoveryCode = (Zeroizing<String>, [u8; 32]);

/// The TOTP code for `secret` at unix time `t` (what an authenticator app
/// shows; used by clients and tests).
pub fn code_at(secret: &[u8], t: u64) -> Result<String, MfaError> {
    Ok(totp(secret, "x")?.generate(t))
}

/// Decodes the base32 form of a secret (as shown at enrolment).
pub fn secret_from_base32(s: &str) -> Option<Zeroizing<Vec<u8>>> {
    BASE32_NOPAD
        .decode(s.trim().to_uppercase().as_bytes())
        .ok()
        .map(Zeroizing::new)
}

/// Ten fresh recovery codes (`xxxxx-xxxxx-xxxxx` in hexadecimal, 60 bits
/// each) and their hashes.
///
/// Hexadecimal, because a code is sent in a JSON body that the request
/// firewall reads, and base32 (the alphabet before) spelt SQL by chance
/// (`5or3`, which rule 942211 refuses); codes made before still work, as
/// the hash ignores case and separators.
pub fn new_recovery_codes() -> Result<Vec<RecoveryCode>, MfaError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw: [u8; 8] = pixelunion_vault::random_array().map_err(|_| MfaError::Rng)?;
            let hex = Zeroizing::new(data_encoding::HEXLOWER.encode(&raw));
            let code = Zeroizing::new(format!("{}-{}-{}", &hex[0..5], &hex[5..10], &hex[10..15]));
            let h = recovery_hash(&code);
            Ok((code, h))
        })
        .collect()
}

/// Stored form of a recovery code (case, spaces and dashes ignored).
pub fn recovery_hash(code: &str) -> [u8; 32] {
    let norm: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
    let mut input = b"pixelunion/recovery/v1:".to_vec();
    input.extend_from_slice(norm.as_bytes());
    pixelunion_vault::sha256(&input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", 8 digits there;
        // the 6-digit codes are the last six digits.
        let secret = b"12345678901234567890";
        let t = totp(secret, "x").expect("totp");
        for (time, eight) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            assert_eq!(t.generate(time), eight[2..]);
        }
    }

    #[test]
    fn window_and_replay() {
        let secret = new_secret().expect("secret");
        let t = totp(&secret, "x").expect("totp");
        let now = 1_800_000_000u64;
        let code = t.generate(now);
        let step = verify_totp(&secret, &code, now, None).expect("valid");
        assert_eq!(step, now / STEP);
        assert_eq!(
            verify_totp(&secret, &code, now, Some(step)),
            None,
            "replay rejected"
        );
        assert!(
            verify_totp(&secret, &code, now + STEP, None).is_some(),
            "one step late is fine"
        );
        assert!(
            verify_totp(&secret, &code, now - STEP, None).is_some(),
            "one step early is fine"
        );
        assert_eq!(
            verify_totp(&secret, &code, now + 2 * STEP, None),
            None,
            "two steps late is not"
        );
        assert_eq!(verify_totp(&secret, "12345", now, None), None);
        assert_eq!(verify_totp(&secret, "abcdef", now, None), None);
        let uri = otpauth_uri(&secret, "ann@example.org").expect("uri");
        assert!(
            uri.starts_with("otpauth://totp/PixelUnion:ann%40example.org?secret="),
            "{}",
            *uri
        );
        assert!(uri.contains(&*secret_base32(&secret)));
    }

    #[test]
    fn qr_code_is_an_svg_of_the_right_size() {
        let svg = qr_svg(
            "otpauth://totp/PixelUnion:ann%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=PixelUnion",
        )
        .expect("qr");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        // 99 bytes in byte mode at level M need version 6 (v5 holds 84, v6 106):
        // 41 modules plus an 8-module quiet zone.
        assert!(svg.contains("viewBox=\"0 0 49 49\""), "{}", &svg[..80]);
        assert!(svg.matches('M').count() > 200, "modules drawn");
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes = new_recovery_codes().expect("codes");
        assert_eq!(codes.len(), RECOVERY_CODES);
        let set: std::collections::HashSet<_> = codes.iter().map(|(_, h)| *h).collect();
        assert_eq!(set.len(), RECOVERY_CODES);
        let (code, h) = &codes[0];
        assert_eq!(recovery_hash(&code.to_uppercase().replace('-', " ")), *h);
        for (code, _) in &codes {
            let parts: Vec<&str> = code.split('-').collect();
            assert_eq!(parts.len(), 3, "three groups");
            assert!(parts.iter().all(|p| {
                p.len() == 5
                    && p.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }));
        }
        // a code of the base32 shape made before still matches its hash
        assert_eq!(
            recovery_hash("lgva-odxd-5or3"),
            recovery_hash("LGVAODXD5OR3")
        );
    }
}
