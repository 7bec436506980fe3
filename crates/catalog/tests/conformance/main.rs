//! One conformance suite, run against every backend: each case runs on a
//! fresh SQLite file and on a fresh PostgreSQL database (when
//! `PIXELUNION_TEST_POSTGRES_URL` is set: CI sets it; the development
//! machines run PostgreSQL at 127.0.0.1:5432), as a test of its own, so
//! one failure hides nothing else. Cases are grouped by area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod accounts;
mod assets;
mod concurrency;
mod deletion;
mod grants;
mod jobs;
mod nodes;
mod policies;
mod recoveries;
mod reviews;
mod schema;
mod sharing;
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
    deletion: [deletion],
    grants: [grants],
    schema: [registry_matches_the_live_schema],
    reviews: [reviews],
    policies: [policies],
    recoveries: [recoveries],
    assets: [assets],
    jobs: [jobs],
    uploads: [uploads],
    sharing: [shares, links],
    nodes: [throttle, library_revisions, running_nodes],
    concurrency: [purges_beside_inserts, cancelled_writes_leave_no_lock],
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

/// Closing a SQLite catalog after the calling-thread lookups have opened
/// read-only connections still empties the write-ahead log:
/// a deleted session's token hash is left in no file.
#[tokio::test]
async fn sqlite_close_removes_the_log_after_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let c = Catalog::open_sqlite(&path).await.expect("open");
    c.create_user(&support::user("u1", b"idx-1"))
        .await
        .expect("user");
    let marker = b"a-token-hash-marker-0123456789ab";
    c.create_session(&support::session(marker, "s1", "u1", 10))
        .await
        .expect("session");
    assert!(c.session_with_user(marker).await.expect("read").is_some());
    c.delete_session_by_hash(marker).await.expect("delete");
    assert!(c.session_with_user(marker).await.expect("read").is_none());
    c.close().await;
    let wal = dir.path().join("catalog.sqlite-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the write-ahead log outlived the close"
    );
    for f in std::fs::read_dir(dir.path()).expect("list") {
        let f = f.expect("entry").path();
        let bytes = std::fs::read(&f).expect("read");
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker),
            "{} still holds the deleted session",
            f.display()
        );
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

/// The rows of a snapshot stream (everything but its header).
async fn rows_of(c: &Catalog) -> Vec<pixelunion_catalog::snapshot::format::Event> {
    use futures::TryStreamExt;
    use pixelunion_catalog::snapshot::format::{Decoder, Event};
    let pieces: Vec<bytes::Bytes> = c.export_snapshot(1).try_collect().await.expect("export");
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for p in pieces {
        d.feed(&p);
        while let Some(ev) = d.next_event().expect("decodes") {
            if !matches!(ev, Event::Header(_)) {
                out.push(ev);
            }
        }
    }
    d.finish().expect("complete");
    out
}

