//! Where the audit trail's signed checkpoints live in a store:
//! `audit/checkpoints/<seq, 20 digits>.json`, small public JSON documents
//! (sequence number, chain MAC, time, Ed25519 signature) that anyone with
//! the public key can check; they hold no user data and no secret.

use object_store::path::Path as ObjectPath;

use crate::error::{Result, StoreError};
use crate::{BlobStore, ObjectKey};

const PREFIX: &str = "audit/checkpoints";

/// The checkpoint covering entries up to `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckpointName(pub u64);

impl ObjectKey for CheckpointName {
    fn path(&self) -> ObjectPath {
        ObjectPath::from(format!("{PREFIX}/{:020}.json", self.0))
    }
}

impl BlobStore {
    /// The checkpoints in this store, lowest sequence number first.
    pub async fn list_checkpoints(&self) -> Result<Vec<CheckpointName>> {
        use futures::TryStreamExt;
        let prefix = ObjectPath::from(PREFIX);
        let metas: Vec<object_store::ObjectMeta> = self
            .inner()
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| StoreError::backend(self.label(), e))?;
        let mut out: Vec<CheckpointName> = metas
            .iter()
            .filter_map(|m| m.location.filename())
            .filter_map(|f| f.strip_suffix(".json"))
            .filter(|s| s.len() == 20 && s.bytes().all(|b| b.is_ascii_digit()))
            .filter_map(|s| s.parse().ok().map(CheckpointName))
            .collect();
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_sequence() {
        assert_eq!(
            CheckpointName(42).path().as_ref(),
            "audit/checkpoints/00000000000000000042.json"
        );
    }
}
