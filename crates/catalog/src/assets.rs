//! Assets (photos and videos): every query is scoped by owner, so another
//! user's id simply finds nothing. Usage and per-month counts are kept by
//! triggers (migration 0006), so they cannot drift from the rows.

use crate::jobs::{self, JobKind};
use crate::reader::Bind;
use crate::{Catalog, CatalogError, Result};

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssetRow {
    /// random, time-ordered id (UUIDv7 text); also the blob's object id
    pub id: String,
    /// owner
    pub owner_id: String,
    /// opaque name of the encrypted original in the stores
    pub blob_name: String,
    /// "photo" or "video"
    pub kind: String,
    /// sniffed media type
    pub mime: String,
    /// plaintext bytes
    pub size: i64,
    /// per-user keyed blind index of the content's SHA-256
    pub content_index: Vec<u8>,
    /// original file name, field-encrypted under the owner's key
    pub file_name: Option<Vec<u8>>,
    /// capture time (unix ms) once known
    pub taken_at: Option<i64>,
    /// upload time (unix ms)
    pub uploaded_at: i64,
    /// timeline position: capture time, else upload time (unix ms)
    pub sort_at: i64,
    /// in the trash since (unix ms)
    pub trashed_at: Option<i64>,
    /// favourite
    pub favorite: bool,
    /// archived
    pub archived: bool,
    /// caption, field-encrypted under the owner's key
    pub caption: Option<Vec<u8>>,
    /// pixel width once known
    pub width: Option<i32>,
    /// pixel height once known
    pub height: Option<i32>,
    /// EXIF and other metadata: JSON, field-encrypted under the owner's key
    pub metadata: Option<Vec<u8>>,
    /// media pipeline: "pending", "ready", "failed" or "none"
    pub media_state: String,
    /// why the pipeline failed (no user content)
    pub media_error: Option<String>,
}

pub(crate) const COLS: &str = "id, owner_id, blob_name, kind, mime, size, content_index, file_name, taken_at, uploaded_at, sort_at, trashed_at, favorite, archived, caption, width, height, metadata, media_state, media_error";

