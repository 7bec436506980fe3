//! What several nodes share through the catalog behaves the same on both
//! backends: running nodes are counted while they serve and speak;
//! throttle counts grow, start again after the forget time, are
//! cleared and pruned; a library's revision starts at 0, grows by one per
//! change and goes with its account.

use pixelunion_catalog::{Catalog, Failures};

use crate::support::*;

pub async fn throttle(c: &Catalog) {
    let (k1, k2) = (b"key-one-32-bytes-of-blind-index!", b"key-two");
    assert_eq!(c.throttle_failures(k1).await.expect("read"), None);
    for n in 1..=3 {
        c.throttle_failure(k1, 1_000 * n, 0).await.expect("count");
    }
    assert_eq!(
        c.throttle_failures(k1).await.expect("read"),
        Some(Failures {
            failures: 3,
            last_at: 3_000
        })
    );
    // A count whose last failure is older than the forget time starts again.
    c.throttle_failure(k1, 10_000_000_000, 5_000)
        .await
        .expect("count");
    assert_eq!(
        c.throttle_failures(k1)
            .await
            .expect("read")
            .map(|f| f.failures),
        Some(1)
    );
    // Large counts fit (a long guessing run).
    for _ in 0..3 {
        c.throttle_failure(k2, 20_000, 0).await.expect("count");
    }
    c.throttle_clear(k1).await.expect("clear");
    assert_eq!(c.throttle_failures(k1).await.expect("read"), None);
    assert_eq!(c.throttle_prune(20_001).await.expect("prune"), 1);
    assert_eq!(c.throttle_failures(k2).await.expect("read"), None);
}

pub async fn library_revisions(c: &Catalog) {
    two_users(c).await;
    assert_eq!(c.library_revision("u1").await.expect("rev"), 0);
    c.bump_library_revision("u1").await.expect("bump");
    c.bump_library_revision("u1").await.expect("bump");
    c.bump_library_revision("u2").await.expect("bump");
    assert_eq!(c.library_revision("u1").await.expect("rev"), 2);
    assert_eq!(c.library_revision("u2").await.expect("rev"), 1);
    assert_eq!(c.library_revision("nobody").await.expect("rev"), 0);
}

pub async fn running_nodes(c: &Catalog) {
    c.node_heartbeat("n1", 100_000, true).await.expect("beat");
    c.node_heartbeat("n2", 100_000, false).await.expect("beat");
    c.node_heartbeat("n3", 50_000, true).await.expect("beat");
    assert_eq!(
        c.serving_nodes(90_000, 0).await.expect("count"),
        1,
        "n2 holds no key, n3 is silent"
    );
    c.node_heartbeat("n2", 101_000, true)
        .await
        .expect("unsealed");
    assert_eq!(c.serving_nodes(90_000, 0).await.expect("count"), 2);
    // a silent node is forgotten, a stopped one leaves
    assert_eq!(c.serving_nodes(0, 60_000).await.expect("count"), 2);
    c.node_gone("n1").await.expect("gone");
    assert_eq!(c.serving_nodes(0, 0).await.expect("count"), 1);
}
