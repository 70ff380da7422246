//! A user's order as the exchange tracks it, from acceptance to its final state.

use aetherion_book::{Lots, Ticks, TimeInForce};
use aetherion_model::{Amount, Side, UnixMicros};

use crate::accounts::AccountId;

/// What the user asked for. Prices are in ticks, quantities in lots of the symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderType {
    Market,
    Limit { price: Ticks },
    /// Becomes a market order when the last trade reaches `trigger`.
    Stop { trigger: Ticks },
    StopLimit { trigger: Ticks, price: Ticks },
}

impl OrderType {
    pub fn price(self) -> Option<Ticks> {
        match self {
            OrderType::Limit { price } | OrderType::StopLimit { price, .. } => Some(price),
            _ => None,
        }
    }

    pub fn trigger(self) -> Option<Ticks> {
        match self {
            OrderType::Stop { trigger } | OrderType::StopLimit { trigger, .. } => Some(trigger),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Rejected,
    Expired,
}

impl OrderStatus {
    /// True once nothing can change any more.
    pub fn is_final(self) -> bool {
        !matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        [
            OrderStatus::New,
            OrderStatus::PartiallyFilled,
            OrderStatus::Filled,
            OrderStatus::Canceled,
            OrderStatus::Rejected,
            OrderStatus::Expired,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// A new order, checked for form by the caller (ticks and lots on the symbol's grid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRequest {
    pub account: AccountId,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub quantity: Lots,
    pub tif: TimeInForce,
    pub post_only: bool,
    /// Stored with the order; the exchange does not interpret it.
    pub tag: OrderTag,
}

/// Ids the server attaches to an order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderTag {
    pub order_id: String,
    pub client_order_id: Option<String>,
    pub bot_id: Option<String>,
}

/// A user's order and everything that happened to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// The book's id: also the order's place in time (larger = later).
    pub seq: u64,
    pub tag: OrderTag,
    pub account: AccountId,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub tif: TimeInForce,
    pub post_only: bool,
    pub quantity: Lots,
    pub filled: Lots,
    /// Sum of price * quantity of the fills, in the quote asset.
    pub filled_notional: Amount,
    pub fees: Amount,
    /// Funds still held for the order: quote asset for a buy, base asset for a sell.
    pub reserved: Amount,
    pub status: OrderStatus,
    /// A stop whose trigger was reached (a triggered stop-limit may rest as a limit order).
    pub triggered: bool,
    pub reject_reason: Option<String>,
    pub created_at: UnixMicros,
    pub updated_at: UnixMicros,
}

impl Order {
    pub fn remaining(&self) -> Lots {
        Lots(self.quantity.0 - self.filled.0)
    }

    /// The status after a fill.
    pub(crate) fn fill_status(&self) -> OrderStatus {
        if self.filled == self.quantity { OrderStatus::Filled } else { OrderStatus::PartiallyFilled }
    }
}
