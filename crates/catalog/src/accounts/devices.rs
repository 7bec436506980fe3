//! Known devices (keyed hashes) and the sign-in alert setting.

use crate::BeginWrite as _;
use crate::{Catalog, Result};

impl Catalog {
    /// Records a sign-in from `device`; returns `(new device, any device
    /// was known before)`.
    pub async fn see_device(&self, user: &str, device: &[u8], now: i64) -> Result<(bool, bool)> {
        let r: std::result::Result<(bool, bool), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("UPDATE known_devices SET last_seen = $3 WHERE user_id = $1 AND device = $2")
                .bind(user).bind(device).bind(now).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                tx.commit().await?;
                return Ok((false, true));
            }
            let (known,): (i64,) = sqlx::query_as("SELECT CAST(COUNT(*) AS BIGINT) FROM known_devices WHERE user_id = $1")
                .bind(user).fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO known_devices (user_id, device, first_seen, last_seen) VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, device) DO NOTHING")
                .bind(user).bind(device).bind(now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok((true, known > 0))
        }.await);
        Ok(r?)
    }

    /// Whether `user` wants an e-mail on a sign-in from a new device.
    pub async fn sign_in_alerts(&self, user: &str) -> Result<bool> {
        let q = "SELECT CAST(COUNT(*) AS BIGINT) FROM sign_in_alerts WHERE user_id = $1";
        let (n,): (i64,) = with_pool!(self, p => sqlx::query_as(q).bind(user).fetch_one(p).await?);
        Ok(n > 0)
    }

    /// Turns the alerts on or off.
    pub async fn set_sign_in_alerts(&self, user: &str, on: bool, now: i64) -> Result<()> {
        if on {
            let q = "INSERT INTO sign_in_alerts (user_id, enabled_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING";
            with_pool!(self, p => sqlx::query(q).bind(user).bind(now).execute(p).await.map(|_| ())?);
        } else {
            let q = "DELETE FROM sign_in_alerts WHERE user_id = $1";
            with_pool!(self, p => sqlx::query(q).bind(user).execute(p).await.map(|_| ())?);
        }
        Ok(())
    }
}
