//! Policy notices (security policy §15): an administrator publishes a new
//! version of the privacy or the security policy; every account sees the
//! change at its next sign-in (and on every page until it has read it),
//! is e-mailed where SMTP is configured, and the version each account has
//! seen is recorded. The texts are public.

use serde::Serialize;

use super::{Error, Result, audit, email_for};
use crate::AppState;
use crate::clock::now_secs;
use crate::mail::{self, Outgoing};

/// The kinds of policy.
pub const KINDS: [&str; 2] = ["privacy", "security"];
/// Longest policy text (characters).
pub const MAX_TEXT: usize = 100_000;

/// A published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    /// `privacy` or `security`
    pub kind: String,
    /// 1, 2, …
    pub version: i64,
    /// the text
    pub text: String,
    /// unix seconds
    pub published_at: i64,
}

/// A change the account has not seen yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Notice {
    /// `privacy` or `security`
    pub kind: String,
    /// the version to read
    pub version: i64,
    /// unix seconds
    pub published_at: i64,
}

fn kind(k: &str) -> Result<&'static str> {
    KINDS
        .into_iter()
        .find(|x| *x == k)
        .ok_or(Error::InvalidPolicy("kind is \"privacy\" or \"security\""))
}

/// Publishes a new version; every account is e-mailed in the background.
pub async fn publish(state: &AppState, actor: &str, k: &str, text: &str) -> Result<PolicyView> {
    let k = kind(k)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT {
        return Err(Error::InvalidPolicy("the text is 1 to 100,000 characters"));
    }
    let action = format!("policy.publish:{k}");
    super::admin::required(state, actor, &action, k).await?;
    let now = now_secs();
    let version = match state.catalog().publish_policy(k, text, actor, now).await {
        Ok(v) => v,
        Err(pixelunion_catalog::CatalogError::AlreadyExists) => {
            return Err(Error::InvalidPolicy(
                "another version was published at the same moment; reload and try again",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    audit(state, Some(actor), &action, Some(k), "success").await;
    let st = state.clone();
    tokio::spawn(async move {
        if let Err(e) = announce(&st, k, version).await {
            tracing::warn!(error = %e, "policy e-mails could not be prepared");
        }
    });
    Ok(PolicyView {
        kind: k.to_string(),
        version,
        text: text.to_string(),
        published_at: now,
    })
}

async fn announce(state: &AppState, k: &str, version: i64) -> Result<()> {
    let to: Vec<String> = state
        .catalog()
        .list_users()
        .await?
        .iter()
        .filter(|u| !u.disabled)
        .filter_map(|u| email_for(state, u))
        .collect();
    if to.is_empty() {
        return Ok(());
    }
    let host = &state.config().public_host;
    let out = Outgoing {
        to,
        subject: format!("PixelUnion: our {k} policy has changed"),
        body: format!(
            "We have published version {version} of our {k} policy. You can read it at \
             https://{host}/policies — it is also shown when you next sign in.\n"
        ),
    };
    let sent = mail::send(&state.config().smtp, &out, "policy notice").await;
    let delivered = sent.iter().filter(|d| **d == mail::Delivery::Sent).count();
    let outcome = if sent.iter().all(|d| *d == mail::Delivery::NotConfigured) {
        "not-configured"
    } else if delivered == sent.len() {
        "success"
    } else {
        "failure"
    };
    audit(state, None, &format!("policy.notice:{k}"), Some(k), outcome).await;
    Ok(())
}

/// The latest version of each kind.
pub async fn latest(state: &AppState) -> Result<Vec<PolicyView>> {
    Ok(state
        .catalog()
        .latest_policies()
        .await?
        .into_iter()
        .map(|p| PolicyView {
            kind: p.kind,
            version: p.version,
            text: p.body,
            published_at: p.published_at,
        })
        .collect())
}

/// The latest versions `user_id` has not seen.
pub async fn unseen(state: &AppState, user_id: &str) -> Result<Vec<Notice>> {
    let c = state.catalog();
    let seen = c.policy_views(user_id).await?;
    Ok(c.latest_policies()
        .await?
        .into_iter()
        .filter(|p| !seen.iter().any(|(k, v)| *k == p.kind && *v >= p.version))
        .map(|p| Notice {
            kind: p.kind,
            version: p.version,
            published_at: p.published_at,
        })
        .collect())
}

/// Records that `user_id` has read `version` of `kind` (the latest one).
pub async fn seen(state: &AppState, user_id: &str, k: &str, version: i64) -> Result<()> {
    let k = kind(k)?;
    let latest = state
        .catalog()
        .latest_policies()
        .await?
        .into_iter()
        .find(|p| p.kind == k)
        .ok_or(Error::NotFound)?;
    if latest.version != version {
        return Err(Error::InvalidPolicy(
            "that is not the current version; read the current one",
        ));
    }
    state
        .catalog()
        .record_policy_view(user_id, k, version, now_secs())
        .await?;
    audit(
        state,
        Some(user_id),
        &format!("policy.seen:{k}"),
        Some(k),
        "success",
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_kinds_only() {
        assert_eq!(kind("privacy").ok(), Some("privacy"));
        assert_eq!(kind("security").ok(), Some("security"));
        assert!(matches!(kind("cookies"), Err(Error::InvalidPolicy(_))));
    }
}
