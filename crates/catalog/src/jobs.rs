//! A durable job queue in the metadata database: rows with a unique
//! `(kind, subject)`, attempts, a lease and a next-run time. Claiming takes a
//! lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes never
//! run one job at once; SQLite serialises writers); a finished job is
//! deleted; a failed one is retried with exponential backoff and becomes
//! `dead`, keeping its reason, after [`MAX_ATTEMPTS`]. Subjects are opaque ids
//! (object names, asset ids), never user content.

use crate::{Catalog, Result};

/// Attempts before a job is declared dead.
pub const MAX_ATTEMPTS: i32 = 10;
/// A purged blob leaves the backup store this long after the primary one, so
/// that a replication already running when the purge happened cannot put it
/// back afterwards (replication leases are shorter).
pub const BACKUP_DROP_DELAY_MS: i64 = 15 * 60 * 1000;

pub(crate) const ENQUEUE: &str = "INSERT INTO jobs (id, kind, subject, run_at, created_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (kind, subject) DO NOTHING";
pub(crate) const CANCEL: &str = "DELETE FROM jobs WHERE kind = $1 AND subject = $2";

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// copy a blob from the primary to the backup store, verified by content
    Replicate,
    /// delete a blob from the primary store
    DropPrimary,
    /// delete a blob from the backup store
    DropBackup,
    /// read an asset's metadata and make its thumbnail and preview (needs
    /// the owner's key: postponed while sealed)
    Media,
    /// convert a video browsers cannot play into H.264/AAC MP4 (needs the
    /// key; long: its worker renews the lease while it runs)
    Transcode,
    /// rewrite a blob of the primary store from its backup copy (found
    /// missing or damaged by a read or the scrubber)
    Repair,
    /// prepare a library export (read every original once for its CRC-32,
    /// write the metadata document; needs the key; long)
    Export,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 7] = [
        JobKind::Replicate,
        JobKind::DropPrimary,
        JobKind::DropBackup,
        JobKind::Media,
        JobKind::Transcode,
        JobKind::Repair,
        JobKind::Export,
    ];

    /// Name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Replicate => "replicate",
            JobKind::DropPrimary => "drop-primary",
            JobKind::DropBackup => "drop-backup",
            JobKind::Media => "media",
            JobKind::Transcode => "transcode",
            JobKind::Repair => "repair",
            JobKind::Export => "export",
        }
    }

    /// Parses a stored name (every kind in [`JobKind::ALL`]).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// job id
    pub id: String,
    /// what to do
    pub kind: JobKind,
    /// what to do it to (opaque id)
    pub subject: String,
    /// this attempt's number (1 = first); also the lease token
    pub attempt: i32,
}

/// Queue counts for operators: kind, state, number.
pub type JobCount = (String, String, i64);

