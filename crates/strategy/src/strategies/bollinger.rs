//! `bollinger_mean_reversion`: buy below the lower band, sell back at the middle.

use super::{ALLOW_SHORT, float, int};
use crate::indicators::RollingStdev;
use crate::{Bar, Context, ParamError, ParamSpec, Params, Strategy};

pub(crate) const PARAMS: &[ParamSpec] = &[
    int("period", 20.0, 2.0, 100_000.0, "window of the middle band (SMA) and deviation, in bars"),
    float("num_std", 2.0, 0.1, 10.0, "band width in population standard deviations"),
    ALLOW_SHORT,
];

/// Long when the close is below `SMA - k·σ`, out when it is back at or above the SMA; with
/// `allow_short`, short above `SMA + k·σ` and out at or below the SMA.
#[derive(Clone, Debug)]
pub struct BollingerMeanReversion {
    bands: RollingStdev,
    num_std: f64,
    allow_short: bool,
}

impl BollingerMeanReversion {
    pub fn new(period: usize, num_std: f64, allow_short: bool) -> Self {
        BollingerMeanReversion { bands: RollingStdev::new(period), num_std, allow_short }
    }
}

impl Strategy for BollingerMeanReversion {
    fn warmup(&self) -> usize {
        self.bands.period() - 1
    }

    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        let Some((middle, sd)) = self.bands.update(bar.close) else { return };
        let close = bar.close;
        let position = ctx.position();
        if close < middle - self.num_std * sd {
            ctx.go_long();
        } else if self.allow_short && close > middle + self.num_std * sd {
            ctx.go_short();
        } else if (position > 0 && close >= middle) || (position < 0 && close <= middle) {
            ctx.go_flat();
        }
    }
}

pub(crate) fn build(p: &Params) -> Result<Box<dyn Strategy>, ParamError> {
    Ok(Box::new(BollingerMeanReversion::new(
        p.int("period"),
        p.get("num_std"),
        p.bool("allow_short"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Intent;
    use aetherion_model::UnixMicros;

    #[test]
    fn enters_below_the_band_and_exits_at_the_middle() {
        let mut s = BollingerMeanReversion::new(4, 1.0, false);
        let mut ctx = Context::new();
        let closes = [10.0, 10.0, 10.0, 10.0, 8.0, 9.0, 10.0];
        let mut log = Vec::new();
        for (i, &c) in closes.iter().enumerate() {
            ctx.set_account(if i > 4 { 1 } else { 0 }, 1.0, 0);
            s.on_bar(&Bar::flat(UnixMicros(i as i64), c), &mut ctx);
            log.extend(ctx.intents().iter().map(|x| (i, *x)));
            ctx.clear_intents();
        }
        // Bar 4: mean 9.5, σ 0.866, lower band 8.63 > 8: buy. Bar 5: mean 9.25 > 9: hold.
        // Bar 6: mean 9.25 <= 10: exit.
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0].0, 4);
        assert_eq!(log[1], (6, Intent::ClosePosition));
    }
}
