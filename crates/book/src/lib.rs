//! The matching engine: one limit order book per symbol, price-time priority, integer ticks
//! and lots.
//!
//! Architecture invariant: no IO, no async runtime, no clock. Commands go in with the time
//! as an argument, events come out, and the same commands always give the same events.
//! The engine arrives with the market issue; the crate exists now so that the dependency
//! rules in ARCHITECTURE.md hold from the first commit.
