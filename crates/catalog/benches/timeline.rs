//! Timeline benchmark: seeds a SQLite catalog with 1,000,000 assets (10 users
//! × 100,000, through the real schema and triggers), then measures through
//! the catalog API the p50/p99 of a 200-item timeline page (first, deep,
//! favourites, videos) and of the month summary — and runs the same SQL in
//! the `sqlite3` CLI on the same file as the baseline (its `.timer` CPU time
//! per statement; wall time is at least that). It also checks that the CLI
//! returns the same rows as the catalog.
//!
//! `cargo bench -p pixelunion-catalog --bench timeline` (scripts/bench-timeline.sh)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::process::Command;
use std::time::{Duration, Instant};

use pixelunion_catalog::{Catalog, MonthFacets, TimelineFilter};

mod common;

const USERS: usize = 10;
const PER_USER: usize = 100_000;
const RUNS: usize = 1000;
use common::COLS;

fn percentile(d: &mut [Duration], p: f64) -> f64 {
    d.sort();
    let i = ((d.len() as f64 - 1.0) * p).round() as usize;
    d[i].as_secs_f64() * 1e3
}

/// `.timer` CPU (user+sys) per run of `sql` in the sqlite3 CLI, and the ids it returns.
fn cli(db: &std::path::Path, sql: &str) -> (Vec<Duration>, Vec<String>) {
    let mut script = String::from(".timer on\n.output /dev/null\n");
    for _ in 0..RUNS {
        script.push_str(sql);
        script.push_str(";\n");
    }
    let out = Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(script.as_bytes())?;
            c.wait_with_output()
        })
        .expect("sqlite3 CLI (apt-get install sqlite3)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let times: Vec<Duration> = text
        .lines()
        .filter_map(|l| {
            let l = l.strip_prefix("Run Time: ")?;
            let f: Vec<&str> = l.split_whitespace().collect();
            let user: f64 = f.get(3)?.parse().ok()?;
            let sys: f64 = f.get(5)?.parse().ok()?;
            Some(Duration::from_secs_f64(user + sys))
        })
        .collect();
    assert_eq!(times.len(), RUNS, "{text}");
    let ids = Command::new("sqlite3")
        .arg(db)
        .arg(format!("SELECT id FROM ({sql})"))
        .output()
        .unwrap();
    let ids = String::from_utf8_lossy(&ids.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    (times, ids)
}

type Case = (&'static str, TimelineFilter, Option<(i64, String)>, String);

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let c = Catalog::open_sqlite(&db).await.unwrap();
    let t = Instant::now();
    common::seed(&c, USERS, PER_USER).await;
    let (n,): (i64,) = match &c {
        Catalog::Sqlite(p, _) => sqlx::query_as("SELECT COUNT(*) FROM assets")
            .fetch_one(p)
            .await
            .unwrap(),
        Catalog::Postgres(_) => unreachable!(),
    };
    eprintln!(
        "seeded {n} assets for {USERS} users in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let owner = "user-3";
    let base = TimelineFilter {
        archived: Some(false),
        ..Default::default()
    };
    // A cursor half-way down the timeline.
    let mut cursor: Option<(i64, String)> = None;
    for _ in 0..250 {
        let page = c
            .timeline(
                owner,
                &base,
                cursor.as_ref().map(|(a, i)| (*a, i.as_str())),
                200,
            )
            .await
            .unwrap();
        let last = page.last().unwrap();
        cursor = Some((last.sort_at, last.id.clone()));
    }
    let (deep_at, deep_id) = cursor.unwrap();
    let filt = format!("a.owner_id = '{owner}' AND a.trashed_at IS NULL AND a.archived = 0");
    let sel = format!(
        "SELECT {} FROM assets a WHERE",
        COLS.split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let order = "ORDER BY a.sort_at DESC, a.id DESC LIMIT 200";
    let cases: Vec<Case> = vec![
        (
            "first page (200)",
            base.clone(),
            None,
            format!("{sel} {filt} {order}"),
        ),
        (
            "page at item 50,000",
            base.clone(),
            Some((deep_at, deep_id.clone())),
            format!(
                "{sel} {filt} AND (a.sort_at < {deep_at} OR (a.sort_at = {deep_at} AND a.id < '{deep_id}')) {order}"
            ),
        ),
        (
            "favourites page",
            TimelineFilter {
                favorite: Some(true),
                ..base.clone()
            },
            None,
            format!("{sel} {filt} AND a.favorite = 1 {order}"),
        ),
        (
            "videos page",
            TimelineFilter {
                kind: Some(pixelunion_catalog::AssetKind::Video),
                ..base.clone()
            },
            None,
            format!("{sel} {filt} AND a.kind = 'video' {order}"),
        ),
    ];
    println!(
        "| query | catalog p50 ms | catalog p99 ms | sqlite3 CLI p50 ms | sqlite3 CLI p99 ms | p99 ratio |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, filter, cur, sql) in cases {
        let mut ours = Vec::with_capacity(RUNS);
        let mut ids = Vec::new();
        for _ in 0..RUNS {
            let t = Instant::now();
            let rows = c
                .timeline(
                    owner,
                    &filter,
                    cur.as_ref().map(|(a, i)| (*a, i.as_str())),
                    200,
                )
                .await
                .unwrap();
            ours.push(t.elapsed());
            ids = rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        }
        let (mut theirs, cli_ids) = cli(&db, &sql);
        assert_eq!(ids.len(), 200, "{name}");
        assert_eq!(ids, cli_ids, "{name}: the CLI query returns the same rows");
        let (p50, p99) = (percentile(&mut ours, 0.5), percentile(&mut ours, 0.99));
        let (b50, b99) = (percentile(&mut theirs, 0.5), percentile(&mut theirs, 0.99));
        println!(
            "| {name} | {p50:.3} | {p99:.3} | {b50:.3} | {b99:.3} | {:.2}× |",
            p99 / b99.max(0.001)
        );
    }
    // Month summary: the counters table, not the assets.
    let facets = MonthFacets {
        archived: Some(false),
        ..Default::default()
    };
    let mut ours = Vec::with_capacity(RUNS);
    let mut months = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        months = c.month_counts(owner, &facets).await.unwrap();
        ours.push(t.elapsed());
    }
    let sql = format!(
        "SELECT month AS id, CAST(SUM(n) AS BIGINT) FROM asset_months WHERE owner_id = '{owner}' AND archived = 0 GROUP BY month HAVING SUM(n) > 0 ORDER BY month DESC"
    );
    let (mut theirs, cli_months) = cli(&db, &sql);
    assert_eq!(
        months.iter().map(|m| m.0.to_string()).collect::<Vec<_>>(),
        cli_months
    );
    let total: i64 = months.iter().map(|m| m.1).sum();
    let (p50, p99) = (percentile(&mut ours, 0.5), percentile(&mut ours, 0.99));
    let (b50, b99) = (percentile(&mut theirs, 0.5), percentile(&mut theirs, 0.99));
    println!(
        "| month summary ({} months, {total} items) | {p50:.3} | {p99:.3} | {b50:.3} | {b99:.3} | {:.2}× |",
        months.len(),
        p99 / b99.max(0.001)
    );
    // For reference: what a GROUP BY over the assets would cost.
    let sql = format!(
        "SELECT CAST(strftime('%Y%m', sort_at / 1000, 'unixepoch') AS INTEGER) AS id, COUNT(*) FROM assets WHERE owner_id = '{owner}' AND trashed_at IS NULL AND archived = 0 GROUP BY 1 ORDER BY 1 DESC"
    );
    let (mut theirs, _) = cli(&db, &sql);
    println!(
        "| (reference: GROUP BY over the assets, sqlite3 CLI) | | | {:.3} | {:.3} | |",
        percentile(&mut theirs, 0.5),
        percentile(&mut theirs, 0.99)
    );
    c.close().await;
}
