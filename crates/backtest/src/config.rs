use thiserror::Error;

/// What happens to trades still open after the last bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Finalize {
    /// Close them at the last bar's close (with slippage and commission) and count them:
    /// the final equity is the equity marked at the last close, less the exit costs. Orders
    /// still pending are dropped. This is the convention of the reference figures in
    /// `bench/README.md`.
    #[default]
    AtLastClose,
    /// Replay backtesting.py 0.6's `finalize_trades=True` exactly: closing orders are put at
    /// the front of the queue and the last bar is processed once more, so they (and any order
    /// the strategy placed on the last bar) fill at the last bar's *open*; the equity curve's
    /// last point is then re-marked at the last close. Trades opened by that replay stay open
    /// and are not counted.
    BacktestingPy,
    /// Leave them open (backtesting.py's default, `finalize_trades=False`): they are not in the
    /// trade list or the trade statistics, and the equity is marked at the last close.
    LeaveOpen,
}

/// The settings of a backtest.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Starting cash, > 0.
    pub cash: f64,
    /// Commission as a fraction of the notional of every fill (entry and exit), in
    /// `[0, 0.1)`: 0.001 is 0.1 %.
    pub commission: f64,
    /// Slippage as a fraction of the price, in `[0, 0.1)`, applied against the trader on every
    /// market fill and triggered stop (buys fill higher, sells lower), including closes.
    /// Limit orders fill at their price or better and get none.
    pub slippage: f64,
    /// Units of the instrument in one lot, > 0. Orders are whole lots.
    pub lot_size: f64,
    pub finalize: Finalize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cash: 10_000.0,
            commission: 0.0,
            slippage: 0.0,
            lot_size: 1.0,
            finalize: Finalize::default(),
        }
    }
}

/// A setting that cannot be used, naming the field.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub reason: &'static str,
}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |field, reason| Err(ConfigError { field, reason });
        if !(self.cash.is_finite() && self.cash > 0.0) {
            return err("cash", "must be a positive number");
        }
        if !(0.0..0.1).contains(&self.commission) {
            return err("commission", "must be a fraction in [0, 0.1)");
        }
        if !(0.0..0.1).contains(&self.slippage) {
            return err("slippage", "must be a fraction in [0, 0.1)");
        }
        if !(self.lot_size.is_finite() && self.lot_size > 0.0) {
            return err("lot_size", "must be a positive number");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_field() {
        let ok = Config::default();
        assert!(ok.validate().is_ok());
        let bad = [
            (Config { cash: 0.0, ..ok.clone() }, "cash"),
            (Config { cash: f64::INFINITY, ..ok.clone() }, "cash"),
            (Config { commission: -0.01, ..ok.clone() }, "commission"),
            (Config { commission: f64::NAN, ..ok.clone() }, "commission"),
            (Config { slippage: 0.2, ..ok.clone() }, "slippage"),
            (Config { lot_size: 0.0, ..ok.clone() }, "lot_size"),
        ];
        for (config, field) in bad {
            assert_eq!(config.validate().unwrap_err().field, field);
        }
    }
}
