//! The incident register (`docs/incidents.md`), for the security role:
//! incidents with severity, status, a sealed description (title, summary,
//! affected systems, the post-incident review, the breach facts), detection
//! and confirmation times and a timeline; affected-account queries
//! ([`affected`]); containment actions ([`containment`]); and, once a breach
//! is confirmed, the 72-hour clock, reminders and the notifications
//! ([`notify`]).
//!
//! Everything an incident says is encrypted under the system key; its
//! severity, status and times are plain (they drive the clock). Every change
//! is on the audit trail; containment actions fail closed without it. It
//! must never depend on `http` or axum, and never show a user's content.

pub mod affected;
pub mod containment;
pub mod notify;

use pixelunion_catalog::{IncidentEventRow, IncidentRow};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::audit::{Event, record};
use crate::clock::now_secs;
use crate::fields::{self, Column, SYSTEM};

/// Hours between a breach's confirmation and the notification deadline.
pub const DEADLINE_HOURS: i64 = 72;

/// What incident operations fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Sealed: the register is encrypted.
    #[error("the server is sealed")]
    Sealed,
    /// No such incident.
    #[error("no such incident")]
    NotFound,
    /// A value that does not fit (field named).
    #[error("{0}")]
    Invalid(String),
    /// A notification with no one to send it to.
    #[error(
        "no recipients: no affected accounts recorded and no authority or partner addresses configured for the audiences chosen"
    )]
    NoRecipients,
    /// The action must be on the audit trail first and could not be.
    #[error("the audit trail cannot record this action, so it was not done; try again later")]
    AuditUnavailable,
    /// The catalog failed.
    #[error("catalog: {0}")]
    Catalog(#[from] pixelunion_catalog::CatalogError),
    /// A key operation failed.
    #[error("vault: {0}")]
    Vault(#[from] pixelunion_vault::VaultError),
    /// Key state.
    #[error("keys: {0}")]
    Keys(#[from] crate::keystate::KeyStateError),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The facts a breach notification must give (GDPR art. 33/34).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BreachFacts {
    /// the nature of the breach
    pub nature: String,
    /// categories of data concerned (e.g. "e-mail addresses", "photos")
    pub categories: Vec<String>,
    /// approximate number of records concerned
    pub records: Option<u64>,
    /// likely consequences
    pub consequences: String,
    /// measures taken or proposed
    pub measures: String,
}

/// The post-incident review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Review {
    /// what happened and why (root cause)
    pub cause: String,
    /// what went well, what did not
    pub lessons: String,
    /// follow-up actions
    pub actions: String,
}

/// What an incident says (sealed as one JSON document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Details {
    /// a short title
    pub title: String,
    /// what is known
    pub summary: String,
    /// systems concerned ("login", "primary store", …)
    pub affected_systems: Vec<String>,
    /// the breach facts (for the notifications)
    pub breach: BreachFacts,
    /// the post-incident review
    pub review: Review,
}

const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const STATUSES: [&str; 4] = ["open", "contained", "resolved", "closed"];

fn system_key<T>(
    state: &AppState,
    f: impl FnOnce(&pixelunion_vault::DataKey) -> Result<T>,
) -> Result<T> {
    state
        .keys()
        .with_keyring(|k| k.system_key().map_err(Error::from).and_then(f))
        .ok_or(Error::Sealed)?
}

fn seal_details(state: &AppState, id: &str, d: &Details) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(d).map_err(|e| Error::Invalid(e.to_string()))?;
    system_key(state, |k| {
        Ok(fields::seal(k, Column::IncidentDetails, SYSTEM, id, &json)?)
    })
}

fn open_details(state: &AppState, r: &IncidentRow) -> Result<Details> {
    let plain = state
        .keys()
        .with_keyring(|k| fields::open_system(k, Column::IncidentDetails, &r.id, &r.details))
        .ok_or(Error::Sealed)??;
    serde_json::from_slice(&plain)
        .map_err(|_| Error::Invalid("stored incident details do not parse".into()))
}

/// Seals a timeline note or message field for incident `id`.
pub(crate) fn seal_text(state: &AppState, column: Column, id: &str, text: &str) -> Result<Vec<u8>> {
    Ok(state
        .keys()
        .with_keyring(|k| fields::seal_system_text(k, column, id, text))
        .ok_or(Error::Sealed)??)
}

/// Opens what [`seal_text`] sealed.
pub(crate) fn open_text(state: &AppState, column: Column, id: &str, ct: &[u8]) -> Option<String> {
    state
        .keys()
        .with_keyring(|k| fields::open_system_text(k, column, id, ct))
        .flatten()
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimelineStep {
    /// unix seconds
    pub at: i64,
    /// who (user id), if a person
    pub actor: Option<String>,
    /// what kind of step
    pub kind: String,
    /// the note
    pub note: Option<String>,
}

/// The 72-hour clock of a confirmed breach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Clock {
    /// confirmed at (unix s)
    pub confirmed_at: i64,
    /// notifications due by (unix s)
    pub deadline_at: i64,
    /// seconds left (negative: overdue)
    pub seconds_left: i64,
    /// the notifications went out (unix s)
    pub notified_at: Option<i64>,
    /// past the deadline without notifications
    pub overdue: bool,
}

