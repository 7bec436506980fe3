//! Account administration and the audit trail. Nothing here returns content
//! or content metadata: only account state.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch};
use axum::{Json, Router};
use pixelunion_auth::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::accounts::principal::gate;
use crate::accounts::{self, Authed, audit};
use crate::error::{ApiError, ErrorBody, OrInternal};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list_users).post(create_user))
        .route("/admin/users/{id}", patch(update_user))
        .route("/admin/invites", get(list_invites).post(create_invite))
        .route("/admin/invites/{id}", delete(revoke_invite))
        .route("/audit/events", get(audit_events))
        .route("/admin/jobs", get(jobs))
        .route("/admin/storage", get(storage))
}

#[utoipa::path(get, path = "/api/v1/admin/storage", tag = "admin", summary = "Storage for operators: total bytes and items stored (all accounts together), and the backup replication backlog", responses((status = 200, description = "{bytes, assets, replication: {queued, dead}}"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn storage(
    State(state): State<AppState>,
    _a: Authed<gate::OperateSystem>,
) -> Result<Json<Value>, ApiError> {
    let c = state.catalog();
    let (bytes, assets) = c.total_usage().await.or_internal()?;
    let counts = c
        .job_counts(crate::http::library::now_ms())
        .await
        .or_internal()?;
    let replication = |st: &str| {
        counts
            .iter()
            .filter(|(k, s, _)| k == "replicate" && s == st)
            .map(|(_, _, n)| *n)
            .sum::<i64>()
    };
    Ok(Json(json!({
        "bytes": bytes,
        "assets": assets,
        "replication": {"queued": replication("ready"), "dead": replication("dead")},
    })))
}

#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "admin", summary = "Background job queue: counts per kind and state, and the latest dead jobs with their reasons (opaque object names, never content)", responses((status = 200, description = "{counts: [{kind, state, count}], dead: [{kind, subject, attempts, reason}]}"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn jobs(
    State(state): State<AppState>,
    _a: Authed<gate::OperateSystem>,
) -> Result<Json<Value>, ApiError> {
    let c = state.catalog();
    let now = crate::http::library::now_ms();
    let counts: Vec<Value> = c
        .job_counts(now)
        .await
        .or_internal()?
        .into_iter()
        .map(|(kind, st, n)| json!({"kind": kind, "state": st, "count": n}))
        .collect();
    let dead: Vec<Value> = c
        .dead_jobs(50)
        .await
        .or_internal()?
        .into_iter()
        .map(|(kind, subject, attempts, reason)| {
            json!({"kind": kind, "subject": subject, "attempts": attempts, "reason": reason})
        })
        .collect();
    Ok(Json(json!({"counts": counts, "dead": dead})))
}

/// A role name from a request body; 422 for anything else.
fn parse_role(name: &str) -> Result<Role, ApiError> {
    Role::parse(name).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-role",
            "unknown role",
        )
    })
}

fn account_json(state: &AppState, u: &pixelunion_catalog::UserRow) -> Value {
    let email = accounts::email_for(state, u);
    json!({
        "id": u.id,
        "email": email,
        "role": u.role,
        "disabled": u.disabled,
        "mfa_enrolled": u.totp_secret.is_some(),
        "must_change_password": u.must_change_password,
        "created_at": u.created_at,
        "last_login_at": u.last_login_at,
    })
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", summary = "List accounts (state only, never content)", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn list_users(
    State(state): State<AppState>,
    a: Authed<gate::ViewAccounts>,
) -> Result<Json<Value>, ApiError> {
    let users = state.catalog().list_users().await.or_internal()?;
    audit(
        &state,
        Some(&a.user.id),
        "admin.users.list",
        None,
        "success",
    )
    .await;
    Ok(Json(
        json!({"items": users.iter().map(|u| account_json(&state, u)).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CreateUser {
    email: String,
    role: Option<String>,
}

/// Creates an account with a one-time password that must be changed at first
/// sign-in (invitation links replace this in a later step).
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", summary = "Create an account with a one-time password", request_body = CreateUser, responses((status = 201, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody), (status = 409, description = "email-taken", body = ErrorBody)))]
pub(super) async fn create_user(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    body: Result<Json<CreateUser>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "expected JSON {\"email\", \"role\"?}",
        )
    })?;
    if !accounts::valid_email(&body.email) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-email",
            "that is not an e-mail address",
        ));
    }
    let role = parse_role(body.role.as_deref().unwrap_or("user"))?;
    let password = accounts::one_time_password()?;
    let row = accounts::create_user(&state, &body.email, password.clone(), role, true).await?;
    audit(
        &state,
        Some(&a.user.id),
        "admin.users.create",
        Some(&row.id),
        "success",
    )
    .await;
    let mut v = account_json(&state, &row);
    v["one_time_password"] = json!(password.as_str());
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct UpdateUser {
    role: Option<String>,
    disabled: Option<bool>,
    /// storage quota in MiB; `null` returns to the server default
    #[schema(value_type = Option<u64>)]
    quota_mib: Option<Value>,
}

