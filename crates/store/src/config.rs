//! Store configuration: a local directory or an S3-compatible endpoint.

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Result, StoreError};

/// Where one store lives.
#[derive(Clone)]
pub enum StoreConfig {
    /// A directory on this machine (created if missing).
    Local {
        /// root directory
        root: PathBuf,
    },
    /// Any S3-compatible service (Garage, MinIO, Ceph, AWS).
    S3 {
        /// e.g. `https://s3.example.net` or `http://127.0.0.1:3900`
        endpoint: String,
        /// region name the service expects (Garage: `garage`)
        region: String,
        /// bucket
        bucket: String,
        /// access key id
        access_key_id: String,
        /// secret access key (never printed)
        secret_access_key: SecretString,
        /// path-style requests (`endpoint/bucket/key`), needed by most self-hosted servers
        path_style: bool,
    },
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Local { root } => f.debug_struct("Local").field("root", root).finish(),
            StoreConfig::S3 {
                endpoint,
                region,
                bucket,
                access_key_id,
                path_style,
                ..
            } => f
                .debug_struct("S3")
                .field("endpoint", endpoint)
                .field("region", region)
                .field("bucket", bucket)
                .field("access_key_id", access_key_id)
                .field("secret_access_key", &"<redacted>")
                .field("path_style", path_style)
                .finish(),
        }
    }
}

impl StoreConfig {
    pub(crate) fn build(&self) -> Result<Arc<dyn ObjectStore>> {
        match self {
            StoreConfig::Local { root } => {
                std::fs::create_dir_all(root).map_err(|e| {
                    StoreError::Config(format!("cannot create {}: {e}", root.display()))
                })?;
                let fs = LocalFileSystem::new_with_prefix(root)
                    .map_err(|e| StoreError::Config(format!("{}: {e}", root.display())))?;
                Ok(Arc::new(fs))
            }
            StoreConfig::S3 {
                endpoint,
                region,
                bucket,
                access_key_id,
                secret_access_key,
                path_style,
            } => {
                let s3 = AmazonS3Builder::new()
                    .with_endpoint(endpoint)
                    .with_region(region)
                    .with_bucket_name(bucket)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key.expose_secret())
                    .with_virtual_hosted_style_request(!path_style)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .build()
                    .map_err(|e| StoreError::Config(e.to_string()))?;
                Ok(Arc::new(s3))
            }
        }
    }
}
