//! Writing a snapshot: every table of [`super::tables::TABLES`] read in one
//! consistent read transaction (a WAL read snapshot on SQLite, `REPEATABLE
//! READ` on PostgreSQL) and encoded row by row into pieces of about
//! [`PIECE`] bytes, handed over through a bounded channel: memory stays
//! constant however large the catalog is.

use bytes::Bytes;
use futures::{Stream, TryStreamExt};
use sqlx::Row;

use super::format::{ColType, Encoder, FORMAT_VERSION, Header, Value};
use super::tables::TABLES;
use crate::{Catalog, CatalogError, Result};

/// Bytes per piece handed to the writer.
pub const PIECE: usize = 256 << 10;

impl Catalog {
    /// A consistent snapshot of the catalog as a stream of encoded pieces
    /// (plaintext: encrypt it before it leaves the process). `created_ms`
    /// goes into its header.
    pub fn export_snapshot(
        &self,
        created_ms: i64,
    ) -> impl Stream<Item = Result<Bytes>> + Send + 'static + use<> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(2);
        let catalog = self.clone();
        tokio::spawn(async move {
            if let Err(e) = catalog.write_snapshot(&tx, created_ms).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|i| (i, rx)) })
    }

    async fn write_snapshot(
        &self,
        tx: &tokio::sync::mpsc::Sender<Result<Bytes>>,
        created_ms: i64,
    ) -> Result<()> {
        let send = |piece: Vec<u8>| async move {
            tx.send(Ok(Bytes::from(piece)))
                .await
                .map_err(|_| CatalogError::Reader("the snapshot's reader went away".into()))
        };
        let mut enc = Encoder::new(&Header {
            format: FORMAT_VERSION,
            schema: super::SCHEMA_VERSION,
            created_ms: u64::try_from(created_ms).unwrap_or(0),
            source: self.backend().into(),
        });
        let pg = matches!(self, Catalog::Postgres(_));
        with_pool!(self, p => {
            // started apart from the caller, like a writing transaction
            // (see `BeginWrite`): a cancelled start must not leave a
            // transaction open on a pooled connection
            let pool = p.clone();
            let mut txn = crate::detached_begin(async move { pool.begin().await }).await?;
            if pg {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *txn)
                    .await?;
            }
            for t in TABLES {
                let cols: Vec<(&str, ColType)> = t.columns.iter().map(|c| (c.name, c.ty)).collect();
                enc.table(t.name, &cols);
                let names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
                let q = format!("SELECT {} FROM {} ORDER BY {}", names.join(", "), t.name, t.order_by);
                let mut rows = sqlx::query(&q).fetch(&mut *txn);
                while let Some(row) = rows.try_next().await? {
                    let mut values = Vec::with_capacity(t.columns.len());
                    for (i, c) in t.columns.iter().enumerate() {
                        values.push(match (c.ty, c.int32) {
                            (ColType::Int, true) => row
                                .try_get::<Option<i32>, _>(i)?
                                .map_or(Value::Null, |v| Value::Int(i64::from(v))),
                            (ColType::Int, false) => {
                                row.try_get::<Option<i64>, _>(i)?.map_or(Value::Null, Value::Int)
                            }
                            (ColType::Text, _) => {
                                row.try_get::<Option<String>, _>(i)?.map_or(Value::Null, Value::Text)
                            }
                            (ColType::Bytes, _) => {
                                row.try_get::<Option<Vec<u8>>, _>(i)?.map_or(Value::Null, Value::Bytes)
                            }
                            (ColType::Bool, _) => {
                                row.try_get::<Option<bool>, _>(i)?.map_or(Value::Null, Value::Bool)
                            }
                        });
                    }
                    enc.row(&values);
                    if enc.buffered() >= PIECE {
                        send(enc.take()).await?;
                    }
                }
                drop(rows);
                enc.end_table();
            }
            txn.rollback().await?;
        });
        enc.finish();
        send(enc.take()).await
    }
}
