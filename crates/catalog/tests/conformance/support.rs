//! What the cases share: rows to insert, a fresh database per case on each
//! backend, and a drain of the job queue.

use pixelunion_auth::Role;
use pixelunion_catalog::{Catalog, CatalogError, SessionRow, UserRow};

pub fn user(id: &str, idx: &[u8]) -> UserRow {
    UserRow {
        id: id.into(),
        email_index: idx.to_vec(),
        email: b"ct-email".to_vec(),
        user_key: b"wrapped".to_vec(),
        password_hash: "$argon2id$...".into(),
        role: Role::User,
        disabled: false,
        must_change_password: true,
        totp_secret: None,
        totp_last_step: None,
        created_at: 1000,
        last_login_at: None,
        role_expires_at: None,
    }
}

pub fn session(hash: &[u8], id: &str, user: &str, seen: i64) -> SessionRow {
    SessionRow {
        token_hash: hash.to_vec(),
        id: id.into(),
        user_id: user.into(),
        created_at: 1,
        last_seen_at: seen,
        idle_secs: 60,
        expires_at: 10_000,
        client: Some(b"ct-client".to_vec()),
    }
}

/// Claims and finishes every due job of `kind`; their subjects, sorted. Each
/// must be on its first attempt.
pub async fn drain(
    c: &Catalog,
    kind: pixelunion_catalog::JobKind,
    now: i64,
    lease: i64,
) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(j) = c.claim_job(&[kind], now, lease).await.expect("claim") {
        assert_eq!(j.attempt, 1, "{j:?}");
        out.push(j.subject.clone());
        assert!(c.finish_job(&j).await.expect("finish"));
    }
    out.sort();
    out
}

pub const JAN: i64 = 1_705_276_800_000; // 2024-01-15 UTC
pub const FEB: i64 = 1_707_523_200_000; // 2024-02-10 UTC
pub const MAR: i64 = 1_709_251_200_000; // 2024-03-01 UTC

pub fn ids(rows: &[pixelunion_catalog::AssetRow]) -> Vec<&str> {
    rows.iter().map(|a| a.id.as_str()).collect()
}

/// The two accounts the library cases own their rows with (made unless
/// they exist).
pub async fn two_users(c: &Catalog) {
    for (id, idx) in [("u1", b"idx-1"), ("u2", b"idx-2")] {
        match c.create_user(&user(id, idx)).await {
            Ok(()) | Err(CatalogError::AlreadyExists) => {}
            Err(e) => panic!("create {id}: {e}"),
        }
    }
}

/// A fresh, empty catalog for one case, and what removes it afterwards.
pub struct Db {
    pub catalog: Catalog,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(Catalog, String)>,
}

impl Db {
    /// A new SQLite file in a temporary directory.
    pub async fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("tempdir");
        let catalog = Catalog::open_sqlite(&dir.path().join("catalog.sqlite"))
            .await
            .expect("open");
        assert_eq!(catalog.backend(), "sqlite");
        Db {
            catalog,
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A new database on the PostgreSQL server of `PIXELUNION_TEST_POSTGRES_URL`
    /// (dropped by [`Db::finish`]); `None` — a skip, said aloud — when the
    /// variable is missing outside CI.
    pub async fn postgres(case: &str) -> Option<Db> {
        let url = postgres_url(case)?;
        let admin = Catalog::connect(&url)
            .await
            .expect("connect to PIXELUNION_TEST_POSTGRES_URL");
        let Catalog::Postgres(pool) = &admin else {
            panic!("not postgres")
        };
        let db = format!("pu_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(pool)
            .await
            .expect("create db");
        let catalog = Catalog::connect(&database_url(&url, &db))
            .await
            .expect("connect");
        assert_eq!(catalog.backend(), "postgres");
        Some(Db {
            catalog,
            _dir: None,
            pg: Some((admin, db)),
        })
    }

    /// The URL of this case's PostgreSQL database (for a second pool).
    pub fn postgres_database_url(&self, case: &str) -> Option<String> {
        let (_, db) = self.pg.as_ref()?;
        Some(database_url(&postgres_url(case)?, db))
    }

    /// Closes the catalog and drops a PostgreSQL database.
    pub async fn finish(self) {
        self.catalog.close().await;
        if let Some((admin, db)) = self.pg {
            if let Catalog::Postgres(pool) = &admin {
                sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
                    .execute(pool)
                    .await
                    .expect("drop db");
            }
            admin.close().await;
        }
    }
}

fn database_url(server_url: &str, db: &str) -> String {
    let base = server_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .expect("url has a database");
    format!("{base}/{db}")
}

fn postgres_url(case: &str) -> Option<String> {
    match std::env::var("PIXELUNION_TEST_POSTGRES_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run {case} on PostgreSQL: PIXELUNION_TEST_POSTGRES_URL is missing"
            );
            eprintln!(
                "SKIPPED {case} on PostgreSQL: set PIXELUNION_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
            None
        }
    }
}

/// A plain photo row of `u1` (blob `blob`, content index from the id).
pub fn photo_row(id: &str, blob: &str, trashed_at: Option<i64>) -> pixelunion_catalog::AssetRow {
    use pixelunion_catalog::{AssetKind, AssetRow, MediaState};
    AssetRow {
        id: id.into(),
        owner_id: "u1".into(),
        blob_name: blob.into(),
        kind: AssetKind::Photo,
        mime: "image/jpeg".into(),
        size: 10,
        content_index: id.as_bytes().to_vec(),
        file_name: None,
        taken_at: None,
        uploaded_at: 5,
        sort_at: 5,
        trashed_at,
        favorite: false,
        archived: false,
        caption: None,
        width: None,
        height: None,
        metadata: None,
        media_state: MediaState::Pending,
        media_error: None,
        blob_sha256: Some(vec![3; 32]),
    }
}
