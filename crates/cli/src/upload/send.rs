//! The importer's work on each file: hashing, sending over tus with retries
//! from the server's offset (recorded in the journal), an optional overall
//! rate limit, progress, and afterwards the sidecars and the albums.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::Mutex;

use super::api::{Api, Appended, Refused};
use super::journal::{Journal, Pending};
use super::scan::Found;
use super::{Line, takeout};

/// A file's digest and size.
#[derive(Debug, Clone)]
pub(crate) struct Hashed {
    pub sha256: String,
    pub size: u64,
}

/// What sending one file came to.
#[derive(Debug)]
pub(crate) struct Sent {
    pub asset_id: String,
    pub resumed_at: Option<u64>,
    pub bytes: u64,
}

const CHUNK: usize = 256 << 10;
const TRIES: u32 = 6;

fn sha256_file(path: &Path) -> std::io::Result<Hashed> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
        size += n as u64;
    }
    let sha256 = hex::encode(ctx.finish());
    Ok(Hashed { sha256, size })
}

/// Hashes every file, `jobs` at a time, in the files' order.
pub(crate) async fn hash_all(
    files: &[Found],
    jobs: usize,
    terminal: bool,
) -> Vec<Result<Hashed, String>> {
    let bar = bar(
        terminal,
        files.len() as u64,
        "hashing {pos}/{len} [{bar:30}] {eta}",
    );
    let out = futures::stream::iter(files.iter().map(|f| f.path.clone()))
        .map(|p| {
            let bar = bar.clone();
            async move {
                let r = tokio::task::spawn_blocking(move || sha256_file(&p))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                bar.inc(1);
                r
            }
        })
        .buffered(jobs)
        .collect()
        .await;
    bar.finish_and_clear();
    out
}

