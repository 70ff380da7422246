use aetherion_model::UnixMicros;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// A stored backtest run; request and result are JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BacktestRecord {
    pub backtest_id: String,
    pub user_id: String,
    /// `backtest` or `optimization`.
    pub kind: String,
    pub status: String,
    pub request: String,
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_at: UnixMicros,
    pub updated_at: UnixMicros,
}

fn from_row(row: &AnyRow, with_result: bool) -> Result<BacktestRecord, StoreError> {
    Ok(BacktestRecord {
        backtest_id: row.try_get("backtest_id")?,
        user_id: row.try_get("user_id")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        request: row.try_get("request")?,
        result: if with_result { row.try_get("result")? } else { None },
        error: row.try_get("error")?,
        created_at: UnixMicros(row.try_get("created_at")?),
        updated_at: UnixMicros(row.try_get("updated_at")?),
    })
}

impl Store {
    /// Stores a run, or replaces its status, result and error.
    pub async fn upsert_backtest(&self, b: &BacktestRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO backtests (backtest_id, user_id, kind, status, request, result, error, created_at, updated_at) \
             VALUES ($1, $2, $9, $3, $4, $5, $6, $7, $8) ON CONFLICT (backtest_id) DO UPDATE SET \
             status = excluded.status, result = excluded.result, error = excluded.error, updated_at = excluded.updated_at",
        )
        .bind(&b.backtest_id)
        .bind(&b.user_id)
        .bind(&b.status)
        .bind(&b.request)
        .bind(&b.result)
        .bind(&b.error)
        .bind(b.created_at.0)
        .bind(b.updated_at.0)
        .bind(&b.kind)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn backtest(&self, user_id: &str, kind: &str, backtest_id: &str) -> Result<Option<BacktestRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT backtest_id, user_id, kind, status, request, result, error, created_at, updated_at FROM backtests \
             WHERE user_id = $1 AND backtest_id = $2 AND kind = $3",
        )
        .bind(user_id)
        .bind(backtest_id)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| from_row(r, true)).transpose()
    }

    /// A user's runs, newest first, without their results.
    pub async fn backtests(&self, user_id: &str, kind: &str) -> Result<Vec<BacktestRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT backtest_id, user_id, kind, status, request, error, created_at, updated_at FROM backtests \
             WHERE user_id = $1 AND kind = $2 ORDER BY created_at DESC, backtest_id DESC",
        )
        .bind(user_id)
        .bind(kind)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| from_row(r, false)).collect()
    }

    pub async fn delete_backtest(&self, user_id: &str, kind: &str, backtest_id: &str) -> Result<bool, StoreError> {
        let n = sqlx::query("DELETE FROM backtests WHERE user_id = $1 AND backtest_id = $2 AND kind = $3")
            .bind(user_id)
            .bind(backtest_id)
            .bind(kind)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
