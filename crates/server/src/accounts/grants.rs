//! Four-eyes role grants. A privileged role (support, operator, security,
//! admin) is never given by one person: an administrator asks, with a
//! reason and a duration, and a *second* administrator — never the one who
//! asked, never the one who would hold it — approves within 72 hours. A
//! person may ask for a few hours of a role for themselves (just-in-time
//! elevation); an administrator other than them approves. The grantee must
//! have two-factor authentication first; approval ends their sessions so
//! the role starts on a fresh sign-in, and every grant has an end
//! (`grant_terms` takes it away then). Taking a role away needs one
//! administrator (`admin::update`).
//!
//! A deployment with one administrator uses break-glass instead: the
//! vault's key shares stand in for the second person ([`break_glass`]).
//! Every step is written to the audit trail before it takes effect, and
//! the people concerned are e-mailed where SMTP is configured.

use pixelunion_auth::Role;
use pixelunion_catalog::{CatalogError, Decision, RoleRequestRow, UserRow};
use serde::Serialize;

use super::principal::Principal;
use super::{Error, Result, audit};
use crate::AppState;
use crate::clock::now_secs;
use crate::fields::{self, Column};

/// A request lapses when no second administrator has answered by then.
pub const REQUEST_LIFETIME_SECS: i64 = 72 * 3600;
/// The longest grant anyone can make.
pub const MAX_GRANT_DAYS: u32 = 365;
const DAY: i64 = 86_400;

/// How long a grant asked for lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duration {
    /// whole days (1 to 365)
    Days(u32),
    /// hours (just-in-time: 1 to `accounts.elevation_max_hours`)
    Hours(u32),
    /// the configured default (`accounts.role_grant_days`)
    Default,
}

impl Duration {
    /// From a request's optional `days` and `hours`.
    pub fn from_parts(days: Option<u32>, hours: Option<u32>) -> Result<Self> {
        match (days, hours) {
            (Some(_), Some(_)) => Err(Error::InvalidDuration("give days or hours, not both")),
            (Some(d), None) => Ok(Duration::Days(d)),
            (None, Some(h)) => Ok(Duration::Hours(h)),
            (None, None) => Ok(Duration::Default),
        }
    }

    /// Seconds, checked against the limits.
    fn secs(self, state: &AppState) -> Result<i64> {
        let a = &state.config().accounts;
        match self {
            Duration::Days(d) if (1..=MAX_GRANT_DAYS).contains(&d) => Ok(i64::from(d) * DAY),
            Duration::Days(_) => Err(Error::InvalidDuration(
                "days must be between 1 and 365: every privileged grant ends within a year",
            )),
            Duration::Hours(h) if (1..=a.elevation_max_hours).contains(&h) => {
                Ok(i64::from(h) * 3600)
            }
            Duration::Hours(_) => Err(Error::InvalidDuration(
                "hours must be between 1 and accounts.elevation_max_hours",
            )),
            Duration::Default => Ok(i64::from(a.role_grant_days) * DAY),
        }
    }
}

/// A role request as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    /// request id
    pub id: String,
    /// the account that would hold the role
    pub user_id: String,
    /// the role asked for
    #[schema(value_type = String)]
    pub role: Role,
    /// who asked (the grantee itself for just-in-time elevation)
    pub requested_by: String,
    /// why (shown to administrators and the people concerned only)
    pub reason: Option<String>,
    /// how long the role is held once approved (s)
    pub duration_secs: i64,
    /// asked at (unix s)
    pub created_at: i64,
    /// lapses unanswered at (unix s)
    pub expires_at: i64,
    /// `pending`, `approved`, `rejected`, `expired`, `cancelled`
    pub state: String,
    /// who decided
    pub decided_by: Option<String>,
    /// decided at (unix s)
    pub decided_at: Option<i64>,
}

impl RequestView {
    fn new(state: &AppState, r: &RoleRequestRow) -> Self {
        RequestView {
            id: r.id.clone(),
            user_id: r.user_id.clone(),
            role: r.role,
            requested_by: r.requested_by.clone(),
            reason: open_reason(state, r),
            duration_secs: r.duration_secs,
            created_at: r.created_at,
            expires_at: r.expires_at,
            state: r.state.clone(),
            decided_by: r.decided_by.clone(),
            decided_at: r.decided_at,
        }
    }
}

