//! A read-only fast path for hot queries on SQLite: the timeline's pages
//! (on blocking threads) and the point lookups of every authenticated
//! request (on the calling thread, [`SqliteReader::lookup_now`]).
//!
//! sqlx runs each SQLite connection on a worker thread and hands every
//! command and row across a channel; for a 200-row page that hand-off cost
//! several times the query itself (docs/benchmarks.md). These reads instead
//! run on blocking threads over a few read-only rusqlite connections to the
//! same file (WAL mode lets them read while sqlx writes), with prepared
//! statements cached per connection. Writes never go through here.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{CatalogError, Result};

/// Read-only connections kept for reuse.
const KEEP: usize = 8;

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum Bind {
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl rusqlite::ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Bind::Int(i) => i.to_sql(),
            Bind::Text(t) => t.to_sql(),
            Bind::Blob(b) => b.to_sql(),
        }
    }
}

/// Pool of read-only connections to one SQLite file.
#[derive(Clone)]
pub struct SqliteReader {
    path: PathBuf,
    idle: Arc<Mutex<Vec<Connection>>>,
    /// connections for [`SqliteReader::lookup_now`] (they never wait for a lock)
    idle_now: Arc<Mutex<Vec<Connection>>>,
    /// set by [`SqliteReader::close`]: connections are no longer kept
    closed: Arc<std::sync::atomic::AtomicBool>,
}

impl std::fmt::Debug for SqliteReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn driver(e: rusqlite::Error) -> CatalogError {
    CatalogError::Reader(e.to_string())
}

impl SqliteReader {
    pub(crate) fn new(path: &Path) -> Self {
        SqliteReader {
            path: path.to_path_buf(),
            idle: Arc::new(Mutex::new(Vec::new())),
            idle_now: Arc::new(Mutex::new(Vec::new())),
            closed: Arc::default(),
        }
    }

    /// Closes the kept connections, and any returned later, so that the
    /// write-ahead log can then be checkpointed and truncated
    /// ([`crate::Catalog::close`]): rows deleted (and zeroed) in the file
    /// must not live on in the log's old pages.
    pub(crate) fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        for pool in [&self.idle, &self.idle_now] {
            pool.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }

    /// Puts a connection back into `pool` for reuse, unless closed or full.
    fn give_back(&self, pool: &Mutex<Vec<Connection>>, conn: Connection) {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let mut idle = pool.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < KEEP {
            idle.push(conn);
        }
    }

    fn open(&self) -> Result<Connection> {
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(driver)?;
        c.busy_timeout(Duration::from_secs(10)).map_err(driver)?;
        Ok(c)
    }

    /// Runs a point lookup (at most a row or two, by key) on the calling
    /// thread: every authenticated request makes one or two, and handing
    /// each to another thread and back cost more than the query. It never
    /// waits: if the database is locked (a checkpoint, a recovery) or the
    /// read fails in any way it gives `None` and the caller takes its usual
    /// path.
    pub(crate) fn lookup_now<T, F>(&self, sql: &str, binds: &[Bind], map: F) -> Option<Vec<T>>
    where
        F: Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        let idle = self
            .idle_now
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let conn = match idle {
            Some(c) => c,
            None => {
                let c = self.open().ok()?;
                c.busy_timeout(Duration::ZERO).ok()?;
                c
            }
        };
        let out = (|| {
            let mut st = conn.prepare_cached(sql)?;
            let rows = st.query_map(rusqlite::params_from_iter(binds.iter()), |r| map(r))?;
            rows.collect::<rusqlite::Result<Vec<T>>>()
        })();
        self.give_back(&self.idle_now, conn);
        // Any failure here (a lock, a recovery, a schema change) leaves the
        // answer to the usual path, which waits and reports errors properly.
        out.ok()
    }

    /// Runs `sql` with `binds` on a blocking thread and maps each row.
    pub(crate) async fn query<T, F>(&self, sql: String, binds: Vec<Bind>, map: F) -> Result<Vec<T>>
    where
        T: Send + 'static,
        F: Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let idle = this.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let conn = match idle {
                Some(c) => c,
                None => this.open()?,
            };
            let out = (|| {
                let mut st = conn.prepare_cached(&sql)?;
                let rows = st.query_map(rusqlite::params_from_iter(binds.iter()), |r| map(r))?;
                rows.collect::<rusqlite::Result<Vec<T>>>()
            })()
            .map_err(driver);
            this.give_back(&this.idle, conn);
            out
        })
        .await
        .map_err(|e| CatalogError::Reader(e.to_string()))?
    }
}
