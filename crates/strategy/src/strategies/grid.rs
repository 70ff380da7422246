//! `grid`: a long-only grid of limit orders around the first close.

use super::{float, int};
use crate::{Bar, Context, ParamError, ParamSpec, Params, Size, Strategy};

pub(crate) const PARAMS: &[ParamSpec] = &[
    float("spacing_pct", 1.0, 0.01, 50.0, "distance between grid levels, in percent"),
    int(
        "levels",
        5.0,
        1.0,
        1_000.0,
        "levels on each side of the first close; maximum lots held / lots_per_level",
    ),
    int("lots_per_level", 1.0, 1.0, 1e9, "lots bought or sold at each level"),
];

/// Levels at `center · (1 + spacing)^k` for `k` in `-levels..=levels`, `center` being the first
/// close seen. After every bar the strategy cancels its orders and places a limit buy at the
/// highest level strictly below the close (unless it already holds `levels` steps) and, while it
/// holds something, a limit sell at the lowest level strictly above the close. Each fill is
/// `lots_per_level` lots. Levels outside the grid are not quoted.
#[derive(Clone, Debug)]
pub struct Grid {
    step: f64,
    levels: i64,
    lots: u64,
    center: Option<f64>,
}

impl Grid {
    pub fn new(spacing_pct: f64, levels: usize, lots_per_level: u64) -> Self {
        Grid {
            step: 1.0 + spacing_pct / 100.0,
            levels: levels as i64,
            lots: lots_per_level,
            center: None,
        }
    }

    fn level(&self, center: f64, k: i64) -> f64 {
        center * self.step.powi(k as i32)
    }
}

impl Strategy for Grid {
    fn warmup(&self) -> usize {
        0
    }

    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        let center = *self.center.get_or_insert(bar.close);
        ctx.cancel_all();
        let close = bar.close;
        // Highest k with level(k) < close, then correct for rounding in the logarithm.
        let mut k = ((close / center).ln() / self.step.ln()).floor() as i64;
        while self.level(center, k) >= close {
            k -= 1;
        }
        while self.level(center, k + 1) < close {
            k += 1;
        }
        let held = ctx.position().max(0) as u64 / self.lots;
        if held < self.levels as u64 && (-self.levels..=self.levels).contains(&k) {
            ctx.buy_limit(self.level(center, k), Size::Lots(self.lots));
        }
        let mut above = k + 1;
        if self.level(center, above) == close {
            above += 1;
        }
        if held > 0 && (-self.levels..=self.levels).contains(&above) {
            ctx.sell_limit(self.level(center, above), Size::Lots(self.lots));
        }
    }
}

pub(crate) fn build(p: &Params) -> Result<Box<dyn Strategy>, ParamError> {
    Ok(Box::new(Grid::new(p.get("spacing_pct"), p.int("levels"), p.get("lots_per_level") as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Intent, OrderKind, OrderRequest};
    use aetherion_model::{Side, UnixMicros};

    fn quotes(s: &mut Grid, close: f64, position: i64) -> Vec<(Side, f64)> {
        let mut ctx = Context::new();
        ctx.set_account(position, 1.0, 0);
        s.on_bar(&Bar::flat(UnixMicros(0), close), &mut ctx);
        assert_eq!(ctx.intents()[0], Intent::CancelAll);
        ctx.intents()[1..]
            .iter()
            .map(|x| match x {
                Intent::Submit(OrderRequest { side, kind: OrderKind::Limit(p), size }) => {
                    assert_eq!(*size, Size::Lots(2));
                    (*side, (p * 1e6).round() / 1e6)
                }
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn quotes_the_neighbouring_levels() {
        let mut g = Grid::new(10.0, 2, 2);
        assert_eq!(quotes(&mut g, 100.0, 0), vec![(Side::Buy, 90.909091)]);
        assert_eq!(quotes(&mut g, 95.0, 2), vec![(Side::Buy, 90.909091), (Side::Sell, 100.0)]);
        assert_eq!(
            quotes(&mut g, 85.0, 4),
            vec![(Side::Sell, 90.909091)],
            "two steps held: no buy"
        );
        assert_eq!(quotes(&mut g, 80.0, 0), vec![], "below the grid");
        assert_eq!(quotes(&mut g, 115.0, 2), vec![(Side::Buy, 110.0), (Side::Sell, 121.0)]);
        assert_eq!(quotes(&mut g, 125.0, 2), vec![(Side::Buy, 121.0)], "sell level above the grid");
    }
}
