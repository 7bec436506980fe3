//! Four-eyes role grants: requests to give an account a privileged role
//! (made by one person, decided by another), and the terms of the roles
//! held (when each ends, when its holder was reminded). The reason arrives
//! sealed; who may decide what is the server's business, not this module's —
//! here every change is conditional on the state it was decided on, so two
//! deciders, or a decision racing the expiry sweep, cannot both win.

use pixelunion_auth::Role;

use crate::BeginWrite as _;
use crate::{Catalog, CatalogError, Result};

/// A request to grant a privileged role.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleRequestRow {
    /// random id
    pub id: String,
    /// the account that would hold the role
    pub user_id: String,
    /// the role asked for (never `user`)
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// who asked (an administrator, or the grantee for just-in-time access)
    pub requested_by: String,
    /// why, sealed under the system key
    pub reason: Vec<u8>,
    /// how long the role is held once approved (s)
    pub duration_secs: i64,
    /// unix seconds
    pub created_at: i64,
    /// unanswered until then, the request lapses (unix s)
    pub expires_at: i64,
    /// `pending`, `approved`, `rejected`, `expired`, `cancelled`
    pub state: String,
    /// who decided (approved, rejected or cancelled)
    pub decided_by: Option<String>,
    /// unix seconds
    pub decided_at: Option<i64>,
}

const COLS: &str = "id, user_id, role, requested_by, reason, duration_secs, created_at, expires_at, state, decided_by, decided_at";

/// What becomes of a pending request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// the grantee holds the role until `until` (unix s), and every session
    /// of theirs ends; `reminded` marks a grant too short to remind of
    Approve {
        /// the role's end
        until: i64,
        /// no reminder is to be sent for this grant
        reminded: bool,
    },
    /// refused by a decider
    Reject,
    /// withdrawn by the requester
    Cancel,
}

impl Decision {
    fn state(self) -> &'static str {
        match self {
            Decision::Approve { .. } => "approved",
            Decision::Reject => "rejected",
            Decision::Cancel => "cancelled",
        }
    }
}

/// A privileged role as held: whose, which, until when, last reminded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleTermRow {
    /// the account
    pub user_id: String,
    /// its role
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// ends at (unix s)
    pub role_expires_at: i64,
    /// last reminded at (unix s)
    pub role_reminded_at: Option<i64>,
}

const TERM_COLS: &str = "id AS user_id, role, role_expires_at, role_reminded_at";

impl Catalog {
    /// Stores a new pending request; [`CatalogError::AlreadyExists`] when the
    /// account already has one pending.
    pub async fn create_role_request(&self, r: &RoleRequestRow) -> Result<()> {
        let q = format!(
            "INSERT INTO role_requests ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        with_pool!(self, p => sqlx::query(&q)
            .bind(&r.id).bind(&r.user_id).bind(r.role.as_str()).bind(&r.requested_by).bind(&r.reason)
            .bind(r.duration_secs).bind(r.created_at).bind(r.expires_at).bind(&r.state)
            .bind(&r.decided_by).bind(r.decided_at)
            .execute(p).await.map(|_| ()))
        .map_err(|e| crate::dialect::unique_to(e, CatalogError::AlreadyExists))
    }

