//! Sharing albums between accounts over HTTP: the owner's shares of an
//! album, albums shared with the caller, leaving one, and the display name
//! others see. Thin adapters over `crate::library::sharing`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pixelunion_catalog::ShareRole;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::albums::AlbumList;
use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};
use crate::library::sharing::{self, ShareView};

pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(shared_with_me))
        .routes(routes!(list_shares, add_share))
        .routes(routes!(end_share))
        .routes(routes!(leave_album))
        .routes(routes!(get_profile, put_profile))
}

#[utoipa::path(get, path = "/shared/albums", tag = "sharing", summary = "Albums other people share with me, newest first (each with its owner's name and my role)",
    responses((status = 200, description = "the albums", body = AlbumList)))]
pub(crate) async fn shared_with_me(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<AlbumList>, ApiError> {
    Ok(Json(AlbumList {
        items: sharing::shared_with_me(&state, &a.user).await?,
    }))
}

/// An album's shares.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ShareList {
    /// oldest first
    items: Vec<ShareView>,
}

#[utoipa::path(get, path = "/albums/{id}/shares", tag = "sharing", summary = "Who one of my albums is shared with",
    params(("id" = String, Path, description = "album id")),
    responses((status = 200, description = "the shares", body = ShareList)))]
pub(crate) async fn list_shares(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<ShareList>, ApiError> {
    Ok(Json(ShareList {
        items: sharing::shares(&state, &a.user, &id).await?,
    }))
}

/// A share to make (or a new role for an existing one).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewShare {
    /// the other person's e-mail address
    #[schema(min_length = 3, max_length = 254)]
    email: String,
    /// `viewer` (sees the album) or `contributor` (also adds their own items)
    #[schema(value_type = String, pattern = "^(viewer|contributor)$")]
    role: ShareRole,
}

#[utoipa::path(post, path = "/albums/{id}/shares", tag = "sharing",
    summary = "Share one of my albums with an e-mail address (the answer is the same whether it has an account; a later account with that address receives it)",
    request_body = NewShare,
    params(("id" = String, Path, description = "album id")),
    responses(
        (status = 201, description = "the share", body = ShareView),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 422, description = "`bad-share`: not an e-mail address, or my own", body = ErrorBody),
    ))]
pub(crate) async fn add_share(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    body: Result<JsonBody<NewShare>, ApiError>,
) -> Result<(StatusCode, Json<ShareView>), ApiError> {
    // Another user's album is "not found" whatever the body says.
    crate::library::albums::owned(&state, &a.user.id, &id).await?;
    let JsonBody(body) = body?;
    let share = sharing::share(&state, &a.user, &id, &body.email, body.role).await?;
    Ok((StatusCode::CREATED, Json(share)))
}

/// An ended share.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Ended {
    /// always true
    ended: bool,
}

#[utoipa::path(delete, path = "/albums/{id}/shares/{share}", tag = "sharing",
    summary = "End a share of one of my albums at once (the person's own items leave the album)",
    params(
        ("id" = String, Path, description = "album id"),
        ("share" = String, Path, description = "share id"),
    ),
    responses((status = 200, description = "ended", body = Ended)))]
pub(crate) async fn end_share(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path((id, share)): Path<(String, String)>,
) -> Result<Json<Ended>, ApiError> {
    sharing::unshare(&state, &a.user, &id, &share).await?;
    Ok(Json(Ended { ended: true }))
}

#[utoipa::path(post, path = "/albums/{id}/leave", tag = "sharing",
    summary = "Leave an album shared with me (my own items in it leave with me)",
    params(("id" = String, Path, description = "album id")),
    responses(
        (status = 200, description = "left", body = Ended),
        (status = 422, description = "`bad-share`: my own album cannot be left", body = ErrorBody),
    ))]
pub(crate) async fn leave_album(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Ended>, ApiError> {
    sharing::leave(&state, &a.user, &id).await?;
    Ok(Json(Ended { ended: true }))
}

/// What others see of me beside what I share.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisplayName {
    /// my display name (at most 80 characters; empty or null: my e-mail address is shown)
    #[schema(max_length = 80)]
    display_name: Option<String>,
}

#[utoipa::path(get, path = "/profile", tag = "sharing", summary = "My display name (shown to people I share albums and links with)",
    responses((status = 200, description = "the profile", body = DisplayName)))]
pub(crate) async fn get_profile(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<DisplayName>, ApiError> {
    Ok(Json(DisplayName {
        display_name: sharing::own_display_name(&state, &a.user).await?,
    }))
}

#[utoipa::path(put, path = "/profile", tag = "sharing", summary = "Set my display name",
    request_body = DisplayName,
    responses(
        (status = 200, description = "the profile", body = DisplayName),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 422, description = "`bad-share`: at most 80 characters, no control characters", body = ErrorBody),
    ))]
pub(crate) async fn put_profile(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    JsonBody(body): JsonBody<DisplayName>,
) -> Result<Json<DisplayName>, ApiError> {
    let name = body.display_name.unwrap_or_default();
    Ok(Json(DisplayName {
        display_name: sharing::set_display_name(&state, &a.user, &name).await?,
    }))
}
