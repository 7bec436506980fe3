//! One conformance suite, run against every backend: SQLite always, and
//! PostgreSQL when `PIXELUNION_TEST_POSTGRES_URL` is set (CI sets it; the
//! development machines run PostgreSQL at 127.0.0.1:5432). Each PostgreSQL
//! run gets a fresh database that is dropped afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use pixelunion_auth::Role;
use pixelunion_catalog::{
    AssetKind, AuditRow, Catalog, CatalogError, FileKind, MediaState, SessionRow, UserRow,
};

fn user(id: &str, idx: &[u8]) -> UserRow {
    UserRow {
        id: id.into(),
        email_index: idx.to_vec(),
        email: b"ct-email".to_vec(),
        user_key: b"wrapped".to_vec(),
        password_hash: "$argon2id$...".into(),
        role: Role::User,
        disabled: false,
        must_change_password: true,
        totp_secret: None,
        totp_last_step: None,
        created_at: 1000,
        last_login_at: None,
    }
}

fn session(hash: &[u8], id: &str, user: &str, seen: i64) -> SessionRow {
    SessionRow {
        token_hash: hash.to_vec(),
        id: id.into(),
        user_id: user.into(),
        created_at: 1,
        last_seen_at: seen,
        idle_secs: 60,
        expires_at: 10_000,
        client: Some(b"ct-client".to_vec()),
    }
}

/// Claims and finishes every due job of `kind`; their subjects, sorted. Each
/// must be on its first attempt.
async fn drain(
    c: &Catalog,
    kind: pixelunion_catalog::JobKind,
    now: i64,
    lease: i64,
) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(j) = c.claim_job(&[kind], now, lease).await.expect("claim") {
        assert_eq!(j.attempt, 1, "{j:?}");
        out.push(j.subject.clone());
        assert!(c.finish_job(&j).await.expect("finish"));
    }
    out.sort();
    out
}

const JAN: i64 = 1_705_276_800_000; // 2024-01-15 UTC
const FEB: i64 = 1_707_523_200_000; // 2024-02-10 UTC
const MAR: i64 = 1_709_251_200_000; // 2024-03-01 UTC

fn ids(rows: &[pixelunion_catalog::AssetRow]) -> Vec<&str> {
    rows.iter().map(|a| a.id.as_str()).collect()
}

