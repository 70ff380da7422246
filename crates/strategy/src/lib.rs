//! Trading strategies behind one `Strategy` interface, driven identically by the backtester
//! and by live bots.
//!
//! Architecture invariant: no IO, no async runtime, no clock; indicators are incremental.
//! The strategies arrive with the backtesting issue.
