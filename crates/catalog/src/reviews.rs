//! Access reviews: a review and its lines (one per account that held a
//! privileged role when it opened), each confirmed or revoked once. At most
//! one review is open at a time (the schema enforces it); a review closes
//! when its last line is decided. Who may decide is the server's business.

use pixelunion_auth::Role;

use crate::BeginWrite as _;
use crate::{Catalog, CatalogError, Result};

/// A review.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessReviewRow {
    /// random id
    pub id: String,
    /// unix seconds
    pub opened_at: i64,
    /// to be finished by (unix s); overdue after
    pub due_at: i64,
    /// when its last line was decided (unix s)
    pub closed_at: Option<i64>,
    /// who opened it (`None`: the schedule)
    pub opened_by: Option<String>,
}

/// One account's line.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccessReviewLineRow {
    /// the review
    pub review_id: String,
    /// the account
    pub user_id: String,
    /// its privileged role when the review opened
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// its last sign-in then (unix s)
    pub last_login_at: Option<i64>,
    /// TOTP enrolled then
    pub mfa_enrolled: bool,
    /// the role's end then (unix s)
    pub role_expires_at: Option<i64>,
    /// JSON: permission name → when last used (unix s), from the audit trail
    pub last_used: String,
    /// `confirmed`, `revoked`, `lapsed` (the account no longer held the
    /// role), or undecided
    pub decision: Option<String>,
    /// who decided
    pub decided_by: Option<String>,
    /// unix seconds
    pub decided_at: Option<i64>,
}

const REVIEW_COLS: &str = "id, opened_at, due_at, closed_at, opened_by";
const LINE_COLS: &str = "review_id, user_id, role, last_login_at, mfa_enrolled, role_expires_at, last_used, decision, decided_by, decided_at";

impl Catalog {
    /// Opens a review with its lines; [`CatalogError::AlreadyExists`] when
    /// one is open.
    pub async fn open_access_review(
        &self,
        r: &AccessReviewRow,
        lines: &[AccessReviewLineRow],
    ) -> Result<()> {
        let q = format!("INSERT INTO access_reviews ({REVIEW_COLS}) VALUES ($1, $2, $3, $4, $5)");
        let l = format!(
            "INSERT INTO access_review_lines ({LINE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(&q).bind(&r.id).bind(r.opened_at).bind(r.due_at).bind(r.closed_at).bind(&r.opened_by)
                .execute(&mut *tx).await?;
            for x in lines {
                sqlx::query(&l)
                    .bind(&x.review_id).bind(&x.user_id).bind(x.role.as_str()).bind(x.last_login_at)
                    .bind(x.mfa_enrolled).bind(x.role_expires_at).bind(&x.last_used)
                    .bind(&x.decision).bind(&x.decided_by).bind(x.decided_at)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await)
        .map_err(|e| crate::dialect::unique_to(e, CatalogError::AlreadyExists))
    }

    /// Reviews: the open one first, then newest first (two opened in the
    /// same second keep that order).
    pub async fn access_reviews(&self, limit: i64) -> Result<Vec<AccessReviewRow>> {
        let q = format!(
            "SELECT {REVIEW_COLS} FROM access_reviews ORDER BY (closed_at IS NULL) DESC, opened_at DESC, closed_at DESC, id DESC LIMIT $1"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(limit).fetch_all(p).await?))
    }

    /// One review.
    pub async fn access_review(&self, id: &str) -> Result<Option<AccessReviewRow>> {
        let q = format!("SELECT {REVIEW_COLS} FROM access_reviews WHERE id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_optional(p).await?))
    }

    /// The lines of a review, by account id.
    pub async fn access_review_lines(&self, id: &str) -> Result<Vec<AccessReviewLineRow>> {
        let q = format!(
            "SELECT {LINE_COLS} FROM access_review_lines WHERE review_id = $1 ORDER BY user_id"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&q).bind(id).fetch_all(p).await?))
    }

    /// Decides an undecided line of an open review; closes the review when
    /// it was the last. Revoking also sets the account back to `user` (if
    /// it still holds the line's role) and ends its sessions, in the same
    /// transaction. Returns `None` when the line is unknown, decided or its
    /// review closed, else whether the review is now closed.
    pub async fn decide_access_review_line(
        &self,
        review: &str,
        user_id: &str,
        revoke: bool,
        by: &str,
        now: i64,
    ) -> Result<Option<bool>> {
        let decision = if revoke { "revoked" } else { "confirmed" };
        self.settle_access_review_line(review, user_id, decision, Some(by), now)
            .await
    }

    /// Marks an undecided line `lapsed` (its account no longer holds the
    /// role); like [`Catalog::decide_access_review_line`] otherwise.
    pub async fn lapse_access_review_line(
        &self,
        review: &str,
        user_id: &str,
        now: i64,
    ) -> Result<Option<bool>> {
        self.settle_access_review_line(review, user_id, "lapsed", None, now)
            .await
    }

    async fn settle_access_review_line(
        &self,
        review: &str,
        user_id: &str,
        decision: &str,
        by: Option<&str>,
        now: i64,
    ) -> Result<Option<bool>> {
        let _changed = crate::accounts::AccountsWrite::start();
        let revoke = decision == "revoked";
        with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("UPDATE access_review_lines SET decision = $1, decided_by = $2, decided_at = $3 WHERE review_id = $4 AND user_id = $5 AND decision IS NULL AND EXISTS (SELECT 1 FROM access_reviews WHERE id = $4 AND closed_at IS NULL)")
                .bind(decision).bind(by).bind(now).bind(review).bind(user_id)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(None);
            }
            if revoke {
                let n = sqlx::query("UPDATE users SET role = 'user', role_expires_at = NULL, role_reminded_at = NULL WHERE id = $1 AND role = (SELECT role FROM access_review_lines WHERE review_id = $2 AND user_id = $1)")
                    .bind(user_id).bind(review).execute(&mut *tx).await?.rows_affected();
                if n == 1 {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                }
            }
            let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM access_review_lines WHERE review_id = $1 AND decision IS NULL")
                .bind(review).fetch_one(&mut *tx).await?;
            if left == 0 {
                sqlx::query("UPDATE access_reviews SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL")
                    .bind(now).bind(review).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Some(left == 0))
        }.await)
        .map_err(CatalogError::from)
    }

    /// When `actor` last did each action (unix s), from the audit trail.
    pub async fn last_actions_of(&self, actor: &str) -> Result<Vec<(String, i64)>> {
        let q = "SELECT action, CAST(MAX(at) AS BIGINT) FROM audit_events WHERE actor = $1 AND outcome = 'success' GROUP BY action";
        Ok(with_pool!(self, p => sqlx::query_as(q).bind(actor).fetch_all(p).await?))
    }
}
