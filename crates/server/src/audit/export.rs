//! The trail as JSON lines for a SIEM (`pixelunion audit export`): one
//! object per entry, oldest first, with the client's address and agent
//! decrypted (the reader is the security role), streamed page by page so
//! any length of trail is exported in constant memory.

use bytes::Bytes;
use futures::Stream;
use pixelunion_catalog::AuditRow;
use serde::Serialize;

use crate::AppState;

/// Entries per catalog page.
const PAGE: i64 = 500;

/// One exported line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// sequence number
    pub seq: i64,
    /// unix seconds
    pub at: i64,
    /// RFC 3339 time (UTC)
    pub time: String,
    /// acting user id
    pub actor: Option<String>,
    /// what happened
    pub action: String,
    /// what it happened to
    pub target: Option<String>,
    /// outcome
    pub outcome: String,
    /// "address · user agent", when recorded
    pub client: Option<String>,
    /// the entry's chain MAC (hex), when chained
    pub mac: Option<String>,
}

/// The line of one entry.
pub fn line(state: &AppState, r: &AuditRow) -> Line {
    Line {
        seq: r.seq,
        at: r.at,
        time: rfc3339(r.at),
        actor: r.actor.clone(),
        action: r.action.clone(),
        target: r.target.clone(),
        outcome: r.outcome.clone(),
        client: super::client_of(state, r),
        mac: r.mac.as_deref().map(hex::encode),
    }
}

/// Unix seconds as RFC 3339 UTC.
pub fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Entries at or after `since` (and before `until`, when given) as JSON
/// lines. A catalog failure ends the stream with an error.
pub fn lines(
    state: &AppState,
    since: i64,
    until: Option<i64>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + use<> {
    let state = state.clone();
    futures::stream::try_unfold(
        (state, 0i64, false),
        move |(state, after, done)| async move {
            if done {
                return Ok(None);
            }
            let rows = state
                .catalog()
                .audit_since(since, after, PAGE)
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(rows.len() * 200);
            let mut finished = rows.len() < PAGE as usize;
            for r in &rows {
                if until.is_some_and(|u| r.at >= u) {
                    finished = true;
                    break;
                }
                serde_json::to_writer(&mut out, &line(&state, r)).map_err(std::io::Error::other)?;
                out.push(b'\n');
            }
            Ok(Some((Bytes::from(out), (state, last, finished))))
        },
    )
}
