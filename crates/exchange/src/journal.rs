//! What changed: collected while commands run, drained by the caller to store and publish.

use std::collections::BTreeSet;

use aetherion_book::Ticks;
use aetherion_model::{Amount, Side, UnixMicros};

use crate::accounts::{AccountId, Balance};
use crate::order::Order;

/// Maker or taker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liquidity {
    Maker,
    Taker,
}

/// One trade of the venue (users' or the simulated market's), for ticks and candles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicTrade {
    pub symbol: String,
    /// Per-symbol trade number, rising by one.
    pub seq: u64,
    pub price: Amount,
    pub price_ticks: Ticks,
    pub quantity: Amount,
    pub taker_side: Side,
    pub at: UnixMicros,
}

/// One side of a trade that a user's order took part in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFill {
    pub symbol: String,
    /// The [`PublicTrade::seq`] of the trade.
    pub trade_seq: u64,
    pub order_seq: u64,
    pub order_id: String,
    pub account: AccountId,
    pub side: Side,
    pub price: Amount,
    pub quantity: Amount,
    /// Fee in the quote asset.
    pub fee: Amount,
    pub liquidity: Liquidity,
    pub at: UnixMicros,
}

/// A user's holding of one symbol's base asset and its cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub quantity: Amount,
    /// What the quantity held cost, fees excluded (average price = cost / quantity).
    pub cost: Amount,
    /// Profit realised by selling, fees excluded.
    pub realized_pnl: Amount,
}

/// Everything that changed since the last drain, with final values.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Changed orders, in their latest state.
    pub orders: Vec<Order>,
    pub fills: Vec<UserFill>,
    pub trades: Vec<PublicTrade>,
    pub balances: Vec<(AccountId, String, Balance)>,
    pub positions: Vec<(AccountId, String, Position)>,
    /// Total fees paid, per account whose total changed.
    pub fees: Vec<(AccountId, Amount)>,
    /// Symbols whose book changed.
    pub books: Vec<String>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty() && self.fills.is_empty() && self.trades.is_empty() && self.balances.is_empty() && self.books.is_empty()
    }

    /// Accounts whose balances, orders or positions changed.
    pub fn accounts(&self) -> BTreeSet<AccountId> {
        let mut out: BTreeSet<AccountId> = self.balances.iter().map(|(a, _, _)| *a).collect();
        out.extend(self.orders.iter().map(|o| o.account));
        out
    }
}

/// The keys touched since the last drain.
#[derive(Clone, Debug, Default)]
pub(crate) struct Touched {
    pub orders: BTreeSet<u64>,
    pub fills: Vec<UserFill>,
    pub trades: Vec<PublicTrade>,
    pub balances: BTreeSet<(AccountId, String)>,
    pub positions: BTreeSet<(AccountId, String)>,
    pub fees: BTreeSet<AccountId>,
    pub books: BTreeSet<String>,
}
