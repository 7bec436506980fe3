//! The photo library over HTTP: upload (one request, or resumable with tus),
//! the timeline and its month counts, one asset and its edits, the original
//! with HTTP Range, trash, albums and usage. Every query is scoped to the
//! caller, so another user's id is a 404. Names, captions and album names
//! are encrypted under the owner's key before they reach the catalog.

mod albums;
pub(crate) mod download;
mod edit;
pub(crate) mod ingest;
mod timeline;
mod tus;
mod upload;

use axum::Router;
use axum::http::StatusCode;
use pixelunion_catalog::{AssetRow, UserRow};
use pixelunion_vault::DataKey;
use pixelunion_vault::field::{self, FieldContext};
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{ApiError, OrInternal};

pub(super) use albums::*;
pub(super) use download::*;
pub(super) use edit::*;
pub(super) use timeline::*;
pub(super) use tus::*;
pub(super) use upload::*;

/// Every library route (bodies are streamed or limited per route).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .merge(upload::router())
        .merge(tus::router())
        .merge(download::router())
        .merge(
            Router::new()
                .merge(timeline::router())
                .merge(edit::router())
                .merge(albums::router())
                .layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20)),
        )
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(super) fn error(status: StatusCode, code: &'static str, msg: &str) -> ApiError {
    ApiError::new(status, code, msg)
}

/// A JSON body that did not parse: 400 saying what was expected.
pub(super) fn bad_json(expected: &str) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "bad-request",
        &format!("expected JSON {expected}"),
    )
}

/// Tells a missing JSON field (None) from an explicit `null` (Some(None)).
pub(super) fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    use serde::Deserialize;
    Option::<String>::deserialize(d).map(Some)
}

/// Where an encrypted field of a library row lives (bound into its AEAD).
pub(super) fn ctx<'a>(
    owner: &'a str,
    table: &'static str,
    column: &'static str,
    row: &'a str,
) -> FieldContext<'a> {
    FieldContext {
        owner: owner.as_bytes(),
        table,
        column,
        row: row.as_bytes(),
    }
}

/// Encrypts a short text field of a library row under the owner's key.
pub(crate) fn seal_text(
    key: &DataKey,
    owner: &str,
    table: &'static str,
    column: &'static str,
    row: &str,
    text: &str,
) -> Result<Vec<u8>, ApiError> {
    field::encrypt_str(key, &ctx(owner, table, column, row), text).or_internal()
}

/// Decrypts a text field (None when absent or unreadable).
pub(super) fn open_text(
    key: &DataKey,
    owner: &str,
    table: &'static str,
    column: &'static str,
    row: &str,
    ct: Option<&Vec<u8>>,
) -> Option<String> {
    ct.and_then(|ct| field::decrypt_string(key, &ctx(owner, table, column, row), ct).ok())
        .map(|s| s.to_string())
}

/// The original file name of an asset, decrypted.
pub(super) fn asset_name(key: &DataKey, a: &AssetRow) -> Option<String> {
    open_text(
        key,
        &a.owner_id,
        "assets",
        "file_name",
        &a.id,
        a.file_name.as_ref(),
    )
}

/// An asset as its owner sees it.
pub(super) fn asset_json(key: &DataKey, a: &AssetRow) -> Value {
    json!({
        "id": a.id,
        "kind": a.kind,
        "mime": a.mime,
        "size": a.size,
        "file_name": asset_name(key, a),
        "caption": open_text(key, &a.owner_id, "assets", "caption", &a.id, a.caption.as_ref()),
        "width": a.width,
        "height": a.height,
        "taken_at": a.taken_at,
        "uploaded_at": a.uploaded_at,
        "sort_at": a.sort_at,
        "favorite": a.favorite,
        "archived": a.archived,
        "trashed": a.trashed_at.is_some(),
        "trashed_at": a.trashed_at,
        "media": {"state": a.media_state, "error": a.media_error},
        "metadata": open_text(key, &a.owner_id, "assets", "metadata", &a.id, a.metadata.as_ref())
            .and_then(|j| serde_json::from_str::<Value>(&j).ok()),
    })
}

/// The caller's asset `id`, or 404.
pub(super) async fn owned(
    state: &AppState,
    user: &UserRow,
    id: &str,
) -> Result<AssetRow, ApiError> {
    state
        .catalog()
        .asset(&user.id, id)
        .await
        .or_internal()?
        .ok_or_else(ApiError::not_found)
}
