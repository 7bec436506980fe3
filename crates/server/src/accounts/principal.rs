//! Who is calling, and may they: the one place where authentication,
//! session timeouts, CSRF, the MFA/password-change gates and the permission
//! matrix are enforced. Routes take `Authed<G>` where `G` names what they need.

use pixelunion_auth::{Permission, Role, roles};
use pixelunion_catalog::{CatalogError, UserRow};

use super::recent::Found;
use super::{Error, Result};
use crate::AppState;
use crate::clock::now_secs as now;

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
    /// routes that read the whole library (exports): `read` or `full`,
    /// whatever the method
    Reading,
}

fn scope_allows(scope: TokenScope, use_: TokenUse, method: Verb) -> bool {
    match use_ {
        TokenUse::Never => false,
        TokenUse::Identity => true,
        TokenUse::Upload => matches!(scope, TokenScope::Upload | TokenScope::Full),
        TokenUse::Reading => matches!(scope, TokenScope::Read | TokenScope::Full),
        TokenUse::Library => {
            scope == TokenScope::Full || (scope == TokenScope::Read && method == Verb::Read)
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
        /// Exporting one's own library (API tokens with `read` or `full`).
        Export => OwnLibrary, setup: false, tokens: Reading;
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
        /// Incident register (security).
        ManageIncidents => ManageIncidents, setup: false, tokens: Never;
    }
}

/// What a request's method means for access rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET or HEAD: reads nothing but what the route shows
    Read,
    /// OPTIONS: discovery (no CSRF check, no read scope)
    Options,
    /// anything that may change state
    Write,
}

/// The credentials and context of one request, as the HTTP layer read them.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `Authorization: Bearer …`
    pub bearer: Option<String>,
    /// the session cookie's value
    pub cookie: Option<String>,
    /// the `X-CSRF-Token` header
    pub csrf: Option<String>,
    /// the `Origin` header
    pub origin: Option<String>,
    /// the `Host` header (or the URI's authority)
    pub host: Option<String>,
    /// what the method means
    pub verb: Verb,
    /// which of the account's rate limits the request counts against
    pub class: crate::ratelimit::Class,
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

fn check_csrf(c: &Credentials, token: &str) -> Result<()> {
    if c.verb != Verb::Write {
        return Ok(());
    }
    if let Some(origin) = &c.origin {
        let ok = origin
            .strip_prefix("https://")
            .is_some_and(|o| Some(o) == c.host.as_deref());
        if !ok {
            return Err(Error::Csrf);
        }
    }
    let given = c.csrf.as_deref().unwrap_or("");
    if !pixelunion_vault::ct_eq(given.as_bytes(), csrf_token(token).as_bytes()) {
        return Err(Error::Csrf);
    }
    Ok(())
}

/// Authenticates a request (no gate): session lookup, timeouts, CSRF.
pub async fn authenticate(state: &AppState, c: &Credentials) -> Result<Principal> {
    let p = identify(state, c).await?;
    state
        .limits()
        .check_account(&p.user.id, c.class)
        .map_err(Error::RateLimited)?;
    Ok(p)
}

/// Who `c` is (no rate limit applied).
async fn identify(state: &AppState, c: &Credentials) -> Result<Principal> {
    if state.keys().is_sealed() {
        return Err(Error::Sealed);
    }
    let (token, via_cookie) = match (&c.bearer, &c.cookie) {
        (Some(t), _) => (t.as_str(), false),
        (None, Some(t)) => (t.as_str(), true),
        (None, None) => return Err(Error::Unauthenticated("sign in first")),
    };
    if !via_cookie
        && pixelunion_auth::token::looks_like(pixelunion_auth::token::TokenKind::Api, token)
    {
        return authenticate_api_token(state, token).await;
    }
    if !pixelunion_auth::token::looks_like(pixelunion_auth::token::TokenKind::Session, token) {
        return Err(Error::Unauthenticated("sign in first"));
    }
    let hash = pixelunion_auth::token::hash(token);
    let catalog = state.catalog();
    let recent = state.accounts().recent();
    let found = recent
        .found_or(catalog, hash, |f| matches!(f, Found::Session(..)), async {
            let row = catalog.session_with_user(&hash).await?;
            Ok::<_, CatalogError>(row.map(|(s, u)| Found::Session(s, u)))
        })
        .await?;
    let Some(Found::Session(session, user)) = found else {
        return Err(Error::Unauthenticated("session ended; sign in again"));
    };
    let now = now();
    if now >= session.expires_at || now - session.last_seen_at > session.idle_secs {
        let _ = catalog.delete_session_by_hash(&hash).await;
        return Err(Error::Unauthenticated("session expired; sign in again"));
    }
    if via_cookie {
        check_csrf(c, token)?;
    }
    if user.disabled {
        return Err(Error::Unauthenticated("this account is disabled"));
    }
    if role_ended(&user, now) {
        // The sweep ends these sessions too; until it runs, none is honoured.
        let _ = catalog.delete_session_by_hash(&hash).await;
        return Err(Error::Unauthenticated(
            "your privileged role has ended; sign in again",
        ));
    }
    let role = user.role;
    // The role's current timeouts apply even to sessions made before a role change.
    let t = state.config().accounts.timeouts(role);
    if now - session.created_at > secs(t.absolute) || now - session.last_seen_at > secs(t.idle) {
        let _ = catalog.delete_session_by_hash(&hash).await;
        return Err(Error::Unauthenticated("session expired; sign in again"));
    }
    if now - session.last_seen_at >= 30 {
        let _ = catalog.touch_session(&hash, now).await;
        // (the kept row's last-seen time is now behind the stored one)
        recent.forget(&hash);
    }
    Ok(Principal {
        user,
        role,
        session_hash: hash.to_vec(),
        session_id: session.id,
        api_scope: None,
    })
}

