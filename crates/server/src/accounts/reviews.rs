//! Access reviews. Every `accounts.access_review_days` (a quarter by
//! default) a review opens: one line per account holding a privileged role,
//! with its role, last sign-in, MFA state, the role's end and when it last
//! used each of its permissions (read from the audit trail). A security
//! officer confirms or revokes each line — revoking takes the role away at
//! once — and the review closes with its last line; it is overdue after
//! `accounts.access_review_due_days`. A finished review is exported as JSON
//! or CSV. Every step is audited. Facts only: nothing here reads content.

use std::collections::BTreeMap;

use pixelunion_auth::{Permission, Role, roles};
use pixelunion_catalog::{AccessReviewLineRow, AccessReviewRow, CatalogError};
use serde::Serialize;

use super::principal::{Principal, role_ended};
use super::{Error, Result, audit, email_for};
use crate::AppState;
use crate::clock::now_secs;

const DAY: i64 = 86_400;

/// The permission an audited action used, if it is a privileged one.
pub fn permission_of(action: &str) -> Option<Permission> {
    let starts = |p: &str| action.starts_with(p);
    if action == "admin.users.list" {
        Some(Permission::ViewAccounts)
    } else if starts("admin.users.role") || starts("role.grant") || starts("role.request") {
        Some(Permission::ManageRoles)
    } else if starts("admin.users.") || starts("admin.invites.") || action == "account.delete" {
        Some(Permission::ManageUsers)
    } else if starts("sys.") || starts("backup.") {
        Some(Permission::OperateSystem)
    } else if starts("audit.") {
        Some(Permission::ReadAudit)
    } else if starts("incident.") || starts("access_review.") {
        Some(Permission::ManageIncidents)
    } else {
        None
    }
}

/// The privileged permissions of `role` (not the ones everyone has).
fn privileged_permissions(role: Role) -> Vec<Permission> {
    Permission::ALL
        .into_iter()
        .filter(|p| !matches!(p, Permission::OwnLibrary | Permission::OwnAccount))
        .filter(|p| roles::allows(role, *p))
        .collect()
}

/// One line as reviewers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineView {
    /// the account
    pub user_id: String,
    /// its e-mail (staff accounts: the reviewer must know who holds access)
    pub email: Option<String>,
    /// the role under review
    #[schema(value_type = String)]
    pub role: Role,
    /// the role it holds now (a line whose account no longer holds the
    /// role cannot be decided)
    #[schema(value_type = String)]
    pub role_now: Role,
    /// last sign-in when the review opened (unix s)
    pub last_login_at: Option<i64>,
    /// TOTP enrolled when the review opened
    pub mfa_enrolled: bool,
    /// the role's end when the review opened (unix s)
    pub role_expires_at: Option<i64>,
    /// each of the role's permissions → when last used (unix s; null: never)
    #[schema(value_type = Object)]
    pub last_used: serde_json::Value,
    /// `confirmed`, `revoked`, `lapsed` (the account no longer held the
    /// role), or null while undecided
    pub decision: Option<String>,
    /// who decided
    pub decided_by: Option<String>,
    /// unix seconds
    pub decided_at: Option<i64>,
}

/// A review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    /// id
    pub id: String,
    /// unix seconds
    pub opened_at: i64,
    /// to be finished by (unix s)
    pub due_at: i64,
    /// finished at (unix s)
    pub closed_at: Option<i64>,
    /// who opened it (null: the schedule)
    pub opened_by: Option<String>,
    /// open past its due date
    pub overdue: bool,
    /// lines still undecided
    pub undecided: usize,
    /// the lines (in a listing: empty)
    pub lines: Vec<LineView>,
}

fn review_view(r: AccessReviewRow, lines: Vec<LineView>, undecided: usize) -> ReviewView {
    let overdue = r.closed_at.is_none() && now_secs() > r.due_at;
    ReviewView {
        id: r.id,
        opened_at: r.opened_at,
        due_at: r.due_at,
        closed_at: r.closed_at,
        opened_by: r.opened_by,
        overdue,
        undecided,
        lines,
    }
}

