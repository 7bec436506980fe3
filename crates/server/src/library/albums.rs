//! Albums: create, list, rename, set or clear the cover, delete (the photos
//! stay), add and remove assets. Names are encrypted under the owner's key;
//! an album only ever holds its owner's assets.

use pixelunion_catalog::{AlbumRow, ShareRole, UserRow};
use pixelunion_vault::DataKey;
use serde::Serialize;

use super::{Error, Result, sharing};
use crate::AppState;
use crate::clock::now_ms;
use crate::fields::{self, Column};

/// Most asset ids one call may name.
pub const MAX_IDS: usize = 500;
/// Longest album name (characters).
pub const MAX_NAME: usize = 200;

/// The caller's standing towards an album.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AlbumRole {
    /// their own album
    Owner,
    /// shared with them to look at
    Viewer,
    /// shared with them to look at and add their own items to
    Contributor,
}

/// An album as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlbumView {
    /// album id
    pub id: String,
    /// name
    pub name: Option<String>,
    /// the cover (one of its items), if set
    pub cover_asset_id: Option<String>,
    /// items in it
    pub asset_count: i64,
    /// created (unix ms)
    pub created_at: i64,
    /// last changed (unix ms)
    pub updated_at: i64,
    /// `owner`, or how the album is shared with the caller
    pub role: AlbumRole,
    /// the owner's display name, when the album is someone else's
    pub owner_name: Option<String>,
}

impl AlbumView {
    /// The caller's own album.
    pub fn new(key: &DataKey, al: &AlbumRow) -> Self {
        AlbumView {
            id: al.id.clone(),
            name: fields::open_text(key, Column::AlbumName, &al.owner_id, &al.id, Some(&al.name)),
            cover_asset_id: al.cover_asset_id.clone(),
            asset_count: al.asset_count,
            created_at: al.created_at,
            updated_at: al.updated_at,
            role: AlbumRole::Owner,
            owner_name: None,
        }
    }

    /// Someone else's album shared with the caller (`key`: the owner's).
    pub fn shared(key: &DataKey, al: &AlbumRow, role: ShareRole, owner_name: String) -> Self {
        AlbumView {
            role: match role {
                ShareRole::Viewer => AlbumRole::Viewer,
                ShareRole::Contributor => AlbumRole::Contributor,
            },
            owner_name: Some(owner_name),
            ..AlbumView::new(key, al)
        }
    }
}

/// The name trimmed; the length limit applies to what was sent (as the API
/// document says), emptiness to what is left.
fn checked_name(name: &str) -> Result<&str> {
    let n = name.trim();
    if n.is_empty() || name.chars().count() > MAX_NAME {
        return Err(Error::BadAlbumName);
    }
    Ok(n)
}

fn checked_ids(ids: &[String]) -> Result<()> {
    if ids.len() > MAX_IDS {
        return Err(Error::TooMany {
            max: MAX_IDS,
            what: "ids",
        });
    }
    Ok(())
}

/// The caller's album `id` (the row).
pub async fn owned(state: &AppState, owner: &str, id: &str) -> Result<AlbumRow> {
    state
        .catalog()
        .album(owner, id)
        .await?
        .ok_or(Error::NotFound)
}

/// The caller's albums, newest first.
pub async fn list(state: &AppState, user: &UserRow) -> Result<Vec<AlbumView>> {
    let key = state.keys().user_key(user)?;
    let rows = state.catalog().albums(&user.id).await?;
    Ok(rows.iter().map(|r| AlbumView::new(&key, r)).collect())
}

/// One of the caller's albums, or one shared with them.
pub async fn get(state: &AppState, user: &UserRow, id: &str) -> Result<AlbumView> {
    let (al, access) = sharing::album_for(state, user, id).await?;
    sharing::album_view(state, user, &al, access).await
}

/// Creates an album, optionally with some of the caller's assets in it.
pub async fn create(
    state: &AppState,
    user: &UserRow,
    name: &str,
    asset_ids: &[String],
) -> Result<AlbumView> {
    let name = checked_name(name)?;
    checked_ids(asset_ids)?;
    let key = state.keys().user_key(user)?;
    let id = uuid::Uuid::now_v7().to_string();
    let ct = fields::seal_text(&key, Column::AlbumName, &user.id, &id, name)?;
    let c = state.catalog();
    let now = now_ms();
    c.create_album(&id, &user.id, &ct, now).await?;
    if !asset_ids.is_empty() {
        c.add_to_album(&user.id, &id, asset_ids, now).await?;
    }
    super::search::changed(state, &user.id).await;
    Ok(AlbumView::new(&key, &owned(state, &user.id, &id).await?))
}

/// A change to an album; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AlbumEdit {
    /// new name
    pub name: Option<String>,
    /// new cover (one of its items); `Some(None)` clears it
    pub cover_asset_id: Option<Option<String>>,
}

/// Renames an album or sets its cover.
pub async fn edit(
    state: &AppState,
    user: &UserRow,
    id: &str,
    edit: AlbumEdit,
) -> Result<AlbumView> {
    owned(state, &user.id, id).await?;
    let key = state.keys().user_key(user)?;
    let c = state.catalog();
    let now = now_ms();
    if let Some(name) = &edit.name {
        let ct = fields::seal_text(&key, Column::AlbumName, &user.id, id, checked_name(name)?)?;
        c.rename_album(&user.id, id, &ct, now).await?;
        super::search::changed(state, &user.id).await;
    }
    if let Some(cover) = &edit.cover_asset_id
        && !c
            .set_album_cover(&user.id, id, cover.as_deref(), now)
            .await?
    {
        return Err(Error::NotInAlbum);
    }
    Ok(AlbumView::new(&key, &owned(state, &user.id, id).await?))
}

/// Deletes an album (its photos and videos stay in the library).
pub async fn delete(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    if state.catalog().delete_album(&user.id, id).await? {
        super::search::changed(state, &user.id).await;
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Adds (`add`) or takes out some of the caller's own assets (all or
/// none: any id that is not one of theirs changes nothing), in their album
/// or one they contribute to; the owner may also take out contributors'
/// items. Returns how many changed.
pub async fn change_members(
    state: &AppState,
    user: &UserRow,
    id: &str,
    asset_ids: &[String],
    add: bool,
) -> Result<u64> {
    let (_, access) = sharing::album_for(state, user, id).await?;
    let role = sharing::may_change(access)?;
    checked_ids(asset_ids)?;
    let c = state.catalog();
    let changed = if add {
        c.add_own_to_album(&user.id, id, asset_ids, now_ms())
            .await?
            .ok_or(Error::NotYourAsset)?
    } else {
        c.take_out_of_album(&user.id, id, asset_ids, role == AlbumRole::Owner, now_ms())
            .await?
    };
    if changed > 0 {
        super::search::changed(state, &user.id).await;
    }
    Ok(changed)
}
