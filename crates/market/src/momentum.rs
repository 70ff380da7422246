//! Momentum analytics across symbols.
//!
//! For each symbol: the percent change of the last price against the close 1 minute, 5 minutes,
//! 1 hour and 24 hours ago; the annualised volatility of 1-minute log returns over the last 24
//! hours (sample standard deviation times sqrt(525,600)); and a composite score
//!   score = 0.1 z(change_1m) + 0.2 z(change_5m) + 0.3 z(change_1h) + 0.4 z(change_24h)
//! where z is the z-score across the symbols compared (population standard deviation; 0 when
//! fewer than two symbols or no dispersion). Rank 1 is the highest score; ties go to the
//! symbol name in order.

use aetherion_model::{Amount, UnixMicros};

use crate::candles::{Candle, MINUTE_MICROS};

/// Reads one metric of a row.
type Column = fn(&MomentumMetric) -> f64;

const MINUTES_PER_YEAR: f64 = 525_600.0;

/// What momentum is computed from, per symbol.
pub struct MomentumInput<'a> {
    pub symbol: &'a str,
    pub last_price: Amount,
    /// One-minute candles in time order, covering at least the last 24 hours where possible.
    pub candles: &'a [Candle],
}

#[derive(Clone, Debug, PartialEq)]
pub struct MomentumMetric {
    pub symbol: String,
    pub last_price: Amount,
    pub change_1m_percent: f64,
    pub change_5m_percent: f64,
    pub change_1h_percent: f64,
    pub change_24h_percent: f64,
    pub volatility: f64,
    pub score: f64,
    pub rank: u32,
}

