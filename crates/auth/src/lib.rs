//! # pixelunion-auth
//!
//! Owns the rules of accounts and access, as pure functions and types:
//! password policy and Argon2id hashing ([`password`]), opaque session and API
//! tokens ([`token`]), TOTP and recovery codes ([`mfa`]), and the roles ×
//! permissions matrix with per-role session timeouts ([`roles`]).
//!
//! It does no I/O and keeps no state: the catalog stores what it produces
//! (hashes, encrypted secrets), the server enforces what it decides. It must
//! never log or return a password, token, TOTP secret or recovery code except
//! to the one caller that creates it, and never compare a secret in variable
//! time.

pub mod mfa;
pub mod password;
pub mod roles;
pub mod token;

pub use roles::{Permission, Role};
