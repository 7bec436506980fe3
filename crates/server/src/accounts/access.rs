//! The account's own data, on request (data-subject access): everything the
//! service stores about the account apart from the library itself (which
//! the export carries) — profile, sessions with the client each came from,
//! API tokens, the security events about it from the audit trail, counts —
//! decrypted for its owner only. Also the security page's event list.

use pixelunion_catalog::{AuditRow, UserRow};
use serde::Serialize;

use super::sessions::SessionView;
use super::tokens::TokenView;
use super::{Principal, Result, email_for};
use crate::AppState;

/// Security events listed at most.
const EVENTS: i64 = 500;

/// One security event about the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SecurityEvent {
    /// unix seconds
    pub at: i64,
    /// what happened (`login`, `password.change`, `session.revoke`, …)
    pub action: String,
    /// `success`, `failure`, `denied`, `request`
    pub outcome: String,
    /// `you`, `staff` (an administrator acting on the account) or `system`
    pub by: String,
    /// "address · user agent", when recorded
    pub client: Option<String>,
}

/// The account's security events, newest first (never another account's,
/// never a staff member's identity).
pub async fn security_events(
    state: &AppState,
    user: &UserRow,
    limit: i64,
) -> Result<Vec<SecurityEvent>> {
    let rows = state.catalog().audit_about(&user.id, limit).await?;
    Ok(rows.iter().map(|r| event(state, user, r)).collect())
}

fn event(state: &AppState, user: &UserRow, r: &AuditRow) -> SecurityEvent {
    let by = match r.actor.as_deref() {
        Some(a) if a == user.id => "you",
        Some(_) => "staff",
        None => "system",
    };
    SecurityEvent {
        at: r.at,
        action: r.action.clone(),
        outcome: r.outcome.clone(),
        by: by.into(),
        // Only the owner's own requests carry their client.
        client: (by == "you" || r.target.as_deref() == Some(&user.id) && by == "system")
            .then(|| crate::audit::client_of(state, r))
            .flatten(),
    }
}

/// The profile part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProfileData {
    /// account id
    pub id: String,
    /// e-mail address
    pub email: Option<String>,
    /// role
    pub role: String,
    /// created (unix s)
    pub created_at: i64,
    /// last sign-in (unix s)
    pub last_login_at: Option<i64>,
    /// an authenticator app is enrolled
    pub mfa_enrolled: bool,
    /// storage quota in bytes (none: the server's default)
    pub quota_bytes: Option<i64>,
}

/// Counts of the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LibraryCounts {
    /// items stored (trash included)
    pub assets: i64,
    /// bytes of originals stored
    pub bytes: i64,
    /// albums
    pub albums: i64,
}

/// What the service stores about the account.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AccessReport {
    /// `pixelunion-access-v1`
    pub format: String,
    /// when this was made (RFC 3339)
    pub generated_at: String,
    /// the account
    pub profile: ProfileData,
    /// its sessions
    pub sessions: Vec<SessionView>,
    /// its API tokens (never the secrets)
    pub api_tokens: Vec<TokenView>,
    /// security events about it (newest first, at most 500)
    pub security_events: Vec<SecurityEvent>,
    /// the library in numbers (the library itself: ask for an export)
    pub library: LibraryCounts,
    /// the Data Protection Officer to write to
    pub data_protection_officer: String,
    /// what else is kept and why
    pub notes: Vec<String>,
}

/// The access report of the caller's account (reading it is audited).
pub async fn report(state: &AppState, p: &Principal) -> Result<AccessReport> {
    let c = state.catalog();
    let user = &p.user;
    let (bytes, assets) = c.usage(&user.id).await?;
    let albums = i64::try_from(c.albums(&user.id).await?.len()).unwrap_or(i64::MAX);
    let contacts = &state.config().contacts;
    let report = AccessReport {
        format: "pixelunion-access-v1".into(),
        generated_at: crate::audit::export::rfc3339(crate::clock::now_secs()),
        profile: ProfileData {
            id: user.id.clone(),
            email: email_for(state, user),
            role: user.role.as_str().into(),
            created_at: user.created_at,
            last_login_at: user.last_login_at,
            mfa_enrolled: user.totp_secret.is_some(),
            quota_bytes: c.user_quota(&user.id).await?,
        },
        sessions: super::sessions::list(state, p).await?,
        api_tokens: super::tokens::list(state, user).await?,
        security_events: security_events(state, user, EVENTS).await?,
        library: LibraryCounts {
            assets,
            bytes,
            albums,
        },
        data_protection_officer: contacts.dpo_for(&state.config().public_host),
        notes: vec![
            "Photos, videos, file names, captions, EXIF/XMP details and album names are stored encrypted under a key of this account; an export (POST /api/v1/exports) gives all of them back.".into(),
            "The password is kept only as an Argon2id hash; recovery codes and API tokens only as hashes.".into(),
            "Backups hold the same encrypted data and are kept at most 30 days.".into(),
        ],
    };
    super::audit(
        state,
        Some(&user.id),
        "account.access-report",
        Some(&user.id),
        "success",
    )
    .await;
    Ok(report)
}
