//! Changing one's own credentials: the password (re-authenticated, ends the
//! other sessions) and TOTP enrolment (a new secret handed out with an
//! enrolment ticket — the secret encrypted under the user's key — confirmed
//! by a first code, which also issues ten single-use recovery codes).

use pixelunion_auth::mfa;
use pixelunion_auth::password::{Verified, check_policy};
use zeroize::Zeroizing;

use super::throttle;
use super::{Error, Principal, Result, audit, email_for};
use crate::AppState;
use crate::clock::now_secs;
use crate::fields::{self, Column};

/// Re-authentication: the current password, checked with the login throttle.
pub async fn reauthenticate(
    state: &AppState,
    p: &Principal,
    password: &Zeroizing<String>,
) -> Result<()> {
    let key = format!("reauth:{}", p.user.id);
    if let Some(secs) = throttle::retry_after(state, &[&key]).await {
        return Err(Error::Throttled(secs));
    }
    match state
        .accounts()
        .verify(password.clone(), Some(p.user.password_hash.clone()))
        .await?
    {
        Verified::No => {
            throttle::failure(state, &[&key]).await;
            audit(
                state,
                Some(&p.user.id),
                "reauth",
                Some(&p.user.id),
                "failure",
            )
            .await;
            Err(Error::ReauthenticationFailed)
        }
        _ => {
            throttle::success(state, &[&key]).await;
            Ok(())
        }
    }
}

/// Sets a new password; returns how many other sessions ended.
pub async fn change_password(
    state: &AppState,
    p: &Principal,
    current: &Zeroizing<String>,
    new: Zeroizing<String>,
) -> Result<u64> {
    reauthenticate(state, p, current).await?;
    let email = email_for(state, &p.user).unwrap_or_default();
    check_policy(&new, &email).map_err(|e| Error::WeakPassword(e.to_string()))?;
    if *new == **current {
        return Err(Error::WeakPassword(
            "choose a password different from the current one".into(),
        ));
    }
    let hash = state.accounts().hash(new).await?;
    let c = state.catalog();
    c.set_password(&p.user.id, &hash, false).await?;
    let ended = c
        .delete_other_sessions(&p.user.id, Some(&p.session_hash))
        .await?;
    audit(
        state,
        Some(&p.user.id),
        "password.change",
        Some(&p.user.id),
        "success",
    )
    .await;
    Ok(ended)
}

/// A TOTP enrolment in progress (shown once).
#[derive(Debug)]
pub struct Enrolment {
    /// `otpauth://` URI (for the QR code)
    pub otpauth_uri: Zeroizing<String>,
    /// the QR code as SVG
    pub qr_svg: String,
    /// the secret in base32 (for typing)
    pub secret: Zeroizing<String>,
    /// the ticket to send back with the first code
    pub ticket: Vec<u8>,
}

/// Starts TOTP enrolment (re-authenticated).
pub async fn begin_totp(
    state: &AppState,
    p: &Principal,
    password: &Zeroizing<String>,
) -> Result<Enrolment> {
    reauthenticate(state, p, password).await?;
    let secret = mfa::new_secret()?;
    let email = email_for(state, &p.user).unwrap_or_else(|| p.user.id.clone());
    let uri = mfa::otpauth_uri(&secret, &email)?;
    let key = state.keys().user_key(&p.user)?;
    let ticket = fields::seal(
        &key,
        Column::UserTotpEnrolment,
        &p.user.id,
        &p.user.id,
        &secret,
    )?;
    Ok(Enrolment {
        qr_svg: mfa::qr_svg(&uri)?,
        otpauth_uri: uri,
        secret: mfa::secret_base32(&secret),
        ticket,
    })
}

/// A confirmed enrolment.
#[derive(Debug)]
pub struct Enrolled {
    /// ten single-use recovery codes (shown once)
    pub recovery_codes: Vec<Zeroizing<String>>,
    /// other sessions ended
    pub other_sessions_ended: u64,
}

/// Finishes TOTP enrolment with the ticket and a first code.
pub async fn confirm_totp(
    state: &AppState,
    p: &Principal,
    ticket: &[u8],
    code: &str,
) -> Result<Enrolled> {
    let user_key = state.keys().user_key(&p.user)?;
    let secret = fields::open(
        &user_key,
        Column::UserTotpEnrolment,
        &p.user.id,
        &p.user.id,
        ticket,
    )
    .map_err(|_| Error::InvalidEnrolment)?;
    let stored = fields::seal(
        &user_key,
        Column::UserTotpSecret,
        &p.user.id,
        &p.user.id,
        &secret,
    )?;
    let key = format!("mfa-enrol:{}", p.user.id);
    if let Some(secs) = throttle::retry_after(state, &[&key]).await {
        return Err(Error::Throttled(secs));
    }
    let Some(step) = mfa::verify_totp(&secret, code, u64::try_from(now_secs()).unwrap_or(0), None)
    else {
        throttle::failure(state, &[&key]).await;
        return Err(Error::InvalidCode);
    };
    let codes = mfa::new_recovery_codes()?;
    let hashes: Vec<[u8; 32]> = codes.iter().map(|(_, h)| *h).collect();
    let c = state.catalog();
    c.set_totp(&p.user.id, Some(&stored)).await?;
    c.claim_totp_step(&p.user.id, i64::try_from(step).unwrap_or(i64::MAX))
        .await?;
    c.replace_recovery_codes(&p.user.id, &hashes).await?;
    let ended = c
        .delete_other_sessions(&p.user.id, Some(&p.session_hash))
        .await?;
    throttle::success(state, &[&key]).await;
    audit(
        state,
        Some(&p.user.id),
        "mfa.totp.enrol",
        Some(&p.user.id),
        "success",
    )
    .await;
    Ok(Enrolled {
        recovery_codes: codes.into_iter().map(|(c, _)| c).collect(),
        other_sessions_ended: ended,
    })
}
