//! Signing in: e-mail and password (Argon2id, the same time for unknown
//! accounts), then the second factor when one is enrolled (TOTP, each step
//! usable once, or a single-use recovery code), throttled per client
//! address and per account, audited either way.

use std::net::IpAddr;

use pixelunion_auth::mfa;
use pixelunion_auth::password::Verified;
use pixelunion_catalog::UserRow;
use zeroize::Zeroizing;

use super::throttle;
use super::{Error, Result, audit, email_candidates, normalize_email, start_session};
use crate::AppState;
use crate::audit::{Event, record};
use crate::clock::now_secs;
use crate::fields::{self, Column};

/// What a sign-in attempt brings.
#[derive(Debug)]
pub struct Attempt {
    /// the e-mail address
    pub email: String,
    /// the password
    pub password: Zeroizing<String>,
    /// a TOTP code, when the account has one enrolled
    pub totp: Option<Zeroizing<String>>,
    /// or a recovery code
    pub recovery_code: Option<Zeroizing<String>>,
    /// the client's address (throttling, the session's description)
    pub ip: IpAddr,
    /// the client's User-Agent
    pub user_agent: Option<String>,
}

/// A successful sign-in.
#[derive(Debug)]
pub struct SignedIn {
    /// the account
    pub user: UserRow,
    /// the new session's token (give it to the client once)
    pub token: Zeroizing<String>,
    /// how long the session may last at most, in seconds
    pub max_age_secs: i64,
}

/// Checks the credentials and opens a session.
pub async fn login(state: &AppState, a: Attempt) -> Result<SignedIn> {
    if state.keys().is_sealed() {
        return Err(Error::Sealed);
    }
    let email = normalize_email(&a.email);
    let indexes = email_candidates(state, &email)?;
    let ip_key = format!("ip:{}", a.ip);
    let acct_key = format!(
        "acct:{}",
        indexes
            .first()
            .map(|i| hex::encode(&i.tag[..8]))
            .unwrap_or_default()
    );
    let keys = [ip_key.as_str(), acct_key.as_str()];
    let agent = a.user_agent.as_deref().unwrap_or("unknown client");
    let client = format!("{} · {}", a.ip, agent.chars().take(200).collect::<String>());
    if let Some(secs) = throttle::retry_after(state, &keys).await {
        record(
            state,
            Event::new(None, "login.throttled", None, "denied").from_client(&client),
        )
        .await;
        crate::metrics::get().sign_in("throttled");
        return Err(Error::Throttled(secs));
    }
    let idx: Vec<Vec<u8>> = indexes.iter().map(|i| i.to_bytes().to_vec()).collect();
    let user = state.catalog().user_by_email_index(&idx).await?;
    let verified = state
        .accounts()
        .verify(
            a.password.clone(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let user = match (user, verified) {
        (Some(u), Verified::Yes | Verified::YesRehash) if !u.disabled => u,
        (u, _) => {
            throttle::failure(state, &keys).await;
            crate::metrics::get().sign_in("failed");
            let target = u.as_ref().map(|u| u.id.as_str());
            record(
                state,
                Event::new(None, "login", target, "failure").from_client(&client),
            )
            .await;
            return Err(Error::InvalidCredentials);
        }
    };
    if user.totp_secret.is_some() {
        second_factor(state, &user, &a, &keys).await?;
    }
    throttle::success(state, &keys).await;
    crate::metrics::get().sign_in("ok");
    if verified == Verified::YesRehash
        && let Ok(h) = state.accounts().hash(a.password.clone()).await
    {
        let _ = state
            .catalog()
            .set_password(&user.id, &h, user.must_change_password)
            .await;
    }
    let user = super::grant_terms::settle(state, user).await?;
    super::recovery::signed_in(state, &user.id).await;
    let token = start_session(state, &user, &client).await?;
    let _ = state.catalog().touch_login(&user.id, now_secs()).await;
    let me = Some(user.id.as_str());
    record(
        state,
        Event::new(me, "login", me, "success").from_client(&client),
    )
    .await;
    if let Err(e) = super::devices::on_sign_in(state, &user, agent, &a.ip.to_string()).await {
        tracing::warn!(error = %e, "could not record the sign-in's device");
    }
    // The cookie lives as long as the session may: the role's absolute timeout.
    let max_age_secs = i64::try_from(
        state
            .config()
            .accounts
            .timeouts(user.role)
            .absolute
            .as_secs(),
    )
    .unwrap_or(i64::MAX);
    Ok(SignedIn {
        user,
        token,
        max_age_secs,
    })
}

/// One of the enrolled second factors (TOTP or a recovery code today; a
/// WebAuthn assertion becomes one more `Factor` variant).
async fn second_factor(state: &AppState, user: &UserRow, a: &Attempt, keys: &[&str]) -> Result<()> {
    let ok = check_second_factor(
        state,
        user,
        a.totp.as_deref().map(String::as_str),
        a.recovery_code.as_deref().map(String::as_str),
    )
    .await?;
    if !ok {
        throttle::failure(state, keys).await;
        crate::metrics::get().sign_in("failed");
        audit(
            state,
            Some(&user.id),
            "login.mfa",
            Some(&user.id),
            "failure",
        )
        .await;
        return Err(Error::InvalidCredentials);
    }
    if a.totp.is_none() {
        audit(
            state,
            Some(&user.id),
            "login.recovery-code",
            Some(&user.id),
            "success",
        )
        .await;
    }
    Ok(())
}

/// Checks a TOTP code (used once: its step is claimed) or else a recovery
/// code (used up) against `user`'s enrolment; [`Error::MfaRequired`] when
/// neither is given.
pub(crate) async fn check_second_factor(
    state: &AppState,
    user: &UserRow,
    totp: Option<&str>,
    recovery: Option<&str>,
) -> Result<bool> {
    let factor = match (totp, recovery) {
        (Some(code), _) => mfa::Factor::Totp(code.to_string()),
        (None, Some(code)) => mfa::Factor::Recovery(code.to_string()),
        (None, None) => return Err(Error::MfaRequired),
    };
    Ok(match &factor {
        mfa::Factor::Totp(code) => {
            let key = state.keys().user_key(user)?;
            let secret_ct = user
                .totp_secret
                .as_deref()
                .ok_or(Error::Corrupt("TOTP checked without a secret"))?;
            let secret = fields::open(&key, Column::UserTotpSecret, &user.id, &user.id, secret_ct)?;
            match mfa::verify_totp(
                &secret,
                code,
                u64::try_from(now_secs()).unwrap_or(0),
                user.totp_last_step.and_then(|s| u64::try_from(s).ok()),
            ) {
                Some(step) => {
                    state
                        .catalog()
                        .claim_totp_step(&user.id, i64::try_from(step).unwrap_or(i64::MAX))
                        .await?
                }
                None => false,
            }
        }
        mfa::Factor::Recovery(code) => {
            state
                .catalog()
                .use_recovery_code(&user.id, &mfa::recovery_hash(code), now_secs())
                .await?
        }
    })
}
