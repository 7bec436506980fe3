//! `pixelunion upload PATH… --server URL`: imports files and folders into
//! one's library. Finds the photos and videos (recursively), hashes each
//! (SHA-256) and asks the server which it has already (`/assets/exists`:
//! those are skipped), sends the rest N at a time over tus — resumable: an
//! interrupted run, started again, continues each file from the server's
//! offset (see [`journal`]) — applies Google Takeout sidecars (capture time,
//! place, description) where the file does not say, and with `--albums`
//! makes each folder an album. Progress on the terminal; a summary, an
//! optional JSON report, and a non-zero exit when anything failed. The token
//! comes from a file or the environment, never from an argument (`ps` shows
//! those).

mod api;
mod journal;
mod scan;
mod send;
mod takeout;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use futures::StreamExt;
use serde::Serialize;

use api::Api;

#[derive(Args)]
pub(crate) struct UploadArgs {
    /// Files and folders to upload (folders recursively).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The server's address (`https://photos.example.org`).
    #[arg(long, value_name = "URL")]
    server: String,
    /// A file holding an API token (`full` scope) or a session token.
    /// Without it the token is read from the environment variable
    /// PIXELUNION_TOKEN; never pass a token as an argument.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// A CA certificate to trust (a self-signed server's `tls/cert.pem`);
    /// default: the usual public roots.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Files sent at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=8))]
    jobs: u8,
    /// Find, hash and ask the server, then say what would be sent; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Make each folder an album of the files directly in it (Takeout's
    /// "Photos from YYYY" folders excepted); an album of that name is reused.
    #[arg(long)]
    albums: bool,
    /// Ignore Google Takeout sidecars (`*.json` beside the photos).
    #[arg(long)]
    no_sidecars: bool,
    /// Write a JSON report of every file to FILE.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// The resume journal (default ~/.local/state/pixelunion/uploads.json).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// At most this many bytes per second in all (`500K`, `2M`, `1G`).
    #[arg(long, value_name = "RATE", value_parser = send::parse_rate)]
    limit_rate: Option<u64>,
    /// How long to wait, at most, for the server to process new files before
    /// applying sidecars (seconds); what is still processing then is applied
    /// by the next run.
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    wait: u64,
}

/// What became of one file (the report's lines).
#[derive(Debug, Clone, Serialize)]
struct Line {
    path: PathBuf,
    size: Option<u64>,
    sha256: Option<String>,
    /// `uploaded`, `existing` (the library had it), `duplicate` (the same
    /// bytes as another file of this run), `would-upload` (dry run) or
    /// `failed`
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset_id: Option<String>,
    /// the upload continued an earlier run's from this byte
    #[serde(skip_serializing_if = "Option::is_none")]
    resumed_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    album: Option<String>,
    /// what the Takeout sidecar set (`taken_at`, `place`, `caption`)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sidecar: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The JSON report.
#[derive(Serialize)]
struct Report<'a> {
    server: &'a str,
    dry_run: bool,
    found: usize,
    ignored: usize,
    uploaded: usize,
    existing: usize,
    duplicate: usize,
    failed: usize,
    bytes_sent: u64,
    seconds: f64,
    albums: BTreeMap<String, usize>,
    files: &'a [Line],
}

fn token(a: &UploadArgs) -> Result<String> {
    let token = match &a.token_file {
        Some(f) => {
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?
        }
        None => from_environment().context(
            "give --token-file FILE or set PIXELUNION_TOKEN (an API token from Settings)",
        )?,
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        bail!("the token is empty");
    }
    Ok(token)
}

/// The token from the environment: the client's one setting that is not a
/// flag, so that it never shows in the process list.
#[allow(clippy::disallowed_methods)]
fn from_environment() -> Option<String> {
    std::env::var("PIXELUNION_TOKEN").ok()
}

fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

