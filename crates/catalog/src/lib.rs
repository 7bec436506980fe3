//! # pixelunion-catalog
//!
//! Owns the metadata database: connecting (SQLite by default, PostgreSQL by
//! URL), running each backend's migrations at start, and every query, behind
//! one [`Catalog`] interface with identical behaviour on both backends (one
//! conformance suite runs against both).
//!
//! It treats the database as untrusted storage: it only ever receives values
//! that are already encrypted, blind-indexed or deliberately public (sizes,
//! dates, counters). It must never receive or log keys, shares or plaintext
//! user content, and never build SQL from user input (bound parameters only).

/// Runs the same body against whichever pool this catalog holds. Queries use
/// only SQL and bound types that mean the same on both backends; where they
/// differ, the module writes the two arms out by hand.
macro_rules! with_pool {
    ($catalog:expr, $pool:ident => $body:expr) => {
        match $catalog {
            $crate::Catalog::Sqlite($pool, _) => $body,
            $crate::Catalog::Postgres($pool) => $body,
        }
    };
}

/// Opens a transaction that writes. On SQLite it is `BEGIN IMMEDIATE`:
/// the write lock is taken at the start, waiting out other writers within
/// the busy timeout. A deferred transaction that reads first holds a
/// snapshot, and when another connection commits before its first write,
/// that write fails at once with `SQLITE_BUSY` (no wait, no retry) — an
/// error answered as a 500 under concurrent writes (emptying the trash
/// while media jobs ran). PostgreSQL's plain `BEGIN` has no such trap.
///
/// The `BEGIN` runs in a task of its own ([`detached_begin`]): a caller
/// dropped while it was under way (a client that hung up) would otherwise
/// leave the transaction open on a pooled connection — on SQLite holding
/// the write lock, so that every other writer waited out the busy timeout
/// and failed (`concurrency::cancelled_writes_leave_no_lock` in the
/// conformance suite). The task always runs to the end of the `BEGIN`, and
/// rolls back a transaction its caller is no longer there to take.
pub(crate) trait BeginWrite {
    /// the pool's database
    type Db: sqlx::Database;
    /// Begins a writing transaction.
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send;
}

impl BeginWrite for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send
    {
        let pool = self.clone();
        detached_begin(async move { pool.begin_with("BEGIN IMMEDIATE").await })
    }
}

impl BeginWrite for sqlx::PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, Self::Db>>> + Send
    {
        let pool = self.clone();
        detached_begin(async move { pool.begin().await })
    }
}

/// Runs `begin` to completion in its own task, whatever happens to the
/// caller (see [`BeginWrite`]): a transaction the caller is no longer
/// there to take is rolled back by the task.
pub(crate) async fn detached_begin<DB: sqlx::Database>(
    begin: impl std::future::Future<Output = sqlx::Result<sqlx::Transaction<'static, DB>>>
    + Send
    + 'static,
) -> sqlx::Result<sqlx::Transaction<'static, DB>> {
    let (give, take) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Err(Ok(orphan)) = give.send(begin.await) {
            // Dropping it would roll back too; awaiting says when it is done.
            if let Err(e) = orphan.rollback().await {
                tracing::warn!(error = %e, "rolling back a transaction nobody took");
            }
        }
    });
    take.await
        .map_err(|_| sqlx::Error::Protocol("the transaction's start was lost".into()))?
}

mod accounts;
mod albums;
mod assets;
mod backups;
pub mod classification;
mod dialect;
mod error;
mod exports;
mod incidents;
mod intents;
pub mod jobs;
mod keys;
mod links;
mod media;
mod nodes;
mod policies;
mod reader;
mod reviews;
mod sharing;
pub mod snapshot;
mod uploads;
mod values;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::{
    ApiTokenRow, AuditCheckpointRow, AuditRow, Decision, DeletionRow, InviteRow, MacFn,
    RecoveryRow, RoleRequestRow, RoleTermRow, SessionRow, UserRow,
};
pub use albums::AlbumRow;
pub use assets::{AssetChange, AssetPartRow, AssetRow, MonthFacets, TimelineFilter};
pub use backups::{Backlog, BackupRun, BlobOwner, ReferencedBlob};
pub use error::{CatalogError, Result};
pub use exports::{ExportEntryRow, ExportRow};
pub use incidents::{IncidentEventRow, IncidentMessageRow, IncidentRow};
pub use jobs::{Job, JobKind};
pub use keys::KeyringRow;
pub use links::LinkRow;
pub use media::{AssetFileRow, MediaResult};
pub use nodes::Failures;
pub use policies::PolicyRow;
pub use reader::SqliteReader;
pub use reviews::{AccessReviewLineRow, AccessReviewRow};
pub use sharing::{AlbumAccess, AlbumShareRow, ShareRole, SharedAlbum};
pub use uploads::UploadRow;
pub use values::{AssetKind, FileKind, MediaState, UnknownValue};

/// The metadata database.
#[derive(Debug, Clone)]
pub enum Catalog {
    /// Embedded default: one SQLite file in WAL mode with foreign keys on
    /// (sqlx for everything, plus read-only connections for the timeline).
    Sqlite(SqlitePool, reader::SqliteReader),
    /// Scale-out: PostgreSQL shared by several compute nodes.
    Postgres(PgPool),
}

impl Catalog {
    /// Connects to `url`: `postgres://…`/`postgresql://…`, or `sqlite://PATH`.
    /// Runs the backend's migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let catalog = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts =
                PgConnectOptions::from_str(url).map_err(|e| CatalogError::BadUrl(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Catalog::Postgres(pool)
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            return Self::open_sqlite(Path::new(path)).await;
        } else {
            return Err(CatalogError::BadUrl(
                "expected postgres://… or sqlite://PATH".to_string(),
            ));
        };
        catalog.migrate().await?;
        Ok(catalog)
    }

    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Deleted rows are overwritten with zeros, not left in free
            // pages: a purged account's wrapped key must not survive on disk.
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10));
        // An in-process database needs no liveness ping before each use (the
        // default would add a round trip to the driver's worker thread per query).
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        let catalog = Catalog::Sqlite(pool, reader::SqliteReader::new(path));
        catalog.migrate().await?;
        Ok(catalog)
    }

    async fn migrate(&self) -> Result<()> {
        match self {
            Catalog::Sqlite(p, _) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Catalog::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Which backend this is (for status output).
    pub fn backend(&self) -> &'static str {
        match self {
            Catalog::Sqlite(..) => "sqlite",
            Catalog::Postgres(_) => "postgres",
        }
    }

    /// Checks the database answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Closes every connection. SQLite: the read-only ones first, then the
    /// write-ahead log is checkpointed into the file and truncated, so that
    /// no old page image (a purged account's rows) outlives the close —
    /// SQLite's own checkpoint-on-close only runs when the closing
    /// connection is the last, which several closing at once can all miss.
    pub async fn close(&self) {
        if let Catalog::Sqlite(pool, reader) = self {
            reader.close();
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await
            {
                tracing::warn!(error = %e, "could not checkpoint the write-ahead log at close");
            }
        }
        with_pool!(self, p => p.close().await)
    }
}