fn open_reason(state: &AppState, r: &RoleRequestRow) -> Option<String> {
    state
        .keys()
        .with_keyring(|k| fields::open_system_text(k, Column::RoleRequestReason, &r.id, &r.reason))
        .flatten()
}

/// A reason as given: trimmed, 1 to 500 characters, no control characters.
pub fn valid_reason(reason: &str) -> Result<&str> {
    let r = reason.trim();
    let n = r.chars().count();
    if n == 0 || n > 500 || r.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::InvalidReason);
    }
    Ok(r)
}

fn privileged(role: Role) -> Result<Role> {
    if role == Role::User {
        return Err(Error::NotAGrant);
    }
    Ok(role)
}

/// Who may hold a role: an existing account, enabled, not being deleted,
/// with a second factor enrolled.
async fn eligible(state: &AppState, user_id: &str) -> Result<UserRow> {
    let c = state.catalog();
    let user = c.user_by_id(user_id).await?.ok_or(Error::NotFound)?;
    if user.disabled || c.account_deletion(user_id).await?.is_some() {
        return Err(Error::GranteeUnavailable);
    }
    if user.totp_secret.is_none() {
        return Err(Error::GranteeWithoutMfa);
    }
    Ok(user)
}

/// What a new request asks for.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// the account that would hold the role
    pub user_id: &'a str,
    /// the role
    pub role: Role,
    /// why
    pub reason: &'a str,
    /// for how long
    pub duration: Duration,
}

/// An administrator asks for `ask.user_id` (someone else) to hold a role.
pub async fn request(state: &AppState, actor: &Principal, ask: Ask<'_>) -> Result<RequestView> {
    if ask.user_id == actor.user.id {
        // One's own role is asked for as an elevation, like anyone's.
        return Err(Error::SelfChange);
    }
    open_request(state, &actor.user.id, ask).await
}

/// Anyone with two-factor authentication asks for a role for themselves,
/// for a few hours (just-in-time elevation); an administrator approves.
pub async fn elevate(
    state: &AppState,
    actor: &Principal,
    role: Role,
    reason: &str,
    hours: u32,
) -> Result<RequestView> {
    let ask = Ask {
        user_id: &actor.user.id,
        role,
        reason,
        duration: Duration::Hours(hours),
    };
    open_request(state, &actor.user.id, ask).await
}

/// A new pending request row, its reason sealed under the system key.
fn pending_row(
    state: &AppState,
    user_id: &str,
    role: Role,
    by: &str,
    reason: &str,
    duration_secs: i64,
) -> Result<RoleRequestRow> {
    let id = uuid::Uuid::new_v4().to_string();
    let sealed = state
        .keys()
        .with_keyring(|k| fields::seal_system_text(k, Column::RoleRequestReason, &id, reason))
        .ok_or(Error::Sealed)??;
    let now = now_secs();
    Ok(RoleRequestRow {
        id,
        user_id: user_id.to_string(),
        role,
        requested_by: by.to_string(),
        reason: sealed,
        duration_secs,
        created_at: now,
        expires_at: now + REQUEST_LIFETIME_SECS,
        state: "pending".into(),
        decided_by: None,
        decided_at: None,
    })
}

async fn open_request(state: &AppState, by: &str, ask: Ask<'_>) -> Result<RequestView> {
    let role = privileged(ask.role)?;
    let reason = valid_reason(ask.reason)?;
    let duration_secs = ask.duration.secs(state)?;
    eligible(state, ask.user_id).await?;
    let row = pending_row(state, ask.user_id, role, by, reason, duration_secs)?;
    let action = format!("role.request:{}", role.as_str());
    super::admin::required(state, by, &action, ask.user_id).await?;
    match state.catalog().create_role_request(&row).await {
        Ok(()) => {}
        Err(CatalogError::AlreadyExists) => return Err(Error::RequestPending),
        Err(e) => return Err(e.into()),
    }
    audit(state, Some(by), &action, Some(ask.user_id), "success").await;
    let view = RequestView::new(state, &row);
    super::grant_terms::tell(state, super::grant_terms::Notice::Requested(view.clone()));
    Ok(view)
}