/// Metrics for every input, ranked (best first). `now` is the time of the last prices.
pub fn compute(inputs: &[MomentumInput<'_>], now: UnixMicros) -> Vec<MomentumMetric> {
    let mut out: Vec<MomentumMetric> = inputs
        .iter()
        .map(|input| {
            let change = |minutes: i64| percent_change(input, now, minutes);
            MomentumMetric {
                symbol: input.symbol.to_owned(),
                last_price: input.last_price,
                change_1m_percent: change(1),
                change_5m_percent: change(5),
                change_1h_percent: change(60),
                change_24h_percent: change(1440),
                volatility: volatility(input.candles, now),
                score: 0.0,
                rank: 0,
            }
        })
        .collect();
    let columns: [(Column, f64); 4] = [
        (|m| m.change_1m_percent, 0.1),
        (|m| m.change_5m_percent, 0.2),
        (|m| m.change_1h_percent, 0.3),
        (|m| m.change_24h_percent, 0.4),
    ];
    for (get, weight) in columns {
        let values: Vec<f64> = out.iter().map(get).collect();
        for (m, z) in out.iter_mut().zip(z_scores(&values)) {
            m.score += weight * z;
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.symbol.cmp(&b.symbol)));
    for (i, m) in out.iter_mut().enumerate() {
        m.rank = i as u32 + 1;
    }
    out
}

fn to_f64(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

/// Percent change of the last price against the last close at or before `now - minutes`
/// (against the first open when the history is shorter).
fn percent_change(input: &MomentumInput<'_>, now: UnixMicros, minutes: i64) -> f64 {
    let cutoff = now.0 - minutes * MINUTE_MICROS;
    // A candle's close is the price at the end of its minute.
    let idx = input.candles.partition_point(|c| c.open_time.0 + MINUTE_MICROS <= cutoff);
    let reference = match idx {
        0 => input.candles.first().map(|c| c.open),
        i => Some(input.candles[i - 1].close),
    };
    match reference {
        Some(r) if r.is_positive() => (to_f64(input.last_price) / to_f64(r) - 1.0) * 100.0,
        _ => 0.0,
    }
}

fn volatility(candles: &[Candle], now: UnixMicros) -> f64 {
    let since = now.0 - 1440 * MINUTE_MICROS;
    let start = candles.partition_point(|c| c.open_time.0 < since);
    let returns: Vec<f64> = candles[start..]
        .windows(2)
        .filter(|w| w[0].close.is_positive() && w[1].close.is_positive())
        .map(|w| (to_f64(w[1].close) / to_f64(w[0].close)).ln())
        .collect();
    if returns.len() < 2 {
        return 0.0;
    }
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (var * MINUTES_PER_YEAR).sqrt()
}

fn z_scores(values: &[f64]) -> Vec<f64> {
    if values.len() < 2 {
        return vec![0.0; values.len()];
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd == 0.0 || !sd.is_finite() {
        return vec![0.0; values.len()];
    }
    values.iter().map(|v| (v - mean) / sd).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_040_000_000;

    fn candles(closes: &[i64]) -> Vec<Candle> {
        closes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let p = Amount::from_units(c).unwrap();
                Candle { open_time: UnixMicros(T0 + i as i64 * MINUTE_MICROS), open: p, high: p, low: p, close: p, volume: p, trade_count: 1 }
            })
            .collect()
    }

    #[test]
    fn changes_refer_to_the_close_that_many_minutes_ago() {
        let closes: Vec<i64> = (0..120).map(|i| 100 + i).collect(); // 100..=219
        let cs = candles(&closes);
        // The end of the last candle: the last price is its close, 219.
        let now = UnixMicros(T0 + 120 * MINUTE_MICROS);
        let input = MomentumInput { symbol: "A", last_price: Amount::from_units(219).unwrap(), candles: &cs };
        let m = &compute(&[input], now)[0];
        // One minute ago the price was the close of the candle before the last: 218.
        assert!((m.change_1m_percent - (219.0 / 218.0 - 1.0) * 100.0).abs() < 1e-9);
        assert!((m.change_5m_percent - (219.0 / 214.0 - 1.0) * 100.0).abs() < 1e-9);
        assert!((m.change_1h_percent - (219.0 / 159.0 - 1.0) * 100.0).abs() < 1e-9);
        // Less than 24 hours of data: compared with the first open.
        assert!((m.change_24h_percent - (219.0 / 100.0 - 1.0) * 100.0).abs() < 1e-9);
        assert_eq!((m.score, m.rank), (0.0, 1), "one symbol: no dispersion");
    }

    #[test]
    fn volatility_of_alternating_returns_is_known() {
        // Closes alternate 100, 101: log returns +-ln(1.01).
        let closes: Vec<i64> = (0..1000).map(|i| if i % 2 == 0 { 100 } else { 101 }).collect();
        let cs = candles(&closes);
        let now = UnixMicros(T0 + 1000 * MINUTE_MICROS);
        let r = (101.0f64 / 100.0).ln();
        let n = 999.0;
        let mean = r / n; // 500 ups, 499 downs
        let var = (500.0 * (r - mean).powi(2) + 499.0 * (-r - mean).powi(2)) / (n - 1.0);
        let expected = (var * MINUTES_PER_YEAR).sqrt();
        let v = volatility(&cs, now);
        assert!((v - expected).abs() / expected < 1e-9, "{v} vs {expected}");
    }

    #[test]
    fn ranks_follow_the_weighted_z_scores() {
        let up: Vec<i64> = (0..100).map(|i| 100 + i).collect();
        let flat = vec![100; 100];
        let down: Vec<i64> = (0..100).map(|i| 200 - i).collect();
        let (a, b, c) = (candles(&up), candles(&flat), candles(&down));
        let now = UnixMicros(T0 + 100 * MINUTE_MICROS);
        let p = |x| Amount::from_units(x).unwrap();
        let out = compute(
            &[
                MomentumInput { symbol: "FLAT", last_price: p(100), candles: &b },
                MomentumInput { symbol: "DOWN", last_price: p(100), candles: &c },
                MomentumInput { symbol: "UP", last_price: p(200), candles: &a },
            ],
            now,
        );
        let names: Vec<_> = out.iter().map(|m| (m.symbol.as_str(), m.rank)).collect();
        assert_eq!(names, [("UP", 1), ("FLAT", 2), ("DOWN", 3)]);
        assert!(out[0].score > 0.0 && out[2].score < 0.0);
        let total: f64 = out.iter().map(|m| m.score).sum();
        assert!(total.abs() < 1e-9, "z-scores sum to zero");
    }
}
