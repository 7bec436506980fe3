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
    /// the owner's display name, when the item is someone else's (shared
    /// through an album)
    pub owner: Option<String>,
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
            owner: None,
        }
    }

    /// Someone else's item shared with the caller (`key`: the owner's): the
    /// owner's name, and none of the owner's own flags.
    pub fn of_someone_else(key: &DataKey, a: &AssetRow, owner_name: String) -> Self {
        AssetView {
            favorite: false,
            archived: false,
            owner: Some(owner_name),
            ..AssetView::new(key, a)
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

/// The caller's asset `id`, or one shared with them, decrypted.
pub async fn get(state: &AppState, user: &UserRow, id: &str) -> Result<AssetView> {
    let asset = super::sharing::visible_asset(state, user, id).await?;
    let key = state.keys().user_key(user)?;
    let mut owners = super::sharing::Owners::default();
    let mut v = owners
        .views(state, user, &key, std::slice::from_ref(&asset))
        .await?;
    v.pop().ok_or(Error::NotFound)
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
    /// the capture time (unix ms, UTC), when the file does not say or says
    /// wrong (an importer's sidecar: Google Takeout's `photoTakenTime`)
    pub taken_at: Option<i64>,
    /// where it was taken
    pub place: Option<Place>,
}

/// A place on the globe, in signed decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// degrees north, −90 to 90
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: f64,
    /// degrees east, −180 to 180
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: f64,
    /// metres above sea level (at most 100 km either way)
    #[serde(default)]
    #[schema(minimum = -100_000.0, maximum = 100_000.0)]
    pub altitude: Option<f64>,
}

/// Capture times an edit may set: from 1800 to a day from now.
const EARLIEST_TAKEN_MS: i64 = -5_364_662_400_000;
const DAY_MS: i64 = 86_400_000;

impl Place {
    fn check(&self) -> Result<()> {
        let on_globe = self.latitude.is_finite()
            && self.longitude.is_finite()
            && (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude);
        if !on_globe {
            return Err(Error::BadEdit(
                "a place is a latitude from -90 to 90 and a longitude from -180 to 180",
            ));
        }
        if self
            .altitude
            .is_some_and(|a| !a.is_finite() || a.abs() > 100_000.0)
        {
            return Err(Error::BadEdit(
                "an altitude is at most 100 km from sea level",
            ));
        }
        Ok(())
    }
}

/// The asset's metadata with the capture time and place of `edit`, sealed
/// again; `None` when the edit sets neither.
fn edited_metadata(
    key: &DataKey,
    asset: &AssetRow,
    edit: &AssetEdit,
) -> Result<Option<(Option<i64>, Vec<u8>)>> {
    if edit.taken_at.is_none() && edit.place.is_none() {
        return Ok(None);
    }
    if asset.media_state == MediaState::Pending {
        return Err(Error::MediaPending);
    }
    if let Some(t) = edit.taken_at
        && !(EARLIEST_TAKEN_MS..=now_ms() + DAY_MS).contains(&t)
    {
        return Err(Error::BadEdit(
            "a capture time is from the year 1800 to tomorrow (unix milliseconds)",
        ));
    }
    if let Some(p) = &edit.place {
        p.check()?;
    }
    let mut meta = fields::open_text(
        key,
        Column::AssetMetadata,
        &asset.owner_id,
        &asset.id,
        asset.metadata.as_deref(),
    )
    .and_then(|j| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&j).ok())
    .unwrap_or_default();
    if let Some(t) = edit.taken_at {
        // given in UTC: the photo's own clock offset is not known
        meta.insert("taken_at_ms".into(), t.into());
        meta.insert("offset_minutes".into(), serde_json::Value::Null);
    }
    if let Some(p) = &edit.place {
        meta.insert("latitude".into(), p.latitude.into());
        meta.insert("longitude".into(), p.longitude.into());
        meta.insert(
            "altitude".into(),
            p.altitude.map_or(serde_json::Value::Null, Into::into),
        );
    }
    let json = serde_json::Value::Object(meta).to_string();
    let sealed = fields::seal_text(
        key,
        Column::AssetMetadata,
        &asset.owner_id,
        &asset.id,
        &json,
    )?;
    Ok(Some((edit.taken_at, sealed)))
}

/// Applies `edit` to the caller's asset `id`; the caption is encrypted.
pub async fn edit(
    state: &AppState,
    user: &UserRow,
    id: &str,
    edit: AssetEdit,
) -> Result<AssetView> {
    let asset = owned(state, user, id).await?;
    let key = state.keys().user_key(user)?;
    let moved = edited_metadata(&key, &asset, &edit)?;
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
    let (taken_at, metadata) = match moved {
        Some((t, m)) => (t, Some(m)),
        None => (None, None),
    };
    let change = AssetChange {
        favorite: edit.favorite,
        archived: edit.archived,
        caption,
        taken_at,
        metadata,
    };
    state.catalog().update_asset(&user.id, id, &change).await?;
    super::search::changed(state, &user.id).await;
    Ok(AssetView::new(&key, &owned(state, user, id).await?))
}

