//! The photo library: upload (multipart field `file`, or the raw body),
//! timeline pages, one asset, the original with HTTP Range, and trash.
//! Every query is scoped to the caller, so another user's id is a 404.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use pixelunion_catalog::{AssetRow, CatalogError, UserRow};
use pixelunion_store::{BlobName, StoreError};
use pixelunion_vault::field::{self, FieldContext};
use pixelunion_vault::{DataKey, ObjectId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::accounts::Authed;
use crate::accounts::principal::gate;
use crate::error::{ApiError, ErrorBody, OrInternal};

/// Bytes fetched and decrypted per step when streaming an original.
const WINDOW: u64 = 1 << 20;
const TOO_LARGE: &str = "file exceeds the upload limit";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets", get(list).post(upload))
        .route("/assets/{id}", get(get_one).delete(trash))
        .route("/assets/{id}/original", get(original))
}

fn now_ms() -> i64 {
    crate::accounts::now() * 1000
}

/// Media types accepted, decided from the content (never the name).
fn sniff(head: &[u8]) -> Option<(&'static str, &'static str)> {
    let t = infer::get(head)?;
    let kind = match t.mime_type() {
        "image/jpeg"
        | "image/png"
        | "image/webp"
        | "image/gif"
        | "image/heif"
        | "image/heic"
        | "image/avif"
        | "image/tiff"
        | "image/x-canon-cr2"
        | "image/x-nikon-nef"
        | "image/x-sony-arw"
        | "image/x-olympus-orf"
        | "image/x-panasonic-rw2"
        | "image/x-fujifilm-raf"
        | "image/x-adobe-dng" => "photo",
        "video/mp4" | "video/quicktime" | "video/webm" | "video/x-matroska" | "video/3gpp"
        | "video/x-m4v" => "video",
        _ => return None,
    };
    Some((kind, t.mime_type()))
}

fn file_name_ctx<'a>(owner: &'a str, id: &'a str) -> FieldContext<'a> {
    FieldContext {
        owner: owner.as_bytes(),
        table: "assets",
        column: "file_name",
        row: id.as_bytes(),
    }
}

fn asset_json(key: Option<&DataKey>, a: &AssetRow) -> Value {
    let name = key
        .zip(a.file_name.as_ref())
        .and_then(|(k, ct)| field::decrypt_string(k, &file_name_ctx(&a.owner_id, &a.id), ct).ok())
        .map(|n| n.to_string());
    json!({
        "id": a.id,
        "kind": a.kind,
        "mime": a.mime,
        "size": a.size,
        "file_name": name,
        "taken_at": a.taken_at,
        "uploaded_at": a.uploaded_at,
        "favorite": a.favorite,
        "archived": a.archived,
        "trashed": a.trashed_at.is_some(),
    })
}

fn error(status: StatusCode, code: &'static str, msg: &str) -> ApiError {
    ApiError::new(status, code, msg)
}

