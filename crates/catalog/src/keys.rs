//! Key custody records: the sealed root key and the keyring.

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

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Catalog {
    /// The sealed root record, if the vault was initialized.
    pub async fn sealed_root(&self) -> Result<Option<Vec<u8>>> {
        let q = "SELECT sealed_root FROM vault_seal WHERE id = 1";
        let row = match self {
            Catalog::Sqlite(p) => sqlx::query(q)
                .fetch_optional(p)
                .await?
                .map(|r| r.try_get(0)),
            Catalog::Postgres(p) => sqlx::query(q)
                .fetch_optional(p)
                .await?
                .map(|r| r.try_get(0)),
        };
        Ok(row.transpose()?)
    }

    /// Stores the first sealed root record and keyring version together, or
    /// fails with [`CatalogError::AlreadyInitialized`] and changes nothing.
    pub async fn initialize_vault(
        &self,
        sealed_root: &[u8],
        version: u32,
        wrapped: &[u8],
    ) -> Result<()> {
        let ins_seal = "INSERT INTO vault_seal (id, sealed_root) VALUES (1, $1)";
        let ins_key = "INSERT INTO keyring (version, wrapped) VALUES ($1, $2)";
        let v = i64::from(version);
        let res = match self {
            Catalog::Sqlite(p) => {
                let mut tx = p.begin().await?;
                let r = async {
                    sqlx::query(ins_seal)
                        .bind(sealed_root)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(ins_key)
                        .bind(v)
                        .bind(wrapped)
                        .execute(&mut *tx)
                        .await?;
                    Ok::<_, sqlx::Error>(())
                }
                .await;
                match r {
                    Ok(()) => tx.commit().await,
                    Err(e) => Err(e),
                }
            }
            Catalog::Postgres(p) => {
                let mut tx = p.begin().await?;
                let r = async {
                    sqlx::query(ins_seal)
                        .bind(sealed_root)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(ins_key)
                        .bind(v as i32)
                        .bind(wrapped)
                        .execute(&mut *tx)
                        .await?;
                    Ok::<_, sqlx::Error>(())
                }
                .await;
                match r {
                    Ok(()) => tx.commit().await,
                    Err(e) => Err(e),
                }
            }
        };
        res.map_err(|e| {
            if is_unique_violation(&e) {
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
        let n = match self {
            Catalog::Sqlite(p) => sqlx::query(q)
                .bind(sealed_root)
                .execute(p)
                .await?
                .rows_affected(),
            Catalog::Postgres(p) => sqlx::query(q)
                .bind(sealed_root)
                .execute(p)
                .await?
                .rows_affected(),
        };
        if n == 1 {
            Ok(())
        } else {
            Err(CatalogError::NotFound)
        }
    }

    /// Every keyring version, oldest first.
    pub async fn keyring(&self) -> Result<Vec<KeyringRow>> {
        let q = "SELECT version, wrapped, encryptions FROM keyring ORDER BY version";
        let rows = match self {
            Catalog::Sqlite(p) => sqlx::query(q).fetch_all(p).await?,
            Catalog::Postgres(p) => {
                return sqlx::query(q)
                    .fetch_all(p)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok(KeyringRow {
                            version: u32::try_from(r.try_get::<i32, _>(0)?)
                                .map_err(|_| CatalogError::NotFound)?,
                            wrapped: r.try_get(1)?,
                            encryptions: u64::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
                        })
                    })
                    .collect();
            }
        };
        rows.iter()
            .map(|r| {
                Ok(KeyringRow {
                    version: u32::try_from(r.try_get::<i64, _>(0)?)
                        .map_err(|_| CatalogError::NotFound)?,
                    wrapped: r.try_get(1)?,
                    encryptions: u64::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Adds a keyring version (after rotation).
    pub async fn add_keyring_version(&self, version: u32, wrapped: &[u8]) -> Result<()> {
        let q = "INSERT INTO keyring (version, wrapped) VALUES ($1, $2)";
        match self {
            Catalog::Sqlite(p) => sqlx::query(q)
                .bind(i64::from(version))
                .bind(wrapped)
                .execute(p)
                .await
                .map(|_| ())?,
            Catalog::Postgres(p) => sqlx::query(q)
                .bind(version as i32)
                .bind(wrapped)
                .execute(p)
                .await
                .map(|_| ())?,
        };
        Ok(())
    }

    /// Persists a usage count; counts only ever grow.
    pub async fn record_key_usage(&self, version: u32, encryptions: u64) -> Result<()> {
        let n = i64::try_from(encryptions).unwrap_or(i64::MAX);
        match self {
            Catalog::Sqlite(p) => sqlx::query(
                "UPDATE keyring SET encryptions = MAX(encryptions, $1) WHERE version = $2",
            )
            .bind(n)
            .bind(i64::from(version))
            .execute(p)
            .await
            .map(|_| ())?,
            Catalog::Postgres(p) => sqlx::query(
                "UPDATE keyring SET encryptions = GREATEST(encryptions, $1) WHERE version = $2",
            )
            .bind(n)
            .bind(version as i32)
            .execute(p)
            .await
            .map(|_| ())?,
        };
        Ok(())
    }
}
