//! Authentication routes: login (password, then TOTP or a recovery code),
//! logout, the caller's profile, sessions, password change and TOTP enrolment.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use pixelunion_auth::Role;
use pixelunion_auth::mfa;
use pixelunion_auth::password::{Verified, check_policy};
use pixelunion_vault::field::{self, FieldContext};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::AppState;
use crate::accounts::principal::{COOKIE, csrf_token, gate};
use crate::accounts::{self, Authed, audit, now};
use crate::error::{ApiError, ErrorBody, OrInternal};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/auth/sessions", get(sessions))
        .route("/auth/sessions/{id}", delete(revoke_session))
        .route("/auth/sessions/revoke-others", post(revoke_others))
        .route("/auth/password", post(change_password))
        .route("/auth/mfa/totp", post(totp_begin))
        .route("/auth/mfa/totp/confirm", post(totp_confirm))
        .route("/auth/invites/accept", post(accept_invite))
        .route("/auth/signup", post(signup))
        .route("/auth/tokens", get(list_tokens).post(create_token))
        .route("/auth/tokens/{id}", delete(revoke_token))
}

fn bad_request(msg: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad-request", msg)
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
        "e-mail, password or code is not right",
    )
}

fn throttled(secs: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-attempts",
        format!("too many failed attempts; try again in {secs} s"),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct LoginBody {
    email: String,
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    #[schema(value_type = Option<String>)]
    totp: Option<Zeroizing<String>>,
    #[schema(value_type = Option<String>)]
    recovery_code: Option<Zeroizing<String>>,
    /// API clients: also return the session token in the body.
    #[serde(default)]
    bearer: bool,
}

fn profile(p: &pixelunion_catalog::UserRow, email: Option<String>) -> Value {
    json!({
        "id": p.id,
        "email": email,
        "role": p.role,
        "must_change_password": p.must_change_password,
        "mfa_enrolled": p.totp_secret.is_some(),
        "mfa_required": Role::parse(&p.role).is_some_and(Role::requires_mfa),
    })
}

fn session_cookie(token: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .or_internal()
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", summary = "Sign in with e-mail, password and (when enrolled) a TOTP or recovery code; sets the session cookie and, with `bearer: true`, returns the token", request_body = LoginBody, responses((status = 200, description = "success"), (status = 401, description = "invalid-credentials, or mfa-required", body = ErrorBody), (status = 429, description = "too many failed attempts", body = ErrorBody), (status = 503, description = "the server is sealed", body = ErrorBody)))]
pub(super) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<LoginBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    if state.keys().is_sealed() {
        return Err(ApiError::sealed());
    }
    let Json(body) =
        body.map_err(|_| bad_request("expected JSON {\"email\", \"password\", \"totp\"?}"))?;
    let email = accounts::normalize_email(&body.email);
    let indexes = accounts::email_candidates(&state, &email)?;
    let ip_key = format!("ip:{}", peer.ip());
    let acct_key = format!(
        "acct:{}",
        indexes
            .first()
            .map(|i| i.tag[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>())
            .unwrap_or_default()
    );
    let keys = [ip_key.as_str(), acct_key.as_str()];
    if let Some(secs) = state.accounts().throttle.retry_after(&keys) {
        audit(&state, None, "login.throttled", None, "denied").await;
        return Err(throttled(secs));
    }
    let idx: Vec<Vec<u8>> = indexes.iter().map(|i| i.to_bytes().to_vec()).collect();
    let user = state
        .catalog()
        .user_by_email_index(&idx)
        .await
        .or_internal()?;
    let verified = state
        .accounts()
        .verify(
            body.password.clone(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let user = match (user, verified) {
        (Some(u), Verified::Yes | Verified::YesRehash) if !u.disabled => u,
        (u, _) => {
            state.accounts().throttle.failure(&keys);
            audit(
                &state,
                None,
                "login",
                u.as_ref().map(|u| u.id.as_str()),
                "failure",
            )
            .await;
            return Err(invalid_credentials());
        }
    };
    // Second factor: one of the enrolled methods (TOTP or a recovery code
    // today; a WebAuthn assertion becomes one more `Factor` variant).
    if let Some(secret_ct) = &user.totp_secret {
        let factor = match (&body.totp, &body.recovery_code) {
            (Some(code), _) => mfa::Factor::Totp(code.to_string()),
            (None, Some(code)) => mfa::Factor::Recovery(code.to_string()),
            (None, None) => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "mfa-required",
                    "enter the code from your authenticator app (or a recovery code)",
                ));
            }
        };
        let ok = match &factor {
            mfa::Factor::Totp(code) => {
                let key = accounts::key_for(&state, &user)?;
                let secret = field::decrypt(
                    &key,
                    &accounts::user_ctx(&user.id, "totp_secret"),
                    secret_ct,
                )
                .or_internal()?;
                match mfa::verify_totp(
                    &secret,
                    code,
                    now() as u64,
                    user.totp_last_step.map(|s| s as u64),
                ) {
                    Some(step) => state
                        .catalog()
                        .claim_totp_step(&user.id, step as i64)
                        .await
                        .or_internal()?,
                    None => false,
                }
            }
            mfa::Factor::Recovery(code) => state
                .catalog()
                .use_recovery_code(&user.id, &mfa::recovery_hash(code), now())
                .await
                .or_internal()?,
        };
        if !ok {
            state.accounts().throttle.failure(&keys);
            audit(
                &state,
                Some(&user.id),
                "login.mfa",
                Some(&user.id),
                "failure",
            )
            .await;
            return Err(invalid_credentials());
        }
        if matches!(factor, mfa::Factor::Recovery(_)) {
            audit(
                &state,
                Some(&user.id),
                "login.recovery-code",
                Some(&user.id),
                "success",
            )
            .await;
        }
    }
    state.accounts().throttle.success(&keys);
    if verified == Verified::YesRehash
        && let Ok(h) = state.accounts().hash(body.password.clone()).await
    {
        let _ = state
            .catalog()
            .set_password(&user.id, &h, user.must_change_password)
            .await;
    }
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("unknown client");
    let client = format!(
        "{} · {}",
        peer.ip(),
        agent.chars().take(200).collect::<String>()
    );
    let token = accounts::start_session(&state, &user, &client).await?;
    let _ = state.catalog().touch_login(&user.id, now()).await;
    audit(&state, Some(&user.id), "login", Some(&user.id), "success").await;
    let email = accounts::email_for(&state, &user);
    // The cookie lives as long as the session may: the configured absolute timeout.
    let max_age = state
        .config()
        .accounts
        .timeouts(Role::parse(&user.role).unwrap_or(Role::User))
        .absolute
        .as_secs() as i64;
    let mut out = json!({"user": profile(&user, email), "csrf_token": csrf_token(&token)});
    if body.bearer {
        out["token"] = json!(token.as_str());
    }
    let mut resp = Json(out).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&token, max_age)?);
    Ok(resp)
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", summary = "End the current session", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody)))]
pub(super) async fn logout(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
) -> Result<Response, ApiError> {
    state
        .catalog()
        .delete_session_by_hash(&a.session_hash)
        .await
        .or_internal()?;
    audit(
        &state,
        Some(&a.user.id),
        "logout",
        Some(&a.user.id),
        "success",
    )
    .await;
    let mut resp = Json(json!({"signed_out": true})).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0)?);
    Ok(resp)
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", summary = "The signed-in account (sessions and API tokens)", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody)))]
pub(super) async fn me(State(state): State<AppState>, a: Authed<gate::Identity>) -> Json<Value> {
    let mut v = profile(&a.user, accounts::email_for(&state, &a.user));
    v["session_id"] = json!(a.session_id);
    Json(v)
}

