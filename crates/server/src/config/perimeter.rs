//! The perimeter's settings: TLS (certificate paths, the self-signed
//! certificate's names, HSTS preload), the separate operator listener,
//! request rate and size limits, and what the responsible-disclosure files
//! say.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// TLS certificate and key paths; empty = self-signed in `DATA_DIR/tls/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert_path: Option<PathBuf>,
    /// PEM private key.
    pub key_path: Option<PathBuf>,
    /// Extra host names and IP addresses the self-signed certificate names
    /// (besides `localhost`, `127.0.0.1`, `::1` and `public_host`).
    pub names: Vec<String>,
    /// Adds `preload` to HSTS (only for a name submitted to hstspreload.org).
    pub hsts_preload: bool,
}

impl TlsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.cert_path.is_some() != self.key_path.is_some() {
            return Err(invalid(
                "tls",
                "tls.cert_path and tls.key_path must be given together",
            ));
        }
        for n in &self.names {
            let ok = !n.is_empty()
                && n.len() <= 253
                && (n.parse::<std::net::IpAddr>().is_ok()
                    || n.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*')
                    }));
            if !ok {
                return Err(invalid(
                    "tls",
                    format!("tls.names: {n:?} is neither a host name nor an IP address"),
                ));
            }
        }
        Ok(())
    }
}

/// `[operator]`: a separate HTTPS listener (a private address) for the
/// system and operator routes — unseal, seal, backups, the firewall's
/// state, account administration, the audit trail and the admin page. When
/// it is set those routes answer 404 on the public listener; the CLI talks
/// to this one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperatorConfig {
    /// address to listen on (e.g. `10.0.0.5:9443` or `127.0.0.1:9443`);
    /// empty = the operator routes are served on the public listener
    pub listen: Option<std::net::SocketAddr>,
    /// its own PEM certificate chain (default: the public listener's)
    pub cert_path: Option<PathBuf>,
    /// its own PEM private key
    pub key_path: Option<PathBuf>,
    /// a file holding the bearer token a Prometheus server scrapes
    /// `/metrics` with (at least 32 characters; its `credentials_file`)
    pub metrics_token_file: Option<PathBuf>,
}

impl OperatorConfig {
    pub(super) fn validate(&self, public: std::net::SocketAddr) -> Result<(), ConfigError> {
        if self.cert_path.is_some() != self.key_path.is_some() {
            return Err(invalid(
                "operator",
                "operator.cert_path and operator.key_path must be given together",
            ));
        }
        if self.cert_path.is_some() && self.listen.is_none() {
            return Err(invalid(
                "operator",
                "operator.cert_path is set but operator.listen is not",
            ));
        }
        if let Some(l) = self.listen
            && l.port() != 0
            && l == public
        {
            return Err(invalid(
                "operator",
                "operator.listen must differ from listen",
            ));
        }
        Ok(())
    }
}

/// Request rate limits (GCRA): sustained requests per second and the burst
/// allowed above it, per client address, globally and per account by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// off only for benchmarks and load tests
    pub enabled: bool,
    /// every request, all clients together
    pub global_per_sec: u32,
    /// burst of the global cap
    pub global_burst: u32,
    /// every request of one client address
    pub client_per_sec: u32,
    /// burst of one client address
    pub client_burst: u32,
    /// JSON API calls and pages of one account
    pub account_api_per_sec: u32,
    /// burst of an account's API calls
    pub account_api_burst: u32,
    /// file reads (thumbnails, previews, originals) of one account
    pub account_files_per_sec: u32,
    /// burst of an account's file reads (a screen of thumbnails)
    pub account_files_burst: u32,
    /// uploads (and resumable pieces) of one account
    pub account_upload_per_sec: u32,
    /// burst of an account's uploads
    pub account_upload_burst: u32,
    /// seconds a client may take to send a request's headers (and, on an
    /// idle kept-alive HTTP/1.1 connection, to start the next request)
    pub header_read_timeout_secs: u64,
    /// seconds a client may take for the TLS handshake
    pub handshake_timeout_secs: u64,
    /// headers per request, at most
    pub max_headers: usize,
    /// bytes of a request's headers (names and values), at most
    pub max_header_bytes: usize,
    /// bytes of a request's URL (path and query), at most
    pub max_url_bytes: usize,
    /// connections open at once from one client address (more are closed
    /// at once, before the TLS handshake)
    pub connections_per_client: u32,
    /// uploads (one-request, or pieces of resumable ones) one account sends
    /// at once (more: 429)
    pub uploads_per_account: u32,
    /// the rates above are the deployment's, shared among the nodes that
    /// serve (each enforces 1/N); off when a balancer pins each client to
    /// one node
    pub split_across_nodes: bool,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            enabled: true,
            global_per_sec: 5000,
            global_burst: 20000,
            client_per_sec: 300,
            client_burst: 3000,
            account_api_per_sec: 20,
            account_api_burst: 200,
            account_files_per_sec: 200,
            account_files_burst: 2000,
            account_upload_per_sec: 30,
            account_upload_burst: 600,
            header_read_timeout_secs: 10,
            handshake_timeout_secs: 10,
            max_headers: 100,
            max_header_bytes: 64 << 10,
            max_url_bytes: 32 << 10,
            connections_per_client: 256,
            uploads_per_account: 8,
            split_across_nodes: true,
        }
    }
}

