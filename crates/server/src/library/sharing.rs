//! Albums shared between accounts: the owner shares an album with an
//! e-mail address as viewer or contributor, lists and ends shares; the
//! other account sees it among "shared with me", may leave it, and (as a
//! contributor) adds and takes out their own items, which stay theirs.
//!
//! A share to an address without an account is accepted and listed like
//! any other and reaches the account created later with that address, so
//! the owner learns nothing about who has an account. Ending a share (or
//! leaving) is immediate and takes the account's own items out of the
//! album. Items are decrypted with their own owner's key; a sharee never
//! sees another's trash, favourites or archive flags.

use std::collections::HashMap;
use std::sync::Arc;

use pixelunion_catalog::{AlbumAccess, AlbumRow, AlbumShareRow, AssetRow, ShareRole, UserRow};
use pixelunion_vault::DataKey;
use serde::Serialize;

use super::albums::{AlbumRole, AlbumView};
use super::assets::AssetView;
use super::{Error, Result};
use crate::AppState;
use crate::accounts::{self, normalize_email, valid_email};
use crate::clock::now_ms;
use crate::fields::{self, Column};

/// Longest display name (characters).
pub const MAX_DISPLAY_NAME: usize = 80;

/// A share as the album's owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ShareView {
    /// share id
    pub id: String,
    /// the address it was shared with
    pub email: Option<String>,
    /// `viewer` or `contributor`
    #[schema(value_type = String)]
    pub role: ShareRole,
    /// shared since (unix ms)
    pub created_at: i64,
}

/// Keys and names of the owners of items on one page, each looked up once.
#[derive(Default)]
pub struct Owners {
    keys: HashMap<String, (Arc<DataKey>, String)>,
}

impl std::fmt::Debug for Owners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owners")
            .field("owners", &self.keys.len())
            .finish()
    }
}

impl Owners {
    /// The key and display name of account `owner`.
    pub async fn get(&mut self, state: &AppState, owner: &str) -> Result<(Arc<DataKey>, String)> {
        if let Some(k) = self.keys.get(owner) {
            return Ok(k.clone());
        }
        let row = state
            .catalog()
            .user_by_id(owner)
            .await?
            .ok_or(Error::Corrupt("an item's owner is missing"))?;
        let key = state.keys().user_key(&row)?;
        let name = display_name(state, &row, &key).await?;
        self.keys
            .insert(owner.to_string(), (key.clone(), name.clone()));
        Ok((key, name))
    }

    /// `rows` as `viewer` sees them: their own as usual, others' with the
    /// owner's name and without the owner's private flags.
    pub async fn views(
        &mut self,
        state: &AppState,
        viewer: &UserRow,
        viewer_key: &DataKey,
        rows: &[AssetRow],
    ) -> Result<Vec<AssetView>> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(if r.owner_id == viewer.id {
                AssetView::new(viewer_key, r)
            } else {
                let (key, name) = self.get(state, &r.owner_id).await?;
                AssetView::of_someone_else(&key, r, name)
            });
        }
        Ok(out)
    }
}

/// The name others see for account `user`: its display name, else its
/// e-mail address.
pub async fn display_name(state: &AppState, user: &UserRow, key: &DataKey) -> Result<String> {
    let stored = state.catalog().display_name(&user.id).await?;
    if let Some(name) = fields::open_text(
        key,
        Column::UserDisplayName,
        &user.id,
        &user.id,
        stored.as_deref(),
    ) {
        return Ok(name);
    }
    Ok(fields::open_text(
        key,
        Column::UserEmail,
        &user.id,
        &user.id,
        Some(&user.email),
    )
    .unwrap_or_default())
}

/// The caller's own display name, if set.
pub async fn own_display_name(state: &AppState, user: &UserRow) -> Result<Option<String>> {
    let key = state.keys().user_key(user)?;
    let stored = state.catalog().display_name(&user.id).await?;
    Ok(fields::open_text(
        &key,
        Column::UserDisplayName,
        &user.id,
        &user.id,
        stored.as_deref(),
    ))
}

/// Sets (or, empty, clears) the caller's display name.
pub async fn set_display_name(
    state: &AppState,
    user: &UserRow,
    name: &str,
) -> Result<Option<String>> {
    let name = name.trim();
    if name.chars().count() > MAX_DISPLAY_NAME || name.chars().any(char::is_control) {
        return Err(Error::BadShare(
            "a display name has at most 80 characters and no control characters",
        ));
    }
    let key = state.keys().user_key(user)?;
    let ct = if name.is_empty() {
        None
    } else {
        Some(fields::seal_text(
            &key,
            Column::UserDisplayName,
            &user.id,
            &user.id,
            name,
        )?)
    };
    state
        .catalog()
        .set_display_name(&user.id, ct.as_deref())
        .await?;
    Ok((!name.is_empty()).then(|| name.to_string()))
}

/// Album `id` if the caller owns it or it is shared with them, and how.
pub async fn album_for(
    state: &AppState,
    user: &UserRow,
    id: &str,
) -> Result<(AlbumRow, AlbumAccess)> {
    state
        .catalog()
        .album_access(&user.id, id)
        .await?
        .ok_or(Error::NotFound)
}

/// The album as the caller sees it (name under its owner's key).
pub async fn album_view(
    state: &AppState,
    user: &UserRow,
    row: &AlbumRow,
    access: AlbumAccess,
) -> Result<AlbumView> {
    Ok(match access {
        AlbumAccess::Owner => AlbumView::new(&*state.keys().user_key(user)?, row),
        AlbumAccess::Shared(role) => {
            let (key, name) = Owners::default().get(state, &row.owner_id).await?;
            AlbumView::shared(&key, row, role, name)
        }
    })
}

