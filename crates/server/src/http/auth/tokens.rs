//! API tokens: create (shown once), list, revoke.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::sessions::Revoked;
use crate::AppState;
use crate::accounts::principal::gate;
use crate::accounts::tokens::{self, TokenView};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{Authed, JsonBody};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// Token scopes.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Scope {
    /// upload routes only (phone backup apps)
    Upload,
    /// read-only library access
    Read,
    /// the whole library API (never account or admin routes)
    Full,
}

/// A new token.
#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateToken {
    /// 1–100 characters
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// what it may do
    #[schema(value_type = Scope)]
    scope: String,
    /// lifetime in days, 1–365 (default 90)
    #[schema(minimum = 1, maximum = 365)]
    #[serde(default, deserialize_with = "crate::http::extract::whole_u32")]
    expires_in_days: Option<u32>,
}

/// A new token with its secret (shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedToken {
    /// the token
    #[serde(flatten)]
    view: TokenView,
    /// the secret: send it as `Authorization: Bearer …`
    token: String,
}

#[utoipa::path(post, path = "/auth/tokens", tag = "auth", summary = "Create an API token (shown once)",
    request_body = CreateToken,
    responses(
        (status = 201, description = "created", body = CreatedToken),
        (status = 422, description = "`invalid-name`, `invalid-scope` or `invalid-expiry`", body = ErrorBody),
    ))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    JsonBody(body): JsonBody<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let t = tokens::create(
        &state,
        &a.user,
        &body.name,
        &body.scope,
        body.expires_in_days,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            view: t.view,
            token: t.secret.to_string(),
        }),
    ))
}

/// Tokens.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct TokenList {
    /// the caller's tokens (never the secrets)
    items: Vec<TokenView>,
}

#[utoipa::path(get, path = "/auth/tokens", tag = "auth", summary = "List own API tokens (never the secrets)",
    responses((status = 200, description = "the tokens", body = TokenList)))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
) -> Result<Json<TokenList>, ApiError> {
    Ok(Json(TokenList {
        items: tokens::list(&state, &a.user).await?,
    }))
}

#[utoipa::path(delete, path = "/auth/tokens/{id}", tag = "auth", summary = "Revoke one of own API tokens",
    params(("id" = String, Path, description = "token id")),
    responses((status = 200, description = "revoked", body = Revoked)))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    a: Authed<gate::OwnAccount>,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    tokens::revoke(&state, &a.user, &id).await?;
    Ok(Revoked::one())
}
