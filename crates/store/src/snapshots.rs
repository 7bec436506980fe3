//! Where catalog snapshots live in a store: `snapshots/<id>.head` (the
//! records a restore starts from: the sealed root record and the wrapped
//! keyring, already ciphertext) and `snapshots/<id>.body` (the catalog's rows
//! in the vault's blob format). The id is the snapshot's time in unix
//! milliseconds (20 digits, so names sort by time) and 64 random bits; the
//! store learns when snapshots were taken and how large they are, nothing
//! else.

use object_store::path::Path as ObjectPath;

use crate::error::{Result, StoreError};
use crate::{BlobStore, ObjectKey};

const PREFIX: &str = "snapshots";

/// A snapshot's id: `<unix ms, 20 digits>-<16 hex>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotId(String);

impl SnapshotId {
    /// A new id for a snapshot taken at `at_ms`.
    pub fn new(at_ms: i64) -> Self {
        let r = uuid::Uuid::new_v4().simple().to_string();
        SnapshotId(format!("{:020}-{}", at_ms.max(0), &r[..16]))
    }

    /// Parses a stored id.
    pub fn parse(s: &str) -> Result<Self> {
        let ok = s.len() == 37
            && s.as_bytes()[20] == b'-'
            && s[..20].bytes().all(|b| b.is_ascii_digit())
            && s[21..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(SnapshotId(s.to_string()))
        } else {
            Err(StoreError::BadName)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// When the snapshot was taken (unix ms).
    pub fn at_ms(&self) -> i64 {
        self.0[..20].parse().unwrap_or(0)
    }

    /// One of its two objects.
    pub fn part(&self, part: SnapshotPart) -> SnapshotObject {
        SnapshotObject(self.clone(), part)
    }
}

impl std::fmt::Display for SnapshotId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two objects of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotPart {
    /// the records a restore starts from
    Head,
    /// the rows, encrypted
    Body,
}

/// One object of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotObject(SnapshotId, SnapshotPart);

impl ObjectKey for SnapshotObject {
    fn path(&self) -> ObjectPath {
        let ext = match self.1 {
            SnapshotPart::Head => "head",
            SnapshotPart::Body => "body",
        };
        ObjectPath::from(format!("{PREFIX}/{}.{ext}", self.0.0))
    }
}

/// A snapshot found in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedSnapshot {
    /// its id
    pub id: SnapshotId,
    /// bytes of its body
    pub body_len: u64,
    /// whether both parts are there (an incomplete one is not usable)
    pub complete: bool,
}

impl BlobStore {
    /// The snapshots in this store, oldest first.
    pub async fn list_snapshots(&self) -> Result<Vec<ListedSnapshot>> {
        use futures::TryStreamExt;
        use std::collections::BTreeMap;
        let prefix = ObjectPath::from(PREFIX);
        let metas: Vec<object_store::ObjectMeta> = self
            .inner()
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| StoreError::backend(self.label, e))?;
        let mut found: BTreeMap<SnapshotId, (bool, Option<u64>)> = BTreeMap::new();
        for m in metas {
            let Some(file) = m.location.filename() else {
                continue;
            };
            let Some((id, ext)) = file.rsplit_once('.') else {
                continue;
            };
            let Ok(id) = SnapshotId::parse(id) else {
                continue;
            };
            let e = found.entry(id).or_insert((false, None));
            match ext {
                "head" => e.0 = true,
                "body" => e.1 = Some(m.size),
                _ => {}
            }
        }
        Ok(found
            .into_iter()
            .map(|(id, (head, body))| ListedSnapshot {
                id,
                body_len: body.unwrap_or(0),
                complete: head && body.is_some(),
            })
            .collect())
    }

    /// Deletes a snapshot (both parts; absent parts are fine).
    pub async fn delete_snapshot(&self, id: &SnapshotId) -> Result<()> {
        self.delete(&id.part(SnapshotPart::Body)).await?;
        self.delete(&id.part(SnapshotPart::Head)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_parse_back() {
        let a = SnapshotId::new(1_700_000_000_000);
        let b = SnapshotId::new(1_800_000_000_000);
        assert!(a < b);
        assert_eq!(SnapshotId::parse(a.as_str()).expect("parse"), a);
        assert_eq!(a.at_ms(), 1_700_000_000_000);
        for bad in [
            "",
            "x",
            "../etc/passwd",
            "00000001700000000000_0123456789abcdef",
        ] {
            assert!(SnapshotId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            a.part(SnapshotPart::Head).path().as_ref(),
            format!("snapshots/{a}.head")
        );
    }
}