fn bar(terminal: bool, len: u64, template: &str) -> indicatif::ProgressBar {
    let b = if terminal {
        indicatif::ProgressBar::new(len)
    } else {
        indicatif::ProgressBar::hidden()
    };
    b.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// Files and bytes sent, on two bars (files; bytes with rate and ETA).
#[derive(Clone)]
pub(crate) struct Progress {
    files: indicatif::ProgressBar,
    bytes: indicatif::ProgressBar,
}

impl Progress {
    pub(crate) fn new(files: u64, bytes: u64, terminal: bool) -> Progress {
        let multi = indicatif::MultiProgress::new();
        let f = multi.add(bar(terminal, files, "files {pos}/{len} [{bar:30}]"));
        let b = multi.add(bar(
            terminal,
            bytes,
            "bytes {bytes}/{total_bytes} [{bar:30}] {bytes_per_sec} ETA {eta}",
        ));
        Progress { files: f, bytes: b }
    }

    pub(crate) fn file_done(&self) {
        self.files.inc(1);
    }

    pub(crate) fn finish(&self) {
        self.files.finish_and_clear();
        self.bytes.finish_and_clear();
    }
}

/// One rate for all files: a token bucket of one second.
#[derive(Debug)]
pub(crate) struct Limiter {
    per_sec: u64,
    state: std::sync::Mutex<(Instant, f64)>,
}

impl Limiter {
    pub(crate) fn new(per_sec: u64) -> Limiter {
        Limiter {
            per_sec: per_sec.max(1),
            state: std::sync::Mutex::new((Instant::now(), 0.0)),
        }
    }

    /// Waits until `n` more bytes may go.
    async fn take(&self, n: usize) {
        let wait = {
            let Ok(mut s) = self.state.lock() else {
                return;
            };
            let now = Instant::now();
            let rate = self.per_sec as f64;
            // refill since the last call, at most a second's worth
            let elapsed = now.duration_since(s.0).as_secs_f64();
            s.1 = (s.1 + elapsed * rate).min(rate);
            s.0 = now;
            s.1 -= n as f64;
            (s.1 < 0.0).then(|| Duration::from_secs_f64(-s.1 / rate))
        };
        if let Some(w) = wait {
            tokio::time::sleep(w).await;
        }
    }

    fn chunk(&self) -> usize {
        usize::try_from(self.per_sec / 8)
            .unwrap_or(CHUNK)
            .clamp(4096, CHUNK)
    }
}

/// `500K`, `2M`, `1G` or bytes.
pub(crate) fn parse_rate(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let factor: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return Err(format!("unknown unit {unit:?}: use K, M or G")),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a rate: {s:?}"))?;
    n.checked_mul(factor)
        .filter(|r| *r > 0)
        .ok_or_else(|| format!("not a rate: {s:?}"))
}

/// The file from `offset` as a request body, counting what goes.
async fn body(
    path: &Path,
    offset: u64,
    sent: Arc<AtomicU64>,
    progress: indicatif::ProgressBar,
    limiter: Option<Arc<Limiter>>,
) -> Result<reqwest::Body> {
    let mut file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    file.seek(std::io::SeekFrom::Start(offset)).await?;
    let chunk = limiter.as_ref().map_or(CHUNK, |l| l.chunk());
    let stream = futures::stream::unfold(file, move |mut file| {
        let (sent, progress, limiter) = (sent.clone(), progress.clone(), limiter.clone());
        async move {
            if let Some(l) = &limiter {
                l.take(chunk).await;
            }
            let mut buf = vec![0u8; chunk];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    sent.fetch_add(n as u64, Ordering::Relaxed);
                    progress.inc(n as u64);
                    Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        }
    });
    Ok(reqwest::Body::wrap_stream(stream))
}

/// Sends one file: continues the journal's upload for it where there is one
/// the server still has, else begins one; on a broken connection or a busy
/// server asks for the offset and goes on from there.
pub(crate) async fn upload(
    api: &Api,
    journal: &Mutex<Journal>,
    path: &Path,
    h: &Hashed,
    progress: &Progress,
    limiter: Option<Arc<Limiter>>,
) -> Result<Sent> {
    let server = api.base().to_string();
    let earlier = journal
        .lock()
        .await
        .get(&server, &h.sha256)
        .filter(|p| p.size == h.size)
        .cloned();
    let mut location = None;
    let mut offset = 0;
    let mut resumed_at = None;
    if let Some(p) = earlier {
        match api.offset(&p.location).await? {
            Some(Appended::Complete(asset_id)) => {
                journal.lock().await.end(&server, &h.sha256)?;
                return Ok(Sent {
                    asset_id,
                    resumed_at: Some(h.size),
                    bytes: 0,
                });
            }
            Some(Appended::Partial(o)) => {
                location = Some(p.location);
                offset = o;
                resumed_at = Some(o);
                progress.bytes.inc(o);
            }
            None => {}
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut location = match location {
        Some(l) => l,
        None => begin(api, journal, &server, &name, h).await?,
    };
    let mut bytes = 0;
    let mut tries = 0;
    loop {
        let sent = Arc::new(AtomicU64::new(0));
        let b = body(
            path,
            offset,
            sent.clone(),
            progress.bytes.clone(),
            limiter.clone(),
        )
        .await?;
        let result = api.append(&location, offset, b).await;
        let went = sent.load(Ordering::Relaxed);
        bytes += went;
        match result {
            Ok(Appended::Complete(asset_id)) => {
                journal.lock().await.end(&server, &h.sha256)?;
                return Ok(Sent {
                    asset_id,
                    resumed_at,
                    bytes,
                });
            }
            Ok(Appended::Partial(o)) if o > offset => {
                // the file grew or shrank while being sent: a new run sends it whole
                if o >= h.size {
                    bail!("the file changed while it was being sent");
                }
                progress
                    .bytes
                    .set_position(progress.bytes.position().saturating_sub(went) + (o - offset));
                offset = o;
            }
            Ok(Appended::Partial(_)) => bail!("the server took none of the bytes sent"),
            Err(e) if e.is::<Refused>() => {
                api.abandon(&location).await;
                journal.lock().await.end(&server, &h.sha256)?;
                return Err(e);
            }
            Err(e) => {
                tries += 1;
                if tries >= TRIES {
                    return Err(e.context("gave up after several tries; run again to resume"));
                }
                tokio::time::sleep(Duration::from_millis(500 << tries.min(5))).await;
                progress
                    .bytes
                    .set_position(progress.bytes.position().saturating_sub(went));
                match api.offset(&location).await? {
                    Some(Appended::Complete(asset_id)) => {
                        journal.lock().await.end(&server, &h.sha256)?;
                        return Ok(Sent {
                            asset_id,
                            resumed_at,
                            bytes,
                        });
                    }
                    Some(Appended::Partial(o)) => {
                        progress.bytes.inc(o);
                        progress
                            .bytes
                            .set_position(progress.bytes.position().saturating_sub(offset));
                        offset = o;
                    }
                    None => {
                        progress
                            .bytes
                            .set_position(progress.bytes.position().saturating_sub(offset));
                        offset = 0;
                        location = begin(api, journal, &server, &name, h).await?;
                    }
                }
            }
        }
    }
}

async fn begin(
    api: &Api,
    journal: &Mutex<Journal>,
    server: &str,
    name: &str,
    h: &Hashed,
) -> Result<String> {
    let location = api.create(name, h.size).await?;
    journal.lock().await.begin(
        server,
        &h.sha256,
        Pending {
            location: location.clone(),
            size: h.size,
        },
    )?;
    Ok(location)
}

/// Applies each file's Takeout sidecar to its asset where the asset lacks
/// what the sidecar says (capture time, place, caption), once the server
/// has processed it (at most `wait` seconds in all).
pub(crate) async fn apply_sidecars(api: &Api, lines: &mut [Line], wait: u64) {
    let deadline = Instant::now() + Duration::from_secs(wait);
    for line in lines.iter_mut() {
        let Some(id) = line.asset_id.clone() else {
            continue;
        };
        let path: PathBuf = line.path.clone();
        let Some(side) = tokio::task::spawn_blocking(move || takeout::find(&path))
            .await
            .ok()
            .flatten()
        else {
            continue;
        };
        match apply_one(api, &id, &side, deadline).await {
            Ok(set) => line.sidecar = set,
            Err(e) => {
                line.outcome = "failed";
                line.error = Some(format!("sidecar: {e:#}"));
            }
        }
    }
}

async fn apply_one(
    api: &Api,
    id: &str,
    side: &takeout::Sidecar,
    deadline: Instant,
) -> Result<Vec<&'static str>> {
    let mut asset = api.asset(id).await?;
    while asset["media"]["state"] == "pending" {
        if Instant::now() >= deadline {
            bail!("still being processed; run again later to apply it");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        asset = api.asset(id).await?;
    }
    let mut edit = serde_json::Map::new();
    let mut set = Vec::new();
    if let Some(t) = side.taken_at_ms
        && asset["taken_at"].is_null()
    {
        edit.insert("taken_at".into(), t.into());
        set.push("taken_at");
    }
    if let Some((latitude, longitude, altitude)) = side.place
        && asset["metadata"]["latitude"].is_null()
    {
        edit.insert(
            "place".into(),
            json!({"latitude": latitude, "longitude": longitude, "altitude": altitude}),
        );
        set.push("place");
    }
    if let Some(c) = &side.caption
        && asset["caption"].as_str().is_none_or(str::is_empty)
    {
        edit.insert("caption".into(), Value::String(c.clone()));
        set.push("caption");
    }
    if !edit.is_empty() {
        api.edit(id, Value::Object(edit)).await?;
    }
    Ok(set)
}

/// Puts each album's assets into the album of that name (made when there
/// is none).
pub(crate) async fn file_albums(api: &Api, albums: &BTreeMap<String, Vec<String>>) -> Result<()> {
    if albums.is_empty() {
        return Ok(());
    }
    let existing: BTreeMap<String, String> = api.albums().await?.into_iter().collect();
    for (name, ids) in albums {
        let mut chunks = ids.chunks(500);
        let id = match existing.get(name) {
            Some(id) => id.clone(),
            None => {
                let first = chunks.next().unwrap_or_default();
                api.create_album(name, first)
                    .await
                    .with_context(|| format!("album {name:?}"))?
            }
        };
        for chunk in chunks {
            api.add_to_album(&id, chunk)
                .await
                .with_context(|| format!("album {name:?}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_units() {
        assert_eq!(parse_rate("500K"), Ok(512_000));
        assert_eq!(parse_rate("2M"), Ok(2 << 20));
        assert_eq!(parse_rate("1g"), Ok(1 << 30));
        assert_eq!(parse_rate("4096"), Ok(4096));
        for bad in ["", "0", "M", "2X", "-1K", "99999999999999999999G"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_limiter_holds_the_rate() {
        let l = Limiter::new(1 << 20);
        let t = Instant::now();
        for _ in 0..12 {
            l.take(256 << 10).await; // 3 MiB at 1 MiB/s, a second in the bucket
        }
        let secs = t.elapsed().as_secs_f64();
        assert!((1.7..4.0).contains(&secs), "{secs}");
    }

    #[test]
    fn hashes_match_sha256() -> std::io::Result<()> {
        let t = tempfile::tempdir()?;
        let p = t.path().join("a");
        std::fs::write(&p, b"abc")?;
        let h = sha256_file(&p)?;
        assert_eq!(
            (h.sha256.as_str(), h.size),
            (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                3
            )
        );
        Ok(())
    }
}
