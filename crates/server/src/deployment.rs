//! Which deployment a node serves, and refusing to start on someone
//! else's. A deployment is named by a hash of its first keyring entry's
//! ciphertext — made at initialisation, never rewritten (rotation adds
//! versions, re-keying the shares re-wraps only the root key) and carried
//! by snapshots, so a restored service is the same deployment. The id is
//! public: it says nothing about keys or content.
//!
//! At start-up the node compares it with what its data directory last
//! served (`DATA_DIR/deployment`) and with the claim in each store
//! (`meta/deployment`): a node pointed at a catalog initialised by another
//! deployment, or at a store that holds another deployment's objects, stops
//! with a message saying which and what to do. A store without a claim
//! (new, or from before claims existed) is claimed; a store that cannot be
//! read is logged and left for the readiness check, as a node must start
//! while a backup site is down.

use std::path::Path;
use std::time::Duration;

use pixelunion_catalog::Catalog;
use pixelunion_store::{BlobStore, Stores};

use crate::ServerError;

/// How long a store may take to say whom it belongs to.
const STORE_WAIT: Duration = Duration::from_secs(10);
const DOMAIN: &[u8] = b"pixelunion deployment v1\0";
const RECORD: &str = "deployment";

/// The deployment the catalog belongs to (`None` before initialisation).
pub async fn id(catalog: &Catalog) -> Result<Option<String>, ServerError> {
    let ring = catalog.keyring().await?;
    Ok(ring.iter().min_by_key(|r| r.version).map(|first| {
        let mut input = DOMAIN.to_vec();
        input.extend_from_slice(&first.wrapped);
        hex::encode(&pixelunion_vault::sha256(&input)[..16])
    }))
}

/// Refuses a data directory or a store of another deployment; records and
/// claims them otherwise.
pub async fn check(data_dir: &Path, catalog: &Catalog, stores: &Stores) -> Result<(), ServerError> {
    let Some(ours) = id(catalog).await? else {
        return Ok(());
    };
    check_record(data_dir, &ours)?;
    for store in [&stores.primary, &stores.backup] {
        check_store(store, &ours).await?;
    }
    tracing::info!(deployment = %ours, "deployment checked");
    Ok(())
}

fn check_record(data_dir: &Path, ours: &str) -> Result<(), ServerError> {
    let path = data_dir.join(RECORD);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim() == ours => Ok(()),
        Ok(text) => Err(ServerError::WrongDeployment(format!(
            "the catalog (database_url) belongs to deployment {ours}, but this node's data directory served deployment {}: \
             point database_url at that deployment's catalog, or, to move this node deliberately, delete {}",
            text.trim(),
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::write(&path, format!("{ours}\n")).map_err(|source| ServerError::DataDir {
                path: path.clone(),
                source,
            })
        }
        Err(source) => Err(ServerError::DataDir { path, source }),
    }
}

/// `f`, given at most [`STORE_WAIT`]; what went wrong as text.
async fn within<T>(
    f: impl std::future::Future<Output = Result<T, pixelunion_store::StoreError>>,
) -> Result<T, String> {
    match tokio::time::timeout(STORE_WAIT, f).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer in {} s", STORE_WAIT.as_secs())),
    }
}

async fn check_store(store: &BlobStore, ours: &str) -> Result<(), ServerError> {
    let label = store.label();
    match within(store.deployment()).await {
        Ok(Some(theirs)) if theirs == ours => {}
        Ok(Some(theirs)) => {
            return Err(ServerError::WrongDeployment(format!(
                "the {label} store holds the objects of deployment {theirs}, but the catalog belongs to deployment {ours}: \
                 check the [{label}] section (endpoint, bucket or path)"
            )));
        }
        Ok(None) => match within(store.set_deployment(ours)).await {
            Ok(()) => {
                tracing::info!(store = label, deployment = %ours, "store claimed for this deployment")
            }
            Err(why) => {
                tracing::warn!(store = label, %why, "could not claim the store for this deployment")
            }
        },
        Err(why) => {
            tracing::warn!(store = label, %why, "could not read which deployment the store belongs to: unchecked")
        }
    }
    Ok(())
}
