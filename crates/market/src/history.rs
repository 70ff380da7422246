//! Synthetic one-minute history for a new symbol, so that charts, momentum and risk have data
//! from the first second. The path comes from the same price process as the live market and
//! is scaled so that its last close is the symbol's current price.

use aetherion_model::{Amount, Grid, UnixMicros};

use crate::candles::{Candle, MINUTE_MICROS, align};
use crate::process::PriceProcess;

/// Sub-steps simulated inside each minute to give it a high and a low.
const SUB_STEPS: usize = 6;

/// `minutes` one-minute candles ending with the minute before `end`, the last close at
/// `last_price` (snapped to the grid). Deterministic for a given process state; the process
/// is left at `last_price`, ready to continue live.
pub fn generate(process: &mut PriceProcess, grid: &Grid, end: UnixMicros, minutes: usize, last_price: f64) -> Vec<Candle> {
    let raw = walk(process, minutes);
    let final_price = process.price();
    let scale = if final_price > 0.0 { last_price / final_price } else { 1.0 };
    process.reset_price(last_price);
    let first_minute = align(end, MINUTE_MICROS).0 - minutes as i64 * MINUTE_MICROS;
    to_candles(&raw, grid, first_minute, scale, last_price)
}

/// `minutes` one-minute candles from `start` (aligned down to a minute) on, continuing the
/// process from its current price: to fill the time a server was down.
pub fn extend(process: &mut PriceProcess, grid: &Grid, start: UnixMicros, minutes: usize) -> Vec<Candle> {
    let reference = process.price();
    let raw = walk(process, minutes);
    to_candles(&raw, grid, align(start, MINUTE_MICROS).0, 1.0, reference)
}

struct RawMinute {
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    activity: f64,
    trades: u64,
}

fn walk(process: &mut PriceProcess, minutes: usize) -> Vec<RawMinute> {
    let mut raw = Vec::with_capacity(minutes);
    let mut price = process.price();
    let dt = 60.0 / SUB_STEPS as f64;
    for _ in 0..minutes {
        let open = price;
        let (mut high, mut low) = (open, open);
        for _ in 0..SUB_STEPS {
            price = process.step(dt);
            high = high.max(price);
            low = low.min(price);
        }
        // Busier minutes move more: activity follows the size of the move, with noise.
        let rng = process.rng();
        let activity = 1.0 + 40.0 * ((high - low) / open) + 0.5 * rng.normal().abs();
        let trades = 5 + rng.below(40) + (activity * 10.0) as u64;
        raw.push(RawMinute { open, high, low, close: price, activity, trades });
    }
    raw
}

fn to_candles(raw: &[RawMinute], grid: &Grid, first_minute: i64, scale: f64, reference_price: f64) -> Vec<Candle> {
    // A typical minute trades about 20,000 of the quote asset.
    let base_qty = 20_000.0 / reference_price.max(1e-9);
    raw.iter()
        .enumerate()
        .map(|(i, r)| {
            let open = snap_price(grid, r.open * scale);
            let close = snap_price(grid, r.close * scale);
            let high = snap_price(grid, r.high * scale).max(open).max(close);
            let low = snap_price(grid, r.low * scale).min(open).min(close);
            Candle {
                open_time: UnixMicros(first_minute + i as i64 * MINUTE_MICROS),
                open,
                high,
                low,
                close,
                volume: snap_qty(grid, base_qty * r.activity),
                trade_count: r.trades,
            }
        })
        .collect()
}

/// The nearest price on the grid, at least one tick.
pub fn snap_price(grid: &Grid, price: f64) -> Amount {
    let ticks = (price / raw_f64(grid.tick_size)).round().max(1.0);
    grid.ticks_to_price(ticks.min(1e15) as u64).unwrap_or(grid.tick_size)
}

/// The nearest quantity on the grid, at least one lot.
pub fn snap_qty(grid: &Grid, qty: f64) -> Amount {
    let lots = (qty / raw_f64(grid.lot_size)).round().max(1.0);
    grid.lots_to_qty(lots.min(1e15) as u64).unwrap_or(grid.lot_size)
}

fn raw_f64(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ProcessParams;
    use crate::rng::Rng;

    #[test]
    fn a_week_of_consistent_candles_ending_at_the_current_price() {
        let grid = Grid::new("0.01".parse().unwrap(), "0.00001".parse().unwrap()).unwrap();
        let mut p = PriceProcess::new(60_000.0, ProcessParams::default(), Rng::new(42));
        let end = UnixMicros(1_700_000_000_000_000 + 12_345);
        let week = 7 * 24 * 60;
        let candles = generate(&mut p, &grid, end, week, 60_000.0);
        assert_eq!(candles.len(), week);
        assert_eq!(candles.last().unwrap().close, "60000".parse().unwrap());
        assert_eq!(candles.last().unwrap().open_time.0 + MINUTE_MICROS, align(end, MINUTE_MICROS).0);
        for w in candles.windows(2) {
            assert_eq!(w[1].open_time.0 - w[0].open_time.0, MINUTE_MICROS);
        }
        for c in &candles {
            assert!(c.low <= c.open && c.open <= c.high && c.low <= c.close && c.close <= c.high, "{c:?}");
            assert!(c.volume.is_positive() && c.trade_count > 0);
            assert!(c.close.is_multiple_of(grid.tick_size) && c.volume.is_multiple_of(grid.lot_size));
        }
        assert_eq!(p.price().round(), 60_000.0, "the live process continues from the last close");

        let gap = extend(&mut p, &grid, end, 30);
        assert_eq!(gap.len(), 30);
        assert_eq!(gap[0].open_time, align(end, MINUTE_MICROS));
        assert_eq!(gap[0].open, "60000".parse().unwrap(), "continues where the history ended");
    }
}
