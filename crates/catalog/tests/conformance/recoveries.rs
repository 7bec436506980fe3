//! E-mail recoveries: one pending per account, usable only inside their
//! window and once; completing sets the password and ends the sessions in
//! one transaction; cancelling (one, or all of an account) and expiry end
//! them for good.

use pixelunion_catalog::{Catalog, CatalogError, RecoveryRow};

use crate::support::*;

fn recovery(id: &str, user: &str, hash: &[u8], at: i64) -> RecoveryRow {
    RecoveryRow {
        id: id.into(),
        user_id: user.into(),
        token_hash: hash.to_vec(),
        created_at: at,
        usable_at: at + 100,
        expires_at: at + 200,
        state: "pending".into(),
        ended_at: None,
    }
}

pub async fn recoveries(c: &Catalog) {
    c.create_user(&user("u1", b"i1")).await.expect("user");
    c.create_user(&user("u2", b"i2")).await.expect("user");
    c.create_session(&session(b"h1", "s1", "u1", 1000))
        .await
        .expect("session");
    c.create_recovery(&recovery("r1", "u1", b"hash-1", 1000))
        .await
        .expect("create");
    assert!(matches!(
        c.create_recovery(&recovery("r2", "u1", b"hash-2", 1001))
            .await,
        Err(CatalogError::AlreadyExists)
    ));
    let r1 = c
        .pending_recovery(b"hash-1")
        .await
        .expect("find")
        .expect("some");
    assert_eq!(r1.user_id, "u1");
    assert!(c.pending_recovery(b"nope").await.expect("find").is_none());
    // Too early, too late: nothing changes.
    assert!(
        !c.complete_recovery("r1", "$new", 1099)
            .await
            .expect("early")
    );
    assert!(!c.complete_recovery("r1", "$new", 1200).await.expect("late"));
    assert!(c.session_with_user(b"h1").await.expect("s").is_some());
    assert!(
        c.complete_recovery("r1", "$new", 1100)
            .await
            .expect("in time")
    );
    assert!(
        !c.complete_recovery("r1", "$newer", 1101)
            .await
            .expect("once")
    );
    let u1 = c.user_by_id("u1").await.expect("get").expect("some");
    assert_eq!(
        (u1.password_hash.as_str(), u1.must_change_password),
        ("$new", false)
    );
    assert!(c.session_with_user(b"h1").await.expect("s").is_none());
    assert!(c.pending_recovery(b"hash-1").await.expect("find").is_none());

    // A new one may follow; cancelling all of an account's ends it.
    c.create_recovery(&recovery("r3", "u1", b"hash-3", 2000))
        .await
        .expect("create");
    c.create_recovery(&recovery("r4", "u2", b"hash-4", 2000))
        .await
        .expect("create");
    assert_eq!(
        c.cancel_recoveries("u1", Some("r4"), 2001)
            .await
            .expect("other's id"),
        0
    );
    assert_eq!(
        c.cancel_recoveries("u1", None, 2001).await.expect("cancel"),
        1
    );
    assert!(
        !c.complete_recovery("r3", "$x", 2150)
            .await
            .expect("cancelled")
    );
    // Expiry.
    assert_eq!(c.expire_recoveries(2199).await.expect("not yet"), 0);
    assert_eq!(c.expire_recoveries(2200).await.expect("expire"), 1);
    assert!(c.pending_recovery(b"hash-4").await.expect("find").is_none());
}
