//! Duplicate detection by the owner's keyed content index.

use crate::{Catalog, Result};

impl Catalog {
    /// Of the given content indexes, those the owner already has, with the
    /// asset ids.
    pub async fn assets_with_content(
        &self,
        owner: &str,
        indexes: &[Vec<u8>],
    ) -> Result<Vec<(Vec<u8>, String)>> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..indexes.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT content_index, id FROM assets WHERE owner_id = $1 AND content_index IN ({})",
            marks.join(", ")
        );
        let rows = with_pool!(self, p => {
            let mut q = sqlx::query_as(&sql).bind(owner);
            for i in indexes {
                q = q.bind(i.as_slice());
            }
            q.fetch_all(p).await?
        });
        Ok(rows)
    }
}
