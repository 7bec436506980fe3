//! What account operations can fail with, in the domain's terms;
//! `http::error` maps each to a status and a code.

use pixelunion_catalog::CatalogError;
use pixelunion_vault::VaultError;

use crate::keystate::KeyError;

/// An account operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No key in memory: the server is sealed.
    #[error("the server is sealed")]
    Sealed,
    /// No such session, token, invitation or account of the caller's.
    #[error("no such resource")]
    NotFound,
    /// Not signed in, or the session or token ended.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// A cookie-authenticated change without the CSRF token or from another origin.
    #[error("cross-site request refused: missing or wrong CSRF token or origin")]
    Csrf,
    /// An API token used beyond its scope.
    #[error("this API token's scope does not allow this; sign in instead")]
    TokenScope,
    /// The account must set a new password first.
    #[error("set a new password first")]
    PasswordChangeRequired,
    /// The role requires MFA and none is enrolled.
    #[error("this role requires two-factor authentication: enrol an authenticator app first")]
    MfaEnrolmentRequired,
    /// The role does not have the permission.
    #[error("your role does not allow this")]
    Forbidden,
    /// Wrong e-mail, password or second factor.
    #[error("e-mail, password or code is not right")]
    InvalidCredentials,
    /// A second factor is needed.
    #[error("enter the code from your authenticator app (or a recovery code)")]
    MfaRequired,
    /// The current password given to confirm a change is wrong.
    #[error("your current password is not right")]
    ReauthenticationFailed,
    /// Too many failures; retry after this many seconds.
    #[error("too many failed attempts; try again in {0} s")]
    Throttled(u64),
    /// Over a request rate limit.
    #[error("too many requests; try again in {} s", .0.retry_secs())]
    RateLimited(crate::ratelimit::Limited),
    /// A wrong authenticator code at enrolment.
    #[error("that code is not right; check the time on your device and try the next one")]
    InvalidCode,
    /// A token name that is empty or too long.
    #[error("give the token a name of 1 to 100 characters")]
    InvalidName,
    /// An unknown token scope.
    #[error("scope must be \"upload\", \"read\" or \"full\"")]
    InvalidScope,
    /// An expiry outside the allowed range.
    #[error("{0}")]
    InvalidExpiry(&'static str),
    /// Not an e-mail address.
    #[error("that is not an e-mail address")]
    InvalidEmail,
    /// The password does not meet the policy.
    #[error("{0}")]
    WeakPassword(String),
    /// An unknown role name.
    #[error("unknown role")]
    InvalidRole,
    /// The e-mail address has an account.
    #[error("an account with this e-mail address exists")]
    EmailTaken,
    /// The invitation is unknown, used or expired.
    #[error("this invitation is unknown, used or expired; ask for a new one")]
    InviteInvalid,
    /// The invitation is bound to another address.
    #[error("this invitation is for another e-mail address")]
    InviteEmailMismatch,
    /// Open sign-up is off.
    #[error("accounts are by invitation only on this server")]
    SignupClosed,
    /// An administrator changing their own role or disabling themselves.
    #[error("administrators cannot change their own role or disable themselves")]
    SelfChange,
    /// A grant of the `user` role (which is set, not granted).
    #[error(
        "only support, operator, security and admin are granted; to take a role away, set the account's role to user"
    )]
    NotAGrant,
    /// A privileged role asked for through a route that grants alone.
    #[error(
        "privileged roles are granted by a request that a second administrator approves: POST /api/v1/admin/role-requests"
    )]
    FourEyesRequired,
    /// The requester or the grantee deciding a role request.
    #[error(
        "a role request is decided by a second administrator, never by the one who asked or the one who would hold the role"
    )]
    OwnRequest,
    /// The grantee has no second factor enrolled.
    #[error(
        "the account must enrol two-factor authentication before it can hold a privileged role"
    )]
    GranteeWithoutMfa,
    /// The grantee is disabled or being deleted.
    #[error("this account is disabled or being deleted and cannot be given a role")]
    GranteeUnavailable,
    /// The account already has a role request waiting.
    #[error("this account already has a role request waiting for a decision")]
    RequestPending,
    /// The request was decided, withdrawn or lapsed already.
    #[error(
        "this role request is no longer pending (decided, withdrawn or expired after 72 hours)"
    )]
    RequestClosed,
    /// A reason missing or too long.
    #[error("give a reason of 1 to 500 characters")]
    InvalidReason,
    /// A duration outside what may be granted.
    #[error("{0}")]
    InvalidDuration(&'static str),
    /// The key shares given do not unseal this server's vault.
    #[error("these key shares do not open this server's vault")]
    InvalidShares,
    /// E-mail recovery is off (or no SMTP server is configured).
    #[error("this server offers no e-mail recovery: sign in with one of your recovery codes")]
    RecoveryUnavailable,
    /// A recovery link that is unknown, used, cancelled or expired.
    #[error("this recovery link is unknown, used, cancelled or expired; ask for a new one")]
    RecoveryInvalid,
    /// A recovery link used before its delay is over.
    #[error("for your safety this link works only from {0} (UTC); until then you can cancel it")]
    RecoveryNotYet(String),
    /// A policy publication or acknowledgement that is not right.
    #[error("{0}")]
    InvalidPolicy(&'static str),
    /// An access review is open already.
    #[error("an access review is open already: finish it first")]
    ReviewAlreadyOpen,
    /// The review is finished, or the line decided already.
    #[error("this access review is finished, or this line was decided already")]
    ReviewClosed,
    /// The account no longer holds the role under review.
    #[error("this account no longer holds the role under review; nothing to confirm or revoke")]
    ReviewLineStale,
    /// An export of a review still open.
    #[error("only a finished access review is exported: decide every line first")]
    ReviewNotFinished,
    /// A quota that is not a whole number of MiB.
    #[error("quota_mib is a whole number of MiB, or null for the default")]
    BadQuota,
    /// A TOTP enrolment ticket that is not one we made for this account.
    #[error("the enrolment ticket is malformed or not valid for this account")]
    InvalidEnrolment,
    /// The typed confirmation of an account deletion is not the expected text.
    #[error(
        "type \"delete my account\" (or, for an administrator, \"delete this account\") to confirm"
    )]
    ConfirmationMismatch,
    /// The account's deletion was asked for already.
    #[error("this account's deletion is already pending")]
    DeletionPending,
    /// A privileged action could not be written to the audit trail first,
    /// so it was not done.
    #[error("the audit trail cannot record this action, so it was not done; try again later")]
    AuditUnavailable,
    /// The metadata database failed.
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    /// A key or ciphertext failed.
    #[error("vault: {0}")]
    Vault(#[from] VaultError),
    /// Password hashing failed.
    #[error("password hashing: {0}")]
    Hash(#[from] pixelunion_auth::password::HashError),
    /// A token could not be minted.
    #[error("token: {0}")]
    Token(#[from] pixelunion_auth::token::TokenError),
    /// A TOTP secret, URI or QR code could not be made.
    #[error("mfa: {0}")]
    Mfa(#[from] pixelunion_auth::mfa::MfaError),
    /// A task of ours failed (panicked or was cancelled).
    #[error("task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// Stored data breaks an invariant.
    #[error("corrupt: {0}")]
    Corrupt(&'static str),
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Sealed => Error::Sealed,
            KeyError::Vault(v) => Error::Vault(v),
        }
    }
}

impl From<tokio::sync::AcquireError> for Error {
    fn from(_: tokio::sync::AcquireError) -> Self {
        Error::Corrupt("the hashing semaphore is closed")
    }
}

/// Result of account operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
