//! The HTTP boundary's one error type: a registered code (with its status)
//! and a human message — never an internal cause, which is logged instead.
//! Every domain error becomes an [`ApiError`] here, in one place.

use axum::Json;
use axum::response::{IntoResponse, Response};

use super::codes::ErrorCode;
use crate::{accounts, library};

/// The JSON shape of every error (for the OpenAPI document).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// the error
    pub error: ErrorDetail,
}

/// A stable code and a human message.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// stable machine-readable code (see the `ErrorCode` schema)
    #[schema(schema_with = error_code_schema)]
    pub code: &'static str,
    /// human message
    pub message: String,
    /// the request's id in the server's log and audit trail (firewall refusals)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// The registry as an OpenAPI string enum.
fn error_code_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let description = ErrorCode::ALL
        .iter()
        .map(|c| {
            format!(
                "- `{}` ({}): {}",
                c.as_str(),
                c.status().as_u16(),
                c.description()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes))
        .description(Some(description))
        .build()
}

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    headers: Vec<(&'static str, String)>,
    request_id: Option<String>,
}

impl ApiError {
    /// A client-visible error with its registered status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            headers: Vec::new(),
            request_id: None,
        }
    }

    /// Adds a response header (`Tus-Version`, `Retry-After`, `Allow`).
    /// 429 `rate-limited` with `Retry-After` and the IETF `RateLimit` and
    /// `RateLimit-Policy` fields naming the limit.
    pub fn rate_limited(l: &crate::ratelimit::Limited) -> Self {
        let secs = l.retry_secs();
        Self::new(
            ErrorCode::RateLimited,
            format!(
                "too many requests ({} limit: {} per second, bursts of {}); try again in {secs} s",
                l.name, l.per_sec, l.burst
            ),
        )
        .with_header("retry-after", secs.to_string())
        .with_header(
            "ratelimit-policy",
            format!("\"{}\";q={};w=1", l.name, l.per_sec),
        )
        .with_header("ratelimit", format!("\"{}\";r=0;t={secs}", l.name))
    }

    /// Names the request (in the body and the `X-Request-Id` header).
    pub fn with_request_id(mut self, id: String) -> Self {
        self.headers.push(("x-request-id", id.clone()));
        self.request_id = Some(id);
        self
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// 503 while sealed.
    pub fn sealed() -> Self {
        Self::new(
            ErrorCode::Sealed,
            "the server is sealed: its keys are not in memory; an operator must unseal it with the key shares",
        )
    }

    /// 500 with a generic body; the cause goes to the log only.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// 404 for anything that does not exist (or is not yours).
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "no such resource")
    }

    /// 400 for a body or query that does not parse.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // (the code only: a message may quote what the client sent)
        tracing::debug!(
            status = self.code.status().as_u16(),
            code = self.code.as_str(),
            "error answer"
        );
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str(),
                message: self.message,
                request_id: self.request_id,
            },
        };
        let mut r = (self.code.status(), Json(body)).into_response();
        for (k, v) in self.headers {
            if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
                r.headers_mut().insert(k, v);
            }
        }
        r
    }
}

/// Context helper: any failure becomes a logged 500 with a generic body.
pub trait OrInternal<T> {
    /// Maps the error to [`ApiError::internal`], logging the cause.
    fn or_internal(self) -> Result<T, ApiError>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::internal(&e))
    }
}

