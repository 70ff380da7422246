//! What a symbol's engine publishes: trades, the book, and price statistics.

use std::sync::Arc;

use aetherion_market::candles::Candle;
use aetherion_model::{Amount, Side, UnixMicros};

/// One trade, as SubscribeTicks sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeTick {
    pub symbol: Arc<str>,
    /// Per-symbol trade number, strictly increasing by one.
    pub sequence: u64,
    pub price: Amount,
    pub quantity: Amount,
    pub taker_side: Side,
    pub at: UnixMicros,
}

/// One aggregated price level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Level {
    pub price: Amount,
    pub quantity: Amount,
    pub orders: u32,
}

/// The book after a change. `sequence` increases with every published change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookSnapshot {
    pub sequence: u64,
    /// Best first.
    pub bids: Vec<Level>,
    /// Best first.
    pub asks: Vec<Level>,
    pub at: UnixMicros,
}

/// Prices and recent history of a symbol.
#[derive(Clone, Debug, Default)]
pub struct MarketStats {
    pub last_price: Option<Amount>,
    pub best_bid: Option<Amount>,
    pub best_ask: Option<Amount>,
    /// Traded quantity over the last 24 hours.
    pub volume_24h: Amount,
    /// Percent change of the last price against the price 24 hours ago.
    pub change_24h_percent: f64,
    /// Closed one-minute candles of the last 24 hours or more, oldest first.
    pub recent: Arc<Vec<Candle>>,
    /// The minute still open, if it has traded.
    pub current: Option<Candle>,
    pub at: UnixMicros,
}