/// Moves the caller's asset to the trash (purged after `library.trash_days`).
pub async fn trash(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    owned(state, user, id).await?;
    state.catalog().trash_asset(&user.id, id, now_ms()).await?;
    super::search::changed(state, &user.id).await;
    Ok(())
}

/// Takes the caller's asset out of the trash.
pub async fn restore(state: &AppState, user: &UserRow, id: &str) -> Result<()> {
    owned(state, user, id).await?;
    state.catalog().restore_asset(&user.id, id).await?;
    super::search::changed(state, &user.id).await;
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
        ..AssetChange::default()
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
    super::search::changed(state, &user.id).await;
    if action == BatchAction::Purge && changed > 0 {
        state.wake_jobs();
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pixelunion_vault::KeyId;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn row(state: MediaState, metadata: Option<Vec<u8>>) -> AssetRow {
        AssetRow {
            id: "a1".into(),
            owner_id: "u1".into(),
            blob_name: "a1".into(),
            kind: AssetKind::Photo,
            mime: "image/jpeg".into(),
            size: 1,
            content_index: vec![1],
            file_name: None,
            taken_at: None,
            uploaded_at: 5,
            sort_at: 5,
            trashed_at: None,
            favorite: false,
            archived: false,
            caption: None,
            width: None,
            height: None,
            metadata,
            media_state: state,
            media_error: None,
            blob_sha256: None,
        }
    }

    fn edit(taken_at: Option<i64>, place: Option<Place>) -> AssetEdit {
        AssetEdit {
            favorite: None,
            archived: None,
            caption: None,
            taken_at,
            place,
        }
    }

    const BEACH: Place = Place {
        latitude: 43.5,
        longitude: -1.56,
        altitude: None,
    };

    #[test]
    fn a_capture_time_and_place_join_the_metadata_and_keep_the_rest() -> TestResult {
        let key = DataKey::generate(KeyId::User { generation: 1 })?;
        let before = r#"{"make":"Canon","taken_at_ms":1,"offset_minutes":120,"altitude":9.0}"#;
        let sealed = fields::seal_text(&key, Column::AssetMetadata, "u1", "a1", before)?;
        let a = row(MediaState::Ready, Some(sealed));
        let Some((t, ct)) = edited_metadata(&key, &a, &edit(Some(1_500_000_000_000), Some(BEACH)))?
        else {
            return Err("an edit with a time and a place changes the metadata".into());
        };
        assert_eq!(t, Some(1_500_000_000_000));
        let json = fields::open_text(&key, Column::AssetMetadata, "u1", "a1", Some(&ct))
            .ok_or("the new metadata opens for its own row only")?;
        let v: serde_json::Value = serde_json::from_str(&json)?;
        assert_eq!(v["make"], "Canon", "{v}");
        assert_eq!(v["taken_at_ms"], 1_500_000_000_000_i64, "{v}");
        assert!(
            v["offset_minutes"].is_null(),
            "the old offset is not the new time's: {v}"
        );
        assert_eq!(
            (v["latitude"].as_f64(), v["longitude"].as_f64()),
            (Some(43.5), Some(-1.56))
        );
        assert!(v["altitude"].is_null(), "no altitude given: none kept: {v}");
        assert_eq!(
            fields::open_text(&key, Column::AssetMetadata, "u1", "a2", Some(&ct)),
            None
        );
        // no metadata yet (a file the pipeline could not read): made
        let failed = row(MediaState::Failed, None);
        assert!(edited_metadata(&key, &failed, &edit(None, Some(BEACH)))?.is_some());
        // flags and captions alone leave it alone
        assert!(edited_metadata(&key, &a, &edit(None, None))?.is_none());
        Ok(())
    }

    #[test]
    fn impossible_times_places_and_pending_files_are_refused() -> TestResult {
        let key = DataKey::generate(KeyId::User { generation: 1 })?;
        let ready = row(MediaState::Ready, None);
        let refused = |a: &AssetRow, e: AssetEdit| edited_metadata(&key, a, &e).err();
        assert!(matches!(
            refused(&row(MediaState::Pending, None), edit(Some(0), None)),
            Some(Error::MediaPending)
        ));
        for t in [
            EARLIEST_TAKEN_MS - 1,
            now_ms() + 2 * DAY_MS,
            i64::MAX,
            i64::MIN,
        ] {
            assert!(
                matches!(
                    refused(&ready, edit(Some(t), None)),
                    Some(Error::BadEdit(_))
                ),
                "{t}"
            );
        }
        for (latitude, longitude, altitude) in [
            (90.5, 0.0, None),
            (0.0, -180.1, None),
            (f64::NAN, 0.0, None),
            (0.0, f64::INFINITY, None),
            (0.0, 0.0, Some(1e9)),
            (0.0, 0.0, Some(f64::NAN)),
        ] {
            let p = Place {
                latitude,
                longitude,
                altitude,
            };
            assert!(
                matches!(
                    refused(&ready, edit(None, Some(p))),
                    Some(Error::BadEdit(_))
                ),
                "{p:?}"
            );
        }
        assert!(edited_metadata(&key, &ready, &edit(Some(EARLIEST_TAKEN_MS), None))?.is_some());
        Ok(())
    }
}
