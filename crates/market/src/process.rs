//! The fair price of a simulated symbol: a geometric random walk whose volatility follows its
//! own mean-reverting process (so calm and wild periods cluster), plus rare jumps.
//!
//! With `x = ln(price)` and `h = ln(volatility)`, over a step of `dt` years:
//!   h <- h + kappa (theta - h) dt + xi sqrt(dt) Z1
//!   x <- x - exp(2h)/2 dt + exp(h) sqrt(dt) Z2 + J,  J ~ N(0, jump_sigma) with probability lambda dt
//! Time steps may be any length, so the same process makes 1-minute history and live ticks.

use crate::rng::Rng;

/// Seconds in the 365-day year used for annualisation.
pub const SECONDS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProcessParams {
    /// Long-run annualised volatility (0.6 = 60%).
    pub volatility: f64,
    /// Speed at which log-volatility returns to its mean, per year.
    pub kappa: f64,
    /// Volatility of log-volatility, per sqrt(year).
    pub xi: f64,
    /// Expected jumps per year.
    pub jumps_per_year: f64,
    /// Standard deviation of a jump's log return.
    pub jump_sigma: f64,
}

impl Default for ProcessParams {
    fn default() -> Self {
        ProcessParams { volatility: 0.6, kappa: 50.0, xi: 4.0, jumps_per_year: 400.0, jump_sigma: 0.01 }
    }
}

#[derive(Clone, Debug)]
pub struct PriceProcess {
    params: ProcessParams,
    log_price: f64,
    log_vol: f64,
    rng: Rng,
}

impl PriceProcess {
    pub fn new(initial_price: f64, params: ProcessParams, rng: Rng) -> PriceProcess {
        PriceProcess { params, log_price: initial_price.max(f64::MIN_POSITIVE).ln(), log_vol: params.volatility.ln(), rng }
    }

    pub fn price(&self) -> f64 {
        self.log_price.exp()
    }

    /// Current instantaneous annualised volatility.
    pub fn volatility(&self) -> f64 {
        self.log_vol.exp()
    }

    /// Advances by `seconds` and returns the new price.
    pub fn step(&mut self, seconds: f64) -> f64 {
        let dt = seconds.max(0.0) / SECONDS_PER_YEAR;
        let p = self.params;
        let theta = p.volatility.ln();
        self.log_vol += p.kappa * (theta - self.log_vol) * dt + p.xi * dt.sqrt() * self.rng.normal();
        // Keep the volatility within sane bounds (0.1x to 5x its long-run level).
        self.log_vol = self.log_vol.clamp(theta - 2.3, theta + 1.6);
        let sigma = self.log_vol.exp();
        let mut dx = -0.5 * sigma * sigma * dt + sigma * dt.sqrt() * self.rng.normal();
        if self.rng.chance(p.jumps_per_year * dt) {
            dx += p.jump_sigma * self.rng.normal();
        }
        self.log_price += dx;
        self.price()
    }

    /// Moves the process to `price` (for example to continue from a stored close).
    pub fn reset_price(&mut self, price: f64) {
        self.log_price = price.max(f64::MIN_POSITIVE).ln();
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realised_volatility_is_near_the_long_run_level() {
        let mut p = PriceProcess::new(100.0, ProcessParams { jumps_per_year: 0.0, ..Default::default() }, Rng::new(3));
        let mut last = p.price();
        let n = 200_000;
        let mut sum_sq = 0.0;
        for _ in 0..n {
            let next = p.step(60.0);
            sum_sq += (next / last).ln().powi(2);
            last = next;
        }
        let annualised = (sum_sq / n as f64 * (SECONDS_PER_YEAR / 60.0)).sqrt();
        assert!((annualised - 0.6).abs() < 0.12, "{annualised}");
        assert!(p.price() > 0.0);
    }

    #[test]
    fn same_seed_same_path() {
        let run = || {
            let mut p = PriceProcess::new(50.0, ProcessParams::default(), Rng::new(9));
            (0..100).map(|_| p.step(1.0)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
