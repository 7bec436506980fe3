//! Resumable uploads: the tus 1.0.0 protocol, core + `creation` +
//! `termination` (<https://tus.io/protocols/resumable-upload>).
//!
//! `POST /uploads` with `Upload-Length` reserves the space (size limit and
//! quota are checked then); each `PATCH` at the current `Upload-Offset`
//! stores what it receives as one encrypted part — also when the connection
//! drops half-way, because the part is written by a task that outlives the
//! request — so the client resumes from the `Upload-Offset` a `HEAD` reports.
//! When the last byte arrives the parts are decrypted in order and streamed
//! through the normal ingest (type sniffing, hashing, duplicate check,
//! encryption into one blob); the asset id is returned in
//! `PixelUnion-Asset-Id`. Plaintext never touches disk: parts are ciphertext.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{head, post};
use bytes::Bytes;
use futures::StreamExt;
use pixelunion_catalog::{CatalogError, UploadRow, UserRow};
use pixelunion_store::{BlobName, EncryptedObject};

use super::ingest::{WriteLease, ingest, object_id_of, quota_exceeded, quota_left, too_large};
use super::{error, now_ms, open_text, seal_text};
use crate::AppState;
use crate::accounts::Authed;
use crate::accounts::principal::gate;
use crate::error::{ApiError, ErrorBody, OrInternal};

const TUS_VERSION: &str = "1.0.0";
const WINDOW: u64 = 1 << 20;
/// Header carrying the finished upload's asset id.
pub(crate) const ASSET_HEADER: &str = "pixelunion-asset-id";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/uploads", post(create).options(options))
        .route(
            "/uploads/{id}",
            head(status).patch(append).delete(terminate),
        )
}

fn tus(status: StatusCode) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    r
}

fn set(r: &mut Response, name: &'static str, value: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        r.headers_mut().insert(name, v);
    }
}

fn check_version(h: &HeaderMap) -> Result<(), ApiError> {
    match h.get("tus-resumable").and_then(|v| v.to_str().ok()) {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(error(
            StatusCode::PRECONDITION_FAILED,
            "tus-version",
            "send Tus-Resumable: 1.0.0 (the only version supported)",
        )
        .with_header("tus-version", TUS_VERSION)),
    }
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn metadata_file_name(h: &HeaderMap) -> Option<String> {
    pixelunion_wire::tus_file_name(h.get("upload-metadata")?.to_str().ok()?)
}

async fn own_upload(state: &AppState, owner: &str, id: &str) -> Result<UploadRow, ApiError> {
    state
        .catalog()
        .upload(owner, id)
        .await
        .or_internal()?
        .ok_or_else(ApiError::not_found)
}

#[utoipa::path(options, path = "/api/v1/uploads", tag = "library", summary = "tus discovery: version, extensions (creation, termination) and the size limit", responses((status = 204, description = "Tus-Version, Tus-Extension, Tus-Max-Size")))]
pub(crate) async fn options(State(state): State<AppState>, _a: Authed<gate::Upload>) -> Response {
    let mut r = tus(StatusCode::NO_CONTENT);
    set(&mut r, "tus-version", TUS_VERSION);
    set(&mut r, "tus-extension", "creation,termination");
    set(
        &mut r,
        "tus-max-size",
        state
            .config()
            .library
            .max_upload_mib
            .saturating_mul(1 << 20),
    );
    r
}

#[utoipa::path(post, path = "/api/v1/uploads", tag = "library", summary = "tus creation: start a resumable upload of Upload-Length bytes (Upload-Metadata `filename`); checks the size limit and quota now", responses((status = 201, description = "Location of the upload"), (status = 400, description = "missing Upload-Length", body = ErrorBody), (status = 412, description = "unsupported Tus-Resumable", body = ErrorBody), (status = 413, description = "file-too-large or quota-exceeded", body = ErrorBody)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_version(&headers)?;
    if headers.contains_key("upload-defer-length") {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "defer-length",
            "Upload-Defer-Length is not supported: send Upload-Length",
        ));
    }
    let length = header_u64(&headers, "upload-length").ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "upload-length",
            "send Upload-Length: the file's size in bytes",
        )
    })?;
    if length == 0 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "empty-file",
            "the file is empty",
        ));
    }
    if length
        > state
            .config()
            .library
            .max_upload_mib
            .saturating_mul(1 << 20)
    {
        return Err(too_large(&state));
    }
    if length > quota_left(&state, &a.user).await? {
        return Err(quota_exceeded());
    }
    let key = crate::accounts::key_for(&state, &a.user)?;
    let id = uuid::Uuid::now_v7().to_string();
    let file_name = match metadata_file_name(&headers) {
        Some(n) if !n.trim().is_empty() => Some(seal_text(
            &key,
            &a.user.id,
            "uploads",
            "file_name",
            &id,
            &n.trim().chars().take(255).collect::<String>(),
        )?),
        _ => None,
    };
    let now = now_ms();
    state
        .catalog()
        .create_upload(&UploadRow {
            id: id.clone(),
            owner_id: a.user.id.clone(),
            length: length as i64,
            received: 0,
            file_name,
            created_at: now,
            expires_at: now + expiry_ms(&state),
            busy_until: None,
            asset_id: None,
        })
        .await
        .or_internal()?;
    let mut r = tus(StatusCode::CREATED);
    set(&mut r, "location", format!("/api/v1/uploads/{id}"));
    set(&mut r, "upload-offset", 0);
    Ok(r)
}