#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", summary = "Change an account's role, disable/enable it (both end its sessions) or set its storage quota", request_body = UpdateUser, params(("id" = String, Path, description = "object id")), responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody), (status = 404, description = "no such account", body = ErrorBody)))]
pub(super) async fn update_user(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    Path(id): Path<String>,
    body: Result<Json<UpdateUser>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "expected JSON {\"role\"?, \"disabled\"?, \"quota_mib\"?}",
        )
    })?;
    let c = state.catalog();
    let user = c
        .user_by_id(&id)
        .await
        .or_internal()?
        .ok_or_else(ApiError::not_found)?;
    if user.id == a.user.id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "self-change",
            "administrators cannot change their own role or disable themselves",
        ));
    }
    if let Some(r) = &body.role {
        // Role changes are their own permission (admin holds both today).
        crate::accounts::principal::admit::<gate::ManageRoles>(&a, &axum::http::Method::PATCH)?;
        let role = parse_role(r)?;
        c.set_role(&id, role.as_str()).await.or_internal()?;
        c.delete_other_sessions(&id, None).await.or_internal()?;
        audit(
            &state,
            Some(&a.user.id),
            &format!("admin.users.role:{}", role.as_str()),
            Some(&id),
            "success",
        )
        .await;
    }
    if let Some(d) = body.disabled {
        c.set_disabled(&id, d).await.or_internal()?;
        if d {
            c.delete_other_sessions(&id, None).await.or_internal()?;
        }
        audit(
            &state,
            Some(&a.user.id),
            if d {
                "admin.users.disable"
            } else {
                "admin.users.enable"
            },
            Some(&id),
            "success",
        )
        .await;
    }
    if let Some(q) = &body.quota_mib {
        let bytes = match q {
            Value::Null => None,
            v => Some(
                v.as_u64()
                    .filter(|m| *m <= 1 << 40)
                    .map(|m| (m as i64) << 20)
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "bad-quota",
                            "quota_mib is a whole number of MiB, or null for the default",
                        )
                    })?,
            ),
        };
        c.set_user_quota(&id, bytes).await.or_internal()?;
        audit(
            &state,
            Some(&a.user.id),
            "admin.users.quota",
            Some(&id),
            "success",
        )
        .await;
    }
    let user = c
        .user_by_id(&id)
        .await
        .or_internal()?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(account_json(&state, &user)))
}

#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", summary = "The latest audit events (security role)", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn audit_events(
    State(state): State<AppState>,
    a: Authed<gate::ReadAudit>,
) -> Result<Json<Value>, ApiError> {
    let rows = state.catalog().recent_audit(500).await.or_internal()?;
    audit(&state, Some(&a.user.id), "audit.read", None, "success").await;
    let items: Vec<Value> = rows
        .iter()
        .map(|e| json!({"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "target": e.target, "outcome": e.outcome}))
        .collect();
    Ok(Json(json!({"items": items})))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CreateInvite {
    /// if given, only this address may accept
    email: Option<String>,
    role: Option<String>,
    /// 1–720 hours (default 72)
    expires_in_hours: Option<u32>,
}

/// Creates a single-use, expiring invitation; the code is shown once.
#[utoipa::path(post, path = "/api/v1/admin/invites", tag = "admin", summary = "Create a single-use, expiring invitation (code shown once)", request_body = CreateInvite, responses((status = 201, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn create_invite(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    body: Result<Json<CreateInvite>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "expected JSON {\"email\"?, \"role\"?, \"expires_in_hours\"?}",
        )
    })?;
    let role = parse_role(body.role.as_deref().unwrap_or("user"))?;
    let hours = body.expires_in_hours.unwrap_or(72);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-expiry",
            "expires_in_hours must be between 1 and 720",
        ));
    }
    let email_index = match &body.email {
        None => None,
        Some(e) if accounts::valid_email(e) => Some(accounts::email_index(&state, e)?),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-email",
                "that is not an e-mail address",
            ));
        }
    };
    let code =
        pixelunion_auth::token::mint(pixelunion_auth::token::TokenKind::Invite).or_internal()?;
    let now = accounts::now();
    let row = pixelunion_catalog::InviteRow {
        id: uuid::Uuid::new_v4().to_string(),
        token_hash: code.hash.to_vec(),
        role: role.as_str().into(),
        email_index,
        created_by: a.user.id.clone(),
        created_at: now,
        expires_at: now + i64::from(hours) * 3600,
        used_at: None,
    };
    state.catalog().create_invite(&row).await.or_internal()?;
    audit(
        &state,
        Some(&a.user.id),
        &format!("admin.invites.create:{}", role.as_str()),
        Some(&row.id),
        "success",
    )
    .await;
    let c = state.config();
    let port = if c.listen.port() == 443 {
        String::new()
    } else {
        format!(":{}", c.listen.port())
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": row.id,
            "role": row.role,
            "expires_at": row.expires_at,
            "code": code.secret.as_str(),
            "link": format!("https://{}{port}/invite#{}", c.public_host, code.secret.as_str()),
        })),
    ))
}

#[utoipa::path(get, path = "/api/v1/admin/invites", tag = "admin", summary = "List invitations", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn list_invites(
    State(state): State<AppState>,
    _a: Authed<gate::ManageUsers>,
) -> Result<Json<Value>, ApiError> {
    let rows = state.catalog().list_invites().await.or_internal()?;
    let items: Vec<Value> = rows
        .iter()
        .map(|i| json!({"id": i.id, "role": i.role, "bound_to_email": i.email_index.is_some(), "created_at": i.created_at, "expires_at": i.expires_at, "used": i.used_at.is_some()}))
        .collect();
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(delete, path = "/api/v1/admin/invites/{id}", tag = "admin", summary = "Revoke an unused invitation", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody), (status = 404, description = "no such unused invitation", body = ErrorBody)))]
pub(super) async fn revoke_invite(
    State(state): State<AppState>,
    a: Authed<gate::ManageUsers>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let deleted = state.catalog().delete_invite(&id).await.or_internal()?;
    super::auth::revoked(&state, &a.user.id, deleted, "admin.invites.revoke", &id).await
}
