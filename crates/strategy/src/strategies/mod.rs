//! The built-in strategies. Each module holds one strategy, its parameter schema and its
//! constructor; [`crate::builtin`] lists them.

pub mod bollinger;
pub mod breakout;
pub mod crossover;
pub mod grid;
pub mod market_maker;
pub mod rsi;

use crate::{ParamKind, ParamSpec};

pub(crate) const ALLOW_SHORT: ParamSpec = ParamSpec {
    name: "allow_short",
    kind: ParamKind::Bool,
    default: 0.0,
    min: 0.0,
    max: 1.0,
    description: "0: long only (flat instead of short); 1: also take short positions",
};

pub(crate) const fn int(
    name: &'static str,
    default: f64,
    min: f64,
    max: f64,
    description: &'static str,
) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Int, default, min, max, description }
}

pub(crate) const fn float(
    name: &'static str,
    default: f64,
    min: f64,
    max: f64,
    description: &'static str,
) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Float, default, min, max, description }
}
