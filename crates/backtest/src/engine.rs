//! The event loop: bar by bar, fill what the broker holds, mark the equity, ask the strategy.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use aetherion_model::{Side, UnixMicros};
use aetherion_strategy::{Bar, Context, Strategy};
use thiserror::Error;

use crate::broker::Broker;
use crate::config::{Config, ConfigError, Finalize};
use crate::metrics;
use crate::result::{BacktestResult, EquityPoint, Metrics, Trade};

/// Bars between two progress reports and cancellation checks.
const CHECK_EVERY: usize = 1 << 16;

/// Why a run did not produce a result.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum BacktestError {
    #[error("there are no bars")]
    NoBars,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("bar {index}: {reason}")]
    InvalidBar { index: usize, reason: &'static str },
    #[error("the run was canceled")]
    Canceled,
}

/// Progress reporting and cancellation for long runs. Both are polled every 65,536 bars (and
/// after each run of a sweep); the default methods do nothing.
pub trait Hooks: Sync {
    /// The fraction done, in `[0, 1]`; 1 is reported once the result is ready.
    fn progress(&self, _fraction: f64) {}
    /// Answer `true` to stop: the run returns [`BacktestError::Canceled`].
    fn is_canceled(&self) -> bool {
        false
    }
}

impl Hooks for () {}

/// A ready-made [`Hooks`] to share between a run and whoever watches it.
#[derive(Debug, Default)]
pub struct Control {
    canceled: AtomicBool,
    progress: AtomicU64,
}

impl Control {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.canceled.store(true, Ordering::Relaxed);
    }

    /// The last fraction reported.
    pub fn fraction_done(&self) -> f64 {
        f64::from_bits(self.progress.load(Ordering::Relaxed))
    }
}

impl Hooks for Control {
    fn progress(&self, fraction: f64) {
        self.progress.store(fraction.to_bits(), Ordering::Relaxed);
    }

    fn is_canceled(&self) -> bool {
        self.canceled.load(Ordering::Relaxed)
    }
}

/// Checks that the bars can be simulated: times strictly increasing, prices finite and
/// positive, `low <= high`, volume finite and not negative.
pub fn validate_bars(bars: &[Bar]) -> Result<(), BacktestError> {
    if bars.is_empty() {
        return Err(BacktestError::NoBars);
    }
    let mut previous = None;
    for (index, bar) in bars.iter().enumerate() {
        check_bar(index, bar, previous)?;
        previous = Some(bar.time);
    }
    Ok(())
}

#[inline]
fn check_bar(index: usize, b: &Bar, previous: Option<UnixMicros>) -> Result<(), BacktestError> {
    let positive = |p: f64| p.is_finite() & (p > 0.0);
    let ok = positive(b.open)
        & positive(b.high)
        & positive(b.low)
        & positive(b.close)
        & (b.low <= b.high)
        & b.volume.is_finite()
        & (b.volume >= 0.0)
        & previous.is_none_or(|t| t < b.time);
    if ok { Ok(()) } else { Err(bar_error(index, b, previous)) }
}

#[cold]
fn bar_error(index: usize, b: &Bar, previous: Option<UnixMicros>) -> BacktestError {
    let reason = if previous.is_some_and(|t| b.time <= t) {
        "time is not after the previous bar's"
    } else if ![b.open, b.high, b.low, b.close].iter().all(|p| p.is_finite() && *p > 0.0) {
        "prices must be finite and positive"
    } else if b.low > b.high {
        "low is above high"
    } else {
        "volume must be finite and not negative"
    };
    BacktestError::InvalidBar { index, reason }
}

/// A reusable backtester: keeps its buffers between runs (a sweep runs many on one engine).
pub struct Engine {
    broker: Broker,
    ctx: Context,
    equity: Vec<EquityPoint>,
    trades: Vec<Trade>,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    pub fn new() -> Self {
        Engine {
            broker: Broker::new(0.0, 0.0, 0.0, 1.0),
            ctx: Context::new(),
            equity: Vec::new(),
            trades: Vec::new(),
        }
    }

    /// Runs `strategy` over `bars` and returns the metrics; the trades and the equity curve
    /// stay available through [`Engine::trades`] and [`Engine::equity_curve`].
    ///
    /// Bars are checked as they are read (one pass over the data): on
    /// [`BacktestError::InvalidBar`] the strategy may already have seen the bars before it, so
    /// use a fresh one for the next run (or call [`validate_bars`] first).
    pub fn run(
        &mut self,
        bars: &[Bar],
        strategy: &mut dyn Strategy,
        config: &Config,
        hooks: &dyn Hooks,
    ) -> Result<Metrics, BacktestError> {
        config.validate()?;
        if bars.is_empty() {
            return Err(BacktestError::NoBars);
        }
        let metrics = self.run_loop::<true>(bars, strategy, config, hooks)?;
        hooks.progress(1.0);
        Ok(metrics)
    }

    /// The loop, on input already validated.
    pub(crate) fn run_valid(
        &mut self,
        bars: &[Bar],
        strategy: &mut dyn Strategy,
        config: &Config,
        hooks: &dyn Hooks,
    ) -> Result<Metrics, BacktestError> {
        self.run_loop::<false>(bars, strategy, config, hooks)
    }