async fn line_views(state: &AppState, id: &str) -> Result<Vec<LineView>> {
    let c = state.catalog();
    let mut out = Vec::new();
    for l in c.access_review_lines(id).await? {
        let user = c.user_by_id(&l.user_id).await?;
        let now = now_secs();
        let role_now = match &user {
            Some(u) if !role_ended(u, now) => u.role,
            _ => Role::User,
        };
        out.push(LineView {
            email: user.as_ref().and_then(|u| email_for(state, u)),
            role_now,
            last_used: serde_json::from_str(&l.last_used).unwrap_or(serde_json::Value::Null),
            user_id: l.user_id,
            role: l.role,
            last_login_at: l.last_login_at,
            mfa_enrolled: l.mfa_enrolled,
            role_expires_at: l.role_expires_at,
            decision: l.decision,
            decided_by: l.decided_by,
            decided_at: l.decided_at,
        });
    }
    Ok(out)
}

/// Opens a review now (`by`: the officer, or `None` for the schedule).
pub async fn open(state: &AppState, by: Option<&str>) -> Result<ReviewView> {
    let c = state.catalog();
    let a = &state.config().accounts;
    let now = now_secs();
    let id = uuid::Uuid::new_v4().to_string();
    let mut lines = Vec::new();
    for u in c.list_users().await? {
        if u.role == Role::User || role_ended(&u, now) {
            continue;
        }
        let mut used: BTreeMap<String, Option<i64>> = privileged_permissions(u.role)
            .into_iter()
            .map(|p| (format!("{p:?}"), None))
            .collect();
        for (action, at) in c.last_actions_of(&u.id).await? {
            if let Some(p) = permission_of(&action)
                && let Some(slot) = used.get_mut(&format!("{p:?}"))
            {
                *slot = Some(slot.map_or(at, |t| t.max(at)));
            }
        }
        lines.push(AccessReviewLineRow {
            review_id: id.clone(),
            user_id: u.id.clone(),
            role: u.role,
            last_login_at: u.last_login_at,
            mfa_enrolled: u.totp_secret.is_some(),
            role_expires_at: u.role_expires_at,
            last_used: serde_json::to_string(&used).map_err(|_| Error::Corrupt("review line"))?,
            decision: None,
            decided_by: None,
            decided_at: None,
        });
    }
    let row = AccessReviewRow {
        id: id.clone(),
        opened_at: now,
        due_at: now + i64::from(a.access_review_due_days) * DAY,
        closed_at: None,
        opened_by: by.map(String::from),
    };
    if let Some(actor) = by {
        super::admin::required(state, actor, "access_review.open", &id).await?;
    }
    match c.open_access_review(&row, &lines).await {
        Ok(()) => {}
        Err(CatalogError::AlreadyExists) => return Err(Error::ReviewAlreadyOpen),
        Err(e) => return Err(e.into()),
    }
    audit(state, by, "access_review.open", Some(&id), "success").await;
    show(state, &id).await
}

/// Every review, newest first (without lines).
pub async fn list(state: &AppState) -> Result<Vec<ReviewView>> {
    let c = state.catalog();
    let mut out = Vec::new();
    for r in c.access_reviews(100).await? {
        let undecided = c
            .access_review_lines(&r.id)
            .await?
            .iter()
            .filter(|l| l.decision.is_none())
            .count();
        out.push(review_view(r, Vec::new(), undecided));
    }
    Ok(out)
}

/// One review with its lines.
pub async fn show(state: &AppState, id: &str) -> Result<ReviewView> {
    let r = state
        .catalog()
        .access_review(id)
        .await?
        .ok_or(Error::NotFound)?;
    let lines = line_views(state, id).await?;
    let undecided = lines.iter().filter(|l| l.decision.is_none()).count();
    Ok(review_view(r, lines, undecided))
}