fn expiry_ms(state: &AppState) -> i64 {
    state.config().library.resumable_expiry_hours as i64 * 3_600_000
}

/// How long a writer's hold on an upload lasts without renewal: short, so
/// that a client resumes soon after a crashed server comes back (tus clients
/// retry 409/423), and renewed every third of it while the writer works.
fn lease_ms(state: &AppState) -> i64 {
    (state.config().library.write_lease_secs as i64 * 1000).min(30_000)
}

/// Renews an upload's hold until dropped.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    fn start(state: &AppState, id: &str) -> Self {
        let (state, id) = (state.clone(), id.to_string());
        Heartbeat(tokio::spawn(async move {
            let every = lease_ms(&state) / 3;
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(every.max(1) as u64)).await;
                if let Err(e) = state
                    .catalog()
                    .renew_upload_claim(&id, now_ms() + lease_ms(&state))
                    .await
                {
                    tracing::warn!(error = %e, "could not renew a resumable upload's hold");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn progress(up: &UploadRow, offset: i64) -> Response {
    let mut r = tus(StatusCode::NO_CONTENT);
    set(&mut r, "upload-offset", offset);
    set(&mut r, "upload-length", up.length);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[utoipa::path(head, path = "/api/v1/uploads/{id}", tag = "library", summary = "tus: how many bytes the server has (Upload-Offset); PixelUnion-Asset-Id once complete", params(("id" = String, Path, description = "upload id")), responses((status = 204, description = "Upload-Offset, Upload-Length"), (status = 404, description = "no such upload of yours", body = ErrorBody)))]
pub(crate) async fn status(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let up = own_upload(&state, &a.user.id, &id).await?;
    check_version(&headers)?;
    if up.asset_id.is_none() && up.received == up.length {
        // Every byte arrived but assembling was interrupted: finish it now.
        let now = now_ms();
        if state
            .catalog()
            .claim_upload(&a.user.id, &id, up.length, now, now + lease_ms(&state))
            .await
            .or_internal()?
        {
            let (s, u, row) = (state.clone(), a.user.clone(), up.clone());
            tokio::spawn(async move {
                let _hold = Heartbeat::start(&s, &row.id);
                if let Err(e) = finish(&s, &u, &row).await {
                    tracing::warn!(code = e.code(), "finishing a resumable upload failed");
                }
            });
        }
    }
    let mut r = progress(&up, up.received);
    if let Some(asset) = &up.asset_id {
        set(&mut r, ASSET_HEADER, asset);
    }
    Ok(r)
}

#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "library", summary = "tus: send bytes from Upload-Offset (Content-Type application/offset+octet-stream); what arrives is kept even if the connection drops", params(("id" = String, Path, description = "upload id")), request_body(content = Vec<u8>, description = "the next bytes", content_type = "application/offset+octet-stream"), responses((status = 204, description = "new Upload-Offset; PixelUnion-Asset-Id when complete"), (status = 409, description = "offset-mismatch", body = ErrorBody), (status = 423, description = "busy: another request holds the upload", body = ErrorBody), (status = 415, description = "wrong Content-Type, or the finished file is not a photo or video", body = ErrorBody), (status = 404, description = "no such upload of yours", body = ErrorBody)))]
pub(crate) async fn append(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let up = own_upload(&state, &a.user.id, &id).await?;
    let headers = req.headers();
    check_version(headers)?;
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type",
            "send Content-Type: application/offset+octet-stream",
        ));
    }
    let offset = header_u64(headers, "upload-offset").ok_or_else(|| {
        error(
            StatusCode::BAD_REQUEST,
            "upload-offset",
            "send Upload-Offset: the offset this request's bytes start at",
        )
    })? as i64;
    if let Some(asset) = &up.asset_id {
        if offset == up.length {
            let mut r = progress(&up, up.length);
            set(&mut r, ASSET_HEADER, asset);
            return Ok(r);
        }
        return Err(offset_mismatch());
    }
    if offset != up.received {
        return Err(offset_mismatch());
    }
    let now = now_ms();
    if !state
        .catalog()
        .claim_upload(&a.user.id, &id, offset, now, now + lease_ms(&state))
        .await
        .or_internal()?
    {
        return Err(error(
            StatusCode::LOCKED,
            "busy",
            "another request is writing this upload; ask HEAD for the offset and retry shortly",
        ));
    }
    // The part is written by a task of its own: if the client goes away the
    // request future is dropped, but what arrived is still stored.
    let body = req.into_body();
    let (s, u) = (state.clone(), a.user.clone());
    let task = tokio::spawn(async move {
        let hold = Heartbeat::start(&s, &up.id);
        let r = write_part(&s, &u, &up, offset, body).await;
        drop(hold);
        if let Err(e) = s.catalog().release_upload(&up.id).await {
            tracing::warn!(error = %e, "could not release a resumable upload");
        }
        r
    });
    task.await.or_internal()?
}

fn offset_mismatch() -> ApiError {
    error(
        StatusCode::CONFLICT,
        "offset-mismatch",
        "Upload-Offset is not where this upload stands; ask HEAD for the offset",
    )
}

async fn write_part(
    state: &AppState,
    user: &UserRow,
    up: &UploadRow,
    offset: i64,
    body: Body,
) -> Result<Response, ApiError> {
    let key = crate::accounts::key_for(state, user)?;
    let room = (up.length - offset).max(0) as u64;
    let blob = BlobName::random();
    let lease = WriteLease::begin(state, &blob).await?;
    let got = Arc::new(AtomicU64::new(0));
    let overflow = Arc::new(AtomicBool::new(false));
    let (g, o, l) = (got.clone(), overflow.clone(), lease.clone());
    // Ends quietly at a dropped connection (keeping what arrived) or at the
    // declared length (flagging anything beyond it).
    let stream =
        futures::stream::unfold((body.into_data_stream(), false), move |(mut src, stop)| {
            let (g, o, l) = (g.clone(), o.clone(), l.clone());
            async move {
                if stop {
                    return None;
                }
                match src.next().await {
                    Some(Ok(mut b)) => {
                        let left = room - g.load(Ordering::Relaxed);
                        if b.len() as u64 > left {
                            b.truncate(left as usize);
                            o.store(true, Ordering::Relaxed);
                        }
                        g.fetch_add(b.len() as u64, Ordering::Relaxed);
                        l.touch();
                        let stop = o.load(Ordering::Relaxed);
                        Some((Ok::<Bytes, String>(b), (src, stop)))
                    }
                    Some(Err(_)) | None => None,
                }
            }
        });
    let stored = match state
        .stores()
        .primary
        .put_encrypted_stream(&key, object_id_of(&blob)?, blob.clone(), Box::pin(stream))
        .await
    {
        Ok(s) => s,
        Err(e) => {
            lease.abandon().await;
            return Err(ApiError::internal(&e));
        }
    };
    let len = stored.plaintext_len as i64;
    if len == 0 {
        lease.abandon().await;
        return Ok(progress(up, offset));
    }
    match state
        .catalog()
        .add_upload_part(
            &up.id,
            offset,
            blob.as_str(),
            len,
            now_ms() + expiry_ms(state),
        )
        .await
    {
        Ok(()) => {}
        Err(CatalogError::NotFound) => {
            lease.abandon().await;
            return Err(ApiError::not_found());
        }
        Err(e) => {
            lease.abandon().await;
            return Err(ApiError::internal(&e));
        }
    }
    let new_offset = offset + len;
    if overflow.load(Ordering::Relaxed) {
        return Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "upload-length-exceeded",
            "more bytes than Upload-Length; the bytes up to it were kept",
        ));
    }
    if new_offset < up.length {
        return Ok(progress(up, new_offset));
    }
    let asset = finish(state, user, up).await?;
    let mut r = progress(up, new_offset);
    set(&mut r, ASSET_HEADER, asset);
    Ok(r)
}

