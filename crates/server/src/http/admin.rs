//! Account administration, the audit trail and the operators' views of
//! jobs and storage. Nothing here returns content or content metadata:
//! only account state, counts and opaque object names.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pixelunion_auth::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Revoked;
use super::error::{ApiError, ErrorBody, OrInternal};
use super::extract::{Authed, JsonBody};
use crate::AppState;
use crate::accounts::admin::{self, AccountEdit, AccountView};
use crate::accounts::invites;
use crate::accounts::principal::gate;
use crate::clock::now_ms;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(audit_events))
        .routes(routes!(jobs))
        .routes(routes!(storage))
}

/// Replication backlog.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Replication {
    /// blobs waiting to be copied to the backup store
    queued: i64,
    /// copies that failed for good (see `/admin/jobs`)
    dead: i64,
}

/// Storage, all accounts together.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Storage {
    /// bytes stored (originals, trash included)
    bytes: i64,
    /// items stored
    assets: i64,
    /// the backup replication backlog
    replication: Replication,
}

#[utoipa::path(get, path = "/admin/storage", tag = "admin", summary = "Storage for operators: total bytes and items stored (all accounts together), and the backup replication backlog",
    responses((status = 200, description = "totals", body = Storage)))]
pub(super) async fn storage(
    State(state): State<AppState>,
    _a: Authed<gate::OperateSystem>,
) -> Result<Json<Storage>, ApiError> {
    let c = state.catalog();
    let (bytes, assets) = c.total_usage().await.or_internal()?;
    let counts = c.job_counts(now_ms()).await.or_internal()?;
    let replication = |st: &str| {
        counts
            .iter()
            .filter(|(k, s, _)| k == "replicate" && s == st)
            .map(|(_, _, n)| *n)
            .sum::<i64>()
    };
    Ok(Json(Storage {
        bytes,
        assets,
        replication: Replication {
            queued: replication("ready"),
            dead: replication("dead"),
        },
    }))
}

/// Jobs of one kind in one state.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct JobCountView {
    /// job kind
    kind: String,
    /// `ready`, `running` or `dead`
    state: String,
    /// how many
    count: i64,
}

/// A job that failed for good.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct DeadJob {
    /// job kind
    kind: String,
    /// what it was for (an opaque id)
    subject: String,
    /// attempts made
    attempts: i32,
    /// the last failure's cause (no user content)
    reason: Option<String>,
}

/// The job queue.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Jobs {
    /// counts per kind and state
    counts: Vec<JobCountView>,
    /// the latest dead jobs
    dead: Vec<DeadJob>,
}

#[utoipa::path(get, path = "/admin/jobs", tag = "admin", summary = "Background job queue: counts per kind and state, and the latest dead jobs with their reasons (opaque object names, never content)",
    responses((status = 200, description = "the queue", body = Jobs)))]
pub(super) async fn jobs(
    State(state): State<AppState>,
    _a: Authed<gate::OperateSystem>,
) -> Result<Json<Jobs>, ApiError> {
    let c = state.catalog();
    let counts = c
        .job_counts(now_ms())
        .await
        .or_internal()?
        .into_iter()
        .map(|(kind, state, count)| JobCountView { kind, state, count })
        .collect();
    let dead = c
        .dead_jobs(50)
        .await
        .or_internal()?
        .into_iter()
        .map(|(kind, subject, attempts, reason)| DeadJob {
            kind,
            subject,
            attempts,
            reason,
        })
        .collect();
    Ok(Json(Jobs { counts, dead }))
}

/// Accounts.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AccountList {
    /// every account
    items: Vec<AccountView>,
}

#[utoipa::path(get, path = "/admin/users", tag = "admin", summary = "List accounts (state only, never content)",
    responses((status = 200, description = "the accounts", body = AccountList)))]
pub(super) async fn list_users(
    State(state): State<AppState>,
    a: Authed<gate::ViewAccounts>,
) -> Result<Json<AccountList>, ApiError> {
    Ok(Json(AccountList {
        items: admin::list(&state, &a.user.id).await?,
    }))
}

/// A new account.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CreateUser {
    /// e-mail address
    email: String,
    /// role (default `user`)
    #[schema(value_type = Option<Role>)]
    role: Option<String>,
}

/// The new account with its one-time password (shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedUser {
    /// the account
    #[serde(flatten)]
    account: AccountView,
    /// to be changed at the first sign-in
    one_time_password: String,
}

/// Creates an account with a one-time password that must be changed at first
/// sign-in (invitation links are the other way in).
#[utoipa::path(post, path = "/admin/users", tag = "admin", summary = "Create an account with a one-time password",
    request_body = CreateUser,
    responses(
        (status = 201, description = "created", body = CreatedUser),
        (status = 409, description = "`email-taken`", body = ErrorBody),
        (status = 422, description = "`invalid-email`", body = ErrorBody),
    ))]
pub(super) async fn create_user(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    JsonBody(body): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let role = admin::parse_role(body.role.as_deref().unwrap_or("user"))?;
    let (row, password) = admin::create(&state, &a.user.id, &body.email, role).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            account: AccountView::new(&state, &row),
            one_time_password: password.to_string(),
        }),
    ))
}

/// A change to an account; absent fields stay as they are.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct UpdateUser {
    /// new role (ends the account's sessions)
    #[schema(value_type = Option<Role>)]
    role: Option<String>,
    /// disable (ends its sessions) or enable
    disabled: Option<bool>,
    /// storage quota in MiB; `null` returns to the server default
    #[schema(value_type = Option<u64>, maximum = 1099511627776_u64)]
    quota_mib: Option<Value>,
}