/// Encrypts an incoming stream into the primary store while hashing it, then
/// records the asset (or returns the existing one for identical content).
async fn ingest<S, E>(
    state: &AppState,
    user: &UserRow,
    file_name: Option<String>,
    mut src: S,
) -> Result<(StatusCode, Value), ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    let interrupted = || {
        error(
            StatusCode::BAD_REQUEST,
            "upload-interrupted",
            "the upload ended before the file was complete",
        )
    };
    let mut head = BytesMut::new();
    while head.len() < 512 {
        match src.next().await {
            Some(Ok(b)) => head.extend_from_slice(&b),
            Some(Err(_)) => return Err(interrupted()),
            None => break,
        }
    }
    if head.is_empty() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "empty-file",
            "the file is empty",
        ));
    }
    let (kind, mime) = sniff(&head).ok_or_else(|| {
        error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "not a photo or video format PixelUnion stores (JPEG, PNG, WebP, GIF, HEIC/HEIF, AVIF, TIFF/DNG, RAW, MP4, MOV, WebM, MKV, 3GP)",
        )
    })?;
    let key = crate::accounts::key_for(state, user)?;
    let id = uuid::Uuid::now_v7();
    let id_text = id.to_string();
    let max = state
        .config()
        .library
        .max_upload_mib
        .saturating_mul(1 << 20);
    let hasher = Arc::new(Mutex::new(pixelunion_vault::Sha256Stream::default()));
    let count = Arc::new(AtomicU64::new(0));
    let (h, c) = (hasher.clone(), count.clone());
    let stream = futures::stream::once(async move { Ok::<Bytes, String>(head.freeze()) })
        .chain(src.map(|r| r.map_err(|e| e.to_string())))
        .map(move |r| {
            let b = r?;
            if c.fetch_add(b.len() as u64, Ordering::Relaxed) + b.len() as u64 > max {
                return Err(TOO_LARGE.to_string());
            }
            h.lock().unwrap_or_else(|e| e.into_inner()).update(&b);
            Ok(b)
        });
    let primary = &state.stores().primary;
    let stored = match primary
        .put_encrypted_stream(&key, ObjectId(*id.as_bytes()), Box::pin(stream))
        .await
    {
        Ok(s) => s,
        Err(StoreError::Source(m)) if m == TOO_LARGE => {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file-too-large",
                &format!("files may be at most {} MiB", max >> 20),
            ));
        }
        Err(StoreError::Source(_)) => return Err(interrupted()),
        Err(e) => return Err(ApiError::internal(&e)),
    };
    let digest = Arc::try_unwrap(hasher)
        .map_err(|_| ApiError::internal(&"hasher still shared"))?
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .finish();
    let index = pixelunion_vault::blind_index::user_blind_index(&key, "content", &digest)
        .or_internal()?
        .to_bytes()
        .to_vec();
    let catalog = state.catalog();
    let new_blob = stored.name.clone();
    let duplicate = |existing: AssetRow| async move {
        let _ = primary.delete(&new_blob).await;
        Ok((
            StatusCode::OK,
            json!({"duplicate": true, "asset": asset_json(Some(&crate::accounts::key_for(state, user)?), &existing)}),
        ))
    };
    if let Some(existing) = catalog
        .asset_by_content(&user.id, &index)
        .await
        .or_internal()?
    {
        return duplicate(existing).await;
    }
    let file_name_ct = match file_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(n) => Some(
            field::encrypt_str(
                &key,
                &file_name_ctx(&user.id, &id_text),
                &n.chars().take(255).collect::<String>(),
            )
            .or_internal()?,
        ),
        None => None,
    };
    let now = now_ms();
    let row = AssetRow {
        id: id_text,
        owner_id: user.id.clone(),
        blob_name: stored.name.as_str().to_string(),
        kind: kind.into(),
        mime: mime.into(),
        size: count.load(Ordering::Relaxed) as i64,
        content_index: index.clone(),
        file_name: file_name_ct,
        taken_at: None,
        uploaded_at: now,
        sort_at: now,
        trashed_at: None,
        favorite: false,
        archived: false,
    };
    match catalog.insert_asset(&row).await {
        Ok(()) => Ok((
            StatusCode::CREATED,
            json!({"duplicate": false, "asset": asset_json(Some(&key), &row)}),
        )),
        Err(CatalogError::AlreadyExists) => {
            let existing = catalog
                .asset_by_content(&user.id, &index)
                .await
                .or_internal()?
                .ok_or_else(|| ApiError::internal(&"duplicate vanished"))?;
            duplicate(existing).await
        }
        Err(e) => {
            let _ = primary.delete(&stored.name).await;
            Err(ApiError::internal(&e))
        }
    }
}

