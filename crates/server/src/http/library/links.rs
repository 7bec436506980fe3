//! Public links over HTTP: the owner's list, new links and revocation, and
//! the routes a link's page calls without an account. The token arrives
//! only in the body of `POST /public/open` (the page reads it from the
//! URL's fragment, which browsers never send); what it opens is a session
//! cookie scoped to `/api/v1/public/{id}/`. Every answer about a link is
//! `noindex`. Thin adapters over `crate::library::links`.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pixelunion_catalog::{FileKind, LinkRow};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::download::{content_disposition, placeholder, rendition_answer};
use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::codes::ErrorCode;
use crate::http::error::{ApiError, ErrorBody, OrInternal};
use crate::http::extract::{Authed, JsonBody};
use crate::http::range::{self, Presentation};
use crate::library::links::{self, LinkFile, LinkInfo, LinkPage, LinkView, NewLink, OpenError};

/// The link session cookie's name (one per link, by path).
const COOKIE: &str = "pu_link";
/// Search engines must not index what a link shows.
const NOINDEX: &str = "noindex, nofollow, noarchive";

pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_links, create_link))
        .routes(routes!(revoke_link))
        .routes(routes!(open_link))
        .routes(routes!(link_info))
        .routes(routes!(link_items))
}

pub(super) fn streaming_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(link_thumbnail))
        .routes(routes!(link_preview))
        .routes(routes!(link_original))
        .routes(routes!(link_playback))
}

/// Links.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LinkList {
    /// newest first
    items: Vec<LinkView>,
}

#[utoipa::path(get, path = "/links", tag = "sharing", summary = "My public links, newest first (with their tokens and view counts)",
    responses((status = 200, description = "the links", body = LinkList)))]
pub(crate) async fn list_links(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<LinkList>, ApiError> {
    Ok(Json(LinkList {
        items: links::list(&state, &a.user).await?,
    }))
}

/// A new public link: an album, or some of my items.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateLink {
    /// one of my albums (the link follows it)
    album_id: Option<String>,
    /// or some of my items (at most 500)
    #[serde(default)]
    #[schema(max_items = 500)]
    asset_ids: Vec<String>,
    /// when it stops working (unix ms, in the future)
    #[serde(default, deserialize_with = "crate::http::extract::whole_i64")]
    expires_at: Option<i64>,
    /// a password to ask for (8–200 characters)
    #[schema(min_length = 8, max_length = 200)]
    password: Option<String>,
    /// originals may be downloaded (default false)
    #[serde(default)]
    allow_download: bool,
    /// serve names, times, places and the files' metadata (default false: stripped)
    #[serde(default)]
    keep_metadata: bool,
}

#[utoipa::path(post, path = "/links", tag = "sharing",
    summary = "Make a public link to one of my albums or some of my items (metadata stripped unless `keep_metadata`)",
    request_body = CreateLink,
    responses(
        (status = 201, description = "the link; open it at `/s#` followed by its token", body = LinkView),
        (status = 400, description = "`too-many` or `bad-request`", body = ErrorBody),
        (status = 404, description = "no such album of mine", body = ErrorBody),
        (status = 422, description = "`bad-link` or `not-your-asset`", body = ErrorBody),
    ))]
pub(crate) async fn create_link(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    JsonBody(body): JsonBody<CreateLink>,
) -> Result<(StatusCode, Json<LinkView>), ApiError> {
    let new = NewLink {
        album_id: body.album_id,
        asset_ids: body.asset_ids,
        expires_at: body.expires_at,
        password: body.password.map(Zeroizing::new),
        allow_download: body.allow_download,
        keep_metadata: body.keep_metadata,
    };
    Ok((
        StatusCode::CREATED,
        Json(links::create(&state, &a.user, new).await?),
    ))
}

/// A revoked link.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Revoked {
    /// always true
    revoked: bool,
}

#[utoipa::path(delete, path = "/links/{id}", tag = "sharing", summary = "Revoke one of my links at once (it answers 404 like a wrong one)",
    params(("id" = String, Path, description = "link id")),
    responses((status = 200, description = "revoked", body = Revoked)))]
pub(crate) async fn revoke_link(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    links::revoke(&state, &a.user, &id).await?;
    Ok(Json(Revoked { revoked: true }))
}

/// What opens a link.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenLink {
    /// the token (from the link's `#` part)
    #[schema(max_length = 64)]
    token: String,
    /// its password, if it has one
    #[schema(max_length = 200)]
    password: Option<String>,
}

fn noindex(mut r: Response) -> Response {
    r.headers_mut()
        .insert("x-robots-tag", HeaderValue::from_static(NOINDEX));
    r
}

