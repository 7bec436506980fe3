//! Public links: a random token (only its SHA-256 is looked up) opening an
//! album or a selection to people without an account. A link only ever
//! shows its owner's own items outside the trash; revoking deletes the row.

use crate::BeginWrite as _;
use crate::assets::{AssetRow, a_cols};
use crate::{Catalog, Result};

/// A public link.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkRow {
    /// random id (UUID); not a secret
    pub id: String,
    /// whose link
    pub owner_id: String,
    /// SHA-256 of the token
    pub token_hash: Vec<u8>,
    /// the token, under the owner's key
    pub token: Vec<u8>,
    /// the album it opens (else a selection: `link_assets`)
    pub album_id: Option<String>,
    /// Argon2id PHC string of the password, if it has one
    pub password_hash: Option<String>,
    /// originals may be downloaded
    pub allow_download: bool,
    /// serve files with their metadata and names (else stripped)
    pub keep_metadata: bool,
    /// unix ms after which it is as unknown as a wrong token
    pub expires_at: Option<i64>,
    /// times it was opened
    pub views: i64,
    /// unix ms
    pub created_at: i64,
    /// unix ms
    pub last_viewed_at: Option<i64>,
}

const LINK_COLS: &str = "id, owner_id, token_hash, token, album_id, password_hash, allow_download, keep_metadata, expires_at, views, created_at, last_viewed_at";

/// Where a link's items come from: `$1` is the link's id.
const ITEMS: &str = "FROM assets a JOIN links l ON l.id = $1 AND a.owner_id = l.owner_id WHERE a.trashed_at IS NULL AND ((l.album_id IS NOT NULL AND EXISTS (SELECT 1 FROM album_assets aa WHERE aa.album_id = l.album_id AND aa.asset_id = a.id)) OR (l.album_id IS NULL AND EXISTS (SELECT 1 FROM link_assets la WHERE la.link_id = l.id AND la.asset_id = a.id)))";

impl Catalog {
    /// Stores a new link; for a selection, `assets` must all be the owner's
    /// (outside the trash) and for an album it must be theirs: `false` (and
    /// nothing stored) otherwise.
    pub async fn create_link(&self, link: &LinkRow, assets: &[String]) -> Result<bool> {
        let insert = format!(
            "INSERT INTO links ({LINK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        let album = "SELECT 1 FROM albums WHERE id = $1 AND owner_id = $2";
        let mine = "SELECT 1 FROM assets WHERE id = $1 AND owner_id = $2 AND trashed_at IS NULL";
        let add = "INSERT INTO link_assets (link_id, asset_id) VALUES ($1, $2) ON CONFLICT (link_id, asset_id) DO NOTHING";
        let r: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            if let Some(a) = &link.album_id {
                let found: Option<(i32,)> = sqlx::query_as(album).bind(a).bind(&link.owner_id).fetch_optional(&mut *tx).await?;
                if found.is_none() {
                    return Ok(false);
                }
            }
            for a in assets {
                let found: Option<(i32,)> = sqlx::query_as(mine).bind(a).bind(&link.owner_id).fetch_optional(&mut *tx).await?;
                if found.is_none() {
                    return Ok(false);
                }
            }
            sqlx::query(&insert)
                .bind(&link.id).bind(&link.owner_id).bind(&link.token_hash).bind(&link.token)
                .bind(&link.album_id).bind(&link.password_hash).bind(link.allow_download)
                .bind(link.keep_metadata).bind(link.expires_at).bind(link.views)
                .bind(link.created_at).bind(link.last_viewed_at)
                .execute(&mut *tx).await?;
            for a in assets {
                sqlx::query(add).bind(&link.id).bind(a).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        }.await);
        Ok(r?)
    }

