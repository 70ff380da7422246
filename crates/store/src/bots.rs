//! Bots: settings written by the bot service, run books written by the exchange's commits.

use aetherion_model::{Amount, UnixMicros};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// The books of a bot's run, as the exchange task reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotRun {
    pub bot_id: String,
    /// `created`, `running`, `stopped` or `error`.
    pub state: String,
    pub message: String,
    pub started_at: Option<UnixMicros>,
    pub cash: Amount,
    pub position: Amount,
    pub cost: Amount,
    pub realized_pnl: Amount,
    pub fees: Amount,
    pub trade_count: u64,
    pub peak_equity: Amount,
    pub last_signal: String,
    pub orders_sent: u64,
    /// When the status last changed.
    pub status_at: UnixMicros,
}

/// A stored bot: its settings and its last run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotRecord {
    pub user_id: String,
    pub name: String,
    /// `bot` or `run`.
    pub kind: String,
    pub strategy: String,
    pub symbol: String,
    /// JSON text.
    pub parameters: String,
    pub capital: Amount,
    /// JSON text.
    pub risk: String,
    pub run: BotRun,
    pub created_at: UnixMicros,
    pub updated_at: UnixMicros,
}

const COLUMNS: &str = "bot_id, user_id, name, kind, strategy, symbol, parameters, capital, risk, state, message, started_at, \
     cash, position, cost, realized_pnl, fees, trade_count, peak_equity, last_signal, orders_sent, status_at, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<BotRecord, StoreError> {
    let amount = |name: &str| -> Result<Amount, StoreError> { Ok(Amount::from_raw(row.try_get(name)?)) };
    let count = |name: &str| -> Result<u64, StoreError> { Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0)) };
    Ok(BotRecord {
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        strategy: row.try_get("strategy")?,
        symbol: row.try_get("symbol")?,
        parameters: row.try_get("parameters")?,
        capital: amount("capital")?,
        risk: row.try_get("risk")?,
        run: BotRun {
            bot_id: row.try_get("bot_id")?,
            state: row.try_get("state")?,
            message: row.try_get("message")?,
            started_at: row.try_get::<Option<i64>, _>("started_at")?.map(UnixMicros),
            cash: amount("cash")?,
            position: amount("position")?,
            cost: amount("cost")?,
            realized_pnl: amount("realized_pnl")?,
            fees: amount("fees")?,
            trade_count: count("trade_count")?,
            peak_equity: amount("peak_equity")?,
            last_signal: row.try_get("last_signal")?,
            orders_sent: count("orders_sent")?,
            status_at: UnixMicros(row.try_get("status_at")?),
        },
        created_at: UnixMicros(row.try_get("created_at")?),
        updated_at: UnixMicros(row.try_get("updated_at")?),
    })
}

impl Store {
    /// Stores a new bot, or fails with [`StoreError::DuplicateBotName`].
    pub async fn insert_bot(&self, b: &BotRecord) -> Result<(), StoreError> {
        let sql = format!("INSERT INTO bots ({COLUMNS}) VALUES {}", crate::symbols::value_rows(1, 24));
        let r = &b.run;
        let query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&r.bot_id)
            .bind(&b.user_id)
            .bind(&b.name)
            .bind(&b.kind)
            .bind(&b.strategy)
            .bind(&b.symbol)
            .bind(&b.parameters)
            .bind(b.capital.raw())
            .bind(&b.risk);
        let result = bind_run(query, r)
            .bind(b.created_at.0)
            .bind(b.updated_at.0)
            .execute(&self.pool)
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if StoreError::is_unique_violation(&e) => Err(StoreError::DuplicateBotName),
            Err(e) => Err(e.into()),
        }
    }

    /// One of a user's bots.
    pub async fn bot(&self, user_id: &str, bot_id: &str) -> Result<Option<BotRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM bots WHERE user_id = $1 AND bot_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(bot_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(from_row).transpose()
    }

    /// A user's bots, newest first.
    pub async fn bots(&self, user_id: &str) -> Result<Vec<BotRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM bots WHERE user_id = $1 ORDER BY created_at DESC, bot_id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// Every bot that was running when the server last stopped.
    pub async fn running_bots(&self) -> Result<Vec<BotRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM bots WHERE state = 'running' ORDER BY created_at, bot_id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(from_row).collect()
    }

    /// Replaces a bot's settings (name, parameters, capital, risk) unless it is running.
    /// Returns false when there is no such bot of the user or it is running.
    pub async fn update_bot_settings(&self, b: &BotRecord) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE bots SET name = $1, parameters = $2, capital = $3, risk = $4, updated_at = $5 \
             WHERE bot_id = $6 AND user_id = $7 AND state <> 'running'",
        )
        .bind(&b.name)
        .bind(&b.parameters)
        .bind(b.capital.raw())
        .bind(&b.risk)
        .bind(b.updated_at.0)
        .bind(&b.run.bot_id)
        .bind(&b.user_id)
        .execute(&self.pool)
        .await;
        match result {
            Ok(r) => Ok(r.rows_affected() == 1),
            Err(e) if StoreError::is_unique_violation(&e) => Err(StoreError::DuplicateBotName),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a bot that is not running. Returns false when there is no such bot of the user
    /// or it is running.
    pub async fn delete_bot(&self, user_id: &str, bot_id: &str) -> Result<bool, StoreError> {
        let n = sqlx::query("DELETE FROM bots WHERE user_id = $1 AND bot_id = $2 AND state <> 'running'")
            .bind(user_id)
            .bind(bot_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}

/// Stores run books inside a commit's transaction. `updated_at` moves only with the state.
pub(crate) async fn store_runs(tx: &mut sqlx::Transaction<'_, sqlx::Any>, runs: &[BotRun]) -> Result<(), StoreError> {
    for r in runs {
        let query = sqlx::query(
            "UPDATE bots SET updated_at = CASE WHEN state = $1 THEN updated_at ELSE $13 END, state = $1, message = $2, \
             started_at = $3, cash = $4, position = $5, cost = $6, realized_pnl = $7, fees = $8, trade_count = $9, \
             peak_equity = $10, last_signal = $11, orders_sent = $12, status_at = $13 WHERE bot_id = $14",
        );
        bind_run(query, r).bind(&r.bot_id).execute(&mut **tx).await?;
    }
    Ok(())
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds a run's books in the order both statements list them (state .. status_at).
fn bind_run<'q>(query: AnyQuery<'q>, r: &'q BotRun) -> AnyQuery<'q> {
    query
        .bind(&r.state)
        .bind(&r.message)
        .bind(r.started_at.map(|t| t.0))
        .bind(r.cash.raw())
        .bind(r.position.raw())
        .bind(r.cost.raw())
        .bind(r.realized_pnl.raw())
        .bind(r.fees.raw())
        .bind(r.trade_count as i64)
        .bind(r.peak_equity.raw())
        .bind(&r.last_signal)
        .bind(r.orders_sent as i64)
        .bind(r.status_at.0)
}
