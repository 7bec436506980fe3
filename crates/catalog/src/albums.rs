//! Albums: owner-scoped like assets; names are ciphertext. Adding checks in
//! the same statement that each asset belongs to the album's owner, so an
//! album can never reference someone else's asset.

use crate::BeginWrite as _;
use crate::{Catalog, Result};

/// An album with its size.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlbumRow {
    /// random id (UUIDv7)
    pub id: String,
    /// owner
    pub owner_id: String,
    /// name, field-encrypted under the owner's key
    pub name: Vec<u8>,
    /// cover asset, if set and still present
    pub cover_asset_id: Option<String>,
    /// unix ms
    pub created_at: i64,
    /// unix ms
    pub updated_at: i64,
    /// assets in it (outside the trash)
    pub asset_count: i64,
}

pub(crate) const SELECT: &str = "SELECT al.id, al.owner_id, al.name, al.cover_asset_id, al.created_at, al.updated_at, (SELECT CAST(COUNT(*) AS BIGINT) FROM album_assets aa JOIN assets a ON a.id = aa.asset_id WHERE aa.album_id = al.id AND a.trashed_at IS NULL) AS asset_count FROM albums al";

impl Catalog {
    /// Creates an album.
    pub async fn create_album(
        &self,
        id: &str,
        owner: &str,
        name: &[u8],
        now_ms: i64,
    ) -> Result<()> {
        let q = "INSERT INTO albums (id, owner_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)";
        with_pool!(self, p => sqlx::query(q).bind(id).bind(owner).bind(name).bind(now_ms).execute(p).await?.rows_affected());
        Ok(())
    }

    /// The owner's albums, newest first.
    pub async fn albums(&self, owner: &str) -> Result<Vec<AlbumRow>> {
        let q = format!("{SELECT} WHERE al.owner_id = $1 ORDER BY al.created_at DESC, al.id DESC");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).fetch_all(p).await?))
    }

    /// The owner's album `id`.
    pub async fn album(&self, owner: &str, id: &str) -> Result<Option<AlbumRow>> {
        let q = format!("{SELECT} WHERE al.owner_id = $1 AND al.id = $2");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(id).fetch_optional(p).await?))
    }

    /// Renames the owner's album; false if not theirs.
    pub async fn rename_album(
        &self,
        owner: &str,
        id: &str,
        name: &[u8],
        now_ms: i64,
    ) -> Result<bool> {
        let q = "UPDATE albums SET name = $1, updated_at = $2 WHERE owner_id = $3 AND id = $4";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(name).bind(now_ms).bind(owner).bind(id)
            .execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Sets (or clears) the cover: it must be one of the album's assets.
    /// False if the album is not the owner's or the asset is not in it.
    pub async fn set_album_cover(
        &self,
        owner: &str,
        id: &str,
        asset: Option<&str>,
        now_ms: i64,
    ) -> Result<bool> {
        let q = "UPDATE albums SET cover_asset_id = $1, updated_at = $2 WHERE owner_id = $3 AND id = $4 AND ($1 IS NULL OR EXISTS (SELECT 1 FROM album_assets WHERE album_id = $4 AND asset_id = $1))";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(asset).bind(now_ms).bind(owner).bind(id)
            .execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Deletes the owner's album (the assets stay in the library); false if not theirs.
    pub async fn delete_album(&self, owner: &str, id: &str) -> Result<bool> {
        let q = "DELETE FROM albums WHERE owner_id = $1 AND id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(owner).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Adds the owner's assets to the owner's album; ids that are not the
    /// owner's (or already in it) are skipped. Returns how many were added.
    pub async fn add_to_album(
        &self,
        owner: &str,
        id: &str,
        assets: &[String],
        now_ms: i64,
    ) -> Result<u64> {
        let q = "INSERT INTO album_assets (album_id, asset_id, added_at) SELECT al.id, a.id, $1 FROM albums al JOIN assets a ON a.owner_id = al.owner_id WHERE al.owner_id = $2 AND al.id = $3 AND a.id = $4 ON CONFLICT (album_id, asset_id) DO NOTHING";
        let touch = "UPDATE albums SET updated_at = $1 WHERE owner_id = $2 AND id = $3";
        let n: std::result::Result<u64, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let mut n = 0;
            for a in assets {
                n += sqlx::query(q).bind(now_ms).bind(owner).bind(id).bind(a).execute(&mut *tx).await?.rows_affected();
            }
            sqlx::query(touch).bind(now_ms).bind(owner).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(n)
        }.await);
        Ok(n?)
    }

    /// Removes assets from the owner's album (clearing the cover if it was
    /// one of them). Returns how many were removed.
    pub async fn remove_from_album(
        &self,
        owner: &str,
        id: &str,
        assets: &[String],
        now_ms: i64,
    ) -> Result<u64> {
        let q = "DELETE FROM album_assets WHERE album_id = $1 AND asset_id = $2 AND EXISTS (SELECT 1 FROM albums WHERE id = $1 AND owner_id = $3)";
        let uncover = "UPDATE albums SET cover_asset_id = NULL, updated_at = $1 WHERE id = $2 AND owner_id = $3 AND cover_asset_id = $4";
        let n: std::result::Result<u64, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let mut n = 0;
            for a in assets {
                n += sqlx::query(q).bind(id).bind(a).bind(owner).execute(&mut *tx).await?.rows_affected();
                sqlx::query(uncover).bind(now_ms).bind(id).bind(owner).bind(a).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(n)
        }.await);
        Ok(n?)
    }
}
