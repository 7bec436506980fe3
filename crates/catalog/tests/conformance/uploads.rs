//! Resumable uploads: parts, claims, completion, expiry.

use pixelunion_catalog::{Catalog, CatalogError};

use crate::support::*;

/// A new upload of `length` bytes by u1, expiring at 1,000.
fn new_upload(id: &str, length: i64) -> pixelunion_catalog::UploadRow {
    pixelunion_catalog::UploadRow {
        id: id.into(),
        owner_id: "u1".into(),
        length,
        received: 0,
        file_name: None,
        created_at: 1,
        expires_at: 1_000,
        busy_until: None,
        asset_id: None,
    }
}

pub async fn uploads(c: &Catalog) {
    two_users(c).await;
    use pixelunion_catalog::JobKind;
    let u = new_upload("up1", 100);
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
    c.add_upload_part("up1", 0, "p1", 40, &[1; 32], 2_000)
        .await
        .expect("part");
    assert!(
        matches!(
            c.add_upload_part("up1", 0, "p9", 40, &[9; 32], 2_000).await,
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
    c.add_upload_part("up1", 40, "p2", 60, &[2; 32], 2_000)
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
        vec![
            ("p1".to_string(), 40, Some(vec![1; 32])),
            ("p2".to_string(), 60, Some(vec![2; 32]))
        ]
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
    adopted_parts_are_never_dropped(c).await;
    parts_kept_as_an_original(c).await;
}

/// A one-part upload's part becomes the asset's original; until the upload
/// is marked complete its row still names that blob. Neither completing nor
/// ending the upload may queue the deletion of a blob an asset references.
async fn adopted_parts_are_never_dropped(c: &Catalog) {
    use pixelunion_catalog::JobKind;
    for (up, end_it) in [("up-a", false), ("up-b", true)] {
        let blob = format!("{up}-part");
        let u = new_upload(up, 10);
        c.create_upload(&u).await.expect("create");
        c.add_intent(&blob, 99).await.expect("intent");
        c.add_upload_part(up, 0, &blob, 10, &[3; 32], 2_000)
            .await
            .expect("part");
        let row = photo_row(&format!("{up}-asset"), &blob, None);
        c.insert_asset(&row, 5).await.expect("insert");
        if end_it {
            // a crash between the asset and the completion, then the
            // upload is ended (by its owner or by expiry)
            assert!(c.delete_upload(None, up, 6).await.expect("delete"));
        } else {
            c.complete_upload(up, &row.id, 6, 2_000)
                .await
                .expect("complete");
            assert!(c.upload_parts(up).await.expect("parts").is_empty());
        }
        let drops = drain(c, JobKind::DropPrimary, 10, 20).await;
        assert!(
            !drops.contains(&blob),
            "the asset's original was queued for deletion ({up}): {drops:?}"
        );
        assert!(
            c.asset("u1", &row.id).await.expect("asset").is_some(),
            "{up}"
        );
    }
}

/// An upload in pieces whose parts become an original stored as several
/// blobs: completing it drops none of them; every part is queued for
/// replication, listed among the referenced blobs with its checksum, traced
/// to its owner, and queued for deletion from both stores when the asset is
/// purged.
async fn parts_kept_as_an_original(c: &Catalog) {
    use pixelunion_catalog::{AssetPartRow, JobKind};
    let up = "up-c";
    let names = ["up-c-0", "up-c-1", "up-c-2"];
    c.create_upload(&new_upload(up, 30)).await.expect("create");
    for (i, n) in names.iter().enumerate() {
        c.add_intent(n, 99).await.expect("intent");
        c.add_upload_part(up, 10 * i as i64, n, 10, &[i as u8 + 10; 32], 2_000)
            .await
            .expect("part");
    }
    let _ = drain(c, JobKind::Replicate, 10, 20).await;
    let mut row = photo_row("up-c-asset", names[0], None);
    row.size = 30;
    row.content_index = b"up-c-index".to_vec();
    let rest: Vec<AssetPartRow> = (1..3)
        .map(|i| AssetPartRow {
            seq: i,
            blob_name: names[i as usize].into(),
            size: 10,
            sha256: vec![i as u8 + 10; 32],
        })
        .collect();
    c.insert_asset_with_parts(&row, &rest, 5)
        .await
        .expect("insert");
    assert_eq!(c.asset_parts(&row.id).await.expect("parts"), rest);
    assert!(
        c.asset_parts("no-such-asset")
            .await
            .expect("parts")
            .is_empty()
    );
    let mut replicate = drain(c, JobKind::Replicate, 10, 20).await;
    replicate.sort();
    assert_eq!(replicate, names, "every part is replicated");
    c.complete_upload(up, &row.id, 6, 2_000)
        .await
        .expect("complete");
    let drops = drain(c, JobKind::DropPrimary, 10, 20).await;
    assert!(
        names.iter().all(|n| !drops.iter().any(|d| d == n)),
        "a part of an original was queued for deletion: {drops:?}"
    );
    let listed: Vec<_> = c
        .referenced_blobs("", 1_000)
        .await
        .expect("referenced")
        .into_iter()
        .filter(|b| b.name.starts_with("up-c-"))
        .map(|b| (b.name, b.sha256))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("up-c-0".to_string(), row.blob_sha256.clone()),
            ("up-c-1".to_string(), Some(vec![11; 32])),
            ("up-c-2".to_string(), Some(vec![12; 32])),
        ]
    );
    assert_eq!(
        c.blob_sha256("up-c-2").await.expect("sha"),
        Some(Some(vec![12; 32]))
    );
    let owner = c.blob_owner("up-c-1").await.expect("owner").expect("known");
    assert_eq!(
        (
            owner.owner_id.as_str(),
            owner.asset_id.as_str(),
            owner.original
        ),
        ("u1", "up-c-asset", false),
        "a later part is bound to its own name, not the asset's id"
    );
    assert!(c.trash_asset("u1", &row.id, 7).await.expect("trash"));
    assert_eq!(
        c.purge_trashed(Some("u1"), 8, 9, 10).await.expect("purge"),
        1
    );
    assert!(c.asset_parts(&row.id).await.expect("parts").is_empty());
    let mut primary = drain(c, JobKind::DropPrimary, 10, 20).await;
    primary.sort();
    assert_eq!(primary, names, "the purge reaches every part");
    let mut backup = drain(c, JobKind::DropBackup, i64::MAX / 2, 20).await;
    backup.retain(|b| b.starts_with("up-c-"));
    backup.sort();
    assert_eq!(backup, names, "and every part's backup copy");
}