/// A catalog with rows in every table a snapshot holds.
async fn populated(c: &Catalog) {
    vault::records(c).await;
    accounts::accounts(c).await;
    assets::assets(c).await;
    jobs::jobs(c).await;
    c.add_audit_checkpoint(&pixelunion_catalog::AuditCheckpointRow {
        seq: 3,
        first_seq: 1,
        at: 9,
        mac: vec![1; 32],
        signature: vec![2; 64],
    })
    .await
    .expect("checkpoint");
    assert_eq!(c.audit_checkpoints().await.expect("checkpoints").len(), 1);
    incidents(c).await;
    c.create_role_request(&grants::request(
        "rr1",
        "u1",
        pixelunion_auth::Role::Security,
        20,
    ))
    .await
    .expect("role request");
    let approve = pixelunion_catalog::Decision::Approve {
        until: 99_999,
        reminded: true,
    };
    assert!(
        c.decide_role_request("rr1", "u2", 21, approve)
            .await
            .expect("approve")
    );
    c.open_access_review(
        &reviews::review("ar1", 30),
        &[reviews::line("ar1", "u1", pixelunion_auth::Role::Security)],
    )
    .await
    .expect("access review");
    c.publish_policy("privacy", "our policy", "u2", 40)
        .await
        .expect("policy");
    c.record_policy_view("u1", "privacy", 1, 41)
        .await
        .expect("policy view");
    assert_eq!(
        c.see_device("u1", b"dev-a", 1).await.expect("device"),
        (true, false),
        "the first device"
    );
    assert_eq!(
        c.see_device("u1", b"dev-a", 2).await.expect("device"),
        (false, true)
    );
    assert_eq!(
        c.see_device("u1", b"dev-b", 3).await.expect("device"),
        (true, true),
        "a new one"
    );
    assert!(!c.sign_in_alerts("u1").await.expect("alerts"));
    c.set_sign_in_alerts("u1", true, 4).await.expect("on");
    c.set_sign_in_alerts("u1", true, 5).await.expect("on again");
    assert!(c.sign_in_alerts("u1").await.expect("alerts"));
    c.append_audit_pending(&pixelunion_catalog::AuditRow {
        seq: 0,
        at: 10,
        actor: None,
        action: "waf.block".into(),
        target: None,
        outcome: "denied".into(),
        details: None,
        key_version: None,
        mac: None,
        client: None,
    })
    .await
    .expect("pending");
    // The library cases end by purging: one more asset with its files, in an album.
    use pixelunion_catalog::{
        AssetFileRow, AssetKind, AssetRow, FileKind, MediaResult, MediaState,
    };
    c.add_intent("blob-z1", 1).await.expect("intent");
    let row = AssetRow {
        id: "z1".into(),
        owner_id: "u1".into(),
        blob_name: "blob-z1".into(),
        kind: AssetKind::Video,
        mime: "video/mp4".into(),
        size: 1234,
        content_index: vec![9; 32],
        file_name: Some(b"ct-name".to_vec()),
        taken_at: Some(77),
        uploaded_at: 88,
        sort_at: 88,
        trashed_at: None,
        favorite: true,
        archived: false,
        caption: Some(b"ct-caption".to_vec()),
        width: None,
        height: None,
        metadata: None,
        media_state: MediaState::Pending,
        media_error: None,
        blob_sha256: Some(vec![1; 32]),
    };
    c.insert_asset(&row, 90).await.expect("insert");
    let file = AssetFileRow {
        asset_id: "z1".into(),
        kind: FileKind::Thumbnail,
        blob_name: "blob-z1-thumb".into(),
        mime: "image/jpeg".into(),
        size: 99,
        width: 250,
        height: 140,
        sha256: Some(vec![2; 32]),
    };
    c.add_intent("blob-z1-thumb", 1).await.expect("intent");
    let media = MediaResult {
        taken_at: Some(77),
        width: Some(1920),
        height: Some(1080),
        metadata: Some(b"ct-meta".to_vec()),
        files: vec![file],
    };
    assert!(c.record_media("z1", &media, 91).await.expect("media"));
    c.create_album("al-z", "u1", b"ct-album", 92)
        .await
        .expect("album");
    c.add_to_album("u1", "al-z", &["z1".to_string()], 93)
        .await
        .expect("member");
    c.put_album_share(&pixelunion_catalog::AlbumShareRow {
        id: "sh-z".into(),
        album_id: "al-z".into(),
        user_id: Some("u2".into()),
        email_index: vec![4; 37],
        email: b"ct-share-email".to_vec(),
        role: "viewer".into(),
        created_at: 94,
    })
    .await
    .expect("share");
    let link = pixelunion_catalog::LinkRow {
        id: "ln-z".into(),
        owner_id: "u1".into(),
        token_hash: vec![5; 32],
        token: b"ct-token".to_vec(),
        album_id: None,
        password_hash: Some("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into()),
        allow_download: true,
        keep_metadata: false,
        expires_at: Some(1_000),
        views: 3,
        created_at: 95,
        last_viewed_at: Some(96),
    };
    assert!(
        c.create_link(&link, &["z1".to_string()])
            .await
            .expect("link")
    );
    c.set_display_name("u1", Some(b"ct-display"))
        .await
        .expect("name");
    c.start_backup_run("r1", "verify", 5).await.expect("run");
    c.finish_backup_run("r1", true, "{\"checked\":3}", 6)
        .await
        .expect("run");
    // An original stored as two blobs.
    let mut row = support::photo_row("composite", "composite-0", None);
    row.size = 25;
    row.content_index = b"composite".to_vec();
    let part = pixelunion_catalog::AssetPartRow {
        seq: 1,
        blob_name: "composite-1".into(),
        size: 15,
        sha256: vec![7; 32],
    };
    c.insert_asset_with_parts(&row, &[part], 30)
        .await
        .expect("composite");
}

/// A snapshot restores into an empty catalog of either backend and reads
/// back row for row; a second restore into the same catalog is refused;
/// damaged streams are refused and leave the catalog empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_round_trip_between_backends() {
    use futures::StreamExt;
    let source = support::Db::sqlite().await;
    populated(&source.catalog).await;
    let want = rows_of(&source.catalog).await;
    {
        use pixelunion_catalog::snapshot::format::Event;
        let empty: Vec<String> = want
            .windows(2)
            .filter_map(|w| match (&w[0], &w[1]) {
                (Event::Table { name, .. }, Event::TableEnd(0)) => Some(name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(empty, Vec::<String>::new(), "every table has rows to carry");
    }
    let mut targets = vec![support::Db::sqlite().await];
    if let Some(pg) = support::Db::postgres("snapshot round trip").await {
        targets.push(pg);
    }
    for target in targets {
        let stream = source.catalog.export_snapshot(7);
        let done = target
            .catalog
            .import_snapshot(Box::pin(stream))
            .await
            .expect("import");
        assert_eq!(done.source, "sqlite");
        let want_rows = want
            .iter()
            .filter(|e| matches!(e, pixelunion_catalog::snapshot::format::Event::Row(_)))
            .count() as u64;
        assert_eq!(done.rows(), want_rows, "{done:?}");
        assert_eq!(
            done.tables.len(),
            pixelunion_catalog::snapshot::tables::TABLES.len()
        );
        assert_eq!(
            rows_of(&target.catalog).await,
            want,
            "{}",
            target.catalog.backend()
        );
        // Usage and month counts were rebuilt by the triggers.
        assert_eq!(
            target.catalog.usage("u1").await.expect("usage"),
            source.catalog.usage("u1").await.expect("usage")
        );
        // Not twice.
        let again = target
            .catalog
            .import_snapshot(Box::pin(source.catalog.export_snapshot(8)))
            .await;
        assert!(
            matches!(
                again,
                Err(pixelunion_catalog::snapshot::SnapshotError::NotEmpty)
            ),
            "{again:?}"
        );
        // And back the other way: from this backend into a fresh SQLite file.
        let back = support::Db::sqlite().await;
        back.catalog
            .import_snapshot(Box::pin(target.catalog.export_snapshot(9)))
            .await
            .expect("import back");
        assert_eq!(rows_of(&back.catalog).await, want);
        back.finish().await;
        target.finish().await;
    }
    // A truncated stream and a tampered one: refused, nothing written.
    let whole: Vec<bytes::Bytes> = {
        use futures::TryStreamExt;
        source
            .catalog
            .export_snapshot(1)
            .try_collect()
            .await
            .expect("export")
    };
    let all: Vec<u8> = whole.iter().flat_map(|b| b.to_vec()).collect();
    for damaged in [all[..all.len() / 2].to_vec(), {
        let mut t = all.clone();
        let n = t.len();
        t[n - 9] ^= 1;
        t
    }] {
        let empty = support::Db::sqlite().await;
        let r = empty
            .catalog
            .import_snapshot(
                futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(damaged))])
                    .boxed(),
            )
            .await;
        assert!(r.is_err(), "a damaged snapshot is refused");
        assert!(
            empty.catalog.is_empty().await.expect("empty"),
            "and nothing is left behind"
        );
        empty.finish().await;
    }
    source.finish().await;
}

