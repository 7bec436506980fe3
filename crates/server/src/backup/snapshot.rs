//! Taking a snapshot: the catalog's rows, read in one consistent
//! transaction, encrypted as they stream into the backup store under the
//! system key; then the head, which marks the snapshot complete.

use futures::TryStreamExt;
use pixelunion_catalog::snapshot::SCHEMA_VERSION;
use pixelunion_store::{SnapshotId, SnapshotPart};
use serde::Serialize;

use super::{Error, Result};
use crate::AppState;
use crate::clock::now_ms;
use pixelunion_vault::snapshot_head::Head;

/// A snapshot just taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Taken {
    /// its id
    pub id: String,
    /// when (unix ms)
    pub at: i64,
    /// bytes of its encrypted body
    pub bytes: u64,
    /// how long it took (ms)
    pub took_ms: i64,
}

/// Takes a snapshot now (the server must be unsealed: the body is
/// encrypted under the system key).
pub async fn take(state: &AppState, why: &str) -> Result<Taken> {
    let started = now_ms();
    let key = state
        .keys()
        .with_keyring(|k| k.system_key().and_then(|s| s.try_clone()))
        .ok_or(Error::Sealed)??;
    let c = state.catalog();
    let sealed_root = c.sealed_root().await?.ok_or(Error::Sealed)?;
    let keyring = c
        .keyring()
        .await?
        .into_iter()
        .map(|r| (r.version, r.wrapped))
        .collect();
    let head = Head {
        created_ms: u64::try_from(started).unwrap_or(0),
        schema: SCHEMA_VERSION,
        sealed_root,
        keyring,
    };
    let head_bytes = head.encode();
    let id = SnapshotId::new(started);
    let run = format!("snapshot-{id}");
    c.start_backup_run(&run, "snapshot", started).await?;
    let backup = &state.stores().backup;
    let body = c
        .export_snapshot(started)
        .map_err(|e| std::io::Error::other(e.to_string()));
    let written = backup
        .put_encrypted_stream(
            &key,
            Head::body_object_id(&head_bytes),
            id.part(SnapshotPart::Body),
            Box::pin(body),
        )
        .await;
    let stored = match written {
        Ok(s) => s,
        Err(e) => {
            let _ = c
                .finish_backup_run(&run, false, &format!("{{\"id\":\"{id}\"}}"), now_ms())
                .await;
            let _ = backup.delete(&id.part(SnapshotPart::Body)).await;
            return Err(Error::Store(e));
        }
    };
    backup
        .put(&id.part(SnapshotPart::Head), bytes::Bytes::from(head_bytes))
        .await?;
    let done = now_ms();
    let details = serde_json::json!({
        "id": id.as_str(),
        "bytes": stored.ciphertext_len,
        "why": why,
    })
    .to_string();
    c.finish_backup_run(&run, true, &details, done).await?;
    crate::accounts::audit(
        state,
        None,
        &format!("backup.snapshot:{why}"),
        Some(id.as_str()),
        "success",
    )
    .await;
    tracing::info!(snapshot = %id, bytes = stored.ciphertext_len, ms = done - started, why, "catalog snapshot taken");
    Ok(Taken {
        id: id.to_string(),
        at: started,
        bytes: stored.ciphertext_len,
        took_ms: done - started,
    })
}

/// Takes a snapshot if the server is unsealed; logs a failure (used at seal
/// and shutdown, where nothing waits for an answer).
pub async fn take_if_unsealed(state: &AppState, why: &str) {
    if state.keys().is_sealed() {
        return;
    }
    if let Err(e) = take(state, why).await {
        tracing::warn!(error = %e, why, "could not take a catalog snapshot");
    }
}
