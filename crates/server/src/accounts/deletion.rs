//! Deleting an account (`docs/data-rights.md`): asked for by its owner
//! (password, second factor when enrolled, and the typed confirmation) or by
//! an administrator; the account is disabled and its sessions and API
//! tokens end at once; after `accounts.deletion_grace_days` (an
//! administrator can cancel until then) the purge removes every asset —
//! rows now, primary and backup blobs through the job queue — every
//! unfinished upload and finally the user row with its **wrapped user key**:
//! from then on no copy of the account's data anywhere can be decrypted
//! (crypto-shredding); snapshots that still hold the wrapped key age out
//! within `backups.keep_days` (≤ 30). The trail keeps only the user id.

use serde::Serialize;
use zeroize::Zeroizing;

use super::{Error, Principal, Result, email_for};
use crate::AppState;
use crate::audit::{Event, record};
use crate::clock::{now_ms, now_secs};

/// What the owner types to confirm.
pub const CONFIRMATION: &str = "delete my account";
/// What an administrator types to confirm.
pub const ADMIN_CONFIRMATION: &str = "delete this account";
/// Assets purged per transaction.
const BATCH: i64 = 500;

/// A deletion that is waiting for its purge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Pending {
    /// the account
    pub user_id: String,
    /// when it was asked for (unix s)
    pub requested_at: i64,
    /// when it will be purged (unix s)
    pub purge_after: i64,
    /// whether the owner asked (else an administrator)
    pub by_owner: bool,
}

impl Pending {
    fn from_row(r: pixelunion_catalog::DeletionRow) -> Self {
        Pending {
            by_owner: r.requested_by == r.user_id,
            user_id: r.user_id,
            requested_at: r.requested_at,
            purge_after: r.purge_after,
        }
    }
}

/// The owner's request: re-authenticated and confirmed.
pub async fn request_own(
    state: &AppState,
    p: &Principal,
    password: &Zeroizing<String>,
    totp: Option<&str>,
    recovery_code: Option<&str>,
    confirmation: &str,
) -> Result<Pending> {
    if confirmation.trim().to_lowercase() != CONFIRMATION {
        return Err(Error::ConfirmationMismatch);
    }
    super::credentials::reauthenticate(state, p, password).await?;
    if p.user.totp_secret.is_some()
        && !super::login::check_second_factor(state, &p.user, totp, recovery_code).await?
    {
        record(
            state,
            Event::new(Some(&p.user.id), "reauth.mfa", Some(&p.user.id), "failure"),
        )
        .await;
        return Err(Error::ReauthenticationFailed);
    }
    start(state, &p.user.id, &p.user.id).await
}

/// An administrator's request for another account.
pub async fn request_by_admin(state: &AppState, actor: &Principal, id: &str) -> Result<Pending> {
    if id == actor.user.id {
        return Err(Error::SelfChange);
    }
    start(state, id, &actor.user.id).await
}

async fn start(state: &AppState, id: &str, by: &str) -> Result<Pending> {
    let c = state.catalog();
    let user = c.user_by_id(id).await?.ok_or(Error::NotFound)?;
    if c.account_deletion(id).await?.is_some() {
        return Err(Error::DeletionPending);
    }
    super::admin::required(state, by, "account.delete", id).await?;
    // The address is read before anything goes (the mail needs it).
    let email = email_for(state, &user);
    let now = now_secs();
    let grace = i64::from(state.config().accounts.deletion_grace_days) * 86_400;
    if !c.request_account_deletion(id, by, now, now + grace).await? {
        return Err(Error::DeletionPending);
    }
    record(
        state,
        Event::new(Some(by), "account.delete", Some(id), "success"),
    )
    .await;
    let pending = c
        .account_deletion(id)
        .await?
        .map(Pending::from_row)
        .ok_or(Error::Corrupt("a deletion just asked for is not recorded"))?;
    if let Some(to) = email {
        let when = crate::audit::export::rfc3339(pending.purge_after);
        let contacts = &state.config().contacts;
        let dpo = contacts.dpo_email_for(&state.config().public_host);
        let body = format!(
            "Your PixelUnion account has been closed and will be deleted for good on {when} (UTC).\n\n\
             From then on every photo, video, album and detail of it is gone from this service and \
             from its backups: the key that encrypted them is destroyed, so no copy anywhere can be read.\n\n\
             Until then an administrator can stop the deletion. If you did not ask for this, contact \
             the administrators or our Data Protection Officer ({}, {dpo}) at once.\n",
            contacts.dpo_name
        );
        let out = crate::mail::Outgoing {
            to: vec![to],
            subject: "Your PixelUnion account will be deleted".into(),
            body,
        };
        let sent = crate::mail::send(&state.config().smtp, &out, "account deletion").await;
        let outcome = sent
            .first()
            .map_or("failure", crate::mail::Delivery::outcome);
        record(
            state,
            Event::new(None, "mail.account-delete", Some(id), outcome),
        )
        .await;
    }
    Ok(pending)
}

/// An administrator stops a pending deletion; the account is enabled again
/// (its sessions and tokens stay ended).
pub async fn cancel(state: &AppState, actor: &Principal, id: &str) -> Result<()> {
    let c = state.catalog();
    if c.account_deletion(id).await?.is_none() {
        return Err(Error::NotFound);
    }
    super::admin::required(state, &actor.user.id, "account.delete.cancel", id).await?;
    if !c.cancel_account_deletion(id).await? {
        return Err(Error::NotFound);
    }
    record(
        state,
        Event::new(
            Some(&actor.user.id),
            "account.delete.cancel",
            Some(id),
            "success",
        ),
    )
    .await;
    Ok(())
}

/// Every pending deletion (the admin page).
pub async fn pending(state: &AppState) -> Result<Vec<Pending>> {
    Ok(state
        .catalog()
        .pending_deletions()
        .await?
        .into_iter()
        .map(Pending::from_row)
        .collect())
}

/// Purges every account whose grace period is over (the sweeper); returns
/// how many went.
pub async fn purge_due(state: &AppState) -> Result<u64> {
    let mut n = 0;
    for id in state.catalog().accounts_due_for_purge(now_secs()).await? {
        purge(state, &id).await?;
        n += 1;
    }
    Ok(n)
}

/// The purge of one account: assets (rows now; blobs from both stores
/// through the job queue), unfinished uploads, then the user row — and with
/// it the wrapped user key.
async fn purge(state: &AppState, id: &str) -> Result<()> {
    let c = state.catalog();
    let delay_ms = i64::try_from(state.config().backups.drop_delay_secs)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000);
    record(
        state,
        Event::new(None, "account.purge", Some(id), "request"),
    )
    .await;
    let mut assets = 0;
    loop {
        let n = c.purge_owner_assets(id, now_ms(), delay_ms, BATCH).await?;
        assets += n;
        if n < BATCH.unsigned_abs() {
            break;
        }
    }
    let uploads = c.purge_owner_uploads(id, now_ms()).await?;
    for x in c.expired_exports(i64::MIN, Some(id)).await? {
        c.delete_export(None, &x, now_ms()).await?;
    }
    c.delete_user(id).await?;
    // The wrapped key is gone: so is the unwrapped one this node kept (other
    // nodes drop theirs within a minute, and no row leads to it meanwhile).
    state.keys().forget_user_key(id);
    state.wake_jobs();
    if let Err(e) = c.shred_deleted_rows().await {
        tracing::warn!(error = %e, "could not checkpoint the catalog after a purge");
    }
    tracing::info!(assets, uploads, "an account was purged");
    record(
        state,
        Event::new(None, "account.purge", Some(id), "success"),
    )
    .await;
    Ok(())
}