#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth", summary = "List own sessions (client, created, last seen)", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn sessions(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<Value>, ApiError> {
    let rows = state
        .catalog()
        .list_sessions(&a.user.id)
        .await
        .or_internal()?;
    let key = accounts::key_for(&state, &a.user)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|s| {
            let client = s
                .client
                .as_ref()
                .and_then(|ct| {
                    field::decrypt_string(
                        &key,
                        &accounts::session_client_ctx(&a.user.id, &s.id),
                        ct,
                    )
                    .ok()
                })
                .map(|c| c.to_string());
            json!({
                "id": s.id,
                "client": client,
                "created_at": s.created_at,
                "last_seen_at": s.last_seen_at,
                "expires_at": s.expires_at,
                "current": s.id == a.session_id,
            })
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth", summary = "Revoke one of own sessions", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody), (status = 404, description = "no such session of yours", body = ErrorBody)))]
pub(super) async fn revoke_session(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let deleted = state
        .catalog()
        .delete_session(&a.user.id, &id)
        .await
        .or_internal()?;
    revoked(&state, &a.user.id, deleted, "session.revoke", &id).await
}

#[utoipa::path(post, path = "/api/v1/auth/sessions/revoke-others", tag = "auth", summary = "Revoke all own sessions but the current one", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn revoke_others(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<Value>, ApiError> {
    let n = state
        .catalog()
        .delete_other_sessions(&a.user.id, Some(&a.session_hash))
        .await
        .or_internal()?;
    audit(
        &state,
        Some(&a.user.id),
        "session.revoke-others",
        Some(&a.user.id),
        "success",
    )
    .await;
    Ok(Json(json!({"revoked": n})))
}