/// Every request, newest first (the listing is audited).
pub async fn list(state: &AppState, actor: &str) -> Result<Vec<RequestView>> {
    let rows = state.catalog().role_requests(500).await?;
    audit(state, Some(actor), "role.requests.list", None, "success").await;
    Ok(rows.iter().map(|r| RequestView::new(state, r)).collect())
}

/// Approves a pending request: a second administrator, neither the one who
/// asked nor the grantee, and the grantee still eligible.
pub async fn approve(state: &AppState, actor: &Principal, id: &str) -> Result<RequestView> {
    let c = state.catalog();
    let r = pending(state, id).await?;
    if actor.user.id == r.requested_by || actor.user.id == r.user_id {
        audit(
            state,
            Some(&actor.user.id),
            "role.approve",
            Some(&r.user_id),
            "denied",
        )
        .await;
        return Err(Error::OwnRequest);
    }
    eligible(state, &r.user_id).await?;
    let now = now_secs();
    let until = now + r.duration_secs;
    let action = format!("role.grant:{}", r.role.as_str());
    super::admin::required(state, &actor.user.id, &action, &r.user_id).await?;
    let decision = Decision::Approve {
        until,
        // A grant of a day or less is not reminded of: it is over soon.
        reminded: r.duration_secs <= DAY,
    };
    if !c
        .decide_role_request(id, &actor.user.id, now, decision)
        .await?
    {
        return Err(Error::RequestClosed);
    }
    state.keys().forget_user_key(&r.user_id);
    audit(
        state,
        Some(&actor.user.id),
        &action,
        Some(&r.user_id),
        "success",
    )
    .await;
    let view = decided(state, id).await?;
    super::grant_terms::tell(state, super::grant_terms::Notice::Granted(view.clone()));
    Ok(view)
}

/// Refuses a pending request (another administrator), or withdraws it (the
/// one who asked).
pub async fn refuse(state: &AppState, actor: &Principal, id: &str) -> Result<RequestView> {
    let r = pending(state, id).await?;
    let (decision, action) = if actor.user.id == r.requested_by {
        (Decision::Cancel, "role.request.cancel")
    } else if actor.user.id == r.user_id {
        return Err(Error::OwnRequest);
    } else {
        (Decision::Reject, "role.request.reject")
    };
    decide_plain(state, &actor.user.id, &r, decision, action).await
}

/// Withdraws the caller's own pending elevation request.
pub async fn withdraw_elevation(state: &AppState, actor: &Principal) -> Result<RequestView> {
    let r = state
        .catalog()
        .pending_role_request(&actor.user.id)
        .await?
        .filter(|r| r.requested_by == actor.user.id)
        .ok_or(Error::NotFound)?;
    decide_plain(
        state,
        &actor.user.id,
        &r,
        Decision::Cancel,
        "role.request.cancel",
    )
    .await
}

async fn decide_plain(
    state: &AppState,
    by: &str,
    r: &RoleRequestRow,
    decision: Decision,
    action: &str,
) -> Result<RequestView> {
    if !state
        .catalog()
        .decide_role_request(&r.id, by, now_secs(), decision)
        .await?
    {
        return Err(Error::RequestClosed);
    }
    audit(state, Some(by), action, Some(&r.user_id), "success").await;
    let view = decided(state, &r.id).await?;
    if decision == Decision::Reject {
        super::grant_terms::tell(state, super::grant_terms::Notice::Refused(view.clone()));
    }
    Ok(view)
}

async fn pending(state: &AppState, id: &str) -> Result<RoleRequestRow> {
    let r = state
        .catalog()
        .role_request(id)
        .await?
        .ok_or(Error::NotFound)?;
    if r.state != "pending" || r.expires_at <= now_secs() {
        return Err(Error::RequestClosed);
    }
    Ok(r)
}

async fn decided(state: &AppState, id: &str) -> Result<RequestView> {
    let r = state
        .catalog()
        .role_request(id)
        .await?
        .ok_or(Error::Corrupt("a decided role request is gone"))?;
    Ok(RequestView::new(state, &r))
}

