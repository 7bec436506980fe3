//! Breach notifications: drafts prefilled with what the law asks for (the
//! nature of the breach, the categories and approximate number of records,
//! the likely consequences, the measures taken, the Data Protection
//! Officer's contact), sent by e-mail to the affected accounts recorded on
//! the incident and to the configured authority and partner addresses;
//! every message and its delivery result recorded (sealed). Reminders to the
//! security role at 24 h and 48 h, and an overdue alarm at 72 h.

use pixelunion_auth::Role;
use pixelunion_catalog::{IncidentMessageRow, IncidentRow};
use serde::{Deserialize, Serialize};

use super::{
    DEADLINE_HOURS, Error, IncidentView, Result, get, open_text, required, seal_text, step,
};
use crate::AppState;
use crate::audit::{Event, record};
use crate::clock::now_secs;
use crate::fields::Column;
use crate::mail::{self, Delivery, Outgoing};

/// A message as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    /// id
    pub id: String,
    /// `users`, `authority`, `partner` or `security`
    pub audience: String,
    /// to whom: the configured address of an authority, a partner or the
    /// security team; never a user's address (security officers do not need
    /// it — the message went to the affected account's owner)
    pub recipient: Option<String>,
    /// subject
    pub subject: Option<String>,
    /// body
    pub body: Option<String>,
    /// `sent`, `not-configured` (no SMTP: not sent) or `failed`
    pub state: String,
    /// why it failed
    pub detail: Option<String>,
    /// unix seconds
    pub at: i64,
}

/// The recorded messages of incident `id`.
pub async fn messages(state: &AppState, id: &str) -> Result<Vec<MessageView>> {
    Ok(state
        .catalog()
        .incident_messages(id)
        .await?
        .into_iter()
        .map(|m| MessageView {
            recipient: (m.audience != "users")
                .then(|| open_text(state, Column::IncidentRecipient, &m.id, &m.recipient))
                .flatten(),
            subject: open_text(state, Column::IncidentSubject, &m.id, &m.subject),
            body: open_text(state, Column::IncidentBody, &m.id, &m.body),
            id: m.id,
            audience: m.audience,
            state: m.state,
            detail: m.detail,
            at: m.at,
        })
        .collect())
}

/// One draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Draft {
    /// subject line
    pub subject: String,
    /// plain-text body
    pub body: String,
    /// how many recipients it would go to
    pub recipients: usize,
}

/// The drafts for each audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Drafts {
    /// to the affected account holders
    pub users: Draft,
    /// to the supervisory authorities
    pub authority: Draft,
    /// to partners
    pub partners: Draft,
    /// whether e-mail is configured (without it nothing is sent)
    pub email_configured: bool,
    /// what is missing from the breach facts (fill them in before sending)
    pub missing: Vec<String>,
}

