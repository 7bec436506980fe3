//! `[audit]` (checkpoints of the tamper-evident trail), `[contacts]` (the
//! Data Protection Officer and the security team, named in breach
//! notifications, security.txt and the web app) and `[smtp]` (outgoing
//! e-mail; nothing is sent when it is not configured).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// The audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Seconds between signed checkpoints of the chain (also made at
    /// unseal, seal and shutdown); 10–86400.
    pub checkpoint_secs: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            checkpoint_secs: 300,
        }
    }
}

impl AuditConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !(10..=86_400).contains(&self.checkpoint_secs) {
            return Err(invalid("audit.checkpoint_secs", "between 10 and 86400"));
        }
        Ok(())
    }
}

/// Who to contact about security and personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContactsConfig {
    /// the Data Protection Officer's name
    pub dpo_name: String,
    /// the Data Protection Officer's e-mail (empty = `dpo@PUBLIC_HOST`)
    pub dpo_email: String,
    /// the security team's e-mail (empty = `security@PUBLIC_HOST`)
    pub security_email: String,
    /// supervisory authorities told of a confirmed breach
    pub authority_emails: Vec<String>,
    /// partners told of a confirmed breach
    pub partner_emails: Vec<String>,
}

impl Default for ContactsConfig {
    fn default() -> Self {
        ContactsConfig {
            dpo_name: "Data Protection Officer".into(),
            dpo_email: String::new(),
            security_email: String::new(),
            authority_emails: Vec::new(),
            partner_emails: Vec::new(),
        }
    }
}

impl ContactsConfig {
    /// The DPO's address (configured, else `dpo@host`).
    pub fn dpo_email_for(&self, public_host: &str) -> String {
        or_default(&self.dpo_email, "dpo", public_host)
    }

    /// "Name <address>" of the Data Protection Officer.
    pub fn dpo_for(&self, public_host: &str) -> String {
        format!("{} <{}>", self.dpo_name, self.dpo_email_for(public_host))
    }

    /// The security team's address (configured, else `security@host`).
    pub fn security_email_for(&self, public_host: &str) -> String {
        or_default(&self.security_email, "security", public_host)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let one = |key: &'static str, v: &str| {
            if v.is_empty() || crate::accounts::valid_email(v) {
                Ok(())
            } else {
                Err(invalid(key, format!("{v:?} is not an e-mail address")))
            }
        };
        one("contacts.dpo_email", &self.dpo_email)?;
        one("contacts.security_email", &self.security_email)?;
        for a in &self.authority_emails {
            one("contacts.authority_emails", a)?;
        }
        for a in &self.partner_emails {
            one("contacts.partner_emails", a)?;
        }
        if self.dpo_name.chars().count() > 200 || self.dpo_name.chars().any(char::is_control) {
            return Err(invalid(
                "contacts.dpo_name",
                "at most 200 printable characters",
            ));
        }
        Ok(())
    }
}

fn or_default(v: &str, local: &str, host: &str) -> String {
    if v.is_empty() {
        format!("{local}@{host}")
    } else {
        v.to_string()
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// plain connection upgraded with STARTTLS (required)
    Starttls,
    /// TLS from the first byte (port 465)
    Tls,
    /// no encryption: only allowed to a loopback host (a local relay)
    None,
}

/// Outgoing e-mail. Without `host`, nothing is sent (and what would have
/// been sent says so).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// SMTP server host name (empty = e-mail off)
    pub host: String,
    /// port (587 for STARTTLS, 465 for TLS)
    pub port: u16,
    /// `starttls`, `tls` or `none` (loopback only)
    pub security: SmtpSecurity,
    /// user name, if the server wants one
    pub username: String,
    /// password (prefer `PIXELUNION_SMTP__PASSWORD`); never logged,
    /// shown or serialized
    #[serde(skip_serializing)]
    pub password: Option<SecretString>,
    /// the sender address
    pub from: String,
    /// seconds to wait for the server
    pub timeout_secs: u64,
}

impl PartialEq for SmtpConfig {
    fn eq(&self, o: &Self) -> bool {
        self.host == o.host
            && self.port == o.port
            && self.security == o.security
            && self.username == o.username
            && self.from == o.from
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: String::new(),
            password: None,
            from: String::new(),
            timeout_secs: 20,
        }
    }
}

impl SmtpConfig {
    /// Whether e-mail is configured.
    pub fn enabled(&self) -> bool {
        !self.host.is_empty()
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if !self.enabled() {
            return Ok(());
        }
        if !crate::accounts::valid_email(&self.from) {
            return Err(invalid(
                "smtp.from",
                "the sender's e-mail address is required",
            ));
        }
        let loopback = self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if self.security == SmtpSecurity::None && !loopback {
            return Err(invalid(
                "smtp.security",
                "\"none\" is only allowed to a relay on this machine (localhost); use starttls or tls",
            ));
        }
        if self.timeout_secs == 0 || self.timeout_secs > 300 {
            return Err(invalid("smtp.timeout_secs", "between 1 and 300"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_txt_contacts_fall_back_to_the_security_team() {
        let d = crate::config::DisclosureConfig::default();
        assert_eq!(
            d.contacts_with("photos.example.org", ""),
            ["mailto:security@photos.example.org"]
        );
        assert_eq!(
            d.contacts_with("h", "sec@example.org"),
            ["mailto:sec@example.org"]
        );
        let set = crate::config::DisclosureConfig {
            contacts: vec!["https://example.org/report".into()],
            ..Default::default()
        };
        assert_eq!(
            set.contacts_with("h", "sec@example.org"),
            ["https://example.org/report"]
        );
        let c = ContactsConfig::default();
        assert_eq!(c.dpo_email_for("h"), "dpo@h");
        assert!(
            ContactsConfig {
                dpo_email: "nope".into(),
                ..c.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            ContactsConfig {
                authority_emails: vec!["a@b".into()],
                ..c
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn smtp_without_tls_only_to_this_machine() {
        let base = SmtpConfig {
            host: "mail.example.org".into(),
            from: "photos@example.org".into(),
            ..SmtpConfig::default()
        };
        assert!(base.validate().is_ok());
        assert!(
            SmtpConfig {
                security: SmtpSecurity::None,
                ..base.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            SmtpConfig {
                security: SmtpSecurity::None,
                host: "127.0.0.1".into(),
                ..base.clone()
            }
            .validate()
            .is_ok()
        );
        assert!(
            SmtpConfig {
                from: String::new(),
                ..base.clone()
            }
            .validate()
            .is_err()
        );
        assert!(SmtpConfig::default().validate().is_ok(), "off is fine");
        let shown = format!(
            "{:?}",
            SmtpConfig {
                password: Some("hunter2-secret".to_string().into()),
                ..base
            }
        );
        assert!(!shown.contains("hunter2-secret"));
    }
}
