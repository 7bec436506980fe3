//! What the chained audit trail costs per event: appending through
//! `append_audit_chained` (the append lock, the previous entry's MAC, the
//! real HMAC from the vault's keyring, one transaction) beside the baseline
//! of a plain, unchained insert of the same event (`append_audit_pending`,
//! one statement) into the same SQLite file, durable (`synchronous = FULL`)
//! as the server runs it. Also four writers at once, as concurrent requests
//! would append. Prints a Markdown table (docs/benchmarks.md).
//!
//! `cargo bench -p pixelunion-catalog --bench audit`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use pixelunion_catalog::Catalog;
use pixelunion_catalog::{AuditRow, MacFn};
use pixelunion_vault::audit::Entry;
use pixelunion_vault::keyring::Keyring;

const EVENTS: usize = 2_000;
const RUNS: usize = 3;

fn event(i: usize) -> AuditRow {
    AuditRow {
        seq: 0,
        at: 1_764_000_000 + i as i64,
        actor: Some("0194f7c2-7d1a-7c1e-9a4e-3f5b2c1d0e9f".into()),
        action: "session.revoke".into(),
        target: Some("0194f7c2-7d1a-7c1e-9a4e-3f5b2c1d0ea0".into()),
        outcome: "success".into(),
        details: Some(vec![7; 60]),
        key_version: None,
        mac: None,
        client: Some(vec![9; 80]),
    }
}

/// The server's MAC closure: the entry as stored, chained to `prev`.
fn mac_of(keyring: &Keyring) -> impl FnMut(&mut AuditRow, &[u8]) -> Result<(), String> + Send + '_ {
    move |row: &mut AuditRow, prev: &[u8]| {
        let prev: [u8; 32] = prev.try_into().map_err(|_| "previous MAC".to_string())?;
        let version = keyring.active_version();
        let mac = keyring
            .audit_mac(
                &prev,
                &Entry {
                    seq: row.seq as u64,
                    at: row.at,
                    key_version: version,
                    actor: row.actor.as_deref(),
                    action: &row.action,
                    target: row.target.as_deref(),
                    outcome: &row.outcome,
                    details: row.details.as_deref(),
                    client: row.client.as_deref(),
                },
            )
            .map_err(|e| e.to_string())?;
        row.key_version = Some(i64::from(version));
        row.mac = Some(mac.to_vec());
        Ok(())
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn per_event(d: Duration, n: usize) -> String {
    format!(
        "{:.0} µs ({:.0}/s)",
        d.as_secs_f64() * 1e6 / n as f64,
        n as f64 / d.as_secs_f64()
    )
}

async fn fresh() -> (tempfile::TempDir, Arc<Catalog>) {
    let dir = tempfile::tempdir().unwrap();
    let c = Catalog::open_sqlite(&dir.path().join("bench.db"))
        .await
        .unwrap();
    (dir, Arc::new(c))
}

#[tokio::main]
async fn main() {
    let init = pixelunion_vault::root::initialize(1, 1).unwrap();
    let (keyring, _) = Keyring::create(&init.root).unwrap();
    let keyring = Arc::new(keyring);

    // One MAC alone (key derivation and HMAC-SHA256), for scale.
    let mut mac = mac_of(&keyring);
    let mut row = event(1);
    row.seq = 1;
    let t = Instant::now();
    for _ in 0..20_000 {
        mac(&mut row, &[0; 32]).unwrap();
    }
    let one_mac = t.elapsed() / 20_000;

    let (mut plain, mut chained, mut plain4, mut chained4) = (vec![], vec![], vec![], vec![]);
    for _ in 0..RUNS {
        let (_d, c) = fresh().await;
        let t = Instant::now();
        for i in 0..EVENTS {
            c.append_audit_pending(&event(i)).await.unwrap();
        }
        plain.push(t.elapsed());

        let (_d, c) = fresh().await;
        let mut mac = mac_of(&keyring);
        let t = Instant::now();
        for i in 0..EVENTS {
            c.append_audit_chained(&event(i), &mut mac as &mut MacFn<'_>)
                .await
                .unwrap();
        }
        chained.push(t.elapsed());

        // Four writers at once.
        let (_d, c) = fresh().await;
        let t = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move {
                    for i in 0..EVENTS / 4 {
                        c.append_audit_pending(&event(i)).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        plain4.push(t.elapsed());

        let (_d, c) = fresh().await;
        let t = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (c, k) = (c.clone(), keyring.clone());
                tokio::spawn(async move {
                    let mut mac = mac_of(&k);
                    for i in 0..EVENTS / 4 {
                        c.append_audit_chained(&event(i), &mut mac as &mut MacFn<'_>)
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        chained4.push(t.elapsed());
        // The chain those writers built is whole: sequence numbers 1..=EVENTS.
        let last = c.audit_after(0, EVENTS as i64 + 1).await.unwrap();
        assert_eq!(last.len(), EVENTS);
        assert!(
            last.iter()
                .enumerate()
                .all(|(i, r)| r.seq == i as i64 + 1 && r.mac.is_some())
        );
    }
    let (p, c, p4, c4) = (
        median(plain),
        median(chained),
        median(plain4),
        median(chained4),
    );
    println!(
        "{EVENTS} events, SQLite file (WAL, synchronous = FULL), medians of {RUNS}; one MAC alone {:.1} µs",
        one_mac.as_secs_f64() * 1e6
    );
    println!("| writers | chained append | plain insert (baseline) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| 1 | {} | {} | {:.2}× |",
        per_event(c, EVENTS),
        per_event(p, EVENTS),
        c.as_secs_f64() / p.as_secs_f64()
    );
    println!(
        "| 4 at once | {} | {} | {:.2}× |",
        per_event(c4, EVENTS),
        per_event(p4, EVENTS),
        c4.as_secs_f64() / p4.as_secs_f64()
    );
}