/// Re-authentication: the current password, checked with the login throttle.
async fn reauthenticate(
    state: &AppState,
    a: &accounts::Principal,
    password: &Zeroizing<String>,
) -> Result<(), ApiError> {
    let key = format!("reauth:{}", a.user.id);
    if let Some(secs) = state.accounts().throttle.retry_after(&[&key]) {
        return Err(throttled(secs));
    }
    match state
        .accounts()
        .verify(password.clone(), Some(a.user.password_hash.clone()))
        .await?
    {
        Verified::No => {
            state.accounts().throttle.failure(&[&key]);
            audit(
                state,
                Some(&a.user.id),
                "reauth",
                Some(&a.user.id),
                "failure",
            )
            .await;
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "reauthentication-failed",
                "your current password is not right",
            ))
        }
        _ => {
            state.accounts().throttle.success(&[&key]);
            Ok(())
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct PasswordBody {
    #[schema(value_type = String)]
    current_password: Zeroizing<String>,
    #[schema(value_type = String)]
    new_password: Zeroizing<String>,
}

#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", summary = "Change the password (re-authenticates; ends other sessions)", request_body = PasswordBody, responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 422, description = "weak-password", body = ErrorBody)))]
pub(super) async fn change_password(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
    body: Result<Json<PasswordBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) =
        body.map_err(|_| bad_request("expected JSON {\"current_password\", \"new_password\"}"))?;
    reauthenticate(&state, &a, &body.current_password).await?;
    let email = accounts::email_for(&state, &a.user).unwrap_or_default();
    check_policy(&body.new_password, &email).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak-password",
            e.to_string(),
        )
    })?;
    if *body.new_password == *body.current_password {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak-password",
            "choose a password different from the current one",
        ));
    }
    let hash = state.accounts().hash(body.new_password).await?;
    state
        .catalog()
        .set_password(&a.user.id, &hash, false)
        .await
        .or_internal()?;
    let ended = state
        .catalog()
        .delete_other_sessions(&a.user.id, Some(&a.session_hash))
        .await
        .or_internal()?;
    audit(
        &state,
        Some(&a.user.id),
        "password.change",
        Some(&a.user.id),
        "success",
    )
    .await;
    Ok(Json(
        json!({"changed": true, "other_sessions_ended": ended}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct TotpBeginBody {
    #[schema(value_type = String)]
    password: Zeroizing<String>,
}

/// Starts TOTP enrolment: a new secret, returned to the caller (URI for the
/// QR code, base32 for typing) and as an opaque enrolment ticket — the secret
/// encrypted under the user's key — to send back with the first code.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp", tag = "auth", summary = "Start TOTP enrolment (re-authenticates): secret, otpauth URI, QR code, enrolment ticket", request_body = TotpBeginBody, responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody)))]
pub(super) async fn totp_begin(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
    body: Result<Json<TotpBeginBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body.map_err(|_| bad_request("expected JSON {\"password\"}"))?;
    reauthenticate(&state, &a, &body.password).await?;
    let secret = mfa::new_secret().or_internal()?;
    let email = accounts::email_for(&state, &a.user).unwrap_or_else(|| a.user.id.clone());
    let uri = mfa::otpauth_uri(&secret, &email).or_internal()?;
    let key = accounts::key_for(&state, &a.user)?;
    let ticket = field::encrypt(
        &key,
        &accounts::user_ctx(&a.user.id, "totp_enrolment"),
        &secret,
    )
    .or_internal()?;
    use base64::Engine;
    Ok(Json(json!({
        "otpauth_uri": uri.as_str(),
        "qr_svg": mfa::qr_svg(&uri).or_internal()?,
        "secret": mfa::secret_base32(&secret).as_str(),
        "enrolment": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ticket),
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct TotpConfirmBody {
    enrolment: String,
    #[schema(value_type = String)]
    code: Zeroizing<String>,
}

#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/confirm", tag = "auth", summary = "Finish TOTP enrolment with a first code; returns ten recovery codes (once)", request_body = TotpConfirmBody, responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 422, description = "invalid-code", body = ErrorBody)))]
pub(super) async fn totp_confirm(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
    body: Result<Json<TotpConfirmBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    use base64::Engine;
    let Json(body) = body.map_err(|_| bad_request("expected JSON {\"enrolment\", \"code\"}"))?;
    let ticket = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body.enrolment.as_bytes())
        .map_err(|_| bad_request("enrolment ticket is malformed"))?;
    let user_key = accounts::key_for(&state, &a.user)?;
    let secret = field::decrypt(
        &user_key,
        &accounts::user_ctx(&a.user.id, "totp_enrolment"),
        &ticket,
    )
    .map_err(|_| bad_request("enrolment ticket is not valid for this account"))?;
    let stored = field::encrypt(
        &user_key,
        &accounts::user_ctx(&a.user.id, "totp_secret"),
        &secret,
    )
    .or_internal()?;
    let key = format!("mfa-enrol:{}", a.user.id);
    if let Some(secs) = state.accounts().throttle.retry_after(&[&key]) {
        return Err(throttled(secs));
    }
    let Some(step) = mfa::verify_totp(&secret, &body.code, now() as u64, None) else {
        state.accounts().throttle.failure(&[&key]);
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-code",
            "that code is not right; check the time on your device and try the next one",
        ));
    };
    let codes = mfa::new_recovery_codes().or_internal()?;
    let hashes: Vec<[u8; 32]> = codes.iter().map(|(_, h)| *h).collect();
    let c = state.catalog();
    c.set_totp(&a.user.id, Some(&stored)).await.or_internal()?;
    c.claim_totp_step(&a.user.id, step as i64)
        .await
        .or_internal()?;
    c.replace_recovery_codes(&a.user.id, &hashes)
        .await
        .or_internal()?;
    let ended = c
        .delete_other_sessions(&a.user.id, Some(&a.session_hash))
        .await
        .or_internal()?;
    state.accounts().throttle.success(&[&key]);
    audit(
        &state,
        Some(&a.user.id),
        "mfa.totp.enrol",
        Some(&a.user.id),
        "success",
    )
    .await;
    let shown: Vec<&str> = codes.iter().map(|(c, _)| c.as_str()).collect();
    Ok(Json(
        json!({"enrolled": true, "recovery_codes": shown, "other_sessions_ended": ended}),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct CreateToken {
    name: String,
    scope: String,
    /// lifetime in days, 1–365 (default 90)
    expires_in_days: Option<u32>,
}

fn token_ctx<'a>(user: &'a str, id: &'a str) -> FieldContext<'a> {
    FieldContext {
        owner: user.as_bytes(),
        table: "api_tokens",
        column: "name",
        row: id.as_bytes(),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", summary = "Create an API token (shown once)", request_body = CreateToken, responses((status = 201, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody), (status = 422, description = "invalid name, scope or expiry", body = ErrorBody)))]
pub(super) async fn create_token(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    body: Result<Json<CreateToken>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body.map_err(|_| bad_request("expected JSON {\"name\", \"scope\": \"upload\"|\"read\"|\"full\", \"expires_in_days\"?}"))?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-name",
            "give the token a name of 1 to 100 characters",
        ));
    }
    if crate::accounts::principal::TokenScope::parse(&body.scope).is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-scope",
            "scope must be \"upload\", \"read\" or \"full\"",
        ));
    }
    let days = body.expires_in_days.unwrap_or(90);
    if !(1..=365).contains(&days) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-expiry",
            "expires_in_days must be between 1 and 365",
        ));
    }
    let token =
        pixelunion_auth::token::mint(pixelunion_auth::token::TokenKind::Api).or_internal()?;
    let id = uuid::Uuid::new_v4().to_string();
    let key = accounts::key_for(&state, &a.user)?;
    let name_ct = field::encrypt_str(&key, &token_ctx(&a.user.id, &id), name).or_internal()?;
    let now = now();
    let row = pixelunion_catalog::ApiTokenRow {
        id: id.clone(),
        user_id: a.user.id.clone(),
        token_hash: token.hash.to_vec(),
        name: name_ct,
        scope: body.scope.clone(),
        created_at: now,
        expires_at: now + i64::from(days) * 86_400,
        last_used_at: None,
    };
    state.catalog().create_api_token(&row).await.or_internal()?;
    audit(
        &state,
        Some(&a.user.id),
        &format!("token.create:{}", body.scope),
        Some(&id),
        "success",
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": id, "name": name, "scope": body.scope, "expires_at": row.expires_at, "token": token.secret.as_str()}),
        ),
    ))
}

