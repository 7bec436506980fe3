//! Checks the audit trail: every chained entry's MAC against the previous
//! one, the sequence numbers for gaps, and every signed checkpoint (from the
//! backup store and the catalog) for its signature and against the entry it
//! names — so a changed, removed, inserted, reordered or cut-off entry is
//! reported. Read-only: verification never writes a checkpoint (that would
//! sign a tampered head).

use std::collections::BTreeMap;

use pixelunion_vault::audit::{GENESIS, MAC_LEN};
use serde::Serialize;

use super::checkpoint::{self, Signed};
use super::{Error, Result, entry_of};
use crate::AppState;

/// Entries read per page.
const PAGE: i64 = 1000;
/// Problems listed at most (the count is always complete).
const MAX_LISTED: usize = 100;

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// the entry (or checkpoint) concerned
    pub seq: i64,
    /// `missing` (entries removed), `mismatch` (changed, inserted or moved),
    /// `unchained` (an entry without a MAC inside the chain), `truncated`
    /// (entries a checkpoint covers are gone), `checkpoint` (a checkpoint
    /// whose signature or MAC does not hold)
    pub kind: String,
    /// what exactly
    pub detail: String,
}

/// The verification's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditReport {
    /// no problem found
    pub ok: bool,
    /// entries read
    pub entries: u64,
    /// entries whose MAC was checked and holds
    pub verified: u64,
    /// entries from before the chain existed (no MAC, at the start)
    pub before_chain: u64,
    /// first and last sequence numbers seen
    pub first_seq: Option<i64>,
    /// last sequence number seen
    pub last_seq: Option<i64>,
    /// events raised while sealed, not chained yet
    pub pending: i64,
    /// checkpoints checked (backup store and catalog)
    pub checkpoints: u64,
    /// the newest valid checkpoint's sequence number
    pub latest_checkpoint: Option<i64>,
    /// entries after the newest checkpoint (not yet protected against truncation)
    pub after_checkpoint: u64,
    /// the public key checkpoints were checked with (hex)
    pub public_key: String,
    /// how many problems were found
    pub problem_count: u64,
    /// the first problems
    pub problems: Vec<Problem>,
}

impl AuditReport {
    fn problem(&mut self, seq: i64, kind: &str, detail: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED {
            self.problems.push(Problem {
                seq,
                kind: kind.to_string(),
                detail,
            });
        }
    }
}

/// Verifies the whole trail (the server must be unsealed: the MAC keys
/// come from the keyring).
pub async fn verify(state: &AppState) -> Result<AuditReport> {
    let public_key = checkpoint::public_key(state).ok_or(Error::Sealed)?;
    let c = state.catalog();
    let mut r = AuditReport {
        ok: false,
        entries: 0,
        verified: 0,
        before_chain: 0,
        first_seq: None,
        last_seq: None,
        pending: c.pending_audit_count().await?,
        checkpoints: 0,
        latest_checkpoint: None,
        after_checkpoint: 0,
        public_key: public_key.clone(),
        problem_count: 0,
        problems: Vec::new(),
    };
    // Checkpoints: the backup store's copies, and the catalog's, by seq.
    let mut points: BTreeMap<i64, Signed> = BTreeMap::new();
    for found in checkpoint::in_backup(state).await? {
        match found {
            Ok(s) => {
                points.insert(s.seq, s);
            }
            Err(seq) => r.problem(
                i64::try_from(seq).unwrap_or(i64::MAX),
                "checkpoint",
                "the backup store's copy cannot be read".into(),
            ),
        }
    }
    for row in c.audit_checkpoints().await? {
        points.entry(row.seq).or_insert_with(|| Signed {
            format: checkpoint::FORMAT.into(),
            first_seq: row.first_seq,
            seq: row.seq,
            at: row.at,
            mac: hex::encode(&row.mac),
            signature: hex::encode(&row.signature),
            public_key: public_key.clone(),
        });
    }
    let mut valid: BTreeMap<i64, [u8; MAC_LEN]> = BTreeMap::new();
    for (seq, s) in &points {
        r.checkpoints += 1;
        match s.checkpoint() {
            Some(cp) if s.verifies_with(&public_key) => {
                valid.insert(*seq, cp.mac);
            }
            _ => r.problem(
                *seq,
                "checkpoint",
                "its signature does not verify with this deployment's audit key".into(),
            ),
        }
    }

    // The chain.
    let mut prev: Vec<u8> = GENESIS.to_vec();
    let mut expected: Option<i64> = None;
    let mut chained = false;
    let mut after = 0i64;
    loop {
        let rows = c.audit_after(after, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in rows {
            r.entries += 1;
            r.first_seq.get_or_insert(row.seq);
            r.last_seq = Some(row.seq);
            let gap = expected.is_some_and(|e| row.seq != e);
            if let Some(e) = expected.filter(|_| gap) {
                r.problem(
                    e,
                    "missing",
                    format!("entries {e}..{} are missing", row.seq - 1),
                );
            }
            expected = Some(row.seq + 1);
            let (Some(mac), Some(version)) = (row.mac.as_deref(), row.key_version) else {
                if chained {
                    r.problem(
                        row.seq,
                        "unchained",
                        "an entry without a MAC inside the chain".into(),
                    );
                } else {
                    r.before_chain += 1;
                }
                prev = GENESIS.to_vec();
                continue;
            };
            chained = true;
            let prev_arr: [u8; MAC_LEN] = prev.as_slice().try_into().unwrap_or(GENESIS);
            let want = state
                .keys()
                .with_keyring(|k| {
                    let v = u32::try_from(version).ok()?;
                    k.audit_mac(&prev_arr, &entry_of(&row, v)).ok()
                })
                .ok_or(Error::Sealed)?;
            match want {
                Some(w) if pixelunion_vault::ct_eq(&w, mac) => r.verified += 1,
                // After a gap the previous MAC is not the one this entry was
                // chained to: the gap is the finding, not this entry.
                _ if gap => {}
                _ => r.problem(
                    row.seq,
                    "mismatch",
                    "the entry does not match its MAC: it was changed, inserted or moved".into(),
                ),
            }
            if let Some(cp_mac) = valid.get(&row.seq)
                && !pixelunion_vault::ct_eq(cp_mac, mac)
            {
                r.problem(
                    row.seq,
                    "checkpoint",
                    "the entry differs from the one its signed checkpoint names".into(),
                );
            }
            prev = mac.to_vec();
        }
    }
    let last = r.last_seq.unwrap_or(0);
    if let Some((&seq, _)) = valid.iter().next_back() {
        r.latest_checkpoint = Some(seq);
        if seq > last {
            r.problem(
                seq,
                "truncated",
                format!(
                    "a signed checkpoint covers entries up to {seq}, but the trail ends at {last}: entries {}..{seq} were cut off",
                    last + 1
                ),
            );
        }
        r.after_checkpoint = u64::try_from(last - seq).unwrap_or(0);
    } else {
        r.after_checkpoint = r.entries;
    }
    r.ok = r.problem_count == 0;
    Ok(r)
}
