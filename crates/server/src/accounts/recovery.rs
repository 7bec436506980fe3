//! Optional e-mail account recovery (`accounts.email_recovery`, off by
//! default). The only other way back into an account is the owner's own
//! recovery codes: no role can reset anyone's password or second factor.
//!
//! Asking for a recovery e-mails the account's owner a link that sets a new
//! password only after `accounts.email_recovery_delay_hours` (24 h) and for
//! a day after that. The same e-mail tells the owner it was asked for and
//! how to stop it: the link's cancel button, or simply signing in (any
//! sign-in cancels every pending recovery). The answer never says whether
//! the address has an account. Completing it sets the password and ends
//! every session; it does not touch the second factor, which a sign-in
//! still asks for. Every step is audited and the owner is told.

use std::net::IpAddr;

use pixelunion_auth::password::check_policy;
use pixelunion_auth::token::{self, TokenKind};
use pixelunion_catalog::{CatalogError, RecoveryRow};
use zeroize::Zeroizing;

use super::throttle;
use super::{Error, Result, audit, email_for};
use crate::AppState;
use crate::clock::now_secs;
use crate::mail::{self, Outgoing};

/// A recovery link works for this long once usable.
const USABLE_FOR_SECS: i64 = 24 * 3600;

fn enabled(state: &AppState) -> Result<()> {
    let c = state.config();
    if !c.accounts.email_recovery || !c.smtp.enabled() {
        return Err(Error::RecoveryUnavailable);
    }
    if state.keys().is_sealed() {
        return Err(Error::Sealed);
    }
    Ok(())
}

/// The throttle key of `what` (`ask`, `link`) from `ip`, if not throttled.
async fn throttled(state: &AppState, what: &str, ip: IpAddr) -> Result<String> {
    let key = format!("recovery-{what}:{ip}");
    if let Some(secs) = throttle::retry_after(state, &[&key]).await {
        return Err(Error::Throttled(secs));
    }
    Ok(key)
}

/// Asks for a recovery of the account with `email`. Answers the same
/// whether or not there is one (and whether one is pending already).
pub async fn request(state: &AppState, ip: IpAddr, email: &str) -> Result<()> {
    enabled(state)?;
    let key = throttled(state, "ask", ip).await?;
    // Every request counts against the address: a few, then a growing wait.
    throttle::failure(state, &[&key]).await;
    let Some(user) = super::user_by_email(state, email).await? else {
        return Ok(());
    };
    if user.disabled {
        return Ok(());
    }
    let code = token::mint(TokenKind::Recovery)?;
    let now = now_secs();
    let delay = i64::from(state.config().accounts.email_recovery_delay_hours) * 3600;
    let row = RecoveryRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        token_hash: code.hash.to_vec(),
        created_at: now,
        usable_at: now + delay,
        expires_at: now + delay + USABLE_FOR_SECS,
        state: "pending".into(),
        ended_at: None,
    };
    match state.catalog().create_recovery(&row).await {
        Ok(()) => {}
        // One at a time: the pending one's e-mail stands.
        Err(CatalogError::AlreadyExists) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    audit(state, None, "recovery.request", Some(&user.id), "success").await;
    let Some(to) = email_for(state, &user) else {
        return Ok(());
    };
    let host = &state.config().public_host;
    let when = crate::audit::export::rfc3339(row.usable_at);
    let until = crate::audit::export::rfc3339(row.expires_at);
    let body = format!(
        "Someone — we hope you — asked to reset the password of your PixelUnion account.\n\n\
         If it was you: from {when} until {until} (UTC) this link lets you choose a new password \
         (your two-step verification stays as it is):\n\n    https://{host}/recover#{code}\n\n\
         If it was not you: open the link and press \"Cancel this recovery\", or simply sign in — \
         any sign-in cancels it. Nobody at PixelUnion will ever ask you for this link or a code.\n",
        code = code.secret.as_str()
    );
    send(
        state,
        &user.id,
        to,
        "PixelUnion: a password reset was asked for",
        body,
    );
    Ok(())
}

