//! Access reviews: one open at a time, each line decided once and only
//! while its review is open, revoking takes the role away and ends the
//! sessions (only if the account still holds that role), lapsing changes
//! no account, and the last decision closes the review.

use pixelunion_auth::Role;
use pixelunion_catalog::{AccessReviewLineRow, AccessReviewRow, Catalog, CatalogError};

use crate::support::*;

pub fn review(id: &str, at: i64) -> AccessReviewRow {
    AccessReviewRow {
        id: id.into(),
        opened_at: at,
        due_at: at + 100,
        closed_at: None,
        opened_by: Some("sec".into()),
    }
}

pub fn line(review: &str, user: &str, role: Role) -> AccessReviewLineRow {
    AccessReviewLineRow {
        review_id: review.into(),
        user_id: user.into(),
        role,
        last_login_at: Some(5),
        mfa_enrolled: true,
        role_expires_at: Some(9000),
        last_used: "{\"OperateSystem\":7}".into(),
        decision: None,
        decided_by: None,
        decided_at: None,
    }
}

pub async fn reviews(c: &Catalog) {
    for (id, idx) in [("u1", b"i1"), ("u2", b"i2"), ("u3", b"i3")] {
        c.create_user(&user(id, idx)).await.expect("user");
    }
    c.set_role("u1", Role::Operator, Some(9000))
        .await
        .expect("role");
    c.set_role("u2", Role::Support, Some(9000))
        .await
        .expect("role");
    c.set_role("u3", Role::Admin, Some(9000))
        .await
        .expect("role");
    c.create_session(&session(b"h2", "s2", "u2", 1000))
        .await
        .expect("session");
    let lines = [
        line("rv1", "u1", Role::Operator),
        line("rv1", "u2", Role::Support),
        line("rv1", "u3", Role::Security),
    ];
    c.open_access_review(&review("rv1", 100), &lines)
        .await
        .expect("open");
    assert!(matches!(
        c.open_access_review(&review("rv2", 101), &[]).await,
        Err(CatalogError::AlreadyExists)
    ));
    assert_eq!(
        c.access_review("rv2").await.expect("get"),
        None,
        "nothing half-made"
    );
    assert_eq!(
        c.access_review_lines("rv1").await.expect("lines"),
        lines.to_vec()
    );

    assert_eq!(
        c.decide_access_review_line("rv1", "u1", false, "sec", 110)
            .await
            .expect("confirm"),
        Some(false)
    );
    assert_eq!(
        c.decide_access_review_line("rv1", "u1", true, "sec", 111)
            .await
            .expect("again"),
        None,
        "decided once"
    );
    assert_eq!(
        c.decide_access_review_line("rv1", "nobody", false, "sec", 111)
            .await
            .expect("unknown"),
        None
    );
    let v = c.accounts_version();
    assert_eq!(
        c.decide_access_review_line("rv1", "u2", true, "sec", 120)
            .await
            .expect("revoke"),
        Some(false)
    );
    assert!(
        c.accounts_version() > v,
        "a revoked review line ends sessions"
    );
    let u2 = c.user_by_id("u2").await.expect("get").expect("some");
    assert_eq!((u2.role, u2.role_expires_at), (Role::User, None));
    assert!(c.session_with_user(b"h2").await.expect("s").is_none());
    // u3's line is for a role u3 does not hold: lapsing it changes nothing
    // of the account and closes the review.
    assert_eq!(
        c.lapse_access_review_line("rv1", "u3", 130)
            .await
            .expect("lapse"),
        Some(true)
    );
    let u3 = c.user_by_id("u3").await.expect("get").expect("some");
    assert_eq!(u3.role, Role::Admin);
    let rv = c.access_review("rv1").await.expect("get").expect("some");
    assert_eq!(rv.closed_at, Some(130));
    let decided: Vec<(String, Option<String>, Option<String>)> = c
        .access_review_lines("rv1")
        .await
        .expect("lines")
        .into_iter()
        .map(|l| (l.user_id, l.decision, l.decided_by))
        .collect();
    assert_eq!(
        decided,
        [
            ("u1".into(), Some("confirmed".into()), Some("sec".into())),
            ("u2".into(), Some("revoked".into()), Some("sec".into())),
            ("u3".into(), Some("lapsed".into()), None),
        ]
    );
    // Closed: nothing more is decided; a new review may open, and is listed
    // first even when opened in the same second as the closed one.
    c.open_access_review(&review("rv0", 100), &[line("rv0", "u1", Role::Operator)])
        .await
        .expect("next");
    assert_eq!(
        c.access_reviews(10)
            .await
            .expect("list")
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["rv0", "rv1"]
    );
}
