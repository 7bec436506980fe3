//! Who is calling, and may they: the one place where authentication,
//! session timeouts, CSRF, the MFA/password-change gates and the permission
//! matrix are enforced. Routes take `Authed<G>` where `G` names what they need.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use pixelunion_auth::{Permission, Role, roles};
use pixelunion_catalog::UserRow;

use super::now;
use crate::AppState;
use crate::error::{ApiError, OrInternal};

/// Session cookie name (`__Host-`: Secure, Path=/, no Domain).
pub const COOKIE: &str = "__Host-pixelunion";
/// Header carrying the CSRF token for cookie-authenticated state changes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// the user
    pub user: UserRow,
    /// parsed role
    pub role: Role,
    /// hash of the session token in use
    pub session_hash: Vec<u8>,
    /// public id of that session
    pub session_id: String,
    /// set when the caller used an API token instead of a session
    pub api_scope: Option<TokenScope>,
}

/// Scope of an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// upload routes only (phone backup apps)
    Upload,
    /// read-only library access
    Read,
    /// the whole library API (never account or admin routes)
    Full,
}

impl TokenScope {
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "upload" => Some(TokenScope::Upload),
            "read" => Some(TokenScope::Read),
            "full" => Some(TokenScope::Full),
            _ => None,
        }
    }
}

/// Whether, and how, a route may be called with an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    /// sessions only (account management, administration)
    Never,
    /// who-am-I: any token scope
    Identity,
    /// library routes: `full`, or `read` for GET/HEAD
    Library,
    /// upload routes: `upload` or `full`
    Upload,
}

fn scope_allows(scope: TokenScope, use_: TokenUse, method: &Method) -> bool {
    match use_ {
        TokenUse::Never => false,
        TokenUse::Identity => true,
        TokenUse::Upload => matches!(scope, TokenScope::Upload | TokenScope::Full),
        TokenUse::Library => {
            scope == TokenScope::Full
                || (scope == TokenScope::Read && matches!(*method, Method::GET | Method::HEAD))
        }
    }
}

impl Principal {
    /// True once TOTP is enrolled.
    pub fn mfa_enrolled(&self) -> bool {
        self.user.totp_secret.is_some()
    }
}

/// What a route requires of its caller.
pub trait Gate: Send + Sync + 'static {
    /// The permission checked against the matrix.
    const PERMISSION: Permission;
    /// Whether accounts that must still change their password or enrol MFA
    /// may use the route (only the routes that let them do so).
    const DURING_SETUP: bool = false;
    /// Whether API tokens may call the route.
    const TOKENS: TokenUse = TokenUse::Never;
}

macro_rules! gates {
    ($($(#[$doc:meta])* $name:ident => $perm:ident, setup: $setup:literal, tokens: $tokens:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Gate for $name {
            const PERMISSION: Permission = Permission::$perm;
            const DURING_SETUP: bool = $setup;
            const TOKENS: TokenUse = TokenUse::$tokens;
        }
    )*};
}

/// Route gates.
pub mod gate {
    use super::*;
    gates! {
        /// Who am I: any session, any API token, also while setting up.
        Identity => OwnAccount, setup: true, tokens: Identity;
        /// Own account while setting up (password change, MFA enrolment, logout).
        AccountSetup => OwnAccount, setup: true, tokens: Never;
        /// Own account (sessions, tokens).
        OwnAccount => OwnAccount, setup: false, tokens: Never;
        /// Own library (API tokens by scope).
        OwnLibrary => OwnLibrary, setup: false, tokens: Library;
        /// Uploading into one's own library (API tokens with `upload` or `full`).
        Upload => OwnLibrary, setup: false, tokens: Upload;
        /// Account state and usage (support, admin).
        ViewAccounts => ViewAccounts, setup: false, tokens: Never;
        /// Invite/disable users (admin).
        ManageUsers => ManageUsers, setup: false, tokens: Never;
        /// Change roles (admin).
        ManageRoles => ManageRoles, setup: false, tokens: Never;
        /// Infrastructure (operator).
        OperateSystem => OperateSystem, setup: false, tokens: Never;
        /// Audit trail (security).
        ReadAudit => ReadAudit, setup: false, tokens: Never;
    }
}

/// An authenticated caller that passed gate `G`.
#[derive(Debug)]
pub struct Authed<G: Gate> {
    /// the caller
    pub principal: Principal,
    _gate: PhantomData<G>,
}

impl<G: Gate> std::ops::Deref for Authed<G> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

fn unauthenticated(msg: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", msg)
}

/// The CSRF token that goes with a session token (derived, not stored).
pub fn csrf_token(session_token: &str) -> String {
    let mut input = b"pixelunion/csrf/v1:".to_vec();
    input.extend_from_slice(session_token.as_bytes());
    pixelunion_vault::sha256(&input)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The CSRF token of the session cookie a page request carries (pages put
/// it in a `<meta>` tag for their scripts).
pub fn page_csrf(parts: &Parts) -> Option<String> {
    cookie_token(parts).map(|t| csrf_token(&t))
}

fn cookie_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(COOKIE)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_string)
        })
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

fn check_csrf(parts: &Parts, token: &str) -> Result<(), ApiError> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let denied = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "cross-site request refused: missing or wrong CSRF token or origin",
        )
    };
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        let host = host.or_else(|| parts.uri.authority().map(|a| a.as_str()));
        let ok = origin
            .to_str()
            .ok()
            .and_then(|o| o.strip_prefix("https://"))
            .is_some_and(|o| Some(o) == host);
        if !ok {
            return Err(denied());
        }
    }
    let given = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !pixelunion_vault::ct_eq(given.as_bytes(), csrf_token(token).as_bytes()) {
        return Err(denied());
    }
    Ok(())
}

