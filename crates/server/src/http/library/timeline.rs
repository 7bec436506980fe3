//! The timeline: keyset pages newest first with filters, the per-month
//! counts for a date scrubber (read from trigger-kept counters, never a
//! GROUP BY over the assets), and the caller's storage usage.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use pixelunion_catalog::{MonthFacets, TimelineFilter};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{asset_json, error};
use crate::AppState;
use crate::accounts::Authed;
use crate::accounts::principal::gate;
use crate::error::{ApiError, ErrorBody, OrInternal};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets", get(list))
        .route("/library/months", get(months))
        .route("/library/usage", get(usage))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct ListQuery {
    /// opaque cursor from the previous page
    cursor: Option<String>,
    /// page size, 1–500 (default 200)
    limit: Option<i64>,
    /// list the trash instead of the timeline
    #[serde(default)]
    trashed: bool,
    /// `photo` or `video`
    kind: Option<String>,
    /// `true`: favourites only; `false`: all but favourites
    favorite: Option<bool>,
    /// `true`: the archive; `false` (the default, unless `album` is given): hide archived items
    archived: Option<bool>,
    /// only this album's items
    album: Option<String>,
    /// from this time on: unix milliseconds, `YYYY-MM-DD` or RFC 3339 (inclusive)
    from: Option<String>,
    /// before this time: unix milliseconds, `YYYY-MM-DD` or RFC 3339 (exclusive)
    to: Option<String>,
}

fn bad_query() -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "bad query parameters",
    )
}

fn parse_kind(k: Option<String>) -> Result<Option<String>, ApiError> {
    match k.as_deref() {
        None => Ok(None),
        Some("photo" | "video") => Ok(k),
        Some(_) => Err(error(
            StatusCode::BAD_REQUEST,
            "bad-kind",
            "kind must be photo or video",
        )),
    }
}

fn encode_cursor(a: &pixelunion_catalog::AssetRow) -> String {
    pixelunion_wire::encode_cursor(a.sort_at, &a.id)
}

#[utoipa::path(get, path = "/api/v1/assets", tag = "library", summary = "Timeline page, newest first by capture time (else upload time), keyset-paginated, with filters", params(ListQuery), responses((status = 200, description = "{items, next_cursor}"), (status = 400, description = "bad cursor, limit, kind or time", body = ErrorBody), (status = 404, description = "no such album of yours", body = ErrorBody), (status = 401, description = "not signed in", body = ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|_| bad_query())?;
    let limit = q.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad-limit",
            "limit must be between 1 and 500",
        ));
    }
    let cursor = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(pixelunion_wire::decode_cursor(c).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "bad-cursor",
                "the cursor is not one this server made",
            )
        })?),
    };
    let time = |v: &Option<String>| -> Result<Option<i64>, ApiError> {
        v.as_deref()
            .map(|t| {
                pixelunion_wire::parse_time(t).ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "bad-time",
                        "from/to take unix milliseconds, YYYY-MM-DD or an RFC 3339 time",
                    )
                })
            })
            .transpose()
    };
    if let Some(album) = &q.album {
        state
            .catalog()
            .album(&a.user.id, album)
            .await
            .or_internal()?
            .ok_or_else(ApiError::not_found)?;
    }
    let filter = TimelineFilter {
        trashed: q.trashed,
        kind: parse_kind(q.kind)?,
        favorite: q.favorite,
        archived: match (q.archived, &q.album, q.trashed) {
            (Some(v), _, _) => Some(v),
            (None, None, false) => Some(false),
            (None, _, _) => None,
        },
        from_ms: time(&q.from)?,
        to_ms: time(&q.to)?,
        album: q.album,
    };
    let rows = state
        .catalog()
        .timeline(
            &a.user.id,
            &filter,
            cursor.as_ref().map(|(t, i)| (*t, i.as_str())),
            limit,
        )
        .await
        .or_internal()?;
    let key = crate::accounts::key_for(&state, &a.user)?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(encode_cursor))
        .flatten();
    Ok(Json(
        json!({"items": rows.iter().map(|r| asset_json(&key, r)).collect::<Vec<_>>(), "next_cursor": next}),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(crate) struct MonthsQuery {
    /// `photo` or `video`
    kind: Option<String>,
    /// favourites only / all but favourites
    favorite: Option<bool>,
    /// archive only / hide archived (default)
    archived: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/library/months", tag = "library", summary = "Items per month (UTC) outside the trash, newest first, for a date scrubber; kept incrementally", params(MonthsQuery), responses((status = 200, description = "{months: [{month: \"YYYY-MM\", count}]}"), (status = 400, description = "bad parameters", body = ErrorBody)))]
pub(crate) async fn months(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    q: Result<Query<MonthsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|_| bad_query())?;
    let facets = MonthFacets {
        kind: parse_kind(q.kind)?,
        favorite: q.favorite,
        archived: Some(q.archived.unwrap_or(false)),
    };
    let rows = state
        .catalog()
        .month_counts(&a.user.id, &facets)
        .await
        .or_internal()?;
    let months: Vec<Value> = rows
        .iter()
        .map(|(m, n)| json!({"month": format!("{:04}-{:02}", m / 100, m % 100), "count": n}))
        .collect();
    Ok(Json(json!({ "months": months })))
}

#[utoipa::path(get, path = "/api/v1/library/usage", tag = "library", summary = "My storage: bytes and items stored (trash included), unfinished uploads, quota", responses((status = 200, description = "{bytes, assets, reserved_bytes, quota_bytes (null = unlimited)}")))]
pub(crate) async fn usage(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
) -> Result<Json<Value>, ApiError> {
    let c = state.catalog();
    let (bytes, assets) = c.usage(&a.user.id).await.or_internal()?;
    let reserved = c.reserved_upload_bytes(&a.user.id).await.or_internal()?;
    let quota = match c.user_quota(&a.user.id).await.or_internal()? {
        Some(q) => Some(q),
        None => match state.config().library.default_quota_mib {
            0 => None,
            mib => Some((mib as i64).saturating_mul(1 << 20)),
        },
    };
    Ok(Json(json!({
        "bytes": bytes,
        "assets": assets,
        "reserved_bytes": reserved,
        "quota_bytes": quota,
    })))
}
