//! Role requests and role terms: one pending request per account, decisions
//! only on a pending, unexpired request (so two deciders, or a decision
//! racing the expiry sweep, cannot both win), approval setting the role and
//! its end and ending the grantee's sessions in one transaction, and ends
//! that only take a role still held on the same term.

use pixelunion_auth::Role;
use pixelunion_catalog::{Catalog, CatalogError, Decision, RoleRequestRow};

use crate::support::*;

pub fn request(id: &str, user: &str, role: Role, at: i64) -> RoleRequestRow {
    RoleRequestRow {
        id: id.into(),
        user_id: user.into(),
        role,
        requested_by: "admin-1".into(),
        reason: b"sealed reason".to_vec(),
        duration_secs: 3600,
        created_at: at,
        expires_at: at + 72 * 3600,
        state: "pending".into(),
        decided_by: None,
        decided_at: None,
    }
}

pub async fn grants(c: &Catalog) {
    c.create_user(&user("u1", b"idx-1")).await.expect("user");
    c.create_user(&user("u2", b"idx-2")).await.expect("user");
    c.create_session(&session(b"h1", "s1", "u1", 1000))
        .await
        .expect("session");
    let r1 = request("r1", "u1", Role::Operator, 1000);
    c.create_role_request(&r1).await.expect("request");
    assert!(matches!(
        c.create_role_request(&request("r2", "u1", Role::Admin, 1001))
            .await,
        Err(CatalogError::AlreadyExists)
    ));
    let q = "INSERT INTO role_requests (id, user_id, role, requested_by, reason, duration_secs, created_at, expires_at, state) VALUES ('bad', 'u2', 'user', 'a', 'r', 1, 1, 2, 'pending')";
    let refused = match c {
        Catalog::Sqlite(p, _) => sqlx::query(q).execute(p).await.is_err(),
        Catalog::Postgres(p) => sqlx::query(q).execute(p).await.is_err(),
    };
    assert!(refused, "the schema refuses a grant of `user`");
    assert_eq!(c.role_request("r1").await.expect("get"), Some(r1.clone()));
    assert_eq!(
        c.pending_role_request("u1").await.expect("pending"),
        Some(r1.clone())
    );
    assert_eq!(c.pending_role_request("u2").await.expect("none"), None);

    // Rejected: nothing else changes; a second decision finds it closed.
    assert!(
        c.decide_role_request("r1", "admin-2", 1100, Decision::Reject)
            .await
            .expect("reject")
    );
    let approve = Decision::Approve {
        until: 9000,
        reminded: false,
    };
    assert!(
        !c.decide_role_request("r1", "admin-2", 1101, approve)
            .await
            .expect("approve")
    );
    let u1 = c.user_by_id("u1").await.expect("get").expect("some");
    assert_eq!((u1.role, u1.role_expires_at), (Role::User, None));
    assert!(c.session_with_user(b"h1").await.expect("s").is_some());
    assert_eq!(c.pending_role_request("u1").await.expect("decided"), None);

    // A new request may follow a decided one; approval sets role and end and
    // ends the sessions.
    c.create_role_request(&request("r3", "u1", Role::Operator, 1200))
        .await
        .expect("request");
    assert!(
        c.decide_role_request("r3", "admin-2", 1300, approve)
            .await
            .expect("approve")
    );
    let u1 = c.user_by_id("u1").await.expect("get").expect("some");
    assert_eq!((u1.role, u1.role_expires_at), (Role::Operator, Some(9000)));
    assert!(c.session_with_user(b"h1").await.expect("s").is_none());
    let r3 = c.role_request("r3").await.expect("get").expect("some");
    assert_eq!(
        (r3.state.as_str(), r3.decided_by.as_deref(), r3.decided_at),
        ("approved", Some("admin-2"), Some(1300))
    );

    // An expired request cannot be decided and is swept once.
    c.create_role_request(&request("r4", "u2", Role::Support, 2000))
        .await
        .expect("request");
    let late = 2000 + 72 * 3600;
    assert!(
        !c.decide_role_request("r4", "admin-2", late, approve)
            .await
            .expect("late")
    );
    let swept = c.expire_role_requests(late).await.expect("expire");
    assert_eq!(
        swept.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r4"]
    );
    assert!(
        c.expire_role_requests(late)
            .await
            .expect("again")
            .is_empty()
    );
    assert_eq!(
        c.role_request("r4")
            .await
            .expect("get")
            .expect("some")
            .state,
        "expired"
    );
    let u2 = c.user_by_id("u2").await.expect("get").expect("some");
    assert_eq!(u2.role, Role::User);

    // Listing, newest first.
    let ids: Vec<String> = c
        .role_requests(10)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["r4", "r3", "r1"]);

    // Terms: due roles are listed; ending needs the same term (a renewal
    // in between wins); reminders are recorded against the term.
    c.set_role("u2", Role::Security, Some(8000))
        .await
        .expect("role");
    let due = c.roles_ending_by(8500).await.expect("due");
    assert_eq!(
        due.iter()
            .map(|t| (t.user_id.as_str(), t.role))
            .collect::<Vec<_>>(),
        [("u2", Role::Security)]
    );
    c.mark_role_reminded("u2", 8000, 7000)
        .await
        .expect("remind");
    c.mark_role_reminded("u2", 1, 7100)
        .await
        .expect("other term");
    assert_eq!(
        c.roles_ending_by(8500).await.expect("due")[0].role_reminded_at,
        Some(7000)
    );
    assert!(!c.end_role("u2", 7999).await.expect("stale term"));
    c.create_session(&session(b"h2", "s2", "u2", 1000))
        .await
        .expect("session");
    assert!(c.end_role("u2", 8000).await.expect("end"));
    assert!(!c.end_role("u2", 8000).await.expect("once"));
    let u2 = c.user_by_id("u2").await.expect("get").expect("some");
    assert_eq!((u2.role, u2.role_expires_at), (Role::User, None));
    assert!(c.session_with_user(b"h2").await.expect("s").is_none());

    // Roles held without an end get one, once.
    let q = "UPDATE users SET role_expires_at = NULL WHERE id = 'u1'";
    match c {
        Catalog::Sqlite(p, _) => sqlx::query(q).execute(p).await.map(|_| ()),
        Catalog::Postgres(p) => sqlx::query(q).execute(p).await.map(|_| ()),
    }
    .expect("open term");
    assert_eq!(c.bound_open_roles(50_000).await.expect("bound"), ["u1"]);
    assert!(c.bound_open_roles(60_000).await.expect("again").is_empty());
    let u1 = c.user_by_id("u1").await.expect("get").expect("some");
    assert_eq!(u1.role_expires_at, Some(50_000));
}
