//! Account deletion against the real server: a wrong confirmation or
//! password changes nothing; a confirmed deletion closes the account at
//! once (sessions and API tokens end) and mails a confirmation; an
//! administrator can cancel during the grace period; after it the purge
//! removes every row, every primary and backup blob and the wrapped user
//! key — the blobs kept aside beforehand no longer decrypt with any key the
//! deployment holds (while the kept wrapped key shows they did), and scans of
//! the stores, the catalog and a snapshot restored from the backup store find
//! none of the account's markers. Another account is untouched.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::harness::smtp::Sink;
use crate::harness::*;

const PASS: &str = "a very long library passphrase";

fn blob_path(root: &Path, name: &str) -> PathBuf {
    root.join(&name[..2]).join(&name[2..4]).join(name)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The deployment's keys from the catalog and the share (as a restore
/// would): the keyring, and every user key it can unwrap.
fn keys(
    db: &Db,
    share: &str,
) -> (
    pixelunion_vault::keyring::Keyring,
    Vec<(String, pixelunion_vault::DataKey)>,
) {
    use pixelunion_vault::keyring::{Keyring, WrappedKeyringKey, WrappedUserKey};
    use pixelunion_vault::root::{SealedRootKey, UnsealProgress, UnsealStep};
    let sealed =
        SealedRootKey::from_bytes(&db.blobs("SELECT sealed_root FROM vault_seal")[0]).unwrap();
    let UnsealStep::Unsealed(root) = UnsealProgress::new().submit(share, &sealed).unwrap() else {
        panic!("one share unseals this deployment");
    };
    let wrapped: Vec<WrappedKeyringKey> = db
        .blobs("SELECT wrapped FROM keyring ORDER BY version")
        .iter()
        .map(|b| WrappedKeyringKey::from_bytes(b).unwrap())
        .collect();
    let ring = Keyring::open(&root, &wrapped).unwrap();
    let users = db
        .pairs("SELECT id, user_key FROM users")
        .into_iter()
        .map(|(id, w)| {
            let key = ring
                .unwrap_user_key(id.as_bytes(), &WrappedUserKey::from_bytes(&w).unwrap())
                .unwrap();
            (id, key)
        })
        .collect();
    (ring, users)
}

fn opens(
    key: &pixelunion_vault::DataKey,
    object: pixelunion_vault::ObjectId,
    bytes: &[u8],
) -> bool {
    pixelunion_vault::blob::decrypt_to_vec(key, object, bytes).is_ok()
}

#[test]
fn deletion_closes_at_once_and_the_purge_shreds_every_copy() {
    let sink = Sink::start("deletion_closes_at_once_and_the_purge_shreds_every_copy");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut env: Vec<(String, String)> = vec![
        (
            "PIXELUNION_ACCOUNTS__DELETION_GRACE_DAYS".into(),
            "0".into(),
        ),
        ("PIXELUNION_BACKUPS__DROP_DELAY_SECS".into(), "5".into()),
        ("PIXELUNION_LIBRARY__SWEEP_INTERVAL_SECS".into(), "2".into()),
    ];
    if let Some(s) = &sink {
        env.extend(s.env());
    }
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let s = Server::start_with(&data, &env_ref);
    let share = s
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .unwrap();
    let admin = first_admin(&s);
    let (ann_id, ann) = new_user(&s, &admin, "ann.zq7marker@example.org");
    let (_, bob) = new_user(&s, &admin, "bob@example.org");
    let photos: Vec<String> = (0..2)
        .map(|i| {
            let jpg = pixelunion_media::fixtures::plain_jpeg(64, 48, 10 + i);
            let name = format!("zq7marker-beach-{i}.jpg");
            match i {
                // sent in pieces, each long enough to be kept as a part
                // of the original (the first must hold 512 bytes)
                1 => {
                    let jpg = pixelunion_media::fixtures::plain_jpeg(320, 240, 11);
                    crate::harness::tus::in_pieces(&s, &ann, &name, &jpg, 2)
                }
                _ => upload(&s, &ann, &name, &jpg),
            }
        })
        .collect();
    for id in &photos {
        settled(&s, &ann, id);
    }
    let bob_photo = upload(
        &s,
        &bob,
        "bob.jpg",
        &pixelunion_media::fixtures::plain_jpeg(64, 48, 99),
    );
    settled(&s, &bob, &bob_photo);
    let (st, _) = s.api(
        "POST",
        "/api/v1/albums",
        Some(&ann),
        Some(json!({"name": "zq7marker album"})),
    );
    assert_eq!(st, 201);
    let (st, tok) = s.api(
        "POST",
        "/api/v1/auth/tokens",
        Some(&ann),
        Some(json!({"name": "laptop", "scope": "full", "password": PASS})),
    );
    assert_eq!(st, 201, "{tok}");
    let ann_api = tok["token"].as_str().unwrap().to_string();
    wait_secs("replication to the backup store", 60, || {
        backup_status(&s)["replication_queued"] == 0
    });

    // Kept aside before the deletion: every blob of Ann's (both stores) and her wrapped key.
    let db = Db::open(&data);
    // Originals (and their first parts) are bound to their asset's id,
    // renditions and an original's later parts to their own name.
    let later_parts = db.texts(&format!(
        "SELECT x.blob_name FROM asset_parts x JOIN assets a ON a.id = x.asset_id WHERE a.owner_id = '{ann_id}'"
    ));
    assert_eq!(later_parts.len(), 1, "the photo sent in two pieces");
    let mut objects: std::collections::HashMap<String, pixelunion_vault::ObjectId> = db
        .texts(&format!(
            "SELECT f.blob_name FROM asset_files f JOIN assets a ON a.id = f.asset_id WHERE a.owner_id = '{ann_id}'"
        ))
        .into_iter()
        .chain(later_parts)
        .map(|n| {
            let o = pixelunion_store::BlobName::parse(&n).unwrap().object_id();
            (n, o)
        })
        .collect();
    for (id, name) in db.pairs(&format!(
        "SELECT blob_name, CAST(id AS BLOB) FROM assets WHERE owner_id = '{ann_id}'"
    )) {
        let hex: String = String::from_utf8(name).unwrap().replace('-', "");
        let bytes: Vec<u8> = (0..32)
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        objects.insert(id, pixelunion_vault::ObjectId(bytes.try_into().unwrap()));
    }
    let names: Vec<String> = objects.keys().cloned().collect();
    assert!(names.len() >= 4, "originals and renditions: {names:?}");
    let mut kept: Vec<(String, Vec<u8>)> = Vec::new();
    for n in &names {
        for store in ["primary", "backup"] {
            let p = blob_path(&data.join("blobs").join(store), n);
            kept.push((
                n.clone(),
                std::fs::read(&p).unwrap_or_else(|_| panic!("{store} copy of {n}")),
            ));
        }
    }
    let ann_wrapped =
        db.blobs(&format!("SELECT user_key FROM users WHERE id = '{ann_id}'"))[0].clone();
    let email_index = db.blobs(&format!(
        "SELECT email_index FROM users WHERE id = '{ann_id}'"
    ))[0]
        .clone();
    {
        // Sanity: with the keyring and her wrapped key every kept copy opens.
        let (_, users) = keys(&db, &share);
        let ann_key = &users.iter().find(|(id, _)| *id == ann_id).unwrap().1;
        for (n, b) in &kept {
            assert!(opens(ann_key, objects[n], b), "{n} opens with her key");
        }
    }

    // Bad requests change nothing.
    let del = |body: Value| {
        s.api(
            "POST",
            "/api/v1/auth/account/delete",
            Some(&ann),
            Some(body),
        )
    };
    let (st, v) = del(json!({"password": PASS, "confirm": "delete my acount"}));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("confirmation-mismatch")),
        "{v}"
    );
    let (st, v) =
        del(json!({"password": "not my password at all", "confirm": "delete my account"}));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (401, Some("reauthentication-failed")),
        "{v}"
    );
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/account/delete",
        Some(&ann_api),
        Some(json!({"password": PASS, "confirm": "delete my account"})),
    );
    assert_eq!(st, 403, "an API token cannot delete the account");
    assert_eq!(
        s.api("GET", "/api/v1/auth/me", Some(&ann), None).0,
        200,
        "still open"
    );
    // Someone else's account: an admin route, not a user's.
    let (st, _) = s.api(
        "POST",
        &format!("/api/v1/admin/users/{ann_id}/deletion"),
        Some(&bob),
        Some(json!({"confirm": "delete this account"})),
    );
    assert_eq!(st, 403);

    // The deletion: closed at once.
    let (st, v) = del(json!({"password": PASS, "confirm": "Delete my account"}));
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["by_owner"], true);
    for t in [&ann, &ann_api] {
        assert_eq!(
            s.api("GET", "/api/v1/auth/me", Some(t), None).0,
            401,
            "sessions and tokens end at once"
        );
    }
    if let Some(sink) = &sink {
        wait_secs("the confirmation e-mail", 20, || {
            !sink.to("ann.zq7marker@example.org").is_empty()
        });
        let m = &sink.to("ann.zq7marker@example.org")[0];
        assert!(
            m.contains("Subject: Your PixelUnion account will be deleted"),
            "{m}"
        );
        assert!(m.contains("Data Protection Officer"), "{m}");
    }

    // The purge (grace period 0: the next sweep).
    wait_secs("the purge", 30, || {
        db.int(&format!("SELECT COUNT(*) FROM users WHERE id = '{ann_id}'")) == 0
    });
    wait_secs("the blobs to leave both stores", 60, || {
        names.iter().all(|n| {
            !blob_path(&data.join("blobs/primary"), n).exists()
                && !blob_path(&data.join("blobs/backup"), n).exists()
        })
    });
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM assets WHERE owner_id = '{ann_id}'"
        )),
        0
    );
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM albums WHERE owner_id = '{ann_id}'"
        )),
        0
    );
    assert_eq!(
        db.int(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = '{ann_id}'"
        )),
        0
    );

    // Crypto-shredding: no key the deployment holds opens any kept copy.
    let (ring, users) = keys(&db, &share);
    for (n, b) in &kept {
        for (id, k) in &users {
            assert!(
                !opens(k, objects[n], b),
                "{id}'s key opens a blob of the deleted account"
            );
        }
        for v in ring.versions() {
            let k = ring
                .key_for(pixelunion_vault::KeyId::System { version: v })
                .unwrap();
            assert!(!opens(k, objects[n], b));
        }
    }
    // Bob is untouched.
    let (st, _) = s.api(
        "GET",
        &format!("/api/v1/assets/{bob_photo}/original"),
        Some(&bob),
        None,
    );
    assert_eq!(st, 200);

    // Scans: stores and catalog, then a snapshot restored from the backup store.
    let markers: Vec<Vec<u8>> = std::iter::once(ann_wrapped.clone())
        .chain(std::iter::once(email_index.clone()))
        .chain(names.iter().map(|n| n.as_bytes().to_vec()))
        .collect();
    let out = s.cli(&data, "backup run", "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(db);
    let _ = s.stop();
    for f in files_under(&data) {
        // (a file gone since the listing — SQLite's -wal/-shm — holds nothing)
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        for (i, m) in markers.iter().enumerate() {
            assert!(
                !contains(&bytes, m),
                "{} still holds marker {i} of the deleted account",
                f.display()
            );
        }
    }
    let restored = dir.path().join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::write(
        restored.join("pixelunion.toml"),
        format!(
            "[backup]\nkind = \"local\"\npath = \"{}\"\n",
            data.join("blobs/backup").display()
        ),
    )
    .unwrap();
    let out = pixelunion(
        &[
            "backup",
            "restore",
            "--json",
            "--data-dir",
            &restored.to_string_lossy(),
        ],
        &format!("{share}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rdb = Db::open(&restored);
    assert_eq!(
        rdb.int(&format!("SELECT COUNT(*) FROM users WHERE id = '{ann_id}'")),
        0
    );
    assert_eq!(
        rdb.int("SELECT COUNT(*) FROM users"),
        2,
        "the admin and Bob"
    );
    drop(rdb);
    for f in files_under(&restored) {
        if f.starts_with(restored.join("blobs/backup")) {
            continue;
        }
        // (a file gone since the listing — SQLite's -wal/-shm — holds nothing)
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        for m in &markers {
            assert!(
                !contains(&bytes, m),
                "restored {} holds a marker",
                f.display()
            );
        }
    }
}

#[test]
fn an_administrator_deletes_and_cancels_within_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start_with(&data, &[("PIXELUNION_LIBRARY__SWEEP_INTERVAL_SECS", "1")]);
    let admin = first_admin(&s);
    let (ann_id, ann) = new_user(&s, &admin, "ann@example.org");
    let photo = upload(
        &s,
        &ann,
        "a.jpg",
        &pixelunion_media::fixtures::plain_jpeg(32, 32, 3),
    );
    let path = format!("/api/v1/admin/users/{ann_id}/deletion");
    let (st, v) = s.api("POST", &path, Some(&admin), Some(json!({"confirm": "yes"})));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (422, Some("confirmation-mismatch"))
    );
    let (st, v) = s.api(
        "POST",
        &path,
        Some(&admin),
        Some(json!({"confirm": "delete this account"})),
    );
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["by_owner"], false);
    let week = v["purge_after"].as_i64().unwrap() - v["requested_at"].as_i64().unwrap();
    assert_eq!(week, 7 * 86_400, "the default grace period");
    assert_eq!(s.api("GET", "/api/v1/auth/me", Some(&ann), None).0, 401);
    let (st, v) = s.api(
        "POST",
        &path,
        Some(&admin),
        Some(json!({"confirm": "delete this account"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("deletion-pending"))
    );
    let (_, v) = s.api("GET", "/api/v1/admin/deletions", Some(&admin), None);
    assert_eq!(v["items"][0]["user_id"], ann_id.as_str());
    // Sign-in is refused while the deletion is pending.
    let (st, _) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "ann@example.org", "password": PASS})),
    );
    assert_eq!(st, 401);
    std::thread::sleep(std::time::Duration::from_secs(2));
    // Cancel: the account and its library are back.
    let (st, v) = s.api("DELETE", &path, Some(&admin), None);
    assert_eq!(st, 200, "{v}");
    let (st, v) = s.api("DELETE", &path, Some(&admin), None);
    assert_eq!(st, 404, "nothing left to cancel: {v}");
    let (st, v) = s.api(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "ann@example.org", "password": PASS, "bearer": true})),
    );
    assert_eq!(st, 200, "{v}");
    let t = v["token"].as_str().unwrap();
    assert_eq!(
        s.api("GET", &format!("/api/v1/assets/{photo}"), Some(t), None)
            .0,
        200
    );
    let (_, v) = s.api("GET", "/api/v1/admin/deletions", Some(&admin), None);
    assert_eq!(v["items"], json!([]));
}
