//! Containment from an incident: end every session, revoke every API token,
//! rotate the keyring, seal the server. Each is written to the audit trail
//! first (refused if it cannot be) and to the incident's timeline.

use serde::{Deserialize, Serialize};

use super::{Error, Result, required, step};
use crate::AppState;
use crate::audit::{Event, record};

/// A containment action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// end every session of every account (everyone signs in again)
    EndSessions,
    /// revoke every API token
    RevokeTokens,
    /// add a keyring version: new data is encrypted under a new key
    RotateKeyring,
    /// wipe the keys from memory (operators unseal again with the shares)
    Seal,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::EndSessions => "end-sessions",
            Action::RevokeTokens => "revoke-tokens",
            Action::RotateKeyring => "rotate-keyring",
            Action::Seal => "seal",
        }
    }
}

/// Runs `action` for incident `id`; returns what it did.
pub async fn act(state: &AppState, actor: &str, id: &str, action: Action) -> Result<String> {
    let c = state.catalog();
    c.incident(id).await?.ok_or(Error::NotFound)?;
    let audit_action = format!("incident.containment:{}", action.name());
    required(state, actor, &audit_action, id).await?;
    let kind = format!("containment:{}", action.name());
    let done = match action {
        Action::EndSessions => format!("{} sessions ended", c.delete_all_sessions().await?),
        Action::RevokeTokens => format!("{} API tokens revoked", c.delete_all_api_tokens().await?),
        Action::RotateKeyring => {
            let v = state.keys().rotate(c).await?;
            format!("keyring rotated to version {v}")
        }
        Action::Seal => {
            // The step and the record are written while the keys are there.
            let done = "the server was sealed".to_string();
            step(state, id, Some(actor), &kind, Some(&done)).await?;
            record(
                state,
                Event::new(Some(actor), &audit_action, Some(id), "success"),
            )
            .await;
            crate::seal_now(state).await;
            return Ok(done);
        }
    };
    step(state, id, Some(actor), &kind, Some(&done)).await?;
    record(
        state,
        Event::new(Some(actor), &audit_action, Some(id), "success"),
    )
    .await;
    Ok(done)
}