impl LimitsConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let pairs = [
            ("global", self.global_per_sec, self.global_burst),
            ("client", self.client_per_sec, self.client_burst),
            (
                "account_api",
                self.account_api_per_sec,
                self.account_api_burst,
            ),
            (
                "account_files",
                self.account_files_per_sec,
                self.account_files_burst,
            ),
            (
                "account_upload",
                self.account_upload_per_sec,
                self.account_upload_burst,
            ),
        ];
        if !(1..=300).contains(&self.header_read_timeout_secs)
            || !(1..=300).contains(&self.handshake_timeout_secs)
        {
            return Err(invalid(
                "limits",
                "limits.header_read_timeout_secs and limits.handshake_timeout_secs must be 1 to 300",
            ));
        }
        if !(16..=1000).contains(&self.max_headers)
            || !(8192..=1 << 20).contains(&self.max_header_bytes)
            || !(2048..=1 << 20).contains(&self.max_url_bytes)
        {
            return Err(invalid(
                "limits",
                "limits.max_headers must be 16 to 1000, limits.max_header_bytes 8192 to 1048576 and limits.max_url_bytes 2048 to 1048576",
            ));
        }
        if !(1..=100_000).contains(&self.connections_per_client)
            || !(1..=1000).contains(&self.uploads_per_account)
        {
            return Err(invalid(
                "limits",
                "limits.connections_per_client must be 1 to 100000 and limits.uploads_per_account 1 to 1000",
            ));
        }
        for (name, per_sec, burst) in pairs {
            if per_sec == 0 || burst < per_sec {
                return Err(invalid(
                    "limits",
                    format!(
                        "limits.{name}: per_sec must be at least 1 and burst at least per_sec ({per_sec}/s, burst {burst})"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// What `/.well-known/security.txt` (RFC 9116) and the disclosure page say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisclosureConfig {
    /// where to report (`mailto:`, `https:` or `tel:` URIs); empty =
    /// `mailto:security@PUBLIC_HOST`
    pub contacts: Vec<String>,
    /// languages reports may be written in
    pub languages: Vec<String>,
    /// days a served security.txt stays valid (1–365; its `Expires` is
    /// computed at each request)
    pub expires_days: u32,
    /// people thanked on the disclosure page for reports
    pub acknowledgements: Vec<String>,
}

impl Default for DisclosureConfig {
    fn default() -> Self {
        DisclosureConfig {
            contacts: Vec::new(),
            languages: vec!["en".into()],
            expires_days: 180,
            acknowledgements: Vec::new(),
        }
    }
}

impl DisclosureConfig {
    /// The contacts to publish (the configured ones, else the default).
    pub fn contacts_for(&self, public_host: &str) -> Vec<String> {
        self.contacts_with(public_host, "")
    }

    /// The contacts to publish: the configured ones, else the security
    /// team's address from `[contacts]`, else `security@PUBLIC_HOST`.
    pub fn contacts_with(&self, public_host: &str, security_email: &str) -> Vec<String> {
        if !self.contacts.is_empty() {
            self.contacts.clone()
        } else if !security_email.is_empty() {
            vec![format!("mailto:{security_email}")]
        } else {
            vec![format!("mailto:security@{public_host}")]
        }
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for c in &self.contacts {
            let ok = ["mailto:", "https://", "tel:"]
                .iter()
                .any(|p| c.starts_with(p))
                && c.len() <= 300
                && c.chars().all(|ch| ch.is_ascii_graphic());
            if !ok {
                return Err(invalid(
                    "disclosure",
                    format!("disclosure.contacts: {c:?} must be a mailto:, https: or tel: URI"),
                ));
            }
        }
        for l in &self.languages {
            if l.is_empty()
                || l.len() > 35
                || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(invalid(
                    "disclosure",
                    format!("disclosure.languages: {l:?} is not a language tag"),
                ));
            }
        }
        if !(1..=365).contains(&self.expires_days) {
            return Err(invalid(
                "disclosure",
                "disclosure.expires_days must be 1 to 365 (RFC 9116 advises less than a year)",
            ));
        }
        if self
            .acknowledgements
            .iter()
            .any(|a| a.len() > 200 || a.chars().any(char::is_control))
        {
            return Err(invalid(
                "disclosure",
                "disclosure.acknowledgements: at most 200 characters each, no control characters",
            ));
        }
        Ok(())
    }
}
