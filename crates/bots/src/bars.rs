//! Bars at any interval, built from live trades, and warm-up bars resampled from stored
//! one-minute candles.

use aetherion_market::candles::{Candle, MINUTE_MICROS, align};
use aetherion_model::{Amount, UnixMicros};
use aetherion_strategy::Bar;

/// Builds bars of `interval` microseconds, aligned to the Unix epoch, from trades. An interval
/// with no trade makes no bar.
#[derive(Clone, Debug)]
pub struct BarBuilder {
    interval: i64,
    current: Option<Candle>,
}

impl BarBuilder {
    pub fn new(interval_micros: i64) -> Self {
        BarBuilder { interval: interval_micros.max(1), current: None }
    }

    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// Adds a trade; returns the previous bar when the trade belongs to a later interval.
    pub fn on_trade(&mut self, at: UnixMicros, price: Amount, quantity: Amount) -> Option<Bar> {
        let start = align(at, self.interval);
        let closed = match self.current {
            Some(c) if c.open_time.0 + self.interval <= at.0 => self.current.take().map(to_bar),
            _ => None,
        };
        match &mut self.current {
            Some(c) => {
                c.high = c.high.max(price);
                c.low = c.low.min(price);
                c.close = price;
                c.volume = c.volume.checked_add(quantity).unwrap_or(Amount::MAX);
                c.trade_count += 1;
            }
            None => {
                self.current = Some(Candle { open_time: start, open: price, high: price, low: price, close: price, volume: quantity, trade_count: 1 });
            }
        }
        closed
    }

    /// Adds trades that happened at the same time (`at`) as one: `open` is the first one's
    /// price, `close` the last one's. The same as adding them one by one.
    pub fn on_trades(&mut self, at: UnixMicros, open: Amount, high: Amount, low: Amount, close: Amount, volume: Amount, count: u64) -> Option<Bar> {
        let closed = self.on_trade(at, open, volume);
        if let Some(c) = &mut self.current {
            c.high = c.high.max(high);
            c.low = c.low.min(low);
            c.close = close;
            c.trade_count += count.saturating_sub(1);
        }
        closed
    }

    /// Closes the bar in progress if its interval has ended by `now`.
    pub fn on_time(&mut self, now: UnixMicros) -> Option<Bar> {
        match self.current {
            Some(c) if c.open_time.0 + self.interval <= now.0 => self.current.take().map(to_bar),
            _ => None,
        }
    }

    /// When the bar in progress closes; `None` when there is none.
    pub fn closes_at(&self) -> Option<UnixMicros> {
        self.current.map(|c| UnixMicros(c.open_time.0 + self.interval))
    }
}

/// Bars of `interval` from one-minute candles (oldest first), when the interval is a whole
/// number of minutes; only intervals that ended by `now`. Other intervals get no history.
pub fn resample(candles: &[Candle], interval_micros: i64, now: UnixMicros) -> Vec<Bar> {
    if interval_micros < MINUTE_MICROS || interval_micros % MINUTE_MICROS != 0 {
        return Vec::new();
    }
    let open_interval = align(now, interval_micros);
    let mut bars: Vec<Candle> = Vec::new();
    for c in candles.iter().filter(|c| c.open_time < open_interval) {
        let start = align(c.open_time, interval_micros);
        match bars.last_mut() {
            Some(b) if b.open_time == start => {
                b.high = b.high.max(c.high);
                b.low = b.low.min(c.low);
                b.close = c.close;
                b.volume = b.volume.checked_add(c.volume).unwrap_or(Amount::MAX);
            }
            _ => bars.push(Candle { open_time: start, ..*c }),
        }
    }
    bars.into_iter().map(to_bar).collect()
}

fn to_bar(c: Candle) -> Bar {
    Bar { time: c.open_time, open: f(c.open), high: f(c.high), low: f(c.low), close: f(c.close), volume: f(c.volume) }
}

/// An amount as a float, for indicators (never for booking).
pub(crate) fn f(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Amount {
        s.parse().unwrap()
    }

    #[test]
    fn trades_make_bars_that_close_on_a_later_trade_or_on_time() {
        let mut b = BarBuilder::new(1_000_000);
        assert_eq!(b.on_trade(UnixMicros(10_100_000), a("100"), a("1")), None);
        assert_eq!(b.on_trade(UnixMicros(10_500_000), a("102"), a("2")), None);
        assert_eq!(b.on_trade(UnixMicros(10_900_000), a("99"), a("1")), None);
        assert_eq!(b.closes_at(), Some(UnixMicros(11_000_000)));
        assert_eq!(b.on_time(UnixMicros(10_999_999)), None);
        let bar = b.on_time(UnixMicros(11_000_000)).unwrap();
        assert_eq!((bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume), (UnixMicros(10_000_000), 100.0, 102.0, 99.0, 99.0, 4.0));
        assert_eq!(b.closes_at(), None, "no trade, no bar");
        // A quiet interval is skipped; the next trade's interval starts the next bar.
        assert_eq!(b.on_trade(UnixMicros(13_200_000), a("101"), a("1")), None);
        let bar = b.on_trade(UnixMicros(14_000_000), a("103"), a("1")).unwrap();
        assert_eq!((bar.time, bar.close), (UnixMicros(13_000_000), 101.0));
    }

    #[test]
    fn trades_at_one_time_can_be_added_as_one() {
        let trades = [("100", "1"), ("103", "2"), ("98", "1"), ("101", "3")];
        let mut one_by_one = BarBuilder::new(1_000_000);
        let mut together = BarBuilder::new(1_000_000);
        one_by_one.on_trade(UnixMicros(500_000), a("99"), a("1"));
        together.on_trade(UnixMicros(500_000), a("99"), a("1"));
        for (p, q) in trades {
            assert_eq!(one_by_one.on_trade(UnixMicros(2_100_000), a(p), a(q)).is_some(), p == "100");
        }
        let closed = together.on_trades(UnixMicros(2_100_000), a("100"), a("103"), a("98"), a("101"), a("7"), 4);
        assert_eq!(closed.map(|b| b.close), Some(99.0));
        assert_eq!(one_by_one.on_time(UnixMicros(3_000_000)), together.on_time(UnixMicros(3_000_000)));
    }

    #[test]
    fn minute_candles_resample_to_whole_minute_intervals_that_have_ended() {
        let candle = |minute: i64, close: &str| Candle {
            open_time: UnixMicros(minute * MINUTE_MICROS),
            open: a(close),
            high: a(close),
            low: a(close),
            close: a(close),
            volume: a("1"),
            trade_count: 1,
        };
        let candles = [candle(0, "10"), candle(1, "12"), candle(2, "11"), candle(4, "9"), candle(5, "13")];
        let bars = resample(&candles, 3 * MINUTE_MICROS, UnixMicros(5 * MINUTE_MICROS + 1));
        assert_eq!(bars.len(), 1, "the bar of minutes 3-5 has not ended");
        assert_eq!((bars[0].open, bars[0].high, bars[0].low, bars[0].close, bars[0].volume), (10.0, 12.0, 10.0, 11.0, 3.0));
        let bars = resample(&candles, 3 * MINUTE_MICROS, UnixMicros(6 * MINUTE_MICROS));
        assert_eq!(bars.len(), 2);
        assert_eq!((bars[1].time, bars[1].open, bars[1].close, bars[1].volume), (UnixMicros(3 * MINUTE_MICROS), 9.0, 13.0, 2.0));
        assert!(resample(&candles, 30_000_000, UnixMicros(i64::MAX)).is_empty(), "sub-minute bars have no history");
    }
}