async fn assets_suite(c: &Catalog) {
    use pixelunion_catalog::{AssetChange, JobKind, MonthFacets, TimelineFilter};
    let asset = |id: &str, owner: &str, idx: &[u8], sort: i64| pixelunion_catalog::AssetRow {
        id: id.into(),
        owner_id: owner.into(),
        blob_name: format!("blob-{id}"),
        kind: AssetKind::Photo,
        mime: "image/jpeg".into(),
        size: 10,
        content_index: idx.to_vec(),
        file_name: Some(b"ct".to_vec()),
        taken_at: None,
        uploaded_at: sort,
        sort_at: sort,
        trashed_at: None,
        favorite: false,
        archived: false,
        caption: None,
        width: None,
        height: None,
        metadata: None,
        media_state: MediaState::Pending,
        media_error: None,
    };
    let all = TimelineFilter::default();
    for (i, sort) in [(1, JAN), (2, MAR), (3, FEB), (4, MAR)] {
        c.add_intent(&format!("blob-a{i}"), 1)
            .await
            .expect("intent");
        c.insert_asset(&asset(&format!("a{i}"), "u1", &[i as u8], sort), 5)
            .await
            .expect("insert");
    }
    assert!(
        c.expired_intents(i64::MAX, 10)
            .await
            .expect("intents")
            .is_empty(),
        "inserting an asset clears its blob's intent"
    );
    c.insert_asset(&asset("b1", "u2", &[1], MAR + 1), 5)
        .await
        .expect("same content, other owner");
    assert!(
        matches!(
            c.insert_asset(&asset("a9", "u1", &[2], 1), 5).await,
            Err(CatalogError::AlreadyExists)
        ),
        "dedup per owner"
    );
    assert_eq!(
        c.usage("u1").await.expect("usage"),
        (40, 4),
        "a failed insert changes nothing"
    );
    assert_eq!(c.usage("nobody").await.expect("usage"), (0, 0));
    let (u2_bytes, u2_assets) = c.usage("u2").await.expect("usage");
    assert_eq!(
        c.total_usage().await.expect("total"),
        (40 + u2_bytes, 4 + u2_assets),
        "the total is every account's usage summed"
    );
    assert_eq!(
        c.asset_by_content("u1", &[3])
            .await
            .expect("get")
            .map(|a| a.id),
        Some("a3".into())
    );
    let mut have = c
        .assets_with_content("u1", &[vec![1], vec![3], vec![77]])
        .await
        .expect("bulk");
    have.sort();
    assert_eq!(
        have,
        vec![(vec![1], "a1".to_string()), (vec![3], "a3".to_string())]
    );
    assert!(
        c.assets_with_content("u1", &[])
            .await
            .expect("bulk")
            .is_empty()
    );
    assert!(
        c.asset("u1", "b1").await.expect("get").is_none(),
        "another owner's asset is invisible"
    );
    // Each insert queued exactly one replication of its blob.
    let seen = drain(c, JobKind::Replicate, 10, 1_000).await;
    assert_eq!(
        seen,
        ["blob-a1", "blob-a2", "blob-a3", "blob-a4", "blob-b1"]
    );

    // Keyset pages, newest first, ties broken by id.
    let p1 = c.timeline("u1", &all, None, 2).await.expect("page");
    assert_eq!(ids(&p1), ["a4", "a2"]);
    let last = p1.last().expect("last");
    let p2 = c
        .timeline("u1", &all, Some((last.sort_at, &last.id)), 2)
        .await
        .expect("page");
    assert_eq!(ids(&p2), ["a3", "a1"]);
    // Months kept by triggers.
    let months = c
        .month_counts("u1", &MonthFacets::default())
        .await
        .expect("months");
    assert_eq!(months, vec![(202403, 2), (202402, 1), (202401, 1)]);

    // Flags, caption, filters.
    let fav = AssetChange {
        favorite: Some(true),
        caption: Some(Some(b"cap".to_vec())),
        ..Default::default()
    };
    assert!(c.update_asset("u1", "a3", &fav).await.expect("update"));
    assert!(
        !c.update_asset("u1", "b1", &fav).await.expect("update"),
        "not another owner's"
    );
    let arch = AssetChange {
        archived: Some(true),
        ..Default::default()
    };
    assert!(c.update_asset("u1", "a2", &arch).await.expect("update"));
    let a3 = c.asset("u1", "a3").await.expect("get").expect("a3");
    assert!(a3.favorite && a3.caption.as_deref() == Some(&b"cap"[..]));
    // A timeline row is the whole row: binary columns, flags and NULLs survive.
    let favs = TimelineFilter {
        favorite: Some(true),
        ..Default::default()
    };
    assert_eq!(
        c.timeline("u1", &favs, None, 9).await.expect("page"),
        vec![a3.clone()]
    );
    let a1 = c.asset("u1", "a1").await.expect("get").expect("a1");
    assert!(a1.caption.is_none() && a1.taken_at.is_none() && a1.file_name.is_some());
    let all_rows = c.timeline("u1", &all, None, 9).await.expect("page");
    assert_eq!(all_rows.last(), Some(&a1));
    let f = |favorite, archived| TimelineFilter {
        favorite,
        archived,
        ..Default::default()
    };
    assert_eq!(
        ids(&c
            .timeline("u1", &f(Some(true), None), None, 9)
            .await
            .expect("fav")),
        ["a3"]
    );
    assert_eq!(
        ids(&c
            .timeline("u1", &f(None, Some(true)), None, 9)
            .await
            .expect("arch")),
        ["a2"]
    );
    assert_eq!(
        ids(&c
            .timeline("u1", &f(None, Some(false)), None, 9)
            .await
            .expect("arch")),
        ["a4", "a3", "a1"]
    );
    let range = TimelineFilter {
        from_ms: Some(FEB),
        to_ms: Some(MAR),
        ..Default::default()
    };
    assert_eq!(
        ids(&c.timeline("u1", &range, None, 9).await.expect("range")),
        ["a3"]
    );
    let videos = TimelineFilter {
        kind: Some(AssetKind::Video),
        ..Default::default()
    };
    assert!(
        c.timeline("u1", &videos, None, 9)
            .await
            .expect("kind")
            .is_empty()
    );
    let facets = MonthFacets {
        archived: Some(false),
        ..Default::default()
    };
    assert_eq!(
        c.month_counts("u1", &facets).await.expect("months"),
        vec![(202403, 1), (202402, 1), (202401, 1)]
    );
    let facets = MonthFacets {
        favorite: Some(true),
        kind: Some(AssetKind::Photo),
        ..Default::default()
    };
    assert_eq!(
        c.month_counts("u1", &facets).await.expect("months"),
        vec![(202402, 1)]
    );
    let clear = AssetChange {
        caption: Some(None),
        ..Default::default()
    };
    assert!(c.update_asset("u1", "a3", &clear).await.expect("update"));
    let a3 = c.asset("u1", "a3").await.expect("get").expect("a3");
    assert!(a3.favorite && a3.caption.is_none(), "other fields kept");

    // Albums: owner-scoped, only the owner's assets go in.
    c.create_album("al1", "u1", b"name-ct", 1)
        .await
        .expect("album");
    c.create_album("bl1", "u2", b"other", 1)
        .await
        .expect("album");
    assert_eq!(
        c.add_to_album(
            "u1",
            "al1",
            &["a1".into(), "a3".into(), "b1".into(), "zz".into()],
            2
        )
        .await
        .expect("add"),
        2
    );
    assert_eq!(
        c.add_to_album("u1", "al1", &["a1".into()], 2)
            .await
            .expect("again"),
        0
    );
    assert_eq!(
        c.add_to_album("u1", "bl1", &["a1".into()], 2)
            .await
            .expect("foreign"),
        0
    );
    let in_album = TimelineFilter {
        album: Some("al1".into()),
        ..Default::default()
    };
    assert_eq!(
        ids(&c.timeline("u1", &in_album, None, 9).await.expect("album")),
        ["a3", "a1"]
    );
    assert!(
        c.timeline("u2", &in_album, None, 9)
            .await
            .expect("album")
            .is_empty()
    );
    assert!(
        c.set_album_cover("u1", "al1", Some("a3"), 3)
            .await
            .expect("cover")
    );
    assert!(
        !c.set_album_cover("u1", "al1", Some("a4"), 3)
            .await
            .expect("cover"),
        "not in the album"
    );
    assert!(
        !c.set_album_cover("u2", "al1", None, 3)
            .await
            .expect("cover"),
        "not theirs"
    );
    assert!(
        c.rename_album("u1", "al1", b"new-ct", 4)
            .await
            .expect("rename")
    );
    assert!(!c.rename_album("u2", "al1", b"x", 4).await.expect("rename"));
    let al = c.album("u1", "al1").await.expect("get").expect("album");
    assert_eq!(
        (
            al.name.as_slice(),
            al.cover_asset_id.as_deref(),
            al.asset_count
        ),
        (&b"new-ct"[..], Some("a3"), 2)
    );
    assert!(c.album("u2", "al1").await.expect("get").is_none());
    assert_eq!(c.albums("u1").await.expect("list").len(), 1);
    assert_eq!(
        c.remove_from_album("u2", "al1", &["a3".into()], 5)
            .await
            .expect("rm"),
        0
    );
    assert_eq!(
        c.remove_from_album("u1", "al1", &["a3".into()], 5)
            .await
            .expect("rm"),
        1
    );
    let al = c.album("u1", "al1").await.expect("get").expect("album");
    assert_eq!(
        (al.cover_asset_id, al.asset_count),
        (None, 1),
        "removing the cover clears it"
    );

    // Media: every new asset queued one media job; recording a result moves
    // the timeline position to the capture time, stores the files and queues
    // their replication; the files are the owner's only.
    let media = drain(c, JobKind::Media, 10, 1_000).await;
    assert_eq!(media, ["a1", "a2", "a3", "a4", "b1"]);
    let file = |kind: FileKind| pixelunion_catalog::AssetFileRow {
        asset_id: "a4".into(),
        kind,
        blob_name: format!("file-{kind}"),
        mime: "image/jpeg".into(),
        size: 100,
        width: 250,
        height: 375,
    };
    c.add_intent("file-thumbnail", 1).await.expect("intent");
    let result = pixelunion_catalog::MediaResult {
        taken_at: Some(JAN + 5),
        width: Some(2000),
        height: Some(3000),
        metadata: Some(b"meta-ct".to_vec()),
        files: vec![file(FileKind::Thumbnail), file(FileKind::Preview)],
    };
    assert!(c.record_media("a4", &result, 20).await.expect("record"));
    assert!(
        !c.record_media("gone", &result, 20).await.expect("record"),
        "a purged asset records nothing"
    );
    let a4 = c.asset("u1", "a4").await.expect("get").expect("a4");
    assert_eq!(
        (
            a4.taken_at,
            a4.sort_at,
            a4.width,
            a4.media_state.as_str(),
            a4.metadata.as_deref()
        ),
        (
            Some(JAN + 5),
            JAN + 5,
            Some(2000),
            "ready",
            Some(&b"meta-ct"[..])
        )
    );
    assert!(
        c.expired_intents(i64::MAX, 10)
            .await
            .expect("intents")
            .is_empty()
    );
    assert_eq!(
        c.asset_file("u1", "a4", FileKind::Preview)
            .await
            .expect("file"),
        Some(file(FileKind::Preview))
    );
    assert_eq!(
        c.asset_file("u2", "a4", FileKind::Preview)
            .await
            .expect("file"),
        None
    );
    let months = c
        .month_counts("u1", &MonthFacets::default())
        .await
        .expect("months");
    assert!(
        months.contains(&(202401, 2)),
        "the month counts follow the capture time: {months:?}"
    );
    let repl = drain(c, JobKind::Replicate, 20, 1_000).await;
    assert_eq!(repl, ["file-preview", "file-thumbnail"]);
    // A transcoded video is added beside them; recording it again replaces
    // it (old blob dropped), and a later pipeline run keeps it.
    let mut playback = file(FileKind::Playback);
    playback.mime = "video/mp4".into();
    assert!(c.record_derived_file(&playback, 30).await.expect("derived"));
    let mut again = playback.clone();
    again.blob_name = "file-playback-2".into();
    assert!(c.record_derived_file(&again, 31).await.expect("derived"));
    let mut orphan = playback.clone();
    orphan.asset_id = "gone".into();
    assert!(
        !c.record_derived_file(&orphan, 32).await.expect("derived"),
        "a purged asset records nothing"
    );
    assert!(c.record_media("a4", &result, 33).await.expect("record"));
    assert_eq!(
        c.asset_file("u1", "a4", FileKind::Playback)
            .await
            .expect("file"),
        Some(again.clone())
    );
    let repl = drain(c, JobKind::Replicate, 40, 1_000).await;
    assert_eq!(
        repl,
        [
            "file-playback",
            "file-playback-2",
            "file-preview",
            "file-thumbnail"
        ]
    );
    let dropped = drain(c, JobKind::DropPrimary, 40, 1_000).await;
    assert_eq!(
        dropped,
        ["file-playback", "file-preview", "file-thumbnail"],
        "replaced files are dropped, the current playback file is not"
    );
    c.set_media_state("a2", MediaState::Failed, Some("cannot decode the image"))
        .await
        .expect("state");
    let a2 = c.asset("u1", "a2").await.expect("get").expect("a2");
    assert_eq!(
        (a2.media_state.as_str(), a2.media_error.as_deref()),
        ("failed", Some("cannot decode the image"))
    );

    // Trash: out of the timeline and the month counts, back on restore.
    assert!(c.trash_asset("u1", "a3", 9).await.expect("trash"));
    assert!(
        !c.trash_asset("u1", "a3", 9).await.expect("trash"),
        "already in the trash"
    );
    assert!(
        !c.trash_asset("u1", "b1", 9).await.expect("trash"),
        "not another owner's"
    );
    assert_eq!(
        c.timeline("u1", &all, None, 10).await.expect("page").len(),
        3
    );
    let trash = TimelineFilter {
        trashed: true,
        ..Default::default()
    };
    assert_eq!(
        ids(&c.timeline("u1", &trash, None, 10).await.expect("page")),
        ["a3"]
    );
    assert!(
        !c.month_counts("u1", &MonthFacets::default())
            .await
            .expect("m")
            .iter()
            .any(|m| m.0 == 202402)
    );
    assert!(c.restore_asset("u1", "a3").await.expect("restore"));
    assert!(
        !c.restore_asset("u1", "a3").await.expect("restore"),
        "not in the trash"
    );
    assert!(
        c.month_counts("u1", &MonthFacets::default())
            .await
            .expect("m")
            .contains(&(202402, 1))
    );

    // Purge: rows go, blob deletions are queued (primary now, backup later),
    // a pending replication is dropped; usage follows.
    c.enqueue_job(JobKind::Replicate, "blob-a1", 0)
        .await
        .expect("enqueue");
    assert!(c.trash_asset("u1", "a1", 100).await.expect("trash"));
    assert!(c.trash_asset("u1", "a4", 200).await.expect("trash"));
    assert!(c.trash_asset("u2", "b1", 100).await.expect("trash"));
    assert_eq!(
        c.purge_trashed(None, 150, 1_000, 100).await.expect("sweep"),
        2,
        "a1 and b1, not a4"
    );
    assert!(c.asset("u1", "a1").await.expect("get").is_none());
    assert!(c.asset("u1", "a4").await.expect("get").is_some());
    assert_eq!(c.usage("u1").await.expect("usage"), (30, 3));
    assert_eq!(
        c.purge_trashed(Some("u2"), i64::MAX, 1_000, 100)
            .await
            .expect("empty"),
        0
    );
    assert_eq!(
        c.purge_trashed(Some("u1"), i64::MAX, 1_000, 100)
            .await
            .expect("empty"),
        1
    );
    assert!(
        c.claim_job(&[JobKind::Replicate], i64::MAX - 1, i64::MAX)
            .await
            .expect("claim")
            .is_none()
    );
    let drops = drain(c, JobKind::DropPrimary, 1_000, 2_000).await;
    assert_eq!(
        drops,
        [
            "blob-a1",
            "blob-a4",
            "blob-b1",
            "file-playback-2",
            "file-preview",
            "file-thumbnail"
        ],
        "derived files go with their asset"
    );
    assert!(
        c.claim_job(&[JobKind::DropBackup], 1_000, 2_000)
            .await
            .expect("claim")
            .is_none(),
        "the backup copy is dropped after the delay"
    );
    let later = 1_000 + pixelunion_catalog::jobs::BACKUP_DROP_DELAY_MS;
    let j = c
        .claim_job(&[JobKind::DropBackup], later, later + 10)
        .await
        .expect("claim")
        .expect("due");
    // the earliest due: a replaced file's copy, or one of the purged blobs
    assert!(
        j.subject == "file-playback" || drops.contains(&j.subject),
        "{j:?}"
    );
}