    /// The owner's links, newest first.
    pub async fn links(&self, owner: &str) -> Result<Vec<LinkRow>> {
        let q = format!(
            "SELECT {LINK_COLS} FROM links WHERE owner_id = $1 ORDER BY created_at DESC, id DESC"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).fetch_all(p).await?))
    }

    /// The owner's link `id`.
    pub async fn link(&self, owner: &str, id: &str) -> Result<Option<LinkRow>> {
        let q = format!("SELECT {LINK_COLS} FROM links WHERE owner_id = $1 AND id = $2");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(owner).bind(id).fetch_optional(p).await?))
    }

    /// The link whose token has this SHA-256.
    pub async fn link_by_token_hash(&self, hash: &[u8]) -> Result<Option<LinkRow>> {
        let q = format!("SELECT {LINK_COLS} FROM links WHERE token_hash = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// Link `id`, whoever owns it (for requests that proved its token).
    pub async fn link_by_id(&self, id: &str) -> Result<Option<LinkRow>> {
        let q = format!("SELECT {LINK_COLS} FROM links WHERE id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_optional(p).await?))
    }

    /// Revokes the owner's link `id`; false if not theirs.
    pub async fn delete_link(&self, owner: &str, id: &str) -> Result<bool> {
        let q = "DELETE FROM links WHERE owner_id = $1 AND id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(owner).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Counts one opening of link `id`.
    pub async fn count_link_view(&self, id: &str, now_ms: i64) -> Result<()> {
        let q = "UPDATE links SET views = views + 1, last_viewed_at = $1 WHERE id = $2";
        with_pool!(self, p => sqlx::query(q).bind(now_ms).bind(id).execute(p).await?.rows_affected());
        Ok(())
    }

    /// A page of link `id`'s items, newest first, after `cursor`.
    pub async fn link_items(
        &self,
        id: &str,
        cursor: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AssetRow>> {
        let cols = a_cols();
        Ok(match cursor {
            Some((at, after)) => {
                let q = format!(
                    "SELECT {cols} {ITEMS} AND (a.sort_at < $2 OR (a.sort_at = $2 AND a.id < $3)) ORDER BY a.sort_at DESC, a.id DESC LIMIT $4"
                );
                with_pool!(self, p => sqlx::query_as(&q).bind(id).bind(at).bind(after).bind(limit).fetch_all(p).await?)
            }
            None => {
                let q =
                    format!("SELECT {cols} {ITEMS} ORDER BY a.sort_at DESC, a.id DESC LIMIT $2");
                with_pool!(self, p => sqlx::query_as(&q).bind(id).bind(limit).fetch_all(p).await?)
            }
        })
    }

    /// Item `asset` of link `id`, if the link shows it.
    pub async fn link_item(&self, id: &str, asset: &str) -> Result<Option<AssetRow>> {
        let q = format!("SELECT {} {ITEMS} AND a.id = $2", a_cols());
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).bind(asset).fetch_optional(p).await?))
    }

    /// How many items each of the owner's links shows, in one query (the
    /// links list); a link that shows nothing is absent.
    pub async fn link_item_counts(&self, owner: &str) -> Result<Vec<(String, i64)>> {
        // an album link counts the album's items, a selection its chosen
        // ones: only the owner's own, outside the trash (as ITEMS)
        let q = "SELECT l.id, CAST(COUNT(a.id) AS BIGINT) FROM links l \
            LEFT JOIN album_assets aa ON aa.album_id = l.album_id \
            LEFT JOIN link_assets la ON l.album_id IS NULL AND la.link_id = l.id \
            JOIN assets a ON a.id = COALESCE(aa.asset_id, la.asset_id) \
                AND a.owner_id = l.owner_id AND a.trashed_at IS NULL \
            WHERE l.owner_id = $1 GROUP BY l.id";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(owner).fetch_all(p).await?))
    }

    /// How many items link `id` shows.
    pub async fn link_item_count(&self, id: &str) -> Result<i64> {
        let q = format!("SELECT CAST(COUNT(*) AS BIGINT) {ITEMS}");
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_one(p).await?);
        Ok(n)
    }
}
