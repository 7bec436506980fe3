//! Outgoing e-mail through SMTP (`lettre`; STARTTLS or TLS, or plain to a
//! relay on this machine only — `config::SmtpConfig`). Without an SMTP host
//! nothing is sent and the caller is told so ([`Delivery::NotConfigured`]),
//! so that what should have been sent can say it was not.
//!
//! It must never log a recipient, a subject or a body: a log line names the
//! purpose only.

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::config::{SmtpConfig, rights::SmtpSecurity};

/// One message to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// recipients (each gets the message on its own: no one sees the others)
    pub to: Vec<String>,
    /// subject line
    pub subject: String,
    /// plain-text body
    pub body: String,
}

/// What became of one recipient's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", content = "detail", rename_all = "kebab-case")]
pub enum Delivery {
    /// accepted by the SMTP server
    Sent,
    /// no SMTP server is configured: nothing was sent
    NotConfigured,
    /// the SMTP server refused or could not be reached (why)
    Failed(String),
}

impl Delivery {
    /// The audit trail's outcome for it.
    pub fn outcome(&self) -> &'static str {
        match self {
            Delivery::Sent => "success",
            Delivery::NotConfigured => "not-configured",
            Delivery::Failed(_) => "failure",
        }
    }
}

fn transport(c: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match c.security {
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host),
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host),
        SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &c.host,
        )),
    }
    .map_err(|e| e.to_string())?;
    let mut builder = builder
        .port(c.port)
        .timeout(Some(std::time::Duration::from_secs(c.timeout_secs)));
    if !c.username.is_empty() {
        let password = c
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_string())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(c.username.clone(), password));
    }
    Ok(builder.build())
}

/// Sends `m` to each recipient on its own; one [`Delivery`] per recipient,
/// in order. `purpose` names the message in logs (never its content).
pub async fn send(config: &SmtpConfig, m: &Outgoing, purpose: &str) -> Vec<Delivery> {
    if !config.enabled() {
        return vec![Delivery::NotConfigured; m.to.len()];
    }
    let transport = match transport(config) {
        Ok(t) => t,
        Err(e) => return vec![Delivery::Failed(e); m.to.len()],
    };
    let Ok(from) = config.from.parse::<Mailbox>() else {
        return vec![Delivery::Failed("the sender address is not valid".into()); m.to.len()];
    };
    let mut out = Vec::with_capacity(m.to.len());
    for to in &m.to {
        let delivery = match to.parse::<Mailbox>() {
            Err(_) => Delivery::Failed("not an e-mail address".into()),
            Ok(to) => match Message::builder()
                .from(from.clone())
                .to(to)
                .subject(m.subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(m.body.clone())
            {
                Err(e) => Delivery::Failed(e.to_string()),
                Ok(msg) => match transport.send(msg).await {
                    Ok(_) => Delivery::Sent,
                    Err(e) => Delivery::Failed(e.to_string()),
                },
            },
        };
        if let Delivery::Failed(why) = &delivery {
            tracing::warn!(purpose, error = %why, "an e-mail was not delivered");
        }
        out.push(delivery);
    }
    out
}
