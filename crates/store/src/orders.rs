//! Orders, fills, positions, equity points, and the one transaction that stores what a batch
//! of exchange activity changed.

use aetherion_market::candles::Candle;
use aetherion_model::{Amount, Side, UnixMicros};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// An order as stored: amounts in decimals, enums as their stable names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    pub order_id: String,
    pub seq: u64,
    pub user_id: String,
    pub client_order_id: Option<String>,
    pub bot_id: Option<String>,
    pub symbol: String,
    pub side: Side,
    /// `market`, `limit`, `stop` or `stop_limit`.
    pub order_type: String,
    pub price: Option<Amount>,
    pub stop_price: Option<Amount>,
    pub quantity: Amount,
    /// `gtc`, `ioc` or `fok`.
    pub time_in_force: String,
    pub post_only: bool,
    /// `new`, `partially_filled`, `filled`, `canceled`, `rejected` or `expired`.
    pub status: String,
    pub triggered: bool,
    pub filled_quantity: Amount,
    pub filled_notional: Amount,
    pub fees: Amount,
    pub reserved: Amount,
    pub reject_reason: Option<String>,
    pub created_at: UnixMicros,
    pub updated_at: UnixMicros,
}

/// A user's side of one trade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRecord {
    pub trade_id: String,
    pub order_id: String,
    pub user_id: String,
    pub symbol: String,
    pub side: Side,
    pub price: Amount,
    pub quantity: Amount,
    pub fee: Amount,
    /// `maker` or `taker`.
    pub liquidity: String,
    pub at: UnixMicros,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PositionRecord {
    pub symbol: String,
    pub quantity: Amount,
    pub cost: Amount,
    pub realized_pnl: Amount,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EquityPoint {
    pub at: UnixMicros,
    pub equity: Amount,
    pub cash: Amount,
    pub realized_pnl: Amount,
    pub unrealized_pnl: Amount,
}

/// Everything one group commit stores.
#[derive(Clone, Debug, Default)]
pub struct CommitBatch {
    pub orders: Vec<OrderRecord>,
    pub fills: Vec<FillRecord>,
    /// (user_id, asset, free, reserved)
    pub balances: Vec<(String, String, Amount, Amount)>,
    pub positions: Vec<(String, PositionRecord)>,
    pub fees: Vec<(String, Amount)>,
    pub equity: Vec<(String, EquityPoint)>,
    pub candles: Vec<(String, Candle)>,
    /// Books of bots' runs.
    pub bots: Vec<crate::BotRun>,
}

impl CommitBatch {
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
            && self.fills.is_empty()
            && self.balances.is_empty()
            && self.positions.is_empty()
            && self.fees.is_empty()
            && self.equity.is_empty()
            && self.candles.is_empty()
            && self.bots.is_empty()
    }

    pub fn append(&mut self, other: CommitBatch) {
        self.orders.extend(other.orders);
        self.fills.extend(other.fills);
        self.balances.extend(other.balances);
        self.positions.extend(other.positions);
        self.fees.extend(other.fees);
        self.equity.extend(other.equity);
        self.candles.extend(other.candles);
        self.bots.extend(other.bots);
    }
}

/// Filters of an order listing.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub symbol: Option<String>,
    pub open_only: bool,
    pub start: Option<UnixMicros>,
    pub end: Option<UnixMicros>,
}

macro_rules! select_orders {
    ($tail:literal) => {
        concat!(
            "SELECT order_id, seq, user_id, client_order_id, bot_id, symbol, side, order_type, price, stop_price, \
             quantity, time_in_force, post_only, status, triggered, filled_quantity, filled_notional, fees, reserved, \
             reject_reason, created_at, updated_at FROM orders ",
            $tail
        )
    };
}

fn side_of(text: &str) -> Result<Side, StoreError> {
    Side::parse(text).ok_or_else(|| StoreError::Corrupt(format!("side {text:?}")))
}

