//! The server's SQLite catalog opened beside it, as its owner could: to read
//! what is stored (scans, key material for crypto-shredding checks) and to
//! tamper with it (the audit trail's tests).

/// A pool on `DATA/catalog.sqlite` with its own small runtime.
pub struct Db {
    rt: tokio::runtime::Runtime,
    pool: sqlx::SqlitePool,
}

impl Db {
    /// Opens the catalog of the data directory `data`.
    pub fn open(data: &std::path::Path) -> Db {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let url = format!("sqlite://{}", data.join("catalog.sqlite").display());
        let pool = rt.block_on(sqlx::SqlitePool::connect(&url)).unwrap();
        Db { rt, pool }
    }

    /// Runs a statement.
    pub fn exec(&self, sql: &str) {
        self.rt
            .block_on(sqlx::query(sql).execute(&self.pool))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// One integer.
    pub fn int(&self, sql: &str) -> i64 {
        self.rt
            .block_on(sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// One text column of every row.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        self.rt
            .block_on(sqlx::query_scalar::<_, String>(sql).fetch_all(&self.pool))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `(text, bytes)` of every row.
    pub fn pairs(&self, sql: &str) -> Vec<(String, Vec<u8>)> {
        self.rt
            .block_on(sqlx::query_as::<_, (String, Vec<u8>)>(sql).fetch_all(&self.pool))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// One bytes column of every row.
    pub fn blobs(&self, sql: &str) -> Vec<Vec<u8>> {
        self.rt
            .block_on(sqlx::query_scalar::<_, Vec<u8>>(sql).fetch_all(&self.pool))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.rt.block_on(self.pool.close());
    }
}
