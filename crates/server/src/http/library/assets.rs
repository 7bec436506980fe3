//! One asset and its changes over HTTP: read it, set favourite, archived or
//! the caption, move it to the trash and back, act on a selection, empty
//! the trash.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};
use crate::library::assets::{self, AssetEdit, AssetView, BatchAction, Place};
use crate::library::purge::{self, Purge};

pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_one, update, trash))
        .routes(routes!(restore))
        .routes(routes!(batch))
        .routes(routes!(empty_trash))
}

/// Tells a missing JSON field (None) from an explicit `null` (Some(None)).
pub(super) fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[utoipa::path(get, path = "/assets/{id}", tag = "library", summary = "One asset (only its owner sees it)",
    params(("id" = String, Path, description = "asset id")),
    responses((status = 200, description = "the asset", body = AssetView)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<AssetView>, ApiError> {
    Ok(Json(assets::get(&state, &a.user, &id).await?))
}

/// A change to an asset; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAsset {
    /// favourite
    favorite: Option<bool>,
    /// archived (hidden from the timeline)
    archived: Option<bool>,
    /// new caption (at most 2000 characters); `null` or "" removes it
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    caption: Option<Option<String>>,
    /// the capture time in unix milliseconds (UTC), from the year 1800 to
    /// tomorrow — for a file that does not say or says wrong; moves the
    /// asset in the timeline. Not while the file is being processed.
    #[serde(default, deserialize_with = "crate::http::extract::whole_i64")]
    #[schema(value_type = Option<i64>, minimum = -5_364_662_400_000_i64)]
    taken_at: Option<i64>,
    /// where it was taken. Not while the file is being processed.
    place: Option<Place>,
}

#[utoipa::path(patch, path = "/assets/{id}", tag = "library", summary = "Set favourite, archived, the caption, the capture time or the place (all but the flags encrypted)",
    request_body = UpdateAsset,
    params(("id" = String, Path, description = "asset id")),
    responses(
        (status = 200, description = "the asset", body = AssetView),
        (status = 400, description = "`caption-too-long` or `bad-request`", body = ErrorBody),
        (status = 422, description = "`bad-edit`: a capture time after tomorrow", body = ErrorBody),
        (status = 409, description = "`media-pending`: a capture time or place while the file is being processed", body = ErrorBody),
    ))]
pub(crate) async fn update(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<JsonBody<UpdateAsset>, ApiError>,
) -> Result<Json<AssetView>, ApiError> {
    // Another user's asset is "not found" whatever the body says.
    assets::owned(&state, &a.user, &id).await?;
    let JsonBody(body) = body?;
    let edit = AssetEdit {
        favorite: body.favorite,
        archived: body.archived,
        caption: body.caption,
        taken_at: body.taken_at,
        place: body.place,
    };
    Ok(Json(assets::edit(&state, &a.user, &id, edit).await?))
}

/// Where an asset now is.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TrashState {
    /// asset id
    id: String,
    /// in the trash
    trashed: bool,
}

#[utoipa::path(delete, path = "/assets/{id}", tag = "library", summary = "Move an asset to the trash (purged after library.trash_days)",
    params(("id" = String, Path, description = "asset id")),
    responses((status = 200, description = "trashed", body = TrashState)))]
pub(crate) async fn trash(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<TrashState>, ApiError> {
    assets::trash(&state, &a.user, &id).await?;
    Ok(Json(TrashState { id, trashed: true }))
}

#[utoipa::path(post, path = "/assets/{id}/restore", tag = "library", summary = "Take an asset out of the trash",
    params(("id" = String, Path, description = "asset id")),
    responses((status = 200, description = "restored", body = TrashState)))]
pub(crate) async fn restore(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<TrashState>, ApiError> {
    assets::restore(&state, &a.user, &id).await?;
    Ok(Json(TrashState { id, trashed: false }))
}

/// One action for a selection.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Batch {
    /// asset ids (at most 500); ids that are not yours are skipped
    #[schema(max_items = 500)]
    ids: Vec<String>,
    /// what to do
    action: BatchAction,
}

/// How many items changed.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Changed {
    /// items changed
    changed: u64,
}

#[utoipa::path(post, path = "/assets/batch", tag = "library", summary = "Apply one action to a selection (trash, restore, favourite, archive and their opposites)",
    request_body = Batch,
    responses(
        (status = 200, description = "how many changed", body = Changed),
        (status = 400, description = "`too-many` or `bad-request`", body = ErrorBody),
    ))]
pub(crate) async fn batch(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    JsonBody(body): JsonBody<Batch>,
) -> Result<Json<Changed>, ApiError> {
    let changed = assets::batch(&state, &a.user, &body.ids, body.action).await?;
    Ok(Json(Changed { changed }))
}

/// How many items were deleted for good.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Purged {
    /// items purged
    purged: u64,
}

#[utoipa::path(post, path = "/trash/empty", tag = "library", summary = "Delete everything in my trash for good (blobs leave the primary store now and the backup within 15 minutes)",
    responses((status = 200, description = "how many were purged", body = Purged)))]
pub(crate) async fn empty_trash(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<Purged>, ApiError> {
    let purged = purge::purge(&state, Purge::TrashOf(&a.user.id)).await?;
    Ok(Json(Purged { purged }))
}
