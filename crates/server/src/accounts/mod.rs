//! Accounts inside the server: creating users (keys, encrypted e-mail, blind
//! index), signing in (password, second factor, throttling), invitations and
//! open sign-up, sessions, password and MFA changes, API tokens, account
//! administration and the audit trail. Rules come from `pixelunion-auth`;
//! storage from the catalog. Passwords are hashed off the async threads.
//!
//! Callers: `http::auth` and `http::admin` (thin adapters), the HTTP
//! layer's access extractor (through [`principal`]) and CLI commands. It must
//! never depend on `http` or axum, log a password, token, code or e-mail, or
//! tell "exists but not yours" from "does not exist".

pub mod access;
pub mod admin;
pub mod credentials;
pub mod deletion;
pub mod devices;
mod error;
pub mod grant_terms;
pub mod grants;
pub mod invites;
pub mod login;
pub mod policies;
pub mod principal;
pub mod recent;
pub mod recovery;
pub mod reviews;
pub mod sessions;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;

use pixelunion_auth::Role;
use pixelunion_auth::password::{HashParams, Hasher, Verified};
use pixelunion_catalog::{SessionRow, UserRow};
use pixelunion_vault::VaultError;
use pixelunion_vault::keyring::Keyring;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

pub use error::{Error, Result};
pub use principal::{Gate, Principal};

use crate::AppState;
use crate::clock::now_secs;
use crate::fields::{self, Column};

/// Blind-index domain of e-mail addresses.
pub const EMAIL_DOMAIN: &str = "email";

/// Account services shared by the routes.
pub struct Accounts {
    hasher: Arc<Hasher>,
    /// Argon2 uses 64 MiB per hash: at most two at a time.
    hash_permits: Semaphore,
    /// sessions and API tokens recently looked up (emptied on seal)
    recent: recent::RecentCredentials,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

/// Lower-cased, trimmed e-mail (the form that is indexed).
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Checks an e-mail address's shape (one @, something on both sides, no spaces).
pub fn valid_email(email: &str) -> bool {
    let e = email.trim();
    let mut parts = e.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && d.contains('.') || d == "localhost" && !l.is_empty())
        && e.len() <= 254
        && !e.chars().any(char::is_whitespace)
}

impl Accounts {
    /// Services with the given Argon2id parameters.
    pub fn new(params: HashParams) -> Result<Self> {
        Ok(Accounts {
            hasher: Arc::new(Hasher::new(params)?),
            hash_permits: Semaphore::new(2),
            recent: Default::default(),
        })
    }

    /// Sessions and API tokens recently looked up.
    pub fn recent(&self) -> &recent::RecentCredentials {
        &self.recent
    }

    /// Hashes on a blocking thread.
    pub async fn hash(&self, password: Zeroizing<String>) -> Result<String> {
        let _permit = self.hash_permits.acquire().await?;
        let h = self.hasher.clone();
        Ok(tokio::task::spawn_blocking(move || h.hash(&password)).await??)
    }

    /// Verifies on a blocking thread; `stored = None` spends the same time
    /// on a dummy hash (unknown account).
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        stored: Option<String>,
    ) -> Result<Verified> {
        let _permit = self.hash_permits.acquire().await?;
        let h = self.hasher.clone();
        Ok(tokio::task::spawn_blocking(move || match stored {
            Some(s) => h.verify(&password, &s).unwrap_or(Verified::No),
            None => {
                h.verify_dummy(&password);
                Verified::No
            }
        })
        .await?)
    }
}

/// A random one-time password (24 base32 characters, 120 bits) for a new
/// account; it must be changed at first sign-in.
pub fn one_time_password() -> Result<Zeroizing<String>> {
    let raw: [u8; 15] = pixelunion_vault::random_array()?;
    let b = data_encoding::BASE32_NOPAD.encode(&raw).to_lowercase();
    Ok(Zeroizing::new(format!(
        "{}-{}-{}-{}",
        &b[0..6],
        &b[6..12],
        &b[12..18],
        &b[18..24]
    )))
}

/// A user's e-mail in clear, if the server is unsealed and it decrypts.
pub fn email_for(state: &AppState, user: &UserRow) -> Option<String> {
    state
        .keys()
        .with_keyring(|k| email_of(k, user).ok())
        .flatten()
}

/// The e-mail's blind index under every keyring version (for lookups).
pub fn email_candidates(
    state: &AppState,
    email: &str,
) -> Result<Vec<pixelunion_vault::blind_index::BlindIndex>> {
    Ok(state
        .keys()
        .with_keyring(|k| k.blind_index_candidates(EMAIL_DOMAIN, normalize_email(email).as_bytes()))
        .ok_or(Error::Sealed)??)
}

/// The account with e-mail `email` (looked up by its blind index under
/// every keyring version).
pub async fn user_by_email(state: &AppState, email: &str) -> Result<Option<UserRow>> {
    let indexes: Vec<Vec<u8>> = email_candidates(state, email)?
        .iter()
        .map(|b| b.to_bytes().to_vec())
        .collect();
    Ok(state.catalog().user_by_email_index(&indexes).await?)
}

