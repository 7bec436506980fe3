//! Field encryption for small values stored in the metadata database (file
//! names, captions, EXIF, e-mail addresses, TOTP secrets).
//!
//! ```text
//! ciphertext = 0x01 || key id (5) || salt (16) || AES-256-GCM(k, nonce = 0^12, aad, plaintext) || tag (16)
//! k   = HKDF-SHA256(salt = salt, ikm = owner key, info = "pixelunion/field/v1")
//! aad = header (22 bytes above) || lp(owner) || lp(table) || lp(column) || lp(row)
//! lp(x) = u32be(len x) || x
//! ```
//!
//! Each message gets its own key from a 128-bit random salt, so the all-zero
//! nonce is used once per key and no nonce budget is consumed. The associated
//! data binds the value to its owner, table, column and row: a ciphertext
//! copied to another row, column or user fails to decrypt.

use zeroize::Zeroizing;

use crate::error::{Result, VaultError};
use crate::keys::{DataKey, KeyId};
use crate::primitives::{TAG_LEN, aead_key, hkdf_sha256, open_in_place, push_lp, seal_in_place};

const FORMAT: u8 = 1;
const SALT_LEN: usize = 16;
const HEADER_LEN: usize = 1 + 5 + SALT_LEN;
/// Bytes a field ciphertext adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;
const INFO: &[u8] = b"pixelunion/field/v1";

/// Where a value lives. Every part is bound into the ciphertext.
#[derive(Debug, Clone, Copy)]
pub struct FieldContext<'a> {
    /// owning user's id (or a fixed label for system-owned rows)
    pub owner: &'a [u8],
    /// table name
    pub table: &'a str,
    /// column name
    pub column: &'a str,
    /// row id
    pub row: &'a [u8],
}

impl FieldContext<'_> {
    fn aad(&self, header: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(
            header.len()
                + 16
                + self.owner.len()
                + self.table.len()
                + self.column.len()
                + self.row.len(),
        );
        aad.extend_from_slice(header);
        push_lp(&mut aad, self.owner);
        push_lp(&mut aad, self.table.as_bytes());
        push_lp(&mut aad, self.column.as_bytes());
        push_lp(&mut aad, self.row);
        aad
    }
}

/// Encrypts one value.
pub fn encrypt(key: &DataKey, ctx: &FieldContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
    encrypt_with_salt(key, ctx, plaintext, crate::rng::array()?)
}

/// Encrypts with a caller-chosen salt. Only for test vectors: a repeated salt
/// under the same key and context would repeat the ciphertext.
#[doc(hidden)]
pub fn encrypt_with_salt(
    key: &DataKey,
    ctx: &FieldContext<'_>,
    plaintext: &[u8],
    salt: [u8; SALT_LEN],
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(FORMAT);
    out.extend_from_slice(&key.id().to_bytes());
    out.extend_from_slice(&salt);
    let aad = ctx.aad(&out);
    let k = aead_key(hkdf_sha256(&salt, key.secret(), &[INFO])?.expose())?;
    out.extend_from_slice(plaintext);
    let tag = seal_in_place(&k, [0u8; 12], &aad, &mut out[HEADER_LEN..])?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// The key a field ciphertext was made with (to pick the right key).
pub fn key_id(ciphertext: &[u8]) -> Result<KeyId> {
    if ciphertext.len() < OVERHEAD || ciphertext[0] != FORMAT {
        return Err(VaultError::InvalidFormat("not a field ciphertext"));
    }
    KeyId::from_bytes(&ciphertext[1..6])
}

/// Decrypts one value. Fails if it was made for another context or key.
pub fn decrypt(
    key: &DataKey,
    ctx: &FieldContext<'_>,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let found = key_id(ciphertext)?;
    if found != key.id() {
        return Err(VaultError::WrongKey {
            found,
            expected: key.id(),
        });
    }
    let (header, body) = ciphertext.split_at(HEADER_LEN);
    let salt = &header[6..];
    let aad = ctx.aad(header);
    let k = aead_key(hkdf_sha256(salt, key.secret(), &[INFO])?.expose())?;
    let mut buf = Zeroizing::new(body.to_vec());
    let n = open_in_place(&k, [0u8; 12], &aad, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// Encrypts a string.
pub fn encrypt_str(key: &DataKey, ctx: &FieldContext<'_>, value: &str) -> Result<Vec<u8>> {
    encrypt(key, ctx, value.as_bytes())
}

/// Decrypts a string made by [`encrypt_str`].
pub fn decrypt_string(
    key: &DataKey,
    ctx: &FieldContext<'_>,
    ciphertext: &[u8],
) -> Result<Zeroizing<String>> {
    let bytes = decrypt(key, ctx, ciphertext)?;
    let s =
        std::str::from_utf8(&bytes).map_err(|_| VaultError::InvalidFormat("field is not UTF-8"))?;
    Ok(Zeroizing::new(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(g: u32, b: u8) -> DataKey {
        DataKey::from_bytes(KeyId::User { generation: g }, &[b; 32]).expect("key")
    }

    const CTX: FieldContext<'static> = FieldContext {
        owner: b"user-a",
        table: "assets",
        column: "file_name",
        row: b"row-1",
    };

    #[test]
    fn round_trip_and_randomized() {
        let k = key(1, 1);
        for pt in [&b""[..], b"x", b"IMG_0001.HEIC", &[0u8; 4000][..]] {
            let a = encrypt(&k, &CTX, pt).expect("enc");
            let b = encrypt(&k, &CTX, pt).expect("enc");
            assert_ne!(a, b, "same plaintext twice gives different ciphertext");
            assert_eq!(a.len(), pt.len() + OVERHEAD);
            assert_eq!(&decrypt(&k, &CTX, &a).expect("dec")[..], pt);
            if pt.len() >= 8 {
                assert!(!a.windows(pt.len()).any(|w| w == pt));
            }
        }
    }

    #[test]
    fn moved_ciphertext_fails() {
        let k = key(1, 1);
        let ct = encrypt_str(&k, &CTX, "holiday.jpg").expect("enc");
        let moved = [
            FieldContext {
                owner: b"user-b",
                ..CTX
            },
            FieldContext {
                table: "albums",
                ..CTX
            },
            FieldContext {
                column: "caption",
                ..CTX
            },
            FieldContext {
                row: b"row-2",
                ..CTX
            },
            // Length-prefixing keeps part boundaries unambiguous.
            FieldContext {
                owner: b"user-as",
                table: "ssets",
                ..CTX
            },
        ];
        for ctx in moved {
            assert_eq!(
                decrypt(&k, &ctx, &ct).err(),
                Some(VaultError::DecryptionFailed),
                "{ctx:?}"
            );
        }
        assert_eq!(
            decrypt(&key(1, 2), &CTX, &ct).err(),
            Some(VaultError::DecryptionFailed)
        );
        assert!(matches!(
            decrypt(&key(2, 1), &CTX, &ct),
            Err(VaultError::WrongKey { .. })
        ));
    }

    #[test]
    fn every_bit_flip_fails() {
        let k = key(1, 7);
        let ct = encrypt(&k, &CTX, b"secret totp seed").expect("enc");
        for i in 0..ct.len() * 8 {
            let mut bad = ct.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(decrypt(&k, &CTX, &bad).is_err(), "flip {i}");
        }
        for n in 0..ct.len() {
            assert!(decrypt(&k, &CTX, &ct[..n]).is_err());
        }
    }
}