/// Reads the parts back in order, decrypting window by window.
fn parts_stream(
    state: &AppState,
    key: pixelunion_vault::DataKey,
    parts: Vec<(BlobName, u64)>,
) -> impl futures::Stream<Item = Result<Bytes, String>> + Send + Unpin + 'static {
    struct At {
        i: usize,
        pos: u64,
        opened: Option<EncryptedObject>,
    }
    let store = state.stores().primary.clone();
    let key = Arc::new(key);
    let parts = Arc::new(parts);
    Box::pin(futures::stream::unfold(
        At {
            i: 0,
            pos: 0,
            opened: None,
        },
        move |mut at| {
            let (store, key, parts) = (store.clone(), key.clone(), parts.clone());
            async move {
                let fail = |e: String, parts: &Vec<(BlobName, u64)>| {
                    Some((
                        Err(e),
                        At {
                            i: parts.len(),
                            pos: 0,
                            opened: None,
                        },
                    ))
                };
                loop {
                    let (name, len) = parts.get(at.i)?;
                    if at.pos >= *len {
                        at = At {
                            i: at.i + 1,
                            pos: 0,
                            opened: None,
                        };
                        continue;
                    }
                    let opened = match at.opened.take() {
                        Some(o) => o,
                        None => match store.open_encrypted(name).await {
                            Ok(o) if o.plaintext_len() == *len => o,
                            Ok(_) => return fail("part length mismatch".into(), &parts),
                            Err(e) => return fail(e.to_string(), &parts),
                        },
                    };
                    let Ok(object) = object_id_of(name) else {
                        return fail("bad part name".into(), &parts);
                    };
                    let to = (at.pos + WINDOW).min(*len);
                    return match store
                        .read_decrypted(&key, object, &opened, at.pos..to)
                        .await
                    {
                        Ok(v) => Some((
                            Ok(Bytes::from(v)),
                            At {
                                i: at.i,
                                pos: to,
                                opened: Some(opened),
                            },
                        )),
                        Err(e) => fail(e.to_string(), &parts),
                    };
                }
            }
        },
    ))
}

