//! Errors of the store layer.

/// What can go wrong with a blob store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Bad configuration (names the key).
    #[error("invalid store configuration: {0}")]
    Config(String),
    /// Not an object name this layer produces.
    #[error("invalid object name")]
    BadName,
    /// The object does not exist.
    #[error("object not found in the {0} store")]
    NotFound(&'static str),
    /// The store failed.
    #[error("{store} store error: {source}")]
    Backend {
        /// which store
        store: &'static str,
        /// cause
        #[source]
        source: object_store::Error,
    },
    /// Encryption or decryption failed (tampered or foreign object).
    #[error("blob rejected: {0}")]
    Vault(#[from] pixelunion_vault::VaultError),
    /// A replica's bytes read back differ from what was sent.
    #[error("the copy in the {0} store does not match the original")]
    ReplicaMismatch(&'static str),
    /// The plaintext source failed while streaming.
    #[error("upload source failed: {0}")]
    Source(String),
}

impl StoreError {
    pub(crate) fn backend(store: &'static str, e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => StoreError::NotFound(store),
            source => StoreError::Backend { store, source },
        }
    }
}

/// Result alias of the store layer.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
