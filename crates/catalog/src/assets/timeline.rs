//! Timeline pages (keyset, newest first, with filters) and per-month
//! counts read from the trigger-kept `asset_months` table. Hot SQLite reads
//! go through the read-only connections of [`crate::SqliteReader`].

use super::{AssetRow, COLS, row_from_sqlite};
use crate::reader::Bind;
use crate::{AssetKind, Catalog, Result};

impl Catalog {
    /// One timeline page, newest first by `(sort_at, id)`: assets strictly
    /// after `cursor` (the last item of the previous page) that pass `filter`.
    pub async fn timeline(
        &self,
        owner: &str,
        filter: &TimelineFilter,
        cursor: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AssetRow>> {
        let mut binds = vec![Bind::Text(owner.to_string())];
        let mut sql = match &filter.album {
            Some(album) => {
                binds.push(Bind::Text(album.clone()));
                format!(
                    "SELECT {} FROM assets a JOIN album_assets aa ON aa.asset_id = a.id WHERE a.owner_id = $1 AND aa.album_id = $2",
                    super::a_cols()
                )
            }
            None => format!("SELECT {COLS} FROM assets a WHERE a.owner_id = $1"),
        };
        sql.push_str(if filter.trashed {
            " AND a.trashed_at IS NOT NULL"
        } else {
            " AND a.trashed_at IS NULL"
        });
        if let Some(f) = filter.favorite {
            sql.push_str(&format!(" AND {}", self.bool_condition("a.favorite", f)));
        }
        if let Some(f) = filter.archived {
            sql.push_str(&format!(" AND {}", self.bool_condition("a.archived", f)));
        }
        if let Some(k) = filter.kind {
            binds.push(Bind::Text(k.as_str().to_string()));
            sql.push_str(&format!(" AND a.kind = ${}", binds.len()));
        }
        if let Some(from) = filter.from_ms {
            binds.push(Bind::Int(from));
            sql.push_str(&format!(" AND a.sort_at >= ${}", binds.len()));
        }
        if let Some(to) = filter.to_ms {
            binds.push(Bind::Int(to));
            sql.push_str(&format!(" AND a.sort_at < ${}", binds.len()));
        }
        if let Some((at, id)) = cursor {
            binds.push(Bind::Int(at));
            binds.push(Bind::Text(id.to_string()));
            let (n1, n2) = (binds.len() - 1, binds.len());
            sql.push_str(&format!(
                " AND (a.sort_at < ${n1} OR (a.sort_at = ${n1} AND a.id < ${n2}))"
            ));
        }
        binds.push(Bind::Int(limit));
        sql.push_str(&format!(
            " ORDER BY a.sort_at DESC, a.id DESC LIMIT ${}",
            binds.len()
        ));
        let rows = match self {
            Catalog::Sqlite(_, reader) => reader.query(sql, binds, row_from_sqlite).await?,
            Catalog::Postgres(p) => {
                let mut q = sqlx::query_as(&sql);
                for b in &binds {
                    q = match b {
                        Bind::Int(i) => q.bind(*i),
                        Bind::Text(t) => q.bind(t.as_str()),
                        Bind::Blob(b) => q.bind(b.as_slice()),
                    };
                }
                q.fetch_all(p).await?
            }
        };
        Ok(rows)
    }

    /// Assets outside the trash per UTC month (`yyyymm`, newest first), from
    /// the counters the triggers keep; facets narrow the count.
    pub async fn month_counts(&self, owner: &str, facets: &MonthFacets) -> Result<Vec<(i32, i64)>> {
        let mut sql =
            "SELECT month, CAST(SUM(n) AS BIGINT) AS n FROM asset_months WHERE owner_id = $1"
                .to_string();
        if let Some(f) = facets.favorite {
            sql.push_str(&format!(" AND {}", self.bool_condition("favorite", f)));
        }
        if let Some(a) = facets.archived {
            sql.push_str(&format!(" AND {}", self.bool_condition("archived", a)));
        }
        if facets.kind.is_some() {
            sql.push_str(" AND kind = $2");
        }
        sql.push_str(" GROUP BY month HAVING SUM(n) > 0 ORDER BY month DESC");
        let mut binds = vec![Bind::Text(owner.to_string())];
        if let Some(k) = facets.kind {
            binds.push(Bind::Text(k.as_str().to_string()));
        }
        let rows: Vec<(i32, i64)> = match self {
            Catalog::Sqlite(_, reader) => {
                reader
                    .query(sql, binds, |r| Ok((r.get(0)?, r.get(1)?)))
                    .await?
            }
            Catalog::Postgres(p) => {
                let mut q = sqlx::query_as(&sql).bind(owner);
                if let Some(k) = facets.kind {
                    q = q.bind(k);
                }
                q.fetch_all(p).await?
            }
        };
        Ok(rows)
    }
}

/// What a timeline page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    /// the trash instead of the library
    pub trashed: bool,
    /// photos or videos only
    pub kind: Option<AssetKind>,
    /// only favourites (true) or only the others (false)
    pub favorite: Option<bool>,
    /// only archived (true) or only the others (false)
    pub archived: Option<bool>,
    /// only this album's assets (an album of the same owner)
    pub album: Option<String>,
    /// timeline position at or after (unix ms)
    pub from_ms: Option<i64>,
    /// timeline position before (unix ms)
    pub to_ms: Option<i64>,
}

/// Facets of the per-month counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthFacets {
    /// photos or videos only
    pub kind: Option<AssetKind>,
    /// favourites only / others only
    pub favorite: Option<bool>,
    /// archived only / others only
    pub archived: Option<bool>,
}