/// Whether `user`'s privileged role has reached its end (the sweep puts
/// the account back to `user`; until then it is treated as ended).
pub fn role_ended(user: &UserRow, now: i64) -> bool {
    user.role != Role::User && user.role_expires_at.is_some_and(|end| now >= end)
}

fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

async fn authenticate_api_token(state: &AppState, token: &str) -> Result<Principal> {
    let hash = pixelunion_auth::token::hash(token);
    let catalog = state.catalog();
    let recent = state.accounts().recent();
    let found = recent
        .found_or(catalog, hash, |f| matches!(f, Found::Token(..)), async {
            let row = catalog.api_token_with_user(&hash).await?;
            Ok::<_, CatalogError>(row.map(|(t, u)| Found::Token(t, u)))
        })
        .await?;
    let Some(Found::Token(row, user)) = found else {
        return Err(Error::Unauthenticated("unknown or revoked API token"));
    };
    let now = now();
    if now >= row.expires_at {
        return Err(Error::Unauthenticated("this API token has expired"));
    }
    if user.disabled {
        return Err(Error::Unauthenticated("this account is disabled"));
    }
    let role = if role_ended(&user, now) {
        Role::User
    } else {
        user.role
    };
    let scope =
        TokenScope::parse(&row.scope).ok_or(Error::Corrupt("unknown token scope in database"))?;
    if row.last_used_at.is_none_or(|t| now - t >= 60) {
        let _ = catalog.touch_api_token(&hash, now).await;
        recent.forget(&hash);
    }
    Ok(Principal {
        user,
        role,
        session_hash: hash.to_vec(),
        session_id: row.id,
        api_scope: Some(scope),
    })
}

/// Applies gate `G` to an authenticated principal calling with `verb`.
pub fn admit<G: Gate>(p: &Principal, verb: Verb) -> Result<()> {
    if let Some(scope) = p.api_scope
        && !scope_allows(scope, G::TOKENS, verb)
    {
        return Err(Error::TokenScope);
    }
    if !G::DURING_SETUP {
        if p.user.must_change_password {
            return Err(Error::PasswordChangeRequired);
        }
        if p.role.requires_mfa() && !p.mfa_enrolled() {
            return Err(Error::MfaEnrolmentRequired);
        }
    }
    if !roles::allows(p.role, G::PERMISSION) {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Authenticates and applies gate `G`; a refusal is audited.
pub async fn admit_request<G: Gate>(
    state: &AppState,
    c: &Credentials,
    path: &str,
) -> Result<Principal> {
    let principal = authenticate(state, c).await?;
    if let Err(e) = admit::<G>(&principal, c.verb) {
        super::audit(
            state,
            Some(&principal.user.id),
            "access",
            Some(path),
            "denied",
        )
        .await;
        return Err(e);
    }
    Ok(principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_scopes() {
        use TokenScope::*;
        use TokenUse as U;
        let (get, post) = (Verb::Read, Verb::Write);
        for s in [Upload, Read, Full] {
            assert!(!scope_allows(s, U::Never, get), "no token manages accounts");
            assert!(scope_allows(s, U::Identity, get));
        }
        assert!(scope_allows(Upload, U::Upload, post));
        assert!(
            !scope_allows(Upload, U::Library, get),
            "upload-only cannot read the library"
        );
        assert!(scope_allows(Read, U::Library, get));
        assert!(!scope_allows(Read, U::Library, post));
        assert!(!scope_allows(Read, U::Upload, post));
        assert!(scope_allows(Full, U::Library, post) && scope_allows(Full, U::Upload, post));
    }
}
