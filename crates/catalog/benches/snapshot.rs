//! Catalog snapshot benchmark: seeds SQLite catalogs of 100,000 and
//! 1,000,000 assets (through the real schema), then measures the logical
//! snapshot export (time, size, the process's peak memory growth while
//! exporting) and its import into a new, empty SQLite catalog — beside the
//! sqlite3 CLI's own logical dump (`.dump`) of the same file as the
//! baseline. Prints a Markdown table (docs/benchmarks.md).
//!
//! `cargo bench -p pixelunion-catalog --bench snapshot` (scripts/bench-snapshot.sh)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::process::{Command, Stdio};
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use pixelunion_catalog::Catalog;

mod common;

/// `(users, assets per user)`.
const SIZES: [(usize, usize); 2] = [(10, 10_000), (10, 100_000)];

/// A `/proc/self/status` field in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix(" kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

/// Resets the peak resident set size (`VmHWM`) to the current one.
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

#[tokio::main]
async fn main() {
    println!(
        "| assets | catalog file | snapshot | export | peak memory growth | import into SQLite | `sqlite3 .dump` (baseline) | dump size |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (users, per) in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bench.db");
        let c = Catalog::open_sqlite(&db).await.unwrap();
        common::seed(&c, users, per).await;
        let file_mib = std::fs::metadata(&db).unwrap().len() as f64 / 1048576.0;

        // Export, discarding the bytes: time, size and memory.
        reset_peak();
        let before = status_kib("VmRSS:");
        let t = Instant::now();
        let mut s = Box::pin(c.export_snapshot(0));
        let mut bytes = 0u64;
        while let Some(piece) = s.next().await {
            bytes += piece.unwrap().len() as u64;
        }
        let export = t.elapsed().as_secs_f64();
        let peak = status_kib("VmHWM:").saturating_sub(before);

        // Import into an empty catalog.
        let pieces: Vec<Bytes> = c.export_snapshot(0).map(|p| p.unwrap()).collect().await;
        let target = Catalog::open_sqlite(&dir.path().join("restored.db"))
            .await
            .unwrap();
        let t = Instant::now();
        let imported = target
            .import_snapshot(futures::stream::iter(
                pieces.into_iter().map(Ok::<_, String>),
            ))
            .await
            .unwrap();
        let import = t.elapsed().as_secs_f64();
        assert_eq!(
            imported
                .tables
                .iter()
                .find(|(t, _)| t == "assets")
                .unwrap()
                .1,
            (users * per) as u64
        );
        target.close().await;

        // The baseline: sqlite3's own logical dump of the same file.
        c.close().await;
        let t = Instant::now();
        let out = Command::new("sqlite3")
            .arg(&db)
            .arg(".dump")
            .stdout(Stdio::piped())
            .output()
            .expect("sqlite3 CLI (apt-get install sqlite3)");
        let dump = t.elapsed().as_secs_f64();
        assert!(out.status.success());
        println!(
            "| {} | {file_mib:.0} MiB | {:.0} MiB | {export:.2} s | {:.1} MiB | {import:.1} s | {dump:.2} s | {:.0} MiB |",
            users * per,
            bytes as f64 / 1048576.0,
            peak as f64 / 1024.0,
            out.stdout.len() as f64 / 1048576.0,
        );
    }
}
