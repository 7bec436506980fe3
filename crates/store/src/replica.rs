//! Copying ciphertext between stores (primary → backup) in bounded memory,
//! verified by content: the checksum of the bytes written must equal the
//! checksum of the bytes read back from the destination. No key is
//! involved: the backup receives exactly the encrypted object.

use crate::checksum::ChecksumKind;
use futures::StreamExt;
use object_store::ObjectStoreExt as _;
use object_store::WriteMultipart;

use crate::error::{Result, StoreError};
use crate::{BlobName, BlobStore, ObjectKey};

const COPY_PART: usize = 8 << 20;

impl BlobStore {
    /// The checksum of `kind` of an object's stored bytes, streamed.
    pub async fn checksum_of<N: ObjectKey + ?Sized>(
        &self,
        name: &N,
        kind: ChecksumKind,
    ) -> Result<Vec<u8>> {
        let mut stream = self
            .inner()
            .get(&name.path())
            .await
            .map_err(|e| StoreError::backend(self.label, e))?
            .into_stream();
        let mut h = kind.hasher();
        while let Some(chunk) = stream.next().await {
            h.update(&chunk.map_err(|e| StoreError::backend(self.label, e))?);
        }
        Ok(h.finish())
    }

    /// Copies object `name` unchanged into `dest` (streamed, at most two
    /// 8 MiB parts in flight), makes it durable there, then reads the copy
    /// back and compares checksums of `kind` (the kind of the recorded
    /// checksum the caller compares the result with). Returns the checksum;
    /// a mismatch is [`StoreError::ReplicaMismatch`].
    pub async fn replicate_to<N: ObjectKey + ?Sized>(
        &self,
        name: &N,
        dest: &BlobStore,
        kind: ChecksumKind,
    ) -> Result<Vec<u8>> {
        let mut stream = self
            .inner()
            .get(&name.path())
            .await
            .map_err(|e| StoreError::backend(self.label, e))?
            .into_stream();
        let upload = dest
            .inner()
            .put_multipart(&name.path())
            .await
            .map_err(|e| StoreError::backend(dest.label, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, COPY_PART);
        let mut h = kind.hasher();
        let copied: Result<()> = async {
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| StoreError::backend(self.label, e))?;
                h.update(&chunk);
                writer
                    .wait_for_capacity(2)
                    .await
                    .map_err(|e| StoreError::backend(dest.label, e))?;
                writer.write(&chunk);
            }
            Ok(())
        }
        .await;
        if let Err(e) = copied {
            let _ = writer.abort().await;
            return Err(e);
        }
        writer
            .finish()
            .await
            .map_err(|e| StoreError::backend(dest.label, e))?;
        dest.make_durable(&name.path()).await?;
        let sent = h.finish();
        if dest.checksum_of(name, kind).await? != sent {
            let _ = dest.delete(name).await;
            return Err(StoreError::ReplicaMismatch(dest.label));
        }
        Ok(sent)
    }

    /// Removes what an interrupted multipart write of `name` may have left
    /// behind. For a local directory these are `NAME#N` staging files; S3
    /// keeps incomplete multipart uploads invisible and bills them until a
    /// bucket lifecycle rule (`AbortIncompleteMultipartUpload`) removes them,
    /// which `docs/configuration.md` asks operators to set.
    pub async fn remove_partial(&self, name: &BlobName) -> Result<usize> {
        let Some(root) = &self.local_root else {
            return Ok(0);
        };
        let dir = root.join(&name.as_str()[..2]).join(&name.as_str()[2..4]);
        let prefix = format!("{}#", name.as_str());
        let dir2 = dir.clone();
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            let Ok(entries) = std::fs::read_dir(&dir2) else {
                return Ok(0);
            };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    std::fs::remove_file(e.path())
                        .map_err(|e| StoreError::Config(format!("{}: {e}", dir2.display())))?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| StoreError::Config(format!("{}: {e}", dir.display())))?
    }
}