/// Albums shared with the caller, newest first.
pub async fn shared_with_me(state: &AppState, user: &UserRow) -> Result<Vec<AlbumView>> {
    let mut owners = Owners::default();
    let mut out = Vec::new();
    for s in state.catalog().shared_albums(&user.id).await? {
        let (key, name) = owners.get(state, &s.album.owner_id).await?;
        out.push(AlbumView::shared(&key, &s.album, s.role, name));
    }
    Ok(out)
}

fn share_view(key: &DataKey, owner: &str, s: &AlbumShareRow) -> ShareView {
    ShareView {
        id: s.id.clone(),
        email: fields::open_text(key, Column::ShareEmail, owner, &s.id, Some(&s.email)),
        role: ShareRole::parse(&s.role).unwrap_or(ShareRole::Viewer),
        created_at: s.created_at,
    }
}

/// Shares the caller's album `album` with `email` as `role` (or changes
/// the role of that address's share). The answer is the same whether an
/// account has that address or not.
pub async fn share(
    state: &AppState,
    user: &UserRow,
    album: &str,
    email: &str,
    role: ShareRole,
) -> Result<ShareView> {
    super::albums::owned(state, &user.id, album).await?;
    let email = normalize_email(email);
    if !valid_email(&email) {
        return Err(Error::BadShare("share with a valid e-mail address"));
    }
    let key = state.keys().user_key(user)?;
    let own = fields::open_text(
        &key,
        Column::UserEmail,
        &user.id,
        &user.id,
        Some(&user.email),
    );
    if own.as_deref() == Some(email.as_str()) {
        return Err(Error::BadShare("this is your own album"));
    }
    let index = accounts::email_index(state, &email).map_err(|_| Error::Sealed)?;
    let to = accounts::user_by_email(state, &email)
        .await
        .map_err(|_| Error::Sealed)?
        .map(|u| u.id);
    let id = uuid::Uuid::new_v4().to_string();
    let row = AlbumShareRow {
        email: fields::seal_text(&key, Column::ShareEmail, &user.id, &id, &email)?,
        id,
        album_id: album.to_string(),
        user_id: to,
        email_index: index,
        role: role.as_str().to_string(),
        created_at: now_ms(),
    };
    let id = state.catalog().put_album_share(&row).await?;
    crate::audit::record(
        state,
        crate::audit::Event::new(Some(&user.id), "album.share", Some(album), "success"),
    )
    .await;
    state
        .catalog()
        .album_shares(&user.id, album)
        .await?
        .iter()
        .find(|s| s.id == id)
        .map(|s| share_view(&key, &user.id, s))
        .ok_or(Error::NotFound)
}

/// The shares of the caller's album `album`.
pub async fn shares(state: &AppState, user: &UserRow, album: &str) -> Result<Vec<ShareView>> {
    super::albums::owned(state, &user.id, album).await?;
    let key = state.keys().user_key(user)?;
    Ok(state
        .catalog()
        .album_shares(&user.id, album)
        .await?
        .iter()
        .map(|s| share_view(&key, &user.id, s))
        .collect())
}

/// Ends share `share` of the caller's album `album` at once.
pub async fn unshare(state: &AppState, user: &UserRow, album: &str, share: &str) -> Result<()> {
    if !state
        .catalog()
        .delete_album_share(&user.id, album, share)
        .await?
    {
        return Err(Error::NotFound);
    }
    crate::audit::record(
        state,
        crate::audit::Event::new(Some(&user.id), "album.unshare", Some(album), "success"),
    )
    .await;
    Ok(())
}

/// The caller leaves album `album` that was shared with them. Their own
/// album cannot be left (it exists: the answer says what to do instead);
/// anyone else's unshared album is "not found".
pub async fn leave(state: &AppState, user: &UserRow, album: &str) -> Result<()> {
    let c = state.catalog();
    if c.leave_album(&user.id, album).await? {
        return Ok(());
    }
    if c.album(&user.id, album).await?.is_some() {
        return Err(Error::BadShare(
            "this is your own album: delete it, or end its shares, instead of leaving it",
        ));
    }
    Err(Error::NotFound)
}

/// Asset `id` if the caller may see it: their own (any state), or an item
/// of an album they own or that is shared with them (outside the trash).
pub async fn visible_asset(state: &AppState, user: &UserRow, id: &str) -> Result<AssetRow> {
    let c = state.catalog();
    if let Some(a) = c.asset(&user.id, id).await? {
        return Ok(a);
    }
    c.asset_via_album(&user.id, id)
        .await?
        .ok_or(Error::NotFound)
}

/// The key that opens `asset`: the caller's, or its owner's.
pub async fn key_for(state: &AppState, user: &UserRow, owner: &str) -> Result<Arc<DataKey>> {
    if owner == user.id {
        Ok(state.keys().user_key(user)?)
    } else {
        Ok(Owners::default().get(state, owner).await?.0)
    }
}

/// Who may change which items of an album.
pub fn may_change(access: AlbumAccess) -> Result<AlbumRole> {
    match access {
        AlbumAccess::Owner => Ok(AlbumRole::Owner),
        AlbumAccess::Shared(ShareRole::Contributor) => Ok(AlbumRole::Contributor),
        AlbumAccess::Shared(ShareRole::Viewer) => Err(Error::ViewOnly),
    }
}