/// Cancels the recovery a link belongs to.
pub async fn cancel(state: &AppState, ip: IpAddr, code: &str) -> Result<()> {
    enabled(state)?;
    let key = throttled(state, "link", ip).await?;
    let r = pending(state, &key, code).await?;
    state
        .catalog()
        .cancel_recoveries(&r.user_id, Some(&r.id), now_secs())
        .await?;
    audit(state, None, "recovery.cancel", Some(&r.user_id), "success").await;
    Ok(())
}

/// Sets a new password with a link inside its window.
pub async fn complete(
    state: &AppState,
    ip: IpAddr,
    code: &str,
    password: Zeroizing<String>,
) -> Result<()> {
    enabled(state)?;
    let key = throttled(state, "link", ip).await?;
    let r = pending(state, &key, code).await?;
    let now = now_secs();
    if now < r.usable_at {
        return Err(Error::RecoveryNotYet(crate::audit::export::rfc3339(
            r.usable_at,
        )));
    }
    if now >= r.expires_at {
        throttle::failure(state, &[&key]).await;
        return Err(Error::RecoveryInvalid);
    }
    let user = state
        .catalog()
        .user_by_id(&r.user_id)
        .await?
        .ok_or(Error::RecoveryInvalid)?;
    let email = email_for(state, &user).unwrap_or_default();
    check_policy(&password, &email).map_err(|e| Error::WeakPassword(e.to_string()))?;
    let hash = state.accounts().hash(password).await?;
    if !state.catalog().complete_recovery(&r.id, &hash, now).await? {
        return Err(Error::RecoveryInvalid);
    }
    throttle::success(state, &[&key]).await;
    audit(
        state,
        None,
        "recovery.complete",
        Some(&r.user_id),
        "success",
    )
    .await;
    if !email.is_empty() {
        let body = "The password of your PixelUnion account was just changed with an e-mailed \
                    recovery link, and every session was signed out. If this was not you, contact \
                    your administrators at once.\n"
            .to_string();
        send(
            state,
            &r.user_id,
            email,
            "PixelUnion: your password was changed",
            body,
        );
    }
    Ok(())
}

/// The pending recovery of `code`; an unknown, used or cancelled one
/// counts as a failed attempt.
async fn pending(state: &AppState, key: &str, code: &str) -> Result<RecoveryRow> {
    let found = if token::looks_like(TokenKind::Recovery, code) {
        state.catalog().pending_recovery(&token::hash(code)).await?
    } else {
        None
    };
    match found {
        Some(row) => Ok(row),
        None => {
            throttle::failure(state, &[key]).await;
            Err(Error::RecoveryInvalid)
        }
    }
}

/// After a sign-in: the owner is here, so any pending recovery ends.
pub async fn signed_in(state: &AppState, user_id: &str) {
    match state
        .catalog()
        .cancel_recoveries(user_id, None, now_secs())
        .await
    {
        Ok(0) => {}
        Ok(_) => {
            audit(
                state,
                Some(user_id),
                "recovery.cancel",
                Some(user_id),
                "success",
            )
            .await
        }
        Err(e) => tracing::warn!(error = %e, "pending recoveries were not cancelled at sign-in"),
    }
}

fn send(state: &AppState, user_id: &str, to: String, subject: &str, body: String) {
    let (state, user_id, subject) = (state.clone(), user_id.to_string(), subject.to_string());
    tokio::spawn(async move {
        let out = Outgoing {
            to: vec![to],
            subject,
            body,
        };
        let sent = mail::send(&state.config().smtp, &out, "account recovery").await;
        let outcome = sent.first().map_or("failure", mail::Delivery::outcome);
        audit(
            &state,
            None,
            "mail.account-recovery",
            Some(&user_id),
            outcome,
        )
        .await;
    });
}
