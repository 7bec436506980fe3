//! The data classification registry against the live schema: every column
//! the migrations made on this backend has an entry, and every entry names
//! a column that exists — a new column cannot be added without deciding its
//! class and protection.

use std::collections::BTreeSet;

use pixelunion_catalog::Catalog;
use pixelunion_catalog::classification::REGISTRY;

async fn live_columns(c: &Catalog) -> BTreeSet<(String, String)> {
    match c {
        Catalog::Sqlite(p, _) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await
            .expect("tables");
            let mut out = BTreeSet::new();
            for t in tables {
                let cols: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                        .fetch_all(p)
                        .await
                        .expect("columns");
                out.extend(cols.into_iter().map(|c| (t.clone(), c)));
            }
            out
        }
        Catalog::Postgres(p) => {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await
            .expect("columns");
            rows.into_iter().collect()
        }
    }
}

pub async fn registry_matches_the_live_schema(c: &Catalog) {
    let live = live_columns(c).await;
    assert!(live.len() > 100, "read the schema: {} columns", live.len());
    let registered: BTreeSet<(String, String)> = REGISTRY
        .iter()
        .map(|e| (e.table.to_string(), e.column.to_string()))
        .collect();
    let unclassified: Vec<_> = live.difference(&registered).collect();
    assert!(
        unclassified.is_empty(),
        "columns with no entry in crates/catalog/src/classification.rs: {unclassified:?}"
    );
    let stale: Vec<_> = registered.difference(&live).collect();
    assert!(
        stale.is_empty(),
        "registry entries for columns that do not exist: {stale:?}"
    );
}
