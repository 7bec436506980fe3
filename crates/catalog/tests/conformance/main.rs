//! One conformance suite, run against every backend: each case runs on a
//! fresh SQLite file and on a fresh PostgreSQL database (when
//! `PIXELUNION_TEST_POSTGRES_URL` is set: CI sets it; the development
//! machines run PostgreSQL at 127.0.0.1:5432), as a test of its own, so
//! one failure hides nothing else. Cases are grouped by area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod accounts;
mod assets;
mod jobs;
mod support;
mod uploads;
mod vault;

use pixelunion_catalog::{Catalog, CatalogError};

/// For every `area::case`, a test on each backend:
/// `sqlite::area::case` and `postgres::area::case`.
macro_rules! cases {
    ($($area:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
        mod sqlite {
            $(mod $area {
                $(#[tokio::test]
                async fn $case() {
                    let db = crate::support::Db::sqlite().await;
                    crate::$area::$case(&db.catalog).await;
                    db.finish().await;
                })*
            })*
        }
        mod postgres {
            $(mod $area {
                $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let name = concat!(stringify!($area), "::", stringify!($case));
                    let Some(db) = crate::support::Db::postgres(name).await else {
                        return;
                    };
                    crate::$area::$case(&db.catalog).await;
                    db.finish().await;
                })*
            })*
        }
    };
}

cases! {
    vault: [records],
    accounts: [accounts],
    assets: [assets],
    jobs: [jobs],
    uploads: [uploads],
}

/// SQLite only: reopening runs the migrations again without harm and keeps
/// the data; WAL and foreign keys are on.
#[tokio::test]
async fn sqlite_reopens_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let c = Catalog::open_sqlite(&path).await.expect("open");
    c.initialize_vault(b"sealed-1", 1, b"wrapped-1")
        .await
        .expect("init");
    c.close().await;
    let c = Catalog::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("reopen");
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-1"[..])
    );
    if let Catalog::Sqlite(p, _) = &c {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(p)
            .await
            .expect("pragma");
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(p)
            .await
            .expect("pragma");
        assert_eq!(fk, 1);
    }
}

/// 300 jobs, three workers on each of two catalogs (as two processes would
/// have): every job is run exactly once and none by two workers at once.
async fn racing_workers(a: &Catalog, b: &Catalog) {
    use pixelunion_catalog::JobKind;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    for i in 0..300 {
        a.enqueue_job(JobKind::Transcode, &format!("race-{i:03}"), 0)
            .await
            .expect("enqueue");
    }
    let running: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let runs: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut tasks = Vec::new();
    for c in [a.clone(), b.clone()] {
        for _ in 0..3 {
            let (c, running, runs) = (c.clone(), running.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                while let Some(j) = c
                    .claim_job(&[JobKind::Transcode], 1_000, i64::MAX)
                    .await
                    .expect("claim")
                {
                    {
                        let mut r = running.lock().expect("lock");
                        let n = r.entry(j.subject.clone()).or_default();
                        *n += 1;
                        assert_eq!(*n, 1, "{} runs twice at once", j.subject);
                    }
                    tokio::task::yield_now().await;
                    running.lock().expect("lock").remove(&j.subject);
                    runs.lock().expect("lock").push(j.subject.clone());
                    assert!(c.finish_job(&j).await.expect("finish"));
                }
            }));
        }
    }
    for t in tasks {
        t.await.expect("worker");
    }
    let mut runs = runs.lock().expect("lock").clone();
    runs.sort();
    let expected: Vec<String> = (0..300).map(|i| format!("race-{i:03}")).collect();
    assert_eq!(runs, expected, "each job exactly once");
}

/// PostgreSQL only: several server processes on one database — separate
/// pools, separate connections — race their workers for the same jobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_workers_of_two_processes_never_run_a_job_twice() {
    let name = "racing workers";
    let Some(db) = support::Db::postgres(name).await else {
        return;
    };
    let url = db.postgres_database_url(name).expect("postgres url");
    let other = Catalog::connect(&url).await.expect("connect");
    racing_workers(&db.catalog, &other).await;
    other.close().await;
    db.finish().await;
}

#[tokio::test]
async fn bad_urls_are_rejected() {
    for url in ["mysql://x", "", "sqlite:relative"] {
        assert!(
            matches!(Catalog::connect(url).await, Err(CatalogError::BadUrl(_))),
            "{url}"
        );
    }
}