    /// The request with `id`.
    pub async fn role_request(&self, id: &str) -> Result<Option<RoleRequestRow>> {
        let q = format!("SELECT {COLS} FROM role_requests WHERE id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_optional(p).await?))
    }

    /// The request of `user_id` still pending, if any (one at most).
    pub async fn pending_role_request(&self, user_id: &str) -> Result<Option<RoleRequestRow>> {
        let q =
            format!("SELECT {COLS} FROM role_requests WHERE user_id = $1 AND state = 'pending'");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(user_id).fetch_optional(p).await?))
    }

    /// The latest `limit` requests, newest first.
    pub async fn role_requests(&self, limit: i64) -> Result<Vec<RoleRequestRow>> {
        let q =
            format!("SELECT {COLS} FROM role_requests ORDER BY created_at DESC, id DESC LIMIT $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(limit).fetch_all(p).await?))
    }

    /// Decides a request that is still pending and unexpired at `now`; false
    /// (nothing changed) otherwise. Approving sets the grantee's role and
    /// its end and ends the grantee's sessions, in the same transaction.
    pub async fn decide_role_request(
        &self,
        id: &str,
        decided_by: &str,
        now: i64,
        decision: Decision,
    ) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        let state = decision.state();
        with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("UPDATE role_requests SET state = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND state = 'pending' AND expires_at > $3")
                .bind(state).bind(decided_by).bind(now).bind(id)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(false);
            }
            if let Decision::Approve { until, reminded } = decision {
                let reminded_at = reminded.then_some(now);
                sqlx::query("UPDATE users SET role = (SELECT role FROM role_requests WHERE id = $1), role_expires_at = $2, role_reminded_at = $3 WHERE id = (SELECT user_id FROM role_requests WHERE id = $1)")
                    .bind(id).bind(until).bind(reminded_at)
                    .execute(&mut *tx).await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT user_id FROM role_requests WHERE id = $1)")
                    .bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(true)
        }.await)
        .map_err(CatalogError::from)
    }

    /// Marks every request still pending at `expires_at <= now` expired;
    /// returns them (for the audit trail).
    pub async fn expire_role_requests(&self, now: i64) -> Result<Vec<RoleRequestRow>> {
        let q = format!(
            "SELECT {COLS} FROM role_requests WHERE state = 'pending' AND expires_at <= $1 ORDER BY created_at"
        );
        let due: Vec<RoleRequestRow> =
            with_pool!(self, p => sqlx::query_as(&q).bind(now).fetch_all(p).await?);
        let mut expired = Vec::with_capacity(due.len());
        for r in due {
            let n = with_pool!(self, p => sqlx::query("UPDATE role_requests SET state = 'expired', decided_at = $1 WHERE id = $2 AND state = 'pending' AND expires_at <= $1")
                .bind(now).bind(&r.id).execute(p).await?.rows_affected());
            if n == 1 {
                expired.push(r);
            }
        }
        Ok(expired)
    }

    /// Privileged roles whose end is at or before `until`, soonest first.
    pub async fn roles_ending_by(&self, until: i64) -> Result<Vec<RoleTermRow>> {
        let q = format!(
            "SELECT {TERM_COLS} FROM users WHERE role <> 'user' AND role_expires_at IS NOT NULL AND role_expires_at <= $1 ORDER BY role_expires_at, id"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(until).fetch_all(p).await?))
    }

    /// Ends a privileged role that still ends at `expires_at` (not renewed
    /// meanwhile): the account is a `user` again and its sessions end.
    /// False when the role changed since it was read.
    pub async fn end_role(&self, user_id: &str, expires_at: i64) -> Result<bool> {
        let _changed = crate::accounts::AccountsWrite::start();
        with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("UPDATE users SET role = 'user', role_expires_at = NULL, role_reminded_at = NULL WHERE id = $1 AND role <> 'user' AND role_expires_at = $2")
                .bind(user_id).bind(expires_at).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(false);
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(true)
        }.await)
        .map_err(CatalogError::from)
    }

    /// Records that the holder of a role ending at `expires_at` was reminded.
    pub async fn mark_role_reminded(&self, user_id: &str, expires_at: i64, now: i64) -> Result<()> {
        let _changed = crate::accounts::AccountsWrite::start();
        with_pool!(self, p => sqlx::query("UPDATE users SET role_reminded_at = $1 WHERE id = $2 AND role_expires_at = $3")
            .bind(now).bind(user_id).bind(expires_at).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Gives every privileged role held without an end (accounts from
    /// before grants had terms) the end `until`; returns their ids.
    pub async fn bound_open_roles(&self, until: i64) -> Result<Vec<String>> {
        let _changed = crate::accounts::AccountsWrite::start();
        let ids: Vec<String> = with_pool!(self, p => sqlx::query_scalar("SELECT id FROM users WHERE role <> 'user' AND role_expires_at IS NULL ORDER BY id")
            .fetch_all(p).await?);
        let mut bounded = Vec::with_capacity(ids.len());
        for id in ids {
            let n = with_pool!(self, p => sqlx::query("UPDATE users SET role_expires_at = $1 WHERE id = $2 AND role <> 'user' AND role_expires_at IS NULL")
                .bind(until).bind(&id).execute(p).await?.rows_affected());
            if n == 1 {
                bounded.push(id);
            }
        }
        Ok(bounded)
    }
}
