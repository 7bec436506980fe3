//! Account routes, one module per concern: signing in and out, sessions,
//! the password, MFA enrolment, API tokens, invitations and sign-up. Thin
//! adapters over `crate::accounts`.

mod access;
mod deletion;
mod login;
mod mfa;
mod password;
mod recovery;
mod sessions;
mod signup;
mod tokens;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub(super) use sessions::Revoked;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(login::router())
        .merge(deletion::router())
        .merge(access::router())
        .merge(sessions::router())
        .merge(password::router())
        .merge(mfa::router())
        .merge(tokens::router())
        .merge(signup::router())
        .merge(recovery::router())
}
