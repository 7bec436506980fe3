//! Thin, typed wrappers over the one crypto provider (aws-lc-rs): AES-256-GCM,
//! HKDF-SHA256, HMAC-SHA256, SHA-256. No composition lives here, only calls.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::hkdf;
use zeroize::Zeroize;

use crate::error::{Result, VaultError};
use crate::secure_memory::{KEY_LEN, LockedKey};

/// AES-GCM nonce length.
pub const NONCE_LEN: usize = 12;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;

/// An AES-256-GCM key schedule. aws-lc-rs keeps it in its own allocation and
/// cleanses it when dropped.
pub(crate) fn aead_key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey> {
    Ok(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key)?))
}

/// Encrypts `buf` in place and returns the tag.
pub(crate) fn seal_in_place(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN]> {
    let tag =
        key.seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)?;
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(tag.as_ref());
    Ok(out)
}

/// Encrypts `plaintext` into `ct` (same length) and `tag`, leaving the input alone.
pub(crate) fn seal_out_of_place(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
    ct: &mut [u8],
    tag: &mut [u8],
) -> Result<()> {
    key.seal_out_of_place_scatter(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        plaintext,
        ct,
        &[],
        tag,
    )
    .map_err(|_| VaultError::Crypto)
}

/// Decrypts `ct` with `tag` into `out` (same length). On failure `out` holds
/// garbage and must be discarded.
pub(crate) fn open_out_of_place(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8],
    out: &mut [u8],
) -> Result<()> {
    key.open_separate_gather(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(aad),
        ct,
        tag,
        out,
    )
    .map_err(|_| VaultError::DecryptionFailed)
}

/// Decrypts `buf` (ciphertext followed by tag) in place; returns the plaintext
/// length. On failure `buf` is left unspecified and must be discarded.
pub(crate) fn open_in_place(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<usize> {
    key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)
        .map(|p| p.len())
        .map_err(|_| VaultError::DecryptionFailed)
}

struct Len(usize);
impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA256(salt, ikm, info = concat(info)) → 32 bytes in locked memory.
pub(crate) fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[&[u8]]) -> Result<LockedKey> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    let okm = prk.expand(info, Len(KEY_LEN))?;
    let mut out = LockedKey::zeroed()?;
    okm.fill(out.expose_mut())?;
    Ok(out)
}

/// HMAC-SHA256(key, concat(parts)).
pub(crate) fn hmac_sha256(key: &[u8; KEY_LEN], parts: &[&[u8]]) -> [u8; 32] {
    let k = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let mut ctx = aws_lc_rs::hmac::Context::with_key(&k);
    for p in parts {
        ctx.update(p);
    }
    let tag = ctx.sign();
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    #[allow(deprecated)]
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Appends `len(x)` as u32 big-endian then `x`: an unambiguous encoding for
/// associated data and HKDF info built from several variable-length parts.
pub(crate) fn push_lp(out: &mut Vec<u8>, x: &[u8]) {
    out.extend_from_slice(&(x.len() as u32).to_be_bytes());
    out.extend_from_slice(x);
}

/// Seals a 32-byte key under `wrapping` with a random nonce:
/// `nonce(12) || ct(32) || tag(16)`.
pub(crate) fn wrap_key(
    wrapping: &[u8; KEY_LEN],
    aad: &[u8],
    key: &[u8; KEY_LEN],
) -> Result<[u8; NONCE_LEN + KEY_LEN + TAG_LEN]> {
    let nonce: [u8; NONCE_LEN] = crate::rng::array()?;
    wrap_key_with_nonce(wrapping, aad, key, nonce)
}

pub(crate) fn wrap_key_with_nonce(
    wrapping: &[u8; KEY_LEN],
    aad: &[u8],
    key: &[u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
) -> Result<[u8; NONCE_LEN + KEY_LEN + TAG_LEN]> {
    let k = aead_key(wrapping)?;
    let mut out = [0u8; NONCE_LEN + KEY_LEN + TAG_LEN];
    out[..NONCE_LEN].copy_from_slice(&nonce);
    out[NONCE_LEN..NONCE_LEN + KEY_LEN].copy_from_slice(key);
    let tag = seal_in_place(&k, nonce, aad, &mut out[NONCE_LEN..NONCE_LEN + KEY_LEN])?;
    out[NONCE_LEN + KEY_LEN..].copy_from_slice(&tag);
    Ok(out)
}

/// Opens what [`wrap_key`] made, into locked memory.
pub(crate) fn unwrap_key(
    wrapping: &[u8; KEY_LEN],
    aad: &[u8],
    wrapped: &[u8],
) -> Result<LockedKey> {
    if wrapped.len() != NONCE_LEN + KEY_LEN + TAG_LEN {
        return Err(VaultError::InvalidFormat(
            "wrapped key has the wrong length",
        ));
    }
    let k = aead_key(wrapping)?;
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&wrapped[..NONCE_LEN]);
    let mut buf = [0u8; KEY_LEN + TAG_LEN];
    buf.copy_from_slice(&wrapped[NONCE_LEN..]);
    let res = open_in_place(&k, nonce, aad, &mut buf).and_then(|_| {
        let mut out = LockedKey::zeroed()?;
        out.expose_mut().copy_from_slice(&buf[..KEY_LEN]);
        Ok(out)
    });
    buf.zeroize();
    res
}

/// Incremental SHA-256 (content hashes of streamed uploads).
pub struct Sha256Stream(aws_lc_rs::digest::Context);

impl std::fmt::Debug for Sha256Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sha256Stream")
    }
}

impl Default for Sha256Stream {
    fn default() -> Self {
        Sha256Stream(aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256))
    }
}

impl Sha256Stream {
    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        let d = self.0.finish();
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }
}

/// Ed25519 signature length.
pub const SIGNATURE_LEN: usize = 64;
/// Ed25519 public key length.
pub const PUBLIC_KEY_LEN: usize = 32;

/// An Ed25519 key pair made from a 32-byte seed (the seed stays in locked
/// memory with the caller; aws-lc-rs keeps its own copy and cleanses it).
pub(crate) fn ed25519_from_seed(
    seed: &[u8; KEY_LEN],
) -> Result<aws_lc_rs::signature::Ed25519KeyPair> {
    aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| VaultError::Crypto)
}

/// Signs `msg`.
pub(crate) fn ed25519_sign(
    pair: &aws_lc_rs::signature::Ed25519KeyPair,
    msg: &[u8],
) -> [u8; SIGNATURE_LEN] {
    let sig = pair.sign(msg);
    let mut out = [0u8; SIGNATURE_LEN];
    out.copy_from_slice(sig.as_ref());
    out
}

/// The public half of `pair`.
pub(crate) fn ed25519_public(pair: &aws_lc_rs::signature::Ed25519KeyPair) -> [u8; PUBLIC_KEY_LEN] {
    use aws_lc_rs::signature::KeyPair;
    let mut out = [0u8; PUBLIC_KEY_LEN];
    out.copy_from_slice(pair.public_key().as_ref());
    out
}

/// Checks an Ed25519 signature.
pub fn ed25519_verify(public: &[u8], msg: &[u8], signature: &[u8]) -> bool {
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, public)
        .verify(msg, signature)
        .is_ok()
}
