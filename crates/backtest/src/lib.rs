//! Event-driven backtesting over OHLCV bars, through the same strategies as live bots, and
//! the performance metrics of a run.
//!
//! Architecture invariant: no IO, no async runtime, no clock; the same input gives
//! byte-identical results. The backtester arrives with the backtesting issue.
