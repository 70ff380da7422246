//! `rsi_mean_reversion`: Wilder's RSI of the close against two thresholds.

use super::{ALLOW_SHORT, float, int};
use crate::indicators::Rsi;
use crate::{Bar, Context, ParamError, ParamSpec, Params, Strategy};

pub(crate) const PARAMS: &[ParamSpec] = &[
    int("period", 14.0, 1.0, 10_000.0, "RSI period, in bars"),
    float("oversold", 30.0, 0.0, 100.0, "go long when the RSI is below this level"),
    float("overbought", 70.0, 0.0, 100.0, "exit (or go short) when the RSI is above this level"),
    ALLOW_SHORT,
];

/// Long while the RSI is below `oversold`; flat (or short) once it is above `overbought`.
#[derive(Clone, Debug)]
pub struct RsiMeanReversion {
    rsi: Rsi,
    oversold: f64,
    overbought: f64,
    allow_short: bool,
}

impl RsiMeanReversion {
    pub fn new(period: usize, oversold: f64, overbought: f64, allow_short: bool) -> Self {
        RsiMeanReversion { rsi: Rsi::new(period), oversold, overbought, allow_short }
    }
}

impl Strategy for RsiMeanReversion {
    fn warmup(&self) -> usize {
        self.rsi.period()
    }

    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        let Some(rsi) = self.rsi.update(bar.close) else { return };
        if rsi < self.oversold {
            ctx.go_long();
        } else if rsi > self.overbought {
            if self.allow_short { ctx.go_short() } else { ctx.go_flat() }
        }
    }
}

pub(crate) fn build(p: &Params) -> Result<Box<dyn Strategy>, ParamError> {
    p.require_less("oversold", "overbought")?;
    Ok(Box::new(RsiMeanReversion::new(
        p.int("period"),
        p.get("oversold"),
        p.get("overbought"),
        p.bool("allow_short"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Intent;
    use aetherion_model::UnixMicros;

    #[test]
    fn buys_after_a_fall_and_exits_after_a_rise() {
        let mut s = RsiMeanReversion::new(3, 30.0, 70.0, false);
        let mut ctx = Context::new();
        let mut position = 0;
        let mut log = Vec::new();
        let closes = [10.0, 9.0, 8.0, 7.0, 8.0, 9.0, 10.0, 11.0];
        for (i, &c) in closes.iter().enumerate() {
            ctx.set_account(position, 1.0, 0);
            s.on_bar(&Bar::flat(UnixMicros(i as i64), c), &mut ctx);
            for intent in ctx.intents() {
                log.push((i, *intent));
                position = if matches!(intent, Intent::ClosePosition) { 0 } else { 1 };
            }
            ctx.clear_intents();
        }
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0].0, 3);
        assert_eq!(log[1], (6, Intent::ClosePosition));
    }
}
