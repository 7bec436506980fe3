//! The tamper-evident audit trail (`docs/audit-format.md`): recording
//! events into the chained log, signed checkpoints, verification and export.
//!
//! Every entry written while unsealed is chained with an HMAC under a
//! keyring-derived key; the client's address and user agent are encrypted
//! under the system key, never stored in clear. Events raised while sealed
//! wait in the catalog's pending list and join the chain at unseal.
//! [`record`] is best effort (a failure is logged); [`require`] is for
//! privileged actions, which must not happen unrecorded: it fails closed.
//!
//! It must never depend on `http` or axum, and never put a secret, a token,
//! an e-mail address or user content into an entry.

pub mod checkpoint;
pub mod export;
pub mod verify;

use pixelunion_catalog::AuditRow;
use pixelunion_vault::audit::Entry;

use crate::AppState;
use crate::clock::now_secs;
use crate::fields::{self, Column, SYSTEM};

/// What the trail could not do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server is sealed: nothing can be chained.
    #[error("the server is sealed")]
    Sealed,
    /// The catalog refused the entry.
    #[error("audit write failed: {0}")]
    Catalog(#[from] pixelunion_catalog::CatalogError),
    /// A key operation failed.
    #[error("audit key: {0}")]
    Vault(#[from] pixelunion_vault::VaultError),
    /// The backup store refused a checkpoint.
    #[error("checkpoint store: {0}")]
    Store(#[from] pixelunion_store::StoreError),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One event to record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Event<'a> {
    /// who acted (user id)
    pub actor: Option<&'a str>,
    /// what happened ("login", "account.delete", …)
    pub action: &'a str,
    /// what it happened to (an id, never content)
    pub target: Option<&'a str>,
    /// "success", "failure", "denied", "request"
    pub outcome: &'a str,
    /// "address · user agent" of the request (stored encrypted)
    pub client: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// An event with an actor, action, target and outcome.
    pub fn new(
        actor: Option<&'a str>,
        action: &'a str,
        target: Option<&'a str>,
        outcome: &'a str,
    ) -> Self {
        Event {
            actor,
            action,
            target,
            outcome,
            client: None,
        }
    }

    /// The same event with the client's address and agent.
    pub fn from_client(self, client: &'a str) -> Self {
        Event {
            client: Some(client),
            ..self
        }
    }
}

/// The "row" a client field is bound to: the event's time and action (the
/// chain MAC binds it to its place).
fn client_row(at: i64, action: &str) -> String {
    format!("{at}:{action}")
}

/// The row of `e` as it is before chaining (no MAC, no client).
fn unchained(e: &Event<'_>) -> AuditRow {
    AuditRow {
        seq: 0,
        at: now_secs(),
        actor: e.actor.map(str::to_string),
        action: e.action.to_string(),
        target: e.target.map(str::to_string),
        outcome: e.outcome.to_string(),
        details: None,
        key_version: None,
        mac: None,
        client: None,
    }
}

/// Records `e` in the chain (or, while sealed, in the pending list);
/// returns its sequence number (0 when pending).
async fn write(state: &AppState, e: Event<'_>) -> Result<i64> {
    let mut row = unchained(&e);
    let at = row.at;
    if state.keys().is_sealed() {
        state.catalog().append_audit_pending(&row).await?;
        return Ok(0);
    }
    if let Some(c) = e.client {
        row.client = Some(
            state
                .keys()
                .with_keyring(|k| {
                    k.system_key().and_then(|key| {
                        fields::seal_text(
                            key,
                            Column::AuditClient,
                            SYSTEM,
                            &client_row(at, e.action),
                            c,
                        )
                    })
                })
                .ok_or(Error::Sealed)??,
        );
    }
    let mut mac = |r: &mut AuditRow, prev: &[u8]| chain_mac(state, r, prev);
    Ok(state.catalog().append_audit_chained(&row, &mut mac).await?)
}

/// Fills in `r`'s key version and MAC (the closure the catalog calls).
fn chain_mac(state: &AppState, r: &mut AuditRow, prev: &[u8]) -> std::result::Result<(), String> {
    let prev: [u8; 32] = prev
        .try_into()
        .map_err(|_| "previous MAC has the wrong length".to_string())?;
    let mac = state
        .keys()
        .with_keyring(|k| {
            let version = k.active_version();
            let e = entry_of(r, version);
            k.audit_mac(&prev, &e).map(|m| (version, m))
        })
        .ok_or_else(|| "sealed".to_string())?
        .map_err(|e| e.to_string())?;
    r.key_version = Some(i64::from(mac.0));
    r.mac = Some(mac.1.to_vec());
    Ok(())
}

/// The MAC's view of a stored row.
pub(crate) fn entry_of(r: &AuditRow, key_version: u32) -> Entry<'_> {
    Entry {
        seq: u64::try_from(r.seq).unwrap_or(0),
        at: r.at,
        key_version,
        actor: r.actor.as_deref(),
        action: &r.action,
        target: r.target.as_deref(),
        outcome: &r.outcome,
        details: r.details.as_deref(),
        client: r.client.as_deref(),
    }
}

/// Records an event; a failure is logged, never shown to the client.
/// While sealed the event waits in the pending list.
pub async fn record(state: &AppState, e: Event<'_>) {
    match write(state, e).await {
        Ok(_) => {}
        Err(err) => {
            // Not chained (e.g. sealed between the check and the write):
            // keep the event unchained rather than lose it.
            let fallback = unchained(&e);
            if let Err(e2) = state.catalog().append_audit_pending(&fallback).await {
                tracing::error!(error = %err, again = %e2, action = e.action, "could not write audit event");
            } else {
                tracing::warn!(error = %err, action = e.action, "audit event kept unchained until the next unseal");
            }
        }
    }
}

/// Records an event that must be on the trail before a privileged action
/// goes ahead (in the manner of Vault's audit devices, which refuse a
/// request they cannot log): an error means "do not do it".
pub async fn require(state: &AppState, e: Event<'_>) -> Result<i64> {
    match write(state, e).await {
        Ok(0) => Err(Error::Sealed),
        Ok(seq) => Ok(seq),
        Err(err) => {
            tracing::error!(error = %err, action = e.action, "audit write failed: the privileged action is refused");
            Err(err)
        }
    }
}

/// Moves events raised while sealed into the chain (at unseal and by the
/// background loop); returns how many moved.
pub async fn chain_pending(state: &AppState) -> Result<u64> {
    if state.keys().is_sealed() {
        return Ok(0);
    }
    let mut mac = |r: &mut AuditRow, prev: &[u8]| chain_mac(state, r, prev);
    Ok(state.catalog().chain_pending_audit(&mut mac).await?)
}

/// The client field of a stored entry, decrypted (for export and the
/// security officer's views); `None` when absent or not readable.
pub fn client_of(state: &AppState, r: &AuditRow) -> Option<String> {
    let ct = r.client.as_deref()?;
    state
        .keys()
        .with_keyring(|k| {
            fields::open_system(k, Column::AuditClient, &client_row(r.at, &r.action), ct).ok()
        })
        .flatten()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
}

/// At unseal: the events raised while sealed join the chain, the unseal is
/// recorded, and the head is checkpointed.
pub async fn on_unseal(state: &AppState, peer: &str) {
    match chain_pending(state).await {
        Ok(n) if n > 0 => {
            tracing::info!(events = n, "audit events raised while sealed are chained")
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "could not chain the audit events raised while sealed")
        }
    }
    record(
        state,
        Event::new(None, "sys.unseal", None, "success").from_client(peer),
    )
    .await;
    checkpoint::tick(state).await;
}