/// A break-glass grant: the vault's key shares (the threshold of them)
/// stand in for the second administrator.
#[derive(Debug)]
pub struct BreakGlass<'a> {
    /// the shares, as printed at initialisation
    pub shares: &'a [String],
    /// the account to hold the role, by e-mail
    pub email: &'a str,
    /// the role
    pub role: Role,
    /// why
    pub reason: &'a str,
    /// how long
    pub duration: Duration,
}

/// Grants a role on the strength of the key shares (a deployment with one
/// administrator, or none left). Refused shares are audited as a failure.
pub async fn break_glass(state: &AppState, g: BreakGlass<'_>) -> Result<RequestView> {
    let role = privileged(g.role)?;
    let reason = valid_reason(g.reason)?;
    let duration_secs = g.duration.secs(state)?;
    if state.keys().verify_shares(g.shares).is_err() {
        audit(state, None, "break_glass.grant", None, "denied").await;
        return Err(Error::InvalidShares);
    }
    let user = super::user_by_email(state, g.email)
        .await?
        .ok_or(Error::NotFound)?;
    eligible(state, &user.id).await?;
    let row = pending_row(state, &user.id, role, BREAK_GLASS, reason, duration_secs)?;
    let (id, now) = (row.id.clone(), row.created_at);
    let action = format!("break_glass.grant:{}", role.as_str());
    super::admin::required(state, BREAK_GLASS, &action, &user.id).await?;
    let c = state.catalog();
    // A request of the grantee's still waiting is superseded.
    if let Some(old) = c.pending_role_request(&user.id).await? {
        c.decide_role_request(&old.id, BREAK_GLASS, now, Decision::Cancel)
            .await?;
    }
    match c.create_role_request(&row).await {
        Ok(()) => {}
        Err(CatalogError::AlreadyExists) => return Err(Error::RequestPending),
        Err(e) => return Err(e.into()),
    }
    let decision = Decision::Approve {
        until: now + duration_secs,
        reminded: duration_secs <= DAY,
    };
    if !c
        .decide_role_request(&id, BREAK_GLASS, now, decision)
        .await?
    {
        return Err(Error::RequestClosed);
    }
    state.keys().forget_user_key(&user.id);
    audit(state, Some(BREAK_GLASS), &action, Some(&user.id), "success").await;
    let view = decided(state, &id).await?;
    super::grant_terms::tell(state, super::grant_terms::Notice::BrokenGlass(view.clone()));
    Ok(view)
}

/// The actor a break-glass grant is recorded under (no account: the shares).
pub const BREAK_GLASS: &str = "break-glass";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_bounded_and_printable() {
        assert_eq!(
            valid_reason("  on call this week \n").ok(),
            Some("on call this week")
        );
        assert!(matches!(valid_reason("   "), Err(Error::InvalidReason)));
        assert!(matches!(
            valid_reason(&"x".repeat(501)),
            Err(Error::InvalidReason)
        ));
        assert!(valid_reason(&"é".repeat(500)).is_ok());
        assert!(matches!(
            valid_reason("a\u{1b}[2Jb"),
            Err(Error::InvalidReason)
        ));
        assert!(valid_reason("line one\nline two").is_ok());
    }

    #[test]
    fn durations_come_as_days_or_hours_never_both() {
        assert_eq!(
            Duration::from_parts(None, None).ok(),
            Some(Duration::Default)
        );
        assert_eq!(
            Duration::from_parts(Some(3), None).ok(),
            Some(Duration::Days(3))
        );
        assert_eq!(
            Duration::from_parts(None, Some(2)).ok(),
            Some(Duration::Hours(2))
        );
        assert!(matches!(
            Duration::from_parts(Some(1), Some(1)),
            Err(Error::InvalidDuration(_))
        ));
    }

    #[test]
    fn the_user_role_is_not_a_grant() {
        assert!(matches!(privileged(Role::User), Err(Error::NotAGrant)));
        for r in [Role::Support, Role::Operator, Role::Security, Role::Admin] {
            assert_eq!(privileged(r).ok(), Some(r));
        }
    }
}