/// Authenticates the request (no gate): session lookup, timeouts, CSRF.
pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if state.keys().is_sealed() {
        return Err(ApiError::sealed());
    }
    let (token, via_cookie) = match (bearer_token(parts), cookie_token(parts)) {
        (Some(t), _) => (t, false),
        (None, Some(t)) => (t, true),
        (None, None) => return Err(unauthenticated("sign in first")),
    };
    if !via_cookie
        && pixelunion_auth::token::looks_like(pixelunion_auth::token::TokenKind::Api, &token)
    {
        return authenticate_api_token(state, &token).await;
    }
    if !pixelunion_auth::token::looks_like(pixelunion_auth::token::TokenKind::Session, &token) {
        return Err(unauthenticated("sign in first"));
    }
    let hash = pixelunion_auth::token::hash(&token);
    let catalog = state.catalog();
    let session = catalog
        .session_by_token_hash(&hash)
        .await
        .or_internal()?
        .ok_or_else(|| unauthenticated("session ended; sign in again"))?;
    let now = now();
    if now >= session.expires_at || now - session.last_seen_at > session.idle_secs {
        let _ = catalog.delete_session_by_hash(&hash).await;
        return Err(unauthenticated("session expired; sign in again"));
    }
    if via_cookie {
        check_csrf(parts, &token)?;
    }
    let user = catalog
        .user_by_id(&session.user_id)
        .await
        .or_internal()?
        .ok_or_else(|| unauthenticated("session ended; sign in again"))?;
    if user.disabled {
        return Err(unauthenticated("this account is disabled"));
    }
    let role =
        Role::parse(&user.role).ok_or_else(|| ApiError::internal(&"unknown role in database"))?;
    // The role's current timeouts apply even to sessions made before a role change.
    let t = state.config().accounts.timeouts(role);
    if now - session.created_at > t.absolute.as_secs() as i64
        || now - session.last_seen_at > t.idle.as_secs() as i64
    {
        let _ = catalog.delete_session_by_hash(&hash).await;
        return Err(unauthenticated("session expired; sign in again"));
    }
    if now - session.last_seen_at >= 30 {
        let _ = catalog.touch_session(&hash, now).await;
    }
    Ok(Principal {
        user,
        role,
        session_hash: hash.to_vec(),
        session_id: session.id,
        api_scope: None,
    })
}

async fn authenticate_api_token(state: &AppState, token: &str) -> Result<Principal, ApiError> {
    let hash = pixelunion_auth::token::hash(token);
    let catalog = state.catalog();
    let row = catalog
        .api_token_by_hash(&hash)
        .await
        .or_internal()?
        .ok_or_else(|| unauthenticated("unknown or revoked API token"))?;
    let now = now();
    if now >= row.expires_at {
        return Err(unauthenticated("this API token has expired"));
    }
    let user = catalog
        .user_by_id(&row.user_id)
        .await
        .or_internal()?
        .ok_or_else(|| unauthenticated("unknown or revoked API token"))?;
    if user.disabled {
        return Err(unauthenticated("this account is disabled"));
    }
    let role =
        Role::parse(&user.role).ok_or_else(|| ApiError::internal(&"unknown role in database"))?;
    let scope = TokenScope::parse(&row.scope)
        .ok_or_else(|| ApiError::internal(&"unknown token scope in database"))?;
    if row.last_used_at.is_none_or(|t| now - t >= 60) {
        let _ = catalog.touch_api_token(&hash, now).await;
    }
    Ok(Principal {
        user,
        role,
        session_hash: hash.to_vec(),
        session_id: row.id,
        api_scope: Some(scope),
    })
}

/// Applies gate `G` to an authenticated principal calling with `method`.
pub fn admit<G: Gate>(p: &Principal, method: &Method) -> Result<(), ApiError> {
    if let Some(scope) = p.api_scope
        && !scope_allows(scope, G::TOKENS, method)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "token-scope",
            "this API token's scope does not allow this; sign in instead",
        ));
    }
    if !G::DURING_SETUP {
        if p.user.must_change_password {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password-change-required",
                "set a new password first",
            ));
        }
        if p.role.requires_mfa() && !p.mfa_enrolled() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "mfa-enrolment-required",
                "this role requires two-factor authentication: enrol an authenticator app first",
            ));
        }
    }
    if !roles::allows(p.role, G::PERMISSION) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role does not allow this",
        ));
    }
    Ok(())
}

impl<G: Gate> FromRequestParts<AppState> for Authed<G> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = authenticate(parts, state).await?;
        if let Err(e) = admit::<G>(&principal, &parts.method) {
            super::audit(
                state,
                Some(&principal.user.id),
                "access",
                Some(parts.uri.path()),
                "denied",
            )
            .await;
            return Err(e);
        }
        Ok(Authed {
            principal,
            _gate: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scopes() {
        use TokenScope::*;
        use TokenUse as U;
        let (get, post) = (Method::GET, Method::POST);
        for s in [Upload, Read, Full] {
            assert!(
                !scope_allows(s, U::Never, &get),
                "no token manages accounts"
            );
            assert!(scope_allows(s, U::Identity, &get));
        }
        assert!(scope_allows(Upload, U::Upload, &post));
        assert!(
            !scope_allows(Upload, U::Library, &get),
            "upload-only cannot read the library"
        );
        assert!(scope_allows(Read, U::Library, &get));
        assert!(!scope_allows(Read, U::Library, &post));
        assert!(!scope_allows(Read, U::Upload, &post));
        assert!(scope_allows(Full, U::Library, &post) && scope_allows(Full, U::Upload, &post));
    }
}
