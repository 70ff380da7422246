//! What a book reports: events (the outcome of a command) and query results.

use aetherion_model::{Side, UnixMicros};

use crate::types::{Lots, OrderId, OrderKind, OwnerId, Ticks, TimeInForce};

/// One thing that happened while a command was applied. A command's events come in the order
/// things happened; its [`Event::LevelChanged`] events come last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// A new order passed validation. Every accepted order ends, now or later, in fills,
    /// [`Event::Canceled`] or [`Event::Expired`] (or stays live).
    Accepted { id: OrderId, owner: OwnerId },
    /// A new order was refused; nothing else happened.
    Rejected {
        id: OrderId,
        owner: OwnerId,
        reason: RejectReason,
    },
    /// A cancel named no live order.
    CancelRejected { id: OrderId, reason: RejectReason },
    /// A trade between a resting order (maker) and an incoming one (taker), at the maker's price.
    Fill(Fill),
    /// A live order was removed with `remaining` lots unfilled.
    Canceled {
        id: OrderId,
        owner: OwnerId,
        remaining: Lots,
        reason: CancelReason,
    },
    /// The unfilled `remaining` of an IOC, FOK or market order (or a triggered stop) that
    /// could not rest.
    Expired {
        id: OrderId,
        owner: OwnerId,
        remaining: Lots,
    },
    /// A pending stop was triggered by a trade at `price` (or, at submission, by the last trade
    /// price) and now enters the book as a market or limit order.
    Triggered {
        id: OrderId,
        owner: OwnerId,
        price: Ticks,
    },
    /// The aggregate of one price level after the command: one event per level the command
    /// touched; `quantity` and `orders` are zero when the level is gone. Bids come first, then
    /// asks, each from the best price outwards.
    LevelChanged {
        side: Side,
        price: Ticks,
        quantity: Lots,
        orders: u32,
    },
}

/// A trade. Quantities are in lots; `maker_remaining` and `taker_remaining` are what is left
/// of each order after this fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fill {
    pub maker: OrderId,
    pub maker_owner: OwnerId,
    pub taker: OrderId,
    pub taker_owner: OwnerId,
    pub taker_side: Side,
    pub price: Ticks,
    pub quantity: Lots,
    pub maker_remaining: Lots,
    pub taker_remaining: Lots,
}

/// Why a command was refused (each variant's `Display` is its description).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RejectReason {
    #[error("the quantity is zero")]
    ZeroQuantity,
    #[error("a live order already has this id")]
    DuplicateOrderId,
    #[error("post-only is allowed on GTC limit orders only")]
    PostOnlyNotAllowed,
    #[error("the live quantity of the book would exceed the largest representable quantity")]
    QuantityOverflow,
    #[error("a post-only order would trade on arrival")]
    PostOnlyWouldTake,
    #[error("no live order has this id")]
    UnknownOrder,
}

/// Why a live order was canceled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// A cancel of this order.
    User,
    /// Self-trade prevention: an incoming order of the same owner reached it.
    SelfTrade,
    /// A cancel of all of its owner's orders.
    MassCancel,
    /// A cancel of all orders of the book.
    Halt,
}

/// The aggregate of one price level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelInfo {
    pub price: Ticks,
    pub quantity: Lots,
    pub orders: u32,
}

/// Where a live order is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// In the book at its limit price.
    Resting,
    /// A stop waiting for its trigger.
    PendingStop,
}

/// A live order as [`crate::OrderBook::order`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrderInfo {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: Side,
    /// The kind it was submitted as (a triggered stop-limit that rests keeps `StopLimit`).
    pub kind: OrderKind,
    pub tif: TimeInForce,
    pub post_only: bool,
    /// The quantity ordered.
    pub quantity: Lots,
    /// What is still open; `quantity - remaining` has been filled.
    pub remaining: Lots,
    pub status: OrderStatus,
    /// When it entered its current place: its submission, or the trade that triggered it.
    pub since: UnixMicros,
}

/// The best `n` levels of each side, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Depth {
    pub bids: Vec<LevelInfo>,
    pub asks: Vec<LevelInfo>,
}