/// The e-mail's blind index under the active keyring version (to store).
pub fn email_index(state: &AppState, email: &str) -> Result<Vec<u8>> {
    Ok(state
        .keys()
        .with_keyring(|k| k.blind_index(EMAIL_DOMAIN, normalize_email(email).as_bytes()))
        .ok_or(Error::Sealed)??
        .to_bytes()
        .to_vec())
}

/// Decrypts a user's e-mail.
pub fn email_of(keyring: &Keyring, user: &UserRow) -> Result<String, VaultError> {
    let key = crate::keystate::user_key(keyring, user)?;
    let email = fields::open(&key, Column::UserEmail, &user.id, &user.id, &user.email)?;
    String::from_utf8(email.to_vec()).map_err(|_| VaultError::InvalidFormat("e-mail is not UTF-8"))
}

/// Everything needed to store a new user, computed while holding the keyring.
pub fn new_user_row(
    keyring: &Keyring,
    email: &str,
    password_hash: String,
    role: Role,
    must_change: bool,
) -> Result<UserRow, VaultError> {
    let id = uuid::Uuid::new_v4().to_string();
    let norm = normalize_email(email);
    let (key, wrapped) = keyring.new_user_key(id.as_bytes())?;
    let email_ct = fields::seal_text(&key, Column::UserEmail, &id, &id, &norm)?;
    let index = keyring.blind_index(EMAIL_DOMAIN, norm.as_bytes())?;
    Ok(UserRow {
        id,
        email_index: index.to_bytes().to_vec(),
        email: email_ct,
        user_key: wrapped.to_bytes().to_vec(),
        password_hash,
        role,
        disabled: false,
        must_change_password: must_change,
        totp_secret: None,
        totp_last_step: None,
        created_at: now_secs(),
        last_login_at: None,
        role_expires_at: None,
    })
}

/// Creates a user (hashing the password first); [`Error::EmailTaken`] if
/// the address has an account.
pub async fn create_user(
    state: &AppState,
    email: &str,
    password: Zeroizing<String>,
    role: Role,
    must_change: bool,
) -> Result<UserRow> {
    let hash = state.accounts().hash(password).await?;
    let row = state
        .keys()
        .with_keyring(|k| new_user_row(k, email, hash, role, must_change))
        .ok_or(Error::Sealed)??;
    match state.catalog().create_user(&row).await {
        Ok(()) => {
            // Albums shared with this address before the account existed.
            let indexes: Vec<Vec<u8>> = email_candidates(state, email)?
                .iter()
                .map(|b| b.to_bytes().to_vec())
                .collect();
            state
                .catalog()
                .claim_album_shares(&row.id, &indexes)
                .await?;
            Ok(row)
        }
        Err(pixelunion_catalog::CatalogError::AlreadyExists) => Err(Error::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Creates the first administrator at initialisation, with a one-time
/// password to print once beside the shares; it must set a new password and
/// enrol MFA at first sign-in.
pub async fn create_initial_admin(
    catalog: &pixelunion_catalog::Catalog,
    keys: &crate::KeyVault,
    accounts: &Accounts,
    email: &str,
    term_days: u32,
) -> Result<Zeroizing<String>> {
    let password = one_time_password()?;
    let hash = accounts.hash(password.clone()).await?;
    let mut row = keys
        .with_keyring(|k| new_user_row(k, email, hash, Role::Admin, true))
        .ok_or(Error::Sealed)??;
    // Like every privileged role, the first administrator's has an end.
    row.role_expires_at = Some(row.created_at + i64::from(term_days) * 86_400);
    catalog.create_user(&row).await?;
    Ok(password)
}

/// Creates a session for `user`; returns the token (give it to the client once).
pub async fn start_session(
    state: &AppState,
    user: &UserRow,
    client: &str,
) -> Result<Zeroizing<String>> {
    let t = state.config().accounts.timeouts(user.role);
    let token = pixelunion_auth::token::mint(pixelunion_auth::token::TokenKind::Session)?;
    let id = uuid::Uuid::new_v4().to_string();
    let key = state.keys().user_key(user)?;
    let client_ct = fields::seal_text(&key, Column::SessionClient, &user.id, &id, client)?;
    let now = now_secs();
    state
        .catalog()
        .create_session(&SessionRow {
            token_hash: token.hash.to_vec(),
            id,
            user_id: user.id.clone(),
            created_at: now,
            last_seen_at: now,
            idle_secs: i64::try_from(t.idle.as_secs()).unwrap_or(i64::MAX),
            expires_at: now + i64::try_from(t.absolute.as_secs()).unwrap_or(i64::MAX / 2),
            client: Some(client_ct),
        })
        .await?;
    Ok(token.secret)
}

/// Appends an audit event (the chained trail; see [`crate::audit`]);
/// failures are logged, never shown to the client.
pub async fn audit(
    state: &AppState,
    actor: Option<&str>,
    action: &str,
    target: Option<&str>,
    outcome: &str,
) {
    crate::audit::record(
        state,
        crate::audit::Event::new(actor, action, target, outcome),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        for ok in [
            "a@b.org",
            "Ann.Smith+photos@example.co.uk",
            "admin@localhost",
        ] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in ["", "a", "a@", "@b.org", "a@b@c.org", "a b@c.org", "a@nodot"] {
            assert!(!valid_email(bad), "{bad}");
        }
        assert_eq!(normalize_email("  Ann@Example.ORG "), "ann@example.org");
    }
}
