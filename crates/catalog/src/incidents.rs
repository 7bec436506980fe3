//! The incident register's rows: incidents, their timeline, the accounts
//! found affected, and every notification message with its delivery
//! result. Content arrives sealed (system key); this module only stores it.

use crate::{Catalog, Result};

/// One incident.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentRow {
    /// random id
    pub id: String,
    /// `low`, `medium`, `high`, `critical`
    pub severity: String,
    /// `open`, `contained`, `resolved`, `closed`
    pub status: String,
    /// sealed JSON: title, summary, affected systems, review, notification facts
    pub details: Vec<u8>,
    /// unix seconds
    pub detected_at: i64,
    /// a breach confirmed at (unix s): the 72-hour clock's start
    pub confirmed_at: Option<i64>,
    /// notifications sent at (unix s)
    pub notified_at: Option<i64>,
    /// reminders sent (bits: 1 = 24 h, 2 = 48 h, 4 = overdue)
    pub reminders: i64,
    /// who opened it
    pub created_by: String,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub updated_at: i64,
}

/// One step of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentEventRow {
    /// 1, 2, …
    pub seq: i64,
    /// unix seconds
    pub at: i64,
    /// who (user id), if a person
    pub actor: Option<String>,
    /// `opened`, `note`, `severity`, `status`, `breach-confirmed`, `containment:…`, `notified`, `reminder`, …
    pub kind: String,
    /// sealed note
    pub note: Option<Vec<u8>>,
}

/// One notification message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentMessageRow {
    /// random id
    pub id: String,
    /// `users`, `authority`, `partner`, `security`
    pub audience: String,
    /// sealed address
    pub recipient: Vec<u8>,
    /// sealed subject
    pub subject: Vec<u8>,
    /// sealed body
    pub body: Vec<u8>,
    /// `sent`, `not-configured`, `failed`
    pub state: String,
    /// why it failed
    pub detail: Option<String>,
    /// unix seconds
    pub at: i64,
}

const COLS: &str = "id, severity, status, details, detected_at, confirmed_at, notified_at, reminders, created_by, created_at, updated_at";

