//! The built-in strategies: names, descriptions, parameter schemas, and construction.

use std::collections::BTreeMap;

use crate::strategies::{bollinger, breakout, crossover, grid, market_maker, rsi};
use crate::{ParamError, ParamSpec, Params, Strategy};

type Build = fn(&Params) -> Result<Box<dyn Strategy>, ParamError>;

/// A built-in strategy as the API lists it.
#[derive(Clone, Copy, Debug)]
pub struct StrategyInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub params: &'static [ParamSpec],
    build: Build,
}

impl StrategyInfo {
    /// Validates `params` against [`StrategyInfo::params`] (and the strategy's own rules, such
    /// as `fast < slow`) and returns the complete set with defaults filled in.
    pub fn validate(&self, params: &BTreeMap<String, f64>) -> Result<Params, ParamError> {
        let params = Params::validate(self.params, params)?;
        (self.build)(&params)?;
        Ok(params)
    }

    /// A new instance with validated parameters.
    pub fn create(&self, params: &BTreeMap<String, f64>) -> Result<Box<dyn Strategy>, ParamError> {
        (self.build)(&Params::validate(self.params, params)?)
    }
}

static BUILTIN: &[StrategyInfo] = &[
    StrategyInfo {
        name: "sma_crossover",
        description: "Simple moving average crossover. Buys on the bar after the fast SMA of \
            the close crosses above the slow one. With allow_short = 0 it goes flat after a \
            down-cross; with allow_short = 1 it is always in the market: long after an up-cross, \
            short after a down-cross.",
        params: crossover::PARAMS,
        build: crossover::build_sma,
    },
    StrategyInfo {
        name: "ema_crossover",
        description: "Exponential moving average crossover, the same rules as sma_crossover \
            with EMAs (seeded by the simple mean of their first period).",
        params: crossover::EMA_PARAMS,
        build: crossover::build_ema,
    },
    StrategyInfo {
        name: "rsi_mean_reversion",
        description: "Wilder's RSI of the close: goes long when it falls below oversold, leaves \
            (or, with allow_short = 1, goes short) when it rises above overbought.",
        params: rsi::PARAMS,
        build: rsi::build,
    },
    StrategyInfo {
        name: "bollinger_mean_reversion",
        description: "Bollinger bands (SMA ± num_std population standard deviations): goes long \
            when the close falls below the lower band and exits at the middle band; with \
            allow_short = 1 also shorts above the upper band.",
        params: bollinger::PARAMS,
        build: bollinger::build,
    },
    StrategyInfo {
        name: "momentum_breakout",
        description: "Donchian breakout: goes long when the close exceeds the highest high of \
            the previous lookback bars and exits below the lowest low of the previous \
            exit_lookback bars; with allow_short = 1 the mirror image on the short side.",
        params: breakout::PARAMS,
        build: breakout::build,
    },
    StrategyInfo {
        name: "grid",
        description: "Long-only grid around the first close: levels spacing_pct apart \
            (geometric); keeps a limit buy at the level below the close and, while holding, a \
            limit sell at the level above, lots_per_level each, at most `levels` lots deep.",
        params: grid::PARAMS,
        build: grid::build,
    },
    StrategyInfo {
        name: "market_maker",
        description: "Quotes both sides around each close: a limit buy spread_pct/2 below and a \
            limit sell spread_pct/2 above, `lots` each, requoted every bar, skipping the side \
            that would take the inventory beyond max_inventory lots either way.",
        params: market_maker::PARAMS,
        build: market_maker::build,
    },
];

/// Every built-in strategy, in a fixed order.
pub fn builtin() -> &'static [StrategyInfo] {
    BUILTIN
}

/// The built-in strategy called `name`.
pub fn find(name: &str) -> Option<&'static StrategyInfo> {
    BUILTIN.iter().find(|s| s.name == name)
}

/// Creates the built-in strategy `name` after validating every parameter (unknown names, out
/// of range values, non-integers for `Int`, and each strategy's own rules such as
/// `fast < slow`). Missing parameters take their defaults.
pub fn create(name: &str, params: &BTreeMap<String, f64>) -> Result<Box<dyn Strategy>, ParamError> {
    find(name).ok_or_else(|| ParamError::UnknownStrategy { name: name.to_string() })?.create(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bar, Context, ParamKind};
    use aetherion_model::UnixMicros;

    #[test]
    fn every_builtin_is_listed_once_and_builds_with_its_defaults() {
        let names: Vec<&str> = builtin().iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "sma_crossover",
                "ema_crossover",
                "rsi_mean_reversion",
                "bollinger_mean_reversion",
                "momentum_breakout",
                "grid",
                "market_maker"
            ]
        );
        for info in builtin() {
            for p in info.params {
                assert!(p.min <= p.default && p.default <= p.max, "{} {}", info.name, p.name);
                assert!(!p.description.is_empty());
                if p.kind != ParamKind::Float {
                    assert_eq!(p.default.fract(), 0.0);
                }
            }
            let mut s = create(info.name, &BTreeMap::new()).unwrap();
            let mut ctx = Context::new();
            for i in 0..300 {
                let price = 100.0 + (i as f64 * 0.1).sin() * 5.0;
                ctx.set_account(0, 1e6, 0);
                s.on_bar(&Bar::flat(UnixMicros(i * 60_000_000), price), &mut ctx);
                ctx.clear_intents();
            }
        }
    }

    #[test]
    fn create_refuses_with_the_parameter_named() {
        let p = |pairs: &[(&str, f64)]| -> BTreeMap<String, f64> {
            pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
        };
        let name_of = |s: &str, pairs: &[(&str, f64)]| match create(s, &p(pairs)) {
            Ok(_) => panic!("{s} {pairs:?} accepted"),
            Err(e) => e.name().to_string(),
        };
        assert_eq!(name_of("nope", &[]), "nope");
        assert_eq!(name_of("sma_crossover", &[("fast", 30.0), ("slow", 30.0)]), "fast");
        assert_eq!(name_of("sma_crossover", &[("fast", 2.5)]), "fast");
        assert_eq!(name_of("sma_crossover", &[("slow", 0.0)]), "slow");
        assert_eq!(name_of("sma_crossover", &[("allow_short", 2.0)]), "allow_short");
        assert_eq!(name_of("sma_crossover", &[("speed", 1.0)]), "speed");
        assert_eq!(name_of("rsi_mean_reversion", &[("oversold", 80.0)]), "oversold");
        assert!(find("grid").unwrap().validate(&p(&[("levels", 3.0)])).is_ok());
    }
}
