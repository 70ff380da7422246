use aetherion_market::candles::Candle;
use aetherion_model::{Amount, UnixMicros};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// Whether a symbol trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolStatus {
    Trading,
    Halted,
}

impl SymbolStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            SymbolStatus::Trading => "trading",
            SymbolStatus::Halted => "halted",
        }
    }
}

/// A symbol as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolRecord {
    pub symbol: String,
    pub base_asset: String,
    pub quote_asset: String,
    pub tick_size: Amount,
    pub lot_size: Amount,
    pub min_notional: Amount,
    /// Fractions with eight decimals (0.001 = 0.1%).
    pub maker_fee_rate: Amount,
    pub taker_fee_rate: Amount,
    pub initial_price: Amount,
    pub status: SymbolStatus,
    pub created_at: UnixMicros,
}

fn symbol_from_row(row: &AnyRow) -> Result<SymbolRecord, StoreError> {
    let amount = |name: &str| -> Result<Amount, StoreError> { Ok(Amount::from_raw(row.try_get(name)?)) };
    let status: String = row.try_get("status")?;
    Ok(SymbolRecord {
        symbol: row.try_get("symbol")?,
        base_asset: row.try_get("base_asset")?,
        quote_asset: row.try_get("quote_asset")?,
        tick_size: amount("tick_size")?,
        lot_size: amount("lot_size")?,
        min_notional: amount("min_notional")?,
        maker_fee_rate: amount("maker_fee_rate")?,
        taker_fee_rate: amount("taker_fee_rate")?,
        initial_price: amount("initial_price")?,
        status: match status.as_str() {
            "trading" => SymbolStatus::Trading,
            "halted" => SymbolStatus::Halted,
            other => return Err(StoreError::Corrupt(format!("symbols.status {other:?}"))),
        },
        created_at: UnixMicros(row.try_get("created_at")?),
    })
}

fn candle_from_row(row: &AnyRow) -> Result<Candle, StoreError> {
    let amount = |name: &str| -> Result<Amount, StoreError> { Ok(Amount::from_raw(row.try_get(name)?)) };
    let trades: i64 = row.try_get("trade_count")?;
    Ok(Candle {
        open_time: UnixMicros(row.try_get("open_time")?),
        open: amount("open")?,
        high: amount("high")?,
        low: amount("low")?,
        close: amount("close")?,
        volume: amount("volume")?,
        trade_count: u64::try_from(trades).unwrap_or(0),
    })
}

/// `($1, .., $width), ($width+1, ..), ...` for `rows` rows: only numbers, never data.
pub(crate) fn value_rows(rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * width + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Rows per multi-row INSERT: binding costs more than linearly in the number of parameters.
const CANDLES_PER_STATEMENT: usize = 32;

impl Store {
    /// Stores a new symbol, or fails with [`StoreError::DuplicateSymbol`].
    pub async fn insert_symbol(&self, s: &SymbolRecord) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO symbols (symbol, base_asset, quote_asset, tick_size, lot_size, min_notional, \
             maker_fee_rate, taker_fee_rate, initial_price, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&s.symbol)
        .bind(&s.base_asset)
        .bind(&s.quote_asset)
        .bind(s.tick_size.raw())
        .bind(s.lot_size.raw())
        .bind(s.min_notional.raw())
        .bind(s.maker_fee_rate.raw())
        .bind(s.taker_fee_rate.raw())
        .bind(s.initial_price.raw())
        .bind(s.status.as_str())
        .bind(s.created_at.0)
        .execute(&self.pool)
        .await;
        match result {
            Err(e) if StoreError::is_unique_violation(&e) => Err(StoreError::DuplicateSymbol),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    /// Every symbol, trading or halted, by name.
    pub async fn symbols(&self) -> Result<Vec<SymbolRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT symbol, base_asset, quote_asset, tick_size, lot_size, min_notional, maker_fee_rate, \
             taker_fee_rate, initial_price, status, created_at FROM symbols ORDER BY symbol",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(symbol_from_row).collect()
    }

    /// Sets a symbol's status; false when there is no such symbol.
    pub async fn set_symbol_status(&self, symbol: &str, status: SymbolStatus, now: UnixMicros) -> Result<bool, StoreError> {
        let n = sqlx::query("UPDATE symbols SET status = $1, updated_at = $2 WHERE symbol = $3")
            .bind(status.as_str())
            .bind(now.0)
            .bind(symbol)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Stores candles, replacing any stored for the same minute.
    pub async fn upsert_candles(&self, symbol: &str, candles: &[Candle]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for chunk in candles.chunks(CANDLES_PER_STATEMENT) {
            // Numbered placeholders ($1, $2, ...) work on both backends; sqlx's QueryBuilder
            // would write `?` for the Any driver, which PostgreSQL refuses.
            let sql = format!(
                "INSERT INTO candles (symbol, open_time, open, high, low, close, volume, trade_count) VALUES {} \
                 ON CONFLICT (symbol, open_time) DO UPDATE SET open = excluded.open, high = excluded.high, \
                 low = excluded.low, close = excluded.close, volume = excluded.volume, \
                 trade_count = excluded.trade_count",
                value_rows(chunk.len(), 8)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                query = query
                    .bind(symbol)
                    .bind(c.open_time.0)
                    .bind(c.open.raw())
                    .bind(c.high.raw())
                    .bind(c.low.raw())
                    .bind(c.close.raw())
                    .bind(c.volume.raw())
                    .bind(i64::try_from(c.trade_count).unwrap_or(i64::MAX));
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One-minute candles of `symbol` with `start <= open_time < end`, oldest first. With
    /// `newest`, the last `limit` of them; otherwise the first `limit`.
    pub async fn candles(
        &self,
        symbol: &str,
        start: UnixMicros,
        end: UnixMicros,
        limit: i64,
        newest: bool,
    ) -> Result<Vec<Candle>, StoreError> {
        let rows = if newest {
            sqlx::query(
                "SELECT open_time, open, high, low, close, volume, trade_count FROM candles \
                 WHERE symbol = $1 AND open_time >= $2 AND open_time < $3 ORDER BY open_time DESC LIMIT $4",
            )
        } else {
            sqlx::query(
                "SELECT open_time, open, high, low, close, volume, trade_count FROM candles \
                 WHERE symbol = $1 AND open_time >= $2 AND open_time < $3 ORDER BY open_time ASC LIMIT $4",
            )
        }
        .bind(symbol)
        .bind(start.0)
        .bind(end.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut candles = rows.iter().map(candle_from_row).collect::<Result<Vec<_>, _>>()?;
        if newest {
            candles.reverse();
        }
        Ok(candles)
    }

    /// The most recent stored candle of `symbol`.
    pub async fn last_candle(&self, symbol: &str) -> Result<Option<Candle>, StoreError> {
        Ok(self.candles(symbol, UnixMicros(i64::MIN), UnixMicros(i64::MAX), 1, true).await?.pop())
    }
}
