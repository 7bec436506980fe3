//! Accounts: users, sessions, recovery codes and the append-only audit trail.
//! Values arrive already encrypted or hashed; this module only stores them.

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
    /// role name
    pub role: String,
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
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// SHA-256 of the session token
    pub token_hash: Vec<u8>,
    /// public id (for listing and revoking)
    pub id: String,
    /// owner
    pub user_id: String,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub last_seen_at: i64,
    /// idle timeout in seconds
    pub idle_secs: i64,
    /// absolute expiry, unix seconds
    pub expires_at: i64,
    /// "ip · user agent", field-encrypted under the user's key
    pub client: Option<Vec<u8>>,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    /// sequence number
    pub seq: i64,
    /// unix seconds
    pub at: i64,
    /// acting user id, if any
    pub actor: Option<String>,
    /// e.g. "login", "session.revoke"
    pub action: String,
    /// affected user or object id
    pub target: Option<String>,
    /// "success", "failure", "denied"
    pub outcome: String,
    /// field-encrypted details (system key)
    pub details: Option<Vec<u8>>,
}

const USER_COLS: &str = "id, email_index, email, user_key, password_hash, role, disabled, must_change_password, totp_secret, totp_last_step, created_at, last_login_at";
const SESSION_COLS: &str =
    "token_hash, id, user_id, created_at, last_seen_at, idle_secs, expires_at, client";

fn unique_to(e: sqlx::Error, err: CatalogError) -> CatalogError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => err,
        _ => CatalogError::Database(e),
    }
}