async fn jobs_suite(c: &Catalog) {
    use pixelunion_catalog::JobKind;
    c.enqueue_job(JobKind::Replicate, "j1", 0)
        .await
        .expect("enqueue");
    c.enqueue_job(JobKind::Replicate, "j1", 0)
        .await
        .expect("twice is once");
    let j = c
        .claim_job(&[JobKind::Replicate], 10, 100)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!((j.subject.as_str(), j.attempt), ("j1", 1));
    assert!(
        c.claim_job(&[JobKind::Replicate], 50, 150)
            .await
            .expect("claim")
            .is_none(),
        "leased"
    );
    // The lease runs out: another worker takes it; the first one's result is refused.
    let j2 = c
        .claim_job(&[JobKind::Replicate], 100, 200)
        .await
        .expect("claim")
        .expect("re-claimed");
    assert_eq!(j2.attempt, 2);
    assert!(!c.finish_job(&j).await.expect("finish"), "lost lease");
    assert!(
        !c.renew_job(&j, 10_000).await.expect("renew"),
        "a lost lease cannot be renewed"
    );
    assert!(c.renew_job(&j2, 400).await.expect("renew"));
    assert!(
        c.claim_job(&[JobKind::Replicate], 300, 500)
            .await
            .expect("claim")
            .is_none(),
        "a renewed lease holds past its first end"
    );
    c.fail_job(&j2, "store unreachable", 200)
        .await
        .expect("fail");
    assert!(
        c.claim_job(&[JobKind::Replicate], 201, 300)
            .await
            .expect("claim")
            .is_none(),
        "backoff"
    );
    let counts = c.job_counts(201).await.expect("counts");
    assert!(
        counts.contains(&("replicate".into(), "ready".into(), 1)),
        "{counts:?}"
    );
    let mut t = 200;
    let mut last = j2;
    for _ in 0..20 {
        t += 10_000_000;
        match c
            .claim_job(&[JobKind::Replicate], t, t + 10)
            .await
            .expect("claim")
        {
            Some(j) => {
                c.fail_job(&j, "store unreachable", t).await.expect("fail");
                last = j;
            }
            None => break,
        }
    }
    assert_eq!(last.attempt, pixelunion_catalog::jobs::MAX_ATTEMPTS);
    let dead = c.dead_jobs(10).await.expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].3.as_deref(), Some("store unreachable"));
    assert!(
        c.claim_job(&[JobKind::Replicate], i64::MAX - 1, i64::MAX)
            .await
            .expect("c")
            .is_none()
    );
}

