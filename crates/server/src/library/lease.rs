//! Blob write intents: a blob being written is recorded in the catalog
//! before its first byte, with a lease renewed while bytes flow, and the
//! record is cleared in the transaction that makes a row reference the
//! blob. A crash at any point leaves an expired intent the sweeper turns
//! into a deleted blob — never an orphan, never a half-written asset.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use pixelunion_store::BlobName;

use super::Result;
use crate::AppState;
use crate::clock::now_ms;

/// A blob write in progress: its intent's lease is renewed while bytes flow.
#[derive(Debug)]
pub struct WriteLease {
    state: AppState,
    blob: BlobName,
    lease_ms: i64,
    renewed: AtomicI64,
}

impl WriteLease {
    /// Records the intent before the first byte is written.
    pub async fn begin(state: &AppState, blob: &BlobName) -> Result<Arc<Self>> {
        let lease_ms = i64::try_from(state.config().library.write_lease_secs)
            .unwrap_or(i64::MAX / 2000)
            .saturating_mul(1000);
        let now = now_ms();
        state
            .catalog()
            .add_intent(blob.as_str(), now + lease_ms)
            .await?;
        Ok(Arc::new(WriteLease {
            state: state.clone(),
            blob: blob.clone(),
            lease_ms,
            renewed: AtomicI64::new(now),
        }))
    }

    /// Called as bytes arrive: renews the lease once a third of it has passed.
    pub fn touch(&self) {
        let now = now_ms();
        let last = self.renewed.load(Ordering::Relaxed);
        if now - last > self.lease_ms / 3
            && self
                .renewed
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let (state, blob, until) = (self.state.clone(), self.blob.clone(), now + self.lease_ms);
            tokio::spawn(async move {
                if let Err(e) = state.catalog().renew_intent(blob.as_str(), until).await {
                    tracing::warn!(error = %e, "could not renew a blob write lease");
                }
            });
        }
    }

    /// The write failed or its result is not needed: delete the blob (if it
    /// became visible) and the intent. On failure the sweeper does it later.
    pub async fn abandon(&self) {
        if self.state.stores().primary.delete(&self.blob).await.is_ok() {
            let _ = self.state.catalog().clear_intent(self.blob.as_str()).await;
        }
    }
}
