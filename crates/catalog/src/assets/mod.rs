//! Assets (photos and videos): every query is scoped by owner, so another
//! user's id simply finds nothing. Usage and per-month counts are kept by
//! triggers (migration 0006), so they cannot drift from the rows.

mod changes;
mod content;
mod parts;
mod timeline;
mod usage;

pub use changes::AssetChange;
pub use parts::AssetPartRow;
pub use timeline::{MonthFacets, TimelineFilter};

use crate::BeginWrite as _;
use crate::jobs::{self, JobKind};
use crate::reader::Bind;
use crate::{AssetKind, Catalog, CatalogError, MediaState, Result};

/// A stored asset.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssetRow {
    /// random, time-ordered id (UUIDv7 text); also the blob's object id
    pub id: String,
    /// owner
    pub owner_id: String,
    /// opaque name of the encrypted original in the stores
    pub blob_name: String,
    /// photo or video
    pub kind: AssetKind,
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
    /// where the media pipeline stands
    pub media_state: MediaState,
    /// why the pipeline failed (no user content)
    pub media_error: Option<String>,
    /// SHA-256 of the stored ciphertext of the original (what a backup copy
    /// must match; absent on rows from before it was kept)
    pub blob_sha256: Option<Vec<u8>>,
}

pub(crate) const COLS: &str = "id, owner_id, blob_name, kind, mime, size, content_index, file_name, taken_at, uploaded_at, sort_at, trashed_at, favorite, archived, caption, width, height, metadata, media_state, media_error, blob_sha256";

/// [`COLS`] of the assets table under the alias `a` (for joins).
pub(crate) fn a_cols() -> String {
    COLS.split(", ")
        .map(|c| format!("a.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Catalog {
    /// Inserts an asset whose blob was written under `intent`, in one
    /// transaction that also clears the intent and queues the blob's
    /// replication to the backup store. [`CatalogError::AlreadyExists`] if
    /// the owner already has this content (nothing changes then).
    pub async fn insert_asset(&self, a: &AssetRow, now_ms: i64) -> Result<()> {
        self.insert_asset_with_parts(a, &[], now_ms).await
    }

    /// [`Catalog::insert_asset`] for an original stored as several blobs:
    /// `a.blob_name` is the first, `parts` the ones after it (numbered from
    /// 1, their sizes adding up to `a.size` with the first's). Each part's
    /// replication is queued in the same transaction.
    pub async fn insert_asset_with_parts(
        &self,
        a: &AssetRow,
        parts: &[AssetPartRow],
        now_ms: i64,
    ) -> Result<()> {
        let part = "INSERT INTO asset_parts (asset_id, seq, blob_name, size, sha256) VALUES ($1, $2, $3, $4, $5)";
        let q = "INSERT INTO assets (id, owner_id, blob_name, kind, mime, size, content_index, file_name, taken_at, uploaded_at, sort_at, trashed_at, favorite, archived, caption, width, height, metadata, media_state, media_error, blob_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";
        let r: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(q)
                .bind(&a.id).bind(&a.owner_id).bind(&a.blob_name).bind(a.kind).bind(&a.mime).bind(a.size)
                .bind(&a.content_index).bind(&a.file_name).bind(a.taken_at).bind(a.uploaded_at).bind(a.sort_at)
                .bind(a.trashed_at).bind(a.favorite).bind(a.archived).bind(&a.caption).bind(a.width).bind(a.height)
                .bind(&a.metadata).bind(a.media_state).bind(&a.media_error).bind(&a.blob_sha256)
                .execute(&mut *tx).await?;
            sqlx::query(crate::intents::CLEAR).bind(&a.blob_name).execute(&mut *tx).await?;
            sqlx::query(jobs::ENQUEUE)
                .bind(jobs::new_id()).bind(JobKind::Replicate.as_str()).bind(&a.blob_name).bind(now_ms)
                .execute(&mut *tx).await?;
            for x in parts {
                sqlx::query(part).bind(&a.id).bind(x.seq).bind(&x.blob_name).bind(x.size).bind(&x.sha256)
                    .execute(&mut *tx).await?;
                sqlx::query(crate::intents::CLEAR).bind(&x.blob_name).execute(&mut *tx).await?;
                sqlx::query(jobs::ENQUEUE)
                    .bind(jobs::new_id()).bind(JobKind::Replicate.as_str()).bind(&x.blob_name).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
            if a.media_state == MediaState::Pending {
                sqlx::query(jobs::ENQUEUE)
                    .bind(jobs::new_id()).bind(JobKind::Media.as_str()).bind(&a.id).bind(now_ms)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await);
        r.map_err(|e| crate::dialect::unique_to(e, CatalogError::AlreadyExists))
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
        static Q: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("SELECT {COLS} FROM assets WHERE owner_id = $1 AND id = $2")
        });
        let q = Q.as_str();
        // Every read of a file asks for its asset first: on SQLite a point
        // lookup on the calling thread (no hand-off to the pool's thread).
        if let Catalog::Sqlite(_, reader) = self {
            let binds = [Bind::Text(owner.to_string()), Bind::Text(id.to_string())];
            if let Some(rows) = reader.lookup_now(q, &binds, row_from_sqlite) {
                return Ok(rows.into_iter().next());
            }
        }
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(owner).bind(id).fetch_optional(p).await?))
    }
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
        blob_sha256: r.get(20)?,
    })
}
