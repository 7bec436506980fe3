//! One asset as its owner sees it (fields decrypted), and its changes:
//! favourite, archived, caption, trash and restore, one at a time or for a
//! selection.

use pixelunion_catalog::{AssetChange, AssetKind, AssetRow, MediaState, UserRow};
use pixelunion_vault::DataKey;
use serde::{Deserialize, Serialize};

use super::{Error, Result};
use crate::AppState;
use crate::clock::now_ms;
use crate::fields::{self, Column};

/// Longest caption (characters).
pub const MAX_CAPTION: usize = 2000;
/// Most ids one batch may name.
pub const MAX_BATCH: usize = 500;

/// Where an asset stands in the media pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MediaView {
    /// `pending` until thumbnail, preview and metadata are made
    pub state: MediaState,
    /// why the pipeline could not read the file (no user content)
    pub error: Option<String>,
}

/// An asset as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AssetView {
    /// asset id
    pub id: String,
    /// photo or video
    pub kind: AssetKind,
    /// media type, sniffed from the content
    pub mime: String,
    /// bytes of the original
    pub size: i64,
    /// the original file name
    pub file_name: Option<String>,
    /// caption
    pub caption: Option<String>,
    /// displayed width in pixels, once known
    pub width: Option<i32>,
    /// displayed height in pixels, once known
    pub height: Option<i32>,
    /// capture time (unix ms), once known
    pub taken_at: Option<i64>,
    /// upload time (unix ms)
    pub uploaded_at: i64,
    /// timeline position: capture time, else upload time (unix ms)
    pub sort_at: i64,
    /// favourite
    pub favorite: bool,
    /// archived (hidden from the timeline)
    pub archived: bool,
    /// in the trash
    pub trashed: bool,
    /// in the trash since (unix ms)
    pub trashed_at: Option<i64>,
    /// the media pipeline's state
    pub media: MediaView,
    /// EXIF, XMP or video facts (capture time and offset, place, camera, lens, …)
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
}

impl AssetView {
    /// Decrypts `a`'s fields with its owner's key.
    pub fn new(key: &DataKey, a: &AssetRow) -> Self {
        let open = |col, ct: Option<&Vec<u8>>| {
            fields::open_text(key, col, &a.owner_id, &a.id, ct.map(Vec::as_slice))
        };
        AssetView {
            id: a.id.clone(),
            kind: a.kind,
            mime: a.mime.clone(),
            size: a.size,
            file_name: open(Column::AssetFileName, a.file_name.as_ref()),
            caption: open(Column::AssetCaption, a.caption.as_ref()),
            width: a.width,
            height: a.height,
            taken_at: a.taken_at,
            uploaded_at: a.uploaded_at,
            sort_at: a.sort_at,
            favorite: a.favorite,
            archived: a.archived,
            trashed: a.trashed_at.is_some(),
            trashed_at: a.trashed_at,
            media: MediaView {
                state: a.media_state,
                error: a.media_error.clone(),
            },
            metadata: open(Column::AssetMetadata, a.metadata.as_ref())
                .and_then(|j| serde_json::from_str(&j).ok()),
        }
    }
}

/// The original file name of an asset, decrypted.
pub fn file_name(key: &DataKey, a: &AssetRow) -> Option<String> {
    fields::open_text(
        key,
        Column::AssetFileName,
        &a.owner_id,
        &a.id,
        a.file_name.as_deref(),
    )
}

/// The caller's asset `id`.
pub async fn owned(state: &AppState, user: &UserRow, id: &str) -> Result<AssetRow> {
    state
        .catalog()
        .asset(&user.id, id)
        .await?
        .ok_or(Error::NotFound)
}

/// The caller's asset `id`, decrypted.
pub async fn get(state: &AppState, user: &UserRow, id: &str) -> Result<AssetView> {
    let asset = owned(state, user, id).await?;
    let key = state.keys().user_key(user)?;
    Ok(AssetView::new(&key, &asset))
}

/// A change to one asset; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AssetEdit {
    /// favourite
    pub favorite: Option<bool>,
    /// archived
    pub archived: Option<bool>,
    /// new caption; `Some(None)` or blank removes it
    pub caption: Option<Option<String>>,
}

/// Applies `edit` to the caller's asset `id`; the caption is encrypted.
pub async fn edit(
    state: &AppState,
    user: &UserRow,
    id: &str,
    edit: AssetEdit,
) -> Result<AssetView> {
    owned(state, user, id).await?;
    let key = state.keys().user_key(user)?;
    let caption = match edit.caption {
        None => None,
        Some(None) => Some(None),
        Some(Some(c)) if c.trim().is_empty() => Some(None),
        Some(Some(c)) => {
            if c.chars().count() > MAX_CAPTION {
                return Err(Error::CaptionTooLong);
            }
            Some(Some(fields::seal_text(
                &key,
                Column::AssetCaption,
                &user.id,
                id,
                c.trim(),
            )?))
        }
    };
    let change = AssetChange {
        favorite: edit.favorite,
        archived: edit.archived,
        caption,
    };
    state.catalog().update_asset(&user.id, id, &change).await?;
    Ok(AssetView::new(&key, &owned(state, user, id).await?))
}

/// Moves the caller's asset to the trash (purged after `library.trash_days`).
pub async fn trash(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    owned(state, user, id).await?;
    state.catalog().trash_asset(&user.id, id, now_ms()).await?;
    Ok(())
}

/// Takes the caller's asset out of the trash.
pub async fn restore(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    owned(state, user, id).await?;
    state.catalog().restore_asset(&user.id, id).await?;
    Ok(())
}

/// One action applied to a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BatchAction {
    /// move to the trash
    Trash,
    /// take out of the trash
    Restore,
    /// mark as favourite
    Favorite,
    /// unmark as favourite
    Unfavorite,
    /// hide from the timeline
    Archive,
    /// show in the timeline again
    Unarchive,
    /// delete for good (only items in the trash; blobs leave the primary
    /// store now and the backup store within 15 minutes)
    Purge,
}

/// Applies `action` to those of `ids` that are the caller's; returns how
/// many changed.
pub async fn batch(
    state: &AppState,
    user: &UserRow,
    ids: &[String],
    action: BatchAction,
) -> Result<u64> {
    if ids.len() > MAX_BATCH {
        return Err(Error::TooMany {
            max: MAX_BATCH,
            what: "ids",
        });
    }
    let flags = |favorite, archived| AssetChange {
        favorite,
        archived,
        caption: None,
    };
    let c = state.catalog();
    let now = now_ms();
    let mut changed = 0u64;
    for id in ids {
        let done = match action {
            BatchAction::Trash => c.trash_asset(&user.id, id, now).await,
            BatchAction::Restore => c.restore_asset(&user.id, id).await,
            BatchAction::Favorite => c.update_asset(&user.id, id, &flags(Some(true), None)).await,
            BatchAction::Unfavorite => {
                c.update_asset(&user.id, id, &flags(Some(false), None))
                    .await
            }
            BatchAction::Archive => c.update_asset(&user.id, id, &flags(None, Some(true))).await,
            BatchAction::Unarchive => {
                c.update_asset(&user.id, id, &flags(None, Some(false)))
                    .await
            }
            BatchAction::Purge => c.purge_trashed_asset(&user.id, id, now).await,
        }?;
        changed += u64::from(done);
    }
    if action == BatchAction::Purge && changed > 0 {
        state.wake_jobs();
    }
    Ok(changed)
}
