//! Albums shared with other accounts: the shares, who may see or add to an
//! album, and what a share makes visible. Every read here is scoped by the
//! caller's account id: an album or asset is visible to its owner and to
//! accounts with a share of an album holding it (never trashed items of
//! someone else); a contributor's own items stay theirs.
//!
//! A share names an e-mail address (blind index); `user_id` is set when an
//! account has that address, now or when it is created (see
//! [`Catalog::claim_album_shares`]). Access checks only ever read `user_id`.

use crate::BeginWrite as _;
use crate::albums::{AlbumRow, SELECT as ALBUM_SELECT};
use crate::assets::{AssetRow, a_cols};
use crate::{AssetKind, Catalog, Result};

/// What a share lets its account do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShareRole {
    /// sees the album and its items
    Viewer,
    /// also adds (and takes out) their own items
    Contributor,
}

impl ShareRole {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareRole::Viewer => "viewer",
            ShareRole::Contributor => "contributor",
        }
    }

    /// From storage.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(ShareRole::Viewer),
            "contributor" => Some(ShareRole::Contributor),
            _ => None,
        }
    }
}

/// The caller's standing towards an album.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlbumAccess {
    /// their own album
    Owner,
    /// shared with them
    Shared(ShareRole),
}

/// One share of an album.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlbumShareRow {
    /// random id (UUID)
    pub id: String,
    /// the album
    pub album_id: String,
    /// the account with that address, once there is one
    pub user_id: Option<String>,
    /// blind index of the address
    pub email_index: Vec<u8>,
    /// the address, under the album owner's key
    pub email: Vec<u8>,
    /// `viewer` or `contributor`
    pub role: String,
    /// unix ms
    pub created_at: i64,
}

/// An album shared with the caller, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedAlbum {
    /// the album (its name is under its owner's key)
    pub album: AlbumRow,
    /// what the caller may do
    pub role: ShareRole,
}

const SHARE_COLS: &str = "id, album_id, user_id, email_index, email, role, created_at";

/// The condition "album `al` is visible to account `$n`".
fn album_visible(n: usize) -> String {
    format!(
        "(al.owner_id = ${n} OR EXISTS (SELECT 1 FROM album_shares s WHERE s.album_id = al.id AND s.user_id = ${n}))"
    )
}

impl Catalog {
    /// Adds a share of `album` for an address, or changes the role of the
    /// existing share of that address. Returns the share's id.
    pub async fn put_album_share(&self, share: &AlbumShareRow) -> Result<String> {
        let q = "INSERT INTO album_shares (id, album_id, user_id, email_index, email, role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (album_id, email_index) DO UPDATE SET role = excluded.role, user_id = COALESCE(album_shares.user_id, excluded.user_id) RETURNING id";
        let id: (String,) = with_pool!(self, p => sqlx::query_as(q)
            .bind(&share.id).bind(&share.album_id).bind(&share.user_id).bind(&share.email_index)
            .bind(&share.email).bind(&share.role).bind(share.created_at)
            .fetch_one(p).await?);
        Ok(id.0)
    }

