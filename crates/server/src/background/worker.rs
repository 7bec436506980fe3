//! The job worker: claims due jobs from the catalog's queue under a lease,
//! runs them, and records success (row deleted) or failure (retried with
//! backoff, dead after the queue's attempt limit, reason kept).

use std::time::Duration;

use pixelunion_catalog::{Job, JobKind};
use pixelunion_store::{BlobName, StoreError};

use crate::AppState;
use crate::http::library::now_ms;

/// Concurrent workers per process.
pub(super) const WORKERS: usize = 2;
/// A job's lease: long enough to copy a large video, shorter than the delay
/// before a purged blob's backup copy is dropped.
const LEASE_MS: i64 = 10 * 60 * 1000;
const IDLE_POLL: Duration = Duration::from_secs(2);
/// While sealed, media jobs wait this long before they are looked at again.
const SEALED_RETRY_MS: i64 = 5_000;

pub(super) async fn run(state: AppState) {
    loop {
        match run_due_jobs(&state, 64).await {
            Ok(0) => {
                let wake = state.jobs_wake().notified();
                let _ = tokio::time::timeout(IDLE_POLL, wake).await;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "job queue unavailable");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

/// Runs up to `max` due jobs; returns how many ran.
pub async fn run_due_jobs(
    state: &AppState,
    max: usize,
) -> Result<usize, pixelunion_catalog::CatalogError> {
    let mut ran = 0;
    while ran < max {
        let now = now_ms();
        let Some(job) = state
            .catalog()
            .claim_job(&JobKind::ALL, now, now + LEASE_MS)
            .await?
        else {
            break;
        };
        ran += 1;
        if job.kind == JobKind::Media {
            match super::media::run(state, &job.subject).await {
                Ok(super::media::Outcome::Done) => {
                    state.catalog().finish_job(&job).await?;
                }
                Ok(super::media::Outcome::Sealed) => {
                    state
                        .catalog()
                        .postpone_job(&job, now_ms() + SEALED_RETRY_MS)
                        .await?;
                }
                Err(e) => {
                    tracing::warn!(kind = job.kind.as_str(), attempt = job.attempt, error = %e, "job failed");
                    state
                        .catalog()
                        .fail_job(&job, &e.to_string(), now_ms())
                        .await?;
                }
            }
            continue;
        }
        match execute(state, &job).await {
            Ok(()) => {
                state.catalog().finish_job(&job).await?;
            }
            Err(e) => {
                tracing::warn!(kind = job.kind.as_str(), attempt = job.attempt, error = %e, "job failed");
                state
                    .catalog()
                    .fail_job(&job, &e.to_string(), now_ms())
                    .await?;
            }
        }
    }
    Ok(ran)
}

async fn execute(state: &AppState, job: &Job) -> Result<(), StoreError> {
    let name = BlobName::parse(&job.subject)?;
    let stores = state.stores();
    match job.kind {
        JobKind::Replicate => match stores.primary.replicate_to(&name, &stores.backup).await {
            // Purged before it could be copied: nothing left to replicate.
            Err(StoreError::NotFound("primary")) => Ok(()),
            r => r.map(|_| ()),
        },
        JobKind::DropPrimary => {
            stores.primary.delete(&name).await?;
            stores.primary.remove_partial(&name).await.map(|_| ())
        }
        JobKind::DropBackup => {
            stores.backup.delete(&name).await?;
            stores.backup.remove_partial(&name).await.map(|_| ())
        }
        JobKind::Media => Ok(()), // handled by the caller
    }
}
