//! Signing in (password, then TOTP or a recovery code), out, and who am I.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use pixelunion_auth::Role;
use pixelunion_catalog::UserRow;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use crate::AppState;
use crate::accounts::principal::{COOKIE, csrf_token, gate};
use crate::accounts::{self, login::Attempt};
use crate::http::error::{ApiError, ErrorBody, OrInternal};
use crate::http::extract::{Authed, JsonBody};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Credentials.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct LoginBody {
    /// the account's e-mail address
    email: String,
    /// its password
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    /// the authenticator's current code, when MFA is enrolled
    #[schema(value_type = Option<String>)]
    totp: Option<Zeroizing<String>>,
    /// or one of the recovery codes
    #[schema(value_type = Option<String>)]
    recovery_code: Option<Zeroizing<String>>,
    /// API clients: also return the session token in the body.
    #[serde(default)]
    bearer: bool,
}

/// The signed-in account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Profile {
    /// account id
    id: String,
    /// e-mail address
    email: Option<String>,
    /// role
    #[schema(value_type = String)]
    role: Role,
    /// a privileged role ends at (unix s)
    role_expires_at: Option<i64>,
    /// must set a new password before anything else
    must_change_password: bool,
    /// TOTP enrolled
    mfa_enrolled: bool,
    /// the role requires MFA
    mfa_required: bool,
    /// the Data Protection Officer to write to about one's data
    data_protection_officer: String,
    /// the session (or API token) in use; only from `/auth/me`
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    /// policy versions published since the account last read them: show
    /// them, then `POST /auth/policies/seen`
    policy_notices: Vec<accounts::policies::Notice>,
}

impl Profile {
    fn new(state: &AppState, u: &UserRow) -> Self {
        Profile {
            id: u.id.clone(),
            email: accounts::email_for(state, u),
            role: u.role,
            role_expires_at: u.role_expires_at,
            must_change_password: u.must_change_password,
            mfa_enrolled: u.totp_secret.is_some(),
            mfa_required: u.role.requires_mfa(),
            data_protection_officer: state.config().contacts.dpo_for(&state.config().public_host),
            session_id: None,
            policy_notices: Vec::new(),
        }
    }

    async fn with_notices(mut self, state: &AppState) -> Self {
        // A failure to read them must not stop a sign-in.
        self.policy_notices = accounts::policies::unseen(state, &self.id)
            .await
            .unwrap_or_default();
        self
    }
}

/// A new session.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SignedIn {
    /// the account
    user: Profile,
    /// send it as `X-CSRF-Token` with cookie-authenticated changes
    csrf_token: String,
    /// the session token (only with `bearer: true`); also in the cookie
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

pub(super) fn session_cookie(token: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .or_internal()
}

#[utoipa::path(post, path = "/auth/login", tag = "auth",
    summary = "Sign in with e-mail, password and (when enrolled) a TOTP or recovery code; sets the session cookie and, with `bearer: true`, returns the token",
    request_body = LoginBody,
    responses(
        (status = 200, description = "signed in", body = SignedIn),
        (status = 401, description = "`invalid-credentials` or `mfa-required`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(crate) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    let attempt = Attempt {
        email: body.email,
        password: body.password,
        totp: body.totp,
        recovery_code: body.recovery_code,
        ip: peer.ip(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    };
    let done = accounts::login::login(&state, attempt).await?;
    let out = SignedIn {
        user: Profile::new(&state, &done.user).with_notices(&state).await,
        csrf_token: csrf_token(&done.token),
        token: body.bearer.then(|| done.token.to_string()),
    };
    let mut resp = Json(out).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&done.token, done.max_age_secs)?,
    );
    Ok(resp)
}

/// Signed out.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct SignedOut {
    /// always true
    signed_out: bool,
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", summary = "End the current session",
    responses((status = 200, description = "signed out", body = SignedOut)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
) -> Result<Response, ApiError> {
    accounts::sessions::logout(&state, &a).await?;
    let mut resp = Json(SignedOut { signed_out: true }).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0)?);
    Ok(resp)
}

#[utoipa::path(get, path = "/auth/me", tag = "auth", summary = "The signed-in account (sessions and API tokens)",
    responses((status = 200, description = "the account", body = Profile)))]
pub(crate) async fn me(State(state): State<AppState>, a: Authed<gate::Identity>) -> Json<Profile> {
    let mut p = Profile::new(&state, &a.user).with_notices(&state).await;
    p.session_id = Some(a.session_id.clone());
    Json(p)
}