impl From<library::Error> for ApiError {
    fn from(e: library::Error) -> Self {
        use library::Error as E;
        let code = match &e {
            E::Sealed => return ApiError::sealed(),
            E::NotFound => return ApiError::not_found(),
            E::EmptyFile => ErrorCode::EmptyFile,
            E::Unsupported => ErrorCode::UnsupportedMediaType,
            E::Interrupted => ErrorCode::UploadInterrupted,
            E::TooLarge { .. } => ErrorCode::FileTooLarge,
            E::OverQuota => ErrorCode::QuotaExceeded,
            E::TooMany { .. } => ErrorCode::TooMany,
            E::BadHash => ErrorCode::BadHash,
            E::CaptionTooLong => ErrorCode::CaptionTooLong,
            E::BadEdit(_) => ErrorCode::BadEdit,
            E::QueryTooLong => ErrorCode::QueryTooLong,
            E::MediaPending => ErrorCode::MediaPending,
            E::BadAlbumName => ErrorCode::BadName,
            E::NotInAlbum => ErrorCode::NotInAlbum,
            E::NotAVideo => ErrorCode::NotAVideo,
            E::NotYourAsset => ErrorCode::NotYourAsset,
            E::BadShare(_) => ErrorCode::BadShare,
            E::ViewOnly => ErrorCode::ViewOnly,
            E::BadLink(_) => ErrorCode::BadLink,
            E::NoDownload => ErrorCode::NoDownload,
            E::NoCleanCopy => ErrorCode::NoCleanCopy,
            E::OffsetMismatch => ErrorCode::OffsetMismatch,
            // the writer's hold lasts at most 30 s without renewal (a
            // node that died holding it lets go by then)
            E::Busy => {
                return ApiError::new(ErrorCode::Busy, e.to_string())
                    .with_header("retry-after", "5");
            }
            E::LengthExceeded => ErrorCode::UploadLengthExceeded,
            E::ExportInProgress => ErrorCode::ExportInProgress,
            E::NotReady => ErrorCode::ExportNotReady,
            E::Catalog(_) | E::Store(_) | E::Vault(_) | E::Task(_) | E::Corrupt(_) => {
                return ApiError::internal(&e);
            }
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<accounts::Error> for ApiError {
    fn from(e: accounts::Error) -> Self {
        use accounts::Error as E;
        let code = match &e {
            E::Sealed => return ApiError::sealed(),
            E::NotFound => return ApiError::not_found(),
            E::Unauthenticated(_) => ErrorCode::Unauthenticated,
            E::Csrf => ErrorCode::Csrf,
            E::TokenScope => ErrorCode::TokenScope,
            E::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            E::MfaEnrolmentRequired => ErrorCode::MfaEnrolmentRequired,
            E::Forbidden => ErrorCode::Forbidden,
            E::InvalidCredentials => ErrorCode::InvalidCredentials,
            E::MfaRequired => ErrorCode::MfaRequired,
            E::ReauthenticationFailed => ErrorCode::ReauthenticationFailed,
            E::Throttled(secs) => {
                return ApiError::new(ErrorCode::TooManyAttempts, e.to_string())
                    .with_header("retry-after", secs.to_string());
            }
            E::RateLimited(l) => return ApiError::rate_limited(l),
            E::InvalidCode => ErrorCode::InvalidCode,
            E::InvalidName => ErrorCode::InvalidName,
            E::InvalidScope => ErrorCode::InvalidScope,
            E::InvalidExpiry(_) => ErrorCode::InvalidExpiry,
            E::InvalidEmail => ErrorCode::InvalidEmail,
            E::WeakPassword(_) => ErrorCode::WeakPassword,
            E::InvalidRole => ErrorCode::InvalidRole,
            E::EmailTaken => ErrorCode::EmailTaken,
            E::InviteInvalid => ErrorCode::InviteInvalid,
            E::InviteEmailMismatch => ErrorCode::InviteEmailMismatch,
            E::SignupClosed => ErrorCode::SignupClosed,
            E::SelfChange => ErrorCode::SelfChange,
            E::NotAGrant => ErrorCode::InvalidRole,
            E::InvalidPolicy(_) => ErrorCode::InvalidPolicy,
            E::RecoveryUnavailable => ErrorCode::RecoveryUnavailable,
            E::RecoveryInvalid => ErrorCode::RecoveryInvalid,
            E::RecoveryNotYet(_) => ErrorCode::RecoveryNotYet,
            E::ReviewAlreadyOpen => ErrorCode::ReviewAlreadyOpen,
            E::ReviewClosed => ErrorCode::ReviewClosed,
            E::ReviewLineStale => ErrorCode::ReviewLineStale,
            E::ReviewNotFinished => ErrorCode::ReviewNotFinished,
            E::FourEyesRequired => ErrorCode::FourEyesRequired,
            E::OwnRequest => ErrorCode::OwnRoleRequest,
            E::GranteeWithoutMfa => ErrorCode::GranteeWithoutMfa,
            E::GranteeUnavailable => ErrorCode::GranteeUnavailable,
            E::RequestPending => ErrorCode::RoleRequestPending,
            E::RequestClosed => ErrorCode::RoleRequestClosed,
            E::InvalidReason => ErrorCode::InvalidReason,
            E::InvalidDuration(_) => ErrorCode::InvalidDuration,
            E::InvalidShares => ErrorCode::BreakGlassSharesInvalid,
            E::BadQuota => ErrorCode::BadQuota,
            E::InvalidEnrolment => ErrorCode::InvalidEnrolment,
            E::AuditUnavailable => ErrorCode::AuditUnavailable,
            E::ConfirmationMismatch => ErrorCode::ConfirmationMismatch,
            E::DeletionPending => ErrorCode::DeletionPending,
            E::Catalog(_)
            | E::Vault(_)
            | E::Hash(_)
            | E::Token(_)
            | E::Mfa(_)
            | E::Task(_)
            | E::Corrupt(_) => return ApiError::internal(&e),
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<crate::backup::Error> for ApiError {
    fn from(e: crate::backup::Error) -> Self {
        use crate::backup::Error as E;
        match &e {
            E::Sealed => ApiError::sealed(),
            E::NoSnapshot => ApiError::new(ErrorCode::NoSnapshot, e.to_string()),
            E::Store(pixelunion_store::StoreError::Backend {
                store: "backup", ..
            }) => {
                tracing::warn!(error = %e, "backup store unavailable");
                ApiError::new(
                    ErrorCode::BackupUnavailable,
                    "the backup store does not answer; uploads and downloads go on and backups resume when it is back",
                )
            }
            _ => ApiError::internal(&e),
        }
    }
}

impl From<crate::incidents::Error> for ApiError {
    fn from(e: crate::incidents::Error) -> Self {
        use crate::incidents::Error as E;
        match &e {
            E::Sealed => ApiError::sealed(),
            E::NotFound => ApiError::not_found(),
            E::Invalid(_) => ApiError::new(ErrorCode::InvalidIncident, e.to_string()),
            E::NoRecipients => ApiError::new(ErrorCode::NoRecipients, e.to_string()),
            E::AuditUnavailable => ApiError::new(ErrorCode::AuditUnavailable, e.to_string()),
            E::Keys(crate::keystate::KeyStateError::Sealed) => ApiError::sealed(),
            E::Catalog(_) | E::Vault(_) | E::Keys(_) => ApiError::internal(&e),
        }
    }
}

impl From<crate::audit::Error> for ApiError {
    fn from(e: crate::audit::Error) -> Self {
        match e {
            crate::audit::Error::Sealed => ApiError::sealed(),
            e => ApiError::internal(&e),
        }
    }
}

impl From<crate::keystate::KeyError> for ApiError {
    fn from(e: crate::keystate::KeyError) -> Self {
        match e {
            crate::keystate::KeyError::Sealed => ApiError::sealed(),
            e => ApiError::internal(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_error_keeps_its_cause_out_of_the_answer() {
        let e: ApiError = library::Error::Store(pixelunion_store::StoreError::BadName).into();
        assert_eq!(e.code(), ErrorCode::Internal);
        assert_eq!(e.message, "internal error");
        let e: ApiError = library::Error::TooLarge { max_mib: 7 }.into();
        assert_eq!(e.code(), ErrorCode::FileTooLarge);
        assert!(e.message.contains("7 MiB"), "{}", e.message);
        let e: ApiError = accounts::Error::Throttled(9).into();
        assert_eq!(e.code().status().as_u16(), 429);
        assert!(
            e.headers
                .iter()
                .any(|(k, v)| *k == "retry-after" && v == "9")
        );
    }
}
