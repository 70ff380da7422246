//! Event-driven backtesting over OHLCV bars, through the same [`Strategy`] interface as live
//! bots, and the performance metrics of a run.
//!
//! Architecture invariant: no IO, no async runtime, no clock; the same input gives
//! byte-identical results (no hash-map order, no time, no randomness; a [`sweep`] returns its
//! runs in job order whatever the threads did).
//!
//! # The event loop
//!
//! For each bar `i`, in time order:
//! 1. the broker fills the pending orders that can fill within bar `i`, in queue order, and
//!    reports each fill to [`Strategy::on_fill`];
//! 2. the equity is marked at bar `i`'s close and recorded;
//! 3. [`Strategy::on_bar`] sees bar `i` and the account, and records intents, which become
//!    orders for bar `i + 1` on. As in backtesting.py, intents count from bar `warmup + 1` on
//!    (the first bar with two values of every indicator); earlier ones are dropped.
//!
//! After the last bar, open trades are closed (or not) as [`Config::finalize`] says.
//!
//! # Fills
//!
//! - **Market** orders fill at the next bar's open.
//! - **Limit** orders fill when the bar reaches the limit (a buy when `low <= limit`, a sell when
//!   `high >= limit`), at the limit or at the open if the bar opened beyond it (a buy at
//!   `min(open, limit)`, a sell at `max(open, limit)`).
//! - **Stop** orders trigger when the bar trades through the stop (a buy when `high >= stop`, a
//!   sell when `low <= stop`) and fill at the stop, or at the open if the bar gapped past it (a
//!   buy at `max(open, stop)`, a sell at `min(open, stop)`).
//! - Limit and stop orders are good until canceled; `ClosePosition` puts one closing order per
//!   open trade at the front of the queue (newest trade first), filled at the next open.
//! - **Slippage** (a fraction) moves market fills, triggered stops and closes against the
//!   trader: buys at `price · (1 + s)`, sells at `price · (1 - s)`. Limit fills get none.
//!   backtesting.py's `spread` differs (it adjusts entries only); with `slippage = 0` the two
//!   agree.
//! - **Commission** (a fraction) is charged on the notional of every fill, entry and exit:
//!   `|units| · fill price · commission`. A trade's `commission` is both, its `pnl` and
//!   `return_pct` are net of both, as in backtesting.py.
//!
//! # Positions and sizing
//!
//! Quantities are whole lots of [`Config::lot_size`] units. One net position, no hedging: an
//! order first closes opposite trades, oldest first (partly if it is smaller), and the rest
//! opens a new trade. [`Size::Fraction`](aetherion_strategy::Size) `f` buys
//! `floor(margin · f / (lot price + lot commission))` lots, where `margin` is the equity minus
//! the value of open trades, both marked at the fill bar's close (backtesting.py's
//! `margin_available`); [`Size::ALL`](aetherion_strategy::Size::ALL) is `f = 1 - ε`, "nearly
//! all the cash". An order that cannot pay for its lots is dropped and counted in
//! [`BacktestResult::orders_canceled`]. Shorts are allowed whenever a strategy sells more than it
//! holds. If the equity falls to zero or below, everything is closed at that bar's close and
//! the run stops with zero equity.
//!
//! # Money is `f64` here
//!
//! The simulation computes cash, prices and equity in `f64`, in the same operations and order
//! as backtesting.py (which uses Python floats), so that the same strategy gives the same
//! trades and the same final equity to the last digits; exact `Amount`s would round
//! differently. Results leave the core as numbers; the server renders them as decimal strings.
//!
//! # Metrics
//!
//! [`Metrics`] follows backtesting.py 0.6's `compute_stats` (risk-free rate 0), on the
//! equity curve `E` (one value per bar) and the counted trades (returns `r` as fractions, net
//! profits `p`):
//! - `start`, `end`: first and last bar times; `duration = end - start` (microseconds).
//! - `exposure_time_pct`: share of bars with a counted trade open, entry and exit bars included.
//! - `equity_final = E[last]`, `equity_peak = max E`, `return_pct = (E[last] - E[0]) / E[0]`.
//! - `buy_hold_return_pct`: close to close from the bar `warmup` (the strategy's first bar
//!   with its indicators) to the last bar.
//! - Annualised figures come from the returns between the last equity of consecutive calendar
//!   days (UTC; weeks ending Sunday for weekly data, months or years for monthly or yearly data,
//!   judged from the median interval of the last 100 bars), `g` their geometric mean and `D` the
//!   periods per year: 365 if more than 60 % of 2/7 of the bars fall on weekends, else 252 (52,
//!   12 or 1 for weekly, monthly, yearly data). `return_ann_pct = (1 + g)^D - 1`;
//!   `volatility_ann_pct = sqrt((var + (1 + g)²)^D - (1 + g)^(2D))` with the sample variance of
//!   those returns; `sharpe_ratio = return_ann / volatility_ann`; `sortino_ratio = return_ann /
//!   (sqrt(mean(min(r, 0)²)) · sqrt(D))`; `calmar_ratio = return_ann / max drawdown`.
//! - `cagr_pct = (E[last] / E[0])^(1 / years) - 1`, years = (whole days + seconds / 86400) /
//!   365.25 of `duration`.
//! - Drawdown `dd = 1 - E / running max E`; `max_drawdown_pct = -max dd` (a negative number, as
//!   backtesting.py prints it). A drawdown period runs between two bars at a peak (`dd = 0`),
//!   or from the last one to the end, if at least one bar lies between; `avg_drawdown_pct` is
//!   minus the mean of the periods' deepest points, `max_`/`avg_drawdown_duration` their longest
//!   and mean length.
//! - Trades: `num_trades`; `win_rate_pct`: share with `p > 0`; `best_`/`worst_trade_pct`: max/min
//!   `r`; `avg_trade_pct`: geometric mean of `r` (0 if any `r <= -100 %`);
//!   `max_`/`avg_trade_duration` from entry to exit time; `profit_factor = Σ r⁺ / |Σ r⁻|` (on
//!   returns, as backtesting.py); `expectancy_pct`: arithmetic mean of `r`; `sqn = sqrt(n) ·
//!   mean(p) / std(p)` (sample deviation); `commissions`: their sum.
//! - Durations are rounded up to the resolution of the bar interval (the minute for minute bars,
//!   the hour for hourly ones, the day for daily ones), as backtesting.py does.
//! - Percentages are in percent (12.5 means 12.5 %). `None` where backtesting.py shows NaN
//!   (nothing to measure: no trades, less than two days) or an infinite ratio.
//!
//! # Not modelled
//!
//! Leverage and margin calls, hedging, stop-loss/take-profit brackets, trading on the bar's
//! own close, partial fills and volume limits.

mod broker;
mod config;
mod engine;
mod metrics;
mod result;
mod sweep;

pub use aetherion_strategy::{Bar, Strategy};
pub use config::{Config, ConfigError, Finalize};
pub use engine::{BacktestError, Control, Engine, Hooks, run, run_with, validate_bars};
pub use result::{BacktestResult, EquityPoint, Metrics, Trade};
pub use sweep::sweep;
