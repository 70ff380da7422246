//! OHLCV candles: built from trades at one minute, resampled to coarser intervals.

use aetherion_model::{Amount, UnixMicros};

pub const MINUTE_MICROS: i64 = 60_000_000;

/// One interval of trading. Prices and volume are exact amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candle {
    /// Start of the interval (inclusive), aligned to the interval.
    pub open_time: UnixMicros,
    pub open: Amount,
    pub high: Amount,
    pub low: Amount,
    pub close: Amount,
    /// Traded quantity in the base asset.
    pub volume: Amount,
    pub trade_count: u64,
}

impl Candle {
    /// A candle of one trade.
    pub fn first(open_time: UnixMicros, price: Amount, qty: Amount) -> Candle {
        Candle { open_time, open: price, high: price, low: price, close: price, volume: qty, trade_count: 1 }
    }

    /// Adds a later trade.
    pub fn add_trade(&mut self, price: Amount, qty: Amount) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.volume = self.volume.checked_add(qty).unwrap_or(Amount::MAX);
        self.trade_count += 1;
    }

    fn merge(&mut self, later: &Candle) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        self.volume = self.volume.checked_add(later.volume).unwrap_or(Amount::MAX);
        self.trade_count += later.trade_count;
    }
}

/// Start of the interval of `interval_micros` that contains `t`.
pub fn align(t: UnixMicros, interval_micros: i64) -> UnixMicros {
    UnixMicros(t.0 - t.0.rem_euclid(interval_micros))
}

/// Builds candles of one interval (one minute by default), aligned to the Unix epoch, from a
/// stream of trades in time order. An interval with no trade makes no candle.
#[derive(Clone, Debug)]
pub struct CandleBuilder {
    interval: i64,
    current: Option<Candle>,
}

impl Default for CandleBuilder {
    fn default() -> Self {
        Self::new(MINUTE_MICROS)
    }
}

impl CandleBuilder {
    pub fn new(interval_micros: i64) -> Self {
        CandleBuilder { interval: interval_micros.max(1), current: None }
    }

    /// Adds a trade. Returns the previous candle when this trade opens a new interval.
    pub fn on_trade(&mut self, at: UnixMicros, price: Amount, qty: Amount) -> Option<Candle> {
        self.on_trades(&Candle::first(at, price, qty))
    }

    /// Adds trades that happened at one time, summed up as a candle whose `open_time` is that
    /// time: the same as adding them one by one.
    pub fn on_trades(&mut self, trades: &Candle) -> Option<Candle> {
        let start = align(trades.open_time, self.interval);
        match &mut self.current {
            // A trade stamped before the open candle (clock step back) joins the open candle.
            Some(c) if start <= c.open_time => {
                c.merge(trades);
                None
            }
            _ => self.current.replace(Candle { open_time: start, ..*trades }),
        }
    }

    /// Closes the open candle if its interval has ended by `now`.
    pub fn roll(&mut self, now: UnixMicros) -> Option<Candle> {
        match self.current {
            Some(c) if c.open_time.0 + self.interval <= now.0 => self.current.take(),
            _ => None,
        }
    }

    /// When the open candle's interval ends; `None` when there is none.
    pub fn closes_at(&self) -> Option<UnixMicros> {
        self.current.map(|c| UnixMicros(c.open_time.0 + self.interval))
    }

    /// The candle still open, if any.
    pub fn current(&self) -> Option<&Candle> {
        self.current.as_ref()
    }
}

/// Merges sorted one-minute candles into candles of `interval_micros` (a multiple of a minute).
pub fn resample(minutes: &[Candle], interval_micros: i64) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for c in minutes {
        let start = align(c.open_time, interval_micros);
        match out.last_mut() {
            Some(last) if last.open_time == start => last.merge(c),
            _ => out.push(Candle { open_time: start, ..*c }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Amount {
        s.parse().unwrap()
    }

    const T0: i64 = 1_700_000_040_000_000; // a minute boundary

    #[test]
    fn trades_make_minute_candles() {
        let mut b = CandleBuilder::default();
        assert_eq!(b.on_trade(UnixMicros(T0 + 1), a("100"), a("1")), None);
        assert_eq!(b.on_trade(UnixMicros(T0 + 20_000_000), a("105"), a("0.5")), None);
        assert_eq!(b.on_trade(UnixMicros(T0 + 59_999_999), a("99"), a("2")), None);
        let closed = b.on_trade(UnixMicros(T0 + MINUTE_MICROS), a("101"), a("1")).unwrap();
        assert_eq!(
            closed,
            Candle {
                open_time: UnixMicros(T0),
                open: a("100"),
                high: a("105"),
                low: a("99"),
                close: a("99"),
                volume: a("3.5"),
                trade_count: 3
            }
        );
        assert_eq!(b.roll(UnixMicros(T0 + MINUTE_MICROS + 59_000_000)), None);
        assert_eq!(b.roll(UnixMicros(T0 + 2 * MINUTE_MICROS)).map(|c| c.close), Some(a("101")));
        assert_eq!(b.current(), None);
    }

    #[test]
    fn resampling_merges_aligned_groups() {
        let mk = |m: i64, o: &str, h: &str, l: &str, c: &str| Candle {
            open_time: UnixMicros(T0 + m * MINUTE_MICROS),
            open: a(o),
            high: a(h),
            low: a(l),
            close: a(c),
            volume: a("1"),
            trade_count: 2,
        };
        let five = 5 * MINUTE_MICROS;
        let base = align(UnixMicros(T0), five).0;
        let offset = (T0 - base) / MINUTE_MICROS; // minutes of T0 into its 5-minute bucket
        let minutes: Vec<Candle> = (0..10).map(|m| mk(m, "10", "12", "9", "11")).collect();
        let out = resample(&minutes, five);
        let total: u64 = out.iter().map(|c| c.trade_count).sum();
        assert_eq!(total, 20);
        assert_eq!(out[0].open_time, UnixMicros(base));
        assert_eq!(out[0].trade_count, 2 * (5 - offset) as u64);
        assert!(out.windows(2).all(|w| w[1].open_time.0 - w[0].open_time.0 == five));
    }
}