#[utoipa::path(post, path = "/api/v1/assets", tag = "library", summary = "Upload a photo or video: multipart field `file`, or the raw body (name in `X-File-Name`); encrypted as it streams; identical content returns the existing asset", request_body(content = Vec<u8>, description = "the file", content_type = "application/octet-stream"), responses((status = 201, description = "stored"), (status = 200, description = "duplicate: the existing asset"), (status = 415, description = "unsupported-media-type", body = ErrorBody), (status = 413, description = "file-too-large", body = ErrorBody), (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not allowed", body = ErrorBody)))]
pub(super) async fn upload(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (status, v) = if is_multipart {
        let mut mp = Multipart::from_request(req, &state).await.map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "bad-multipart",
                "malformed multipart body",
            )
        })?;
        loop {
            let field = mp
                .next_field()
                .await
                .map_err(|_| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "bad-multipart",
                        "malformed multipart body",
                    )
                })?
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        "missing-file",
                        "send the file in a multipart field named \"file\"",
                    )
                })?;
            if field.name() == Some("file") {
                let name = field.file_name().map(str::to_string);
                break ingest(&state, &a.user, name, field).await?;
            }
        }
    } else {
        let name = req
            .headers()
            .get("x-file-name")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        ingest(&state, &a.user, name, req.into_body().into_data_stream()).await?
    };
    Ok((status, Json(v)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(super) struct ListQuery {
    /// opaque cursor from the previous page
    cursor: Option<String>,
    /// page size, 1–500 (default 200)
    limit: Option<i64>,
    /// list the trash instead of the timeline
    #[serde(default)]
    trashed: bool,
}

fn encode_cursor(a: &AssetRow) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", a.sort_at, a.id))
}

fn decode_cursor(c: &str) -> Option<(i64, String)> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (at, id) = text.split_once(':')?;
    Some((at.parse().ok()?, id.to_string()))
}

#[utoipa::path(get, path = "/api/v1/assets", tag = "library", summary = "Timeline page, newest first (keyset pagination)", params(ListQuery), responses((status = 200, description = "{items, next_cursor}"), (status = 400, description = "bad cursor or limit", body = ErrorBody), (status = 401, description = "not signed in", body = ErrorBody)))]
pub(super) async fn list(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "bad query parameters",
        )
    })?;
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
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "bad-cursor",
                "the cursor is not one this server made",
            )
        })?),
    };
    let rows = state
        .catalog()
        .timeline(
            &a.user.id,
            q.trashed,
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
        json!({"items": rows.iter().map(|r| asset_json(Some(&key), r)).collect::<Vec<_>>(), "next_cursor": next}),
    ))
}

async fn owned(state: &AppState, user: &UserRow, id: &str) -> Result<AssetRow, ApiError> {
    state
        .catalog()
        .asset(&user.id, id)
        .await
        .or_internal()?
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "library", summary = "One asset (only its owner sees it)", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the asset"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(super) async fn get_one(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let asset = owned(&state, &a.user, &id).await?;
    Ok(Json(asset_json(
        Some(&crate::accounts::key_for(&state, &a.user)?),
        &asset,
    )))
}

#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "library", summary = "Move an asset to the trash", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "trashed"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(super) async fn trash(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let asset = owned(&state, &a.user, &id).await?;
    if asset.trashed_at.is_none() {
        state
            .catalog()
            .trash_asset(&a.user.id, &id, now_ms())
            .await
            .or_internal()?;
    }
    Ok(Json(json!({"id": id, "trashed": true})))
}

/// Parses a single `bytes=` range against `len`: `None` = serve everything;
/// `Some(Err)` = unsatisfiable (416).
fn parse_range(value: &str, len: u64) -> Option<Result<Range<u64>, ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // multiple ranges: answer with the whole file (allowed by RFC 9110)
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let r = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return Some(Err(()));
        }
        len.saturating_sub(n)..len
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len
        } else {
            b.parse::<u64>().ok()?.saturating_add(1).min(len)
        };
        if start >= len || start >= end {
            return Some(Err(()));
        }
        start..end
    };
    Some(Ok(r))
}