impl From<OpenError> for ApiError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::NotFound => ApiError::not_found(),
            OpenError::PasswordNeeded => ApiError::new(ErrorCode::PasswordNeeded, e.to_string()),
            OpenError::Throttled(secs) => ApiError::new(
                ErrorCode::TooManyAttempts,
                format!("too many attempts; try again in {secs} s"),
            )
            .with_header("retry-after", secs.to_string()),
            OpenError::Library(l) => l.into(),
        }
    }
}

#[utoipa::path(post, path = "/public/open", tag = "public",
    summary = "Open a public link with its token (and password): sets a session cookie for the link's paths; a wrong token, wrong password, expired or revoked link all answer 404",
    request_body = OpenLink,
    responses(
        (status = 200, description = "opened", body = LinkInfo),
        (status = 400, description = "`bad-request`", body = ErrorBody),
        (status = 401, description = "`password-needed`", body = ErrorBody),
        (status = 404, description = "no such link", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(crate) async fn open_link(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<OpenLink>,
) -> Result<Response, ApiError> {
    let token = Zeroizing::new(body.token);
    let opened = links::open(&state, &token, body.password.map(Zeroizing::new), peer.ip())
        .await
        .map_err(|e| noindex_error(e.into()))?;
    let info = links::info(&state, &opened.link).await?;
    let cookie = format!(
        "{COOKIE}={}; Path=/api/v1/public/{}/; Secure; HttpOnly; SameSite=Strict; Max-Age={}",
        opened.session, opened.link.id, opened.max_age
    );
    let mut r = noindex(Json(info).into_response());
    let h = r.headers_mut();
    h.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).or_internal()?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

fn noindex_error(e: ApiError) -> ApiError {
    e.with_header("x-robots-tag", NOINDEX)
}

/// The link a request's session cookie opens, or 404.
async fn session(state: &AppState, id: &str, headers: &HeaderMap) -> Result<LinkRow, ApiError> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='));
    let Some(value) = value else {
        return Err(noindex_error(ApiError::not_found()));
    };
    links::session(state, id, value)
        .await
        .map_err(|e| noindex_error(e.into()))
}

#[utoipa::path(get, path = "/public/{id}", tag = "public", summary = "What an opened link shows of itself (needs its session cookie)",
    params(("id" = String, Path, description = "link id")),
    responses(
        (status = 200, description = "the link", body = LinkInfo),
        (status = 404, description = "not opened, revoked or expired", body = ErrorBody),
    ))]
pub(crate) async fn link_info(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let link = session(&state, &id, &headers).await?;
    Ok(noindex(
        Json(links::info(&state, &link).await?).into_response(),
    ))
}

/// A page of a link's items.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ItemsQuery {
    /// the previous page's `next_cursor`
    #[param(max_length = 200)]
    cursor: Option<String>,
    /// items per page (1–200, default 100)
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/public/{id}/items", tag = "public", summary = "A page of an opened link's items, newest first",
    params(("id" = String, Path, description = "link id"), ItemsQuery),
    responses(
        (status = 200, description = "the items", body = LinkPage),
        (status = 400, description = "`bad-limit` or `bad-request`", body = ErrorBody),
        (status = 404, description = "not opened, revoked or expired", body = ErrorBody),
        (status = 422, description = "`bad-cursor`", body = ErrorBody),
    ))]
pub(crate) async fn link_items(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<ItemsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let link = session(&state, &id, &headers).await?;
    let Query(q) =
        q.map_err(|r| ApiError::bad_request(format!("bad query parameters: {}", r.body_text())))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::new(ErrorCode::BadLimit, "limit is 1 to 200"));
    }
    let cursor =
        match q.cursor.as_deref() {
            Some(c) => Some(pixelunion_wire::decode_cursor(c).ok_or_else(|| {
                ApiError::new(ErrorCode::BadCursor, "not a cursor this server made")
            })?),
            None => None,
        };
    let page = links::items(&state, &link, cursor, limit).await?;
    Ok(noindex(Json(page).into_response()))
}

async fn rendition(
    state: &AppState,
    id: &str,
    asset: &str,
    kind: FileKind,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let link = session(state, id, headers).await?;
    let Some((bytes, mime, etag)) = links::rendition(state, &link, asset, kind)
        .await
        .map_err(|e| noindex_error(e.into()))?
    else {
        return Ok(noindex(placeholder(None)));
    };
    if range::not_modified(headers, &etag) {
        return Ok(noindex(range::not_modified_response(&etag)));
    }
    Ok(noindex(rendition_answer(
        bytes,
        &mime,
        &etag,
        "private, no-cache",
    )?))
}

#[utoipa::path(get, path = "/public/{id}/assets/{asset}/thumbnail", tag = "public", summary = "An opened link's item: grid thumbnail (re-encoded JPEG, no metadata)",
    params(("id" = String, Path, description = "link id"), ("asset" = String, Path, description = "item id")),
    responses(
        (status = 200, description = "the thumbnail, or a placeholder", content((Vec<u8> = "image/jpeg"), (String = "image/svg+xml"))),
        (status = 304, description = "not modified"),
        (status = 404, description = "not opened, revoked, expired, or not one of its items", body = ErrorBody),
    ))]