/// Confirms or revokes the line of `user_id`. Refused for a closed review,
/// a decided line, or an account that no longer holds the line's role.
pub async fn decide(
    state: &AppState,
    actor: &Principal,
    id: &str,
    user_id: &str,
    revoke: bool,
) -> Result<ReviewView> {
    let review = show(state, id).await?;
    if review.closed_at.is_some() {
        return Err(Error::ReviewClosed);
    }
    let line = review
        .lines
        .iter()
        .find(|l| l.user_id == user_id)
        .ok_or(Error::NotFound)?;
    if line.decision.is_some() {
        return Err(Error::ReviewClosed);
    }
    if line.role_now != line.role {
        return Err(Error::ReviewLineStale);
    }
    let action = if revoke {
        "access_review.revoke"
    } else {
        "access_review.confirm"
    };
    super::admin::required(state, &actor.user.id, action, user_id).await?;
    let closed = state
        .catalog()
        .decide_access_review_line(id, user_id, revoke, &actor.user.id, now_secs())
        .await?
        .ok_or(Error::ReviewClosed)?;
    audit(
        state,
        Some(&actor.user.id),
        action,
        Some(user_id),
        "success",
    )
    .await;
    if revoke {
        state.keys().forget_user_key(user_id);
        super::grant_terms::tell(
            state,
            super::grant_terms::Notice::Ended(user_id.to_string(), line.role),
        );
    }
    if closed {
        audit(
            state,
            Some(&actor.user.id),
            "access_review.close",
            Some(id),
            "success",
        )
        .await;
    }
    show(state, id).await
}

/// Marks the undecided lines of review `id` whose account no longer holds
/// the role as lapsed (audited); whether that closed the review.
async fn lapse_stale(state: &AppState, id: &str) -> Result<bool> {
    let review = show(state, id).await?;
    if review.closed_at.is_some() {
        return Ok(false);
    }
    let mut closed = false;
    for l in &review.lines {
        if l.decision.is_none()
            && l.role_now != l.role
            && let Some(c) = state
                .catalog()
                .lapse_access_review_line(id, &l.user_id, now_secs())
                .await?
        {
            audit(
                state,
                None,
                "access_review.lapse",
                Some(&l.user_id),
                "success",
            )
            .await;
            closed |= c;
        }
    }
    if closed {
        audit(state, None, "access_review.close", Some(id), "success").await;
    }
    Ok(closed)
}

