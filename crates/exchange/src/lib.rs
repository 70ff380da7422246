//! The venue as a state machine: order books, accounts and users' orders together. An order is
//! checked and funded, matched in its book, and every fill settled, in one call that takes the
//! time as an argument and touches nothing outside.
//!
//! Architecture invariant: no IO, no runtime, no clock, no floats. The server drives it from
//! one task and stores what [`Exchange::drain`] reports.
//!
//! # Spot accounting
//!
//! - Buying needs the quote asset, selling the base asset; there is no shorting.
//! - Funds are held (reserved) when an order is accepted: a sell holds its quantity; a limit or
//!   stop-limit buy holds price * quantity plus the larger fee rate on it; a market buy holds
//!   what sweeping the book costs now plus the taker fee; a STOP buy holds the value at its
//!   protection price ([`STOP_PROTECTION_PERCENT`] above the stop) plus fees.
//! - A fill pays price * quantity; the fee is the maker or taker rate times that, rounded down
//!   to the last decimal, in the quote asset. A buy filled below its limit gets the excess hold
//!   back at once; whatever an order still holds is released when it ends.
//! - Per account and asset: free + reserved = deposits + what trades brought in - what they
//!   paid out - fees. Nothing else moves money.

mod accounts;
mod exchange;
mod journal;
mod order;
mod settle;

pub use accounts::{AccountId, Balance, BalanceError, FIRST_ACCOUNT};
pub use exchange::{CancelError, Exchange, MarketSpec, PlaceError, STOP_PROTECTION_PERCENT, protection_price};
pub use journal::{Batch, Liquidity, Position, PublicTrade, UserFill};
pub use order::{Order, OrderRequest, OrderStatus, OrderTag, OrderType};

#[cfg(test)]
mod tests;
