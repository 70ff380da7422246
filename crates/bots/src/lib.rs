//! The live strategy runtime: the same strategies as the backtester, trading the venue's
//! live market with a bot's own capital and risk limits.
//!
//! [`Bots`] holds every running bot. The caller (the server's exchange task) hands it each
//! batch the [`Exchange`](aetherion_exchange::Exchange) drained and the time; bots build bars
//! of their interval from the trades, run their strategy on every closed bar, and place the
//! orders it asks for in the exchange directly, tagged with the bot's id, the very path a
//! user's order takes. Each bot keeps its own [`Ledger`] from its fills alone (cash, position,
//! cost, profit net of fees), applies its [`RiskLimits`] at every price, and reports
//! [`BotUpdate`]s for the caller to store and publish.
//!
//! Spot rules: a bot sells only what it bought; buys are sized to its cash (what its working
//! orders hold is not available) and to its position limit. Strategies that would sell short
//! are refused by [`validate_params`].
//!
//! Architecture invariant: no IO, no async runtime, no clock; time is an argument.

mod bars;
mod config;
mod ledger;
mod runtime;

pub use config::{BotConfig, BotState, DEFAULT_INTERVAL_SECONDS, INTERVAL_PARAM, LimitError, MAX_INTERVAL_SECONDS, RiskLimits, Signal, interval_micros, validate_params};
pub use ledger::Ledger;
pub use runtime::{BotStatus, BotUpdate, Bots, StartError};

#[cfg(test)]
mod tests;
