//! `[accounts]`: sign-up, session lifetimes, deletion grace, and the terms
//! of privileged roles (grants, reminders, elevation, access reviews,
//! e-mail recovery).

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// Accounts and session lifetimes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// Anyone may create an account at `POST /api/v1/auth/signup` (off: invitations only).
    pub open_signup: bool,
    /// `user` sessions end after this many minutes without a request.
    pub user_idle_minutes: u32,
    /// `user` sessions end this many hours after sign-in.
    pub user_absolute_hours: u32,
    /// Privileged (support, operator, security, admin) sessions: idle minutes.
    pub staff_idle_minutes: u32,
    /// Privileged sessions: absolute hours.
    pub staff_absolute_hours: u32,
    /// Days between an account's deletion and its purge (0–30; an admin
    /// can cancel until then).
    pub deletion_grace_days: u32,
    /// Days a privileged role is granted for when a request names no
    /// duration (1–365); it then falls back to `user`.
    pub role_grant_days: u32,
    /// Days before a privileged role ends that its holder and the
    /// administrators are reminded (a second reminder goes a day before).
    pub role_reminder_days: u32,
    /// Hours a just-in-time elevation (asked for by the grantee) lasts at
    /// most (1–24).
    pub elevation_max_hours: u32,
    /// Days between access reviews of the privileged roles (7–366; a
    /// quarter by default).
    pub access_review_days: u32,
    /// Days a security officer has to finish a review before it is flagged
    /// overdue (1–60).
    pub access_review_due_days: u32,
    /// Offer e-mail account recovery (needs SMTP): a link e-mailed to the
    /// owner that works only after a delay, during which they can cancel.
    pub email_recovery: bool,
    /// Hours before an e-mailed recovery link works (1–168).
    pub email_recovery_delay_hours: u32,
}

impl Default for AccountsConfig {
    /// The defaults are the role policy's (`pixelunion_auth::roles::default_timeouts`).
    fn default() -> Self {
        use pixelunion_auth::{Role, roles::default_timeouts};
        let (user, staff) = (default_timeouts(Role::User), default_timeouts(Role::Admin));
        let minutes = |d: std::time::Duration| (d.as_secs() / 60) as u32;
        let hours = |d: std::time::Duration| (d.as_secs() / 3600) as u32;
        AccountsConfig {
            open_signup: false,
            user_idle_minutes: minutes(user.idle),
            user_absolute_hours: hours(user.absolute),
            staff_idle_minutes: minutes(staff.idle),
            staff_absolute_hours: hours(staff.absolute),
            deletion_grace_days: 7,
            role_grant_days: 90,
            role_reminder_days: 14,
            elevation_max_hours: 8,
            access_review_days: 91,
            access_review_due_days: 14,
            email_recovery: false,
            email_recovery_delay_hours: 24,
        }
    }
}

impl AccountsConfig {
    /// The timeouts of `role`.
    pub fn timeouts(&self, role: pixelunion_auth::Role) -> pixelunion_auth::roles::SessionTimeouts {
        let (idle_min, abs_h) = if role.requires_mfa() {
            (self.staff_idle_minutes, self.staff_absolute_hours)
        } else {
            (self.user_idle_minutes, self.user_absolute_hours)
        };
        pixelunion_auth::roles::SessionTimeouts {
            idle: std::time::Duration::from_secs(u64::from(idle_min) * 60),
            absolute: std::time::Duration::from_secs(u64::from(abs_h) * 3600),
        }
    }
}

impl AccountsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.user_idle_minutes == 0
            || self.staff_idle_minutes == 0
            || self.user_absolute_hours == 0
            || self.staff_absolute_hours == 0
        {
            return Err(invalid(
                "accounts",
                "*_idle_minutes and *_absolute_hours must be at least 1",
            ));
        }
        if u64::from(self.staff_idle_minutes) > u64::from(self.staff_absolute_hours) * 60
            || u64::from(self.user_idle_minutes) > u64::from(self.user_absolute_hours) * 60
        {
            return Err(invalid(
                "accounts",
                "an idle timeout cannot exceed the absolute timeout",
            ));
        }
        if self.staff_absolute_hours > 12 {
            return Err(invalid(
                "accounts.staff_absolute_hours",
                "privileged sessions may last at most 12 hours",
            ));
        }
        if self.deletion_grace_days > 30 {
            return Err(invalid(
                "accounts.deletion_grace_days",
                "at most 30 (a deleted account is purged within 30 days)",
            ));
        }
        if self.role_reminder_days == 0 || self.role_reminder_days >= self.role_grant_days.max(2) {
            return Err(invalid(
                "accounts.role_reminder_days",
                "at least 1 and less than accounts.role_grant_days",
            ));
        }
        for (key, value, range, why) in [
            (
                "accounts.role_grant_days",
                self.role_grant_days,
                1..=365,
                "between 1 and 365 (every privileged grant ends within a year)",
            ),
            (
                "accounts.elevation_max_hours",
                self.elevation_max_hours,
                1..=24,
                "between 1 and 24 (just-in-time access lasts hours, not days)",
            ),
            (
                "accounts.access_review_days",
                self.access_review_days,
                7..=366,
                "between 7 and 366 (access is reviewed at least once a year)",
            ),
            (
                "accounts.access_review_due_days",
                self.access_review_due_days,
                1..=60,
                "between 1 and 60",
            ),
            (
                "accounts.email_recovery_delay_hours",
                self.email_recovery_delay_hours,
                1..=168,
                "between 1 and 168 (the owner must have time to notice and cancel)",
            ),
        ] {
            if !range.contains(&value) {
                return Err(invalid(key, why));
            }
        }
        Ok(())
    }
}
