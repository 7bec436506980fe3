//! The media pipeline's records: an asset's metadata and state, and its
//! derived files (thumbnail, preview). Recording a result is one transaction
//! that also clears the derived blobs' write intents and queues their
//! replication; an asset purged meanwhile records nothing.

use crate::BeginWrite as _;
use crate::jobs::{self, JobKind};
use crate::reader::Bind;
use crate::{AssetRow, Catalog, FileKind, MediaState, Result};

/// A derived file of an asset.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AssetFileRow {
    /// the asset
    pub asset_id: String,
    /// thumbnail, preview or playback (a transcoded video)
    pub kind: FileKind,
    /// opaque name of the encrypted file
    pub blob_name: String,
    /// media type of the file
    pub mime: String,
    /// plaintext bytes
    pub size: i64,
    /// pixels
    pub width: i32,
    /// pixels
    pub height: i32,
    /// SHA-256 of the stored ciphertext (absent on rows from before it was kept)
    pub sha256: Option<Vec<u8>>,
}

/// What the pipeline learnt and made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaResult {
    /// capture time (unix ms) if the file says
    pub taken_at: Option<i64>,
    /// displayed size
    pub width: Option<i32>,
    /// displayed size
    pub height: Option<i32>,
    /// metadata JSON, field-encrypted
    pub metadata: Option<Vec<u8>>,
    /// derived files (their blobs already written under intents)
    pub files: Vec<AssetFileRow>,
}

/// In an open transaction: drops the asset's file of `f.kind` (its blobs
/// queued for deletion), inserts `f`, clears its write intent and queues its
/// replication.
macro_rules! replace_file {
    ($tx:ident, $asset:expr, $f:expr, $now:expr) => {{
        let old = "SELECT blob_name FROM asset_files WHERE asset_id = $1 AND kind = $2";
        let insert = "INSERT INTO asset_files (asset_id, kind, blob_name, mime, size, width, height, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let (asset, f, now_ms): (&str, &AssetFileRow, i64) = ($asset, $f, $now);
        let previous: Vec<(String,)> = sqlx::query_as(old).bind(asset).bind(f.kind).fetch_all(&mut *$tx).await?;
        sqlx::query("DELETE FROM asset_files WHERE asset_id = $1 AND kind = $2").bind(asset).bind(f.kind).execute(&mut *$tx).await?;
        for (b,) in &previous {
            for kind in [JobKind::DropPrimary, JobKind::DropBackup] {
                sqlx::query(jobs::ENQUEUE).bind(jobs::new_id()).bind(kind.as_str()).bind(b).bind(now_ms + jobs::BACKUP_DROP_DELAY_MS * i64::from(kind == JobKind::DropBackup))
                    .execute(&mut *$tx).await?;
            }
        }
        sqlx::query(insert).bind(asset).bind(f.kind).bind(&f.blob_name).bind(&f.mime).bind(f.size).bind(f.width).bind(f.height).bind(&f.sha256)
            .execute(&mut *$tx).await?;
        sqlx::query(crate::intents::CLEAR).bind(&f.blob_name).execute(&mut *$tx).await?;
        sqlx::query(jobs::ENQUEUE).bind(jobs::new_id()).bind(JobKind::Replicate.as_str()).bind(&f.blob_name).bind(now_ms)
            .execute(&mut *$tx).await?;
    }};
}

impl Catalog {
    /// Any asset by id, whoever owns it (for background work only; request
    /// handlers use the owner-scoped [`Catalog::asset`]).
    pub async fn asset_for_job(&self, id: &str) -> Result<Option<AssetRow>> {
        let q = format!("SELECT {} FROM assets WHERE id = $1", crate::assets::COLS);
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_optional(p).await?))
    }

    /// Records a finished pipeline run; false (nothing changed) if the asset
    /// is gone. The timeline position moves to the capture time when known.
    /// Files of the same kinds recorded before are replaced (their blobs
    /// dropped); files of other kinds (a transcoded video) stay.
    pub async fn record_media(&self, asset: &str, r: &MediaResult, now_ms: i64) -> Result<bool> {
        let update = "UPDATE assets SET taken_at = COALESCE($1, taken_at), sort_at = COALESCE($1, taken_at, uploaded_at), width = $2, height = $3, metadata = $4, media_state = 'ready', media_error = NULL WHERE id = $5";
        let ok: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(update).bind(r.taken_at).bind(r.width).bind(r.height).bind(&r.metadata).bind(asset)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            for f in &r.files {
                replace_file!(tx, asset, f, now_ms);
            }
            tx.commit().await?;
            Ok(true)
        }.await);
        Ok(ok?)
    }

    /// Records one derived file made after the pipeline run (a transcoded
    /// video), replacing one of the same kind; false (nothing changed) if the
    /// asset is gone.
    pub async fn record_derived_file(&self, f: &AssetFileRow, now_ms: i64) -> Result<bool> {
        // Touching the row locks it (PostgreSQL) against a concurrent purge.
        let lock = "UPDATE assets SET media_state = media_state WHERE id = $1";
        let ok: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            if sqlx::query(lock).bind(&f.asset_id).execute(&mut *tx).await?.rows_affected() != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            replace_file!(tx, &f.asset_id, f, now_ms);
            tx.commit().await?;
            Ok(true)
        }.await);
        Ok(ok?)
    }

    /// Records that the pipeline cannot handle this asset: `state` is
    /// failed (with the reason) or none (nothing to make for this type yet).
    pub async fn set_media_state(
        &self,
        asset: &str,
        state: MediaState,
        reason: Option<&str>,
    ) -> Result<()> {
        let q = "UPDATE assets SET media_state = $1, media_error = $2 WHERE id = $3";
        with_pool!(self, p => sqlx::query(q).bind(state).bind(reason).bind(asset).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The owner's asset's derived file of `kind`.
    pub async fn asset_file(
        &self,
        owner: &str,
        asset: &str,
        kind: FileKind,
    ) -> Result<Option<AssetFileRow>> {
        let q = "SELECT f.asset_id, f.kind, f.blob_name, f.mime, f.size, f.width, f.height, f.sha256 FROM asset_files f JOIN assets a ON a.id = f.asset_id WHERE a.owner_id = $1 AND f.asset_id = $2 AND f.kind = $3";
        if let Catalog::Sqlite(_, reader) = self {
            let binds = [
                Bind::Text(owner.to_string()),
                Bind::Text(asset.to_string()),
                Bind::Text(kind.as_str().to_string()),
            ];
            let now = reader.lookup_now(q, &binds, |r| {
                Ok(AssetFileRow {
                    asset_id: r.get(0)?,
                    kind: r.get(1)?,
                    blob_name: r.get(2)?,
                    mime: r.get(3)?,
                    size: r.get(4)?,
                    width: r.get(5)?,
                    height: r.get(6)?,
                    sha256: r.get(7)?,
                })
            });
            if let Some(rows) = now {
                return Ok(rows.into_iter().next());
            }
        }
        Ok(
            with_pool!(self, p => sqlx::query_as(q).bind(owner).bind(asset).bind(kind).fetch_optional(p).await?),
        )
    }
}