impl Catalog {
    /// Inserts a user; [`CatalogError::AlreadyExists`] if the e-mail index is taken.
    pub async fn create_user(&self, u: &UserRow) -> Result<()> {
        let q = "INSERT INTO users (id, email_index, email, user_key, password_hash, role, disabled, must_change_password, totp_secret, totp_last_step, created_at, last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&u.id).bind(&u.email_index).bind(&u.email).bind(&u.user_key).bind(&u.password_hash)
            .bind(&u.role).bind(u.disabled).bind(u.must_change_password).bind(&u.totp_secret)
            .bind(u.totp_last_step).bind(u.created_at).bind(u.last_login_at)
            .execute(p).await.map(|_| ()))
        .map_err(|e| unique_to(e, CatalogError::AlreadyExists))
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
        let q = "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(step).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Changes the role.
    pub async fn set_role(&self, id: &str, role: &str) -> Result<()> {
        let n = with_pool!(self, p => sqlx::query("UPDATE users SET role = $1 WHERE id = $2").bind(role).bind(id).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Disables or enables sign-in.
    pub async fn set_disabled(&self, id: &str, disabled: bool) -> Result<()> {
        let n = with_pool!(self, p => sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2").bind(disabled).bind(id).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Records a successful login time.
    pub async fn touch_login(&self, id: &str, now: i64) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(now).bind(id).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Replaces all recovery codes of a user.
    pub async fn replace_recovery_codes(&self, user: &str, hashes: &[[u8; 32]]) -> Result<()> {
        with_pool!(self, p => async {
            let mut tx = p.begin().await?;
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

    /// Stores a new session.
    pub async fn create_session(&self, s: &SessionRow) -> Result<()> {
        let q = "INSERT INTO sessions (token_hash, id, user_id, created_at, last_seen_at, idle_secs, expires_at, client) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&s.token_hash).bind(&s.id).bind(&s.user_id).bind(s.created_at).bind(s.last_seen_at)
            .bind(s.idle_secs).bind(s.expires_at).bind(&s.client)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The session with this token hash.
    pub async fn session_by_token_hash(&self, hash: &[u8]) -> Result<Option<SessionRow>> {
        let q = format!("SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// Marks a session as used now.
    pub async fn touch_session(&self, hash: &[u8], now: i64) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2").bind(now).bind(hash).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// A user's sessions, most recently used first.
    pub async fn list_sessions(&self, user: &str) -> Result<Vec<SessionRow>> {
        let q = format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user).fetch_all(p).await?))
    }

    /// Deletes one of `user`'s sessions by public id; false if none matched.
    pub async fn delete_session(&self, user: &str, id: &str) -> Result<bool> {
        let q = "DELETE FROM sessions WHERE user_id = $1 AND id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Deletes a session by token hash (logout, expiry).
    pub async fn delete_session_by_hash(&self, hash: &[u8]) -> Result<()> {
        with_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Deletes every session of `user` except the one with hash `keep`.
    pub async fn delete_other_sessions(&self, user: &str, keep: Option<&[u8]>) -> Result<u64> {
        let keep = keep.unwrap_or(&[]);
        let q = "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(keep).execute(p).await?.rows_affected()),
        )
    }

    /// Appends an audit event.
    pub async fn append_audit(&self, e: &AuditRow) -> Result<()> {
        let q = "INSERT INTO audit_events (at, actor, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, $6)";
        with_pool!(self, p => sqlx::query(q)
            .bind(e.at).bind(&e.actor).bind(&e.action).bind(&e.target).bind(&e.outcome).bind(&e.details)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The latest `limit` audit events, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let q = "SELECT seq, at, actor, action, target, outcome, details FROM audit_events ORDER BY seq DESC LIMIT $1";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(limit).fetch_all(p).await?))
    }
}

/// A stored API token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiTokenRow {
    /// public id
    pub id: String,
    /// owner
    pub user_id: String,
    /// SHA-256 of the token
    pub token_hash: Vec<u8>,
    /// name, field-encrypted under the owner's key
    pub name: Vec<u8>,
    /// "upload", "read" or "full"
    pub scope: String,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub expires_at: i64,
    /// unix seconds
    pub last_used_at: Option<i64>,
}

const TOKEN_COLS: &str =
    "id, user_id, token_hash, name, scope, created_at, expires_at, last_used_at";

impl Catalog {
    /// Stores a new API token.
    pub async fn create_api_token(&self, t: &ApiTokenRow) -> Result<()> {
        let q = "INSERT INTO api_tokens (id, user_id, token_hash, name, scope, created_at, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&t.id).bind(&t.user_id).bind(&t.token_hash).bind(&t.name).bind(&t.scope)
            .bind(t.created_at).bind(t.expires_at).bind(t.last_used_at)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The API token with this hash.
    pub async fn api_token_by_hash(&self, hash: &[u8]) -> Result<Option<ApiTokenRow>> {
        let q = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// A user's API tokens, newest first.
    pub async fn list_api_tokens(&self, user: &str) -> Result<Vec<ApiTokenRow>> {
        let q = format!(
            "SELECT {TOKEN_COLS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user).fetch_all(p).await?))
    }

    /// Revokes (deletes) one of `user`'s tokens; false if none matched.
    pub async fn delete_api_token(&self, user: &str, id: &str) -> Result<bool> {
        let q = "DELETE FROM api_tokens WHERE user_id = $1 AND id = $2";
        Ok(
            with_pool!(self, p => sqlx::query(q).bind(user).bind(id).execute(p).await?.rows_affected())
                == 1,
        )
    }

    /// Records use of a token.
    pub async fn touch_api_token(&self, hash: &[u8], now: i64) -> Result<()> {
        with_pool!(self, p => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2").bind(now).bind(hash).execute(p).await.map(|_| ())?);
        Ok(())
    }
}

/// A stored invitation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InviteRow {
    /// public id
    pub id: String,
    /// SHA-256 of the invitation code
    pub token_hash: Vec<u8>,
    /// role the new account gets
    pub role: String,
    /// if set, only this e-mail (blind index) may accept
    pub email_index: Option<Vec<u8>>,
    /// admin who made it
    pub created_by: String,
    /// unix seconds
    pub created_at: i64,
    /// unix seconds
    pub expires_at: i64,
    /// unix seconds, once accepted
    pub used_at: Option<i64>,
}

const INVITE_COLS: &str =
    "id, token_hash, role, email_index, created_by, created_at, expires_at, used_at";

impl Catalog {
    /// Stores an invitation.
    pub async fn create_invite(&self, i: &InviteRow) -> Result<()> {
        let q = "INSERT INTO invites (id, token_hash, role, email_index, created_by, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        with_pool!(self, p => sqlx::query(q)
            .bind(&i.id).bind(&i.token_hash).bind(&i.role).bind(&i.email_index).bind(&i.created_by)
            .bind(i.created_at).bind(i.expires_at).bind(i.used_at)
            .execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// The invitation with this code hash.
    pub async fn invite_by_hash(&self, hash: &[u8]) -> Result<Option<InviteRow>> {
        let q = format!("SELECT {INVITE_COLS} FROM invites WHERE token_hash = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(hash).fetch_optional(p).await?))
    }

    /// Every invitation, newest first.
    pub async fn list_invites(&self) -> Result<Vec<InviteRow>> {
        let q = format!("SELECT {INVITE_COLS} FROM invites ORDER BY created_at DESC, id");
        Ok(with_pool!(self, p => sqlx::query_as(&q).fetch_all(p).await?))
    }

    /// Deletes an unused invitation; false if none matched.
    pub async fn delete_invite(&self, id: &str) -> Result<bool> {
        let q = "DELETE FROM invites WHERE id = $1 AND used_at IS NULL";
        Ok(with_pool!(self, p => sqlx::query(q).bind(id).execute(p).await?.rows_affected()) == 1)
    }

    /// Accepts an invitation and creates the user in one transaction: false
    /// (and nothing created) if the code was used meanwhile or has expired.
    pub async fn accept_invite(&self, hash: &[u8], now: i64, user: &UserRow) -> Result<bool> {
        let claim = "UPDATE invites SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1";
        let insert = "INSERT INTO users (id, email_index, email, user_key, password_hash, role, disabled, must_change_password, totp_secret, totp_last_step, created_at, last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        let u = user;
        let res: std::result::Result<bool, sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin().await?;
            let n = sqlx::query(claim).bind(now).bind(hash).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(insert)
                .bind(&u.id).bind(&u.email_index).bind(&u.email).bind(&u.user_key).bind(&u.password_hash)
                .bind(&u.role).bind(u.disabled).bind(u.must_change_password).bind(&u.totp_secret)
                .bind(u.totp_last_step).bind(u.created_at).bind(u.last_login_at)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }.await);
        res.map_err(|e| unique_to(e, CatalogError::AlreadyExists))
    }
}
