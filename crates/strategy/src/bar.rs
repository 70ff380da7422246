use aetherion_model::UnixMicros;

/// One OHLCV bar (candle). `time` is the bar's open time.
///
/// Prices and volume are `f64`: bars are market data fed to indicators and to the simulation,
/// never money that is booked. Exact amounts stay in `aetherion_model::Amount` at the edges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub time: UnixMicros,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl Bar {
    /// A bar whose four prices are all `price` (handy in tests).
    pub fn flat(time: UnixMicros, price: f64) -> Bar {
        Bar { time, open: price, high: price, low: price, close: price, volume: 0.0 }
    }
}
