//! Typed, layered configuration: defaults → TOML file → `PIXELUNION_*`
//! environment (`PIXELUNION_SECTION__KEY`) → command-line flags. Every key and
//! its default is listed in `docs/configuration.md`.

mod accounts;
mod backups;
mod firewall;
mod perimeter;
pub mod rights;
mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub use accounts::AccountsConfig;
pub use backups::BackupConfig;
pub use firewall::WafConfig;
pub use perimeter::{DisclosureConfig, LimitsConfig, OperatorConfig, TlsConfig};
pub use rights::{AuditConfig, ContactsConfig, SmtpConfig};
pub use store::{S3Section, StoreSection};

/// Complete configuration. Its `Debug` never shows a secret (the S3
/// secret keys are `secrecy` values).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Data directory: SQLite catalog, local blob stores, TLS certificate.
    pub data_dir: PathBuf,
    /// HTTPS listen address.
    pub listen: SocketAddr,
    /// Optional plain-HTTP listener that only redirects to HTTPS.
    pub redirect_listen: Option<SocketAddr>,
    /// Public host name used in redirects and the self-signed certificate.
    pub public_host: String,
    /// The address people use to reach the service (`https://photos.example.org`),
    /// for links made by the server (invitations); empty = the address the
    /// admin's browser used.
    pub public_url: Option<String>,
    /// Metadata database URL; empty = SQLite in the data directory.
    pub database_url: String,
    /// TLS certificate settings.
    pub tls: TlsConfig,
    /// Key shares made at first start.
    pub init: InitConfig,
    /// Primary blob store.
    pub primary: StoreSection,
    /// Backup blob store.
    pub backup: StoreSection,
    /// Accounts and sessions.
    pub accounts: AccountsConfig,
    /// Photo library.
    pub library: LibraryConfig,
    /// Media pipeline (thumbnails, video posters, transcoding).
    pub media: MediaConfig,
    /// Catalog snapshots in the backup store, verification, scrubbing.
    pub backups: BackupConfig,
    /// Responsible disclosure: `/.well-known/security.txt` and `/security`.
    pub disclosure: DisclosureConfig,
    /// Request rate limits.
    pub limits: LimitsConfig,
    /// Request inspection (the web application firewall).
    pub waf: WafConfig,
    /// The separate listener for system and operator routes.
    pub operator: OperatorConfig,
    /// The tamper-evident audit trail.
    pub audit: AuditConfig,
    /// The DPO and the security team.
    pub contacts: ContactsConfig,
    /// Outgoing e-mail.
    pub smtp: SmtpConfig,
    /// Load balancers and reverse proxies (addresses or networks) whose
    /// `X-Forwarded-For` names the client; empty = none.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

/// Media pipeline settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Directory holding ffmpeg, ffprobe and heif-thumbnailer;
    /// empty = found on `PATH`.
    pub tools_dir: String,
    /// Convert videos browsers cannot play (HEVC, …) into an H.264/AAC MP4
    /// kept beside the original.
    pub transcode_videos: bool,
    /// A transcode running longer than this is stopped (and retried later).
    pub transcode_max_minutes: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            tools_dir: String::new(),
            transcode_videos: true,
            transcode_max_minutes: 180,
        }
    }
}

/// Photo library limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LibraryConfig {
    /// Largest accepted file, in MiB.
    pub max_upload_mib: u64,
    /// Storage per user in MiB unless an admin sets another (0 = unlimited).
    pub default_quota_mib: u64,
    /// Days an item stays in the trash before it is purged for good.
    pub trash_days: u64,
    /// Seconds between sweeps (trash purge, crashed writes, abandoned uploads).
    pub sweep_interval_secs: u64,
    /// Seconds a blob write may go without progress before a sweep treats it
    /// as crashed and deletes what it wrote.
    pub write_lease_secs: u64,
    /// Hours an unfinished resumable upload is kept after its last write.
    pub resumable_expiry_hours: u64,
}

impl LibraryConfig {
    /// The largest file accepted, in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        mib(self.max_upload_mib)
    }

    /// The default quota in bytes (`None` = unlimited).
    pub fn default_quota_bytes(&self) -> Option<u64> {
        (self.default_quota_mib > 0).then(|| mib(self.default_quota_mib))
    }
}

