//! `sma_crossover` and `ema_crossover`: two moving averages of the close.

use super::{ALLOW_SHORT, int};
use crate::indicators::{Cross, Crossing, Ema, Sma};
use crate::{Bar, Context, ParamError, ParamSpec, Params, Strategy};

pub(crate) const PARAMS: &[ParamSpec] = &[
    int("fast", 10.0, 1.0, 100_000.0, "period of the fast simple moving average, in bars"),
    int("slow", 30.0, 2.0, 100_000.0, "period of the slow simple moving average, in bars"),
    ALLOW_SHORT,
];

pub(crate) const EMA_PARAMS: &[ParamSpec] = &[
    int("fast", 12.0, 1.0, 100_000.0, "period of the fast exponential moving average, in bars"),
    int("slow", 26.0, 2.0, 100_000.0, "period of the slow exponential moving average, in bars"),
    ALLOW_SHORT,
];

/// A moving average that can drive a [`Crossover`].
pub trait Average: Send {
    fn update(&mut self, value: f64) -> Option<f64>;
}

impl Average for Sma {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        Sma::update(self, value)
    }
}

impl Average for Ema {
    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        Ema::update(self, value)
    }
}

/// Fast/slow moving-average crossover on the close.
///
/// On the bar where the fast average crosses above the slow one (backtesting.py's
/// `crossover`: below on the previous bar, above on this one) it asks to be long with all the
/// cash; where it crosses below, to be flat, or short with all the margin when `allow_short`.
/// Orders are market orders, so they fill at the next bar's open.
#[derive(Clone, Debug)]
pub struct Crossover<A> {
    fast: A,
    slow: A,
    cross: Cross,
    allow_short: bool,
    warmup: usize,
}

impl Crossover<Sma> {
    pub fn sma(fast: usize, slow: usize, allow_short: bool) -> Self {
        Crossover::new(Sma::new(fast), Sma::new(slow), fast.max(slow) - 1, allow_short)
    }
}

impl Crossover<Ema> {
    pub fn ema(fast: usize, slow: usize, allow_short: bool) -> Self {
        Crossover::new(Ema::new(fast), Ema::new(slow), fast.max(slow) - 1, allow_short)
    }
}

impl<A: Average> Crossover<A> {
    fn new(fast: A, slow: A, warmup: usize, allow_short: bool) -> Self {
        Crossover { fast, slow, cross: Cross::new(), allow_short, warmup }
    }
}

impl<A: Average> Strategy for Crossover<A> {
    fn warmup(&self) -> usize {
        self.warmup
    }

    #[inline]
    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        let fast = self.fast.update(bar.close);
        let slow = self.slow.update(bar.close);
        match self.cross.update(fast.zip(slow)) {
            Some(Crossing::Above) => ctx.go_long(),
            Some(Crossing::Below) if self.allow_short => ctx.go_short(),
            Some(Crossing::Below) => ctx.go_flat(),
            None => {}
        }
    }
}

pub(crate) fn build_sma(p: &Params) -> Result<Box<dyn Strategy>, ParamError> {
    p.require_less("fast", "slow")?;
    Ok(Box::new(Crossover::sma(p.int("fast"), p.int("slow"), p.bool("allow_short"))))
}

pub(crate) fn build_ema(p: &Params) -> Result<Box<dyn Strategy>, ParamError> {
    p.require_less("fast", "slow")?;
    Ok(Box::new(Crossover::ema(p.int("fast"), p.int("slow"), p.bool("allow_short"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Intent, OrderKind, OrderRequest, Size};
    use aetherion_model::{Side, UnixMicros};

    fn run(
        strategy: &mut dyn Strategy,
        closes: &[f64],
        position: i64,
    ) -> Vec<(usize, Vec<Intent>)> {
        let mut ctx = Context::new();
        let mut out = Vec::new();
        for (i, &c) in closes.iter().enumerate() {
            ctx.set_account(position, 1.0, 0);
            strategy.on_bar(&Bar::flat(UnixMicros(i as i64), c), &mut ctx);
            if !ctx.intents().is_empty() {
                out.push((i, ctx.intents().to_vec()));
            }
            ctx.clear_intents();
        }
        out
    }

    const BUY: Intent =
        Intent::Submit(OrderRequest { side: Side::Buy, size: Size::ALL, kind: OrderKind::Market });
    const SELL: Intent =
        Intent::Submit(OrderRequest { side: Side::Sell, size: Size::ALL, kind: OrderKind::Market });

    #[test]
    fn signals_on_the_bar_of_the_cross() {
        // SMA(1) is the close, SMA(2) the mean of two: the close crosses its 2-bar mean.
        let closes = [5.0, 4.0, 3.0, 4.0, 5.0, 4.0, 3.0];
        let mut flat = Crossover::sma(1, 2, false);
        assert_eq!(flat.warmup(), 1);
        assert_eq!(run(&mut flat, &closes, 0), vec![(3, vec![BUY])]);
        let mut long = Crossover::sma(1, 2, false);
        assert_eq!(run(&mut long, &closes, 1), vec![(5, vec![Intent::ClosePosition])]);
        let mut short = Crossover::sma(1, 2, true);
        assert_eq!(run(&mut short, &closes, 0), vec![(3, vec![BUY]), (5, vec![SELL])]);
    }
}
