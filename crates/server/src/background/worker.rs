//! The job worker: claims due jobs from the catalog's queue under a lease,
//! runs them, and records success (row deleted) or failure (retried with
//! backoff, dead after the queue's attempt limit, reason kept).

use std::time::Duration;

use pixelunion_catalog::{Job, JobKind};
use pixelunion_store::{BlobName, ChecksumKind, StoreError};

use crate::AppState;
use crate::clock::now_ms;

/// Concurrent workers per process.
pub(super) const WORKERS: usize = 2;
/// A job's lease: long enough to copy a large video, shorter than the delay
/// before a purged blob's backup copy is dropped.
const LEASE_MS: i64 = 10 * 60 * 1000;
const IDLE_POLL: Duration = Duration::from_secs(2);
/// While sealed, media jobs wait this long before they are looked at again.
const SEALED_RETRY_MS: i64 = 5_000;

/// Kinds the general workers run: everything but transcoding, which has its
/// own worker so that a long conversion never holds up thumbnails,
/// replication or purges.
pub(super) const GENERAL: [JobKind; 5] = [
    JobKind::Replicate,
    JobKind::DropPrimary,
    JobKind::DropBackup,
    JobKind::Media,
    JobKind::Repair,
];
/// The long jobs' worker: transcoding and export preparation.
pub(super) const TRANSCODE: [JobKind; 2] = [JobKind::Transcode, JobKind::Export];
/// How often a long job renews its lease.
const RENEW_EVERY: Duration = Duration::from_secs(60);

pub(super) async fn run(state: AppState, kinds: &'static [JobKind]) {
    loop {
        match run_due_jobs(&state, kinds, 64).await {
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
    kinds: &[JobKind],
    max: usize,
) -> Result<usize, pixelunion_catalog::CatalogError> {
    let mut ran = 0;
    while ran < max {
        let now = now_ms();
        let Some(job) = state
            .catalog()
            .claim_job(kinds, now, now + LEASE_MS)
            .await?
        else {
            break;
        };
        ran += 1;
        match execute(state, &job).await {
            Ok(Ran::Done) => {
                state.catalog().finish_job(&job).await?;
            }
            Ok(Ran::NeedsKey) => {
                state
                    .catalog()
                    .postpone_job(&job, now_ms() + SEALED_RETRY_MS)
                    .await?;
            }
            Err(e) => {
                tracing::warn!(kind = job.kind.as_str(), attempt = job.attempt, error = %e, "job failed");
                state.catalog().fail_job(&job, &e, now_ms()).await?;
            }
        }
    }
    Ok(ran)
}

/// How a job run ended (errors are retried by the queue).
enum Ran {
    /// finished: the job is deleted
    Done,
    /// needs the key and the server is sealed: put back without counting an attempt
    NeedsKey,
}

async fn execute(state: &AppState, job: &Job) -> Result<Ran, String> {
    use super::media;
    let stores = state.stores();
    let name = || BlobName::parse(&job.subject).map_err(|e| e.to_string());
    let done = |r: Result<(), StoreError>| r.map(|()| Ran::Done).map_err(|e| e.to_string());
    match job.kind {
        JobKind::Media => outcome(media::run(state, &job.subject).await),
        JobKind::Transcode => {
            renewing(state, job, async {
                outcome(media::transcode(state, &job.subject).await)
            })
            .await
        }
        JobKind::Export => {
            renewing(state, job, async {
                match crate::library::export::prepare(state, &job.subject).await {
                    Ok(crate::library::export::Outcome::Done) => Ok(Ran::Done),
                    Ok(crate::library::export::Outcome::NeedsKey) => Ok(Ran::NeedsKey),
                    Err(e) => Err(e.to_string()),
                }
            })
            .await
        }
        JobKind::Replicate => done(
            match stores
                .primary
                .replicate_to(&name()?, &stores.backup, ChecksumKind::NEW)
                .await
            {
                // Purged before it could be copied: nothing left to replicate.
                Err(StoreError::NotFound("primary")) => Ok(()),
                r => r.map(|_| ()),
            },
        ),
        JobKind::DropPrimary => done(drop_blob(&stores.primary, &name()?).await),
        JobKind::DropBackup => done(drop_blob(&stores.backup, &name()?).await),
        JobKind::Repair => match crate::backup::heal::repair(state, &name()?).await {
            Ok(crate::backup::heal::Repair::Impossible) => {
                Err("the backup copy is missing or damaged too".into())
            }
            Ok(_) => Ok(Ran::Done),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// Runs a long job while renewing its lease; losing the lease (another
/// process took the job) stops this run.
async fn renewing(
    state: &AppState,
    job: &Job,
    work: impl std::future::Future<Output = Result<Ran, String>>,
) -> Result<Ran, String> {
    let renew = async {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            let until = now_ms() + LEASE_MS;
            if !matches!(state.catalog().renew_job(job, until).await, Ok(true)) {
                return;
            }
        }
    };
    tokio::select! {
        r = work => r,
        () = renew => Err("lost the job's lease".into()),
    }
}

fn outcome(r: Result<super::media::Outcome, super::media::MediaJobError>) -> Result<Ran, String> {
    match r {
        Ok(super::media::Outcome::Done) => Ok(Ran::Done),
        Ok(super::media::Outcome::Sealed) => Ok(Ran::NeedsKey),
        Err(e) => Err(e.to_string()),
    }
}

/// Deletes an object and anything an interrupted write of it left.
pub(super) async fn drop_blob(
    store: &pixelunion_store::BlobStore,
    name: &BlobName,
) -> Result<(), StoreError> {
    store.delete(name).await?;
    store.remove_partial(name).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use pixelunion_catalog::{AssetKind, AssetRow, MediaState};

    use super::*;

    /// A media job whose original is missing from the primary store is
    /// retried, and its recorded reason names the store, not "internal".
    #[tokio::test]
    async fn a_failed_media_job_records_its_cause_class() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::config::Config {
            data_dir: dir.path().join("data"),
            ..crate::config::Config::default()
        };
        let (state, _) = crate::prepare(config).await.expect("prepare");
        let user = crate::accounts::create_user(
            &state,
            "owner@example.org",
            zeroize::Zeroizing::new("a long enough passphrase".into()),
            pixelunion_auth::Role::User,
            false,
        )
        .await
        .expect("user");
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let row = AssetRow {
            id: id.clone(),
            owner_id: user.id.clone(),
            blob_name: BlobName::random().as_str().to_string(),
            kind: AssetKind::Photo,
            mime: "image/jpeg".into(),
            size: 10,
            content_index: vec![1; 32],
            file_name: None,
            taken_at: None,
            uploaded_at: now,
            sort_at: now,
            trashed_at: None,
            favorite: false,
            archived: false,
            caption: None,
            width: None,
            height: None,
            metadata: None,
            media_state: MediaState::Pending,
            media_error: None,
            blob_sha256: None,
        };
        state
            .catalog()
            .insert_asset(&row, now)
            .await
            .expect("insert");
        let ran = run_due_jobs(&state, &[JobKind::Media], 10)
            .await
            .expect("queue");
        assert_eq!(ran, 1);
        let reason = state
            .catalog()
            .last_job_error(JobKind::Media, &id)
            .await
            .expect("read")
            .expect("the failure is recorded");
        assert!(reason.starts_with("store: "), "{reason}");
        assert!(reason.contains("primary"), "names the store: {reason}");
    }
}
