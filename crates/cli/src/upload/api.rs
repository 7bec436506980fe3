//! The server's API as the importer uses it: which files it has
//! (`/assets/exists`), tus uploads (create, offset, append, abandon), an
//! asset's state and edits, and albums. Busy answers (429, 503) are waited
//! out as the server asks (`Retry-After`).

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// A connection to one server with one token.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// How a tus append ended.
pub(crate) enum Appended {
    /// all bytes are there: the asset (new, or the one with these bytes)
    Complete(String),
    /// the server has this many bytes
    Partial(u64),
}

/// A refusal the file itself earned (not the connection): no retry helps.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Refused(pub String);

const BUSY_TRIES: u32 = 30;

impl Api {
    pub(crate) fn new(http: reqwest::Client, base: &str, token: &str) -> Api {
        Api {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
        }
    }

    /// The server's address.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    /// Sends what `make` builds, waiting out busy answers.
    async fn send(&self, make: impl Fn() -> RequestBuilder) -> Result<Response> {
        for _ in 0..BUSY_TRIES {
            let resp = make()
                .send()
                .await
                .with_context(|| format!("cannot reach {}", self.base))?;
            if resp.status() == StatusCode::TOO_MANY_REQUESTS
                || resp.status() == StatusCode::SERVICE_UNAVAILABLE
            {
                tokio::time::sleep(retry_after(&resp)).await;
                continue;
            }
            return Ok(resp);
        }
        bail!("the server stayed busy")
    }

    async fn json(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let resp = self
            .send(|| {
                let r = self.req(method.clone(), path);
                match &body {
                    Some(b) => r.json(b),
                    None => r,
                }
            })
            .await?;
        crate::export::json(resp).await
    }

    /// Which of these digests the library has: digest → asset id.
    pub(crate) async fn existing(&self, sha256: &[String]) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for chunk in sha256.chunks(1000) {
            let v = self
                .json(
                    Method::POST,
                    "/api/v1/assets/exists",
                    Some(json!({ "sha256": chunk })),
                )
                .await?;
            if let Some(m) = v["existing"].as_object() {
                out.extend(
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))),
                );
            }
        }
        Ok(out)
    }

    /// Begins a tus upload; its address.
    pub(crate) async fn create(&self, name: &str, size: u64) -> Result<String> {
        use base64::Engine;
        let meta = format!(
            "filename {}",
            base64::engine::general_purpose::STANDARD.encode(name.as_bytes())
        );
        let resp = self
            .send(|| {
                self.req(Method::POST, "/api/v1/uploads")
                    .header("tus-resumable", "1.0.0")
                    .header("upload-length", size)
                    .header("upload-metadata", &meta)
            })
            .await?;
        if resp.status() != StatusCode::CREATED {
            return Err(refusal(resp).await);
        }
        resp.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("the server gave no upload address"))
    }

    /// Where an upload stands: `Ok(None)` when the server no longer has it.
    pub(crate) async fn offset(&self, location: &str) -> Result<Option<Appended>> {
        let resp = self
            .send(|| {
                self.req(Method::HEAD, location)
                    .header("tus-resumable", "1.0.0")
            })
            .await?;
        if resp.status() == StatusCode::NOT_FOUND || resp.status() == StatusCode::GONE {
            return Ok(None);
        }
        if !resp.status().is_success() {
            bail!(
                "the server answered {} for an upload's offset",
                resp.status()
            );
        }
        Ok(Some(appended(&resp)?))
    }

    /// Sends `body` (the file from `offset`) to the upload at `location`.
    pub(crate) async fn append(
        &self,
        location: &str,
        offset: u64,
        body: reqwest::Body,
    ) -> Result<Appended> {
        let resp = self
            .req(Method::PATCH, location)
            .header("tus-resumable", "1.0.0")
            .header("upload-offset", offset)
            .header("content-type", "application/offset+octet-stream")
            .body(body)
            .send()
            .await
            .context("the connection broke")?;
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            tokio::time::sleep(retry_after(&resp)).await;
            bail!("busy: {}", resp.status());
        }
        if resp.status().is_server_error()
            || resp.status() == StatusCode::CONFLICT
            || resp.status() == StatusCode::LOCKED
        {
            // retried from the server's offset
            bail!("the server answered {}", resp.status());
        }
        if !resp.status().is_success() {
            return Err(refusal(resp).await);
        }
        appended(&resp)
    }

    /// Abandons an upload (what the server received is deleted).
    pub(crate) async fn abandon(&self, location: &str) {
        let _ = self
            .req(Method::DELETE, location)
            .header("tus-resumable", "1.0.0")
            .send()
            .await;
    }

    /// One asset.
    pub(crate) async fn asset(&self, id: &str) -> Result<Value> {
        self.json(Method::GET, &format!("/api/v1/assets/{id}"), None)
            .await
    }

    /// Edits one asset.
    pub(crate) async fn edit(&self, id: &str, body: Value) -> Result<Value> {
        self.json(Method::PATCH, &format!("/api/v1/assets/{id}"), Some(body))
            .await
    }

    /// The albums: name → id.
    pub(crate) async fn albums(&self) -> Result<Vec<(String, String)>> {
        let v = self.json(Method::GET, "/api/v1/albums", None).await?;
        Ok(v["items"]
            .as_array()
            .map(|xs| {
                xs.iter()
                    .filter_map(|a| {
                        Some((
                            a["name"].as_str()?.to_string(),
                            a["id"].as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Creates an album holding `ids`; its id.
    pub(crate) async fn create_album(&self, name: &str, ids: &[String]) -> Result<String> {
        let v = self
            .json(
                Method::POST,
                "/api/v1/albums",
                Some(json!({ "name": name, "asset_ids": ids })),
            )
            .await?;
        v["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("the server gave no album id"))
    }

    /// Adds `ids` to album `id`.
    pub(crate) async fn add_to_album(&self, id: &str, ids: &[String]) -> Result<()> {
        self.json(
            Method::POST,
            &format!("/api/v1/albums/{id}/assets"),
            Some(json!({ "asset_ids": ids })),
        )
        .await
        .map(|_| ())
    }
}

fn retry_after(resp: &Response) -> Duration {
    let secs = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs.clamp(1, 60))
}

fn appended(resp: &Response) -> Result<Appended> {
    let h = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Some(asset) = h("pixelunion-asset-id") {
        return Ok(Appended::Complete(asset));
    }
    let offset = h("upload-offset")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("the server gave no Upload-Offset"))?;
    Ok(Appended::Partial(offset))
}

/// The server's message for a refusal.
async fn refusal(resp: Response) -> anyhow::Error {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let msg = body["error"]["message"].as_str().unwrap_or("refused");
    if status.is_client_error() {
        Refused(format!("{msg} ({status})")).into()
    } else {
        anyhow!("{msg} ({status})")
    }
}
