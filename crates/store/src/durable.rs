//! Durable writes on a local store. object_store's `LocalFileSystem`
//! writes a staging file and renames it into place but never syncs, so an
//! object acknowledged before a power loss could vanish or come back
//! truncated while the catalog row that names it survives. After every
//! completed write this module syncs the object's file (its data) and its
//! directory (the rename), and the directories above it up to the store's
//! root (entries of directories the write created), before the write is
//! reported done. On S3 a
//! completed PUT or multipart upload is durable by the service's contract.

use object_store::path::Path as ObjectPath;

use crate::BlobStore;
use crate::error::{Result, StoreError};

impl BlobStore {
    /// Puts the object at `path` and its directory entry on stable storage
    /// (local stores; nothing to do on S3).
    pub(crate) async fn make_durable(&self, path: &ObjectPath) -> Result<()> {
        let (Some(root), Some(file)) = (self.local_root.clone(), self.local_file(path)) else {
            return Ok(());
        };
        let label = self.label;
        tokio::task::spawn_blocking(move || {
            let sync = |p: &std::path::Path| {
                std::fs::File::open(p)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| {
                        StoreError::Config(format!("{label} store: sync {}: {e}", p.display()))
                    })
            };
            sync(&file)?;
            // The object's directory holds the rename; the directories above
            // it up to the root hold the entries of any directory the write
            // created (`ab/cd/` for a blob's first neighbour).
            let mut dir = file.parent();
            while let Some(d) = dir {
                sync(d)?;
                if d == root.as_path() {
                    break;
                }
                dir = d.parent();
            }
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Config(format!("{label} store: sync task: {e}")))?
    }
}
