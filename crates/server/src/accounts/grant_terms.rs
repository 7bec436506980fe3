//! The terms of privileged roles: requests nobody answered lapse after 72
//! hours, a role held past its end falls back to `user` (and its sessions
//! end), holders and administrators are reminded before the end, and roles
//! held from before grants had terms get the default one. Run by the sweep;
//! every change is audited. Also the e-mails the grant steps send.

use pixelunion_auth::Role;
use pixelunion_catalog::UserRow;

use super::grants::RequestView;
use super::{Result, audit, email_for};
use crate::AppState;
use crate::clock::now_secs;
use crate::mail::{self, Outgoing};

const DAY: i64 = 86_400;

/// What one sweep of the role terms did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// requests that lapsed unanswered
    pub requests_expired: u64,
    /// roles that reached their end
    pub roles_ended: u64,
    /// reminders sent (or recorded as not deliverable)
    pub reminders: u64,
    /// roles held without an end that got the default one
    pub roles_bounded: u64,
}

/// Whether the holder of a role ending at `end` is due a reminder at `now`:
/// once `lead_days` before the end, and again within the last day.
pub fn reminder_due(end: i64, reminded: Option<i64>, now: i64, lead_days: u32) -> bool {
    let left = end - now;
    if left <= 0 {
        return false;
    }
    match reminded {
        None => left <= i64::from(lead_days) * DAY,
        Some(at) => left <= DAY && at < end - DAY,
    }
}

/// One sweep.
pub async fn sweep(state: &AppState) -> Result<Swept> {
    let c = state.catalog();
    let a = &state.config().accounts;
    let now = now_secs();
    let mut s = Swept::default();
    for r in c.expire_role_requests(now).await? {
        audit(
            state,
            None,
            "role.request.expired",
            Some(&r.user_id),
            "success",
        )
        .await;
        s.requests_expired += 1;
    }
    let term = i64::from(a.role_grant_days) * DAY;
    for id in c.bound_open_roles(now + term).await? {
        audit(state, None, "role.term", Some(&id), "success").await;
        s.roles_bounded += 1;
    }
    for t in c.roles_ending_by(now).await? {
        if c.end_role(&t.user_id, t.role_expires_at).await? {
            state.keys().forget_user_key(&t.user_id);
            let action = format!("role.ended:{}", t.role.as_str());
            audit(state, None, &action, Some(&t.user_id), "success").await;
            tell(state, Notice::Ended(t.user_id.clone(), t.role));
            s.roles_ended += 1;
        }
    }
    let lead = a.role_reminder_days;
    for t in c.roles_ending_by(now + i64::from(lead) * DAY).await? {
        if !reminder_due(t.role_expires_at, t.role_reminded_at, now, lead) {
            continue;
        }
        c.mark_role_reminded(&t.user_id, t.role_expires_at, now)
            .await?;
        audit(state, None, "role.reminder", Some(&t.user_id), "success").await;
        tell(
            state,
            Notice::EndingSoon(t.user_id.clone(), t.role, t.role_expires_at),
        );
        s.reminders += 1;
    }
    Ok(s)
}

/// `user` as it signs in: a privileged role past its end is ended now
/// rather than at the next sweep.
pub async fn settle(state: &AppState, user: UserRow) -> Result<UserRow> {
    let Some(end) = user.role_expires_at else {
        return Ok(user);
    };
    if !super::principal::role_ended(&user, now_secs()) {
        return Ok(user);
    }
    let c = state.catalog();
    if c.end_role(&user.id, end).await? {
        let action = format!("role.ended:{}", user.role.as_str());
        audit(state, None, &action, Some(&user.id), "success").await;
        tell(state, Notice::Ended(user.id.clone(), user.role));
    }
    Ok(c.user_by_id(&user.id).await?.unwrap_or(user))
}

/// Something about a grant the people concerned are told of.
#[derive(Debug, Clone)]
pub enum Notice {
    /// a request waits for a second administrator
    Requested(RequestView),
    /// a request was approved
    Granted(RequestView),
    /// a request was refused
    Refused(RequestView),
    /// a role was granted with the key shares
    BrokenGlass(RequestView),
    /// a role ends soon (account, role, end)
    EndingSoon(String, Role, i64),
    /// a role ended (account, role)
    Ended(String, Role),
}

/// Sends the e-mails of `notice` in the background (a slow mail server
/// never holds up the request); each delivery is audited.
pub fn tell(state: &AppState, notice: Notice) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = send(&state, notice).await {
            tracing::warn!(error = %e, "a role notice could not be prepared");
        }
    });
}

fn until(t: i64) -> String {
    crate::audit::export::rfc3339(t)
}

