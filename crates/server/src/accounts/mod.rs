//! Accounts inside the server: creating users (keys, encrypted e-mail, blind
//! index), verifying credentials off the async threads, sessions and the
//! audit trail. Rules come from `pixelunion-auth`; storage from the catalog.

pub mod principal;
mod throttle;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pixelunion_auth::Role;
use pixelunion_auth::password::{HashParams, Hasher, Verified};
use pixelunion_catalog::{AuditRow, SessionRow, UserRow};
use pixelunion_vault::field::{self, FieldContext};
use pixelunion_vault::keyring::{Keyring, WrappedUserKey};
use pixelunion_vault::{DataKey, VaultError};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

pub use principal::{Authed, Gate, Principal};
pub use throttle::LoginThrottle;

use crate::AppState;
use crate::error::{ApiError, OrInternal};

/// Blind-index domain of e-mail addresses.
pub const EMAIL_DOMAIN: &str = "email";

/// Account services shared by the routes.
pub struct Accounts {
    hasher: Arc<Hasher>,
    /// Argon2 uses 64 MiB per hash: at most two at a time.
    hash_permits: Semaphore,
    /// login/MFA throttling
    pub throttle: LoginThrottle,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
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
    pub fn new(params: HashParams) -> Result<Self, pixelunion_auth::password::HashError> {
        Ok(Accounts {
            hasher: Arc::new(Hasher::new(params)?),
            hash_permits: Semaphore::new(2),
            throttle: LoginThrottle::default(),
        })
    }

    /// Hashes on a blocking thread.
    pub async fn hash(&self, password: Zeroizing<String>) -> Result<String, ApiError> {
        let _permit = self.hash_permits.acquire().await.or_internal()?;
        let h = self.hasher.clone();
        tokio::task::spawn_blocking(move || h.hash(&password))
            .await
            .or_internal()?
            .or_internal()
    }

    /// Verifies on a blocking thread; `stored = None` spends the same time
    /// on a dummy hash (unknown account).
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        stored: Option<String>,
    ) -> Result<Verified, ApiError> {
        let _permit = self.hash_permits.acquire().await.or_internal()?;
        let h = self.hasher.clone();
        tokio::task::spawn_blocking(move || match stored {
            Some(s) => h.verify(&password, &s).unwrap_or(Verified::No),
            None => {
                h.verify_dummy(&password);
                Verified::No
            }
        })
        .await
        .or_internal()
    }
}

/// A random one-time password (24 base32 characters, 120 bits) for a new
/// account; it must be changed at first sign-in.
pub fn one_time_password() -> Result<Zeroizing<String>, ApiError> {
    let raw: [u8; 15] = pixelunion_vault::random_array().or_internal()?;
    let b = data_encoding::BASE32_NOPAD.encode(&raw).to_lowercase();
    Ok(Zeroizing::new(format!(
        "{}-{}-{}-{}",
        &b[0..6],
        &b[6..12],
        &b[12..18],
        &b[18..24]
    )))
}

/// Field context of a session's client description ("ip · user agent").
pub fn session_client_ctx<'a>(user_id: &'a str, session_id: &'a str) -> FieldContext<'a> {
    FieldContext {
        owner: user_id.as_bytes(),
        table: "sessions",
        column: "client",
        row: session_id.as_bytes(),
    }
}

/// Field context of a user column.
pub fn user_ctx<'a>(user_id: &'a str, column: &'a str) -> FieldContext<'a> {
    FieldContext {
        owner: user_id.as_bytes(),
        table: "users",
        column,
        row: user_id.as_bytes(),
    }
}

/// Unwraps a user's key (needs the server unsealed).
pub fn user_key(keyring: &Keyring, user: &UserRow) -> Result<DataKey, VaultError> {
    keyring.unwrap_user_key(
        user.id.as_bytes(),
        &WrappedUserKey::from_bytes(&user.user_key)?,
    )
}

/// The caller's key while unsealed: 503 when sealed, 500 if it will not open.
pub fn key_for(state: &AppState, user: &UserRow) -> Result<DataKey, ApiError> {
    state
        .keys()
        .with_keyring(|k| user_key(k, user))
        .ok_or_else(ApiError::sealed)?
        .map_err(|e| ApiError::internal(&e))
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
) -> Result<Vec<pixelunion_vault::blind_index::BlindIndex>, ApiError> {
    state
        .keys()
        .with_keyring(|k| k.blind_index_candidates(EMAIL_DOMAIN, normalize_email(email).as_bytes()))
        .ok_or_else(ApiError::sealed)?
        .map_err(|e| ApiError::internal(&e))
}

