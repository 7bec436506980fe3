//! Roles, permissions and the matrix between them — the one place that says
//! who may do what. `docs/access-control.md` is the same matrix in prose; a
//! test keeps them identical.
//!
//! There is deliberately **no permission to read another user's content**:
//! assets, thumbnails, file names, EXIF, albums and all content metadata are
//! reachable only through ownership (or a share made by the owner), checked by
//! the library routes against the caller's user id, whatever the role.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An account's role.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// keeps photos and videos
    User,
    /// sees account state and storage usage to help users
    Support,
    /// runs the infrastructure: seal, backups, keys, jobs, health
    Operator,
    /// reads the audit trail and handles incidents
    Security,
    /// manages users and roles
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::User,
        Role::Support,
        Role::Operator,
        Role::Security,
        Role::Admin,
    ];

    /// Lower-case name (as stored and in the API).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Support => "support",
            Role::Operator => "operator",
            Role::Security => "security",
            Role::Admin => "admin",
        }
    }

    /// Parses [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Privileged roles must enrol MFA before they can do anything else.
    pub fn requires_mfa(self) -> bool {
        self != Role::User
    }
}

/// A role name that is none of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl TryFrom<String> for Role {
    type Error = UnknownRole;
    fn try_from(s: String) -> Result<Self, UnknownRole> {
        Role::parse(&s).ok_or(UnknownRole(s))
    }
}

/// Something a route may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Permission {
    /// Use one's own library (upload, view, organise, share, delete own content).
    OwnLibrary,
    /// Manage one's own account: password, MFA, sessions, API tokens.
    OwnAccount,
    /// See accounts' state and storage usage (never content or content metadata).
    ViewAccounts,
    /// Invite, disable and enable users.
    ManageUsers,
    /// Change roles.
    ManageRoles,
    /// Seal, rotate keys, run backups and jobs, see system health.
    OperateSystem,
    /// Read the audit trail.
    ReadAudit,
    /// Open and handle incidents, notify users.
    ManageIncidents,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 8] = [
        Permission::OwnLibrary,
        Permission::OwnAccount,
        Permission::ViewAccounts,
        Permission::ManageUsers,
        Permission::ManageRoles,
        Permission::OperateSystem,
        Permission::ReadAudit,
        Permission::ManageIncidents,
    ];
}

/// The matrix.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission as P;
    use Role as R;
    match permission {
        P::OwnLibrary | P::OwnAccount => true,
        P::ViewAccounts => matches!(role, R::Support | R::Admin),
        P::ManageUsers | P::ManageRoles => role == R::Admin,
        P::OperateSystem => role == R::Operator,
        P::ReadAudit | P::ManageIncidents => role == R::Security,
    }
}

/// Idle and absolute session lifetimes of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// ends after this long without a request
    pub idle: Duration,
    /// ends this long after login, whatever the activity
    pub absolute: Duration,
}

/// Defaults: long for people keeping photos, short for privileged staff.
pub fn default_timeouts(role: Role) -> SessionTimeouts {
    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;
    match role {
        Role::User => SessionTimeouts {
            idle: Duration::from_secs(14 * DAY),
            absolute: Duration::from_secs(30 * DAY),
        },
        _ => SessionTimeouts {
            idle: Duration::from_secs(15 * 60),
            absolute: Duration::from_secs(8 * HOUR),
        },
    }
}

/// The matrix as a markdown table (what `docs/access-control.md` holds).
pub fn matrix_markdown() -> String {
    let mut s = String::from("| permission |");
    for r in Role::ALL {
        s.push_str(&format!(" {} |", r.as_str()));
    }
    s.push_str("\n|---|");
    for _ in Role::ALL {
        s.push_str("---|");
    }
    for p in Permission::ALL {
        let name = format!("{p:?}");
        s.push_str(&format!("\n| {name} |"));
        for r in Role::ALL {
            s.push_str(if allows(r, p) { " ✔ |" } else { " |" });
        }
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_show_the_matrix_in_code() {
        let doc = include_str!("../../../docs/access-control.md");
        assert!(
            doc.contains(&matrix_markdown()),
            "regenerate the table in docs/access-control.md:\n{}",
            matrix_markdown()
        );
    }

    #[test]
    fn least_privilege_and_separation_of_duties() {
        // Only the admin manages users; only the operator operates; only security reads audit.
        for r in Role::ALL {
            assert_eq!(allows(r, Permission::ManageUsers), r == Role::Admin);
            assert_eq!(allows(r, Permission::OperateSystem), r == Role::Operator);
            assert_eq!(allows(r, Permission::ReadAudit), r == Role::Security);
            assert!(allows(r, Permission::OwnLibrary) && allows(r, Permission::OwnAccount));
        }
        assert!(!allows(Role::User, Permission::ViewAccounts));
        assert!(Role::ALL.iter().filter(|r| r.requires_mfa()).count() == 4);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            let t = default_timeouts(r);
            assert!(t.idle <= t.absolute);
            if r.requires_mfa() {
                assert!(
                    t.absolute <= Duration::from_secs(12 * 3600),
                    "privileged sessions are short"
                );
            }
        }
    }
}
