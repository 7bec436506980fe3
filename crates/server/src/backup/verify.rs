//! Checking the backup: every blob the catalog references must be in the
//! backup store with the checksum of its ciphertext that was recorded when it
//! was written (no key needed). With the server unsealed a sample — or all
//! of them — is also decrypted from the backup copy, which authenticates
//! every segment. Objects in the backup store that no row references (and
//! whose deletion is not queued) are reported as orphans.

use std::collections::HashSet;
use std::sync::Arc;

use futures::StreamExt;
use pixelunion_store::{BlobName, ChecksumKind, StoreError};
use serde::{Deserialize, Serialize};

use super::Result;
use crate::AppState;
use crate::clock::now_ms;

/// How much to decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Depth {
    /// decrypt `sample` random blobs
    Sample,
    /// decrypt every blob
    All,
}

/// What a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// blobs the catalog references
    pub referenced: u64,
    /// of those, found in the backup store with the recorded checksum
    pub intact: u64,
    /// not in the backup store
    pub missing: u64,
    /// in it with other bytes
    pub corrupt: u64,
    /// backup objects no row references
    pub orphaned: u64,
    /// copies decrypted (every segment authenticated)
    pub authenticated: u64,
    /// copies that failed to decrypt
    pub unauthentic: u64,
    /// whether decryption was possible (the server was unsealed)
    pub decrypted: bool,
    /// how long it took (ms)
    pub took_ms: i64,
    /// no problem at all
    pub ok: bool,
}

/// Verifies the backup store against the catalog.
pub async fn verify(state: &AppState, depth: Depth, sample: usize) -> Result<Report> {
    let started = now_ms();
    let run = format!("verify-{}", uuid::Uuid::new_v4().simple());
    let c = state.catalog();
    c.start_backup_run(&run, "verify", started).await?;
    let backup = &state.stores().backup;
    let mut report = Report::default();
    let mut referenced = HashSet::new();
    let mut healthy = Vec::new();
    let mut after = String::new();
    loop {
        let page = c.referenced_blobs(&after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.name.clone();
        for b in page {
            report.referenced += 1;
            referenced.insert(b.name.clone());
            let Ok(name) = BlobName::parse(&b.name) else {
                report.missing += 1;
                continue;
            };
            let kind = ChecksumKind::of(b.sha256.as_deref());
            match backup.checksum_of(&name, kind).await {
                Err(StoreError::NotFound(_)) => report.missing += 1,
                Err(e) => return Err(e.into()),
                Ok(got) => {
                    let want = match &b.sha256 {
                        Some(w) => Some(w.clone()),
                        // Rows from before digests were kept: the primary copy decides.
                        None => state.stores().primary.checksum_of(&name, kind).await.ok(),
                    };
                    if want.as_deref() == Some(&got[..]) {
                        report.intact += 1;
                        healthy.push(name);
                    } else {
                        report.corrupt += 1;
                        tracing::warn!(blob = %b.name, "the backup copy does not match");
                    }
                }
            }
        }
    }
    let pending: HashSet<String> = c.backup_drops_pending().await?.into_iter().collect();
    report.orphaned = backup
        .list()
        .await?
        .iter()
        .filter(|n| !referenced.contains(n.as_str()) && !pending.contains(n.as_str()))
        .count() as u64;
    if !state.keys().is_sealed() {
        report.decrypted = true;
        let picked = match depth {
            Depth::All => healthy,
            Depth::Sample => pick(healthy, sample),
        };
        for name in picked {
            if authenticate(state, &name).await? {
                report.authenticated += 1;
            } else {
                report.unauthentic += 1;
                tracing::warn!(blob = %name.as_str(), "the backup copy does not decrypt");
            }
        }
    }
    report.ok = report.missing == 0
        && report.corrupt == 0
        && report.orphaned == 0
        && report.unauthentic == 0;
    report.took_ms = now_ms() - started;
    let details = serde_json::to_string(&report).unwrap_or_default();
    c.finish_backup_run(&run, report.ok, &details, now_ms())
        .await?;
    crate::accounts::audit(
        state,
        None,
        "backup.verify",
        None,
        if report.ok { "success" } else { "failure" },
    )
    .await;
    Ok(report)
}

/// `n` of `all`, chosen at random.
fn pick(mut all: Vec<BlobName>, n: usize) -> Vec<BlobName> {
    let mut out = Vec::with_capacity(n.min(all.len()));
    while out.len() < n && !all.is_empty() {
        let r: [u8; 8] = pixelunion_vault::random_array().unwrap_or([0; 8]);
        let i = (u64::from_le_bytes(r) % all.len() as u64) as usize;
        out.push(all.swap_remove(i));
    }
    out
}

/// Decrypts the backup copy of `name` through to its end.
async fn authenticate(state: &AppState, name: &BlobName) -> Result<bool> {
    let Some(owner) = super::heal::owner_of(state, name).await? else {
        return Ok(true);
    };
    let backup = &state.stores().backup;
    let opened = match backup.open_encrypted(name).await {
        Ok(o) => o,
        Err(StoreError::Vault(_)) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let len = opened.plaintext_len();
    let mut stream =
        Box::pin(backup.decrypted_stream(owner.key, owner.object, Arc::new(opened), 0..len));
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(_) => {}
            Err(StoreError::Vault(_)) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}
