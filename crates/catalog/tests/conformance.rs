//! One conformance suite, run against every backend: SQLite always, and
//! PostgreSQL when `PIXELUNION_TEST_POSTGRES_URL` is set (CI sets it; the
//! development machines run PostgreSQL at 127.0.0.1:5432). Each PostgreSQL
//! run gets a fresh database that is dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use pixelunion_catalog::{Catalog, CatalogError};

async fn suite(c: &Catalog) {
    c.ping().await.expect("ping");
    assert_eq!(c.sealed_root().await.expect("read"), None);
    assert!(c.keyring().await.expect("keyring").is_empty());

    c.initialize_vault(b"sealed-1", 1, b"wrapped-1")
        .await
        .expect("init");
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-1"[..])
    );

    // A second init changes nothing.
    let again = c.initialize_vault(b"sealed-2", 1, b"wrapped-2").await;
    assert!(
        matches!(again, Err(CatalogError::AlreadyInitialized)),
        "{again:?}"
    );
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-1"[..])
    );
    let ring = c.keyring().await.expect("keyring");
    assert_eq!(ring.len(), 1);
    assert_eq!(ring[0].wrapped, b"wrapped-1");

    c.replace_sealed_root(b"sealed-rekeyed")
        .await
        .expect("rekey");
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-rekeyed"[..])
    );

    c.add_keyring_version(2, b"wrapped-v2")
        .await
        .expect("rotate");
    assert!(
        c.add_keyring_version(2, b"dup").await.is_err(),
        "versions are unique"
    );
    c.record_key_usage(1, 500).await.expect("usage");
    c.record_key_usage(1, 20)
        .await
        .expect("usage never shrinks");
    c.record_key_usage(2, u64::MAX).await.expect("saturates");
    let ring = c.keyring().await.expect("keyring");
    assert_eq!(
        ring.iter().map(|r| r.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert_eq!(ring[0].encryptions, 500);
    assert_eq!(ring[1].encryptions, i64::MAX as u64);
}

#[tokio::test]
async fn sqlite_conformance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let c = Catalog::open_sqlite(&path).await.expect("open");
    assert_eq!(c.backend(), "sqlite");
    suite(&c).await;
    c.close().await;
    // Reopening runs migrations again without harm and keeps the data.
    let c = Catalog::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("reopen");
    assert_eq!(
        c.sealed_root().await.expect("read").as_deref(),
        Some(&b"sealed-rekeyed"[..])
    );
    // WAL and foreign keys are on.
    if let Catalog::Sqlite(p) = &c {
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

#[tokio::test]
async fn postgres_conformance() {
    let Ok(url) = std::env::var("PIXELUNION_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: its service variable is missing"
        );
        eprintln!(
            "SKIPPED postgres_conformance: set PIXELUNION_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
        );
        return;
    };
    let admin = Catalog::connect(&url)
        .await
        .expect("connect to PIXELUNION_TEST_POSTGRES_URL");
    let Catalog::Postgres(pool) = &admin else {
        panic!("not postgres")
    };
    let db = format!("pu_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(pool)
        .await
        .expect("create db");
    let base = url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .expect("url has a database");
    let c = Catalog::connect(&format!("{base}/{db}"))
        .await
        .expect("connect");
    assert_eq!(c.backend(), "postgres");
    suite(&c).await;
    c.close().await;
    sqlx::query(&format!("DROP DATABASE {db}"))
        .execute(pool)
        .await
        .expect("drop db");
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
