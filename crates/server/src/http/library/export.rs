//! Exports of one's own library: ask for one (prepared in the background),
//! see how far it is, download it with HTTP Range (resume after a dropped
//! connection), delete it. API tokens with `read` or `full` scope may do all
//! of it (the command line's `pixelunion export`).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::Authed;
use crate::http::range::{self, Presentation};
use crate::library::export::{self, ExportView};

/// The JSON routes.
pub(super) fn json_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_exports, create_export))
        .routes(routes!(get_export, delete_export))
}

/// The download.
pub(super) fn streaming_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download_export))
}

/// The caller's exports.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Exports {
    /// newest first
    items: Vec<ExportView>,
}

#[utoipa::path(get, path = "/exports", tag = "export", summary = "Your library exports, newest first",
    responses((status = 200, description = "exports", body = Exports)))]
pub(crate) async fn list_exports(
    State(state): State<AppState>,
    a: Authed<gate::Export>,
) -> Result<Json<Exports>, ApiError> {
    Ok(Json(Exports {
        items: export::list(&state, &a.user).await?,
    }))
}

#[utoipa::path(post, path = "/exports", tag = "export", summary = "Export your whole library: every original byte for byte (a folder per year and month) and metadata.json with every detail the service holds; prepared in the background, then downloadable with Range for 7 days",
    responses(
        (status = 202, description = "being prepared", body = ExportView),
        (status = 409, description = "`export-in-progress`", body = ErrorBody),
    ))]
pub(crate) async fn create_export(
    State(state): State<AppState>,
    a: Authed<gate::Export>,
) -> Result<(StatusCode, Json<ExportView>), ApiError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(export::create(&state, &a.user).await?),
    ))
}

#[utoipa::path(get, path = "/exports/{id}", tag = "export", summary = "One of your exports: its state and progress",
    params(("id" = String, Path, description = "export id")),
    responses((status = 200, description = "the export", body = ExportView)))]
pub(crate) async fn get_export(
    State(state): State<AppState>,
    a: Authed<gate::Export>,
    Path(id): Path<String>,
) -> Result<Json<ExportView>, ApiError> {
    Ok(Json(export::get(&state, &a.user, &id).await?))
}

/// Deleted.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ExportDeleted {
    /// always true
    deleted: bool,
}

#[utoipa::path(delete, path = "/exports/{id}", tag = "export", summary = "Delete one of your exports",
    params(("id" = String, Path, description = "export id")),
    responses((status = 200, description = "deleted", body = ExportDeleted)))]
pub(crate) async fn delete_export(
    State(state): State<AppState>,
    a: Authed<gate::Export>,
    Path(id): Path<String>,
) -> Result<Json<ExportDeleted>, ApiError> {
    export::delete(&state, &a.user, &id).await?;
    Ok(Json(ExportDeleted { deleted: true }))
}

#[utoipa::path(get, path = "/exports/{id}/archive", tag = "export", summary = "Download a ready export as one ZIP (HTTP Range and If-Range: resume where a dropped download stopped)",
    params(("id" = String, Path, description = "export id")),
    responses(
        (status = 200, description = "the whole archive", content_type = "application/zip"),
        (status = 206, description = "the range asked for", content_type = "application/zip"),
        (status = 409, description = "`export-not-ready`", body = ErrorBody),
    ))]
pub(crate) async fn download_export(
    State(state): State<AppState>,
    a: Authed<gate::Export>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let archive = export::open(&state, &a.user, &id).await?;
    let (status, span, partial) = match range::decide(&headers, archive.len, &archive.etag) {
        Ok(d) => d,
        Err(done) => return Ok(*done),
    };
    if span.start == 0 {
        crate::audit::record(
            &state,
            crate::audit::Event::new(Some(&a.user.id), "export.download", Some(&id), "success"),
        )
        .await;
    }
    let disposition = super::download::content_disposition(Some(&archive.file_name));
    let mut resp = Response::new(Body::from_stream(archive.stream(&state, span.clone())));
    *resp.status_mut() = status;
    range::describe(
        &mut resp,
        "application/zip",
        archive.len,
        &span,
        partial,
        &archive.etag,
        Presentation {
            cache_control: "private, no-store",
            disposition: Some(&disposition),
        },
    )?;
    Ok(resp)
}
