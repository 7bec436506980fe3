//! Randomness: every random byte comes from the crypto provider's system RNG.

use crate::error::{Result, VaultError};

/// Fills `buf` from the operating system's CSPRNG (through aws-lc-rs).
pub fn fill(buf: &mut [u8]) -> Result<()> {
    aws_lc_rs::rand::fill(buf).map_err(|_| VaultError::Crypto)
}

/// Returns `N` random bytes.
pub fn array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// `rand_core` adapter over the system RNG, for crates (vsss-rs) that take a
/// `rand_core::CryptoRng`.
#[derive(Debug, Default)]
pub(crate) struct SystemRng;

/// The system RNG failed.
#[derive(Debug, thiserror::Error)]
#[error("system random generator failure")]
pub(crate) struct RngFailure;

impl rand_core::TryRng for SystemRng {
    type Error = RngFailure;

    fn try_next_u32(&mut self) -> Result<u32, RngFailure> {
        let mut b = [0u8; 4];
        fill(&mut b).map_err(|_| RngFailure)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, RngFailure> {
        let mut b = [0u8; 8];
        fill(&mut b).map_err(|_| RngFailure)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), RngFailure> {
        fill(dst).map_err(|_| RngFailure)
    }
}

impl rand_core::TryCryptoRng for SystemRng {}
