//! The append-only, chained audit trail. The catalog stores entries and
//! keeps appends in order (one at a time, across nodes: the `audit_lock`
//! row); the MAC that chains them is computed by the caller's closure, so
//! no key ever reaches this crate. Events raised while sealed wait in
//! `audit_pending` until they can be chained.

use crate::BeginWrite as _;
use crate::{Catalog, CatalogError, Result};

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
    /// "success", "failure", "denied", "request"
    pub outcome: String,
    /// field-encrypted details (system key)
    pub details: Option<Vec<u8>>,
    /// keyring version of the MAC key (`None`: written before the chain)
    pub key_version: Option<i64>,
    /// HMAC chaining this entry to the previous one
    pub mac: Option<Vec<u8>>,
    /// field-encrypted "address · user agent" (system key)
    pub client: Option<Vec<u8>>,
}

/// A signed head of the chain.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditCheckpointRow {
    /// last entry covered
    pub seq: i64,
    /// first chained entry
    pub first_seq: i64,
    /// unix seconds
    pub at: i64,
    /// MAC of entry `seq`
    pub mac: Vec<u8>,
    /// Ed25519 signature
    pub signature: Vec<u8>,
}

/// Fills in an entry's `key_version` and `mac` given the previous MAC (the
/// caller's key never comes here). An error aborts the append.
pub type MacFn<'a> = dyn FnMut(&mut AuditRow, &[u8]) -> std::result::Result<(), String> + Send + 'a;

const COLUMNS: &str = "seq, at, actor, action, target, outcome, details, key_version, mac, client";
const LOCK: &str = "UPDATE audit_lock SET n = n + 1 WHERE id = 1";
const LAST: &str = "SELECT seq, mac FROM audit_events ORDER BY seq DESC LIMIT 1";
const INSERT: &str = "INSERT INTO audit_events (seq, at, actor, action, target, outcome, details, key_version, mac, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

impl Catalog {
    /// Appends `e` at the end of the chain: takes the append lock, reads the
    /// last entry, lets `mac` fill in the MAC and stores the entry under the
    /// next sequence number, in one transaction. Returns that number.
    pub async fn append_audit_chained(&self, e: &AuditRow, mac: &mut MacFn<'_>) -> Result<i64> {
        Ok(self
            .chain(std::slice::from_ref(e), None, mac)
            .await?
            .unwrap_or(0))
    }

    /// Moves every pending event (raised while sealed) into the chain, in
    /// order; returns how many moved.
    pub async fn chain_pending_audit(&self, mac: &mut MacFn<'_>) -> Result<u64> {
        let q = "SELECT id AS seq, at, actor, action, target, outcome FROM audit_pending ORDER BY id LIMIT 1000";
        let mut moved = 0;
        loop {
            let rows: Vec<AuditRowLoose> =
                with_pool!(self, p => sqlx::query_as(q).fetch_all(p).await?);
            if rows.is_empty() {
                return Ok(moved);
            }
            let rows: Vec<AuditRow> = rows.into_iter().map(AuditRow::from).collect();
            let last_pending = rows.last().map(|r| r.seq);
            self.chain(&rows, last_pending, mac).await?;
            moved += rows.len() as u64;
        }
    }

