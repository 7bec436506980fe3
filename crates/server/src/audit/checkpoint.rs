//! Signed checkpoints of the audit chain: "entries `first_seq..=seq` exist
//! and entry `seq`'s MAC is `mac`", signed with the keyring's Ed25519 audit
//! key, kept in the catalog and written to the backup store as public JSON
//! (`audit/checkpoints/<seq>.json`), so that someone who can edit the
//! catalog but not the backup store cannot cut the newest entries off
//! unnoticed. Made by the background loop every `audit.checkpoint_secs`,
//! at seal and shutdown, and on demand.

use pixelunion_catalog::AuditCheckpointRow;
use pixelunion_store::CheckpointName;
use pixelunion_vault::audit::{Checkpoint, MAC_LEN};
use serde::{Deserialize, Serialize};

use super::{Error, Result};
use crate::AppState;
use crate::clock::now_secs;

/// A checkpoint as stored in the backup store (and shown by the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signed {
    /// format tag
    pub format: String,
    /// first chained entry
    pub first_seq: i64,
    /// last entry covered
    pub seq: i64,
    /// unix seconds
    pub at: i64,
    /// MAC of entry `seq` (hex)
    pub mac: String,
    /// Ed25519 signature of the checkpoint message (hex)
    pub signature: String,
    /// the public key it verifies with (hex)
    pub public_key: String,
}

/// The format tag of [`Signed`].
pub const FORMAT: &str = "pixelunion-audit-checkpoint-v1";

impl Signed {
    /// The signed message's fields, if well formed.
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        let mac: [u8; MAC_LEN] = hex::decode(&self.mac).ok()?.try_into().ok()?;
        Some(Checkpoint {
            first_seq: u64::try_from(self.first_seq).ok()?,
            seq: u64::try_from(self.seq).ok()?,
            at: self.at,
            mac,
        })
    }

    /// Whether the signature holds under `public_key` (hex).
    pub fn verifies_with(&self, public_key: &str) -> bool {
        let (Some(c), Ok(pk), Ok(sig)) = (
            self.checkpoint(),
            hex::decode(public_key),
            hex::decode(&self.signature),
        ) else {
            return false;
        };
        c.verify(&pk, &sig)
    }

    fn from_row(r: &AuditCheckpointRow, public_key: &str) -> Self {
        Signed {
            format: FORMAT.to_string(),
            first_seq: r.first_seq,
            seq: r.seq,
            at: r.at,
            mac: hex::encode(&r.mac),
            signature: hex::encode(&r.signature),
            public_key: public_key.to_string(),
        }
    }
}

/// The audit public key (hex), while unsealed.
pub fn public_key(state: &AppState) -> Option<String> {
    state
        .keys()
        .with_keyring(|k| k.audit_signer().ok().map(|s| hex::encode(s.public_key())))
        .flatten()
}

/// Signs the chain's head if it moved since the last checkpoint; returns
/// the new checkpoint. The catalog row comes first, then the backup copy
/// (a failed backup write is an error; the next run writes it again).
pub async fn make(state: &AppState) -> Result<Option<Signed>> {
    if state.keys().is_sealed() {
        return Err(Error::Sealed);
    }
    super::chain_pending(state).await?;
    let c = state.catalog();
    let Some(last) = c.recent_audit(1).await?.into_iter().next() else {
        return Ok(None);
    };
    let Some(mac) = last.mac.clone() else {
        return Ok(None);
    };
    let existing = c.audit_checkpoints().await?;
    let latest = existing.last();
    let pk = public_key(state).ok_or(Error::Sealed)?;
    if latest.is_some_and(|l| l.seq == last.seq) {
        // Nothing new; make sure the backup store has the latest one.
        if let Some(l) = latest {
            put(state, &Signed::from_row(l, &pk)).await?;
        }
        return Ok(None);
    }
    let first_seq = match existing.first() {
        Some(f) => f.first_seq,
        None => c.first_chained_audit_seq().await?.unwrap_or(last.seq),
    };
    let mac_arr: [u8; MAC_LEN] = mac
        .as_slice()
        .try_into()
        .map_err(|_| pixelunion_vault::VaultError::InvalidFormat("stored audit MAC length"))?;
    let cp = Checkpoint {
        first_seq: u64::try_from(first_seq).unwrap_or(0),
        seq: u64::try_from(last.seq).unwrap_or(0),
        at: now_secs(),
        mac: mac_arr,
    };
    let signature = state
        .keys()
        .with_keyring(|k| k.audit_signer().map(|s| s.sign(&cp)))
        .ok_or(Error::Sealed)??;
    let row = AuditCheckpointRow {
        seq: last.seq,
        first_seq,
        at: cp.at,
        mac,
        signature: signature.to_vec(),
    };
    c.add_audit_checkpoint(&row).await?;
    let signed = Signed::from_row(&row, &pk);
    put(state, &signed).await?;
    Ok(Some(signed))
}

async fn put(state: &AppState, s: &Signed) -> Result<()> {
    let body = serde_json::to_vec_pretty(s).unwrap_or_default();
    let name = CheckpointName(u64::try_from(s.seq).unwrap_or(0));
    state.stores().backup.put(&name, body.into()).await?;
    Ok(())
}

/// The checkpoints the backup store holds, lowest first (unreadable ones
/// are returned as `Err` with their sequence number).
pub async fn in_backup(state: &AppState) -> Result<Vec<std::result::Result<Signed, u64>>> {
    let backup = &state.stores().backup;
    let mut out = Vec::new();
    for name in backup.list_checkpoints().await? {
        let parsed = match backup.get(&name).await {
            Ok(bytes) => serde_json::from_slice::<Signed>(&bytes).map_err(|_| name.0),
            Err(_) => Err(name.0),
        };
        out.push(parsed);
    }
    Ok(out)
}

/// The background loop's tick: a checkpoint when unsealed and something
/// changed; failures are logged.
pub async fn tick(state: &AppState) {
    if state.keys().is_sealed() {
        return;
    }
    if let Err(e) = make(state).await {
        tracing::warn!(error = %e, "audit checkpoint failed");
    }
}
