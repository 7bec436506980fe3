//! Sign-in alerts: each sign-in's device (its user agent with the version
//! numbers taken out, so an update is not a new device) is kept as a keyed
//! hash under the account's own key; when the owner has asked for it, a
//! sign-in from a device never seen before sends an e-mail (address, device,
//! time) so that a stolen password shows at once.

use pixelunion_catalog::UserRow;

use super::{Result, email_for};
use crate::AppState;
use crate::clock::now_secs;

/// The device part of a user agent: digits taken out.
fn device_of(agent: &str) -> String {
    let mut out = String::with_capacity(agent.len());
    let mut digit = false;
    for c in agent.chars().take(300) {
        if c.is_ascii_digit() {
            if !digit {
                out.push('#');
            }
            digit = true;
        } else {
            out.push(c);
            digit = false;
        }
    }
    out
}

/// Records the sign-in's device; mails the owner about a new one when they
/// asked for it (in the background: the sign-in does not wait).
pub async fn on_sign_in(state: &AppState, user: &UserRow, agent: &str, ip: &str) -> Result<()> {
    let key = state.keys().user_key(user)?;
    let tag = pixelunion_vault::blind_index::user_blind_index(
        &key,
        "device",
        device_of(agent).as_bytes(),
    )?;
    let (new, had_known) = state
        .catalog()
        .see_device(&user.id, &tag.to_bytes(), now_secs())
        .await?;
    if !(new && had_known && state.catalog().sign_in_alerts(&user.id).await?) {
        return Ok(());
    }
    let Some(to) = email_for(state, user) else {
        return Ok(());
    };
    let (state, id) = (state.clone(), user.id.clone());
    let body = format!(
        "Your PixelUnion account was just signed in to from a device it had not been used from before.\n\n\
         When: {} (UTC)\nFrom: {ip}\nDevice: {}\n\n\
         If this was you, there is nothing to do. If not, change your password now and end the other \
         sessions in Settings; every sign-in is listed there under Security activity.\n",
        crate::audit::export::rfc3339(now_secs()),
        agent.chars().take(200).collect::<String>(),
    );
    tokio::spawn(async move {
        let out = crate::mail::Outgoing {
            to: vec![to],
            subject: "New sign-in to your PixelUnion account".into(),
            body,
        };
        let sent = crate::mail::send(&state.config().smtp, &out, "new-device alert").await;
        let outcome = sent
            .first()
            .map_or("failure", crate::mail::Delivery::outcome);
        super::audit(&state, None, "mail.new-device", Some(&id), outcome).await;
    });
    Ok(())
}

/// Whether the owner gets those e-mails.
pub async fn alerts(state: &AppState, user: &UserRow) -> Result<bool> {
    Ok(state.catalog().sign_in_alerts(&user.id).await?)
}

/// Turns them on or off.
pub async fn set_alerts(state: &AppState, user: &UserRow, on: bool) -> Result<()> {
    state
        .catalog()
        .set_sign_in_alerts(&user.id, on, now_secs())
        .await?;
    super::audit(
        state,
        Some(&user.id),
        if on { "alerts.on" } else { "alerts.off" },
        Some(&user.id),
        "success",
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_do_not_make_a_new_device() {
        let a = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.6778.85 Safari/537.36";
        let b = "Mozilla/5.0 (X11; Linux x86_64) Chrome/132.0.6834.83 Safari/537.36";
        assert_eq!(device_of(a), device_of(b));
        assert_ne!(
            device_of(a),
            device_of("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)")
        );
    }
}
