//! Which deployment a store belongs to: one small object,
//! `meta/deployment`, holding the deployment's id (a hash of key
//! ciphertext the catalog holds: public, says nothing about content). A
//! node refuses to start on a store that names another deployment, so a
//! configuration pointing at the wrong bucket is caught before anything is
//! written or served.

use bytes::Bytes;
use object_store::path::Path as ObjectPath;

use crate::error::{Result, StoreError};
use crate::{BlobStore, ObjectKey};

const PREFIX: &str = "pixelunion deployment ";

struct Marker;

impl ObjectKey for Marker {
    fn path(&self) -> ObjectPath {
        ObjectPath::from("meta/deployment")
    }
}

impl BlobStore {
    /// The deployment this store was claimed by, if any.
    pub async fn deployment(&self) -> Result<Option<String>> {
        match self.get(&Marker).await {
            Ok(b) => {
                let text = String::from_utf8_lossy(&b);
                let id = text.trim().strip_prefix(PREFIX).unwrap_or(text.trim());
                Ok(Some(id.to_string()))
            }
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Claims the store for deployment `id`.
    pub async fn set_deployment(&self, id: &str) -> Result<()> {
        self.put(&Marker, Bytes::from(format!("{PREFIX}{id}\n")))
            .await
    }

    /// Removes the claim (a test emptying a bucket for a new deployment, or
    /// an operator deliberately handing a store to another one).
    pub async fn forget_deployment(&self) -> Result<()> {
        self.delete(&Marker).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_store_is_claimed_read_and_released()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = BlobStore::open(
            &crate::StoreConfig::Local {
                root: dir.path().to_path_buf(),
            },
            "primary",
        )?;
        assert_eq!(store.deployment().await?, None);
        store.set_deployment("0123abcd").await?;
        assert_eq!(store.deployment().await?.as_deref(), Some("0123abcd"));
        assert!(store.list().await?.is_empty(), "the marker is not a blob");
        store.forget_deployment().await?;
        store.forget_deployment().await?;
        assert_eq!(store.deployment().await?, None);
        Ok(())
    }
}
