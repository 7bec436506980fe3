//! Where a blob store lives: `kind = "local"` (a directory, the default)
//! or `kind = "s3"` (any S3-compatible endpoint). The secret access key is a
//! `secrecy` value: no `Debug`, log line or error message shows it.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ConfigError, invalid};

/// One blob store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreSection {
    /// A directory on this machine.
    Local {
        /// default `DATA_DIR/blobs/<primary|backup>`
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<PathBuf>,
    },
    /// An S3-compatible service (Garage, MinIO, Ceph, AWS).
    S3(S3Section),
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection::Local { path: None }
    }
}

/// An S3-compatible endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Section {
    /// endpoint URL, e.g. `https://s3.example.net`
    pub endpoint: String,
    /// region the service expects (default `garage`)
    #[serde(default)]
    pub region: String,
    /// bucket
    pub bucket: String,
    /// access key id
    pub access_key_id: String,
    /// secret access key (prefer the environment variable
    /// `PIXELUNION_<SECTION>__SECRET_ACCESS_KEY`); never serialized
    #[serde(skip_serializing)]
    pub secret_access_key: SecretString,
    /// path-style requests (`endpoint/bucket/key`), needed by most
    /// self-hosted servers
    #[serde(default)]
    pub path_style: bool,
}

impl StoreSection {
    /// Checks the section named `name` (`primary` or `backup`).
    pub(super) fn validate(&self, name: &'static str) -> Result<(), ConfigError> {
        let StoreSection::S3(s) = self else {
            return Ok(());
        };
        for (field, value) in [
            ("endpoint", s.endpoint.as_str()),
            ("bucket", s.bucket.as_str()),
            ("access_key_id", s.access_key_id.as_str()),
            ("secret_access_key", s.secret_access_key.expose_secret()),
        ] {
            if value.is_empty() {
                return Err(invalid(
                    name,
                    format!("{name}.{field} is required when {name}.kind = \"s3\""),
                ));
            }
        }
        if !(s.endpoint.starts_with("https://") || s.endpoint.starts_with("http://")) {
            return Err(invalid(
                name,
                format!("{name}.endpoint must be an http:// or https:// URL"),
            ));
        }
        Ok(())
    }

    /// The store crate's configuration (a local store defaults to
    /// `data_dir/blobs/name`).
    pub(super) fn store_config(
        &self,
        data_dir: &Path,
        name: &str,
    ) -> pixelunion_store::StoreConfig {
        match self {
            StoreSection::Local { path } => pixelunion_store::StoreConfig::Local {
                root: path
                    .clone()
                    .unwrap_or_else(|| data_dir.join("blobs").join(name)),
            },
            StoreSection::S3(s) => pixelunion_store::StoreConfig::S3 {
                endpoint: s.endpoint.clone(),
                region: if s.region.is_empty() {
                    "garage".into()
                } else {
                    s.region.clone()
                },
                bucket: s.bucket.clone(),
                access_key_id: s.access_key_id.clone(),
                secret_access_key: s.secret_access_key.clone(),
                path_style: s.path_style,
            },
        }
    }
}
