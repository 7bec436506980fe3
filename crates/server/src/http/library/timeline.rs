//! The timeline over HTTP: query parameters parsed into a filter, pages of
//! assets, per-month counts, the caller's storage usage.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use pixelunion_catalog::{AssetKind, MonthFacets, TimelineFilter};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::codes::ErrorCode;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::Authed;
use crate::library::quota::{self, Usage};
use crate::library::timeline::{self, MonthCount, Page};

pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(months))
        .routes(routes!(usage))
}

/// The page size asked for (`default` when none), refused (`bad-limit`)
/// outside 1 to `max`.
pub(super) fn page_size(limit: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::BadLimit,
            format!("limit must be between 1 and {max}"),
        ));
    }
    Ok(limit)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// opaque cursor from the previous page
    #[param(nullable = false)]
    cursor: Option<String>,
    /// page size, 1–500 (default 200)
    #[param(minimum = 1, maximum = 500, nullable = false)]
    limit: Option<i64>,
    /// list the trash instead of the timeline
    #[serde(default)]
    trashed: bool,
    /// `photo` or `video`
    #[param(value_type = Option<AssetKind>, nullable = false)]
    kind: Option<String>,
    /// `true`: favourites only; `false`: all but favourites
    #[param(nullable = false)]
    favorite: Option<bool>,
    /// `true`: the archive; `false` (the default, unless `album` is given): hide archived items
    #[param(nullable = false)]
    archived: Option<bool>,
    /// only this album's items
    #[param(nullable = false)]
    album: Option<String>,
    /// from this time on: unix milliseconds, `YYYY-MM-DD` or RFC 3339 (inclusive)
    #[param(nullable = false)]
    from: Option<String>,
    /// before this time: unix milliseconds, `YYYY-MM-DD` or RFC 3339 (exclusive)
    #[param(nullable = false)]
    to: Option<String>,
}

pub(super) fn bad_query(r: &QueryRejection) -> ApiError {
    ApiError::bad_request(format!("bad query parameters: {}", r.body_text()))
}

pub(super) fn parse_kind(k: Option<&str>) -> Result<Option<AssetKind>, ApiError> {
    k.map(|k| {
        AssetKind::parse(k)
            .ok_or_else(|| ApiError::new(ErrorCode::BadKind, "kind must be photo or video"))
    })
    .transpose()
}

pub(super) fn parse_time(v: Option<&str>) -> Result<Option<i64>, ApiError> {
    v.map(|t| {
        pixelunion_wire::parse_time(t).ok_or_else(|| {
            ApiError::new(
                ErrorCode::BadTime,
                "from/to take unix milliseconds, YYYY-MM-DD or an RFC 3339 time",
            )
        })
    })
    .transpose()
}

#[utoipa::path(get, path = "/assets", tag = "library",
    summary = "Timeline page, newest first by capture time (else upload time), keyset-paginated, with filters",
    params(ListQuery),
    responses(
        (status = 200, description = "one page", body = Page),
        (status = 400, description = "`bad-limit`, `bad-kind` or `bad-request`: a parameter breaks its schema", body = ErrorBody),
        (status = 422, description = "`bad-cursor` (not one this server made) or `bad-time` (not a time)", body = ErrorBody),
        (status = 404, description = "no such album of yours", body = ErrorBody),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let Query(q) = q.map_err(|r| bad_query(&r))?;
    let limit = page_size(q.limit, 200, 500)?;
    let cursor = q
        .cursor
        .as_deref()
        .map(|c| {
            pixelunion_wire::decode_cursor(c).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::BadCursor,
                    "the cursor is not one this server made",
                )
            })
        })
        .transpose()?;
    let filter = TimelineFilter {
        trashed: q.trashed,
        kind: parse_kind(q.kind.as_deref())?,
        favorite: q.favorite,
        archived: match (q.archived, &q.album, q.trashed) {
            (Some(v), _, _) => Some(v),
            (None, None, false) => Some(false),
            (None, _, _) => None,
        },
        from_ms: parse_time(q.from.as_deref())?,
        to_ms: parse_time(q.to.as_deref())?,
        album: q.album,
    };
    Ok(Json(
        timeline::page(&state, &a.user, &filter, cursor, limit).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MonthsQuery {
    /// `photo` or `video`
    #[param(value_type = Option<AssetKind>, nullable = false)]
    kind: Option<String>,
    /// favourites only / all but favourites
    #[param(nullable = false)]
    favorite: Option<bool>,
    /// archive only / hide archived (default)
    #[param(nullable = false)]
    archived: Option<bool>,
}

/// Items per month.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Months {
    /// newest first
    months: Vec<MonthCount>,
}

#[utoipa::path(get, path = "/library/months", tag = "library",
    summary = "Items per month (UTC) outside the trash, newest first, for a date scrubber; kept incrementally",
    params(MonthsQuery),
    responses(
        (status = 200, description = "the counts", body = Months),
        (status = 400, description = "`bad-kind` or `bad-request`", body = ErrorBody),
    ))]
pub(crate) async fn months(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    q: Result<Query<MonthsQuery>, QueryRejection>,
) -> Result<Json<Months>, ApiError> {
    let Query(q) = q.map_err(|r| bad_query(&r))?;
    let facets = MonthFacets {
        kind: parse_kind(q.kind.as_deref())?,
        favorite: q.favorite,
        archived: Some(q.archived.unwrap_or(false)),
    };
    Ok(Json(Months {
        months: timeline::months(&state, &a.user, &facets).await?,
    }))
}

#[utoipa::path(get, path = "/library/usage", tag = "library",
    summary = "My storage: bytes and items stored (trash included), unfinished uploads, quota",
    responses((status = 200, description = "usage and quota", body = Usage)))]
pub(crate) async fn usage(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<Usage>, ApiError> {
    Ok(Json(quota::usage(&state, &a.user).await?))
}
