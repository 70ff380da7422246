//! A bot's bars: the symbol's candles at the bot's interval, built from live trades by the
//! market's [`CandleBuilder`], and warm-up bars resampled from stored one-minute candles.

use aetherion_market::candles::{Candle, MINUTE_MICROS, align, resample};
use aetherion_model::{Amount, UnixMicros};
use aetherion_strategy::Bar;

/// Bars of `interval` from one-minute candles (oldest first), when the interval is a whole
/// number of minutes; only intervals that ended by `now`. Other intervals get no history.
pub fn warmup_bars(candles: &[Candle], interval_micros: i64, now: UnixMicros) -> Vec<Bar> {
    if interval_micros < MINUTE_MICROS || interval_micros % MINUTE_MICROS != 0 {
        return Vec::new();
    }
    let open_interval = align(now, interval_micros);
    let ended = candles.partition_point(|c| c.open_time < open_interval);
    resample(&candles[..ended], interval_micros).into_iter().map(to_bar).collect()
}

/// A candle as a strategy's bar.
pub fn to_bar(c: Candle) -> Bar {
    Bar { time: c.open_time, open: f(c.open), high: f(c.high), low: f(c.low), close: f(c.close), volume: f(c.volume) }
}

/// An amount as a float, for indicators (never for booking).
pub(crate) fn f(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use aetherion_market::candles::CandleBuilder;

    fn a(s: &str) -> Amount {
        s.parse().unwrap()
    }

    #[test]
    fn trades_make_bars_that_close_on_a_later_trade_or_on_time() {
        let mut b = CandleBuilder::new(1_000_000);
        assert_eq!(b.on_trade(UnixMicros(10_100_000), a("100"), a("1")), None);
        assert_eq!(b.on_trade(UnixMicros(10_500_000), a("102"), a("2")), None);
        assert_eq!(b.on_trade(UnixMicros(10_900_000), a("99"), a("1")), None);
        assert_eq!(b.closes_at(), Some(UnixMicros(11_000_000)));
        assert_eq!(b.roll(UnixMicros(10_999_999)), None);
        let bar = b.roll(UnixMicros(11_000_000)).map(to_bar).unwrap();
        assert_eq!((bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume), (UnixMicros(10_000_000), 100.0, 102.0, 99.0, 99.0, 4.0));
        assert_eq!(b.closes_at(), None, "no trade, no bar");
        // A quiet interval is skipped; the next trade's interval starts the next bar.
        assert_eq!(b.on_trade(UnixMicros(13_200_000), a("101"), a("1")), None);
        let bar = b.on_trade(UnixMicros(14_000_000), a("103"), a("1")).map(to_bar).unwrap();
        assert_eq!((bar.time, bar.close), (UnixMicros(13_000_000), 101.0));
    }

    #[test]
    fn trades_at_one_time_can_be_added_as_one() {
        let trades = [("100", "1"), ("103", "2"), ("98", "1"), ("101", "3")];
        let mut one_by_one = CandleBuilder::new(1_000_000);
        let mut together = CandleBuilder::new(1_000_000);
        one_by_one.on_trade(UnixMicros(500_000), a("99"), a("1"));
        together.on_trade(UnixMicros(500_000), a("99"), a("1"));
        for (p, q) in trades {
            assert_eq!(one_by_one.on_trade(UnixMicros(2_100_000), a(p), a(q)).is_some(), p == "100");
        }
        let at = UnixMicros(2_100_000);
        let merged = Candle { open_time: at, open: a("100"), high: a("103"), low: a("98"), close: a("101"), volume: a("7"), trade_count: 4 };
        let closed = together.on_trades(&merged);
        assert_eq!(closed.map(|b| to_bar(b).close), Some(99.0));
        assert_eq!(one_by_one.roll(UnixMicros(3_000_000)), together.roll(UnixMicros(3_000_000)));
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
        let bars = warmup_bars(&candles, 3 * MINUTE_MICROS, UnixMicros(5 * MINUTE_MICROS + 1));
        assert_eq!(bars.len(), 1, "the bar of minutes 3-5 has not ended");
        assert_eq!((bars[0].open, bars[0].high, bars[0].low, bars[0].close, bars[0].volume), (10.0, 12.0, 10.0, 11.0, 3.0));
        let bars = warmup_bars(&candles, 3 * MINUTE_MICROS, UnixMicros(6 * MINUTE_MICROS));
        assert_eq!(bars.len(), 2);
        assert_eq!((bars[1].time, bars[1].open, bars[1].close, bars[1].volume), (UnixMicros(3 * MINUTE_MICROS), 9.0, 13.0, 2.0));
        assert!(warmup_bars(&candles, 30_000_000, UnixMicros(i64::MAX)).is_empty(), "sub-minute bars have no history");
    }
}
