//! Shared albums and public links behave the same on both backends: a
//! share waits for its address and then points at the account; access is
//! owner-or-share; a contributor adds only their own items, all or none;
//! ending a share takes that account's items out; links show only their
//! owner's items outside the trash.

use pixelunion_catalog::{AlbumAccess, AlbumShareRow, AssetKind, Catalog, LinkRow, ShareRole};

use crate::support::*;

fn share(id: &str, album: &str, user: Option<&str>, idx: &[u8], role: ShareRole) -> AlbumShareRow {
    AlbumShareRow {
        id: id.into(),
        album_id: album.into(),
        user_id: user.map(str::to_string),
        email_index: idx.to_vec(),
        email: b"ct-email".to_vec(),
        role: role.as_str().into(),
        created_at: 10,
    }
}

async fn insert(c: &Catalog, owner: &str, id: &str, trashed: Option<i64>) {
    let mut row = photo_row(id, &format!("blob-{id}"), trashed);
    row.owner_id = owner.into();
    c.add_intent(&row.blob_name, 1).await.expect("intent");
    c.insert_asset(&row, 5).await.expect("insert");
}

pub async fn shares(c: &Catalog) {
    two_users(c).await;
    c.create_user(&user("u3", b"idx-3")).await.expect("u3");
    insert(c, "u1", "a1", None).await;
    insert(c, "u1", "a2", None).await;
    insert(c, "u2", "b1", None).await;
    insert(c, "u3", "c1", None).await;
    c.create_album("al", "u1", b"ct-name", 1)
        .await
        .expect("album");
    assert_eq!(
        c.add_own_to_album("u1", "al", &["a1".into()], 2)
            .await
            .expect("add"),
        Some(1)
    );
    // Nothing before a share.
    assert!(c.album_access("u2", "al").await.expect("access").is_none());
    assert!(c.asset_via_album("u2", "a1").await.expect("via").is_none());

    // A share waiting for an address, claimed by the account made later.
    let id = c
        .put_album_share(&share("s1", "al", None, b"idx-2", ShareRole::Viewer))
        .await
        .expect("share");
    assert_eq!(id, "s1");
    assert!(c.album_access("u2", "al").await.expect("access").is_none());
    assert_eq!(
        c.claim_album_shares("u2", &[b"idx-x".to_vec(), b"idx-2".to_vec()])
            .await
            .expect("claim"),
        1
    );
    let (row, access) = c
        .album_access("u2", "al")
        .await
        .expect("access")
        .expect("shared");
    assert_eq!(
        (row.id.as_str(), access),
        ("al", AlbumAccess::Shared(ShareRole::Viewer))
    );
    assert_eq!(
        c.album_access("u1", "al")
            .await
            .expect("owner")
            .map(|(_, a)| a),
        Some(AlbumAccess::Owner)
    );
    assert!(c.asset_via_album("u2", "a1").await.expect("via").is_some());
    assert!(
        c.asset_via_album("u2", "a2")
            .await
            .expect("not in it")
            .is_none()
    );
    assert!(
        c.asset_via_album("u3", "a1")
            .await
            .expect("not shared")
            .is_none()
    );
    let shared = c.shared_albums("u2").await.expect("shared");
    assert_eq!(
        shared
            .iter()
            .map(|s| (s.album.id.as_str(), s.role))
            .collect::<Vec<_>>(),
        [("al", ShareRole::Viewer)]
    );

    // The same address again changes the role and keeps the share.
    let id = c
        .put_album_share(&share(
            "s9",
            "al",
            Some("u2"),
            b"idx-2",
            ShareRole::Contributor,
        ))
        .await
        .expect("again");
    assert_eq!(id, "s1");
    assert_eq!(c.album_shares("u1", "al").await.expect("list").len(), 1);
    assert!(
        c.album_shares("u2", "al")
            .await
            .expect("not theirs")
            .is_empty()
    );

    // A contributor adds their own items, all or none.
    assert_eq!(
        c.add_own_to_album("u2", "al", &["b1".into(), "c1".into()], 3)
            .await
            .expect("refused"),
        None
    );
    assert_eq!(
        c.add_own_to_album("u2", "al", &["b1".into(), "a2".into()], 3)
            .await
            .expect("refused"),
        None
    );
    assert_eq!(
        c.add_own_to_album("u2", "al", &["b1".into()], 3)
            .await
            .expect("added"),
        Some(1)
    );
    let items = c.album_items("al", None, None, 10).await.expect("items");
    let mut got = ids(&items);
    got.sort_unstable();
    assert_eq!(got, ["a1", "b1"]);
    assert!(
        c.asset_via_album("u1", "b1")
            .await
            .expect("owner sees it")
            .is_some()
    );
    assert_eq!(
        c.album_items("al", Some(AssetKind::Video), None, 10)
            .await
            .expect("videos")
            .len(),
        0
    );
    let first = c.album_items("al", None, None, 1).await.expect("page");
    let rest = c
        .album_items("al", None, Some((first[0].sort_at, &first[0].id)), 10)
        .await
        .expect("next");
    assert_eq!(first.len() + rest.len(), 2);
    // A contributor takes out only their own; the owner any.
    assert_eq!(
        c.take_out_of_album("u2", "al", &["a1".into()], false, 4)
            .await
            .expect("not theirs"),
        0
    );
    // Trashed items of others are not visible.
    c.trash_asset("u1", "a1", 6).await.expect("trash");
    assert!(
        c.asset_via_album("u2", "a1")
            .await
            .expect("trashed")
            .is_none()
    );
    assert_eq!(
        ids(&c.album_items("al", None, None, 10).await.expect("items")),
        ["b1"]
    );
    c.restore_asset("u1", "a1").await.expect("restore");

    // Ending the share: no access, and the account's items leave the album.
    c.set_album_cover("u1", "al", Some("b1"), 7)
        .await
        .expect("cover");
    assert!(
        !c.delete_album_share("u2", "al", "s1")
            .await
            .expect("not theirs")
    );
    assert!(c.delete_album_share("u1", "al", "s1").await.expect("ended"));
    assert!(c.album_access("u2", "al").await.expect("gone").is_none());
    assert_eq!(
        ids(&c.album_items("al", None, None, 10).await.expect("items")),
        ["a1"]
    );
    assert_eq!(
        c.album("u1", "al")
            .await
            .expect("album")
            .expect("there")
            .cover_asset_id,
        None,
        "the cover left with its item"
    );

    // Leaving.
    c.put_album_share(&share(
        "s2",
        "al",
        Some("u3"),
        b"idx-3",
        ShareRole::Contributor,
    ))
    .await
    .expect("share");
    c.add_own_to_album("u3", "al", &["c1".into()], 8)
        .await
        .expect("add");
    assert!(!c.leave_album("u2", "al").await.expect("not shared"));
    assert!(c.leave_album("u3", "al").await.expect("left"));
    assert_eq!(
        ids(&c.album_items("al", None, None, 10).await.expect("items")),
        ["a1"]
    );

    // Display names.
    assert_eq!(c.display_name("u1").await.expect("none"), None);
    assert!(c.set_display_name("u1", Some(b"ct-dn")).await.expect("set"));
    assert_eq!(
        c.display_name("u1").await.expect("name").as_deref(),
        Some(&b"ct-dn"[..])
    );
}

