//! The matching engine: one limit order book per symbol, price-time priority, integer ticks
//! and lots.
//!
//! Architecture invariant: no IO, no async runtime, no clock, no floats. Commands go in with
//! the time as an argument, events come out, and the same commands always give the same events.
//!
//! ```
//! use aetherion_book::{Event, NewOrder, OrderBook, Side, UnixMicros};
//!
//! let mut book = OrderBook::new();
//! let mut events = Vec::new();
//! book.submit(NewOrder::limit(1, 10, Side::Sell, 101, 5), UnixMicros(0), &mut events);
//! events.clear();
//! book.submit(NewOrder::limit(2, 20, Side::Buy, 101, 3), UnixMicros(1), &mut events);
//! assert!(matches!(events[1], Event::Fill(fill) if fill.quantity.0 == 3));
//! assert_eq!(book.order(aetherion_book::OrderId(1)).unwrap().remaining.0, 2);
//! ```
//!
//! # Rules
//!
//! - **Prices and quantities** are integers: [`Ticks`] (`i64`) and [`Lots`] (`u64`). The
//!   remaining quantity of all live orders of a book must fit in a `u64`
//!   ([`RejectReason::QuantityOverflow`] otherwise), so no sum can overflow.
//! - **Priority**: better price first, then earlier arrival. A trade is at the resting
//!   (maker) order's price.
//! - **Order kinds**: market, limit, stop, stop-limit ([`OrderKind`]). A market order never
//!   rests: what it cannot fill expires (all of it in an empty book).
//! - **Time in force** ([`TimeInForce`]): a GTC limit remainder rests; an IOC remainder
//!   expires; a FOK order fills completely at once or expires whole, and this is checked
//!   before any fill, counting only the liquidity of other owners (see self-trade prevention):
//!   a FOK that cannot fill has no other effect.
//! - **Post-only** (GTC limit orders only): an order that would trade on arrival (its price
//!   reaches the best opposite price, whoever owns it) is rejected with
//!   [`RejectReason::PostOnlyWouldTake`], never repriced.
//! - **Self-trade prevention: cancel resting.** When an incoming order reaches a resting order
//!   of the same [`OwnerId`], the resting order is canceled ([`CancelReason::SelfTrade`]) and
//!   matching goes on with the next one. Two orders of one owner never trade with each other.
//! - **Stops trigger on the last trade price**: a buy stop when a trade prints at or above its
//!   trigger (`last >= trigger`), a sell stop at or below (`last <= trigger`). Each trade is
//!   checked as it happens, so a sweep through several prices triggers by each of them. A
//!   triggered stop becomes a market order, a stop-limit a limit order at its limit price; they
//!   enter the book after the order that caused the trade has finished, in trigger order
//!   (stops fired by the same trade in their arrival order), at the time of that command, and
//!   may trigger further stops in turn. A stop submitted when the last trade price already
//!   satisfies its trigger is triggered at once. Before any trade, stops wait.
//! - **Ids** are the caller's: a new order whose [`OrderId`] is live (resting or a pending
//!   stop) is rejected ([`RejectReason::DuplicateOrderId`]), as is a zero quantity. Rejections
//!   and other business outcomes are [`Event`]s, never errors or panics.
//!
//! # Events
//!
//! Each command appends its [`Event`]s, in the order things happened, to a vector the caller
//! owns; then one [`Event::LevelChanged`] for every price level the command touched, with the
//! level's new totals (zero when it emptied). Every accepted order's quantity is accounted for:
//! filled + remaining + canceled + expired = ordered.
//!
//! # Design
//!
//! Orders live in a slab of nodes reused through a free list; each resting node is linked into
//! the FIFO of its price level (head/tail in the level, prev/next in the node), so a cancel is
//! O(1) after an id lookup. Each side's levels are a vector sorted with the best price last
//! (best access O(1), lookup by binary search, no allocation in steady state). Pending stops
//! sit in ordered maps keyed by trigger. See `ladder.rs`, `orders.rs` and `stops.rs`.

mod book;
mod event;
mod ladder;
mod matching;
mod orders;
mod stops;
mod types;

pub use book::OrderBook;
pub use event::{
    CancelReason, Depth, Event, Fill, LevelInfo, OrderInfo, OrderStatus, RejectReason,
};
pub use types::{Command, Lots, NewOrder, OrderId, OrderKind, OwnerId, Ticks, TimeInForce};

pub use aetherion_model::{Side, UnixMicros};