/// The e-mail's blind index under the active keyring version (to store).
pub fn email_index(state: &AppState, email: &str) -> Result<Vec<u8>, ApiError> {
    state
        .keys()
        .with_keyring(|k| k.blind_index(EMAIL_DOMAIN, normalize_email(email).as_bytes()))
        .ok_or_else(ApiError::sealed)?
        .map(|i| i.to_bytes().to_vec())
        .map_err(|e| ApiError::internal(&e))
}

/// Decrypts a user's e-mail.
pub fn email_of(keyring: &Keyring, user: &UserRow) -> Result<String, VaultError> {
    let key = user_key(keyring, user)?;
    Ok(field::decrypt_string(&key, &user_ctx(&user.id, "email"), &user.email)?.to_string())
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
    let email_ct = field::encrypt_str(&key, &user_ctx(&id, "email"), &norm)?;
    let index = keyring.blind_index(EMAIL_DOMAIN, norm.as_bytes())?;
    Ok(UserRow {
        id,
        email_index: index.to_bytes().to_vec(),
        email: email_ct,
        user_key: wrapped.to_bytes().to_vec(),
        password_hash,
        role: role.as_str().to_string(),
        disabled: false,
        must_change_password: must_change,
        totp_secret: None,
        totp_last_step: None,
        created_at: now(),
        last_login_at: None,
    })
}

/// Creates a user (hashing the password first). Fails with 409 if the e-mail is taken.
pub async fn create_user(
    state: &AppState,
    email: &str,
    password: Zeroizing<String>,
    role: Role,
    must_change: bool,
) -> Result<UserRow, ApiError> {
    let hash = state.accounts().hash(password).await?;
    let row = state
        .keys()
        .with_keyring(|k| new_user_row(k, email, hash, role, must_change))
        .ok_or_else(ApiError::sealed)?
        .or_internal()?;
    match state.catalog().create_user(&row).await {
        Ok(()) => Ok(row),
        Err(pixelunion_catalog::CatalogError::AlreadyExists) => Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "email-taken",
            "an account with this e-mail address exists",
        )),
        Err(e) => Err(ApiError::internal(&e)),
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
) -> Result<Zeroizing<String>, ApiError> {
    let password = one_time_password()?;
    let hash = accounts.hash(password.clone()).await?;
    let row = keys
        .with_keyring(|k| new_user_row(k, email, hash, Role::Admin, true))
        .ok_or_else(ApiError::sealed)?
        .or_internal()?;
    catalog.create_user(&row).await.or_internal()?;
    Ok(password)
}

/// Creates a session for `user`; returns the token (give it to the client once).
pub async fn start_session(
    state: &AppState,
    user: &UserRow,
    client: &str,
) -> Result<Zeroizing<String>, ApiError> {
    let role = Role::parse(&user.role).unwrap_or(Role::User);
    let t = state.config().accounts.timeouts(role);
    let token =
        pixelunion_auth::token::mint(pixelunion_auth::token::TokenKind::Session).or_internal()?;
    let id = uuid::Uuid::new_v4().to_string();
    let key = key_for(state, user)?;
    let client_ct =
        field::encrypt_str(&key, &session_client_ctx(&user.id, &id), client).or_internal()?;
    let now = now();
    state
        .catalog()
        .create_session(&SessionRow {
            token_hash: token.hash.to_vec(),
            id,
            user_id: user.id.clone(),
            created_at: now,
            last_seen_at: now,
            idle_secs: t.idle.as_secs() as i64,
            expires_at: now + t.absolute.as_secs() as i64,
            client: Some(client_ct),
        })
        .await
        .or_internal()?;
    Ok(token.secret)
}

/// Appends an audit event; failures are logged, never shown to the client.
pub async fn audit(
    state: &AppState,
    actor: Option<&str>,
    action: &str,
    target: Option<&str>,
    outcome: &str,
) {
    let row = AuditRow {
        seq: 0,
        at: now(),
        actor: actor.map(str::to_string),
        action: action.to_string(),
        target: target.map(str::to_string),
        outcome: outcome.to_string(),
        details: None,
    };
    if let Err(e) = state.catalog().append_audit(&row).await {
        tracing::error!(error = %e, action, "could not write audit event");
    }
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
