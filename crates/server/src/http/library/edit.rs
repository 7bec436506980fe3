//! One asset and its changes: read it, set favourite/archived/caption, move
//! it to the trash and back, act on a selection at once, and empty the trash
//! (rows go at once; their blobs leave the primary store through the job
//! queue, and the backup store 15 minutes later).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use pixelunion_catalog::AssetChange;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{asset_json, bad_json, error, now_ms, owned, seal_text};
use crate::AppState;
use crate::accounts::Authed;
use crate::accounts::principal::gate;
use crate::error::{ApiError, ErrorBody, OrInternal};

const MAX_BATCH: usize = 500;
const MAX_CAPTION: usize = 2000;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{id}", get(get_one).patch(update).delete(trash))
        .route("/assets/{id}/restore", post(restore))
        .route("/assets/batch", post(batch))
        .route("/trash/empty", post(empty_trash))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "library", summary = "One asset (only its owner sees it)", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the asset"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(crate) async fn get_one(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let asset = owned(&state, &a.user, &id).await?;
    Ok(Json(asset_json(
        &crate::accounts::key_for(&state, &a.user)?,
        &asset,
    )))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateAsset {
    favorite: Option<bool>,
    archived: Option<bool>,
    /// new caption; `null` or "" removes it
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    caption: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/api/v1/assets/{id}", tag = "library", summary = "Set favourite, archived or the caption (encrypted)", request_body = UpdateAsset, params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the asset"), (status = 400, description = "bad-request", body = ErrorBody), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(crate) async fn update(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<Json<UpdateAsset>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    owned(&state, &a.user, &id).await?;
    let Json(body) = body.map_err(|_| {
        bad_json("{\"favorite\"?: bool, \"archived\"?: bool, \"caption\"?: string|null}")
    })?;
    let key = crate::accounts::key_for(&state, &a.user)?;
    let caption = match body.caption {
        None => None,
        Some(None) => Some(None),
        Some(Some(c)) if c.trim().is_empty() => Some(None),
        Some(Some(c)) => {
            if c.chars().count() > MAX_CAPTION {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "caption-too-long",
                    "captions may be at most 2000 characters",
                ));
            }
            Some(Some(seal_text(
                &key,
                &a.user.id,
                "assets",
                "caption",
                &id,
                c.trim(),
            )?))
        }
    };
    let change = AssetChange {
        favorite: body.favorite,
        archived: body.archived,
        caption,
    };
    state
        .catalog()
        .update_asset(&a.user.id, &id, &change)
        .await
        .or_internal()?;
    let asset = owned(&state, &a.user, &id).await?;
    Ok(Json(asset_json(&key, &asset)))
}

#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "library", summary = "Move an asset to the trash (purged after library.trash_days)", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "trashed"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(crate) async fn trash(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    owned(&state, &a.user, &id).await?;
    state
        .catalog()
        .trash_asset(&a.user.id, &id, now_ms())
        .await
        .or_internal()?;
    Ok(Json(json!({"id": id, "trashed": true})))
}

#[utoipa::path(post, path = "/api/v1/assets/{id}/restore", tag = "library", summary = "Take an asset out of the trash", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "restored"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(crate) async fn restore(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    owned(&state, &a.user, &id).await?;
    state
        .catalog()
        .restore_asset(&a.user.id, &id)
        .await
        .or_internal()?;
    Ok(Json(json!({"id": id, "trashed": false})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Batch {
    /// asset ids (at most 500); ids that are not yours are skipped
    ids: Vec<String>,
    /// `trash`, `restore`, `favorite`, `unfavorite`, `archive` or `unarchive`
    action: String,
}

#[utoipa::path(post, path = "/api/v1/assets/batch", tag = "library", summary = "Apply one action to a selection (trash, restore, favourite, archive and their opposites)", request_body = Batch, responses((status = 200, description = "{changed}"), (status = 400, description = "bad-request", body = ErrorBody)))]
pub(crate) async fn batch(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    body: Result<Json<Batch>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|_| bad_json("{\"ids\": [...], \"action\": \"trash\"|\"restore\"|\"favorite\"|\"unfavorite\"|\"archive\"|\"unarchive\"}"))?;
    if body.ids.len() > MAX_BATCH {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "too-many",
            "at most 500 ids per request",
        ));
    }
    let flags = |favorite, archived| AssetChange {
        favorite,
        archived,
        caption: None,
    };
    const ACTIONS: [&str; 6] = [
        "trash",
        "restore",
        "favorite",
        "unfavorite",
        "archive",
        "unarchive",
    ];
    if !ACTIONS.contains(&body.action.as_str()) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad-action",
            "action must be trash, restore, favorite, unfavorite, archive or unarchive",
        ));
    }
    let c = state.catalog();
    let now = now_ms();
    let mut changed = 0u64;
    for id in &body.ids {
        let done = match body.action.as_str() {
            "trash" => c.trash_asset(&a.user.id, id, now).await,
            "restore" => c.restore_asset(&a.user.id, id).await,
            "favorite" => {
                c.update_asset(&a.user.id, id, &flags(Some(true), None))
                    .await
            }
            "unfavorite" => {
                c.update_asset(&a.user.id, id, &flags(Some(false), None))
                    .await
            }
            "archive" => {
                c.update_asset(&a.user.id, id, &flags(None, Some(true)))
                    .await
            }
            "unarchive" => {
                c.update_asset(&a.user.id, id, &flags(None, Some(false)))
                    .await
            }
            _ => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "bad-action",
                    "action must be trash, restore, favorite, unfavorite, archive or unarchive",
                ));
            }
        }
        .or_internal()?;
        changed += u64::from(done);
    }
    Ok(Json(json!({ "changed": changed })))
}

#[utoipa::path(post, path = "/api/v1/trash/empty", tag = "library", summary = "Delete everything in my trash for good (blobs leave the primary store now and the backup within 15 minutes)", responses((status = 200, description = "{purged}")))]
pub(crate) async fn empty_trash(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<Value>, ApiError> {
    let mut purged = 0;
    loop {
        let n = state
            .catalog()
            .purge_trashed(Some(&a.user.id), i64::MAX, now_ms(), 500)
            .await
            .or_internal()?;
        purged += n;
        if n < 500 {
            break;
        }
    }
    crate::background::wake(&state);
    Ok(Json(json!({ "purged": purged })))
}