/// An incident as the security role sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    /// id
    pub id: String,
    /// `low`, `medium`, `high`, `critical`
    pub severity: String,
    /// `open`, `contained`, `resolved`, `closed`
    pub status: String,
    /// what it says
    pub details: Details,
    /// detected (unix s)
    pub detected_at: i64,
    /// opened by (user id)
    pub created_by: String,
    /// opened (unix s)
    pub created_at: i64,
    /// last change (unix s)
    pub updated_at: i64,
    /// the breach clock, once a breach is confirmed
    pub clock: Option<Clock>,
    /// accounts recorded as affected
    pub affected_accounts: usize,
    /// the timeline (oldest first; only in single views)
    pub timeline: Vec<TimelineStep>,
    /// notification messages sent (only in single views)
    pub messages: Vec<notify::MessageView>,
    /// whether e-mail is configured (without it, nothing is sent)
    pub email_configured: bool,
}

fn clock_of(r: &IncidentRow, now: i64) -> Option<Clock> {
    let confirmed = r.confirmed_at?;
    let deadline = confirmed + DEADLINE_HOURS * 3600;
    Some(Clock {
        confirmed_at: confirmed,
        deadline_at: deadline,
        seconds_left: deadline - now,
        notified_at: r.notified_at,
        overdue: r.notified_at.is_none() && now > deadline,
    })
}

async fn view(state: &AppState, r: &IncidentRow, full: bool) -> Result<IncidentView> {
    let c = state.catalog();
    let (timeline, messages) = if full {
        let steps = c
            .incident_events(&r.id)
            .await?
            .into_iter()
            .map(|e: IncidentEventRow| TimelineStep {
                note: e
                    .note
                    .as_deref()
                    .and_then(|n| open_text(state, Column::IncidentNote, &r.id, n)),
                at: e.at,
                actor: e.actor,
                kind: e.kind,
            })
            .collect();
        (steps, notify::messages(state, &r.id).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(IncidentView {
        id: r.id.clone(),
        severity: r.severity.clone(),
        status: r.status.clone(),
        details: open_details(state, r)?,
        detected_at: r.detected_at,
        created_by: r.created_by.clone(),
        created_at: r.created_at,
        updated_at: r.updated_at,
        clock: clock_of(r, now_secs()),
        affected_accounts: c.incident_affected(&r.id).await?.len(),
        timeline,
        messages,
        email_configured: state.config().smtp.enabled(),
    })
}

fn check(severity: Option<&str>, status: Option<&str>, d: &Details) -> Result<()> {
    if let Some(s) = severity
        && !SEVERITIES.contains(&s)
    {
        return Err(Error::Invalid(
            "severity is low, medium, high or critical".into(),
        ));
    }
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(Error::Invalid(
            "status is open, contained, resolved or closed".into(),
        ));
    }
    if d.title.trim().is_empty() || d.title.chars().count() > 200 {
        return Err(Error::Invalid("a title of 1 to 200 characters".into()));
    }
    let long = [
        &d.summary,
        &d.breach.nature,
        &d.breach.consequences,
        &d.breach.measures,
        &d.review.cause,
        &d.review.lessons,
        &d.review.actions,
    ];
    if long.iter().any(|t| t.chars().count() > 20_000)
        || d.affected_systems.len() > 50
        || d.breach.categories.len() > 50
    {
        return Err(Error::Invalid(
            "texts up to 20000 characters, up to 50 systems or categories".into(),
        ));
    }
    Ok(())
}

/// Writes `actor … action` to the trail before an incident change; fails
/// closed.
pub(crate) async fn required(state: &AppState, actor: &str, action: &str, id: &str) -> Result<()> {
    crate::audit::require(state, Event::new(Some(actor), action, Some(id), "request"))
        .await
        .map(|_| ())
        .map_err(|e| match e {
            crate::audit::Error::Sealed => Error::Sealed,
            _ => Error::AuditUnavailable,
        })
}

/// Adds a timeline step (with a sealed note).
pub(crate) async fn step(
    state: &AppState,
    id: &str,
    actor: Option<&str>,
    kind: &str,
    note: Option<&str>,
) -> Result<()> {
    let sealed = note
        .map(|n| seal_text(state, Column::IncidentNote, id, n))
        .transpose()?;
    state
        .catalog()
        .add_incident_event(id, now_secs(), actor, kind, sealed.as_deref())
        .await?;
    Ok(())
}

/// A new incident.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// `low`, `medium`, `high`, `critical`
    pub severity: String,
    /// when it was detected (unix s; default now)
    pub detected_at: Option<i64>,
    /// what it says
    #[serde(flatten)]
    pub details: Details,
}

