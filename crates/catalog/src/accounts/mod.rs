//! Accounts: users and their credentials, sessions, API tokens,
//! invitations and the append-only audit trail. Values arrive already
//! encrypted or hashed; these modules only store them.

mod audit;
mod deletion;
mod devices;
mod grants;
mod invites;
mod recoveries;
mod sessions;
mod tokens;
mod version;

use crate::BeginWrite as _;
use pixelunion_auth::Role;

pub use audit::{AuditCheckpointRow, AuditRow, MacFn};
pub use deletion::DeletionRow;
pub use grants::{Decision, RoleRequestRow, RoleTermRow};
pub use invites::InviteRow;
pub use recoveries::RecoveryRow;
pub use sessions::SessionRow;
pub use tokens::ApiTokenRow;
pub(crate) use version::AccountsWrite;

use crate::{Catalog, CatalogError, Result};

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    /// random id (UUID text)
    pub id: String,
    /// blind index of the normalised e-mail
    pub email_index: Vec<u8>,
    /// e-mail, field-encrypted under the user's key
    pub email: Vec<u8>,
    /// the user's key, wrapped by the keyring
    pub user_key: Vec<u8>,
    /// Argon2id PHC string
    pub password_hash: String,
    /// role
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// sign-in refused
    pub disabled: bool,
    /// must set a new password before anything else
    pub must_change_password: bool,
    /// TOTP secret, field-encrypted; None = no TOTP enrolled
    pub totp_secret: Option<Vec<u8>>,
    /// last TOTP step accepted (replay guard)
    pub totp_last_step: Option<i64>,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub last_login_at: Option<i64>,
    /// a privileged role ends at (unix s); `None` for `user`
    pub role_expires_at: Option<i64>,
}

pub(crate) const USER_COLS: &str = "id, email_index, email, user_key, password_hash, role, disabled, must_change_password, totp_secret, totp_last_step, created_at, last_login_at, role_expires_at";

/// A [`UserRow`] from a rusqlite row holding [`USER_COLS`] from column `at`.
pub(crate) fn user_from_sqlite(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<UserRow> {
    let role: String = r.get(at + 5)?;
    Ok(UserRow {
        id: r.get(at)?,
        email_index: r.get(at + 1)?,
        email: r.get(at + 2)?,
        user_key: r.get(at + 3)?,
        password_hash: r.get(at + 4)?,
        role: Role::parse(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                at + 5,
                rusqlite::types::Type::Text,
                format!(
                    "unknown role {:?}",
                    role.chars().take(40).collect::<String>()
                )
                .into(),
            )
        })?,
        disabled: r.get(at + 6)?,
        must_change_password: r.get(at + 7)?,
        totp_secret: r.get(at + 8)?,
        totp_last_step: r.get(at + 9)?,
        created_at: r.get(at + 10)?,
        last_login_at: r.get(at + 11)?,
        role_expires_at: r.get(at + 12)?,
    })
}

/// [`USER_COLS`], each qualified by table alias `t` (for joins).
pub(crate) fn qualified_user_cols(t: &str) -> String {
    USER_COLS
        .split(", ")
        .map(|c| format!("{t}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Catalog {
    /// Inserts a user; [`CatalogError::AlreadyExists`] if the e-mail index is taken.
    pub async fn create_user(&self, u: &UserRow) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "INSERT INTO users (id, email_index, email, user_key, password_hash, role, disabled, must_change_password, totp_secret, totp_last_step, created_at, last_login_at, role_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&u.id).bind(&u.email_index).bind(&u.email).bind(&u.user_key).bind(&u.password_hash)
            .bind(u.role.as_str()).bind(u.disabled).bind(u.must_change_password).bind(&u.totp_secret)
            .bind(u.totp_last_step).bind(u.created_at).bind(u.last_login_at).bind(u.role_expires_at)
            .execute(p).await.map(|_| ()))
        .map_err(|e| crate::dialect::unique_to(e, CatalogError::AlreadyExists))
    }

    /// The user whose e-mail index is one of `indexes` (one per keyring version).
    pub async fn user_by_email_index(&self, indexes: &[Vec<u8>]) -> Result<Option<UserRow>> {
        for idx in indexes {
            let q = format!("SELECT {USER_COLS} FROM users WHERE email_index = $1");
            let row: Option<UserRow> =
                with_pool!(self, p => sqlx::query_as(&q).bind(idx).fetch_optional(p).await?);
            if row.is_some() {
                return Ok(row);
            }
        }
        Ok(None)
    }

    /// The user with `id`.
    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_optional(p).await?))
    }

    /// Every user, oldest first.
    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        let q = format!("SELECT {USER_COLS} FROM users ORDER BY created_at, id");
        Ok(with_pool!(self, p => sqlx::query_as(&q).fetch_all(p).await?))
    }

    /// Number of users.
    pub async fn count_users(&self) -> Result<i64> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?),
        )
    }

    /// Stores a new password hash and clears `must_change_password`.
    pub async fn set_password(&self, id: &str, hash: &str, must_change: bool) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "UPDATE users SET password_hash = $1, must_change_password = $2 WHERE id = $3";
        let n = with_pool!(self, p => sqlx::query(q).bind(hash).bind(must_change).bind(id).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Sets (or clears) the encrypted TOTP secret; resets the replay guard.
    pub async fn set_totp(&self, id: &str, secret: Option<&[u8]>) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2";
        let n = with_pool!(self, p => sqlx::query(q).bind(secret).bind(id).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Records a used TOTP step if it is later than the last one; false means
    /// the code was already used (replay), even by another server process.
    pub async fn claim_totp_step(&self, id: &str, step: i64) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let q = "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(step).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Changes the role, held until `expires_at` (unix s; `None` for `user`),
    /// and ends every session of the account in the same transaction.
    pub async fn set_role(&self, id: &str, role: Role, expires_at: Option<i64>) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        let n = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("UPDATE users SET role = $1, role_expires_at = $2, role_reminded_at = NULL WHERE id = $3")
                .bind(role.as_str()).bind(expires_at).bind(id).execute(&mut *tx).await?.rows_affected();
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }.await?);
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Disables or enables sign-in.
    pub async fn set_disabled(&self, id: &str, disabled: bool) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        let n = with_pool!(self, p => sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2").bind(disabled).bind(id).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Records a successful login time.
    pub async fn touch_login(&self, id: &str, now: i64) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        with_pool!(self, p => sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(now).bind(id).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Replaces all recovery codes of a user.
    pub async fn replace_recovery_codes(&self, user: &str, hashes: &[[u8; 32]]) -> Result<()> {
        with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user).execute(&mut *tx).await?;
            for h in hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user).bind(&h[..]).execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// Uses a recovery code once; false if unknown or already used.
    pub async fn use_recovery_code(&self, user: &str, hash: &[u8; 32], now: i64) -> Result<bool> {
        let q = "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(now).bind(user).bind(&hash[..]).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Unused recovery codes left.
    pub async fn recovery_codes_left(&self, user: &str) -> Result<i64> {
        let q = "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL";
        Ok(with_pool!(self, p => sqlx::query_scalar(q).bind(user).fetch_one(p).await?))
    }
}