pub(crate) async fn run(a: UploadArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let token = token(&a)?;
    let http = crate::export::http(a.ca_cert.as_deref())?;
    let api = Api::new(http, &a.server, &token);
    let terminal = std::io::stderr().is_terminal();

    // 1. What is there.
    let found = scan::scan(&a.paths);
    let mut lines: Vec<Line> = Vec::new();
    for (path, why) in &found.unreadable {
        lines.push(failed(path.clone(), None, format!("cannot be read: {why}")));
    }
    say(format_args!(
        "{} photos and videos found ({} other files left out)",
        found.files.len(),
        found.ignored
    ));

    // 2. Hashes, then what the library has.
    let hashed = send::hash_all(&found.files, usize::from(a.jobs), terminal).await;
    let mut todo = Vec::new();
    for (f, h) in found.files.iter().zip(hashed) {
        match h {
            Ok(h) => todo.push((f.clone(), h)),
            Err(e) => lines.push(failed(
                f.path.clone(),
                f.album.clone(),
                format!("cannot be read: {e}"),
            )),
        }
    }
    let digests: Vec<String> = todo.iter().map(|(_, h)| h.sha256.clone()).collect();
    let have: BTreeMap<String, String> = api
        .existing(&digests)
        .await
        .context("asking the server which files it has")?
        .into_iter()
        .collect();

    // 3. Send what it lacks (each content once).
    let mut first_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut to_send = Vec::new();
    for (i, (f, h)) in todo.iter().enumerate() {
        let mut line = Line {
            path: f.path.clone(),
            size: Some(h.size),
            sha256: Some(h.sha256.clone()),
            outcome: "existing",
            asset_id: have.get(&h.sha256).cloned(),
            resumed_at: None,
            album: f.album.clone(),
            sidecar: Vec::new(),
            error: None,
        };
        if line.asset_id.is_none() {
            match first_of.get(&h.sha256) {
                Some(_) => line.outcome = "duplicate",
                None => {
                    first_of.insert(h.sha256.clone(), i);
                    line.outcome = if a.dry_run {
                        "would-upload"
                    } else {
                        "uploaded"
                    };
                    to_send.push(i);
                }
            }
        }
        lines.push(line);
    }
    let offset = lines.len() - todo.len();
    let mut bytes_sent = 0;
    if a.dry_run {
        for &i in &to_send {
            say(format_args!("would upload {}", todo[i].0.path.display()));
        }
    } else if !to_send.is_empty() {
        let journal_path = a.journal.clone().unwrap_or_else(journal::default_path);
        let journal = Arc::new(tokio::sync::Mutex::new(journal::Journal::open(
            &journal_path,
        )));
        let total: u64 = to_send.iter().map(|&i| todo[i].1.size).sum();
        let progress = send::Progress::new(to_send.len() as u64, total, terminal);
        let limiter = a.limit_rate.map(send::Limiter::new).map(Arc::new);
        let results: Vec<(usize, Result<send::Sent>)> =
            futures::stream::iter(to_send.iter().copied())
                .map(|i| {
                    let (f, h) = &todo[i];
                    let (api, journal, progress, limiter) = (
                        api.clone(),
                        journal.clone(),
                        progress.clone(),
                        limiter.clone(),
                    );
                    let (path, hashed) = (f.path.clone(), h.clone());
                    async move {
                        let r =
                            send::upload(&api, &journal, &path, &hashed, &progress, limiter).await;
                        progress.file_done();
                        (i, r)
                    }
                })
                .buffer_unordered(usize::from(a.jobs))
                .collect()
                .await;
        progress.finish();
        let mut assets: BTreeMap<String, String> = BTreeMap::new();
        for (i, r) in results {
            let line = &mut lines[offset + i];
            match r {
                Ok(sent) => {
                    bytes_sent += sent.bytes;
                    line.resumed_at = sent.resumed_at;
                    assets.insert(todo[i].1.sha256.clone(), sent.asset_id.clone());
                    line.asset_id = Some(sent.asset_id);
                }
                Err(e) => {
                    line.outcome = "failed";
                    line.error = Some(format!("{e:#}"));
                }
            }
        }
        for line in &mut lines[offset..] {
            if line.outcome == "duplicate" {
                line.asset_id = line.sha256.as_ref().and_then(|s| assets.get(s).cloned());
                if line.asset_id.is_none() {
                    line.outcome = "failed";
                    line.error = Some("the file with the same bytes failed".into());
                }
            }
        }
    }

    // 4. Sidecars, then albums.
    if !a.dry_run && !a.no_sidecars {
        send::apply_sidecars(&api, &mut lines[offset..], a.wait).await;
    }
    let mut albums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if a.albums {
        for l in &lines {
            if let (Some(album), Some(id)) = (&l.album, &l.asset_id) {
                albums.entry(album.clone()).or_default().push(id.clone());
            }
        }
        if !a.dry_run
            && let Err(e) = send::file_albums(&api, &albums).await
        {
            say(format_args!("albums: {e:#}"));
            lines.push(failed(PathBuf::new(), None, format!("albums: {e:#}")));
        }
    }

    // 5. What happened.
    let count = |o: &str| lines.iter().filter(|l| l.outcome == o).count();
    let failures: Vec<&Line> = lines.iter().filter(|l| l.outcome == "failed").collect();
    for l in &failures {
        say(format_args!(
            "failed: {}: {}",
            l.path.display(),
            l.error.as_deref().unwrap_or("unknown")
        ));
    }
    let seconds = started.elapsed().as_secs_f64();
    say(format_args!(
        "{} {}, {} already in the library, {} duplicates in this run, {} failed; {} MiB sent in {:.1} s",
        count(if a.dry_run {
            "would-upload"
        } else {
            "uploaded"
        }),
        if a.dry_run { "to upload" } else { "uploaded" },
        count("existing"),
        count("duplicate"),
        failures.len(),
        bytes_sent >> 20,
        seconds
    ));
    if let Some(path) = &a.report {
        let report = Report {
            server: api.base(),
            dry_run: a.dry_run,
            found: found.files.len(),
            ignored: found.ignored,
            uploaded: count("uploaded"),
            existing: count("existing"),
            duplicate: count("duplicate"),
            failed: failures.len(),
            bytes_sent,
            seconds,
            albums: albums.iter().map(|(k, v)| (k.clone(), v.len())).collect(),
            files: &lines,
        };
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !failures.is_empty() {
        bail!("{} of {} files failed", failures.len(), lines.len());
    }
    Ok(())
}

fn failed(path: PathBuf, album: Option<String>, error: String) -> Line {
    Line {
        path,
        size: None,
        sha256: None,
        outcome: "failed",
        asset_id: None,
        resumed_at: None,
        album,
        sidecar: Vec::new(),
        error: Some(error),
    }
}
