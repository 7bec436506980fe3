//! Albums over HTTP. Their contents are a timeline filter:
//! `GET /api/v1/assets?album=ID`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::assets::double_option;
use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};
use crate::library::albums::{self, AlbumEdit, AlbumView};
use crate::library::sharing;

pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_albums, create_album))
        .routes(routes!(get_album, update_album, delete_album))
        .routes(routes!(add_assets))
        .routes(routes!(remove_assets))
}

/// Albums.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AlbumList {
    /// newest first
    pub(super) items: Vec<AlbumView>,
}

#[utoipa::path(get, path = "/albums", tag = "library", summary = "My albums, newest first",
    responses((status = 200, description = "the albums", body = AlbumList)))]
pub(crate) async fn list_albums(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<AlbumList>, ApiError> {
    Ok(Json(AlbumList {
        items: albums::list(&state, &a.user).await?,
    }))
}

/// A new album.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAlbum {
    /// 1–200 characters (stored encrypted; surrounding spaces are dropped)
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// assets to put in it right away (at most 500)
    #[serde(default)]
    #[schema(max_items = 500)]
    asset_ids: Vec<String>,
}

#[utoipa::path(post, path = "/albums", tag = "library", summary = "Create an album (optionally with assets)",
    request_body = NewAlbum,
    responses(
        (status = 201, description = "the album", body = AlbumView),
        (status = 400, description = "`too-many` or `bad-request`", body = ErrorBody),
        (status = 422, description = "`bad-name`: a name of 1 to 200 characters, not only spaces", body = ErrorBody),
    ))]
pub(crate) async fn create_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    JsonBody(body): JsonBody<NewAlbum>,
) -> Result<(StatusCode, Json<AlbumView>), ApiError> {
    let al = albums::create(&state, &a.user, &body.name, &body.asset_ids).await?;
    Ok((StatusCode::CREATED, Json(al)))
}

#[utoipa::path(get, path = "/albums/{id}", tag = "library", summary = "One of my albums or one shared with me (its items: GET /api/v1/assets?album=ID)",
    params(("id" = String, Path, description = "album id")),
    responses((status = 200, description = "the album", body = AlbumView)))]
pub(crate) async fn get_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<AlbumView>, ApiError> {
    Ok(Json(albums::get(&state, &a.user, &id).await?))
}

/// A change to an album; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAlbum {
    /// new name (1–200 characters)
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    /// new cover (one of the album's assets); `null` clears it
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    cover_asset_id: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/albums/{id}", tag = "library", summary = "Rename an album or set its cover",
    request_body = UpdateAlbum,
    params(("id" = String, Path, description = "album id")),
    responses(
        (status = 200, description = "the album", body = AlbumView),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 422, description = "`bad-name`: a name of 1 to 200 characters, not only spaces", body = ErrorBody),
        (status = 409, description = "`not-in-album`: the cover must be one of the album's items", body = ErrorBody),
    ))]
pub(crate) async fn update_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<JsonBody<UpdateAlbum>, ApiError>,
) -> Result<Json<AlbumView>, ApiError> {
    // Another user's album is "not found" whatever the body says.
    albums::owned(&state, &a.user.id, &id).await?;
    let JsonBody(body) = body?;
    let edit = AlbumEdit {
        name: body.name,
        cover_asset_id: body.cover_asset_id,
    };
    Ok(Json(albums::edit(&state, &a.user, &id, edit).await?))
}

/// A deleted album.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Deleted {
    /// album id
    id: String,
    /// always true
    deleted: bool,
}

#[utoipa::path(delete, path = "/albums/{id}", tag = "library", summary = "Delete an album (its photos and videos stay in the library)",
    params(("id" = String, Path, description = "album id")),
    responses((status = 200, description = "deleted", body = Deleted)))]
pub(crate) async fn delete_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    albums::delete(&state, &a.user, &id).await?;
    Ok(Json(Deleted { id, deleted: true }))
}

/// Assets to add or remove.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssetIds {
    /// asset ids (at most 500)
    #[schema(max_items = 500)]
    asset_ids: Vec<String>,
}

/// How many memberships changed.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct MembersChanged {
    /// assets added or removed
    changed: u64,
}

#[utoipa::path(post, path = "/albums/{id}/assets", tag = "library", summary = "Add my own items to my album or one I contribute to (all or none)",
    request_body = AssetIds,
    params(("id" = String, Path, description = "album id")),
    responses(
        (status = 200, description = "how many were added", body = MembersChanged),
        (status = 400, description = "`too-many` or `bad-request`", body = ErrorBody),
        (status = 403, description = "`view-only`: shared with me for viewing", body = ErrorBody),
        (status = 422, description = "`not-your-asset`: an id that is not one of my items outside the trash (nothing was added)", body = ErrorBody),
    ))]
pub(crate) async fn add_assets(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<JsonBody<AssetIds>, ApiError>,
) -> Result<Json<MembersChanged>, ApiError> {
    // Someone else's unshared album is "not found", a viewer's is
    // view-only, whatever the body says.
    let (_, access) = sharing::album_for(&state, &a.user, &id).await?;
    sharing::may_change(access)?;
    let JsonBody(body) = body?;
    let changed = albums::change_members(&state, &a.user, &id, &body.asset_ids, true).await?;
    Ok(Json(MembersChanged { changed }))
}

#[utoipa::path(post, path = "/albums/{id}/remove", tag = "library", summary = "Take items out of an album (they stay in the library): any item of my album, my own items of one I contribute to",
    request_body = AssetIds,
    params(("id" = String, Path, description = "album id")),
    responses(
        (status = 200, description = "how many were taken out", body = MembersChanged),
        (status = 400, description = "`too-many` or `bad-request`", body = ErrorBody),
        (status = 403, description = "`view-only`: shared with me for viewing", body = ErrorBody),
    ))]
pub(crate) async fn remove_assets(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<JsonBody<AssetIds>, ApiError>,
) -> Result<Json<MembersChanged>, ApiError> {
    // Someone else's unshared album is "not found", a viewer's is
    // view-only, whatever the body says.
    let (_, access) = sharing::album_for(&state, &a.user, &id).await?;
    sharing::may_change(access)?;
    let JsonBody(body) = body?;
    let changed = albums::change_members(&state, &a.user, &id, &body.asset_ids, false).await?;
    Ok(Json(MembersChanged { changed }))
}
