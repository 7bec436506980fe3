//! Transactions that read before they write, run while other connections
//! commit: none may fail. (A deferred SQLite transaction holds a snapshot
//! from its first read; if another connection commits before its first
//! write, that write fails with `SQLITE_BUSY` at once — the server answered
//! such a trash purge with a 500.)

use pixelunion_catalog::{AssetRow, Catalog};

use crate::support::*;

fn asset(id: &str, trashed: Option<i64>) -> AssetRow {
    photo_row(id, &format!("blob-{id}"), trashed)
}

pub async fn purges_beside_inserts(c: &Catalog) {
    two_users(c).await;
    const N: usize = 60;
    for i in 0..N {
        c.insert_asset(&asset(&format!("old-{i:03}"), Some(1)), 5)
            .await
            .expect("insert");
    }
    let purge = async {
        for i in 0..N {
            let purged = c
                .purge_trashed_asset("u1", &format!("old-{i:03}"), 10)
                .await
                .expect("a purge beside other writers");
            assert!(purged, "old-{i:03}");
        }
    };
    let insert = async {
        for i in 0..N {
            c.insert_asset(&asset(&format!("new-{i:03}"), None), 5)
                .await
                .expect("an insert beside a purge");
            tokio::task::yield_now().await;
        }
    };
    let trash = async {
        for i in 0..N {
            c.insert_asset(&asset(&format!("bin-{i:03}"), None), 5)
                .await
                .expect("insert");
            assert!(
                c.trash_asset("u1", &format!("bin-{i:03}"), 7)
                    .await
                    .expect("a trash beside a purge")
            );
        }
    };
    tokio::join!(purge, insert, trash);
    // the whole trash at once, while new assets keep arriving
    let more = async {
        for i in 0..N {
            c.insert_asset(&asset(&format!("late-{i:03}"), None), 5)
                .await
                .expect("an insert beside emptying the trash");
        }
    };
    let empty = async {
        c.purge_trashed(Some("u1"), i64::MAX, 20, 1_000)
            .await
            .expect("emptying the trash beside other writers")
    };
    let ((), emptied) = tokio::join!(more, empty);
    assert_eq!(emptied, N as u64);
}

/// A writing call dropped at any point — a client that hung up, a
/// deadline — leaves no transaction open behind it: the next writer gets
/// through at once. (On SQLite a `BEGIN IMMEDIATE` whose caller was
/// cancelled after the statement ran but before the transaction handle
/// existed kept the write lock on a pooled connection: every other writer
/// then waited out the busy timeout and failed.)
pub async fn cancelled_writes_leave_no_lock(c: &Catalog) {
    two_users(c).await;
    for i in 0..240u64 {
        c.insert_asset(&asset(&format!("c-{i:03}"), Some(1)), 5)
            .await
            .expect("insert");
        // Poll the purge (a transaction) 1–8 times, 0–29 µs apart (the driver's thread
        // works meanwhile), then drop it: before, during and after BEGIN.
        let id = format!("c-{i:03}");
        let mut purge = Box::pin(c.purge_trashed_asset("u1", &id, 10));
        for _ in 0..=(i % 8) {
            if futures::poll!(purge.as_mut()).is_ready() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(i / 8));
        }
        drop(purge);
        tokio::time::timeout(
            std::time::Duration::from_secs(3),
            c.insert_asset(&asset(&format!("after-{i:03}"), None), 5),
        )
        .await
        .unwrap_or_else(|_| panic!("a writer waited on a cancelled one (round {i})"))
        .unwrap_or_else(|e| panic!("a write after a cancelled one failed (round {i}): {e}"));
    }
}
