//! The append-only audit trail.

use crate::{Catalog, Result};

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// sequence number
    pub seq: i64,
    /// unix seconds
    pub at: i64,
    /// acting user id, if any
    pub actor: Option<String>,
    /// e.g. "login", "session.revoke"
    pub action: String,
    /// affected user or object id
    pub target: Option<String>,
    /// "success", "failure", "denied"
    pub outcome: String,
    /// field-encrypted details (system key)
    pub details: Option<Vec<u8>>,
}

impl Catalog {
    /// Appends an audit event.
    pub async fn append_audit(&self, e: &AuditRow) -> Result<()> {
        let q = "INSERT INTO audit_events (at, actor, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, $6)";
        with_pool!(self, p => sqlx::query(q)
            .bind(e.at).bind(&e.actor).bind(&e.action).bind(&e.target).bind(&e.outcome).bind(&e.details)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The latest `limit` audit events, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let q = "SELECT seq, at, actor, action, target, outcome, details FROM audit_events ORDER BY seq DESC LIMIT $1";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(limit).fetch_all(p).await?))
    }
}