async fn uploads_suite(c: &Catalog) {
    use pixelunion_catalog::{JobKind, UploadRow};
    let u = UploadRow {
        id: "up1".into(),
        owner_id: "u1".into(),
        length: 100,
        received: 0,
        file_name: None,
        created_at: 1,
        expires_at: 1_000,
        busy_until: None,
        asset_id: None,
    };
    c.create_upload(&u).await.expect("create");
    assert_eq!(c.reserved_upload_bytes("u1").await.expect("reserved"), 100);
    assert!(c.upload("u2", "up1").await.expect("get").is_none());
    assert!(c.claim_upload("u1", "up1", 0, 10, 50).await.expect("claim"));
    assert!(
        !c.claim_upload("u1", "up1", 0, 20, 60).await.expect("claim"),
        "held by a writer"
    );
    assert!(
        !c.claim_upload("u2", "up1", 0, 100, 160)
            .await
            .expect("claim"),
        "not theirs"
    );
    c.add_intent("p1", 99).await.expect("intent");
    c.add_upload_part("up1", 0, "p1", 40, 2_000)
        .await
        .expect("part");
    assert!(
        matches!(
            c.add_upload_part("up1", 0, "p9", 40, 2_000).await,
            Err(CatalogError::NotFound)
        ),
        "a second part at the same offset is refused"
    );
    c.release_upload("up1").await.expect("release");
    assert!(
        !c.claim_upload("u1", "up1", 0, 20, 60).await.expect("claim"),
        "wrong offset"
    );
    assert!(
        c.claim_upload("u1", "up1", 40, 20, 60)
            .await
            .expect("claim")
    );
    c.add_upload_part("up1", 40, "p2", 60, 2_000)
        .await
        .expect("part");
    let got = c.upload("u1", "up1").await.expect("get").expect("upload");
    assert_eq!((got.received, got.expires_at), (100, 2_000));
    assert_eq!(c.user_quota("u1").await.expect("quota"), None);
    assert!(c.set_user_quota("u1", Some(1 << 30)).await.expect("quota"));
    assert_eq!(c.user_quota("u1").await.expect("quota"), Some(1 << 30));
    assert!(!c.set_user_quota("nobody", Some(1)).await.expect("quota"));
    assert_eq!(
        c.upload_parts("up1").await.expect("parts"),
        vec![("p1".to_string(), 40), ("p2".to_string(), 60)]
    );
    assert!(
        c.expired_intents(i64::MAX, 10)
            .await
            .expect("intents")
            .is_empty()
    );
    assert!(
        c.expired_uploads(1_500, 10)
            .await
            .expect("expired")
            .is_empty()
    );
    assert_eq!(
        c.expired_uploads(2_500, 10).await.expect("expired"),
        ["up1"]
    );
    assert!(
        !c.delete_upload(Some("u2"), "up1", 5).await.expect("delete"),
        "not theirs"
    );
    assert!(c.delete_upload(Some("u1"), "up1", 5).await.expect("delete"));
    assert!(c.upload("u1", "up1").await.expect("get").is_none());
    let drops = drain(c, JobKind::DropPrimary, 10, 20).await;
    assert_eq!(
        drops,
        ["p1", "p2"],
        "the parts' blobs are queued for deletion"
    );
}