fn order_from_row(row: &AnyRow) -> Result<OrderRecord, StoreError> {
    let amount = |name: &str| -> Result<Amount, StoreError> { Ok(Amount::from_raw(row.try_get(name)?)) };
    let opt_amount = |name: &str| -> Result<Option<Amount>, StoreError> { Ok(row.try_get::<Option<i64>, _>(name)?.map(Amount::from_raw)) };
    let seq: i64 = row.try_get("seq")?;
    let side: String = row.try_get("side")?;
    Ok(OrderRecord {
        order_id: row.try_get("order_id")?,
        seq: seq as u64,
        user_id: row.try_get("user_id")?,
        client_order_id: row.try_get("client_order_id")?,
        bot_id: row.try_get("bot_id")?,
        symbol: row.try_get("symbol")?,
        side: side_of(&side)?,
        order_type: row.try_get("order_type")?,
        price: opt_amount("price")?,
        stop_price: opt_amount("stop_price")?,
        quantity: amount("quantity")?,
        time_in_force: row.try_get("time_in_force")?,
        post_only: row.try_get::<i64, _>("post_only")? != 0,
        status: row.try_get("status")?,
        triggered: row.try_get::<i64, _>("triggered")? != 0,
        filled_quantity: amount("filled_quantity")?,
        filled_notional: amount("filled_notional")?,
        fees: amount("fees")?,
        reserved: amount("reserved")?,
        reject_reason: row.try_get("reject_reason")?,
        created_at: UnixMicros(row.try_get("created_at")?),
        updated_at: UnixMicros(row.try_get("updated_at")?),
    })
}

fn equity_from_row(row: &AnyRow) -> Result<EquityPoint, StoreError> {
    Ok(EquityPoint {
        at: UnixMicros(row.try_get("at")?),
        equity: Amount::from_raw(row.try_get("equity")?),
        cash: Amount::from_raw(row.try_get("cash")?),
        realized_pnl: Amount::from_raw(row.try_get("realized_pnl")?),
        unrealized_pnl: Amount::from_raw(row.try_get("unrealized_pnl")?),
    })
}

fn fill_from_row(row: &AnyRow) -> Result<FillRecord, StoreError> {
    let side: String = row.try_get("side")?;
    Ok(FillRecord {
        trade_id: row.try_get("trade_id")?,
        order_id: row.try_get("order_id")?,
        user_id: row.try_get("user_id")?,
        symbol: row.try_get("symbol")?,
        side: side_of(&side)?,
        price: Amount::from_raw(row.try_get("price")?),
        quantity: Amount::from_raw(row.try_get("quantity")?),
        fee: Amount::from_raw(row.try_get("fee")?),
        liquidity: row.try_get("liquidity")?,
        at: UnixMicros(row.try_get("at")?),
    })
}

/// Rows per multi-row statement. Small on purpose: binding a statement's parameters through
/// sqlx's SQLite driver costs more than linearly in their number (see `benches/commit.rs`).
const ROWS_PER_STATEMENT: usize = 8;

/// The last entry for each key, in order of last appearance.
fn last_by_key<T: Clone, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut last = std::collections::HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| items[i].clone()).collect()
}

