//! `momentum_breakout`: Donchian channel breakouts.

use super::{ALLOW_SHORT, int};
use crate::indicators::{RollingMax, RollingMin};
use crate::{Bar, Context, ParamError, ParamSpec, Params, Strategy};

pub(crate) const PARAMS: &[ParamSpec] = &[
    int("lookback", 20.0, 1.0, 100_000.0, "entry channel: bars of highs (lows) to break"),
    int("exit_lookback", 10.0, 1.0, 100_000.0, "exit channel: bars of lows (highs) to break"),
    ALLOW_SHORT,
];

/// Long when the close is above the highest high of the previous `lookback` bars; out when it
/// is below the lowest low of the previous `exit_lookback` bars. With `allow_short`, short
/// below the lowest low of `lookback` bars and out above the highest high of `exit_lookback`.
/// The channels exclude the current bar.
#[derive(Clone, Debug)]
pub struct MomentumBreakout {
    entry_high: RollingMax,
    entry_low: RollingMin,
    exit_high: RollingMax,
    exit_low: RollingMin,
    warmup: usize,
    allow_short: bool,
}

impl MomentumBreakout {
    pub fn new(lookback: usize, exit_lookback: usize, allow_short: bool) -> Self {
        MomentumBreakout {
            entry_high: RollingMax::new(lookback),
            entry_low: RollingMin::new(lookback),
            exit_high: RollingMax::new(exit_lookback),
            exit_low: RollingMin::new(exit_lookback),
            warmup: lookback.max(exit_lookback),
            allow_short,
        }
    }
}

impl Strategy for MomentumBreakout {
    fn warmup(&self) -> usize {
        self.warmup
    }

    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        let channels = (
            self.entry_high.value(),
            self.entry_low.value(),
            self.exit_high.value(),
            self.exit_low.value(),
        );
        self.entry_high.update(bar.high);
        self.entry_low.update(bar.low);
        self.exit_high.update(bar.high);
        self.exit_low.update(bar.low);
        let (Some(up), Some(down), Some(exit_up), Some(exit_down)) = channels else { return };
        let (close, position) = (bar.close, ctx.position());
        if close > up {
            ctx.go_long();
        } else if self.allow_short && close < down {
            ctx.go_short();
        } else if (position > 0 && close < exit_down) || (position < 0 && close > exit_up) {
            ctx.go_flat();
        }
    }
}

pub(crate) fn build(p: &Params) -> Result<Box<dyn Strategy>, ParamError> {
    Ok(Box::new(MomentumBreakout::new(
        p.int("lookback"),
        p.int("exit_lookback"),
        p.bool("allow_short"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Intent;
    use aetherion_model::UnixMicros;

    #[test]
    fn breaks_out_above_the_previous_highs_and_exits_below_the_lows() {
        let mut s = MomentumBreakout::new(3, 2, false);
        assert_eq!(s.warmup(), 3);
        let mut ctx = Context::new();
        let closes = [10.0, 11.0, 10.5, 11.5, 11.2, 10.0, 9.0];
        let mut log = Vec::new();
        let mut position = 0;
        for (i, &c) in closes.iter().enumerate() {
            ctx.set_account(position, 1.0, 0);
            s.on_bar(&Bar::flat(UnixMicros(i as i64), c), &mut ctx);
            for x in ctx.intents() {
                log.push((i, *x));
                position = if *x == Intent::ClosePosition { 0 } else { 1 };
            }
            ctx.clear_intents();
        }
        // Bar 3: 11.5 > max(10, 11, 10.5). Bar 5: 10.0 < min(11.5, 11.2).
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0].0, 3);
        assert_eq!(log[1], (5, Intent::ClosePosition));
    }
}