pub(crate) async fn link_thumbnail(
    State(state): State<AppState>,
    Path((id, asset)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    rendition(&state, &id, &asset, FileKind::Thumbnail, &headers).await
}

#[utoipa::path(get, path = "/public/{id}/assets/{asset}/preview", tag = "public", summary = "An opened link's item: viewer preview (re-encoded JPEG, no metadata)",
    params(("id" = String, Path, description = "link id"), ("asset" = String, Path, description = "item id")),
    responses(
        (status = 200, description = "the preview, or a placeholder", content((Vec<u8> = "image/jpeg"), (String = "image/svg+xml"))),
        (status = 304, description = "not modified"),
        (status = 404, description = "not opened, revoked, expired, or not one of its items", body = ErrorBody),
    ))]
pub(crate) async fn link_preview(
    State(state): State<AppState>,
    Path((id, asset)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    rendition(&state, &id, &asset, FileKind::Preview, &headers).await
}

#[utoipa::path(get, path = "/public/{id}/assets/{asset}/original", tag = "public",
    summary = "An opened link's item: the original, when the link allows downloads (without its metadata and name unless the link keeps them)",
    params(
        ("id" = String, Path, description = "link id"),
        ("asset" = String, Path, description = "item id"),
        ("Range" = Option<String>, Header, description = "`bytes=a-b`, `bytes=a-` or `bytes=-n` (videos and kept originals)"),
    ),
    responses(
        (status = 200, description = "the file", content_type = "*/*", body = Vec<u8>),
        (status = 206, description = "the requested range", content_type = "*/*", body = Vec<u8>),
        (status = 304, description = "not modified"),
        (status = 403, description = "`no-download`", body = ErrorBody),
        (status = 404, description = "not opened, revoked, expired, or not one of its items", body = ErrorBody),
        (status = 409, description = "`no-clean-copy`: this format is only shared with its metadata", body = ErrorBody),
        (status = 416, description = "`range-not-satisfiable`", body = ErrorBody),
    ))]
pub(crate) async fn link_original(
    State(state): State<AppState>,
    Path((id, asset)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let link = session(&state, &id, &headers).await?;
    let file = links::original(&state, &link, &asset)
        .await
        .map_err(|e| noindex_error(e.into()))?;
    let r = match file {
        LinkFile::Ranged(f) => {
            let name = match (&f.file_name, link.keep_metadata) {
                (Some(n), true) => Some(n.clone()),
                _ => None,
            };
            let disposition = content_disposition(Some(
                name.as_deref()
                    .unwrap_or(&format!("{asset}.{}", ext(&f.mime))),
            ));
            range::serve(
                &state,
                &headers,
                &f,
                Presentation {
                    cache_control: "private, no-cache",
                    disposition: Some(&disposition),
                },
            )
            .await?
        }
        LinkFile::Whole { bytes, mime, name } => {
            let mut r = Response::new(Body::from(bytes));
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&mime).or_internal()?,
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::CONTENT_DISPOSITION,
                content_disposition(Some(&name)),
            );
            r
        }
    };
    Ok(noindex(r))
}

/// A file name extension for a media type.
fn ext(mime: &str) -> &'static str {
    match mime {
        "video/mp4" => "mp4",
        "video/quicktime" => "mov",
        "video/3gpp" => "3gp",
        "video/webm" => "webm",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "bin",
    }
}

#[utoipa::path(get, path = "/public/{id}/assets/{asset}/playback", tag = "public",
    summary = "An opened link's video for a player (HTTP Range; without its metadata unless the link keeps it)",
    params(
        ("id" = String, Path, description = "link id"),
        ("asset" = String, Path, description = "item id"),
        ("Range" = Option<String>, Header, description = "`bytes=a-b`, `bytes=a-` or `bytes=-n`"),
    ),
    responses(
        (status = 200, description = "the whole file", content_type = "video/*", body = Vec<u8>),
        (status = 206, description = "the requested range", content_type = "video/*", body = Vec<u8>),
        (status = 304, description = "not modified"),
        (status = 404, description = "`not-a-video`, or not opened, revoked, expired, or not one of its items", body = ErrorBody),
        (status = 409, description = "`no-clean-copy`: this format is only shared with its metadata", body = ErrorBody),
        (status = 416, description = "`range-not-satisfiable`", body = ErrorBody),
    ))]
pub(crate) async fn link_playback(
    State(state): State<AppState>,
    Path((id, asset)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let link = session(&state, &id, &headers).await?;
    let file = links::playback(&state, &link, &asset)
        .await
        .map_err(|e| noindex_error(e.into()))?;
    let r = range::serve(
        &state,
        &headers,
        &file,
        Presentation {
            cache_control: "private, no-cache",
            disposition: None,
        },
    )
    .await?;
    Ok(noindex(r))
}
