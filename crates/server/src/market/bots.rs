//! Bots at run time, outside the exchange task: where their statuses are published, how
//! stored bots become runtime configurations and back, and how fast bots react.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use aetherion_bots::{BotConfig, BotState, BotStatus, BotUpdate, Ledger, RiskLimits, Signal};
use aetherion_exchange::AccountId;
use aetherion_model::{Amount, UnixMicros};
use aetherion_store::{BotRecord, BotRun};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

/// The latest status of every bot that has one since the server started, and a watch per
/// bot that someone streams.
#[derive(Default)]
pub struct BotHub {
    inner: Mutex<HubInner>,
}

#[derive(Default)]
struct HubInner {
    latest: HashMap<String, Arc<BotStatus>>,
    watchers: HashMap<String, watch::Sender<Arc<BotStatus>>>,
}

impl BotHub {
    pub fn publish(&self, status: BotStatus) {
        let status = Arc::new(status);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = inner.watchers.get(&status.bot_id) {
            if tx.receiver_count() == 0 {
                inner.watchers.remove(&status.bot_id);
            } else {
                tx.send_replace(status.clone());
            }
        }
        inner.latest.insert(status.bot_id.clone(), status);
    }

    /// The latest published status of a bot.
    pub fn latest(&self, bot_id: &str) -> Option<Arc<BotStatus>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).latest.get(bot_id).cloned()
    }

    /// Follows a bot's status, starting from `current` unless a newer one was published.
    pub fn watch(&self, bot_id: &str, current: BotStatus) -> watch::Receiver<Arc<BotStatus>> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let start = inner.latest.get(bot_id).cloned().unwrap_or_else(|| Arc::new(current));
        inner.watchers.entry(bot_id.to_owned()).or_insert_with(|| watch::Sender::new(start)).subscribe()
    }

    /// Forgets a deleted bot; its watchers see the channel close.
    pub fn remove(&self, bot_id: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.latest.remove(bot_id);
        inner.watchers.remove(bot_id);
    }
}

/// Delays from an event to the moment every running bot has reacted to it, in microseconds:
/// from a trade (its time in the exchange) and from a bar's scheduled close. Only the latest
/// [`KEPT_SAMPLES`] of each are kept, so a long-running server holds a few kilobytes.
#[derive(Default)]
pub struct ReactionStats {
    inner: Mutex<Samples>,
}

#[derive(Default, Clone, Debug)]
pub struct Samples {
    pub trade: VecDeque<i64>,
    pub bar: VecDeque<i64>,
}

/// Samples kept per kind.
pub const KEPT_SAMPLES: usize = 4096;

fn keep(samples: &mut VecDeque<i64>, micros: i64) {
    if samples.len() == KEPT_SAMPLES {
        samples.pop_front();
    }
    samples.push_back(micros);
}

impl ReactionStats {
    pub fn record_trade(&self, micros: i64) {
        keep(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()).trade, micros);
    }

    pub fn record_bar(&self, micros: i64) {
        keep(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()).bar, micros);
    }

    /// The samples kept, clearing them.
    pub fn take(&self) -> Samples {
        std::mem::take(&mut *self.inner.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Risk limits as stored (JSON in the bots table).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_position: Option<String>,
    #[serde(default)]
    pub stop_loss_percent: f64,
    #[serde(default)]
    pub take_profit_percent: f64,
    #[serde(default)]
    pub max_drawdown_percent: f64,
}

impl StoredLimits {
    pub fn from_limits(limits: &RiskLimits) -> Self {
        StoredLimits {
            max_position: limits.max_position.map(|q| q.to_string()),
            stop_loss_percent: limits.stop_loss_percent,
            take_profit_percent: limits.take_profit_percent,
            max_drawdown_percent: limits.max_drawdown_percent,
        }
    }

    pub fn to_limits(&self) -> RiskLimits {
        RiskLimits {
            max_position: self.max_position.as_deref().and_then(|q| q.parse().ok()),
            stop_loss_percent: self.stop_loss_percent,
            take_profit_percent: self.take_profit_percent,
            max_drawdown_percent: self.max_drawdown_percent,
        }
    }
}

/// A stored bot's parameters.
pub fn parameters_of(record: &BotRecord) -> BTreeMap<String, f64> {
    serde_json::from_str(&record.parameters).unwrap_or_default()
}

pub fn limits_of(record: &BotRecord) -> RiskLimits {
    serde_json::from_str::<StoredLimits>(&record.risk).unwrap_or_default().to_limits()
}

/// What the runtime needs to run a stored bot.
pub fn config_of(record: &BotRecord, account: AccountId) -> BotConfig {
    BotConfig {
        bot_id: record.run.bot_id.clone(),
        account,
        symbol: record.symbol.clone(),
        strategy: record.strategy.clone(),
        params: parameters_of(record),
        capital: record.capital,
        limits: limits_of(record),
    }
}

/// The stored books of a bot's run.
pub fn ledger_of(run: &BotRun) -> Ledger {
    Ledger {
        started_at: run.started_at.unwrap_or(run.status_at),
        cash: run.cash,
        position: run.position,
        cost: run.cost,
        realized_pnl: run.realized_pnl,
        fees: run.fees,
        trade_count: run.trade_count,
        peak_equity: run.peak_equity,
        last_signal: Signal::parse(&run.last_signal),
        orders_sent: run.orders_sent,
    }
}

/// A runtime update as stored.
pub fn run_record(update: &BotUpdate) -> BotRun {
    let s = &update.status;
    run_of(&s.bot_id, s.state, s.message.clone(), s.started_at, &update.ledger, s.updated_at)
}

fn run_of(bot_id: &str, state: BotState, message: String, started_at: Option<UnixMicros>, l: &Ledger, at: UnixMicros) -> BotRun {
    BotRun {
        bot_id: bot_id.to_owned(),
        state: state.as_str().to_owned(),
        message,
        started_at,
        cash: l.cash,
        position: l.position,
        cost: l.cost,
        realized_pnl: l.realized_pnl,
        fees: l.fees,
        trade_count: l.trade_count,
        peak_equity: l.peak_equity,
        last_signal: l.last_signal.as_str().to_owned(),
        orders_sent: l.orders_sent,
        status_at: at,
    }
}

/// The status of a bot that is not running, from its stored books, valued at `price`.
pub fn stored_status(run: &BotRun, price: Option<Amount>) -> BotStatus {
    let ledger = ledger_of(run);
    BotStatus {
        bot_id: run.bot_id.clone(),
        state: BotState::parse(&run.state).unwrap_or(BotState::Error),
        position: ledger.position,
        average_entry_price: ledger.average_entry_price(),
        cash: ledger.cash,
        equity: ledger.equity(price),
        realized_pnl: ledger.realized_pnl,
        unrealized_pnl: ledger.unrealized_pnl(price),
        trade_count: ledger.trade_count,
        open_orders: 0,
        last_signal: ledger.last_signal,
        message: run.message.clone(),
        started_at: run.started_at,
        updated_at: run.status_at,
    }
}

/// A fresh run's books: the capital, nothing else.
pub fn fresh_run(bot_id: &str, state: BotState, capital: Amount, at: UnixMicros) -> BotRun {
    run_of(bot_id, state, String::new(), None, &Ledger::new(capital, at), at)
}