impl Catalog {
    /// Queues a job unless one of that kind for that subject is queued.
    pub async fn enqueue_job(&self, kind: JobKind, subject: &str, run_at_ms: i64) -> Result<()> {
        with_pool!(self, p => sqlx::query(ENQUEUE)
            .bind(new_id()).bind(kind.as_str()).bind(subject).bind(run_at_ms)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// Claims the next due job of one of `kinds`, leasing it until `lease_until_ms`.
    pub async fn claim_job(
        &self,
        kinds: &[JobKind],
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<Job>> {
        let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 3)).collect();
        let pick = format!(
            "SELECT id FROM jobs WHERE state = 'ready' AND run_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) AND kind IN ({}) ORDER BY run_at LIMIT 1",
            marks.join(", ")
        );
        let sql = match self {
            Catalog::Postgres(_) => format!(
                "UPDATE jobs SET lease_until = $1, attempts = attempts + 1 WHERE id = ({pick} FOR UPDATE SKIP LOCKED) RETURNING id, kind, subject, attempts"
            ),
            Catalog::Sqlite(..) => format!(
                "UPDATE jobs SET lease_until = $1, attempts = attempts + 1 WHERE id = ({pick}) RETURNING id, kind, subject, attempts"
            ),
        };
        let row: Option<(String, String, String, i32)> = with_pool!(self, p => {
            let mut q = sqlx::query_as(&sql).bind(lease_until_ms).bind(now_ms);
            for k in kinds {
                q = q.bind(k.as_str());
            }
            q.fetch_optional(p).await?
        });
        Ok(row.and_then(|(id, kind, subject, attempt)| {
            Some(Job {
                id,
                kind: JobKind::parse(&kind)?,
                subject,
                attempt,
            })
        }))
    }

    /// Extends a claimed job's lease (long jobs call this while they run).
    /// False if the lease was lost (another worker claimed it since).
    pub async fn renew_job(&self, job: &Job, lease_until_ms: i64) -> Result<bool> {
        let q =
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND attempts = $3 AND state = 'ready'";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(lease_until_ms).bind(&job.id).bind(job.attempt).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Marks a claimed job done (deletes it). False if the lease was lost
    /// (another worker claimed it since).
    pub async fn finish_job(&self, job: &Job) -> Result<bool> {
        let q = "DELETE FROM jobs WHERE id = $1 AND attempts = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(&job.id).bind(job.attempt).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Records a failed attempt: retried after an exponential backoff (from
    /// 2 s, doubling, at most an hour), or dead after [`MAX_ATTEMPTS`].
    /// `reason` must not contain user content.
    pub async fn fail_job(&self, job: &Job, reason: &str, now_ms: i64) -> Result<()> {
        let backoff = 2_000i64
            .saturating_mul(1 << job.attempt.clamp(0, 11))
            .min(3_600_000);
        let state = if job.attempt >= MAX_ATTEMPTS {
            "dead"
        } else {
            "ready"
        };
        let q = "UPDATE jobs SET state = $1, run_at = $2, lease_until = NULL, last_error = $3 WHERE id = $4 AND attempts = $5";
        let reason: String = reason.chars().take(500).collect();
        with_pool!(self, p => sqlx::query(q)
            .bind(state).bind(now_ms + backoff).bind(reason).bind(&job.id).bind(job.attempt)
            .execute(p).await?.rows_affected());
        Ok(())
    }

    /// Gives a claimed job back without counting the attempt (the work
    /// cannot run here now, e.g. the server is sealed), to run after `run_at_ms`.
    pub async fn postpone_job(&self, job: &Job, run_at_ms: i64) -> Result<()> {
        let q = "UPDATE jobs SET attempts = attempts - 1, lease_until = NULL, run_at = $1 WHERE id = $2 AND attempts = $3";
        with_pool!(self, p => sqlx::query(q).bind(run_at_ms).bind(&job.id).bind(job.attempt).execute(p).await?.rows_affected());
        Ok(())
    }

    /// Jobs per kind and state (ready, running, dead), for operators.
    pub async fn job_counts(&self, now_ms: i64) -> Result<Vec<JobCount>> {
        let q = "SELECT kind, CASE WHEN state = 'dead' THEN 'dead' WHEN lease_until IS NOT NULL AND lease_until > $1 THEN 'running' ELSE 'ready' END AS s, CAST(COUNT(*) AS BIGINT) FROM jobs GROUP BY kind, s ORDER BY kind, s";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(now_ms).fetch_all(p).await?))
    }

    /// Per kind, when the longest-waiting job that is due (ready, not
    /// leased, `run_at` passed) became due (unix ms).
    pub async fn oldest_due_jobs(&self, now_ms: i64) -> Result<Vec<(String, i64)>> {
        let q = "SELECT kind, MIN(run_at) FROM jobs WHERE state = 'ready' AND run_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) GROUP BY kind ORDER BY kind";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(now_ms).fetch_all(p).await?))
    }

    /// The reason the last attempt of the job `kind` on `subject` failed
    /// (while it is queued to retry, or dead).
    pub async fn last_job_error(&self, kind: JobKind, subject: &str) -> Result<Option<String>> {
        let q = "SELECT last_error FROM jobs WHERE kind = $1 AND subject = $2";
        let row: Option<(Option<String>,)> = with_pool!(self, p => sqlx::query_as(q)
            .bind(kind.as_str()).bind(subject).fetch_optional(p).await?);
        Ok(row.and_then(|r| r.0))
    }

    /// Dead jobs with their reasons (newest first), for operators.
    pub async fn dead_jobs(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, String, i32, Option<String>)>> {
        let q = "SELECT kind, subject, attempts, last_error FROM jobs WHERE state = 'dead' ORDER BY run_at DESC LIMIT $1";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(limit).fetch_all(p).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
        }
        // A kind missing from ALL could be queued but never claimed: this
        // match stops compiling when a kind is added, as a reminder.
        let listed = |k: JobKind| match k {
            JobKind::Replicate
            | JobKind::DropPrimary
            | JobKind::DropBackup
            | JobKind::Media
            | JobKind::Transcode
            | JobKind::Repair
            | JobKind::Export => JobKind::ALL.contains(&k),
        };
        for k in [
            JobKind::Replicate,
            JobKind::DropPrimary,
            JobKind::DropBackup,
            JobKind::Media,
            JobKind::Transcode,
            JobKind::Repair,
            JobKind::Export,
        ] {
            assert!(listed(k), "{k:?} missing from ALL");
        }
        let mut names: Vec<_> = JobKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), JobKind::ALL.len(), "names are unique");
        assert_eq!(JobKind::parse("reticulate"), None);
    }
}