/// A finished review as JSON or CSV (the export is audited).
pub async fn export(state: &AppState, actor: &str, id: &str, csv: bool) -> Result<String> {
    let review = show(state, id).await?;
    if review.closed_at.is_none() {
        return Err(Error::ReviewNotFinished);
    }
    audit(
        state,
        Some(actor),
        "access_review.export",
        Some(id),
        "success",
    )
    .await;
    if !csv {
        return serde_json::to_string_pretty(&review).map_err(|_| Error::Corrupt("review"));
    }
    let mut out = String::from(
        "user_id,email,role,last_login_at,mfa_enrolled,role_expires_at,last_used,decision,decided_by,decided_at\n",
    );
    let opt = |v: Option<i64>| v.map(|t| t.to_string()).unwrap_or_default();
    for l in &review.lines {
        let fields = [
            l.user_id.clone(),
            l.email.clone().unwrap_or_default(),
            l.role.as_str().to_string(),
            opt(l.last_login_at),
            l.mfa_enrolled.to_string(),
            opt(l.role_expires_at),
            l.last_used.to_string(),
            l.decision.clone().unwrap_or_default(),
            l.decided_by.clone().unwrap_or_default(),
            opt(l.decided_at),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// A CSV field (RFC 4180), with a leading `= + - @` neutralised so a
/// spreadsheet never runs it as a formula.
pub fn csv_field(f: &str) -> String {
    let f = if f.starts_with(['=', '+', '-', '@']) {
        format!("'{f}")
    } else {
        f.to_string()
    };
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// The review state the admin page flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReviewStatus {
    /// a review is open
    pub open: bool,
    /// … and past its due date
    pub overdue: bool,
    /// its due date (unix s)
    pub due_at: Option<i64>,
    /// when the last review finished (unix s)
    pub last_closed_at: Option<i64>,
    /// when the next one opens by schedule (unix s)
    pub next_at: Option<i64>,
}

/// Whether a review is open, overdue, and when the next one is due.
pub async fn status(state: &AppState) -> Result<ReviewStatus> {
    let reviews = state.catalog().access_reviews(100).await?;
    let open = reviews.iter().find(|r| r.closed_at.is_none());
    let now = now_secs();
    Ok(ReviewStatus {
        open: open.is_some(),
        overdue: open.is_some_and(|r| now > r.due_at),
        due_at: open.map(|r| r.due_at),
        last_closed_at: reviews.iter().filter_map(|r| r.closed_at).max(),
        next_at: next_due(state, &reviews).await?,
    })
}

async fn next_due(state: &AppState, reviews: &[AccessReviewRow]) -> Result<Option<i64>> {
    let every = i64::from(state.config().accounts.access_review_days) * DAY;
    let since = match reviews.first() {
        Some(r) => Some(r.opened_at),
        None => state
            .catalog()
            .list_users()
            .await?
            .iter()
            .map(|u| u.created_at)
            .min(),
    };
    Ok(since.map(|t| t + every))
}

/// The sweep's part: lapses the open review's lines whose account no
/// longer holds the role, and opens the scheduled review when it is due.
pub async fn sweep(state: &AppState) -> Result<bool> {
    let reviews = state.catalog().access_reviews(1).await?;
    if let Some(open) = reviews.first().filter(|r| r.closed_at.is_none()) {
        lapse_stale(state, &open.id).await?;
        return Ok(false);
    }
    match next_due(state, &reviews).await? {
        Some(t) if t <= now_secs() => match open(state, None).await {
            Ok(_) => Ok(true),
            Err(Error::ReviewAlreadyOpen) => Ok(false),
            Err(e) => Err(e),
        },
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_map_to_the_permission_they_used() {
        assert_eq!(
            permission_of("admin.users.list"),
            Some(Permission::ViewAccounts)
        );
        assert_eq!(
            permission_of("admin.users.role:user"),
            Some(Permission::ManageRoles)
        );
        assert_eq!(
            permission_of("role.grant:admin"),
            Some(Permission::ManageRoles)
        );
        assert_eq!(
            permission_of("admin.users.disable"),
            Some(Permission::ManageUsers)
        );
        assert_eq!(
            permission_of("admin.invites.create:user"),
            Some(Permission::ManageUsers)
        );
        assert_eq!(
            permission_of("backup.verify"),
            Some(Permission::OperateSystem)
        );
        assert_eq!(permission_of("sys.seal"), Some(Permission::OperateSystem));
        assert_eq!(permission_of("audit.read"), Some(Permission::ReadAudit));
        assert_eq!(
            permission_of("incident.open"),
            Some(Permission::ManageIncidents)
        );
        assert_eq!(permission_of("login"), None);
        assert_eq!(permission_of("password.change"), None);
    }

    #[test]
    fn each_role_is_reviewed_on_its_own_permissions() {
        assert!(privileged_permissions(Role::User).is_empty());
        assert_eq!(
            privileged_permissions(Role::Operator),
            [Permission::OperateSystem]
        );
        assert_eq!(
            privileged_permissions(Role::Admin),
            [
                Permission::ViewAccounts,
                Permission::ManageUsers,
                Permission::ManageRoles
            ]
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
    }
}