async fn send(state: &AppState, notice: Notice) -> Result<()> {
    let users = state.catalog().list_users().await?;
    let now = now_secs();
    let admins: Vec<_> = users
        .iter()
        .filter(|u| u.role == Role::Admin && !u.disabled && !super::principal::role_ended(u, now))
        .collect();
    let address = |id: &str| -> Option<String> {
        users
            .iter()
            .find(|u| u.id == id)
            .and_then(|u| email_for(state, u))
    };
    let admins_but = |skip: &[&str]| -> Vec<String> {
        admins
            .iter()
            .filter(|u| !skip.contains(&u.id.as_str()))
            .filter_map(|u| email_for(state, u))
            .collect()
    };
    let (to, subject, body, target) = match &notice {
        Notice::Requested(v) => {
            let mut to = admins_but(&[&v.requested_by, &v.user_id]);
            to.extend(address(&v.user_id));
            let body = format!(
                "A request asks for account {} to hold the {} role for {} hour(s).\n\n\
                 It takes effect only when a second administrator — not the one who asked, not the \
                 account itself — approves it on the admin page before {} (UTC); unanswered, it lapses.\n\
                 The reason is on the admin page. If this request is unexpected, refuse it and tell \
                 your security officer: nobody will ever ask you to approve access by e-mail or phone.\n",
                v.user_id,
                v.role.as_str(),
                v.duration_secs / 3600,
                until(v.expires_at)
            );
            (
                to,
                "PixelUnion: a role request needs a second administrator",
                body,
                v.user_id.clone(),
            )
        }
        Notice::Granted(v) | Notice::BrokenGlass(v) => {
            let mut to = match &notice {
                Notice::BrokenGlass(_) => admins_but(&[&v.user_id]),
                _ => [
                    address(&v.requested_by),
                    address(v.decided_by.as_deref().unwrap_or("")),
                ]
                .into_iter()
                .flatten()
                .collect(),
            };
            to.extend(address(&v.user_id));
            to.sort();
            to.dedup();
            let how = if matches!(notice, Notice::BrokenGlass(_)) {
                "with the vault's key shares (break-glass)"
            } else {
                "by a second administrator"
            };
            let end = v.decided_at.unwrap_or(v.created_at) + v.duration_secs;
            let body = format!(
                "Account {} now holds the {} role, granted {how}, until {} (UTC); then it returns \
                 to a user account. Its sessions were ended: sign in again (with your second factor) \
                 to use the role.\n",
                v.user_id,
                v.role.as_str(),
                until(end)
            );
            (
                to,
                "PixelUnion: a privileged role was granted",
                body,
                v.user_id.clone(),
            )
        }
        Notice::Refused(v) => {
            let to = [address(&v.requested_by), address(&v.user_id)]
                .into_iter()
                .flatten()
                .collect();
            let body = format!(
                "The request for account {} to hold the {} role was refused by an administrator.\n",
                v.user_id,
                v.role.as_str()
            );
            (
                to,
                "PixelUnion: a role request was refused",
                body,
                v.user_id.clone(),
            )
        }
        Notice::EndingSoon(id, role, end) => {
            let mut to = admins_but(&[id]);
            to.extend(address(id));
            let body = format!(
                "The {} role of account {id} ends on {} (UTC); the account then returns to a user \
                 account and its sessions end. To keep it, an administrator asks again and a second \
                 one approves.\n",
                role.as_str(),
                until(*end)
            );
            (
                to,
                "PixelUnion: a privileged role ends soon",
                body,
                id.clone(),
            )
        }
        Notice::Ended(id, role) => {
            let to = address(id).into_iter().collect();
            let body = format!(
                "The {} role of your PixelUnion account has ended; it is a user account again.\n",
                role.as_str()
            );
            (
                to,
                "PixelUnion: your privileged role has ended",
                body,
                id.clone(),
            )
        }
    };
    if to.is_empty() {
        return Ok(());
    }
    let out = Outgoing {
        to,
        subject: subject.into(),
        body,
    };
    let sent = mail::send(&state.config().smtp, &out, "role notice").await;
    for d in &sent {
        audit(state, None, "role.notice", Some(&target), d.outcome()).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminded_once_at_the_lead_and_once_in_the_last_day() {
        let end = 100 * DAY;
        // Not yet within the lead.
        assert!(!reminder_due(end, None, end - 15 * DAY, 14));
        // Within the lead, not reminded yet.
        assert!(reminder_due(end, None, end - 14 * DAY, 14));
        // Reminded at the lead: not again until the last day.
        let first = end - 14 * DAY;
        assert!(!reminder_due(end, Some(first), end - 2 * DAY, 14));
        assert!(reminder_due(end, Some(first), end - DAY, 14));
        // Reminded in the last day: done.
        assert!(!reminder_due(end, Some(end - DAY), end - 3600, 14));
        // Over: the sweep ends it instead.
        assert!(!reminder_due(end, None, end, 14));
        // A grant of hours is marked reminded when made: no reminder.
        let made = end - 4 * 3600;
        assert!(!reminder_due(end, Some(made), end - 3600, 14));
    }
}
