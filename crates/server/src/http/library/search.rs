//! Search over HTTP: the query parameters into a [`search::Query`], the
//! hits as asset views; the search box's suggestions.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use pixelunion_catalog::AssetKind;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::timeline::{bad_query, page_size, parse_kind, parse_time};
use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::Authed;
use crate::library::search::{self, Found, Suggestions};

pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find))
        .routes(routes!(suggest))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// words to find (all of them, any case) in file names, captions,
    /// camera names and capture years; at most 200 characters
    #[param(nullable = false, max_length = 200)]
    q: Option<String>,
    /// `photo` or `video`
    #[param(value_type = Option<AssetKind>, nullable = false)]
    kind: Option<String>,
    /// `true`: favourites only; `false`: all but favourites
    #[param(nullable = false)]
    favorite: Option<bool>,
    /// the camera, or part of its name (any case); at most 200 characters
    #[param(nullable = false, max_length = 200)]
    camera: Option<String>,
    /// the place: the nearest town, its region or country, or part of one
    /// (any case; named offline from a built-in list); at most 200 characters
    #[param(nullable = false, max_length = 200)]
    place: Option<String>,
    /// only this album's items (one of the caller's albums)
    #[param(nullable = false)]
    album: Option<String>,
    /// from this time on: unix milliseconds, `YYYY-MM-DD` or RFC 3339 (inclusive)
    #[param(nullable = false)]
    from: Option<String>,
    /// before this time: unix milliseconds, `YYYY-MM-DD` or RFC 3339 (exclusive)
    #[param(nullable = false)]
    to: Option<String>,
    /// how many hits to return, 1–200 (default 60)
    #[param(minimum = 1, maximum = 200, nullable = false)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/search", tag = "library",
    summary = "Search one's own library (decrypted in memory, never stored): words in file names, captions, cameras, places, years and the names of its albums, with kind, favourite, camera, place and time filters; newest first",
    params(SearchQuery),
    responses(
        (status = 200, description = "the first hits and how many there are", body = Found),
        (status = 400, description = "`query-too-long`, `bad-limit`, `bad-kind` or `bad-request`", body = ErrorBody),
        (status = 404, description = "no such album of yours", body = ErrorBody),
        (status = 422, description = "`bad-time`", body = ErrorBody),
    ))]
pub(crate) async fn find(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<Found>, ApiError> {
    let Query(q) = q.map_err(|r| bad_query(&r))?;
    let limit = usize::try_from(page_size(q.limit, 60, 200)?)
        .map_err(|_| ApiError::bad_request("limit must be between 1 and 200"))?;
    let query = search::Query {
        text: q.q,
        from_ms: parse_time(q.from.as_deref())?,
        to_ms: parse_time(q.to.as_deref())?,
        kind: parse_kind(q.kind.as_deref())?,
        favorite: q.favorite,
        camera: q.camera,
        place: q.place,
        album: q.album,
    };
    Ok(Json(search::search(&state, &a.user, &query, limit).await?))
}

#[utoipa::path(get, path = "/search/suggestions", tag = "library",
    summary = "What the search box suggests: one's cameras and places (most used first) and years",
    responses((status = 200, description = "the suggestions", body = Suggestions)))]
pub(crate) async fn suggest(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<Suggestions>, ApiError> {
    Ok(Json(search::suggestions(&state, &a.user).await?))
}