/// The incident register's rows (each table gets one to carry).
async fn incidents(c: &Catalog) {
    use pixelunion_catalog::{IncidentMessageRow, IncidentRow};
    let mut r = IncidentRow {
        id: "inc1".into(),
        severity: "high".into(),
        status: "open".into(),
        details: b"ct-details".to_vec(),
        detected_at: 10,
        confirmed_at: None,
        notified_at: None,
        reminders: 0,
        created_by: "u1".into(),
        created_at: 11,
        updated_at: 11,
    };
    c.create_incident(&r).await.expect("incident");
    assert!(c.unnotified_breaches().await.expect("breaches").is_empty());
    r.confirmed_at = Some(20);
    r.status = "contained".into();
    assert!(c.update_incident(&r).await.expect("update"));
    assert_eq!(c.unnotified_breaches().await.expect("breaches").len(), 1);
    assert_eq!(c.incident("inc1").await.expect("get").expect("some"), r);
    c.add_incident_event("inc1", 12, Some("u1"), "opened", None)
        .await
        .expect("event");
    c.add_incident_event("inc1", 13, None, "note", Some(b"ct-note"))
        .await
        .expect("event");
    let ev = c.incident_events("inc1").await.expect("events");
    assert_eq!(ev.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    c.add_incident_affected("inc1", &["u2".into(), "u2".into()])
        .await
        .expect("affected");
    assert_eq!(c.incident_affected("inc1").await.expect("affected"), ["u2"]);
    c.add_incident_message(
        "inc1",
        &IncidentMessageRow {
            id: "m1".into(),
            audience: "users".into(),
            recipient: b"ct-to".to_vec(),
            subject: b"ct-subject".to_vec(),
            body: b"ct-body".to_vec(),
            state: "not-configured".into(),
            detail: None,
            at: 14,
        },
    )
    .await
    .expect("message");
    assert_eq!(
        c.incident_messages("inc1").await.expect("messages").len(),
        1
    );
    assert_eq!(c.incidents().await.expect("list").len(), 1);
}