/// MiB → bytes, saturating (the one place this conversion is made).
pub fn mib(n: u64) -> u64 {
    n.saturating_mul(1 << 20)
}

impl Default for LibraryConfig {
    fn default() -> Self {
        LibraryConfig {
            max_upload_mib: 16 * 1024,
            default_quota_mib: 0,
            trash_days: 30,
            sweep_interval_secs: 300,
            write_lease_secs: 600,
            resumable_expiry_hours: 24,
        }
    }
}

/// Shamir parameters used when the server initialises itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InitConfig {
    /// shares handed out
    pub shares: u8,
    /// shares needed to unseal
    pub threshold: u8,
    /// e-mail of the first administrator
    pub admin_email: String,
}

impl Default for InitConfig {
    fn default() -> Self {
        InitConfig {
            shares: 1,
            threshold: 1,
            admin_email: "admin@localhost".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("pixelunion-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            redirect_listen: None,
            public_host: "localhost".into(),
            public_url: None,
            database_url: String::new(),
            tls: TlsConfig::default(),
            init: InitConfig::default(),
            primary: StoreSection::default(),
            backup: StoreSection::default(),
            accounts: AccountsConfig::default(),
            library: LibraryConfig::default(),
            media: MediaConfig::default(),
            backups: BackupConfig::default(),
            disclosure: DisclosureConfig::default(),
            limits: LimitsConfig::default(),
            waf: WafConfig::default(),
            operator: OperatorConfig::default(),
            audit: AuditConfig::default(),
            contacts: ContactsConfig::default(),
            smtp: SmtpConfig::default(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Values given as command-line flags (highest precedence).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    /// `--data-dir`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--listen`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
}

/// `PIXELUNION_SECTION__KEY` variables, except those that are not
/// configuration: `PIXELUNION_LOG` (log filter) and `PIXELUNION_TEST_*` (test
/// suites' service addresses).
fn env() -> Env {
    Env::prefixed("PIXELUNION_")
        .filter(|k| k != "log" && !k.as_str().to_ascii_lowercase().starts_with("test_"))
        .split("__")
}

/// A configuration error, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse, an unknown key, a missing field.
    #[error("configuration error: {0}")]
    Load(Box<figment::Error>),
    /// The file named with `--config` does not exist.
    #[error("configuration error: config file {} does not exist", .0.display())]
    MissingFile(PathBuf),
    /// A value outside what the key allows.
    #[error("configuration error: {key}: {why}")]
    Invalid {
        /// the key (`section.key`)
        key: &'static str,
        /// what is wrong and what is allowed
        why: String,
    },
}

impl From<figment::Error> for ConfigError {
    fn from(e: figment::Error) -> Self {
        ConfigError::Load(Box::new(e))
    }
}

fn invalid(key: &'static str, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        why: why.into(),
    }
}

impl Config {
    /// Loads the layers. `file` defaults to `DATA_DIR/pixelunion.toml` when it exists.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Config, ConfigError> {
        let base = Figment::from(Serialized::defaults(Config::default()));
        // The data directory decides where the default config file lives, so
        // resolve it from env and flags first.
        let pre = base
            .clone()
            .merge(env())
            .merge(Serialized::globals(&overrides));
        let data_dir: PathBuf = pre.extract_inner("data_dir")?;
        let default_file = data_dir.join("pixelunion.toml");
        let file = match file {
            Some(f) if !f.exists() => return Err(ConfigError::MissingFile(f.to_path_buf())),
            Some(f) => Some(f.to_path_buf()),
            None => default_file.exists().then_some(default_file),
        };
        let mut fig = base;
        if let Some(f) = file {
            fig = fig.merge(Toml::file_exact(f));
        }
        let config: Config = fig
            .merge(env())
            .merge(Serialized::globals(&overrides))
            .extract()?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every section, then what spans sections.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.init.validate()?;
        self.media.validate()?;
        self.backups.validate()?;
        self.accounts.validate()?;
        self.library.validate()?;
        self.tls.validate()?;
        self.disclosure.validate()?;
        self.limits.validate()?;
        self.waf.validate()?;
        self.operator.validate(self.listen)?;
        self.audit.validate()?;
        self.contacts.validate()?;
        self.smtp.validate()?;
        if let Some(u) = &self.public_url {
            let rest = u.strip_prefix("https://").unwrap_or("");
            let host = rest.trim_end_matches('/');
            let ok = !host.is_empty()
                && !host.contains(['/', '?', '#', '@', ' ', '\\'])
                && host.chars().all(|c| c.is_ascii_graphic());
            if !ok {
                return Err(invalid(
                    "public_url",
                    format!("public_url: {u:?} must look like https://photos.example.org[:port]"),
                ));
            }
        }
        self.primary.validate("primary")?;
        self.backup.validate("backup")?;
        crate::proxies::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| invalid("trusted_proxies", e.to_string()))?;
        Ok(())
    }