fn link(id: &str, album: Option<&str>, hash: &[u8]) -> LinkRow {
    LinkRow {
        id: id.into(),
        owner_id: "u1".into(),
        token_hash: hash.to_vec(),
        token: b"ct-token".to_vec(),
        album_id: album.map(str::to_string),
        password_hash: None,
        allow_download: true,
        keep_metadata: false,
        expires_at: Some(99),
        views: 0,
        created_at: 10,
        last_viewed_at: None,
    }
}

pub async fn links(c: &Catalog) {
    two_users(c).await;
    insert(c, "u1", "a1", None).await;
    insert(c, "u1", "a2", None).await;
    insert(c, "u2", "b1", None).await;
    c.create_album("al", "u1", b"ct-name", 1)
        .await
        .expect("album");
    c.add_own_to_album("u1", "al", &["a1".into()], 2)
        .await
        .expect("add");
    // A contributor's item in the album is not shown by the owner's link.
    c.put_album_share(&AlbumShareRow {
        id: "s1".into(),
        album_id: "al".into(),
        user_id: Some("u2".into()),
        email_index: b"idx-2".to_vec(),
        email: b"ct".to_vec(),
        role: "contributor".into(),
        created_at: 1,
    })
    .await
    .expect("share");
    c.add_own_to_album("u2", "al", &["b1".into()], 2)
        .await
        .expect("add");

    assert!(
        !c.create_link(&link("l0", None, b"h0"), &["b1".into()])
            .await
            .expect("not theirs")
    );
    let mut bad = link("l0", Some("al"), b"h0");
    bad.owner_id = "u2".into();
    assert!(!c.create_link(&bad, &[]).await.expect("not their album"));
    assert!(c.links("u1").await.expect("none").is_empty());

    assert!(
        c.create_link(&link("l1", Some("al"), b"h1"), &[])
            .await
            .expect("album link")
    );
    assert!(
        c.create_link(&link("l2", None, b"h2"), &["a2".into(), "a1".into()])
            .await
            .expect("selection")
    );
    assert_eq!(
        ids(&c.link_items("l1", None, 10).await.expect("items")),
        ["a1"]
    );
    assert_eq!(c.link_item_count("l2").await.expect("count"), 2);
    // an empty album's link shows nothing; another owner's links are apart
    c.create_album("al0", "u1", b"ct-name", 1)
        .await
        .expect("empty album");
    assert!(
        c.create_link(&link("l3", Some("al0"), b"h3"), &[])
            .await
            .expect("empty album link")
    );
    let mut theirs = link("l4", None, b"h4");
    theirs.owner_id = "u2".into();
    assert!(
        c.create_link(&theirs, &["b1".into()])
            .await
            .expect("theirs")
    );
    let counts = |v: Vec<(String, i64)>| {
        let mut v = v;
        v.sort();
        v
    };
    assert_eq!(
        counts(c.link_item_counts("u1").await.expect("counts")),
        [("l1".to_string(), 1), ("l2".to_string(), 2)]
    );
    assert_eq!(c.link_item_count("l3").await.expect("empty"), 0);
    assert_eq!(
        counts(c.link_item_counts("u2").await.expect("theirs")),
        [("l4".to_string(), 1)]
    );
    let first = c.link_items("l2", None, 1).await.expect("page");
    let rest = c
        .link_items("l2", Some((first[0].sort_at, &first[0].id)), 10)
        .await
        .expect("next");
    assert_eq!(first.len() + rest.len(), 2);
    assert!(c.link_item("l1", "b1").await.expect("theirs").is_none());
    assert!(c.link_item("l1", "a2").await.expect("not in it").is_none());
    assert!(c.link_item("l2", "a2").await.expect("in it").is_some());
    c.trash_asset("u1", "a2", 3).await.expect("trash");
    assert!(c.link_item("l2", "a2").await.expect("trashed").is_none());
    assert_eq!(
        counts(c.link_item_counts("u1").await.expect("counts")),
        [("l1".to_string(), 1), ("l2".to_string(), 1)]
    );

    assert_eq!(
        c.link_by_token_hash(b"h1")
            .await
            .expect("by hash")
            .map(|l| l.id),
        Some("l1".to_string())
    );
    c.count_link_view("l1", 50).await.expect("view");
    let l = c.link_by_id("l1").await.expect("by id").expect("there");
    assert_eq!(
        (l.views, l.last_viewed_at, l.allow_download, l.keep_metadata),
        (1, Some(50), true, false)
    );
    assert_eq!(c.links("u1").await.expect("list").len(), 3);
    assert!(c.link("u2", "l1").await.expect("not theirs").is_none());
    assert!(!c.delete_link("u2", "l1").await.expect("not theirs"));
    assert!(c.delete_link("u1", "l1").await.expect("revoked"));
    assert!(c.link_by_token_hash(b"h1").await.expect("gone").is_none());
}
