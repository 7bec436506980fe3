//! The photo library over HTTP: upload (one request, or resumable with
//! tus), the timeline and its month counts, one asset and its edits, the
//! original with HTTP Range, renditions, trash and albums. Thin adapters
//! over `crate::library`.

mod albums;
mod assets;
mod download;
mod export;
mod links;
mod search;
mod sharing;
mod timeline;
mod tus;
mod upload;

use utoipa_axum::router::OpenApiRouter;

use super::codes::ErrorCode;
use super::error::ApiError;
use crate::AppState;
use crate::concurrency::Slot;

/// A place for one more upload of `user` in progress, held until dropped,
/// or 429 when the account already sends the most at once.
fn upload_slot(state: &AppState, user: &str) -> Result<Option<Slot<String>>, ApiError> {
    state.limits().begin_upload(user).map_err(|max| {
        ApiError::new(
            ErrorCode::RateLimited,
            format!("at most {max} uploads of one account at a time; send this one when another has finished"),
        )
        .with_header("retry-after", "1")
    })
}

/// Routes whose bodies are JSON (at most [`super::JSON_LIMIT`]).
pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(upload::json_router())
        .merge(timeline::json_router())
        .merge(search::json_router())
        .merge(assets::json_router())
        .merge(albums::json_router())
        .merge(export::json_router())
        .merge(sharing::json_router())
        .merge(links::json_router())
}

/// Routes that stream bodies (uploads count their own limit) or answers.
pub(super) fn streaming_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(upload::streaming_router())
        .merge(tus::streaming_router())
        .merge(download::streaming_router())
        .merge(export::streaming_router())
        .merge(links::streaming_router())
}