/// Largest quota one may set, in MiB (1 EiB).
const MAX_QUOTA_MIB: u64 = 1 << 40;

#[utoipa::path(patch, path = "/admin/users/{id}", tag = "admin", summary = "Change an account's role, disable/enable it (both end its sessions) or set its storage quota",
    request_body = UpdateUser,
    params(("id" = String, Path, description = "account id")),
    responses(
        (status = 200, description = "the account", body = AccountView),
        (status = 400, description = "`bad-quota` or `bad-request`", body = ErrorBody),
        (status = 409, description = "`self-change`", body = ErrorBody),
    ))]
pub(super) async fn update_user(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateUser>,
) -> Result<Json<AccountView>, ApiError> {
    let quota_bytes = match &body.quota_mib {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(
            v.as_u64()
                .filter(|m| *m <= MAX_QUOTA_MIB)
                .map(|m| i64::try_from(m << 20).unwrap_or(i64::MAX))
                .ok_or(crate::accounts::Error::BadQuota)?,
        )),
    };
    let edit = AccountEdit {
        role: body.role.as_deref().map(admin::parse_role).transpose()?,
        disabled: body.disabled,
        quota_bytes,
    };
    Ok(Json(admin::update(&state, &a, &id, edit).await?))
}

/// One audit event.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditEvent {
    /// sequence number
    seq: i64,
    /// when (unix s)
    at: i64,
    /// acting account, if any
    actor: Option<String>,
    /// what happened (`login`, `session.revoke`, …)
    action: String,
    /// the account or object acted on
    target: Option<String>,
    /// `success`, `failure` or `denied`
    outcome: String,
}

/// Audit events.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditEvents {
    /// newest first
    items: Vec<AuditEvent>,
}

#[utoipa::path(get, path = "/audit/events", tag = "audit", summary = "The latest audit events (security role)",
    responses((status = 200, description = "the events", body = AuditEvents)))]
pub(super) async fn audit_events(
    State(state): State<AppState>,
    a: Authed<gate::ReadAudit>,
) -> Result<Json<AuditEvents>, ApiError> {
    let rows = admin::audit_events(&state, &a.user.id, 500).await?;
    let items = rows
        .into_iter()
        .map(|e| AuditEvent {
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
        })
        .collect();
    Ok(Json(AuditEvents { items }))
}

/// A new invitation.
#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CreateInvite {
    /// if given, only this address may accept
    email: Option<String>,
    /// role of the new account (default `user`)
    #[schema(value_type = Option<Role>)]
    role: Option<String>,
    /// 1–720 hours (default 72)
    #[schema(minimum = 1, maximum = 720)]
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    expires_in_hours: Option<u32>,
}

/// A new invitation with its code (shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedInvite {
    /// invitation id
    id: String,
    /// role of the new account
    role: Role,
    /// expires (unix s)
    expires_at: i64,
    /// the code
    code: String,
    /// a link to the invitation page carrying the code
    link: String,
}

/// Creates a single-use, expiring invitation; the code is shown once.
#[utoipa::path(post, path = "/admin/invites", tag = "admin", summary = "Create a single-use, expiring invitation (code shown once)",
    request_body = CreateInvite,
    responses(
        (status = 201, description = "created", body = CreatedInvite),
        (status = 422, description = "`invalid-email` or `invalid-expiry`", body = ErrorBody),
    ))]
pub(super) async fn create_invite(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    JsonBody(body): JsonBody<CreateInvite>,
) -> Result<(StatusCode, Json<CreatedInvite>), ApiError> {
    let role = admin::parse_role(body.role.as_deref().unwrap_or("user"))?;
    let hours = body.expires_in_hours.unwrap_or(72);
    let email = body
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let new = invites::create(&state, &a.user.id, role, email, hours).await?;
    let base = super::origin::public_origin(state.config(), &uri, &headers);
    Ok((
        StatusCode::CREATED,
        Json(CreatedInvite {
            link: format!("{base}/invite#{}", new.code.as_str()),
            id: new.row.id,
            role: new.row.role,
            expires_at: new.row.expires_at,
            code: new.code.to_string(),
        }),
    ))
}

/// An invitation (never its code).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct InviteView {
    /// invitation id
    id: String,
    /// role of the new account
    role: Role,
    /// only one e-mail address may accept
    bound_to_email: bool,
    /// created (unix s)
    created_at: i64,
    /// expires (unix s)
    expires_at: i64,
    /// accepted already
    used: bool,
}

/// Invitations.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct InviteList {
    /// newest first
    items: Vec<InviteView>,
}

#[utoipa::path(get, path = "/admin/invites", tag = "admin", summary = "List invitations",
    responses((status = 200, description = "the invitations", body = InviteList)))]
pub(super) async fn list_invites(
    State(state): State<AppState>,
    _a: Authed<gate::ManageUsers>,
) -> Result<Json<InviteList>, ApiError> {
    let items = invites::list(&state)
        .await?
        .into_iter()
        .map(|i| InviteView {
            bound_to_email: i.email_index.is_some(),
            used: i.used_at.is_some(),
            id: i.id,
            role: i.role,
            created_at: i.created_at,
            expires_at: i.expires_at,
        })
        .collect();
    Ok(Json(InviteList { items }))
}

#[utoipa::path(delete, path = "/admin/invites/{id}", tag = "admin", summary = "Revoke an unused invitation",
    params(("id" = String, Path, description = "invitation id")),
    responses((status = 200, description = "revoked", body = Revoked)))]
pub(super) async fn revoke_invite(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    invites::revoke(&state, &a.user.id, &id).await?;
    Ok(Revoked::one())
}