impl Catalog {
    /// Inserts an asset whose blob was written under `intent`, in one
    /// transaction that also clears the intent and queues the blob's
    /// replication to the backup store. [`CatalogError::AlreadyExists`] if
    /// the owner already has this content (nothing changes then).
    pub async fn insert_asset(&self, a: &AssetRow, now_ms: i64) -> Result<()> {
        let q = "INSERT INTO assets (id, owner_id, blob_name, kind, mime, size, content_index, file_name, taken_at, uploaded_at, sort_at, trashed_at, favorite, archived, caption, width, height, metadata, media_state, media_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)";
        let r: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin().await?;
            sqlx::query(q)
                .bind(&a.id).bind(&a.owner_id).bind(&a.blob_name).bind(&a.kind).bind(&a.mime).bind(a.size)
                .bind(&a.content_index).bind(&a.file_name).bind(a.taken_at).bind(a.uploaded_at).bind(a.sort_at)
                .bind(a.trashed_at).bind(a.favorite).bind(a.archived).bind(&a.caption).bind(a.width).bind(a.height)
                .bind(&a.metadata).bind(&a.media_state).bind(&a.media_error)
                .execute(&mut *tx).await?;
            sqlx::query(crate::intents::CLEAR).bind(&a.blob_name).execute(&mut *tx).await?;
            sqlx::query(jobs::ENQUEUE)
                .bind(jobs::new_id()).bind(JobKind::Replicate.as_str()).bind(&a.blob_name).bind(now_ms)
                .execute(&mut *tx).await?;
            if a.media_state == "pending" {
                sqlx::query(jobs::ENQUEUE)
                    .bind(jobs::new_id()).bind(JobKind::Media.as_str()).bind(&a.id).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await);
        r.map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => CatalogError::AlreadyExists,
            _ => CatalogError::Database(e),
        })
    }

    /// The owner's asset with this content index.
    pub async fn asset_by_content(&self, owner: &str, index: &[u8]) -> Result<Option<AssetRow>> {
        let q = format!("SELECT {COLS} FROM assets WHERE owner_id = $1 AND content_index = $2");
        Ok(
            with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(index).fetch_optional(p).await?),
        )
    }

    /// The owner's asset `id` (None for anyone else's).
    pub async fn asset(&self, owner: &str, id: &str) -> Result<Option<AssetRow>> {
        let q = format!("SELECT {COLS} FROM assets WHERE owner_id = $1 AND id = $2");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(id).fetch_optional(p).await?))
    }

    /// One timeline page, newest first by `(sort_at, id)`: assets strictly
    /// after `cursor` (the last item of the previous page) that pass `filter`.
    pub async fn timeline(
        &self,
        owner: &str,
        filter: &TimelineFilter,
        cursor: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AssetRow>> {
        let pg = matches!(self, Catalog::Postgres(_));
        let mut binds = vec![Bind::Text(owner.to_string())];
        let mut sql = match &filter.album {
            Some(album) => {
                binds.push(Bind::Text(album.clone()));
                format!(
                    "SELECT {} FROM assets a JOIN album_assets aa ON aa.asset_id = a.id WHERE a.owner_id = $1 AND aa.album_id = $2",
                    COLS.split(", ")
                        .map(|c| format!("a.{c}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            None => format!("SELECT {COLS} FROM assets a WHERE a.owner_id = $1"),
        };
        sql.push_str(if filter.trashed {
            " AND a.trashed_at IS NOT NULL"
        } else {
            " AND a.trashed_at IS NULL"
        });
        let flag = |name: &str, v: bool| match (pg, v) {
            (true, true) => format!(" AND a.{name}"),
            (true, false) => format!(" AND NOT a.{name}"),
            (false, true) => format!(" AND a.{name} = 1"),
            (false, false) => format!(" AND a.{name} = 0"),
        };
        if let Some(f) = filter.favorite {
            sql.push_str(&flag("favorite", f));
        }
        if let Some(f) = filter.archived {
            sql.push_str(&flag("archived", f));
        }
        if let Some(k) = &filter.kind {
            binds.push(Bind::Text(k.clone()));
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
        let pg = matches!(self, Catalog::Postgres(_));
        let lit = |v: bool| match (pg, v) {
            (true, true) => "TRUE",
            (true, false) => "FALSE",
            (false, true) => "1",
            (false, false) => "0",
        };
        let mut sql =
            "SELECT month, CAST(SUM(n) AS BIGINT) AS n FROM asset_months WHERE owner_id = $1"
                .to_string();
        if let Some(f) = facets.favorite {
            sql.push_str(&format!(" AND favorite = {}", lit(f)));
        }
        if let Some(a) = facets.archived {
            sql.push_str(&format!(" AND archived = {}", lit(a)));
        }
        if facets.kind.is_some() {
            sql.push_str(" AND kind = $2");
        }
        sql.push_str(" GROUP BY month HAVING SUM(n) > 0 ORDER BY month DESC");
        let mut binds = vec![Bind::Text(owner.to_string())];
        if let Some(k) = &facets.kind {
            binds.push(Bind::Text(k.clone()));
        }
        let rows: Vec<(i32, i64)> = match self {
            Catalog::Sqlite(_, reader) => {
                reader
                    .query(sql, binds, |r| Ok((r.get(0)?, r.get(1)?)))
                    .await?
            }
            Catalog::Postgres(p) => {
                let mut q = sqlx::query_as(&sql).bind(owner);
                if let Some(k) = &facets.kind {
                    q = q.bind(k.as_str());
                }
                q.fetch_all(p).await?
            }
        };
        Ok(rows)
    }

    /// Bytes and number of assets the owner stores (trash included).
    pub async fn usage(&self, owner: &str) -> Result<(i64, i64)> {
        let q = "SELECT bytes, assets FROM user_usage WHERE owner_id = $1";
        let row: Option<(i64, i64)> =
            with_pool!(self, p => sqlx::query_as(q).bind(owner).fetch_optional(p).await?);
        Ok(row.unwrap_or((0, 0)))
    }

    /// Bytes and assets stored by everyone together (for operators: a
    /// total, never per user or per item).
    pub async fn total_usage(&self) -> Result<(i64, i64)> {
        let q = "SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT), CAST(COALESCE(SUM(assets), 0) AS BIGINT) FROM user_usage";
        let row: (i64, i64) = with_pool!(self, p => sqlx::query_as(q).fetch_one(p).await?);
        Ok(row)
    }

    /// The user's own quota in bytes (None = the server's default).
    pub async fn user_quota(&self, user: &str) -> Result<Option<i64>> {
        let q = "SELECT quota_bytes FROM users WHERE id = $1";
        let row: Option<(Option<i64>,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(user).fetch_optional(p).await?);
        Ok(row.and_then(|r| r.0))
    }

    /// Sets (or with None clears) a user's quota; false if no such user.
    pub async fn set_user_quota(&self, user: &str, bytes: Option<i64>) -> Result<bool> {
        let q = "UPDATE users SET quota_bytes = $1 WHERE id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(bytes).bind(user).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Of the given content indexes, those the owner already has, with the
    /// asset ids.
    pub async fn assets_with_content(
        &self,
        owner: &str,
        indexes: &[Vec<u8>],
    ) -> Result<Vec<(Vec<u8>, String)>> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..indexes.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT content_index, id FROM assets WHERE owner_id = $1 AND content_index IN ({})",
            marks.join(", ")
        );
        let rows = with_pool!(self, p => {
            let mut q = sqlx::query_as(&sql).bind(owner);
            for i in indexes {
                q = q.bind(i.as_slice());
            }
            q.fetch_all(p).await?
        });
        Ok(rows)
    }

    /// Moves the owner's asset to the trash; false if it is not theirs or already there.
    pub async fn trash_asset(&self, owner: &str, id: &str, now_ms: i64) -> Result<bool> {
        let q = "UPDATE assets SET trashed_at = $1 WHERE owner_id = $2 AND id = $3 AND trashed_at IS NULL";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(now_ms).bind(owner).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Takes the owner's asset out of the trash; false if it is not theirs or not there.
    pub async fn restore_asset(&self, owner: &str, id: &str) -> Result<bool> {
        let q = "UPDATE assets SET trashed_at = NULL WHERE owner_id = $1 AND id = $2 AND trashed_at IS NOT NULL";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(owner).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Changes the owner's asset: favourite, archived, caption (`Some(None)`
    /// clears it). False if it is not theirs.
    pub async fn update_asset(&self, owner: &str, id: &str, change: &AssetChange) -> Result<bool> {
        let q = "UPDATE assets SET favorite = COALESCE($1, favorite), archived = COALESCE($2, archived), caption = CASE WHEN $3 THEN $4 ELSE caption END WHERE owner_id = $5 AND id = $6";
        let (set_caption, caption) = match &change.caption {
            Some(c) => (true, c.clone()),
            None => (false, None),
        };
        Ok(with_pool!(self, p => sqlx::query(q)
            .bind(change.favorite).bind(change.archived).bind(set_caption).bind(caption)
            .bind(owner).bind(id).execute(p).await?.rows_affected())
            == 1)
    }

    /// Purges trashed assets for good — the owner's whole trash
    /// (`owner = Some`), or everyone's items trashed before `trashed_before`
    /// — at most `limit` per call. Each asset row is deleted in the same
    /// transaction that queues its blob's deletion from the primary store and
    /// from the backup store (and drops a replication still pending), so a
    /// crash can neither lose the record nor leave a row without its blob.
    /// Returns how many were purged.
    pub async fn purge_trashed(
        &self,
        owner: Option<&str>,
        trashed_before: i64,
        now_ms: i64,
        limit: i64,
    ) -> Result<u64> {
        let select = match owner {
            Some(_) => {
                "SELECT id, blob_name FROM assets WHERE owner_id = $1 AND trashed_at IS NOT NULL AND trashed_at < $2 ORDER BY trashed_at LIMIT $3"
            }
            None => {
                "SELECT id, blob_name FROM assets WHERE trashed_at IS NOT NULL AND trashed_at < $2 AND $1 = $1 ORDER BY trashed_at LIMIT $3"
            }
        };
        let owner = owner.unwrap_or("");
        let n: std::result::Result<u64, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin().await?;
            let rows: Vec<(String, String)> = sqlx::query_as(select)
                .bind(owner).bind(trashed_before).bind(limit).fetch_all(&mut *tx).await?;
            for (id, original) in &rows {
                let files: Vec<(String,)> = sqlx::query_as("SELECT blob_name FROM asset_files WHERE asset_id = $1")
                    .bind(id).fetch_all(&mut *tx).await?;
                sqlx::query("DELETE FROM assets WHERE id = $1").bind(id).execute(&mut *tx).await?;
                sqlx::query(jobs::CANCEL).bind(JobKind::Media.as_str()).bind(id).execute(&mut *tx).await?;
                for blob in std::iter::once(original).chain(files.iter().map(|f| &f.0)) {
                    sqlx::query(jobs::CANCEL).bind(JobKind::Replicate.as_str()).bind(blob).execute(&mut *tx).await?;
                    for (kind, delay) in [(JobKind::DropPrimary, 0), (JobKind::DropBackup, jobs::BACKUP_DROP_DELAY_MS)] {
                        sqlx::query(jobs::ENQUEUE)
                            .bind(jobs::new_id()).bind(kind.as_str()).bind(blob).bind(now_ms + delay)
                            .execute(&mut *tx).await?;
                    }
                }
            }
            tx.commit().await?;
            Ok(rows.len() as u64)
        }.await);
        Ok(n?)
    }
}

/// What a timeline page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    /// the trash instead of the library
    pub trashed: bool,
    /// "photo" or "video"
    pub kind: Option<String>,
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
    /// "photo" or "video"
    pub kind: Option<String>,
    /// favourites only / others only
    pub favorite: Option<bool>,
    /// archived only / others only
    pub archived: Option<bool>,
}

/// A change to an asset's flags or caption; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetChange {
    /// favourite
    pub favorite: Option<bool>,
    /// archived
    pub archived: Option<bool>,
    /// new caption ciphertext (`Some(None)` removes it)
    pub caption: Option<Option<Vec<u8>>>,
}

/// Decodes a row of [`COLS`] from the read-only SQLite path.
fn row_from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<AssetRow> {
    Ok(AssetRow {
        id: r.get(0)?,
        owner_id: r.get(1)?,
        blob_name: r.get(2)?,
        kind: r.get(3)?,
        mime: r.get(4)?,
        size: r.get(5)?,
        content_index: r.get(6)?,
        file_name: r.get(7)?,
        taken_at: r.get(8)?,
        uploaded_at: r.get(9)?,
        sort_at: r.get(10)?,
        trashed_at: r.get(11)?,
        favorite: r.get(12)?,
        archived: r.get(13)?,
        caption: r.get(14)?,
        width: r.get(15)?,
        height: r.get(16)?,
        metadata: r.get(17)?,
        media_state: r.get(18)?,
        media_error: r.get(19)?,
    })
}
