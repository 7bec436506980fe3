//! The HTTP boundary's one error type: a stable code, the right status, a
//! human message — never an internal cause, which is logged instead.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The JSON shape of every error (for the OpenAPI document).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// the error
    pub error: ErrorDetail,
}

/// A stable code and a human message.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// stable machine-readable code, e.g. "sealed", "invalid-credentials"
    pub code: String,
    /// human message
    pub message: String,
}

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    headers: Vec<(&'static str, &'static str)>,
}

impl ApiError {
    /// A client-visible error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a response header (protocol errors that must name a version).
    pub fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// 503 while sealed.
    pub fn sealed() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "sealed",
            "the server is sealed: its keys are not in memory; an operator must unseal it with the key shares",
        )
    }

    /// 500 with a generic body; the cause goes to the log only.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// 404 for anything that does not exist (or is not yours).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "no such resource")
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(json!({"error": {"code": self.code, "message": self.message}})),
        )
            .into_response();
        for (k, v) in self.headers {
            r.headers_mut()
                .insert(k, axum::http::HeaderValue::from_static(v));
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