/// Assembles a complete upload into an asset; returns the asset id. A file
/// that is not a photo or video ends the upload (its parts are deleted).
async fn finish(state: &AppState, user: &UserRow, up: &UploadRow) -> Result<String, ApiError> {
    let key = crate::accounts::key_for(state, user)?;
    let c = state.catalog();
    let parts = c
        .upload_parts(&up.id)
        .await
        .or_internal()?
        .into_iter()
        .map(|(n, l)| Ok((BlobName::parse(&n)?, l.max(0) as u64)))
        .collect::<Result<Vec<_>, pixelunion_store::StoreError>>()
        .or_internal()?;
    let name = open_text(
        &key,
        &up.owner_id,
        "uploads",
        "file_name",
        &up.id,
        up.file_name.as_ref(),
    );
    let stream = parts_stream(state, key, parts);
    let done = ingest(state, user, name, u64::MAX, stream).await;
    let (_, v) = match done {
        Ok(d) => d,
        Err(e) => {
            if e.status().is_client_error() {
                c.delete_upload(None, &up.id, now_ms())
                    .await
                    .or_internal()?;
                crate::background::wake(state);
            } else {
                let _ = c.release_upload(&up.id).await;
            }
            return Err(e);
        }
    };
    let asset = v["asset"]["id"]
        .as_str()
        .ok_or_else(|| ApiError::internal(&"ingest answered without an id"))?
        .to_string();
    let now = now_ms();
    c.complete_upload(&up.id, &asset, now, now + expiry_ms(state))
        .await
        .or_internal()?;
    crate::background::wake(state);
    Ok(asset)
}

#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "library", summary = "tus termination: abandon an upload and delete what was received", params(("id" = String, Path, description = "upload id")), responses((status = 204, description = "terminated"), (status = 404, description = "no such upload of yours", body = ErrorBody)))]
pub(crate) async fn terminate(
    State(state): State<AppState>,
    a: Authed<gate::Upload>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    own_upload(&state, &a.user.id, &id).await?;
    check_version(&headers)?;
    if !state
        .catalog()
        .delete_upload(Some(&a.user.id), &id, now_ms())
        .await
        .or_internal()?
    {
        return Err(ApiError::not_found());
    }
    crate::background::wake(&state);
    Ok(tus(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_required() {
        let mut h = HeaderMap::new();
        assert!(check_version(&h).is_err());
        h.insert("tus-resumable", HeaderValue::from_static("0.2.2"));
        assert!(check_version(&h).is_err());
        h.insert("tus-resumable", HeaderValue::from_static("1.0.0"));
        assert!(check_version(&h).is_ok());
    }
}
