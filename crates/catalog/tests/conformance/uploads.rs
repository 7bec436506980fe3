//! Resumable uploads: parts, claims, completion, expiry.

use pixelunion_catalog::{Catalog, CatalogError};

use crate::support::*;

pub async fn uploads(c: &Catalog) {
    two_users(c).await;
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
    adopted_parts_are_never_dropped(c).await;
}

/// A one-part upload's part becomes the asset's original; until the upload
/// is marked complete its row still names that blob. Neither completing nor
/// ending the upload may queue the deletion of a blob an asset references.
async fn adopted_parts_are_never_dropped(c: &Catalog) {
    use pixelunion_catalog::{JobKind, UploadRow};
    for (up, end_it) in [("up-a", false), ("up-b", true)] {
        let blob = format!("{up}-part");
        let u = UploadRow {
            id: up.into(),
            owner_id: "u1".into(),
            length: 10,
            received: 0,
            file_name: None,
            created_at: 1,
            expires_at: 1_000,
            busy_until: None,
            asset_id: None,
        };
        c.create_upload(&u).await.expect("create");
        c.add_intent(&blob, 99).await.expect("intent");
        c.add_upload_part(up, 0, &blob, 10, 2_000)
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