#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth", summary = "List own API tokens (never the secrets)", responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody)))]
pub(super) async fn list_tokens(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<Value>, ApiError> {
    let rows = state
        .catalog()
        .list_api_tokens(&a.user.id)
        .await
        .or_internal()?;
    let key = accounts::key_for(&state, &a.user)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|t| {
            let name = field::decrypt_string(&key, &token_ctx(&a.user.id, &t.id), &t.name).ok().map(|n| n.to_string());
            json!({"id": t.id, "name": name, "scope": t.scope, "created_at": t.created_at, "expires_at": t.expires_at, "last_used_at": t.last_used_at})
        })
        .collect();
    Ok(Json(json!({"items": items})))
}

#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth", summary = "Revoke one of own API tokens", params(("id" = String, Path, description = "object id")), responses((status = 200, description = "success"), (status = 401, description = "not signed in, or the session ended", body = ErrorBody), (status = 403, description = "role, setup state or token scope does not allow this", body = ErrorBody), (status = 404, description = "no such token of yours", body = ErrorBody)))]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let deleted = state
        .catalog()
        .delete_api_token(&a.user.id, &id)
        .await
        .or_internal()?;
    revoked(&state, &a.user.id, deleted, "token.revoke", &id).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct NewAccount {
    code: Option<String>,
    email: String,
    #[schema(value_type = String)]
    password: Zeroizing<String>,
}