fn body(state: &AppState, v: &IncidentView, to_users: bool) -> String {
    let b = &v.details.breach;
    let c = &state.config().contacts;
    let host = &state.config().public_host;
    let or = |s: &str, d: &str| {
        if s.trim().is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    let records = b
        .records
        .map_or("not yet known".to_string(), |n| format!("about {n}"));
    let when = v
        .clock
        .as_ref()
        .map(|c| crate::audit::export::rfc3339(c.confirmed_at))
        .unwrap_or_default();
    let opening = if to_users {
        "We are writing to tell you about a security incident that concerns your PixelUnion account."
    } else {
        "We are notifying you of a personal data breach at our PixelUnion service."
    };
    format!(
        "{opening}\n\n\
         Reference: incident {id}, confirmed as a breach on {when} (UTC).\n\n\
         What happened (nature of the breach):\n{nature}\n\n\
         Data concerned (categories): {cats}\n\
         Approximate number of records concerned: {records}\n\n\
         Likely consequences:\n{cons}\n\n\
         What we have done and propose to do:\n{meas}\n\n\
         Contact: our Data Protection Officer, {dpo_name}, {dpo} — or our security team, {sec}.\n",
        id = v.id,
        nature = or(&b.nature, "(to be completed)"),
        cats = if b.categories.is_empty() {
            "(to be completed)".into()
        } else {
            b.categories.join(", ")
        },
        cons = or(&b.consequences, "(to be completed)"),
        meas = or(&b.measures, "(to be completed)"),
        dpo_name = c.dpo_name,
        dpo = c.dpo_email_for(host),
        sec = c.security_email_for(host),
    )
}

async fn user_addresses(state: &AppState, id: &str) -> Result<Vec<String>> {
    let c = state.catalog();
    let mut out = Vec::new();
    for uid in c.incident_affected(id).await? {
        if let Some(u) = c.user_by_id(&uid).await?
            && let Some(e) = crate::accounts::email_for(state, &u)
        {
            out.push(e);
        }
    }
    Ok(out)
}

/// The drafts of incident `id`.
pub async fn drafts(state: &AppState, id: &str) -> Result<Drafts> {
    let v = get(state, id).await?;
    let c = &state.config().contacts;
    let b = &v.details.breach;
    let mut missing = Vec::new();
    if b.nature.trim().is_empty() {
        missing.push("nature".to_string());
    }
    if b.categories.is_empty() {
        missing.push("categories".into());
    }
    if b.records.is_none() {
        missing.push("records".into());
    }
    if b.consequences.trim().is_empty() {
        missing.push("consequences".into());
    }
    if b.measures.trim().is_empty() {
        missing.push("measures".into());
    }
    let subject = format!("Personal data breach notification ({})", v.details.title);
    Ok(Drafts {
        users: Draft {
            subject: "Important: a security incident concerning your PixelUnion account".into(),
            body: body(state, &v, true),
            recipients: user_addresses(state, id).await?.len(),
        },
        authority: Draft {
            subject: subject.clone(),
            body: body(state, &v, false),
            recipients: c.authority_emails.len(),
        },
        partners: Draft {
            subject,
            body: body(state, &v, false),
            recipients: c.partner_emails.len(),
        },
        email_configured: state.config().smtp.enabled(),
        missing,
    })
}

/// Which audiences to notify.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// any of `users`, `authority`, `partners`
    pub audiences: Vec<String>,
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SendReport {
    /// accepted by the SMTP server
    pub sent: usize,
    /// refused or unreachable
    pub failed: usize,
    /// not sent: no SMTP server is configured
    pub not_configured: usize,
}

async fn deliver(
    state: &AppState,
    id: &str,
    audience: &str,
    to: &str,
    subject: &str,
    text: &str,
) -> Result<Delivery> {
    let out = Outgoing {
        to: vec![to.to_string()],
        subject: subject.to_string(),
        body: text.to_string(),
    };
    let d = mail::send(&state.config().smtp, &out, "incident notification")
        .await
        .into_iter()
        .next()
        .unwrap_or(Delivery::Failed("nothing sent".into()));
    let mid = uuid::Uuid::new_v4().to_string();
    let (st, detail) = match &d {
        Delivery::Sent => ("sent", None),
        Delivery::NotConfigured => (
            "not-configured",
            Some("no SMTP server is configured".to_string()),
        ),
        Delivery::Failed(why) => ("failed", Some(why.chars().take(500).collect())),
    };
    state
        .catalog()
        .add_incident_message(
            id,
            &IncidentMessageRow {
                recipient: seal_text(state, Column::IncidentRecipient, &mid, to)?,
                subject: seal_text(state, Column::IncidentSubject, &mid, subject)?,
                body: seal_text(state, Column::IncidentBody, &mid, text)?,
                id: mid,
                audience: audience.into(),
                state: st.into(),
                detail,
                at: now_secs(),
            },
        )
        .await?;
    Ok(d)
}

/// Sends the notifications of incident `id` to `audiences`.
pub async fn send(state: &AppState, actor: &str, id: &str, req: SendRequest) -> Result<SendReport> {
    if req.audiences.is_empty()
        || req
            .audiences
            .iter()
            .any(|a| !["users", "authority", "partners"].contains(&a.as_str()))
    {
        return Err(Error::Invalid(
            "audiences: one or more of users, authority, partners".into(),
        ));
    }
    let drafts = drafts(state, id).await?;
    let contacts = state.config().contacts.clone();
    let mut plan: Vec<(&str, String, &Draft)> = Vec::new();
    for a in &req.audiences {
        match a.as_str() {
            "users" => {
                for to in user_addresses(state, id).await? {
                    plan.push(("users", to, &drafts.users));
                }
            }
            "authority" => {
                for to in &contacts.authority_emails {
                    plan.push(("authority", to.clone(), &drafts.authority));
                }
            }
            _ => {
                for to in &contacts.partner_emails {
                    plan.push(("partner", to.clone(), &drafts.partners));
                }
            }
        }
    }
    if plan.is_empty() {
        return Err(Error::NoRecipients);
    }
    required(state, actor, "incident.notify", id).await?;
    let mut report = SendReport {
        sent: 0,
        failed: 0,
        not_configured: 0,
    };
    for (audience, to, d) in &plan {
        match deliver(state, id, audience, to, &d.subject, &d.body).await? {
            Delivery::Sent => report.sent += 1,
            Delivery::NotConfigured => report.not_configured += 1,
            Delivery::Failed(_) => report.failed += 1,
        }
    }
    let c = state.catalog();
    if report.sent > 0
        && let Some(mut r) = c.incident(id).await?
        && r.notified_at.is_none()
    {
        r.notified_at = Some(now_secs());
        c.update_incident(&r).await?;
    }
    let note = if report.not_configured > 0 {
        format!(
            "notifications: {} sent, {} failed, {} NOT SENT — no SMTP server is configured",
            report.sent, report.failed, report.not_configured
        )
    } else {
        format!(
            "notifications: {} sent, {} failed",
            report.sent, report.failed
        )
    };
    step(state, id, Some(actor), "notified", Some(&note)).await?;
    record(
        state,
        Event::new(Some(actor), "incident.notify", Some(id), "success"),
    )
    .await;
    Ok(report)
}

/// Reminder bits: 24 h, 48 h, overdue.
const REMINDERS: [(i64, i64, &str); 3] = [
    (24, 1, "24 hours"),
    (48, 2, "48 hours"),
    (DEADLINE_HOURS, 4, "overdue"),
];

/// Sends due reminders for confirmed, unnotified breaches (the sweeper);
/// returns how many incidents were reminded about.
pub async fn reminders(state: &AppState) -> Result<u64> {
    if state.keys().is_sealed() {
        return Ok(0);
    }
    let c = state.catalog();
    let now = now_secs();
    let mut n = 0;
    for mut r in c.unnotified_breaches().await? {
        let Some(confirmed) = r.confirmed_at else {
            continue;
        };
        let due: Vec<&(i64, i64, &str)> = REMINDERS
            .iter()
            .filter(|(h, bit, _)| now >= confirmed + h * 3600 && r.reminders & bit == 0)
            .collect();
        let Some(&&(_, _, label)) = due.last() else {
            continue;
        };
        for (_, bit, _) in &due {
            r.reminders |= bit;
        }
        c.update_incident(&r).await?;
        remind(state, &r, label, confirmed + DEADLINE_HOURS * 3600).await?;
        n += 1;
    }
    Ok(n)
}

async fn remind(state: &AppState, r: &IncidentRow, label: &str, deadline: i64) -> Result<()> {
    let overdue = label == "overdue";
    let subject = if overdue {
        format!("OVERDUE: breach notification for incident {} was due", r.id)
    } else {
        format!(
            "Reminder: breach notification for incident {} due in {} hours",
            r.id,
            (deadline - now_secs()).max(0) / 3600
        )
    };
    let text = format!(
        "A personal data breach was confirmed and its notifications have not been sent.\n\
         Incident: {}\nDeadline: {} (UTC), 72 hours after confirmation.\n\n\
         Open the incident in PixelUnion's security page, complete the breach facts and send the notifications.\n",
        r.id,
        crate::audit::export::rfc3339(deadline)
    );
    let mut to = Vec::new();
    for u in state.catalog().list_users().await? {
        if u.role == Role::Security
            && !u.disabled
            && let Some(e) = crate::accounts::email_for(state, &u)
        {
            to.push(e);
        }
    }
    for addr in &to {
        deliver(state, &r.id, "security", addr, &subject, &text).await?;
    }
    let kind = if overdue { "overdue" } else { "reminder" };
    let note = format!("{subject} ({} security officers told)", to.len());
    step(state, &r.id, None, kind, Some(&note)).await?;
    record(
        state,
        Event::new(None, &format!("incident.{kind}"), Some(&r.id), "success"),
    )
    .await;
    Ok(())
}
