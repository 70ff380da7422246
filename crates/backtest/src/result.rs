use aetherion_model::{Side, UnixMicros};

/// A closed trade. Prices and money are `f64` (see the crate documentation on money).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trade {
    /// `Buy` for a long trade, `Sell` for a short one.
    pub side: Side,
    /// Quantity in units of the instrument (lots × lot size), always positive.
    pub size: f64,
    pub lots: u64,
    /// Index of the bar in which the trade was entered / exited.
    pub entry_bar: usize,
    pub exit_bar: usize,
    /// Open time of those bars.
    pub entry_time: UnixMicros,
    pub exit_time: UnixMicros,
    pub entry_price: f64,
    pub exit_price: f64,
    /// Profit in cash, net of both commissions.
    pub pnl: f64,
    /// Return in percent of the entry notional, net of both commissions (backtesting.py's
    /// `ReturnPct` × 100).
    pub return_pct: f64,
    /// Entry plus exit commission.
    pub commission: f64,
}

/// The account's equity at a bar's close.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EquityPoint {
    pub time: UnixMicros,
    pub equity: f64,
    /// Drawdown from the highest equity so far, in percent, zero or negative.
    pub drawdown_pct: f64,
}

/// The summary statistics of a run, named as in the REST API and defined as in
/// backtesting.py 0.6 (see the crate documentation for each definition). `None` is
/// backtesting.py's NaN (or an infinite ratio): not defined for this run. Durations are in
/// microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    pub start: UnixMicros,
    pub end: UnixMicros,
    pub duration: i64,
    pub exposure_time_pct: f64,
    pub equity_final: f64,
    pub equity_peak: f64,
    pub return_pct: f64,
    pub buy_hold_return_pct: f64,
    pub return_ann_pct: Option<f64>,
    pub volatility_ann_pct: Option<f64>,
    pub cagr_pct: Option<f64>,
    pub sharpe_ratio: Option<f64>,
    pub sortino_ratio: Option<f64>,
    pub calmar_ratio: Option<f64>,
    pub max_drawdown_pct: f64,
    pub avg_drawdown_pct: Option<f64>,
    pub max_drawdown_duration: Option<i64>,
    pub avg_drawdown_duration: Option<i64>,
    pub num_trades: usize,
    pub win_rate_pct: Option<f64>,
    pub best_trade_pct: Option<f64>,
    pub worst_trade_pct: Option<f64>,
    pub avg_trade_pct: Option<f64>,
    pub max_trade_duration: Option<i64>,
    pub avg_trade_duration: Option<i64>,
    pub profit_factor: Option<f64>,
    pub expectancy_pct: Option<f64>,
    pub sqn: Option<f64>,
    pub commissions: f64,
}

/// Everything a run produces.
#[derive(Clone, Debug, PartialEq)]
pub struct BacktestResult {
    pub metrics: Metrics,
    /// In the order they were closed.
    pub trades: Vec<Trade>,
    /// One point per bar.
    pub equity_curve: Vec<EquityPoint>,
    /// Orders the broker dropped: not enough margin for one lot, or malformed.
    pub orders_canceled: u64,
}
