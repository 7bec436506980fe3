//! Albums: create, list, rename, set or clear the cover, delete (the photos
//! stay), add and remove assets. Names are encrypted under the owner's key;
//! an album only ever holds its owner's assets. Its contents are a timeline
//! filter: `GET /api/v1/assets?album=ID`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use pixelunion_catalog::AlbumRow;
use pixelunion_vault::DataKey;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{bad_json, error, now_ms, open_text, seal_text};
use crate::AppState;
use crate::accounts::Authed;
use crate::accounts::principal::gate;
use crate::error::{ApiError, ErrorBody, OrInternal};

const MAX_IDS: usize = 500;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/albums", get(list_albums).post(create_album))
        .route(
            "/albums/{id}",
            get(get_album).patch(update_album).delete(delete_album),
        )
        .route("/albums/{id}/assets", post(add_assets))
        .route("/albums/{id}/remove", post(remove_assets))
}

fn album_json(key: &DataKey, al: &AlbumRow) -> Value {
    json!({
        "id": al.id,
        "name": open_text(key, &al.owner_id, "albums", "name", &al.id, Some(&al.name)),
        "cover_asset_id": al.cover_asset_id,
        "asset_count": al.asset_count,
        "created_at": al.created_at,
        "updated_at": al.updated_at,
    })
}

fn album_name(name: &str) -> Result<&str, ApiError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 200 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad-name",
            "an album name has 1 to 200 characters",
        ));
    }
    Ok(n)
}

