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
use crate::error::ApiError;

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
}

macro_rules! gates {
    ($($(#[$doc:meta])* $name:ident => $perm:ident $(, $setup:literal)?;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Gate for $name {
            const PERMISSION: Permission = Permission::$perm;
            $(const DURING_SETUP: bool = $setup;)?
        }
    )*};
}

/// Route gates.
pub mod gate {
    use super::*;
    gates! {
        /// Own account, including while setting up (password change, MFA enrolment, me, logout).
        AccountSetup => OwnAccount, true;
        /// Own account (sessions, tokens).
        OwnAccount => OwnAccount;
        /// Own library.
        OwnLibrary => OwnLibrary;
        /// Account state and usage (support, admin).
        ViewAccounts => ViewAccounts;
        /// Invite/disable users (admin).
        ManageUsers => ManageUsers;
        /// Change roles (admin).
        ManageRoles => ManageRoles;
        /// Infrastructure (operator).
        OperateSystem => OperateSystem;
        /// Audit trail (security).
        ReadAudit => ReadAudit;
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
    if !pixelunion_auth::token::looks_like(pixelunion_auth::token::TokenKind::Session, &token) {
        return Err(unauthenticated("sign in first"));
    }
    let hash = pixelunion_auth::token::hash(&token);
    let catalog = state.catalog();
    let session = catalog
        .session_by_token_hash(&hash)
        .await
        .map_err(|e| ApiError::internal(&e))?
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
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(|| unauthenticated("session ended; sign in again"))?;
    if user.disabled {
        return Err(unauthenticated("this account is disabled"));
    }
    let role =
        Role::parse(&user.role).ok_or_else(|| ApiError::internal(&"unknown role in database"))?;
    // The role's current timeouts apply even to sessions made before a role change.
    let t = roles::default_timeouts(role);
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
    })
}

/// Applies gate `G` to an authenticated principal.
pub fn admit<G: Gate>(p: &Principal) -> Result<(), ApiError> {
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
        if let Err(e) = admit::<G>(&principal) {
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
