//! Changing the password.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use crate::AppState;
use crate::accounts::credentials;
use crate::accounts::principal::gate;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(change_password))
}

/// The current and the new password.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct PasswordBody {
    /// the current password (re-authentication)
    #[schema(value_type = String)]
    current_password: Zeroizing<String>,
    /// the new one (at least 12 characters, not the e-mail, not a common password)
    #[schema(value_type = String)]
    new_password: Zeroizing<String>,
}

/// The password changed.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct PasswordChanged {
    /// always true
    changed: bool,
    /// other sessions ended
    other_sessions_ended: u64,
}

#[utoipa::path(post, path = "/auth/password", tag = "auth", summary = "Change the password (re-authenticates; ends other sessions)",
    request_body = PasswordBody,
    responses(
        (status = 200, description = "changed", body = PasswordChanged),
        (status = 401, description = "`reauthentication-failed`", body = ErrorBody),
        (status = 422, description = "`weak-password`", body = ErrorBody),
        (status = 429, description = "`too-many-attempts`", body = ErrorBody),
    ))]
pub(crate) async fn change_password(
    State(state): State<AppState>,
    a: Authed<gate::AccountSetup>,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<Json<PasswordChanged>, ApiError> {
    let ended =
        credentials::change_password(&state, &a, &body.current_password, body.new_password).await?;
    Ok(Json(PasswordChanged {
        changed: true,
        other_sessions_ended: ended,
    }))
}
