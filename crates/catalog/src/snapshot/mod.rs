//! Logical, backend-neutral snapshots of the whole catalog: every table a
//! restore needs, streamed row by row in a documented encoding
//! ([`format`], `docs/snapshot-format.md`), so that a snapshot taken on
//! SQLite restores into PostgreSQL and the other way round. This module
//! only reads and writes plaintext streams: the server encrypts a snapshot
//! before it leaves the process and decrypts it before a restore.

pub mod export;
pub mod format;
pub mod import;
pub mod tables;

pub use format::FormatError;
pub use import::Imported;

/// The schema version the rows follow: the number of the latest migration
/// (a test keeps it equal to both migration folders).
pub const SCHEMA_VERSION: u32 = 21;

/// Why a restore into the catalog failed (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The catalog already holds data.
    #[error("the catalog is not empty: restore into a new database")]
    NotEmpty,
    /// The stream is malformed or truncated.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Made by a newer version of PixelUnion.
    #[error(
        "the snapshot follows catalog schema {0}, newer than this build's; restore with a newer PixelUnion"
    )]
    Newer(u32),
    /// A table this build does not know.
    #[error("the snapshot holds a table this build does not know")]
    UnknownTable,
    /// A column this build does not know (or of another type).
    #[error("the snapshot holds a column this build does not know")]
    UnknownColumn,
    /// Reading the stream failed.
    #[error("reading the snapshot failed: {0}")]
    Source(String),
    /// The database failed.
    #[error(transparent)]
    Catalog(#[from] crate::CatalogError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_version_is_the_latest_migration_of_both_backends() {
        for dir in ["migrations/sqlite", "migrations/postgres"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let latest = std::fs::read_dir(&path)
                .expect("migrations")
                .flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .split('_')
                        .next()
                        .and_then(|n| n.parse::<u32>().ok())
                })
                .max();
            assert_eq!(latest, Some(SCHEMA_VERSION), "{dir}");
        }
    }
}