fn content_disposition(name: Option<&str>) -> HeaderValue {
    let name = name.unwrap_or("original");
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/original", tag = "library", summary = "Download the original (HTTP Range, ETag); decrypts only the segments a range touches", params(("id" = String, Path, description = "asset id")), responses((status = 200, description = "the whole file"), (status = 206, description = "the requested range"), (status = 304, description = "not modified"), (status = 416, description = "range not satisfiable"), (status = 404, description = "no such asset of yours", body = ErrorBody)))]
pub(super) async fn original(
    State(state): State<AppState>,
    a: Authed<gate::OwnLibrary>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let asset = owned(&state, &a.user, &id).await?;
    let key = crate::accounts::key_for(&state, &a.user)?;
    let len = u64::try_from(asset.size).unwrap_or(0);
    let etag = format!("\"{}\"", asset.id);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let range = match headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .and_then(|v| parse_range(v, len))
    {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(())) => {
            return Ok((
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response());
        }
    };
    let (status, span) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..len),
    };
    let name = asset
        .file_name
        .as_ref()
        .and_then(|ct| {
            field::decrypt_string(&key, &file_name_ctx(&asset.owner_id, &asset.id), ct).ok()
        })
        .map(|n| n.to_string());
    let blob = BlobName::parse(&asset.blob_name).or_internal()?;
    let object = ObjectId(*uuid::Uuid::parse_str(&asset.id).or_internal()?.as_bytes());
    let store = state.stores().primary.clone();
    // Size and header are read once; each window then fetches only its segments.
    let opened = Arc::new(store.open_encrypted(&blob).await.or_internal()?);
    let key = Arc::new(key);
    let body = futures::stream::unfold(span.start, move |pos| {
        let (store, key, opened) = (store.clone(), key.clone(), opened.clone());
        let end = span.end;
        async move {
            if pos >= end {
                return None;
            }
            let to = (pos + WINDOW).min(end);
            match store.read_decrypted(&key, object, &opened, pos..to).await {
                Ok(v) => Some((Ok(Bytes::from(v)), to)),
                Err(e) => {
                    tracing::error!(error = %e, "original stream failed; aborting the response");
                    Some((Err(std::io::Error::other("blob read failed")), end))
                }
            }
        }
    });
    let mut resp = Response::new(Body::from_stream(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&asset.mime).or_internal()?,
    );
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(span_len(&range, len)),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).or_internal()?);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(name.as_deref()),
    );
    if let Some(r) = &range {
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&format!("bytes {}-{}/{len}", r.start, r.end - 1))
                .or_internal()?,
        );
    }
    Ok(resp)
}

fn span_len(range: &Option<Range<u64>>, len: u64) -> u64 {
    range.as_ref().map_or(len, |r| r.end - r.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-0", 10), Some(Ok(0..1)));
        assert_eq!(parse_range("bytes=2-", 10), Some(Ok(2..10)));
        assert_eq!(parse_range("bytes=-3", 10), Some(Ok(7..10)));
        assert_eq!(parse_range("bytes=-30", 10), Some(Ok(0..10)));
        assert_eq!(parse_range("bytes=5-100", 10), Some(Ok(5..10)));
        assert_eq!(parse_range("bytes=10-", 10), Some(Err(())));
        assert_eq!(parse_range("bytes=-0", 10), Some(Err(())));
        assert_eq!(parse_range("bytes=7-3", 10), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,4-5", 10), None);
        assert_eq!(parse_range("items=0-1", 10), None);
        assert_eq!(parse_range("bytes=x-1", 10), None);
    }

    #[test]
    fn sniffing_goes_by_content() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0]),
            Some(("photo", "image/jpeg"))
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(("photo", "image/png"))
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom"),
            Some(("video", "video/mp4"))
        );
        assert_eq!(sniff(b"%PDF-1.7 not a photo"), None);
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
    }

    #[test]
    fn disposition_is_safe_and_keeps_unicode() {
        let v = content_disposition(Some("Fête \"été\".jpg"));
        let s = v.to_str().expect("ascii header");
        assert!(s.contains("filename=\"F_te __t__.jpg\""), "{s}");
        assert!(
            s.contains("filename*=UTF-8''F%C3%AAte%20%22%C3%A9t%C3%A9%22.jpg"),
            "{s}"
        );
    }
}
