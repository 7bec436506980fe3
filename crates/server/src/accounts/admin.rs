//! Account administration: list, create (with a one-time password), change
//! role, disable or enable, set a storage quota — and the audit trail.
//! Nothing here reads content or content metadata: only account state.

use pixelunion_auth::Role;
use pixelunion_catalog::{AuditRow, UserRow};
use serde::Serialize;
use zeroize::Zeroizing;

use super::principal::{Principal, Verb, admit, gate};
use super::{Error, Result, audit, create_user, email_for, one_time_password, valid_email};
use crate::AppState;

/// An account as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    /// account id
    pub id: String,
    /// e-mail address
    pub email: Option<String>,
    /// role
    #[schema(value_type = String)]
    pub role: Role,
    /// a privileged role ends at (unix s): the account is a `user` again
    pub role_expires_at: Option<i64>,
    /// disabled accounts cannot sign in
    pub disabled: bool,
    /// TOTP enrolled
    pub mfa_enrolled: bool,
    /// must set a new password at the next sign-in
    pub must_change_password: bool,
    /// created (unix s)
    pub created_at: i64,
    /// last sign-in (unix s)
    pub last_login_at: Option<i64>,
}

impl AccountView {
    /// The view of `u` (the e-mail decrypted while unsealed).
    pub fn new(state: &AppState, u: &UserRow) -> Self {
        AccountView {
            id: u.id.clone(),
            email: email_for(state, u),
            role: u.role,
            role_expires_at: u.role_expires_at,
            disabled: u.disabled,
            mfa_enrolled: u.totp_secret.is_some(),
            must_change_password: u.must_change_password,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

/// A role by name.
pub fn parse_role(name: &str) -> Result<Role> {
    Role::parse(name).ok_or(Error::InvalidRole)
}

/// Every account (the listing is audited).
pub async fn list(state: &AppState, actor: &str) -> Result<Vec<AccountView>> {
    let users = state.catalog().list_users().await?;
    audit(state, Some(actor), "admin.users.list", None, "success").await;
    Ok(users.iter().map(|u| AccountView::new(state, u)).collect())
}

/// Creates an account with a one-time password that must be changed at the
/// first sign-in; returns it with the password (shown once).
pub async fn create(
    state: &AppState,
    actor: &str,
    email: &str,
    role: Role,
) -> Result<(UserRow, Zeroizing<String>)> {
    if !valid_email(email) {
        return Err(Error::InvalidEmail);
    }
    if role != Role::User {
        // An account starts as a user; a role is then asked for and approved.
        return Err(Error::FourEyesRequired);
    }
    let password = one_time_password()?;
    let row = create_user(state, email, password.clone(), role, true).await?;
    audit(
        state,
        Some(actor),
        "admin.users.create",
        Some(&row.id),
        "success",
    )
    .await;
    Ok((row, password))
}

/// A change to an account; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AccountEdit {
    /// new role (needs the role-management permission too)
    pub role: Option<Role>,
    /// disable (ends its sessions) or enable
    pub disabled: Option<bool>,
    /// quota in bytes: `Some(None)` returns to the server's default
    pub quota_bytes: Option<Option<i64>>,
}

/// Applies `edit` to account `id`. Administrators cannot change their own
/// role or disable themselves; a role change or disabling ends the
/// account's sessions. The only role set here is `user` (taking a
/// privileged role away): a privileged role is granted through
/// [`super::grants`], by two administrators.
pub async fn update(
    state: &AppState,
    actor: &Principal,
    id: &str,
    edit: AccountEdit,
) -> Result<AccountView> {
    let c = state.catalog();
    let user = c.user_by_id(id).await?.ok_or(Error::NotFound)?;
    if user.id == actor.user.id {
        return Err(Error::SelfChange);
    }
    if let Some(role) = edit.role {
        // Role changes are their own permission (admin holds both today).
        admit::<gate::ManageRoles>(actor, Verb::Write)?;
        // Taking a role away needs one administrator; giving one needs two
        // (`grants`).
        if role != Role::User {
            return Err(Error::FourEyesRequired);
        }
        let action = format!("admin.users.role:{}", role.as_str());
        required(state, &actor.user.id, &action, id).await?;
        c.set_role(id, role, None).await?;
        state.keys().forget_user_key(id);
        audit(
            state,
            Some(&actor.user.id),
            &format!("admin.users.role:{}", role.as_str()),
            Some(id),
            "success",
        )
        .await;
    }
    if let Some(d) = edit.disabled {
        let action = if d {
            "admin.users.disable"
        } else {
            "admin.users.enable"
        };
        required(state, &actor.user.id, action, id).await?;
        c.set_disabled(id, d).await?;
        if d {
            c.delete_other_sessions(id, None).await?;
        }
        audit(state, Some(&actor.user.id), action, Some(id), "success").await;
    }
    if let Some(bytes) = edit.quota_bytes {
        required(state, &actor.user.id, "admin.users.quota", id).await?;
        c.set_user_quota(id, bytes).await?;
        audit(
            state,
            Some(&actor.user.id),
            "admin.users.quota",
            Some(id),
            "success",
        )
        .await;
    }
    let user = c.user_by_id(id).await?.ok_or(Error::NotFound)?;
    Ok(AccountView::new(state, &user))
}

/// Writes "`actor` asks for `action` on `target`" to the audit trail before
/// a privileged change; if that fails the change is not made.
pub async fn required(state: &AppState, actor: &str, action: &str, target: &str) -> Result<()> {
    crate::audit::require(
        state,
        crate::audit::Event::new(Some(actor), action, Some(target), "request"),
    )
    .await
    .map(|_| ())
    .map_err(|e| match e {
        crate::audit::Error::Sealed => Error::Sealed,
        _ => Error::AuditUnavailable,
    })
}

/// The latest audit events (reading them is audited too).
pub async fn audit_events(state: &AppState, actor: &str, limit: i64) -> Result<Vec<AuditRow>> {
    let rows = state.catalog().recent_audit(limit).await?;
    audit(state, Some(actor), "audit.read", None, "success").await;
    Ok(rows)
}