fn check_new_account(body: &NewAccount) -> Result<(), ApiError> {
    if !accounts::valid_email(&body.email) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-email",
            "that is not an e-mail address",
        ));
    }
    check_policy(&body.password, &accounts::normalize_email(&body.email)).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak-password",
            e.to_string(),
        )
    })
}

fn taken() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "email-taken",
        "an account with this e-mail address exists",
    )
}

/// Accepts an invitation: creates the account with the invited role and the
/// password the person chose. Single use; expired or used codes are refused.
#[utoipa::path(post, path = "/api/v1/auth/invites/accept", tag = "auth", summary = "Create an account from an invitation code", request_body = NewAccount, responses((status = 201, description = "success"), (status = 410, description = "unknown, used or expired invitation", body = ErrorBody), (status = 409, description = "email-taken", body = ErrorBody), (status = 422, description = "invalid e-mail or weak password", body = ErrorBody)))]
pub(super) async fn accept_invite(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<NewAccount>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if state.keys().is_sealed() {
        return Err(ApiError::sealed());
    }
    let Json(body) =
        body.map_err(|_| bad_request("expected JSON {\"code\", \"email\", \"password\"}"))?;
    let ip_key = format!("ip:{}", peer.ip());
    if let Some(secs) = state.accounts().throttle.retry_after(&[&ip_key]) {
        return Err(throttled(secs));
    }
    let refused = || {
        ApiError::new(
            StatusCode::GONE,
            "invite-invalid",
            "this invitation is unknown, used or expired; ask for a new one",
        )
    };
    let code = body.code.clone().unwrap_or_default();
    if !pixelunion_auth::token::looks_like(pixelunion_auth::token::TokenKind::Invite, &code) {
        state.accounts().throttle.failure(&[&ip_key]);
        return Err(refused());
    }
    let hash = pixelunion_auth::token::hash(&code);
    let Some(invite) = state.catalog().invite_by_hash(&hash).await.or_internal()? else {
        state.accounts().throttle.failure(&[&ip_key]);
        return Err(refused());
    };
    if invite.used_at.is_some() || invite.expires_at <= now() {
        return Err(refused());
    }
    check_new_account(&body)?;
    let email = accounts::normalize_email(&body.email);
    if let Some(bound) = &invite.email_index {
        let candidates = accounts::email_candidates(&state, &email)?;
        if !candidates
            .iter()
            .any(|c| pixelunion_vault::ct_eq(&c.to_bytes(), bound))
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "invite-email-mismatch",
                "this invitation is for another e-mail address",
            ));
        }
    }
    let role = Role::parse(&invite.role).unwrap_or(Role::User);
    let hash_pw = state.accounts().hash(body.password).await?;
    let row = state
        .keys()
        .with_keyring(|k| accounts::new_user_row(k, &email, hash_pw, role, false))
        .ok_or_else(ApiError::sealed)?
        .or_internal()?;
    match state.catalog().accept_invite(&hash, now(), &row).await {
        Ok(true) => {}
        Ok(false) => return Err(refused()),
        Err(pixelunion_catalog::CatalogError::AlreadyExists) => return Err(taken()),
        Err(e) => return Err(ApiError::internal(&e)),
    }
    audit(
        &state,
        Some(&row.id),
        &format!("invite.accept:{}", role.as_str()),
        Some(&invite.id),
        "success",
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": row.id, "role": row.role})),
    ))
}