    /// The shares of `owner`'s album `album`, oldest first.
    pub async fn album_shares(&self, owner: &str, album: &str) -> Result<Vec<AlbumShareRow>> {
        let q = format!(
            "SELECT {SHARE_COLS} FROM album_shares WHERE album_id = $1 AND EXISTS (SELECT 1 FROM albums WHERE id = $1 AND owner_id = $2) ORDER BY created_at, id"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(album).bind(owner).fetch_all(p).await?))
    }

    /// Ends share `share` of `owner`'s album `album`; the account's own
    /// items leave the album with it. False if there is no such share.
    pub async fn delete_album_share(&self, owner: &str, album: &str, share: &str) -> Result<bool> {
        let find = "SELECT user_id FROM album_shares WHERE id = $1 AND album_id = $2 AND EXISTS (SELECT 1 FROM albums WHERE id = $2 AND owner_id = $3)";
        let r: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let Some((user,)): Option<(Option<String>,)> = sqlx::query_as(find)
                .bind(share).bind(album).bind(owner).fetch_optional(&mut *tx).await? else {
                return Ok(false);
            };
            sqlx::query("DELETE FROM album_shares WHERE id = $1").bind(share).execute(&mut *tx).await?;
            if let Some(user) = user {
                sqlx::query(TAKE_OUT_ITEMS).bind(album).bind(&user).execute(&mut *tx).await?;
                sqlx::query(UNCOVER).bind(album).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        }.await);
        Ok(r?)
    }

    /// `user` leaves album `album` shared with them; their own items leave
    /// it too. False if it is not shared with them.
    pub async fn leave_album(&self, user: &str, album: &str) -> Result<bool> {
        let r: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("DELETE FROM album_shares WHERE album_id = $1 AND user_id = $2")
                .bind(album).bind(user).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                sqlx::query(TAKE_OUT_ITEMS).bind(album).bind(user).execute(&mut *tx).await?;
                sqlx::query(UNCOVER).bind(album).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(n > 0)
        }.await);
        Ok(r?)
    }

    /// Gives account `user` the shares waiting for its address (any of
    /// `indexes`: the address under each blind-index version). Returns how
    /// many it received.
    pub async fn claim_album_shares(&self, user: &str, indexes: &[Vec<u8>]) -> Result<u64> {
        let q = "UPDATE album_shares SET user_id = $1 WHERE user_id IS NULL AND email_index = $2";
        let r: std::result::Result<u64, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let mut n = 0;
            for i in indexes {
                n += sqlx::query(q).bind(user).bind(i).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok(n)
        }.await);
        Ok(r?)
    }

    /// Albums shared with `user`, newest first.
    pub async fn shared_albums(&self, user: &str) -> Result<Vec<SharedAlbum>> {
        let q = format!(
            "{ALBUM_SELECT} JOIN album_shares s ON s.album_id = al.id WHERE s.user_id = $1 ORDER BY al.created_at DESC, al.id DESC"
        );
        let roles = "SELECT album_id, role FROM album_shares WHERE user_id = $1";
        let (albums, roles): (Vec<AlbumRow>, Vec<(String, String)>) = with_pool!(self, p => (
            sqlx::query_as(&q).bind(user).fetch_all(p).await?,
            sqlx::query_as(roles).bind(user).fetch_all(p).await?,
        ));
        Ok(albums
            .into_iter()
            .filter_map(|album| {
                let role = roles
                    .iter()
                    .find(|(a, _)| *a == album.id)
                    .and_then(|(_, r)| ShareRole::parse(r))?;
                Some(SharedAlbum { album, role })
            })
            .collect())
    }

    /// Album `album` if `user` owns it or it is shared with them, and how.
    pub async fn album_access(
        &self,
        user: &str,
        album: &str,
    ) -> Result<Option<(AlbumRow, AlbumAccess)>> {
        let q = format!("{ALBUM_SELECT} WHERE al.id = $2 AND {}", album_visible(1));
        let role = "SELECT role FROM album_shares WHERE album_id = $1 AND user_id = $2";
        let row: Option<AlbumRow> = with_pool!(self, p => sqlx::query_as(&q).bind(user).bind(album).fetch_optional(p).await?);
        let Some(row) = row else { return Ok(None) };
        if row.owner_id == user {
            return Ok(Some((row, AlbumAccess::Owner)));
        }
        let r: Option<(String,)> = with_pool!(self, p => sqlx::query_as(role).bind(album).bind(user).fetch_optional(p).await?);
        Ok(r.and_then(|(r,)| ShareRole::parse(&r))
            .map(|role| (row, AlbumAccess::Shared(role))))
    }

    /// Asset `id` if `user` may see it through an album: one they own (a
    /// contributor's item in it) or one shared with them. Never an item in
    /// someone else's trash. (Their own assets: [`Catalog::asset`].)
    pub async fn asset_via_album(&self, user: &str, id: &str) -> Result<Option<AssetRow>> {
        let q = format!(
            "SELECT {} FROM assets a WHERE a.id = $2 AND a.trashed_at IS NULL AND EXISTS (SELECT 1 FROM album_assets aa JOIN albums al ON al.id = aa.album_id WHERE aa.asset_id = a.id AND {})",
            a_cols(),
            album_visible(1)
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user).bind(id).fetch_optional(p).await?))
    }

    /// A page of album `album`'s items (everyone's, outside the trash),
    /// newest first, after `cursor`. The caller checks access first.
    pub async fn album_items(
        &self,
        album: &str,
        kind: Option<AssetKind>,
        cursor: Option<(i64, &str)>,
        limit: i64,
    ) -> Result<Vec<AssetRow>> {
        let mut q = format!(
            "SELECT {} FROM assets a JOIN album_assets aa ON aa.asset_id = a.id WHERE aa.album_id = $1 AND a.trashed_at IS NULL",
            a_cols()
        );
        let mut n = 1;
        if kind.is_some() {
            n += 1;
            q.push_str(&format!(" AND a.kind = ${n}"));
        }
        if cursor.is_some() {
            q.push_str(&format!(
                " AND (a.sort_at < ${} OR (a.sort_at = ${} AND a.id < ${}))",
                n + 1,
                n + 1,
                n + 2
            ));
            n += 2;
        }
        q.push_str(&format!(
            " ORDER BY a.sort_at DESC, a.id DESC LIMIT ${}",
            n + 1
        ));
        Ok(with_pool!(self, p => {
            let mut query = sqlx::query_as(&q).bind(album);
            if let Some(k) = kind {
                query = query.bind(k.as_str());
            }
            if let Some((at, after)) = cursor {
                query = query.bind(at).bind(after);
            }
            query.bind(limit).fetch_all(p).await?
        }))
    }

    /// Adds `user`'s own assets (outside the trash) to album `album`, all
    /// or none: `None` (and nothing changes) when any id is not one of
    /// theirs. The caller checks that they own the album or contribute to it.
    pub async fn add_own_to_album(
        &self,
        user: &str,
        album: &str,
        assets: &[String],
        now_ms: i64,
    ) -> Result<Option<u64>> {
        let mine = "SELECT 1 FROM assets WHERE id = $1 AND owner_id = $2 AND trashed_at IS NULL";
        let add = "INSERT INTO album_assets (album_id, asset_id, added_at) VALUES ($1, $2, $3) ON CONFLICT (album_id, asset_id) DO NOTHING";
        let touch = "UPDATE albums SET updated_at = $1 WHERE id = $2";
        let r: std::result::Result<Option<u64>, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            for a in assets {
                let found: Option<(i32,)> = sqlx::query_as(mine).bind(a).bind(user).fetch_optional(&mut *tx).await?;
                if found.is_none() {
                    return Ok(None);
                }
            }
            let mut n = 0;
            for a in assets {
                n += sqlx::query(add).bind(album).bind(a).bind(now_ms).execute(&mut *tx).await?.rows_affected();
            }
            sqlx::query(touch).bind(now_ms).bind(album).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(Some(n))
        }.await);
        Ok(r?)
    }

    /// Takes items out of album `album`: any item for its owner
    /// (`any_owner`), only `user`'s own otherwise. Returns how many left.
    pub async fn take_out_of_album(
        &self,
        user: &str,
        album: &str,
        assets: &[String],
        any_owner: bool,
        now_ms: i64,
    ) -> Result<u64> {
        let q = "DELETE FROM album_assets WHERE album_id = $1 AND asset_id = $2 AND ($3 OR EXISTS (SELECT 1 FROM assets WHERE id = $2 AND owner_id = $4))";
        let touch = "UPDATE albums SET updated_at = $1 WHERE id = $2";
        let r: std::result::Result<u64, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let mut n = 0;
            for a in assets {
                n += sqlx::query(q).bind(album).bind(a).bind(any_owner).bind(user).execute(&mut *tx).await?.rows_affected();
            }
            sqlx::query(UNCOVER).bind(album).execute(&mut *tx).await?;
            sqlx::query(touch).bind(now_ms).bind(album).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(n)
        }.await);
        Ok(r?)
    }

    /// The display name of account `user` (under its key), if set.
    pub async fn display_name(&self, user: &str) -> Result<Option<Vec<u8>>> {
        let q = "SELECT display_name FROM users WHERE id = $1";
        let r: Option<(Option<Vec<u8>>,)> =
            with_pool!(self, p => sqlx::query_as(q).bind(user).fetch_optional(p).await?);
        Ok(r.and_then(|(n,)| n))
    }

    /// Sets (or clears) the display name of account `user`.
    pub async fn set_display_name(&self, user: &str, name: Option<&[u8]>) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "UPDATE users SET display_name = $1 WHERE id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(name).bind(user).execute(p).await?.rows_affected())
                == 1,
        )
    }
}

/// Takes an account's own items out of an album (`$1` album, `$2` account).
const TAKE_OUT_ITEMS: &str = "DELETE FROM album_assets WHERE album_id = $1 AND asset_id IN (SELECT id FROM assets WHERE owner_id = $2)";
/// Clears an album's cover when it is no longer one of its items.
const UNCOVER: &str = "UPDATE albums SET cover_asset_id = NULL WHERE id = $1 AND cover_asset_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM album_assets WHERE album_id = $1 AND asset_id = albums.cover_asset_id)";