    async fn chain(
        &self,
        rows: &[AuditRow],
        drop_pending_to: Option<i64>,
        mac: &mut MacFn<'_>,
    ) -> Result<Option<i64>> {
        let r: std::result::Result<Option<i64>, CatalogError> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(LOCK).execute(&mut *tx).await?;
            let last: Option<(i64, Option<Vec<u8>>)> = sqlx::query_as(LAST).fetch_optional(&mut *tx).await?;
            let (mut seq, mut prev) = match last {
                Some((s, m)) => (s, m.unwrap_or_else(|| vec![0; 32])),
                None => (0, vec![0; 32]),
            };
            for e in rows {
                let mut row = e.clone();
                seq += 1;
                row.seq = seq;
                mac(&mut row, &prev).map_err(CatalogError::Audit)?;
                sqlx::query(INSERT)
                    .bind(row.seq).bind(row.at).bind(&row.actor).bind(&row.action).bind(&row.target)
                    .bind(&row.outcome).bind(&row.details).bind(row.key_version).bind(&row.mac).bind(&row.client)
                    .execute(&mut *tx).await?;
                prev = row.mac.clone().unwrap_or_else(|| vec![0; 32]);
            }
            if let Some(upto) = drop_pending_to {
                sqlx::query("DELETE FROM audit_pending WHERE id <= $1").bind(upto).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok((!rows.is_empty()).then_some(seq))
        }.await);
        r
    }

    /// Records an event raised while sealed; it joins the chain at unseal.
    pub async fn append_audit_pending(&self, e: &AuditRow) -> Result<()> {
        let q = "INSERT INTO audit_pending (at, actor, action, target, outcome) VALUES ($1, $2, $3, $4, $5)";
        with_pool!(self, p => sqlx::query(q)
            .bind(e.at).bind(&e.actor).bind(&e.action).bind(&e.target).bind(&e.outcome)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// How many events wait to be chained.
    pub async fn pending_audit_count(&self) -> Result<i64> {
        let q = "SELECT COUNT(*) FROM audit_pending";
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(q).fetch_one(p).await?);
        Ok(n)
    }

    /// The latest `limit` audit events, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let q = format!("SELECT {COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(limit).fetch_all(p).await?))
    }

    /// Up to `limit` entries after `after_seq`, oldest first (verification).
    pub async fn audit_after(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRow>> {
        let q = format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2");
        Ok(
            with_pool!(self, p => sqlx::query_as(&q).bind(after_seq).bind(limit).fetch_all(p).await?),
        )
    }

    /// Up to `limit` entries at or after `since` (unix seconds) with a
    /// sequence number after `after_seq`, oldest first (export).
    pub async fn audit_since(
        &self,
        since: i64,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE at >= $1 AND seq > $2 ORDER BY seq LIMIT $3"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&q).bind(since).bind(after_seq).bind(limit).fetch_all(p).await?),
        )
    }

    /// Entries by or about `user_id`, newest first (an account's own
    /// security events, access requests).
    pub async fn audit_about(&self, user_id: &str, limit: i64) -> Result<Vec<AuditRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM audit_events WHERE actor = $1 OR target = $1 ORDER BY seq DESC LIMIT $2"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user_id).bind(limit).fetch_all(p).await?))
    }

    /// Stores a signed checkpoint (a second one for the same entry is kept
    /// as the first).
    pub async fn add_audit_checkpoint(&self, c: &AuditCheckpointRow) -> Result<()> {
        let q = format!(
            "INSERT INTO audit_checkpoints (seq, first_seq, at, mac, signature) VALUES ($1, $2, $3, $4, $5) {}",
            "ON CONFLICT (seq) DO NOTHING"
        );
        with_pool!(self, p => sqlx::query(&q)
            .bind(c.seq).bind(c.first_seq).bind(c.at).bind(&c.mac).bind(&c.signature)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Every checkpoint, oldest first.
    pub async fn audit_checkpoints(&self) -> Result<Vec<AuditCheckpointRow>> {
        let q = "SELECT seq, first_seq, at, mac, signature FROM audit_checkpoints ORDER BY seq";
        Ok(with_pool!(self, p => sqlx::query_as(q).fetch_all(p).await?))
    }
}

/// A pending row.
#[derive(sqlx::FromRow)]
struct AuditRowLoose {
    seq: i64,
    at: i64,
    actor: Option<String>,
    action: String,
    target: Option<String>,
    outcome: String,
}

impl From<AuditRowLoose> for AuditRow {
    fn from(r: AuditRowLoose) -> Self {
        AuditRow {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            outcome: r.outcome,
            details: None,
            key_version: None,
            mac: None,
            client: None,
        }
    }
}

impl Catalog {
    /// The first entry that carries a MAC.
    pub async fn first_chained_audit_seq(&self) -> Result<Option<i64>> {
        let q = "SELECT MIN(seq) FROM audit_events WHERE mac IS NOT NULL";
        let (n,): (Option<i64>,) = with_pool!(self, p => sqlx::query_as(q).fetch_one(p).await?);
        Ok(n)
    }
}
