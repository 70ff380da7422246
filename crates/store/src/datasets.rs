use aetherion_model::UnixMicros;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// A stored data set, without its bars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetInfo {
    pub dataset_id: String,
    pub user_id: String,
    pub name: String,
    pub rows: u64,
    pub start: UnixMicros,
    pub end: UnixMicros,
    pub created_at: UnixMicros,
}

fn info_from_row(row: &AnyRow) -> Result<DatasetInfo, StoreError> {
    Ok(DatasetInfo {
        dataset_id: row.try_get("dataset_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        rows: row.try_get::<i64, _>("rows")? as u64,
        start: UnixMicros(row.try_get("start_time")?),
        end: UnixMicros(row.try_get("end_time")?),
        created_at: UnixMicros(row.try_get("created_at")?),
    })
}

impl Store {
    pub async fn insert_dataset(&self, info: &DatasetInfo, bars: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO datasets (dataset_id, user_id, name, rows, start_time, end_time, bars, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&info.dataset_id)
        .bind(&info.user_id)
        .bind(&info.name)
        .bind(info.rows as i64)
        .bind(info.start.0)
        .bind(info.end.0)
        .bind(bars)
        .bind(info.created_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A user's data sets, newest first.
    pub async fn datasets(&self, user_id: &str) -> Result<Vec<DatasetInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT dataset_id, user_id, name, rows, start_time, end_time, created_at FROM datasets \
             WHERE user_id = $1 ORDER BY created_at DESC, dataset_id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(info_from_row).collect()
    }

    pub async fn dataset(&self, user_id: &str, dataset_id: &str) -> Result<Option<DatasetInfo>, StoreError> {
        let row = sqlx::query(
            "SELECT dataset_id, user_id, name, rows, start_time, end_time, created_at FROM datasets \
             WHERE user_id = $1 AND dataset_id = $2",
        )
        .bind(user_id)
        .bind(dataset_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(info_from_row).transpose()
    }

    /// The encoded bars of a user's data set.
    pub async fn dataset_bars(&self, user_id: &str, dataset_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_scalar("SELECT bars FROM datasets WHERE user_id = $1 AND dataset_id = $2")
            .bind(user_id)
            .bind(dataset_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Deletes a user's data set; false when there was none.
    pub async fn delete_dataset(&self, user_id: &str, dataset_id: &str) -> Result<bool, StoreError> {
        let n = sqlx::query("DELETE FROM datasets WHERE user_id = $1 AND dataset_id = $2")
            .bind(user_id)
            .bind(dataset_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
