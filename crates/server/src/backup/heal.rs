//! Self-healing of the primary store. A read that finds its primary object
//! missing or failing authentication is served from the backup copy, once
//! that copy matches its recorded checksum, and a repair job rewrites the
//! primary from it; the scrubber walks the primary store at a bounded rate
//! and repairs what no longer matches. Every repair is audited and counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pixelunion_catalog::JobKind;
use pixelunion_store::{BlobName, BlobStore, ChecksumKind, StoreError};
use pixelunion_vault::{DataKey, ObjectId};
use serde::Serialize;

use super::Result;
use crate::AppState;
use crate::clock::now_ms;

/// Primary reads served from the backup since start.
pub static HEALED_READS: AtomicU64 = AtomicU64::new(0);
/// Primary objects rewritten from the backup since start.
pub static REPAIRS: AtomicU64 = AtomicU64::new(0);

/// The key and object id a blob's AEAD needs.
#[derive(Debug)]
pub struct Owner {
    /// the owner's key
    pub key: std::sync::Arc<DataKey>,
    /// the object id it is bound to
    pub object: ObjectId,
}

/// Whose blob `name` is, with the key to read it (`None`: no row references
/// it, or its owner is gone).
pub async fn owner_of(state: &AppState, name: &BlobName) -> Result<Option<Owner>> {
    let c = state.catalog();
    let Some(o) = c.blob_owner(name.as_str()).await? else {
        return Ok(None);
    };
    let Some(user) = c.user_by_id(&o.owner_id).await? else {
        return Ok(None);
    };
    let key = state.keys().user_key(&user)?;
    let object = if o.original {
        crate::library::asset_object_id(&o.asset_id)
            .map_err(|_| super::Error::BadSnapshot("an asset id is not a UUID"))?
    } else {
        name.object_id()
    };
    Ok(Some(Owner { key, object }))
}

/// Whether `store`'s copy of `name` has the checksum recorded for it
/// (`None`: no checksum kept for this row; a present copy is taken on
/// trust); a missing copy does not.
async fn copy_matches(store: &BlobStore, name: &BlobName, want: Option<&[u8]>) -> Result<bool> {
    match store.checksum_of(name, ChecksumKind::of(want)).await {
        Ok(got) => Ok(want.is_none_or(|w| w == got)),
        Err(StoreError::NotFound(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A read fell back to the backup copy of `name`: count it, audit it and
/// queue the primary's repair.
pub async fn read_healed(state: &AppState, name: &BlobName) {
    HEALED_READS.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(blob = %name.as_str(), "primary copy missing or damaged: served from the backup");
    crate::accounts::audit(
        state,
        None,
        "backup.heal.read",
        Some(name.as_str()),
        "success",
    )
    .await;
    if let Err(e) = state
        .catalog()
        .enqueue_job(JobKind::Repair, name.as_str(), now_ms())
        .await
    {
        tracing::warn!(error = %e, "could not queue a repair");
    }
    state.wake_jobs();
}

/// What a repair came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// the primary was rewritten from the backup
    Repaired,
    /// the primary is fine (or no row needs the blob any more)
    NotNeeded,
    /// the backup copy is missing or damaged too
    Impossible,
}

/// Rewrites the primary copy of `name` from the backup, if the primary does
/// not match its recorded checksum and the backup copy does.
pub async fn repair(state: &AppState, name: &BlobName) -> Result<Repair> {
    let Some(want) = state.catalog().blob_sha256(name.as_str()).await? else {
        return Ok(Repair::NotNeeded);
    };
    repair_against(state, name, want.as_deref()).await
}

/// [`repair`] with the recorded checksum already at hand.
async fn repair_against(state: &AppState, name: &BlobName, want: Option<&[u8]>) -> Result<Repair> {
    let (primary, backup) = (&state.stores().primary, &state.stores().backup);
    if copy_matches(primary, name, want).await? {
        return Ok(Repair::NotNeeded);
    }
    if !copy_matches(backup, name, want).await? {
        crate::accounts::audit(state, None, "backup.repair", Some(name.as_str()), "failure").await;
        return Ok(Repair::Impossible);
    }
    backup
        .replicate_to(name, primary, ChecksumKind::of(want))
        .await?;
    REPAIRS.fetch_add(1, Ordering::Relaxed);
    crate::accounts::audit(state, None, "backup.repair", Some(name.as_str()), "success").await;
    tracing::info!(blob = %name.as_str(), "primary copy repaired from the backup");
    Ok(Repair::Repaired)
}

/// What a scrub found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Scrubbed {
    /// blobs read
    pub checked: u64,
    /// bytes read
    pub bytes: u64,
    /// rewritten from the backup
    pub repaired: u64,
    /// damaged with no good backup copy
    pub unrepairable: u64,
}

/// Reads every referenced blob of the primary store, at most
/// `bytes_per_sec`, and repairs what does not match.
pub async fn scrub(state: &AppState, bytes_per_sec: u64) -> Result<Scrubbed> {
    let started = now_ms();
    let run = format!("scrub-{}", uuid::Uuid::new_v4().simple());
    let c = state.catalog();
    c.start_backup_run(&run, "scrub", started).await?;
    let mut s = Scrubbed::default();
    let mut after = String::new();
    let clock = std::time::Instant::now();
    loop {
        let page = c.referenced_blobs(&after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.name.clone();
        for b in page {
            let Ok(name) = BlobName::parse(&b.name) else {
                continue;
            };
            s.checked += 1;
            s.bytes += state.stores().primary.size(&name).await.unwrap_or(0);
            match repair_against(state, &name, b.sha256.as_deref()).await? {
                Repair::Repaired => s.repaired += 1,
                Repair::Impossible => s.unrepairable += 1,
                Repair::NotNeeded => {}
            }
            if bytes_per_sec > 0 {
                let due = Duration::from_secs_f64(s.bytes as f64 / bytes_per_sec as f64);
                if let Some(wait) = due.checked_sub(clock.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
    let details = serde_json::to_string(&s).unwrap_or_default();
    c.finish_backup_run(&run, s.unrepairable == 0, &details, now_ms())
        .await?;
    if s.repaired > 0 || s.unrepairable > 0 {
        tracing::warn!(
            repaired = s.repaired,
            unrepairable = s.unrepairable,
            "scrub"
        );
    }
    Ok(s)
}
