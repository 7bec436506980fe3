//! Errors of the catalog layer.

/// What can go wrong talking to the metadata database.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The database URL is not usable.
    #[error("bad database URL: {0}")]
    BadUrl(String),
    /// The vault was initialized already (a second `init` must not overwrite it).
    #[error("the vault is already initialized")]
    AlreadyInitialized,
    /// A unique value (e-mail) is taken.
    #[error("already exists")]
    AlreadyExists,
    /// A row that must exist does not.
    #[error("not found")]
    NotFound,
    /// The read-only SQLite path failed.
    #[error("database read error: {0}")]
    Reader(String),
    /// Database driver error (connection, constraint, I/O).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The audit chain's MAC could not be made (the append is not stored).
    #[error("audit entry not chained: {0}")]
    Audit(String),
    /// Migration failure.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result alias of the catalog layer.
pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