impl Catalog {
    /// Stores a new incident.
    pub async fn create_incident(&self, r: &IncidentRow) -> Result<()> {
        let q = format!(
            "INSERT INTO incidents ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        with_pool!(self, p => sqlx::query(&q)
            .bind(&r.id).bind(&r.severity).bind(&r.status).bind(&r.details).bind(r.detected_at)
            .bind(r.confirmed_at).bind(r.notified_at).bind(r.reminders).bind(&r.created_by)
            .bind(r.created_at).bind(r.updated_at)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Writes an incident's changeable fields back.
    pub async fn update_incident(&self, r: &IncidentRow) -> Result<bool> {
        let q = "UPDATE incidents SET severity = $2, status = $3, details = $4, confirmed_at = $5, notified_at = $6, reminders = $7, updated_at = $8 WHERE id = $1";
        let n = with_pool!(self, p => sqlx::query(q)
            .bind(&r.id).bind(&r.severity).bind(&r.status).bind(&r.details).bind(r.confirmed_at)
            .bind(r.notified_at).bind(r.reminders).bind(r.updated_at)
            .execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// One incident.
    pub async fn incident(&self, id: &str) -> Result<Option<IncidentRow>> {
        let q = format!("SELECT {COLS} FROM incidents WHERE id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_optional(p).await?))
    }

    /// Every incident, newest first.
    pub async fn incidents(&self) -> Result<Vec<IncidentRow>> {
        let q = format!("SELECT {COLS} FROM incidents ORDER BY created_at DESC, id");
        Ok(with_pool!(self, p => sqlx::query_as(&q).fetch_all(p).await?))
    }

    /// Confirmed breaches whose notifications have not gone out.
    pub async fn unnotified_breaches(&self) -> Result<Vec<IncidentRow>> {
        let q = format!(
            "SELECT {COLS} FROM incidents WHERE confirmed_at IS NOT NULL AND notified_at IS NULL ORDER BY confirmed_at"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).fetch_all(p).await?))
    }

    /// Appends a timeline step (the next number).
    pub async fn add_incident_event(
        &self,
        incident: &str,
        at: i64,
        actor: Option<&str>,
        kind: &str,
        note: Option<&[u8]>,
    ) -> Result<()> {
        let q = "INSERT INTO incident_events (incident_id, seq, at, actor, kind, note) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM incident_events WHERE incident_id = $1";
        with_pool!(self, p => sqlx::query(q).bind(incident).bind(at).bind(actor).bind(kind).bind(note)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// An incident's timeline, oldest first.
    pub async fn incident_events(&self, incident: &str) -> Result<Vec<IncidentEventRow>> {
        let q = "SELECT seq, at, actor, kind, note FROM incident_events WHERE incident_id = $1 ORDER BY seq";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(incident).fetch_all(p).await?))
    }

    /// Records accounts found affected (again: kept once).
    pub async fn add_incident_affected(&self, incident: &str, users: &[String]) -> Result<()> {
        let q = "INSERT INTO incident_affected (incident_id, user_id) VALUES ($1, $2) ON CONFLICT (incident_id, user_id) DO NOTHING";
        for u in users {
            with_pool!(self, p => sqlx::query(q).bind(incident).bind(u).execute(p).await.map(|_| ())?);
        }
        Ok(())
    }

    /// The accounts recorded as affected.
    pub async fn incident_affected(&self, incident: &str) -> Result<Vec<String>> {
        let q = "SELECT user_id FROM incident_affected WHERE incident_id = $1 ORDER BY user_id";
        let rows: Vec<(String,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(incident).fetch_all(p).await?);
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Records a notification message and its delivery.
    pub async fn add_incident_message(&self, incident: &str, m: &IncidentMessageRow) -> Result<()> {
        let q = "INSERT INTO incident_messages (id, incident_id, audience, recipient, subject, body, state, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&m.id).bind(incident).bind(&m.audience).bind(&m.recipient).bind(&m.subject).bind(&m.body)
            .bind(&m.state).bind(&m.detail).bind(m.at)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// An incident's messages, oldest first.
    pub async fn incident_messages(&self, incident: &str) -> Result<Vec<IncidentMessageRow>> {
        let q = "SELECT id, audience, recipient, subject, body, state, detail, at FROM incident_messages WHERE incident_id = $1 ORDER BY at, id";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(incident).fetch_all(p).await?))
    }

    /// Sessions created or used from `since` on (affected-user queries):
    /// `(user id, session id, sealed client)`.
    pub async fn sessions_active_since(
        &self,
        since: i64,
    ) -> Result<Vec<(String, String, Option<Vec<u8>>)>> {
        let q =
            "SELECT user_id, id, client FROM sessions WHERE last_seen_at >= $1 ORDER BY user_id";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(since).fetch_all(p).await?))
    }

    /// The owners of these blobs (originals and renditions).
    pub async fn owners_of_blobs(&self, blobs: &[String]) -> Result<Vec<String>> {
        let q = "SELECT owner_id FROM assets WHERE blob_name = $1 UNION SELECT a.owner_id FROM asset_files f JOIN assets a ON a.id = f.asset_id WHERE f.blob_name = $1 UNION SELECT a.owner_id FROM asset_parts x JOIN assets a ON a.id = x.asset_id WHERE x.blob_name = $1";
        let mut out = Vec::new();
        for b in blobs {
            let rows: Vec<(String,)> =
                with_pool!(self, p => sqlx::query_as(q).bind(b).fetch_all(p).await?);
            out.extend(rows.into_iter().map(|r| r.0));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The owner of an API token or session, by its id.
    pub async fn owner_of_credential(&self, id: &str) -> Result<Option<String>> {
        let q = "SELECT user_id FROM api_tokens WHERE id = $1 UNION SELECT user_id FROM sessions WHERE id = $1";
        let row: Option<(String,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(id).fetch_optional(p).await?);
        Ok(row.map(|r| r.0))
    }

    /// Ends every session of every account; returns how many.
    pub async fn delete_all_sessions(&self) -> Result<u64> {
        let _changed = crate::accounts::AccountsWrite::start();
        Ok(
            with_pool!(self, p => sqlx::query("DELETE FROM sessions").execute(p).await?.rows_affected()),
        )
    }

    /// Revokes every API token; returns how many.
    pub async fn delete_all_api_tokens(&self) -> Result<u64> {
        let _changed = crate::accounts::AccountsWrite::start();
        Ok(
            with_pool!(self, p => sqlx::query("DELETE FROM api_tokens").execute(p).await?.rows_affected()),
        )
    }
}
