//! Users, credentials, sessions, API tokens, invitations and the audit trail.

use pixelunion_auth::Role;
use pixelunion_catalog::{AuditRow, Catalog, CatalogError};

use crate::support::*;

pub async fn accounts(c: &Catalog) {
    assert_eq!(c.count_users().await.expect("count"), 0);
    c.create_user(&user("u1", b"idx-1")).await.expect("create");
    c.create_user(&user("u2", b"idx-2")).await.expect("create");
    assert!(matches!(
        c.create_user(&user("u3", b"idx-1")).await,
        Err(CatalogError::AlreadyExists)
    ));
    assert_eq!(c.count_users().await.expect("count"), 2);
    let found = c
        .user_by_email_index(&[b"nope".to_vec(), b"idx-2".to_vec()])
        .await
        .expect("find")
        .expect("some");
    assert_eq!(found, user("u2", b"idx-2"));
    assert!(
        c.user_by_email_index(&[b"nope".to_vec()])
            .await
            .expect("find")
            .is_none()
    );

    c.set_password("u1", "$argon2id$new", false)
        .await
        .expect("pw");
    let v = c.accounts_version();
    c.set_role("u1", Role::Admin, Some(5000))
        .await
        .expect("role");
    assert!(c.accounts_version() > v, "a role changed");
    let q = "UPDATE users SET role = 'emperor' WHERE id = 'u1'";
    let refused = match c {
        Catalog::Sqlite(p, _) => sqlx::query(q).execute(p).await.is_err(),
        Catalog::Postgres(p) => sqlx::query(q).execute(p).await.is_err(),
    };
    assert!(refused, "roles are checked by the schema too");
    let v = c.accounts_version();
    c.set_disabled("u2", true).await.expect("disable");
    assert!(c.accounts_version() > v, "a disabled account");
    c.touch_login("u1", 77).await.expect("touch");
    let u1 = c.user_by_id("u1").await.expect("get").expect("some");
    assert_eq!(
        (
            u1.password_hash.as_str(),
            u1.must_change_password,
            u1.role.as_str(),
            u1.last_login_at
        ),
        ("$argon2id$new", false, "admin", Some(77))
    );
    assert!(
        c.user_by_id("u2")
            .await
            .expect("get")
            .expect("some")
            .disabled
    );
    assert!(matches!(
        c.set_password("ghost", "x", false).await,
        Err(CatalogError::NotFound)
    ));

    // TOTP replay guard: a step is accepted once, later steps only.
    c.set_totp("u1", Some(b"ct-secret")).await.expect("totp");
    assert!(c.claim_totp_step("u1", 100).await.expect("claim"));
    assert!(
        !c.claim_totp_step("u1", 100).await.expect("claim"),
        "replay"
    );
    assert!(
        !c.claim_totp_step("u1", 99).await.expect("claim"),
        "older step"
    );
    assert!(c.claim_totp_step("u1", 101).await.expect("claim"));
    c.set_totp("u1", None).await.expect("clear");
    assert_eq!(
        c.user_by_id("u1")
            .await
            .expect("get")
            .expect("some")
            .totp_secret,
        None
    );

    c.replace_recovery_codes("u1", &[[1; 32], [2; 32]])
        .await
        .expect("codes");
    assert!(c.use_recovery_code("u1", &[1; 32], 5).await.expect("use"));
    assert!(
        !c.use_recovery_code("u1", &[1; 32], 6).await.expect("use"),
        "single use"
    );
    assert!(
        !c.use_recovery_code("u2", &[2; 32], 6).await.expect("use"),
        "another user's code"
    );
    assert_eq!(c.recovery_codes_left("u1").await.expect("left"), 1);

    c.create_session(&session(b"h1", "s1", "u1", 10))
        .await
        .expect("session");
    c.create_session(&session(b"h2", "s2", "u1", 20))
        .await
        .expect("session");
    c.create_session(&session(b"h3", "s3", "u2", 30))
        .await
        .expect("session");
    assert_eq!(
        c.session_by_token_hash(b"h1").await.expect("get"),
        Some(session(b"h1", "s1", "u1", 10))
    );
    for (hash, id, user) in [(b"h1", "s1", "u1"), (b"h3", "s3", "u2")] {
        let (got_session, got_user) = c
            .session_with_user(hash)
            .await
            .expect("joined")
            .expect("found");
        assert_eq!(got_session.id, id);
        assert_eq!(
            Some(got_session),
            c.session_by_token_hash(hash).await.expect("get")
        );
        assert_eq!(Some(got_user), c.user_by_id(user).await.expect("user"));
    }
    assert!(
        c.session_with_user(b"nope")
            .await
            .expect("joined")
            .is_none()
    );
    c.touch_session(b"h1", 50).await.expect("touch");
    let list = c.list_sessions("u1").await.expect("list");
    assert_eq!(
        list.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["s1", "s2"]
    );
    assert!(
        !c.delete_session("u1", "s3").await.expect("delete"),
        "cannot revoke another user's session"
    );
    // Every write to sessions, tokens or users moves the accounts' version
    // on (what a cache of credentials read before it must drop).
    let v = c.accounts_version();
    assert!(c.delete_session("u1", "s2").await.expect("delete"));
    assert!(c.accounts_version() > v, "a revoked session");
    c.create_session(&session(b"h4", "s4", "u1", 60))
        .await
        .expect("session");
    assert_eq!(
        c.delete_other_sessions("u1", Some(b"h1"))
            .await
            .expect("others"),
        1
    );
    assert_eq!(c.list_sessions("u1").await.expect("list").len(), 1);
    let v = c.accounts_version();
    c.delete_session_by_hash(b"h1").await.expect("logout");
    assert!(c.accounts_version() > v, "a logout");
    assert!(c.session_by_token_hash(b"h1").await.expect("get").is_none());
    assert!(c.session_with_user(b"h1").await.expect("joined").is_none());
    assert_eq!(c.list_sessions("u2").await.expect("list").len(), 1);

    let tok = |id: &str, user: &str, hash: &[u8]| pixelunion_catalog::ApiTokenRow {
        id: id.into(),
        user_id: user.into(),
        token_hash: hash.to_vec(),
        name: b"ct-name".to_vec(),
        scope: "read".into(),
        created_at: 5,
        expires_at: 500,
        last_used_at: None,
    };
    c.create_api_token(&tok("t1", "u1", b"th1"))
        .await
        .expect("token");
    c.create_api_token(&tok("t2", "u2", b"th2"))
        .await
        .expect("token");
    assert!(
        c.create_api_token(&tok("t3", "u1", b"th1")).await.is_err(),
        "hash is unique"
    );
    let mut bad = tok("t4", "u1", b"th4");
    bad.scope = "root".into();
    assert!(
        c.create_api_token(&bad).await.is_err(),
        "scope is checked by the schema"
    );
    assert_eq!(
        c.api_token_by_hash(b"th1").await.expect("get"),
        Some(tok("t1", "u1", b"th1"))
    );
    c.touch_api_token(b"th1", 9).await.expect("touch");
    assert_eq!(
        c.list_api_tokens("u1").await.expect("list")[0].last_used_at,
        Some(9)
    );
    // with its user in one query: every column of both, the right user
    let (t, u) = c
        .api_token_with_user(b"th1")
        .await
        .expect("with user")
        .expect("there");
    assert_eq!(
        t,
        pixelunion_catalog::ApiTokenRow {
            last_used_at: Some(9),
            ..tok("t1", "u1", b"th1")
        }
    );
    assert_eq!(Some(u), c.user_by_id("u1").await.expect("user"));
    let (t2, u2) = c
        .api_token_with_user(b"th2")
        .await
        .expect("with user")
        .expect("there");
    assert_eq!((t2.id.as_str(), u2.id.as_str()), ("t2", "u2"));
    assert!(
        c.api_token_with_user(b"nope")
            .await
            .expect("none")
            .is_none()
    );
    assert!(
        !c.delete_api_token("u1", "t2").await.expect("delete"),
        "not another user's token"
    );
    let v = c.accounts_version();
    assert!(c.delete_api_token("u1", "t1").await.expect("delete"));
    assert!(c.accounts_version() > v, "a revoked token");
    assert!(c.api_token_by_hash(b"th1").await.expect("get").is_none());
    assert!(c.api_token_with_user(b"th1").await.expect("gone").is_none());

    let inv = |id: &str, hash: &[u8], expires: i64| pixelunion_catalog::InviteRow {
        id: id.into(),
        token_hash: hash.to_vec(),
        role: Role::User,
        email_index: None,
        created_by: "u1".into(),
        created_at: 1,
        expires_at: expires,
        used_at: None,
    };
    c.create_invite(&inv("i1", b"ih1", 100))
        .await
        .expect("invite");
    c.create_invite(&inv("i2", b"ih2", 10))
        .await
        .expect("invite");
    c.create_invite(&inv("i3", b"ih3", 100))
        .await
        .expect("invite");
    assert_eq!(c.list_invites().await.expect("list").len(), 3);
    assert!(
        !c.accept_invite(b"ih2", 50, &user("n0", b"idx-n0"))
            .await
            .expect("expired"),
        "expired"
    );
    assert!(
        c.accept_invite(b"ih1", 50, &user("n1", b"idx-n1"))
            .await
            .expect("accept")
    );
    assert!(
        !c.accept_invite(b"ih1", 51, &user("n2", b"idx-n2"))
            .await
            .expect("reuse"),
        "single use"
    );
    assert!(c.user_by_id("n1").await.expect("get").is_some());
    assert!(
        c.user_by_id("n0").await.expect("get").is_none()
            && c.user_by_id("n2").await.expect("get").is_none(),
        "nothing created on refusal"
    );
    // A taken e-mail rolls the claim back: the invitation stays usable.
    assert!(matches!(
        c.accept_invite(b"ih3", 50, &user("n3", b"idx-n1")).await,
        Err(CatalogError::AlreadyExists)
    ));
    assert_eq!(
        c.invite_by_hash(b"ih3")
            .await
            .expect("get")
            .expect("some")
            .used_at,
        None
    );
    assert!(c.delete_invite("i3").await.expect("delete"));
    assert!(
        !c.delete_invite("i1").await.expect("delete"),
        "used invitations stay on record"
    );

    for (i, action) in ["login", "login", "session.revoke"].iter().enumerate() {
        let row = AuditRow {
            seq: 0,
            at: i as i64,
            actor: Some("u1".into()),
            action: (*action).into(),
            target: None,
            outcome: "success".into(),
            details: None,
            key_version: None,
            mac: None,
            client: None,
        };
        let mut mac = |r: &mut AuditRow, prev: &[u8]| {
            // A stand-in chain: the previous MAC followed by this seq.
            let mut m = prev.to_vec();
            m.extend_from_slice(&r.seq.to_be_bytes());
            r.key_version = Some(1);
            r.mac = Some(m);
            Ok(())
        };
        let seq = c.append_audit_chained(&row, &mut mac).await.expect("audit");
        assert_eq!(seq, i as i64 + 1);
    }
    // The closure saw each previous MAC: entry 3's holds entry 2's, which holds entry 1's.
    let all = c.audit_after(0, 10).await.expect("audit");
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].mac.as_deref().map(<[u8]>::len), Some(32 + 24));
    assert_eq!(
        &all[2].mac.as_deref().expect("mac")[..48],
        all[1].mac.as_deref().expect("mac")
    );
    // A failing MAC stores nothing.
    let mut fail = |_: &mut AuditRow, _: &[u8]| Err("no key".to_string());
    assert!(c.append_audit_chained(&all[0], &mut fail).await.is_err());
    // Events raised while sealed wait, then join the chain in order.
    c.append_audit_pending(&AuditRow {
        action: "waf.block".into(),
        ..all[0].clone()
    })
    .await
    .expect("pending");
    c.append_audit_pending(&AuditRow {
        action: "sys.unseal".into(),
        ..all[0].clone()
    })
    .await
    .expect("pending");
    assert_eq!(c.pending_audit_count().await.expect("count"), 2);
    let mut mac = |r: &mut AuditRow, _: &[u8]| {
        r.key_version = Some(1);
        r.mac = Some(vec![9; 32]);
        Ok(())
    };
    assert_eq!(c.chain_pending_audit(&mut mac).await.expect("chain"), 2);
    assert_eq!(c.pending_audit_count().await.expect("count"), 0);
    let tail = c.audit_after(3, 10).await.expect("audit");
    assert_eq!(
        tail.iter()
            .map(|e| (e.seq, e.action.as_str()))
            .collect::<Vec<_>>(),
        [(4, "waf.block"), (5, "sys.unseal")]
    );
    let recent = c.recent_audit(2).await.expect("audit");
    assert_eq!(
        recent.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["sys.unseal", "waf.block"]
    );
    assert!(recent[0].seq > recent[1].seq);
    // Append-only: the database itself refuses changes.
    let upd = "UPDATE audit_events SET outcome = 'failure'";
    let del = "DELETE FROM audit_events";
    match c {
        Catalog::Sqlite(p, _) => {
            assert!(sqlx::query(upd).execute(p).await.is_err());
            assert!(sqlx::query(del).execute(p).await.is_err());
        }
        Catalog::Postgres(p) => {
            assert!(sqlx::query(upd).execute(p).await.is_err());
            assert!(sqlx::query(del).execute(p).await.is_err());
        }
    }
    assert_eq!(c.recent_audit(10).await.expect("audit").len(), 5);
}
