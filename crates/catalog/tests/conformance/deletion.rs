//! Account deletion: the request closes the account (sessions and tokens go
//! in the same transaction), a second request and a cancel of nothing are
//! refused, the purge takes every asset (trashed or not) with its blobs'
//! deletion queued for both stores, then the user row with its cascade.

use pixelunion_catalog::{AssetKind, Catalog, MediaState, SessionRow};

use crate::support::*;

pub async fn deletion(c: &Catalog) {
    two_users(c).await;
    let session = |id: &str, user: &str| SessionRow {
        token_hash: id.as_bytes().to_vec(),
        id: id.into(),
        user_id: user.into(),
        created_at: 1,
        last_seen_at: 1,
        idle_secs: 100,
        expires_at: i64::MAX / 2,
        client: None,
    };
    c.create_session(&session("s1", "u1"))
        .await
        .expect("session");
    c.create_session(&session("s2", "u2"))
        .await
        .expect("session");
    for (i, owner) in [(1, "u1"), (2, "u1"), (3, "u2")] {
        let id = format!("d{i}");
        c.add_intent(&format!("blob-{id}"), 1)
            .await
            .expect("intent");
        c.insert_asset(
            &pixelunion_catalog::AssetRow {
                id: id.clone(),
                owner_id: owner.into(),
                blob_name: format!("blob-{id}"),
                kind: AssetKind::Photo,
                mime: "image/jpeg".into(),
                size: 10,
                content_index: vec![i as u8],
                file_name: None,
                taken_at: None,
                uploaded_at: i,
                sort_at: i,
                trashed_at: (i == 2).then_some(5),
                favorite: false,
                archived: false,
                caption: None,
                width: None,
                height: None,
                metadata: None,
                media_state: MediaState::Pending,
                media_error: None,
                blob_sha256: None,
            },
            5,
        )
        .await
        .expect("asset");
    }

    assert!(
        c.request_account_deletion("u1", "u1", 100, 200)
            .await
            .expect("request")
    );
    assert!(
        !c.request_account_deletion("u1", "u1", 101, 201)
            .await
            .expect("twice")
    );
    assert!(
        !c.request_account_deletion("ghost", "u1", 1, 2)
            .await
            .expect("absent")
    );
    let u1 = c.user_by_id("u1").await.expect("get").expect("some");
    assert!(u1.disabled, "closed at once");
    assert!(c.list_sessions("u1").await.expect("sessions").is_empty());
    assert_eq!(c.list_sessions("u2").await.expect("sessions").len(), 1);
    let d = c
        .account_deletion("u1")
        .await
        .expect("get")
        .expect("pending");
    assert_eq!(
        (d.requested_at, d.purge_after, d.requested_by.as_str()),
        (100, 200, "u1")
    );
    assert!(c.accounts_due_for_purge(199).await.expect("due").is_empty());
    assert_eq!(c.accounts_due_for_purge(200).await.expect("due"), ["u1"]);

    // Cancel, then ask again.
    assert!(c.cancel_account_deletion("u1").await.expect("cancel"));
    assert!(
        !c.cancel_account_deletion("u1")
            .await
            .expect("nothing to cancel")
    );
    assert!(
        !c.user_by_id("u1")
            .await
            .expect("get")
            .expect("some")
            .disabled
    );
    assert!(c.pending_deletions().await.expect("pending").is_empty());
    assert!(
        c.request_account_deletion("u1", "admin", 300, 300)
            .await
            .expect("again")
    );
    assert_eq!(c.pending_deletions().await.expect("pending").len(), 1);

    // The purge: all of u1's assets (the trashed one too), then the row.
    assert_eq!(
        c.purge_owner_assets("u1", 1000, 5000, 1)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        c.purge_owner_assets("u1", 1000, 5000, 10)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        c.purge_owner_assets("u1", 1000, 5000, 10)
            .await
            .expect("purge"),
        0
    );
    assert_eq!(c.purge_owner_uploads("u1", 1000).await.expect("uploads"), 0);
    assert!(c.delete_user("u1").await.expect("delete"));
    assert!(!c.delete_user("u1").await.expect("gone"));
    assert!(c.user_by_id("u1").await.expect("get").is_none());
    assert!(c.pending_deletions().await.expect("pending").is_empty());
    c.shred_deleted_rows().await.expect("shred");
    // u2 is untouched; u1's blobs are queued for deletion from both stores.
    assert!(c.user_by_id("u2").await.expect("get").is_some());
    let q = "SELECT kind, run_at FROM jobs WHERE subject = 'blob-d1' ORDER BY kind";
    let jobs: Vec<(String, i64)> = match c {
        Catalog::Sqlite(p, _) => sqlx::query_as(q).fetch_all(p).await.expect("jobs"),
        Catalog::Postgres(p) => sqlx::query_as(q).fetch_all(p).await.expect("jobs"),
    };
    assert_eq!(
        jobs,
        [
            ("drop-backup".to_string(), 6000),
            ("drop-primary".to_string(), 1000)
        ]
    );
}