async fn own_album(state: &AppState, owner: &str, id: &str) -> Result<AlbumRow, ApiError> {
    state
        .catalog()
        .album(owner, id)
        .await
        .or_internal()?
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(get, path = "/api/v1/albums", tag = "library", summary = "My albums, newest first", responses((status = 200, description = "{items}")))]
pub(crate) async fn list_albums(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<Value>, ApiError> {
    let key = crate::accounts::key_for(&state, &a.user)?;
    let rows = state.catalog().albums(&a.user.id).await.or_internal()?;
    Ok(Json(
        json!({"items": rows.iter().map(|r| album_json(&key, r)).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAlbum {
    /// 1–200 characters (stored encrypted)
    name: String,
    /// assets to put in it right away
    #[serde(default)]
    asset_ids: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/albums", tag = "library", summary = "Create an album (optionally with assets)", request_body = NewAlbum, responses((status = 201, description = "the album"), (status = 400, description = "bad-request", body = ErrorBody)))]
pub(crate) async fn create_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    body: Result<Json<NewAlbum>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body.map_err(|_| bad_json("{\"name\": string, \"asset_ids\"?: [...]}"))?;
    let name = album_name(&body.name)?;
    if body.asset_ids.len() > MAX_IDS {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "too-many",
            "at most 500 ids per request",
        ));
    }
    let key = crate::accounts::key_for(&state, &a.user)?;
    let id = uuid::Uuid::now_v7().to_string();
    let ct = seal_text(&key, &a.user.id, "albums", "name", &id, name)?;
    let c = state.catalog();
    let now = now_ms();
    c.create_album(&id, &a.user.id, &ct, now)
        .await
        .or_internal()?;
    if !body.asset_ids.is_empty() {
        c.add_to_album(&a.user.id, &id, &body.asset_ids, now)
            .await
            .or_internal()?;
    }
    let al = own_album(&state, &a.user.id, &id).await?;
    Ok((StatusCode::CREATED, Json(album_json(&key, &al))))
}

#[utoipa::path(get, path = "/api/v1/albums/{id}", tag = "library", summary = "One of my albums (its items: GET /api/v1/assets?album=ID)", params(("id" = String, Path, description = "album id")), responses((status = 200, description = "the album"), (status = 404, description = "no such album of yours", body = ErrorBody)))]
pub(crate) async fn get_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let al = own_album(&state, &a.user.id, &id).await?;
    Ok(Json(album_json(
        &crate::accounts::key_for(&state, &a.user)?,
        &al,
    )))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAlbum {
    /// new name
    name: Option<String>,
    /// new cover (one of the album's assets); `null` clears it
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    cover_asset_id: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/api/v1/albums/{id}", tag = "library", summary = "Rename an album or set its cover", request_body = UpdateAlbum, params(("id" = String, Path, description = "album id")), responses((status = 200, description = "the album"), (status = 400, description = "bad-request or not-in-album", body = ErrorBody), (status = 404, description = "no such album of yours", body = ErrorBody)))]
pub(crate) async fn update_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<Json<UpdateAlbum>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    own_album(&state, &a.user.id, &id).await?;
    let Json(body) =
        body.map_err(|_| bad_json("{\"name\"?: string, \"cover_asset_id\"?: id|null}"))?;
    let key = crate::accounts::key_for(&state, &a.user)?;
    let c = state.catalog();
    let now = now_ms();
    if let Some(name) = &body.name {
        let ct = seal_text(&key, &a.user.id, "albums", "name", &id, album_name(name)?)?;
        c.rename_album(&a.user.id, &id, &ct, now)
            .await
            .or_internal()?;
    }
    if let Some(cover) = &body.cover_asset_id
        && !c
            .set_album_cover(&a.user.id, &id, cover.as_deref(), now)
            .await
            .or_internal()?
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "not-in-album",
            "the cover must be one of the album's items",
        ));
    }
    let al = own_album(&state, &a.user.id, &id).await?;
    Ok(Json(album_json(&key, &al)))
}

#[utoipa::path(delete, path = "/api/v1/albums/{id}", tag = "library", summary = "Delete an album (its photos and videos stay in the library)", params(("id" = String, Path, description = "album id")), responses((status = 200, description = "deleted"), (status = 404, description = "no such album of yours", body = ErrorBody)))]
pub(crate) async fn delete_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !state
        .catalog()
        .delete_album(&a.user.id, &id)
        .await
        .or_internal()?
    {
        return Err(ApiError::not_found());
    }
    Ok(Json(json!({"id": id, "deleted": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssetIds {
    /// asset ids (at most 500); ids that are not yours are skipped
    asset_ids: Vec<String>,
}

async fn change_members(
    state: &AppState,
    owner: &str,
    id: &str,
    body: Result<Json<AssetIds>, axum::extract::rejection::JsonRejection>,
    add: bool,
) -> Result<Json<Value>, ApiError> {
    own_album(state, owner, id).await?;
    let Json(body) = body.map_err(|_| bad_json("{\"asset_ids\": [...]}"))?;
    if body.asset_ids.len() > MAX_IDS {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "too-many",
            "at most 500 ids per request",
        ));
    }
    let c = state.catalog();
    let n = if add {
        c.add_to_album(owner, id, &body.asset_ids, now_ms()).await
    } else {
        c.remove_from_album(owner, id, &body.asset_ids, now_ms())
            .await
    }
    .or_internal()?;
    Ok(Json(json!({ "changed": n })))
}

#[utoipa::path(post, path = "/api/v1/albums/{id}/assets", tag = "library", summary = "Add my assets to an album", request_body = AssetIds, params(("id" = String, Path, description = "album id")), responses((status = 200, description = "{changed}"), (status = 404, description = "no such album of yours", body = ErrorBody)))]
pub(crate) async fn add_assets(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<Json<AssetIds>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    change_members(&state, &a.user.id, &id, body, true).await
}

#[utoipa::path(post, path = "/api/v1/albums/{id}/remove", tag = "library", summary = "Take assets out of an album (they stay in the library)", request_body = AssetIds, params(("id" = String, Path, description = "album id")), responses((status = 200, description = "{changed}"), (status = 404, description = "no such album of yours", body = ErrorBody)))]
pub(crate) async fn remove_assets(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<Json<AssetIds>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    change_members(&state, &a.user.id, &id, body, false).await
}
