//! The book's vocabulary: integer prices and quantities, ids, order kinds and commands.

use aetherion_model::Side;

/// A price in integer ticks of the instrument. Never a float; may be zero or negative
/// (some instruments trade below zero).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticks(pub i64);

/// A quantity in integer lots of the instrument. Never a float and never negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lots(pub u64);

impl Lots {
    /// No quantity.
    pub const ZERO: Lots = Lots(0);

    /// Whether this is no quantity.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

/// An order id, assigned by the caller. Unique among the live orders of one book; the id of
/// an order that is done (filled, canceled, expired) may be used again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(pub u64);

/// The account that owns an order; self-trade prevention compares these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerId(pub u64);

/// What kind of order, with its prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// Takes whatever the opposite side offers; the remainder expires, it never rests.
    Market,
    /// Trades at `price` or better; a GTC remainder rests at `price`.
    Limit { price: Ticks },
    /// Waits until the last trade price reaches `trigger` (a buy stop when the last trade is
    /// `>= trigger`, a sell stop when `<= trigger`), then becomes a market order.
    Stop { trigger: Ticks },
    /// Like [`OrderKind::Stop`], but becomes a limit order at `price` when triggered.
    StopLimit { trigger: Ticks, price: Ticks },
}

impl OrderKind {
    /// The limit price, if the order has one.
    pub const fn limit_price(self) -> Option<Ticks> {
        match self {
            OrderKind::Limit { price } | OrderKind::StopLimit { price, .. } => Some(price),
            OrderKind::Market | OrderKind::Stop { .. } => None,
        }
    }

    /// The stop trigger price, if the order has one.
    pub const fn trigger(self) -> Option<Ticks> {
        match self {
            OrderKind::Stop { trigger } | OrderKind::StopLimit { trigger, .. } => Some(trigger),
            OrderKind::Market | OrderKind::Limit { .. } => None,
        }
    }
}

/// How long an order may wait for a counterparty.
///
/// A pending stop always waits for its trigger; the time in force applies to the order it
/// becomes. Market orders never rest, so for them GTC and IOC both mean "fill what can be
/// filled now, the remainder expires".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Good till canceled: a limit remainder rests in the book.
    #[default]
    Gtc,
    /// Immediate or cancel: fill what can be filled now, the remainder expires.
    Ioc,
    /// Fill or kill: fill the whole quantity now or nothing at all (checked before any fill).
    Fok,
}

/// A new order as submitted by a caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NewOrder {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: Side,
    pub kind: OrderKind,
    pub quantity: Lots,
    pub tif: TimeInForce,
    /// Only add liquidity: an order that would trade on arrival is rejected, never repriced.
    /// Allowed on GTC limit orders only.
    pub post_only: bool,
}

impl NewOrder {
    /// A GTC limit order.
    pub const fn limit(id: u64, owner: u64, side: Side, price: i64, quantity: u64) -> Self {
        Self::new(
            id,
            owner,
            side,
            OrderKind::Limit {
                price: Ticks(price),
            },
            quantity,
        )
    }

    /// A market order (its remainder expires whatever the time in force).
    pub const fn market(id: u64, owner: u64, side: Side, quantity: u64) -> Self {
        Self::new(id, owner, side, OrderKind::Market, quantity)
    }

    /// A stop order that becomes a market order when triggered.
    pub const fn stop(id: u64, owner: u64, side: Side, trigger: i64, quantity: u64) -> Self {
        Self::new(
            id,
            owner,
            side,
            OrderKind::Stop {
                trigger: Ticks(trigger),
            },
            quantity,
        )
    }

    /// A GTC stop-limit order that becomes a limit order at `price` when triggered.
    pub const fn stop_limit(
        id: u64,
        owner: u64,
        side: Side,
        trigger: i64,
        price: i64,
        quantity: u64,
    ) -> Self {
        let kind = OrderKind::StopLimit {
            trigger: Ticks(trigger),
            price: Ticks(price),
        };
        Self::new(id, owner, side, kind, quantity)
    }

    /// Any order, GTC and not post-only.
    pub const fn new(id: u64, owner: u64, side: Side, kind: OrderKind, quantity: u64) -> Self {
        NewOrder {
            id: OrderId(id),
            owner: OwnerId(owner),
            side,
            kind,
            quantity: Lots(quantity),
            tif: TimeInForce::Gtc,
            post_only: false,
        }
    }

    /// The same order with another time in force.
    pub const fn with_tif(mut self, tif: TimeInForce) -> Self {
        self.tif = tif;
        self
    }

    /// The same order, post-only.
    pub const fn with_post_only(mut self) -> Self {
        self.post_only = true;
        self
    }
}

/// One command to a book. [`crate::OrderBook::apply`] takes these; each also has a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Submit a new order.
    Submit(NewOrder),
    /// Cancel one live order (resting or a pending stop).
    Cancel(OrderId),
    /// Cancel every live order of one owner (reason [`crate::CancelReason::MassCancel`]).
    CancelOwner(OwnerId),
    /// Cancel every live order, as when halting the symbol (reason [`crate::CancelReason::Halt`]).
    CancelAll,
}