async fn accounts_suite(c: &Catalog) {
    assert_eq!(c.count_users().await.expect("count"), 0);
    c.create_user(&user("u1", b"idx-1")).await.expect("create");
    c.create_user(&user("u2", b"idx-2")).await.expect("create");
    assert!(matches!(
        c.create_user(&user("u3", b"idx-1")).await,
        Err(CatalogError::AlreadyExists)
    ));
    assert_eq!(c.count_users().await.expect("count"), 2);
    let found = c
        .user_by_email_index(&[b"nope".to_vec(), b"idx-2".to_vec()])
        .await
        .expect("find")
        .expect("some");
    assert_eq!(found, user("u2", b"idx-2"));
    assert!(
        c.user_by_email_index(&[b"nope".to_vec()])
            .await
            .expect("find")
            .is_none()
    );

    c.set_password("u1", "$argon2id$new", false)
        .await
        .expect("pw");
    c.set_role("u1", Role::Admin).await.expect("role");
    let q = "UPDATE users SET role = 'emperor' WHERE id = 'u1'";
    let refused = match c {
        Catalog::Sqlite(p, _) => sqlx::query(q).execute(p).await.is_err(),
        Catalog::Postgres(p) => sqlx::query(q).execute(p).await.is_err(),
    };
    assert!(refused, "roles are checked by the schema too");
    c.set_disabled("u2", true).await.expect("disable");
    c.touch_login("u1", 77).await.expect("touch");
    let u1 = c.user_by_id("u1").await.expect("get").expect("some");
    assert_eq!(
        (
            u1.password_hash.as_str(),
            u1.must_change_password,
            u1.role.as_str(),
            u1.last_login_at
        ),
        ("$argon2id$new", false, "admin", Some(77))
    );
    assert!(
        c.user_by_id("u2")
            .await
            .expect("get")
            .expect("some")
            .disabled
    );
    assert!(matches!(
        c.set_password("ghost", "x", false).await,
        Err(CatalogError::NotFound)
    ));

    // TOTP replay guard: a step is accepted once, later steps only.
    c.set_totp("u1", Some(b"ct-secret")).await.expect("totp");
    assert!(c.claim_totp_step("u1", 100).await.expect("claim"));
    assert!(
        !c.claim_totp_step("u1", 100).await.expect("claim"),
        "replay"
    );
    assert!(
        !c.claim_totp_step("u1", 99).await.expect("claim"),
        "older step"
    );
    assert!(c.claim_totp_step("u1", 101).await.expect("claim"));
    c.set_totp("u1", None).await.expect("clear");
    assert_eq!(
        c.user_by_id("u1")
            .await
            .expect("get")
            .expect("some")
            .totp_secret,
        None
    );

    c.replace_recovery_codes("u1", &[[1; 32], [2; 32]])
        .await
        .expect("codes");
    assert!(c.use_recovery_code("u1", &[1; 32], 5).await.expect("use"));
    assert!(
        !c.use_recovery_code("u1", &[1; 32], 6).await.expect("use"),
        "single use"
    );
    assert!(
        !c.use_recovery_code("u2", &[2; 32], 6).await.expect("use"),
        "another user's code"
    );
    assert_eq!(c.recovery_codes_left("u1").await.expect("left"), 1);

    c.create_session(&session(b"h1", "s1", "u1", 10))
        .await
        .expect("session");
    c.create_session(&session(b"h2", "s2", "u1", 20))
        .await
        .expect("session");
    c.create_session(&session(b"h3", "s3", "u2", 30))
        .await
        .expect("session");
    assert_eq!(
        c.session_by_token_hash(b"h1").await.expect("get"),
        Some(session(b"h1", "s1", "u1", 10))
    );
    c.touch_session(b"h1", 50).await.expect("touch");
    let list = c.list_sessions("u1").await.expect("list");
    assert_eq!(
        list.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["s1", "s2"]
    );
    assert!(
        !c.delete_session("u1", "s3").await.expect("delete"),
        "cannot revoke another user's session"
    );
    assert!(c.delete_session("u1", "s2").await.expect("delete"));
    c.create_session(&session(b"h4", "s4", "u1", 60))
        .await
        .expect("session");
    assert_eq!(
        c.delete_other_sessions("u1", Some(b"h1"))
            .await
            .expect("others"),
        1
    );
    assert_eq!(c.list_sessions("u1").await.expect("list").len(), 1);
    c.delete_session_by_hash(b"h1").await.expect("logout");
    assert!(c.session_by_token_hash(b"h1").await.expect("get").is_none());
    assert_eq!(c.list_sessions("u2").await.expect("list").len(), 1);

    let tok = |id: &str, user: &str, hash: &[u8]| pixelunion_catalog::ApiTokenRow {
        id: id.into(),
        user_id: user.into(),
        token_hash: hash.to_vec(),
        name: b"ct-name".to_vec(),
        scope: "read".into(),
        created_at: 5,
        expires_at: 500,
        last_used_at: None,
    };
    c.create_api_token(&tok("t1", "u1", b"th1"))
        .await
        .expect("token");
    c.create_api_token(&tok("t2", "u2", b"th2"))
        .await
        .expect("token");
    assert!(
        c.create_api_token(&tok("t3", "u1", b"th1")).await.is_err(),
        "hash is unique"
    );
    let mut bad = tok("t4", "u1", b"th4");
    bad.scope = "root".into();
    assert!(
        c.create_api_token(&bad).await.is_err(),
        "scope is checked by the schema"
    );
    assert_eq!(
        c.api_token_by_hash(b"th1").await.expect("get"),
        Some(tok("t1", "u1", b"th1"))
    );
    c.touch_api_token(b"th1", 9).await.expect("touch");
    assert_eq!(
        c.list_api_tokens("u1").await.expect("list")[0].last_used_at,
        Some(9)
    );
    assert!(
        !c.delete_api_token("u1", "t2").await.expect("delete"),
        "not another user's token"
    );
    assert!(c.delete_api_token("u1", "t1").await.expect("delete"));
    assert!(c.api_token_by_hash(b"th1").await.expect("get").is_none());

    let inv = |id: &str, hash: &[u8], expires: i64| pixelunion_catalog::InviteRow {
        id: id.into(),
        token_hash: hash.to_vec(),
        role: Role::User,
        email_index: None,
        created_by: "u1".into(),
        created_at: 1,
        expires_at: expires,
        used_at: None,
    };
    c.create_invite(&inv("i1", b"ih1", 100))
        .await
        .expect("invite");
    c.create_invite(&inv("i2", b"ih2", 10))
        .await
        .expect("invite");
    c.create_invite(&inv("i3", b"ih3", 100))
        .await
        .expect("invite");
    assert_eq!(c.list_invites().await.expect("list").len(), 3);
    assert!(
        !c.accept_invite(b"ih2", 50, &user("n0", b"idx-n0"))
            .await
            .expect("expired"),
        "expired"
    );
    assert!(
        c.accept_invite(b"ih1", 50, &user("n1", b"idx-n1"))
            .await
            .expect("accept")
    );
    assert!(
        !c.accept_invite(b"ih1", 51, &user("n2", b"idx-n2"))
            .await
            .expect("reuse"),
        "single use"
    );
    assert!(c.user_by_id("n1").await.expect("get").is_some());
    assert!(
        c.user_by_id("n0").await.expect("get").is_none()
            && c.user_by_id("n2").await.expect("get").is_none(),
        "nothing created on refusal"
    );
    // A taken e-mail rolls the claim back: the invitation stays usable.
    assert!(matches!(
        c.accept_invite(b"ih3", 50, &user("n3", b"idx-n1")).await,
        Err(CatalogError::AlreadyExists)
    ));
    assert_eq!(
        c.invite_by_hash(b"ih3")
            .await
            .expect("get")
            .expect("some")
            .used_at,
        None
    );
    assert!(c.delete_invite("i3").await.expect("delete"));
    assert!(
        !c.delete_invite("i1").await.expect("delete"),
        "used invitations stay on record"
    );

    for (i, action) in ["login", "login", "session.revoke"].iter().enumerate() {
        c.append_audit(&AuditRow {
            seq: 0,
            at: i as i64,
            actor: Some("u1".into()),
            action: (*action).into(),
            target: None,
            outcome: "success".into(),
            details: None,
        })
        .await
        .expect("audit");
    }
    let recent = c.recent_audit(2).await.expect("audit");
    assert_eq!(
        recent.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["session.revoke", "login"]
    );
    assert!(recent[0].seq > recent[1].seq);
    // Append-only: the database itself refuses changes.
    let upd = "UPDATE audit_events SET outcome = 'failure'";
    let del = "DELETE FROM audit_events";
    match c {
        Catalog::Sqlite(p, _) => {
            assert!(sqlx::query(upd).execute(p).await.is_err());
            assert!(sqlx::query(del).execute(p).await.is_err());
        }
        Catalog::Postgres(p) => {
            assert!(sqlx::query(upd).execute(p).await.is_err());
            assert!(sqlx::query(del).execute(p).await.is_err());
        }
    }
    assert_eq!(c.recent_audit(10).await.expect("audit").len(), 3);
    assets_suite(c).await;
    jobs_suite(c).await;
    uploads_suite(c).await;
}

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
    accounts_suite(c).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
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
    // Several server processes on one database: separate pools, separate
    // connections, workers racing for the same jobs.
    let other = Catalog::connect(&format!("{base}/{db}"))
        .await
        .expect("connect");
    racing_workers(&c, &other).await;
    other.close().await;
    c.close().await;
    sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
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
