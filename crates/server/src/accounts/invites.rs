//! How accounts come to be besides an administrator creating them:
//! single-use, expiring invitations (optionally bound to one e-mail
//! address) and, when configured, open sign-up. Every new account is a
//! `user`: a privileged role is granted by two administrators (`grants`).

use std::net::IpAddr;

use pixelunion_auth::Role;
use pixelunion_auth::password::check_policy;
use pixelunion_auth::token::{self, TokenKind};
use pixelunion_catalog::{InviteRow, UserRow};
use zeroize::Zeroizing;

use super::throttle;
use super::{
    Error, Result, audit, create_user, email_candidates, email_index, new_user_row,
    normalize_email, valid_email,
};
use crate::AppState;
use crate::clock::now_secs;

/// A new account's e-mail and password, checked.
fn check_new_account(email: &str, password: &str) -> Result<()> {
    if !valid_email(email) {
        return Err(Error::InvalidEmail);
    }
    check_policy(password, &normalize_email(email)).map_err(|e| Error::WeakPassword(e.to_string()))
}

/// Accepts an invitation: creates the account with the invited role and the
/// password the person chose. Single use; unknown, used or expired codes
/// are refused alike; guessing is throttled per client address.
pub async fn accept(
    state: &AppState,
    ip: IpAddr,
    code: &str,
    email: &str,
    password: Zeroizing<String>,
) -> Result<UserRow> {
    if state.keys().is_sealed() {
        return Err(Error::Sealed);
    }
    let ip_key = format!("ip:{ip}");
    if let Some(secs) = throttle::retry_after(state, &[&ip_key]).await {
        return Err(Error::Throttled(secs));
    }
    if !token::looks_like(TokenKind::Invite, code) {
        throttle::failure(state, &[&ip_key]).await;
        return Err(Error::InviteInvalid);
    }
    let hash = token::hash(code);
    let Some(invite) = state.catalog().invite_by_hash(&hash).await? else {
        throttle::failure(state, &[&ip_key]).await;
        return Err(Error::InviteInvalid);
    };
    if invite.used_at.is_some() || invite.expires_at <= now_secs() {
        return Err(Error::InviteInvalid);
    }
    check_new_account(email, &password)?;
    let email = normalize_email(email);
    if let Some(bound) = &invite.email_index {
        let candidates = email_candidates(state, &email)?;
        if !candidates
            .iter()
            .any(|c| pixelunion_vault::ct_eq(&c.to_bytes(), bound))
        {
            return Err(Error::InviteEmailMismatch);
        }
    }
    // Invitations made before grants needed two administrators may carry a
    // privileged role: the account starts as a user all the same.
    let role = Role::User;
    let hash_pw = state.accounts().hash(password).await?;
    let row = state
        .keys()
        .with_keyring(|k| new_user_row(k, &email, hash_pw, role, false))
        .ok_or(Error::Sealed)??;
    match state.catalog().accept_invite(&hash, now_secs(), &row).await {
        Ok(true) => {}
        Ok(false) => return Err(Error::InviteInvalid),
        Err(pixelunion_catalog::CatalogError::AlreadyExists) => return Err(Error::EmailTaken),
        Err(e) => return Err(e.into()),
    }
    audit(
        state,
        Some(&row.id),
        &format!("invite.accept:{}", invite.role.as_str()),
        Some(&invite.id),
        "success",
    )
    .await;
    Ok(row)
}

/// Open sign-up, when `accounts.open_signup` allows it (off by default).
/// Every sign-up counts against the client address, so one client cannot
/// mass-create accounts.
pub async fn signup(
    state: &AppState,
    ip: IpAddr,
    email: &str,
    password: Zeroizing<String>,
) -> Result<UserRow> {
    if !state.config().accounts.open_signup {
        return Err(Error::SignupClosed);
    }
    if state.keys().is_sealed() {
        return Err(Error::Sealed);
    }
    let ip_key = format!("signup:{ip}");
    if let Some(secs) = throttle::retry_after(state, &[&ip_key]).await {
        return Err(Error::Throttled(secs));
    }
    check_new_account(email, &password)?;
    throttle::failure(state, &[&ip_key]).await;
    let row = create_user(state, email, password, Role::User, false).await?;
    audit(state, Some(&row.id), "signup", Some(&row.id), "success").await;
    Ok(row)
}

/// A new invitation, with its code (shown once).
#[derive(Debug)]
pub struct NewInvite {
    /// the stored invitation
    pub row: InviteRow,
    /// the code to hand over
    pub code: Zeroizing<String>,
}

/// Creates a single-use invitation valid for `hours` (1–720), for `role`,
/// optionally only for `email`.
pub async fn create(
    state: &AppState,
    actor: &str,
    role: Role,
    email: Option<&str>,
    hours: u32,
) -> Result<NewInvite> {
    if !(1..=720).contains(&hours) {
        return Err(Error::InvalidExpiry(
            "expires_in_hours must be between 1 and 720",
        ));
    }
    if role != Role::User {
        // An invited account starts as a user; a role is asked for and
        // approved by two administrators once it exists (`grants`).
        return Err(Error::FourEyesRequired);
    }
    let email_index = match email {
        None => None,
        Some(e) if valid_email(e) => Some(email_index(state, e)?),
        Some(_) => return Err(Error::InvalidEmail),
    };
    let code = token::mint(TokenKind::Invite)?;
    let now = now_secs();
    let row = InviteRow {
        id: uuid::Uuid::new_v4().to_string(),
        token_hash: code.hash.to_vec(),
        role,
        email_index,
        created_by: actor.to_string(),
        created_at: now,
        expires_at: now + i64::from(hours) * 3600,
        used_at: None,
    };
    state.catalog().create_invite(&row).await?;
    audit(
        state,
        Some(actor),
        &format!("admin.invites.create:{}", role.as_str()),
        Some(&row.id),
        "success",
    )
    .await;
    Ok(NewInvite {
        row,
        code: code.secret,
    })
}

/// Every invitation.
pub async fn list(state: &AppState) -> Result<Vec<InviteRow>> {
    Ok(state.catalog().list_invites().await?)
}

/// Revokes an unused invitation.
pub async fn revoke(state: &AppState, actor: &str, id: &str) -> Result<()> {
    if !state.catalog().delete_invite(id).await? {
        return Err(Error::NotFound);
    }
    audit(
        state,
        Some(actor),
        "admin.invites.revoke",
        Some(id),
        "success",
    )
    .await;
    Ok(())
}