    /// The loop; with `CHECK` it validates each bar as it reads it (one pass over the data
    /// instead of two).
    fn run_loop<const CHECK: bool>(
        &mut self,
        bars: &[Bar],
        strategy: &mut dyn Strategy,
        config: &Config,
        hooks: &dyn Hooks,
    ) -> Result<Metrics, BacktestError> {
        let n = bars.len();
        self.broker.reset(config.cash, config.commission, config.slippage, config.lot_size);
        self.equity.clear();
        self.equity.reserve(n);
        self.ctx.clear_intents();
        let warmup = strategy.warmup();
        // backtesting.py first asks the strategy on the bar after its warm-up (so that two
        // values of each indicator exist); intents from earlier bars are dropped.
        let first_trading_bar = warmup.saturating_add(1);
        let mut completed = true;
        for (i, bar) in bars.iter().enumerate() {
            if CHECK {
                check_bar(i, bar, i.checked_sub(1).map(|j| bars[j].time))?;
            }
            if i % CHECK_EVERY == 0 && i > 0 {
                if hooks.is_canceled() {
                    return Err(BacktestError::Canceled);
                }
                hooks.progress(i as f64 / n as f64);
            }
            if self.broker.has_orders() {
                self.broker.process(i, bar);
                for fill in self.broker.fills.drain(..) {
                    strategy.on_fill(&fill);
                }
            }
            let equity = self.broker.equity(bar.close);
            self.equity.push(EquityPoint { time: bar.time, equity, drawdown_pct: 0.0 });
            if equity <= 0.0 {
                // Out of money: backtesting.py closes everything and stops with zero equity.
                if CHECK {
                    for (j, b) in bars.iter().enumerate().skip(i + 1) {
                        check_bar(j, b, Some(bars[j - 1].time))?;
                    }
                }
                self.broker.liquidate(i, bar.close);
                self.equity[i].equity = 0.0;
                self.equity.extend(bars[i + 1..].iter().map(|b| EquityPoint {
                    time: b.time,
                    equity: 0.0,
                    drawdown_pct: 0.0,
                }));
                completed = false;
                break;
            }
            self.ctx.set_account(self.broker.position(), equity, self.broker.pending_orders());
            strategy.on_bar(bar, &mut self.ctx);
            if !self.ctx.intents().is_empty() {
                if i >= first_trading_bar {
                    self.broker.apply(self.ctx.intents());
                }
                self.ctx.clear_intents();
            }
        }
        if completed {
            self.finalize(bars, strategy, config.finalize, first_trading_bar);
        }
        self.collect_trades(bars, config.lot_size);
        Ok(metrics::compute(bars, &mut self.equity, &self.broker.closed, warmup))
    }

    fn finalize(&mut self, bars: &[Bar], strategy: &mut dyn Strategy, how: Finalize, first: usize) {
        let last = bars.len() - 1;
        let bar = &bars[last];
        match how {
            Finalize::AtLastClose => self.broker.close_all_at_close(last, bar),
            Finalize::BacktestingPy if first < bars.len() => {
                self.broker.finalize_like_backtesting_py(last, bar)
            }
            Finalize::BacktestingPy | Finalize::LeaveOpen => return,
        }
        for fill in self.broker.fills.drain(..) {
            strategy.on_fill(&fill);
        }
        self.equity[last].equity = self.broker.equity(bar.close);
    }

    fn collect_trades(&mut self, bars: &[Bar], lot: f64) {
        self.trades.clear();
        self.trades.extend(self.broker.closed.iter().map(|t| Trade {
            side: if t.lots > 0 { Side::Buy } else { Side::Sell },
            size: t.lots.unsigned_abs() as f64 * lot,
            lots: t.lots.unsigned_abs(),
            entry_bar: t.entry_bar,
            exit_bar: t.exit_bar,
            entry_time: bars[t.entry_bar].time,
            exit_time: bars[t.exit_bar].time,
            entry_price: t.entry_price,
            exit_price: t.exit_price,
            pnl: t.pnl,
            return_pct: t.ret * 100.0,
            commission: t.commission,
        }));
    }

    /// Moves the last run's output into a [`BacktestResult`].
    pub fn into_result(self, metrics: Metrics) -> BacktestResult {
        BacktestResult {
            metrics,
            orders_canceled: self.broker.canceled,
            trades: self.trades,
            equity_curve: self.equity,
        }
    }
}

/// Runs `strategy` over `bars`.
pub fn run(
    bars: &[Bar],
    strategy: &mut dyn Strategy,
    config: &Config,
) -> Result<BacktestResult, BacktestError> {
    run_with(bars, strategy, config, &())
}

/// Runs `strategy` over `bars`, reporting progress to and checking cancellation with `hooks`.
pub fn run_with(
    bars: &[Bar],
    strategy: &mut dyn Strategy,
    config: &Config,
    hooks: &dyn Hooks,
) -> Result<BacktestResult, BacktestError> {
    let mut engine = Engine::new();
    let metrics = engine.run(bars, strategy, config, hooks)?;
    Ok(engine.into_result(metrics))
}
