//! The durable job queue: unique jobs, leases, retries, dead jobs.

use pixelunion_catalog::Catalog;

pub async fn jobs(c: &Catalog) {
    use pixelunion_catalog::JobKind;
    c.enqueue_job(JobKind::Replicate, "j1", 0)
        .await
        .expect("enqueue");
    c.enqueue_job(JobKind::Replicate, "j1", 0)
        .await
        .expect("twice is once");
    let j = c
        .claim_job(&[JobKind::Replicate], 10, 100)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!((j.subject.as_str(), j.attempt), ("j1", 1));
    assert!(
        c.claim_job(&[JobKind::Replicate], 50, 150)
            .await
            .expect("claim")
            .is_none(),
        "leased"
    );
    // The lease runs out: another worker takes it; the first one's result is refused.
    let j2 = c
        .claim_job(&[JobKind::Replicate], 100, 200)
        .await
        .expect("claim")
        .expect("re-claimed");
    assert_eq!(j2.attempt, 2);
    assert!(!c.finish_job(&j).await.expect("finish"), "lost lease");
    assert!(
        !c.renew_job(&j, 10_000).await.expect("renew"),
        "a lost lease cannot be renewed"
    );
    assert!(c.renew_job(&j2, 400).await.expect("renew"));
    assert!(
        c.claim_job(&[JobKind::Replicate], 300, 500)
            .await
            .expect("claim")
            .is_none(),
        "a renewed lease holds past its first end"
    );
    c.fail_job(&j2, "store unreachable", 200)
        .await
        .expect("fail");
    assert!(
        c.claim_job(&[JobKind::Replicate], 201, 300)
            .await
            .expect("claim")
            .is_none(),
        "backoff"
    );
    let counts = c.job_counts(201).await.expect("counts");
    assert!(
        counts.contains(&("replicate".into(), "ready".into(), 1)),
        "{counts:?}"
    );
    let mut t = 200;
    let mut last = j2;
    for _ in 0..20 {
        t += 10_000_000;
        match c
            .claim_job(&[JobKind::Replicate], t, t + 10)
            .await
            .expect("claim")
        {
            Some(j) => {
                c.fail_job(&j, "store unreachable", t).await.expect("fail");
                last = j;
            }
            None => break,
        }
    }
    assert_eq!(last.attempt, pixelunion_catalog::jobs::MAX_ATTEMPTS);
    let dead = c.dead_jobs(10).await.expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].3.as_deref(), Some("store unreachable"));
    assert!(
        c.claim_job(&[JobKind::Replicate], i64::MAX - 1, i64::MAX)
            .await
            .expect("c")
            .is_none()
    );
}
