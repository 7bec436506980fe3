//! Assets: insert, pages, months, flags, albums, media results, trash and purge.

use pixelunion_catalog::{AssetKind, Catalog, CatalogError, FileKind, MediaState};

use crate::support::*;

pub async fn assets(c: &Catalog) {
    two_users(c).await;
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
        blob_sha256: Some(vec![id.len() as u8; 32]),
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

    // The owner sets a capture time (and new metadata): the asset moves in
    // the timeline and the month counts follow; set back, all is as before.
    let moved = AssetChange {
        taken_at: Some(JAN + 1),
        metadata: Some(b"meta-ct".to_vec()),
        ..Default::default()
    };
    assert!(c.update_asset("u1", "a3", &moved).await.expect("update"));
    assert!(
        !c.update_asset("u2", "a3", &moved).await.expect("update"),
        "not another owner's"
    );
    let a3 = c.asset("u1", "a3").await.expect("get").expect("a3");
    assert_eq!(
        (a3.taken_at, a3.sort_at, a3.metadata.as_deref(), a3.favorite),
        (Some(JAN + 1), JAN + 1, Some(&b"meta-ct"[..]), true)
    );
    assert_eq!(
        c.month_counts("u1", &MonthFacets::default())
            .await
            .expect("months"),
        vec![(202403, 2), (202401, 2)]
    );
    let back = AssetChange {
        taken_at: Some(FEB),
        ..Default::default()
    };
    assert!(c.update_asset("u1", "a3", &back).await.expect("update"));
    let a3 = c.asset("u1", "a3").await.expect("get").expect("a3");
    assert_eq!(
        (a3.sort_at, a3.metadata.as_deref()),
        (FEB, Some(&b"meta-ct"[..])),
        "metadata kept when not given"
    );
    assert_eq!(
        c.month_counts("u1", &MonthFacets::default())
            .await
            .expect("months"),
        vec![(202403, 2), (202402, 1), (202401, 1)]
    );

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
        sha256: Some(vec![7; 32]),
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
    // An empty or wildcard id names no asset: nothing is purged, neither the
    // trashed a4 nor anything outside the trash.
    for id in ["", "*"] {
        assert!(!c.purge_trashed_asset("u1", id, 300).await.expect("purge"));
    }
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
