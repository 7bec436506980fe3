//! The one place where SQLite and PostgreSQL differ for this crate's
//! queries: how a unique violation is recognised and how boolean columns
//! are compared. Everything else is written once in SQL both accept (`$n`
//! parameters, `ON CONFLICT`, `CAST(… AS BIGINT)`).

use crate::{Catalog, CatalogError};

/// Maps a driver error: a unique violation becomes `on_unique`, anything
/// else [`CatalogError::Database`].
pub(crate) fn unique_to(e: sqlx::Error, on_unique: CatalogError) -> CatalogError {
    if is_unique_violation(&e) {
        on_unique
    } else {
        CatalogError::Database(e)
    }
}

/// Whether the error is a unique-constraint violation (both backends).
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Catalog {
    /// A condition on a boolean column: SQLite stores 0/1, PostgreSQL has a
    /// boolean type. `column` is always a constant of ours, never input.
    pub(crate) fn bool_condition(&self, column: &str, value: bool) -> String {
        match (self, value) {
            (Catalog::Postgres(_), true) => column.to_string(),
            (Catalog::Postgres(_), false) => format!("NOT {column}"),
            (Catalog::Sqlite(..), true) => format!("{column} = 1"),
            (Catalog::Sqlite(..), false) => format!("{column} = 0"),
        }
    }
}
