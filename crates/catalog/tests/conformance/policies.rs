//! Policy versions count up per kind; the latest of each kind is listed;
//! what an account has seen only ever moves forward.

use pixelunion_catalog::Catalog;

use crate::support::*;

pub async fn policies(c: &Catalog) {
    c.create_user(&user("u1", b"i1")).await.expect("user");
    assert!(c.latest_policies().await.expect("none").is_empty());
    assert_eq!(
        c.publish_policy("privacy", "one", "a", 10)
            .await
            .expect("1"),
        1
    );
    assert_eq!(
        c.publish_policy("privacy", "two", "a", 11)
            .await
            .expect("2"),
        2
    );
    assert_eq!(
        c.publish_policy("security", "sec", "a", 12)
            .await
            .expect("s1"),
        1
    );
    let q = "INSERT INTO policies (kind, version, body, published_at, published_by) VALUES ('cookies', 1, 'x', 1, 'a')";
    let refused = match c {
        Catalog::Sqlite(p, _) => sqlx::query(q).execute(p).await.is_err(),
        Catalog::Postgres(p) => sqlx::query(q).execute(p).await.is_err(),
    };
    assert!(refused, "two kinds only");
    let latest: Vec<(String, i64, String)> = c
        .latest_policies()
        .await
        .expect("latest")
        .into_iter()
        .map(|p| (p.kind, p.version, p.body))
        .collect();
    assert_eq!(
        latest,
        [
            ("privacy".into(), 2, "two".into()),
            ("security".into(), 1, "sec".into())
        ]
    );
    c.record_policy_view("u1", "privacy", 2, 20)
        .await
        .expect("seen");
    c.record_policy_view("u1", "privacy", 1, 21)
        .await
        .expect("older");
    assert_eq!(
        c.policy_views("u1").await.expect("views"),
        [("privacy".to_string(), 2)],
        "never moves back"
    );
}