    /// The catalog URL (SQLite in the data directory by default).
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}",
                self.data_dir.join("catalog.sqlite").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// The primary store's configuration.
    pub fn primary_store(&self) -> pixelunion_store::StoreConfig {
        self.primary.store_config(&self.data_dir, "primary")
    }

    /// The backup store's configuration.
    pub fn backup_store(&self) -> pixelunion_store::StoreConfig {
        self.backup.store_config(&self.data_dir, "backup")
    }
}

impl InitConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        pixelunion_vault::shares::check_parameters(self.threshold, self.shares).map_err(|_| {
            invalid(
                "init.threshold",
                "init.threshold and init.shares: need 1 <= threshold <= shares <= 16",
            )
        })?;
        if !crate::accounts::valid_email(&self.admin_email) {
            return Err(invalid("init.admin_email", "not an e-mail address"));
        }
        Ok(())
    }
}

impl MediaConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.transcode_max_minutes == 0 {
            return Err(invalid("media.transcode_max_minutes", "must be at least 1"));
        }
        Ok(())
    }
}

impl LibraryConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_upload_mib == 0 || self.sweep_interval_secs == 0 || self.write_lease_secs < 2 {
            return Err(invalid(
                "library",
                "max_upload_mib and sweep_interval_secs must be at least 1, write_lease_secs at least 2",
            ));
        }
        if self.trash_days > 30 {
            return Err(invalid(
                "library.trash_days",
                "at most 30 (deletion must reach every copy within 30 days)",
            ));
        }
        if self.resumable_expiry_hours == 0 || self.resumable_expiry_hours > 24 * 7 {
            return Err(invalid(
                "library.resumable_expiry_hours",
                "between 1 and 168",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_timeouts_are_the_role_policy() {
        let c = AccountsConfig::default();
        for role in pixelunion_auth::Role::ALL {
            assert_eq!(
                c.timeouts(role),
                pixelunion_auth::roles::default_timeouts(role),
                "{role:?}"
            );
        }
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn no_debug_of_a_config_or_store_shows_a_secret() {
        const MARKER: &str = "MARKER-s3-secret-5f0c8e1d";
        figment::Jail::expect_with(|jail| {
            for section in ["PRIMARY", "BACKUP"] {
                jail.set_env(format!("PIXELUNION_{section}__KIND"), "s3");
                jail.set_env(
                    format!("PIXELUNION_{section}__ENDPOINT"),
                    "http://127.0.0.1:9",
                );
                jail.set_env(format!("PIXELUNION_{section}__BUCKET"), "b");
                jail.set_env(format!("PIXELUNION_{section}__ACCESS_KEY_ID"), "GKid");
                jail.set_env(format!("PIXELUNION_{section}__SECRET_ACCESS_KEY"), MARKER);
            }
            let c = Config::load(None, Overrides::default()).map_err(|e| e.to_string())?;
            let StoreSection::S3(s3) = &c.primary else {
                return Err("the environment chose S3".into());
            };
            use secrecy::ExposeSecret;
            assert_eq!(s3.secret_access_key.expose_secret(), MARKER, "it is loaded");
            let stores = pixelunion_store::Stores {
                primary: pixelunion_store::BlobStore::open(&c.primary_store(), "primary")
                    .map_err(|e| e.to_string())?,
                backup: pixelunion_store::BlobStore::open(&c.backup_store(), "backup")
                    .map_err(|e| e.to_string())?,
            };
            for shown in [
                format!("{c:?}"),
                format!("{c:#?}"),
                format!("{:?}", c.primary_store()),
                format!("{:#?}", c.backup_store()),
                format!("{stores:?}"),
                format!("{stores:#?}"),
            ] {
                assert!(!shown.contains(MARKER), "a secret in Debug: {shown}");
                assert!(
                    shown.contains("GKid") || shown.contains("primary"),
                    "{shown}"
                );
            }
            // A wrong value elsewhere in the section names the key, not the secret.
            jail.set_env("PIXELUNION_PRIMARY__PATH_STYLE", "maybe");
            let e = Config::load(None, Overrides::default()).expect_err("bad bool");
            assert!(!e.to_string().contains(MARKER), "{e}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn certificate_names_and_the_public_url_are_checked() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "PIXELUNION_TLS__NAMES",
                "[\"photos.lan\", \"192.168.1.20\"]",
            );
            jail.set_env("PIXELUNION_PUBLIC_URL", "https://photos.example.org:8443");
            let c = Config::load(None, Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(c.tls.names, ["photos.lan", "192.168.1.20"]);
            assert_eq!(
                c.public_url.as_deref(),
                Some("https://photos.example.org:8443")
            );
            for bad in [
                "http://photos.example.org",
                "https://",
                "https://a.b/path",
                "https://a b",
            ] {
                jail.set_env("PIXELUNION_PUBLIC_URL", bad);
                let e = Config::load(None, Overrides::default()).expect_err(bad);
                assert!(e.to_string().contains("public_url"), "{bad}: {e}");
            }
            jail.set_env("PIXELUNION_PUBLIC_URL", "https://photos.example.org");
            jail.set_env("PIXELUNION_TLS__NAMES", "[\"bad name/\"]");
            let e = Config::load(None, Overrides::default()).expect_err("bad name");
            assert!(e.to_string().contains("tls.names"), "{e}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn layers_apply_in_order_and_errors_name_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "pu.toml",
                "listen = \"127.0.0.1:9000\"\n[init]\nshares = 5\nthreshold = 3\n",
            )?;
            let c = Config::load(Some(Path::new("pu.toml")), Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9000);
            assert_eq!((c.init.threshold, c.init.shares), (3, 5));

            jail.set_env("PIXELUNION_LISTEN", "127.0.0.1:9100");
            jail.set_env("PIXELUNION_PRIMARY__KIND", "local");
            let c = Config::load(Some(Path::new("pu.toml")), Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9100);

            let flags = Overrides {
                listen: Some("127.0.0.1:9200".parse().map_err(|_| "addr")?),
                data_dir: None,
            };
            let c = Config::load(Some(Path::new("pu.toml")), flags).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9200);

            jail.set_env("PIXELUNION_LISTEN", "not-an-address");
            let e = Config::load(None, Overrides::default()).expect_err("bad value");
            assert!(e.to_string().to_lowercase().contains("listen"), "{e}");

            jail.set_env("PIXELUNION_LISTEN", "127.0.0.1:1");
            jail.set_env("PIXELUNION_INIT__THRESHOLD", "4");
            jail.set_env("PIXELUNION_INIT__SHARES", "2");
            let e = Config::load(None, Overrides::default()).expect_err("k > n");
            assert!(e.to_string().contains("init.threshold"), "{e}");

            jail.set_env("PIXELUNION_INIT__THRESHOLD", "1");
            jail.set_env("PIXELUNION_BACKUP__KIND", "ftp");
            let e = Config::load(None, Overrides::default()).expect_err("bad kind");
            assert!(e.to_string().to_lowercase().contains("backup.kind"), "{e}");

            jail.create_file("typo.toml", "lisen = \"127.0.0.1:1\"\n")?;
            jail.set_env("PIXELUNION_BACKUP__KIND", "local");
            let e = Config::load(Some(Path::new("typo.toml")), Overrides::default())
                .expect_err("unknown key");
            assert!(e.to_string().contains("lisen"), "{e}");
            Ok(())
        });
    }
}
