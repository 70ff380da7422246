//! Trading strategies behind one [`Strategy`] interface, driven identically by the backtester
//! and by live bots.
//!
//! A driver calls [`Strategy::on_bar`] once per closed bar, in time order, with a [`Context`]
//! that shows the account (position in lots, equity) and collects the strategy's
//! [`Intent`]s: market, limit and stop orders, "close the position", "cancel my orders". The
//! driver decides how and when those fill (the backtester's rules are in `aetherion-backtest`).
//!
//! Built-in strategies are listed by [`builtin`] with their parameter schemas and made by
//! [`create`], which validates every parameter first.
//!
//! Architecture invariant: no IO, no async runtime, no clock; indicators are incremental
//! (O(1) per bar), so a strategy keeps no history and behaves the same bar by bar live.

mod bar;
mod context;
pub mod indicators;
mod params;
mod registry;
pub mod strategies;

pub use bar::Bar;
pub use context::{Context, Fill, Intent, OrderKind, OrderRequest, Size};
pub use params::{ParamError, ParamKind, ParamSpec, Params};
pub use registry::{StrategyInfo, builtin, create, find};

/// A trading strategy. Implementations are deterministic: the same bars and fills give the
/// same intents.
pub trait Strategy: Send {
    /// The index of the first bar on which all of the strategy's indicators have a value (29
    /// for an SMA(30)): the same count as backtesting.py's indicator warm-up. The backtester
    /// measures buy & hold from this bar's close. A strategy asks for nothing before it.
    fn warmup(&self) -> usize;

    /// Called once per bar, after the bar has closed and after the orders that filled within
    /// it were applied to the account shown by `ctx`.
    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context);

    /// Called for each fill of this strategy's orders, before the `on_bar` of the bar in
    /// which it happened.
    fn on_fill(&mut self, _fill: &Fill) {}
}
