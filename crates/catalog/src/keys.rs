//! Key custody records: the sealed root key and the keyring.

use crate::BeginWrite as _;
use sqlx::Row;

use crate::{Catalog, CatalogError, Result};

/// One stored keyring version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringRow {
    /// keyring version
    pub version: u32,
    /// the version key wrapped by the root key
    pub wrapped: Vec<u8>,
    /// persisted usage count
    pub encryptions: u64,
}

fn to_u32(v: i32) -> Result<u32> {
    u32::try_from(v).map_err(|_| CatalogError::NotFound)
}

fn rows_to_keyring<R: Row>(rows: Vec<R>) -> Result<Vec<KeyringRow>>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|r| {
            Ok(KeyringRow {
                version: to_u32(r.try_get::<i32, _>(0)?)?,
                wrapped: r.try_get(1)?,
                encryptions: u64::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
            })
        })
        .collect()
}

impl Catalog {
    /// The sealed root record, if the vault was initialized.
    pub async fn sealed_root(&self) -> Result<Option<Vec<u8>>> {
        let q = "SELECT sealed_root FROM vault_seal WHERE id = 1";
        let v: Option<Vec<u8>> =
            with_pool!(self, p => sqlx::query_scalar(q).fetch_optional(p).await?);
        Ok(v)
    }

    /// Stores the first sealed root record and keyring version together, or
    /// fails with [`CatalogError::AlreadyInitialized`] and changes nothing.
    pub async fn initialize_vault(
        &self,
        sealed_root: &[u8],
        version: u32,
        wrapped: &[u8],
    ) -> Result<()> {
        let version = i32::try_from(version).map_err(|_| CatalogError::NotFound)?;
        let res: std::result::Result<(), sqlx::Error> = with_pool!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query("INSERT INTO vault_seal (id, sealed_root) VALUES (1, $1)")
                .bind(sealed_root)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO keyring (version, wrapped) VALUES ($1, $2)")
                .bind(version)
                .bind(wrapped)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await);
        res.map_err(|e| {
            if crate::dialect::is_unique_violation(&e) {
                CatalogError::AlreadyInitialized
            } else {
                CatalogError::Database(e)
            }
        })
    }

    /// Replaces the sealed root record (re-key).
    pub async fn replace_sealed_root(&self, sealed_root: &[u8]) -> Result<()> {
        let q =
            "UPDATE vault_seal SET sealed_root = $1, updated_at = CURRENT_TIMESTAMP WHERE id = 1";
        let n = with_pool!(self, p => sqlx::query(q).bind(sealed_root).execute(p).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Every keyring version, oldest first.
    pub async fn keyring(&self) -> Result<Vec<KeyringRow>> {
        let q = "SELECT version, wrapped, encryptions FROM keyring ORDER BY version";
        with_pool!(self, p => rows_to_keyring(sqlx::query(q).fetch_all(p).await?))
    }

    /// Adds a keyring version (after rotation).
    pub async fn add_keyring_version(&self, version: u32, wrapped: &[u8]) -> Result<()> {
        let version = i32::try_from(version).map_err(|_| CatalogError::NotFound)?;
        let q = "INSERT INTO keyring (version, wrapped) VALUES ($1, $2)";
        with_pool!(self, p => sqlx::query(q).bind(version).bind(wrapped).execute(p).await.map(|_| ())?);
        Ok(())
    }

    /// Persists a usage count; counts only ever grow.
    pub async fn record_key_usage(&self, version: u32, encryptions: u64) -> Result<()> {
        let n = i64::try_from(encryptions).unwrap_or(i64::MAX);
        let version = i32::try_from(version).map_err(|_| CatalogError::NotFound)?;
        // The one spelling difference between the backends: MAX vs GREATEST.
        let q = match self {
            Catalog::Sqlite(..) => {
                "UPDATE keyring SET encryptions = MAX(encryptions, $1) WHERE version = $2"
            }
            Catalog::Postgres(_) => {
                "UPDATE keyring SET encryptions = GREATEST(encryptions, $1) WHERE version = $2"
            }
        };
        with_pool!(self, p => sqlx::query(q).bind(n).bind(version).execute(p).await.map(|_| ())?);
        Ok(())
    }
}
