//! The registry of error codes: every `{"error": {"code"}}` the API answers
//! is one of these, with its one HTTP status. Clients may match on the code;
//! the list is published in the OpenAPI document (`ErrorCode` schema) and
//! the code strings never change meaning.

use axum::http::StatusCode;

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $code:literal, $status:ident;)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ $variant,)*
        }

        impl ErrorCode {
            /// Every code, in registry order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as sent (`"asset-not-found"` style).
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status every answer with this code has.
            pub const fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            /// What the code means (for the OpenAPI document).
            pub fn description(self) -> String {
                match self { $(ErrorCode::$variant => [$($doc),+].join(" ").trim().to_string(),)* }
            }
        }
    };
}

error_codes! {
    // --- any route
    /// An unexpected failure on the server's side; the cause is logged, never sent.
    Internal = "internal", INTERNAL_SERVER_ERROR;
    /// The server is sealed: its keys are not in memory until an operator unseals it.
    Sealed = "sealed", SERVICE_UNAVAILABLE;
    /// No such resource (or not yours: the two are never told apart).
    NotFound = "not-found", NOT_FOUND;
    /// The request body or query is malformed (JSON that does not parse or has the wrong shape).
    BadRequest = "bad-request", BAD_REQUEST;
    /// The path exists but not with this method.
    MethodNotAllowed = "method-not-allowed", METHOD_NOT_ALLOWED;
    /// The URL is longer than the server accepts.
    UriTooLong = "uri-too-long", URI_TOO_LONG;
    /// The request's headers are larger than the server accepts.
    HeadersTooLarge = "headers-too-large", REQUEST_HEADER_FIELDS_TOO_LARGE;
    /// The request body is larger than this route accepts.
    BodyTooLarge = "body-too-large", PAYLOAD_TOO_LARGE;
    /// The request was not sent in time.
    RequestTimeout = "request-timeout", REQUEST_TIMEOUT;
    /// Send the body's length (`Content-Length`).
    LengthRequired = "length-required", LENGTH_REQUIRED;
    /// The requested byte range is outside the file.
    RangeNotSatisfiable = "range-not-satisfiable", RANGE_NOT_SATISFIABLE;
    /// Too many failed attempts from this client or for this account; retry later.
    TooManyAttempts = "too-many-attempts", TOO_MANY_REQUESTS;
    /// The web application firewall refused the request as an attack pattern; the answer carries a `request_id` to quote to an operator.
    RequestBlocked = "request-blocked", FORBIDDEN;
    /// Too many requests from this client or account in a short time; wait `Retry-After` seconds.
    RateLimited = "rate-limited", TOO_MANY_REQUESTS;
    // --- authentication and access
    /// The typed confirmation of an account deletion is missing or wrong.
    ConfirmationMismatch = "confirmation-mismatch", UNPROCESSABLE_ENTITY;
    /// The account's deletion was asked for already (an administrator can cancel it).
    DeletionPending = "deletion-pending", CONFLICT;
    /// An export of the library is being prepared already.
    ExportInProgress = "export-in-progress", CONFLICT;
    /// The export is still being prepared (or failed): see its `state`.
    ExportNotReady = "export-not-ready", CONFLICT;
    /// An incident field does not fit (the message says which).
    InvalidIncident = "invalid-incident", UNPROCESSABLE_ENTITY;
    /// A notification with no one to send it to (record affected accounts or configure authority/partner addresses).
    NoRecipients = "no-recipients", UNPROCESSABLE_ENTITY;
    /// A privileged action could not be written to the audit trail first, so it was not done (it fails closed); retry later.
    AuditUnavailable = "audit-unavailable", SERVICE_UNAVAILABLE;
    /// Not signed in, or the session or token ended.
    Unauthenticated = "unauthenticated", UNAUTHORIZED;
    /// A cookie-authenticated change without the session's CSRF token, or from another origin.
    Csrf = "csrf", FORBIDDEN;
    /// The API token's scope does not allow this route.
    TokenScope = "token-scope", FORBIDDEN;
    /// The account must set a new password first.
    PasswordChangeRequired = "password-change-required", FORBIDDEN;
    /// The account's role requires two-factor authentication: enrol first.
    MfaEnrolmentRequired = "mfa-enrolment-required", FORBIDDEN;
    /// The caller's role does not allow this.
    Forbidden = "forbidden", FORBIDDEN;
    /// E-mail, password or second-factor code is not right.
    InvalidCredentials = "invalid-credentials", UNAUTHORIZED;
    /// The account has two-factor authentication: send `totp` or `recovery_code`.
    MfaRequired = "mfa-required", UNAUTHORIZED;
    /// The current password given to confirm a change is not right.
    ReauthenticationFailed = "reauthentication-failed", UNAUTHORIZED;
    /// The authenticator code is not right.
    InvalidCode = "invalid-code", UNPROCESSABLE_ENTITY;
    /// The TOTP enrolment ticket is malformed or not this account's.
    InvalidEnrolment = "invalid-enrolment", UNPROCESSABLE_ENTITY;
    /// The name is empty or too long.
    InvalidName = "invalid-name", UNPROCESSABLE_ENTITY;
    /// Unknown API token scope.
    InvalidScope = "invalid-scope", UNPROCESSABLE_ENTITY;
    /// The expiry is outside the allowed range.
    InvalidExpiry = "invalid-expiry", UNPROCESSABLE_ENTITY;
    /// Not an e-mail address.
    InvalidEmail = "invalid-email", UNPROCESSABLE_ENTITY;
    /// The password does not meet the policy.
    WeakPassword = "weak-password", UNPROCESSABLE_ENTITY;
    /// Unknown role name.
    InvalidRole = "invalid-role", UNPROCESSABLE_ENTITY;
    /// An account with this e-mail address exists.
    EmailTaken = "email-taken", CONFLICT;
    /// The invitation is unknown, used or expired.
    InviteInvalid = "invite-invalid", GONE;
    /// The invitation is for another e-mail address.
    InviteEmailMismatch = "invite-email-mismatch", FORBIDDEN;
    /// Accounts are by invitation only on this server.
    SignupClosed = "signup-closed", FORBIDDEN;
    /// Administrators cannot change their own role or disable themselves.
    SelfChange = "self-change", CONFLICT;
    /// A privileged role can only be granted by a request a second administrator approves.
    FourEyesRequired = "four-eyes-required", CONFLICT;
    /// The requester or the grantee tried to decide a role request.
    OwnRoleRequest = "own-role-request", FORBIDDEN;
    /// The grantee has not enrolled two-factor authentication.
    GranteeWithoutMfa = "grantee-without-mfa", CONFLICT;
    /// The grantee is disabled or being deleted.
    GranteeUnavailable = "grantee-unavailable", CONFLICT;
    /// The account has a role request waiting already.
    RoleRequestPending = "role-request-pending", CONFLICT;
    /// The role request was decided, withdrawn or expired.
    RoleRequestClosed = "role-request-closed", CONFLICT;
    /// A reason is missing or longer than 500 characters.
    InvalidReason = "invalid-reason", UNPROCESSABLE_ENTITY;
    /// A grant duration outside the allowed range.
    InvalidDuration = "invalid-duration", UNPROCESSABLE_ENTITY;
    /// E-mail recovery is off on this server.
    RecoveryUnavailable = "recovery-unavailable", FORBIDDEN;
    /// The recovery link is unknown, used, cancelled or expired.
    RecoveryInvalid = "recovery-invalid", GONE;
    /// The recovery link's delay is not over yet.
    RecoveryNotYet = "recovery-not-yet", CONFLICT;
    /// A policy kind, text or version that is not right.
    InvalidPolicy = "invalid-policy", UNPROCESSABLE_ENTITY;
    /// An access review is open already.
    ReviewAlreadyOpen = "review-already-open", CONFLICT;
    /// The access review is finished, or the line was decided already.
    ReviewClosed = "review-closed", CONFLICT;
    /// The account no longer holds the role under review.
    ReviewLineStale = "review-line-stale", CONFLICT;
    /// Only a finished access review can be exported.
    ReviewNotFinished = "review-not-finished", CONFLICT;
    /// Break-glass key shares that do not open this server's vault.
    BreakGlassSharesInvalid = "break-glass-shares-invalid", FORBIDDEN;
    /// `quota_mib` is not a whole number of MiB (or null).
    BadQuota = "bad-quota", BAD_REQUEST;
    // --- key state
    /// These shares do not unlock this server; progress was reset.
    InvalidShares = "invalid-shares", BAD_REQUEST;
    /// The share text is malformed (typo, truncated, wrong checksum).
    MalformedShare = "malformed-share", BAD_REQUEST;
    /// This share was already given in this unseal attempt.
    DuplicateShare = "duplicate-share", BAD_REQUEST;
    /// The share belongs to another key set (another server or an older re-key).
    ShareSetMismatch = "share-set-mismatch", BAD_REQUEST;
    /// The server is not initialized.
    NotInitialized = "not-initialized", CONFLICT;
    // --- backups
    /// The backup store does not answer; uploads and downloads go on and replication catches up when it is back.
    BackupUnavailable = "backup-unavailable", SERVICE_UNAVAILABLE;
    /// The backup store holds no complete catalog snapshot.
    NoSnapshot = "no-snapshot", CONFLICT;
    // --- library
    /// The file is empty.
    EmptyFile = "empty-file", BAD_REQUEST;
    /// Not a photo or video format PixelUnion stores (decided from the content, never the name).
    UnsupportedMediaType = "unsupported-media-type", UNSUPPORTED_MEDIA_TYPE;
    /// The upload ended before the file was complete.
    UploadInterrupted = "upload-interrupted", BAD_REQUEST;
    /// The file is larger than `library.max_upload_mib`.
    FileTooLarge = "file-too-large", PAYLOAD_TOO_LARGE;
    /// The file does not fit in the account's storage quota.
    QuotaExceeded = "quota-exceeded", PAYLOAD_TOO_LARGE;
    /// The multipart body is malformed.
    BadMultipart = "bad-multipart", BAD_REQUEST;
    /// The multipart body has no field named `file`.
    MissingFile = "missing-file", BAD_REQUEST;
    /// More items than one request may name.
    TooMany = "too-many", BAD_REQUEST;
    /// A content hash that is not 64 hexadecimal characters.
    BadHash = "bad-hash", BAD_REQUEST;
    /// Captions may be at most 2000 characters.
    CaptionTooLong = "caption-too-long", BAD_REQUEST;
    /// A search text or camera over 200 characters.
    QueryTooLong = "query-too-long", BAD_REQUEST;
    /// A capture time outside 1800 to tomorrow, or a place off the globe.
    BadEdit = "bad-edit", UNPROCESSABLE_ENTITY;
    /// The capture time or place of a file still being processed.
    MediaPending = "media-pending", CONFLICT;
    /// An album name has 1 to 200 characters.
    BadName = "bad-name", UNPROCESSABLE_ENTITY;
    /// An album's cover must be one of its items.
    NotInAlbum = "not-in-album", CONFLICT;
    /// Assets named for an album or a link must all be the caller's own, outside the trash.
    NotYourAsset = "not-your-asset", UNPROCESSABLE_ENTITY;
    /// A share needs a valid e-mail address other than one's own, and a role.
    BadShare = "bad-share", UNPROCESSABLE_ENTITY;
    /// The album is shared with the caller for viewing only.
    ViewOnly = "view-only", FORBIDDEN;
    /// A link names an album or assets (not both), an expiry in the future, a password of 8 to 200 characters.
    BadLink = "bad-link", UNPROCESSABLE_ENTITY;
    /// The link does not allow downloads.
    NoDownload = "no-download", FORBIDDEN;
    /// The link asks for its password.
    PasswordNeeded = "password-needed", UNAUTHORIZED;
    /// The file cannot be served without its metadata through this link.
    NoCleanCopy = "no-clean-copy", CONFLICT;
    /// `limit` is outside 1–500.
    BadLimit = "bad-limit", BAD_REQUEST;
    /// The cursor is not one this server made.
    BadCursor = "bad-cursor", UNPROCESSABLE_ENTITY;
    /// `from`/`to` is not unix milliseconds, a date or an RFC 3339 time.
    BadTime = "bad-time", UNPROCESSABLE_ENTITY;
    /// `kind` is neither `photo` nor `video`.
    BadKind = "bad-kind", BAD_REQUEST;
    /// The asset is not a video.
    NotAVideo = "not-a-video", NOT_FOUND;
    // --- resumable uploads (tus 1.0.0)
    /// Send `Tus-Resumable: 1.0.0`, the only version supported.
    TusVersion = "tus-version", PRECONDITION_FAILED;
    /// `Upload-Defer-Length` is not supported: send `Upload-Length`.
    DeferLength = "defer-length", BAD_REQUEST;
    /// `Upload-Length` is missing or not a number.
    UploadLength = "upload-length", BAD_REQUEST;
    /// `Upload-Offset` is missing or not a number.
    UploadOffset = "upload-offset", BAD_REQUEST;
    /// Send `Content-Type: application/offset+octet-stream`.
    ContentType = "content-type", UNSUPPORTED_MEDIA_TYPE;
    /// Another request is writing this upload; ask HEAD for the offset and retry.
    Busy = "busy", LOCKED;
    /// `Upload-Offset` is not where this upload stands.
    OffsetMismatch = "offset-mismatch", CONFLICT;
    /// More bytes than `Upload-Length`; the bytes up to it were kept.
    UploadLengthExceeded = "upload-length-exceeded", PAYLOAD_TOO_LARGE;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_errors_with_a_description() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{} defined twice", c.as_str());
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                c.as_str()
            );
            assert!(
                c.status().is_client_error() || c.status().is_server_error(),
                "{}",
                c.as_str()
            );
            assert!(c.description().len() > 10, "{}", c.as_str());
        }
    }
}