/// Opens an incident.
pub async fn create(state: &AppState, actor: &str, n: NewIncident) -> Result<IncidentView> {
    check(Some(&n.severity), None, &n.details)?;
    let id = uuid::Uuid::new_v4().to_string();
    required(state, actor, "incident.open", &id).await?;
    let now = now_secs();
    let row = IncidentRow {
        details: seal_details(state, &id, &n.details)?,
        id: id.clone(),
        severity: n.severity,
        status: "open".into(),
        detected_at: n.detected_at.unwrap_or(now),
        confirmed_at: None,
        notified_at: None,
        reminders: 0,
        created_by: actor.into(),
        created_at: now,
        updated_at: now,
    };
    state.catalog().create_incident(&row).await?;
    step(
        state,
        &id,
        Some(actor),
        "opened",
        Some(&format!("severity {}", row.severity)),
    )
    .await?;
    record(
        state,
        Event::new(Some(actor), "incident.open", Some(&id), "success"),
    )
    .await;
    get(state, &id).await
}

/// Every incident (no timelines), newest first.
pub async fn list(state: &AppState) -> Result<Vec<IncidentView>> {
    let mut out = Vec::new();
    for r in state.catalog().incidents().await? {
        out.push(view(state, &r, false).await?);
    }
    Ok(out)
}

/// One incident with its timeline and messages.
pub async fn get(state: &AppState, id: &str) -> Result<IncidentView> {
    let r = state.catalog().incident(id).await?.ok_or(Error::NotFound)?;
    view(state, &r, true).await
}

/// A change to an incident; `None` leaves a field alone.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Edit {
    /// new severity
    pub severity: Option<String>,
    /// new status
    pub status: Option<String>,
    /// new title
    pub title: Option<String>,
    /// new summary
    pub summary: Option<String>,
    /// new list of affected systems
    pub affected_systems: Option<Vec<String>>,
    /// new breach facts
    pub breach: Option<BreachFacts>,
    /// the post-incident review
    pub review: Option<Review>,
    /// a note for the timeline
    pub note: Option<String>,
}

/// Changes an incident; every change is a timeline step.
pub async fn edit(state: &AppState, actor: &str, id: &str, e: Edit) -> Result<IncidentView> {
    let c = state.catalog();
    let mut r = c.incident(id).await?.ok_or(Error::NotFound)?;
    let mut d = open_details(state, &r)?;
    if let Some(t) = e.title {
        d.title = t;
    }
    if let Some(s) = e.summary {
        d.summary = s;
    }
    if let Some(s) = e.affected_systems {
        d.affected_systems = s;
    }
    if let Some(b) = e.breach {
        d.breach = b;
    }
    let reviewed = e.review.is_some();
    if let Some(rv) = e.review {
        d.review = rv;
    }
    check(e.severity.as_deref(), e.status.as_deref(), &d)?;
    if e.note.as_ref().is_some_and(|n| n.chars().count() > 20_000) {
        return Err(Error::Invalid("a note has at most 20000 characters".into()));
    }
    required(state, actor, "incident.update", id).await?;
    let mut steps: Vec<(String, Option<String>)> = Vec::new();
    if let Some(s) = e.severity.filter(|s| *s != r.severity) {
        steps.push(("severity".into(), Some(format!("{} → {s}", r.severity))));
        r.severity = s;
    }
    if let Some(s) = e.status.filter(|s| *s != r.status) {
        steps.push(("status".into(), Some(format!("{} → {s}", r.status))));
        r.status = s;
    }
    if reviewed {
        steps.push(("review".into(), None));
    }
    if let Some(n) = e.note {
        steps.push(("note".into(), Some(n)));
    }
    r.details = seal_details(state, id, &d)?;
    r.updated_at = now_secs();
    c.update_incident(&r).await?;
    for (kind, note) in &steps {
        step(state, id, Some(actor), kind, note.as_deref()).await?;
    }
    record(
        state,
        Event::new(Some(actor), "incident.update", Some(id), "success"),
    )
    .await;
    get(state, id).await
}

/// Confirms that the incident is a personal-data breach: the 72-hour
/// clock starts (once; a second confirmation changes nothing).
pub async fn confirm_breach(state: &AppState, actor: &str, id: &str) -> Result<IncidentView> {
    let c = state.catalog();
    let mut r = c.incident(id).await?.ok_or(Error::NotFound)?;
    if r.confirmed_at.is_none() {
        required(state, actor, "incident.breach-confirmed", id).await?;
        let now = now_secs();
        r.confirmed_at = Some(now);
        r.updated_at = now;
        c.update_incident(&r).await?;
        step(
            state,
            id,
            Some(actor),
            "breach-confirmed",
            Some("the 72-hour notification clock started"),
        )
        .await?;
        record(
            state,
            Event::new(
                Some(actor),
                "incident.breach-confirmed",
                Some(id),
                "success",
            ),
        )
        .await;
    }
    get(state, id).await
}

/// The admin page's and status's view of the clocks: confirmed breaches not
/// yet notified, soonest deadline first.
pub async fn open_clocks(state: &AppState) -> Result<Vec<(String, Clock)>> {
    let now = now_secs();
    Ok(state
        .catalog()
        .unnotified_breaches()
        .await?
        .iter()
        .filter_map(|r| clock_of(r, now).map(|c| (r.id.clone(), c)))
        .collect())
}