impl Store {
    /// Stores a group of changes in one transaction: on return they are durable. Later entries
    /// for the same order, balance, position or account win; rows go in multi-row statements.
    pub async fn commit(&self, batch: &CommitBatch) -> Result<(), StoreError> {
        let orders = last_by_key(&batch.orders, |o| o.order_id.clone());
        let balances = last_by_key(&batch.balances, |(u, a, _, _)| (u.clone(), a.clone()));
        let positions = last_by_key(&batch.positions, |(u, p)| (u.clone(), p.symbol.clone()));
        let fees = last_by_key(&batch.fees, |(u, _)| u.clone());
        let equity = last_by_key(&batch.equity, |(u, e)| (u.clone(), e.at));
        let bots = last_by_key(&batch.bots, |r| r.bot_id.clone());
        let mut tx = self.pool.begin().await?;
        for chunk in orders.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO orders (order_id, seq, user_id, client_order_id, bot_id, symbol, side, order_type, price, \
                 stop_price, quantity, time_in_force, post_only, status, triggered, filled_quantity, filled_notional, fees, \
                 reserved, reject_reason, created_at, updated_at) VALUES {} ON CONFLICT (order_id) DO UPDATE SET \
                 status = excluded.status, triggered = excluded.triggered, filled_quantity = excluded.filled_quantity, \
                 filled_notional = excluded.filled_notional, fees = excluded.fees, reserved = excluded.reserved, \
                 reject_reason = excluded.reject_reason, updated_at = excluded.updated_at",
                crate::symbols::value_rows(chunk.len(), 22)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for o in chunk {
                q = q
                    .bind(&o.order_id)
                    .bind(o.seq as i64)
                    .bind(&o.user_id)
                    .bind(&o.client_order_id)
                    .bind(&o.bot_id)
                    .bind(&o.symbol)
                    .bind(o.side.as_str())
                    .bind(&o.order_type)
                    .bind(o.price.map(Amount::raw))
                    .bind(o.stop_price.map(Amount::raw))
                    .bind(o.quantity.raw())
                    .bind(&o.time_in_force)
                    .bind(i64::from(o.post_only))
                    .bind(&o.status)
                    .bind(i64::from(o.triggered))
                    .bind(o.filled_quantity.raw())
                    .bind(o.filled_notional.raw())
                    .bind(o.fees.raw())
                    .bind(o.reserved.raw())
                    .bind(&o.reject_reason)
                    .bind(o.created_at.0)
                    .bind(o.updated_at.0);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in batch.fills.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO fills (trade_id, order_id, user_id, symbol, side, price, quantity, fee, liquidity, at) VALUES {}",
                crate::symbols::value_rows(chunk.len(), 10)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for f in chunk {
                q = q
                    .bind(&f.trade_id)
                    .bind(&f.order_id)
                    .bind(&f.user_id)
                    .bind(&f.symbol)
                    .bind(f.side.as_str())
                    .bind(f.price.raw())
                    .bind(f.quantity.raw())
                    .bind(f.fee.raw())
                    .bind(&f.liquidity)
                    .bind(f.at.0);
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in balances.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO balances (user_id, asset, free, reserved) VALUES {} \
                 ON CONFLICT (user_id, asset) DO UPDATE SET free = excluded.free, reserved = excluded.reserved",
                crate::symbols::value_rows(chunk.len(), 4)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (user_id, asset, free, reserved) in chunk {
                q = q.bind(user_id).bind(asset).bind(free.raw()).bind(reserved.raw());
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in positions.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO positions (user_id, symbol, quantity, cost, realized_pnl) VALUES {} \
                 ON CONFLICT (user_id, symbol) DO UPDATE SET quantity = excluded.quantity, cost = excluded.cost, \
                 realized_pnl = excluded.realized_pnl",
                crate::symbols::value_rows(chunk.len(), 5)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (user_id, p) in chunk {
                q = q.bind(user_id).bind(&p.symbol).bind(p.quantity.raw()).bind(p.cost.raw()).bind(p.realized_pnl.raw());
            }
            q.execute(&mut *tx).await?;
        }
        for (user_id, fees) in &fees {
            sqlx::query("UPDATE accounts SET fees_paid = $1 WHERE user_id = $2")
                .bind(fees.raw())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        for chunk in equity.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO equity_points (user_id, at, equity, cash, realized_pnl, unrealized_pnl) VALUES {} \
                 ON CONFLICT (user_id, at) DO UPDATE SET equity = excluded.equity, cash = excluded.cash, \
                 realized_pnl = excluded.realized_pnl, unrealized_pnl = excluded.unrealized_pnl",
                crate::symbols::value_rows(chunk.len(), 6)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (user_id, e) in chunk {
                q = q.bind(user_id).bind(e.at.0).bind(e.equity.raw()).bind(e.cash.raw()).bind(e.realized_pnl.raw()).bind(e.unrealized_pnl.raw());
            }
            q.execute(&mut *tx).await?;
        }
        crate::bots::store_runs(&mut tx, &bots).await?;
        tx.commit().await?;
        for (symbol, candle) in &batch.candles {
            self.upsert_candles(symbol, std::slice::from_ref(candle)).await?;
        }
        Ok(())
    }

    pub async fn order(&self, user_id: &str, order_id: &str) -> Result<Option<OrderRecord>, StoreError> {
        let row = sqlx::query(select_orders!("WHERE user_id = $1 AND order_id = $2"))
            .bind(user_id)
            .bind(order_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(order_from_row).transpose()
    }

    pub async fn order_by_client_id(&self, user_id: &str, client_order_id: &str) -> Result<Option<OrderRecord>, StoreError> {
        let row = sqlx::query(select_orders!("WHERE user_id = $1 AND client_order_id = $2"))
            .bind(user_id)
            .bind(client_order_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(order_from_row).transpose()
    }

    /// Every order still working, oldest first: what goes back into the books at start-up.
    pub async fn open_orders(&self) -> Result<Vec<OrderRecord>, StoreError> {
        let rows = sqlx::query(select_orders!("WHERE status IN ('new', 'partially_filled') ORDER BY seq"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(order_from_row).collect()
    }

    pub async fn max_order_seq(&self) -> Result<u64, StoreError> {
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM orders").fetch_one(&self.pool).await?;
        Ok(max.unwrap_or(0) as u64)
    }

    /// A user's orders, newest first, after the cursor `(created_at, order_id)`.
    pub async fn list_orders(
        &self,
        user_id: &str,
        filter: &OrderFilter,
        after: Option<(UnixMicros, String)>,
        limit: i64,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let (cursor_t, cursor_id) = after.unwrap_or((UnixMicros(i64::MAX), String::new()));
        let rows = sqlx::query(select_orders!(
            "WHERE user_id = $1 AND ($2 = '' OR symbol = $2) AND ($3 = 0 OR status = 'new' OR status = 'partially_filled') \
             AND created_at >= $4 AND created_at < $5 \
             AND (created_at < $6 OR (created_at = $6 AND ($7 = '' OR order_id < $7))) \
             ORDER BY created_at DESC, order_id DESC LIMIT $8"
        ))
        .bind(user_id)
        .bind(filter.symbol.as_deref().unwrap_or(""))
        .bind(i64::from(filter.open_only))
        .bind(filter.start.map_or(i64::MIN, |t| t.0))
        .bind(filter.end.map_or(i64::MAX, |t| t.0))
        .bind(cursor_t.0)
        .bind(cursor_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(order_from_row).collect()
    }

    /// A user's fills, newest first, after the cursor `(at, trade_id, order_id)`.
    pub async fn list_fills(
        &self,
        user_id: &str,
        symbol: Option<&str>,
        start: Option<UnixMicros>,
        end: Option<UnixMicros>,
        after: Option<(UnixMicros, String)>,
        limit: i64,
    ) -> Result<Vec<FillRecord>, StoreError> {
        let (cursor_t, cursor_key) = after.unwrap_or((UnixMicros(i64::MAX), String::new()));
        let rows = sqlx::query(
            "SELECT trade_id, order_id, user_id, symbol, side, price, quantity, fee, liquidity, at FROM fills \
             WHERE user_id = $1 AND ($2 = '' OR symbol = $2) AND at >= $3 AND at < $4 \
             AND (at < $5 OR (at = $5 AND ($6 = '' OR trade_id || '/' || order_id < $6))) \
             ORDER BY at DESC, trade_id DESC, order_id DESC LIMIT $7",
        )
        .bind(user_id)
        .bind(symbol.unwrap_or(""))
        .bind(start.map_or(i64::MIN, |t| t.0))
        .bind(end.map_or(i64::MAX, |t| t.0))
        .bind(cursor_t.0)
        .bind(cursor_key)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(fill_from_row).collect()
    }

    pub async fn positions(&self, user_id: &str) -> Result<Vec<PositionRecord>, StoreError> {
        let rows = sqlx::query("SELECT symbol, quantity, cost, realized_pnl FROM positions WHERE user_id = $1 ORDER BY symbol")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(PositionRecord {
                    symbol: row.try_get("symbol")?,
                    quantity: Amount::from_raw(row.try_get("quantity")?),
                    cost: Amount::from_raw(row.try_get("cost")?),
                    realized_pnl: Amount::from_raw(row.try_get("realized_pnl")?),
                })
            })
            .collect()
    }

    pub async fn fees_paid(&self, user_id: &str) -> Result<Amount, StoreError> {
        let fees: Option<i64> = sqlx::query_scalar("SELECT fees_paid FROM accounts WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Amount::from_raw(fees.unwrap_or(0)))
    }

    /// Equity points of a user with `start <= at < end`, oldest first, at most `limit`.
    pub async fn equity_points(&self, user_id: &str, start: UnixMicros, end: UnixMicros, limit: i64) -> Result<Vec<EquityPoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, equity, cash, realized_pnl, unrealized_pnl FROM equity_points \
             WHERE user_id = $1 AND at >= $2 AND at < $3 ORDER BY at LIMIT $4",
        )
        .bind(user_id)
        .bind(start.0)
        .bind(end.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(equity_from_row).collect()
    }

    /// The last equity point before `t`, to carry a curve into a range.
    pub async fn equity_point_before(&self, user_id: &str, t: UnixMicros) -> Result<Option<EquityPoint>, StoreError> {
        let row = sqlx::query(
            "SELECT at, equity, cash, realized_pnl, unrealized_pnl FROM equity_points \
             WHERE user_id = $1 AND at < $2 ORDER BY at DESC LIMIT 1",
        )
        .bind(user_id)
        .bind(t.0)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(equity_from_row).transpose()
    }

    /// Gives every account without one a number, in the order the accounts were opened.
    pub async fn assign_account_numbers(&self) -> Result<(), StoreError> {
        let missing: Vec<String> = sqlx::query_scalar("SELECT user_id FROM accounts WHERE account_no IS NULL ORDER BY created_at, user_id")
            .fetch_all(&self.pool)
            .await?;
        for user_id in missing {
            sqlx::query("UPDATE accounts SET account_no = (SELECT COALESCE(MAX(account_no), 999) + 1 FROM accounts) WHERE user_id = $1")
                .bind(&user_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// `(user_id, account_no)` of every account.
    pub async fn account_numbers(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query("SELECT user_id, account_no FROM accounts WHERE account_no IS NOT NULL")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("user_id")?, row.try_get::<i64, _>("account_no")? as u64)))
            .collect()
    }

    /// Every balance of every account: `(user_id, asset, free, reserved)`.
    pub async fn all_balances(&self) -> Result<Vec<(String, String, Amount, Amount)>, StoreError> {
        let rows = sqlx::query("SELECT user_id, asset, free, reserved FROM balances").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("user_id")?,
                    row.try_get("asset")?,
                    Amount::from_raw(row.try_get("free")?),
                    Amount::from_raw(row.try_get("reserved")?),
                ))
            })
            .collect()
    }

    /// Every position of every account: `(user_id, position)`.
    pub async fn all_positions(&self) -> Result<Vec<(String, PositionRecord)>, StoreError> {
        let rows = sqlx::query("SELECT user_id, symbol, quantity, cost, realized_pnl FROM positions").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("user_id")?,
                    PositionRecord {
                        symbol: row.try_get("symbol")?,
                        quantity: Amount::from_raw(row.try_get("quantity")?),
                        cost: Amount::from_raw(row.try_get("cost")?),
                        realized_pnl: Amount::from_raw(row.try_get("realized_pnl")?),
                    },
                ))
            })
            .collect()
    }

    /// Fees paid by every account: `(user_id, fees)`.
    pub async fn all_fees(&self) -> Result<Vec<(String, Amount)>, StoreError> {
        let rows = sqlx::query("SELECT user_id, fees_paid FROM accounts").fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((row.try_get("user_id")?, Amount::from_raw(row.try_get("fees_paid")?)))).collect()
    }
}
