//! What the catalog benchmarks share: a SQLite catalog seeded with
//! `users × per_user` assets through the real schema and triggers (random
//! but repeatable capture times over ten years, 10 % videos, some
//! favourites, archived and trashed items).

use pixelunion_catalog::Catalog;

/// The asset columns the seed fills.
pub const COLS: &str = "id, owner_id, blob_name, kind, mime, size, content_index, file_name, taken_at, uploaded_at, sort_at, trashed_at, favorite, archived, caption, width, height";
const START_MS: i64 = 1_420_070_400_000; // 2015-01-01

/// Seeds `users` users (`user-N`) with `per_user` assets each.
pub async fn seed(c: &Catalog, users: usize, per_user: usize) {
    let Catalog::Sqlite(pool, _) = c else {
        unreachable!()
    };
    for u in 0..users {
        sqlx::query("INSERT INTO users (id, email_index, email, user_key, password_hash, role, created_at) VALUES ($1, $2, x'00', x'00', 'x', 'user', 0)")
            .bind(format!("user-{u}"))
            .bind(vec![u as u8])
            .execute(pool)
            .await
            .unwrap();
    }
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    const ROWS: usize = 100;
    let marks: Vec<String> = (0..ROWS)
        .map(|r| {
            let b = r * 13;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, x'00', ${}, ${}, ${}, ${}, ${}, ${}, NULL, 4000, 3000)",
                b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13
            )
        })
        .collect();
    let sql = format!("INSERT INTO assets ({COLS}) VALUES {}", marks.join(", "));
    for u in 0..users {
        let mut tx = pool.begin().await.unwrap();
        for chunk in 0..per_user / ROWS {
            let mut q = sqlx::query(&sql);
            for r in 0..ROWS {
                let n = chunk * ROWS + r;
                let x = next();
                let video = x % 10 == 0;
                let taken = START_MS + (x >> 8) as i64 % (10 * 365 * 86_400_000);
                q = q
                    .bind(format!("{u:02}-{n:08}-{x:016x}"))
                    .bind(format!("user-{u}"))
                    .bind(format!("{:032x}", x as u128 * 31))
                    .bind(if video { "video" } else { "photo" })
                    .bind(if video { "video/mp4" } else { "image/jpeg" })
                    .bind((x % 10_000_000) as i64)
                    .bind(x.to_le_bytes().to_vec())
                    .bind(taken)
                    .bind(taken + 1000)
                    .bind(taken)
                    .bind(if x % 100 == 1 { Some(taken + 5) } else { None })
                    .bind(x % 20 == 3)
                    .bind(x % 33 == 4);
            }
            q.execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    sqlx::query("PRAGMA optimize").execute(pool).await.unwrap();
}
