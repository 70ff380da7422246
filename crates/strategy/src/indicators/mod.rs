//! Incremental indicators: each `update` takes the next value and costs O(1), so a strategy
//! keeps no history of its own and runs the same bar by bar in a backtest or live.
//!
//! An indicator answers `None` until its window is full (its "warm-up"), then `Some(value)`.

mod cross;
mod ema;
mod extrema;
mod rsi;
mod sma;
mod stdev;

pub use cross::{Cross, Crossing};
pub use ema::Ema;
pub use extrema::{RollingMax, RollingMin};
pub use rsi::Rsi;
pub use sma::Sma;
pub use stdev::RollingStdev;

#[cfg(test)]
pub(crate) mod tests_support {
    /// A deterministic random walk around 100 (splitmix64 steps), for comparing indicators
    /// with naive computations.
    pub fn walk(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        let mut price = 100.0;
        (0..n)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                let u = (z >> 11) as f64 / (1u64 << 53) as f64;
                price *= 1.0 + (u - 0.5) * 0.01;
                price
            })
            .collect()
    }

    pub fn naive_mean(xs: &[f64]) -> f64 {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}
