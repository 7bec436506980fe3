//! `pixelunion export --server URL --token-file F --to FILE`: asks the
//! server for an export of the library (or reuses a ready one), waits while
//! it is prepared, and downloads it with progress into `FILE.part`, resuming
//! with `Range`/`If-Range` where an earlier run stopped (the sidecar
//! `FILE.part.json` names the export and its validator), then renames it.

use std::io::{IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use futures::StreamExt;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

#[derive(Args)]
pub(crate) struct ExportArgs {
    /// The server's address (`https://photos.example.org`).
    #[arg(long, value_name = "URL")]
    server: String,
    /// A file holding an API token (`read` or `full` scope) or a session
    /// token; never pass a token as an argument.
    #[arg(long, value_name = "FILE")]
    token_file: PathBuf,
    /// Where to write the ZIP.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
    /// A CA certificate to trust (a self-signed server's `tls/cert.pem`);
    /// default: the usual public roots.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Ask for a new export even if a ready one exists.
    #[arg(long)]
    new: bool,
}

pub(crate) fn http(ca: Option<&Path>) -> Result<reqwest::Client> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                roots.add(cert.with_context(|| format!("reading {}", path.display()))?)?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .https_only(true)
        .connect_timeout(Duration::from_secs(30))
        .build()?)
}

/// The JSON body of a success; the server's message for anything else.
pub(crate) async fn json(resp: reqwest::Response) -> Result<Value> {
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let msg = body["error"]["message"]
            .as_str()
            .unwrap_or("request failed");
        bail!("{msg} ({status})");
    }
    Ok(body)
}

pub(crate) async fn run(a: ExportArgs) -> Result<()> {
    let token = std::fs::read_to_string(&a.token_file)
        .with_context(|| format!("reading {}", a.token_file.display()))?;
    let token = token.trim();
    let base = a.server.trim_end_matches('/');
    let client = http(a.ca_cert.as_deref())?;
    let get = |path: String| client.get(format!("{base}{path}")).bearer_auth(token);

    // A ready export to reuse, else a new one.
    let list = json(
        get("/api/v1/exports".into())
            .send()
            .await
            .context("cannot reach the server")?,
    )
    .await?;
    let ready = list["items"]
        .as_array()
        .and_then(|xs| xs.iter().find(|x| x["state"] == "ready"))
        .filter(|_| !a.new)
        .cloned();
    let mut export = match ready {
        Some(x) => x,
        None => {
            let preparing = list["items"]
                .as_array()
                .and_then(|xs| xs.iter().find(|x| x["state"] == "preparing"))
                .cloned();
            match preparing {
                Some(x) => x,
                None => {
                    json(
                        client
                            .post(format!("{base}/api/v1/exports"))
                            .bearer_auth(token)
                            .send()
                            .await?,
                    )
                    .await?
                }
            }
        }
    };
    let id = export["id"].as_str().context("no export id")?.to_string();
    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("preparing");
    while export["state"] == "preparing" {
        bar.set_length(export["entries"].as_u64().unwrap_or(0));
        bar.set_position(export["done"].as_u64().unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(500)).await;
        export = json(get(format!("/api/v1/exports/{id}")).send().await?).await?;
    }
    if export["state"] != "ready" {
        bail!(
            "the export failed: {}",
            export["error"].as_str().unwrap_or("no reason given")
        );
    }
    let total = export["archive_bytes"]
        .as_u64()
        .context("no archive size")?;

    // Resume what an earlier run of this export left.
    let part = a.to.with_extension(
        a.to.extension()
            .map(|e| format!("{}.part", e.to_string_lossy()))
            .unwrap_or_else(|| "part".into()),
    );
    let sidecar = part.with_extension("part.json");
    let previous: Option<Value> = std::fs::read(&sidecar)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(false)
        .write(true)
        .truncate(false)
        .open(&part)
        .with_context(|| format!("opening {}", part.display()))?;
    let mut have = match &previous {
        Some(p) if p["id"] == id.as_str() => file.metadata()?.len().min(total),
        _ => 0,
    };
    let mut req = get(format!("/api/v1/exports/{id}/archive"));
    let etag = previous
        .as_ref()
        .and_then(|p| p["etag"].as_str().map(str::to_string));
    if have > 0 {
        req = req
            .header("range", format!("bytes={have}-"))
            .header("if-range", etag.clone().unwrap_or_default());
    }
    let resp = req.send().await.context("cannot reach the server")?;
    let status = resp.status();
    if !status.is_success() {
        json(resp).await?;
        bail!("the download was refused ({status})");
    }
    if status != reqwest::StatusCode::PARTIAL_CONTENT {
        have = 0; // the whole archive comes (first run, or it changed)
    } else {
        tracing::info!(at = have, "resuming the download");
        let _ = writeln!(std::io::stderr(), "resuming at byte {have} of {total}");
    }
    let new_etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    std::fs::write(
        &sidecar,
        serde_json::to_vec(&serde_json::json!({"id": id, "etag": new_etag}))?,
    )?;
    file.set_len(have)?;
    file.seek(std::io::SeekFrom::Start(have))?;
    bar.set_message("downloading");
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_length(total);
    bar.set_position(have);
    let mut body = resp.bytes_stream();
    let mut written = have;
    while let Some(piece) = body.next().await {
        let piece =
            piece.context("the download was cut off; run the same command again to resume")?;
        file.write_all(&piece)?;
        written += piece.len() as u64;
        bar.set_position(written);
    }
    file.sync_all()?;
    bar.finish_and_clear();
    if written != total {
        bail!(
            "the download stopped at byte {written} of {total}; run the same command again to resume"
        );
    }
    std::fs::rename(&part, &a.to)?;
    let _ = std::fs::remove_file(&sidecar);
    let _ = writeln!(
        std::io::stderr(),
        "{} written: {} items, {total} bytes",
        a.to.display(),
        export["entries"]
    );
    Ok(())
}