/// Open sign-up, when the configuration allows it (off by default).
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", summary = "Open sign-up (only when accounts.open_signup is on)", request_body = NewAccount, responses((status = 201, description = "success"), (status = 403, description = "signup-closed", body = ErrorBody), (status = 409, description = "email-taken", body = ErrorBody)))]
pub(super) async fn signup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<NewAccount>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if !state.config().accounts.open_signup {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "signup-closed",
            "accounts are by invitation only on this server",
        ));
    }
    if state.keys().is_sealed() {
        return Err(ApiError::sealed());
    }
    let Json(body) = body.map_err(|_| bad_request("expected JSON {\"email\", \"password\"}"))?;
    let ip_key = format!("signup:{}", peer.ip());
    if let Some(secs) = state.accounts().throttle.retry_after(&[&ip_key]) {
        return Err(throttled(secs));
    }
    check_new_account(&body)?;
    // Every sign-up counts against the address, so one client cannot mass-create accounts.
    state.accounts().throttle.failure(&[&ip_key]);
    let row = accounts::create_user(&state, &body.email, body.password, Role::User, false).await?;
    audit(&state, Some(&row.id), "signup", Some(&row.id), "success").await;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": row.id, "role": row.role})),
    ))
}

/// The common end of a revocation: 404 if nothing of the caller's matched
/// (another user's id looks absent), otherwise audit and report.
pub(super) async fn revoked(
    state: &AppState,
    actor: &str,
    deleted: bool,
    action: &str,
    id: &str,
) -> Result<Json<Value>, ApiError> {
    if !deleted {
        return Err(ApiError::not_found());
    }
    audit(state, Some(actor), action, Some(id), "success").await;
    Ok(Json(json!({"revoked": 1})))
}
