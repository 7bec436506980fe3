//! The tamper-evident audit trail against the real server: `pixelunion
//! audit verify` passes on an honest trail and reports each kind of
//! tampering a database owner could do — a changed, deleted, inserted or
//! reordered entry, and the newest entries cut off (caught against the
//! signed checkpoint in the backup store even when the catalog's own
//! checkpoints are deleted too); checkpoints verify with the public key
//! alone; events raised while sealed join the chain at unseal; client
//! addresses and agents are stored encrypted and exported decrypted to the
//! security role; a privileged action fails closed when the trail cannot
//! record it.

use serde_json::{Value, json};

use crate::harness::*;

fn verify(s: &Server, data: &std::path::Path) -> (bool, Value) {
    let out = s.cli(data, "audit verify --json", "");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "verify printed no JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), report)
}

fn kinds(report: &Value) -> Vec<(i64, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["seq"].as_i64().unwrap(),
                p["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_clean(s: &Server, data: &std::path::Path, when: &str) -> Value {
    let (ok, r) = verify(s, data);
    assert!(ok && r["ok"] == true, "{when}: {r:#}");
    assert_eq!(r["problem_count"], 0, "{when}");
    r
}

#[test]
fn verify_detects_every_kind_of_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start_with(&data, &[("PIXELUNION_AUDIT__CHECKPOINT_SECS", "86400")]);
    let admin = first_admin(&s);
    for i in 0..4 {
        new_user(&s, &admin, &format!("user{i}@example.org"));
    }
    let r = assert_clean(&s, &data, "an honest trail");
    let entries = r["entries"].as_i64().unwrap();
    assert!(entries >= 12, "{r}");
    assert_eq!(
        r["verified"].as_i64().unwrap(),
        entries,
        "every entry is chained"
    );

    // A checkpoint: in the backup store, verifiable with the public key alone.
    let out = s.cli(&data, "audit checkpoint", "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, status) = s.api("GET", "/api/v1/sys/status", None, None);
    let pk = status["audit_public_key"].as_str().unwrap().to_string();
    let files = files_under(&data.join("blobs/backup/audit/checkpoints"));
    assert_eq!(files.len(), 1, "{files:?}");
    let cp: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(cp["public_key"], pk);
    let head = cp["seq"].as_i64().unwrap();
    assert!(head >= entries, "{cp}");
    let mac: [u8; 32] = hex(cp["mac"].as_str().unwrap()).try_into().unwrap();
    let c = pixelunion_vault::audit::Checkpoint {
        first_seq: cp["first_seq"].as_u64().unwrap(),
        seq: head as u64,
        at: cp["at"].as_i64().unwrap(),
        mac,
    };
    let sig = hex(cp["signature"].as_str().unwrap());
    assert!(
        c.verify(&hex(&pk), &sig),
        "the checkpoint verifies with the public key"
    );
    assert!(
        !pixelunion_vault::audit::Checkpoint {
            seq: c.seq + 1,
            ..c
        }
        .verify(&hex(&pk), &sig),
        "and only as signed"
    );

    // The database owner drops the append-only guard.
    let db = Db::open(&data);
    db.exec("DROP TRIGGER audit_no_update");
    db.exec("DROP TRIGGER audit_no_delete");
    let k = head - 3;

    // 1. modified
    db.exec(&format!(
        "UPDATE audit_events SET outcome = 'failure' WHERE seq = {k}"
    ));
    let (ok, r) = verify(&s, &data);
    assert!(!ok);
    assert!(
        kinds(&r).contains(&(k, "mismatch".into())),
        "modified: {r:#}"
    );
    db.exec(&format!(
        "UPDATE audit_events SET outcome = 'success' WHERE seq = {k}"
    ));
    assert_clean(&s, &data, "after undoing the change");

    // 2. deleted
    db.exec("CREATE TABLE kept AS SELECT * FROM audit_events");
    db.exec(&format!("DELETE FROM audit_events WHERE seq = {k}"));
    let (ok, r) = verify(&s, &data);
    assert!(!ok);
    assert!(kinds(&r).contains(&(k, "missing".into())), "deleted: {r:#}");
    db.exec(&format!(
        "INSERT INTO audit_events SELECT * FROM kept WHERE seq = {k}"
    ));
    assert_clean(&s, &data, "after putting it back");

    // 3. inserted (in the middle: later entries renumbered to make room)
    db.exec(&format!(
        "UPDATE audit_events SET seq = seq + 1000000 WHERE seq > {k}"
    ));
    db.exec("UPDATE audit_events SET seq = seq - 999999 WHERE seq > 1000000");
    db.exec(&format!(
        "INSERT INTO audit_events (seq, at, actor, action, target, outcome, key_version, mac) \
         SELECT {}, at, actor, 'admin.users.role:admin', target, 'success', key_version, mac FROM kept WHERE seq = {k}",
        k + 1
    ));
    let (ok, r) = verify(&s, &data);
    assert!(!ok);
    assert!(
        kinds(&r).contains(&(k + 1, "mismatch".into())),
        "inserted: {r:#}"
    );
    db.exec(&format!("DELETE FROM audit_events WHERE seq = {}", k + 1));
    db.exec(&format!(
        "UPDATE audit_events SET seq = seq + 999999 WHERE seq > {}",
        k + 1
    ));
    db.exec("UPDATE audit_events SET seq = seq - 1000000 WHERE seq > 1000000");
    assert_clean(&s, &data, "after removing the forged entry");

    // 4. reordered (two entries swap places, MACs and all)
    let swap = |a: i64, b: i64| {
        db.exec(&format!("UPDATE audit_events SET seq = -1 WHERE seq = {a}"));
        db.exec(&format!(
            "UPDATE audit_events SET seq = {a} WHERE seq = {b}"
        ));
        db.exec(&format!("UPDATE audit_events SET seq = {b} WHERE seq = -1"));
    };
    swap(k, k + 1);
    let (ok, r) = verify(&s, &data);
    assert!(!ok);
    assert!(
        kinds(&r).contains(&(k, "mismatch".into())),
        "reordered: {r:#}"
    );
    swap(k, k + 1);
    assert_clean(&s, &data, "after swapping back");

    // 5. truncated: the newest entries and the catalog's checkpoints go;
    // the signed checkpoint in the backup store still names the head.
    db.exec(&format!("DELETE FROM audit_events WHERE seq > {k}"));
    db.exec("DELETE FROM audit_checkpoints");
    let (ok, r) = verify(&s, &data);
    assert!(!ok);
    assert!(
        kinds(&r).contains(&(head, "truncated".into())),
        "truncated: {r:#}"
    );
    db.exec(&format!(
        "INSERT INTO audit_events SELECT * FROM kept WHERE seq > {k}"
    ));
    let r = assert_clean(&s, &data, "after restoring the tail");
    assert_eq!(r["latest_checkpoint"], head);

    // A forged checkpoint in the backup store does not verify.
    let mut forged = cp.clone();
    forged["seq"] = json!(head + 50);
    std::fs::write(
        files[0].with_file_name(format!("{:020}.json", head + 50)),
        serde_json::to_vec(&forged).unwrap(),
    )
    .unwrap();
    let (ok, r) = verify(&s, &data);
    assert!(!ok);
    assert!(
        kinds(&r).contains(&(head + 50, "checkpoint".into())),
        "forged: {r:#}"
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn clients_are_encrypted_sealed_events_are_chained_and_privileged_actions_fail_closed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = Server::start(&data);
    let share = s
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("pu-").map(|r| format!("pu-{r}")))
        .unwrap();
    let admin = first_admin(&s);
    let (ann_id, _) = new_user(&s, &admin, "ann@example.org");

    // A sign-in with a recognisable agent: stored encrypted, exported in clear.
    let agent = "CanaryAgent/7.3 (audit-test-zq81)";
    let r = s
        .call("POST", "/api/v1/auth/login")
        .header("user-agent", agent)
        .json(&json!({"email": "ann@example.org", "password": "a very long library passphrase", "bearer": true}))
        .send();
    assert_eq!(r.status, 200);
    let (_, officer, _) = security_officer(&s, &admin, "officer@example.org");

    // Events raised while sealed wait, then join the chain at unseal.
    assert!(s.cli(&data, "seal", "").status.success());
    let (st, _) = s.post_json(
        "/api/v1/sys/unseal",
        &json!({"share": "pu-aaaa-bbbb"}).to_string(),
    );
    assert_eq!(st, 400);
    // (a failed attempt holds the next one back for two seconds)
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let out = s.cli(&data, "unseal", &share);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = assert_clean(&s, &data, "after a seal and an unseal");
    assert_eq!(r["pending"], 0, "{r}");

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &officer).unwrap();
    let out_file = dir.path().join("audit.jsonl");
    let out = s.cli(
        &data,
        &format!(
            "audit export --since 2020-01-01 --token-file {} --to {}",
            token_file.display(),
            out_file.display()
        ),
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seqs: Vec<i64> = lines.iter().map(|l| l["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "oldest first, no gaps"
    );
    let login = lines
        .iter()
        .filter(|l| l["action"] == "login" && l["target"] == ann_id.as_str())
        .find(|l| l["client"].as_str().is_some_and(|c| c.contains(agent)))
        .expect("Ann's sign-in with the canary agent, decrypted");
    assert!(
        login["client"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1 · "),
        "{login}"
    );
    let unseal_fail = lines
        .iter()
        .position(|l| l["action"] == "sys.unseal" && l["outcome"] == "failure")
        .expect("the failed unseal, raised while sealed");
    let unseal_ok = lines
        .iter()
        .position(|l| l["action"] == "sys.unseal" && l["outcome"] == "success")
        .unwrap();
    assert!(unseal_fail < unseal_ok, "in the order they happened");
    // Only the admin's token would work for staff pages; the export is the security role's.
    let r = s.call("GET", "/api/v1/audit/export").bearer(&admin).send();
    assert_eq!(r.status, 403);
    // The security role verifies and signs from the web app's routes; others may not.
    let (st, v) = s.api("POST", "/api/v1/audit/checkpoints", Some(&officer), None);
    assert_eq!(st, 200, "{v}");
    let head = v["checkpoint"]["seq"]
        .as_i64()
        .expect("the head moved: a new checkpoint");
    let (st, v) = s.api("GET", "/api/v1/audit/verify", Some(&officer), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["ok"].as_bool(), v["latest_checkpoint"].as_i64()),
        (Some(true), Some(head)),
        "{v}"
    );
    for (method, path) in [
        ("GET", "/api/v1/audit/verify"),
        ("POST", "/api/v1/audit/checkpoints"),
    ] {
        let (st, _) = s.api(method, path, Some(&admin), None);
        assert_eq!(st, 403, "{method} {path} is the security role's");
    }
    // Nothing of the agent in the database files.
    for (f, bytes) in read_files_under(&data) {
        assert!(
            !bytes.windows(agent.len()).any(|w| w == agent.as_bytes()),
            "{} holds the user agent in clear",
            f.display()
        );
    }

    // The trail refuses writes: a privileged change is not made.
    let db = Db::open(&data);
    db.exec(
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    let (st, v) = s.api(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&admin),
        Some(json!({"disabled": true})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (503, Some("audit-unavailable")),
        "{v}"
    );
    assert_eq!(
        db.int(&format!("SELECT disabled FROM users WHERE id = '{ann_id}'")),
        0,
        "the account was not disabled"
    );
    db.exec("DROP TRIGGER audit_down");
    let (st, _) = s.api(
        "PATCH",
        &format!("/api/v1/admin/users/{ann_id}"),
        Some(&admin),
        Some(json!({"disabled": true})),
    );
    assert_eq!(st, 200);
    assert_eq!(
        db.int(&format!("SELECT disabled FROM users WHERE id = '{ann_id}'")),
        1
    );
    assert_clean(&s, &data, "at the end");
}
