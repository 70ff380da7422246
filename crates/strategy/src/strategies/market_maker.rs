//! `market_maker`: symmetric limit quotes around the close with an inventory limit.

use super::{float, int};
use crate::{Bar, Context, ParamError, ParamSpec, Params, Size, Strategy};

pub(crate) const PARAMS: &[ParamSpec] = &[
    float(
        "spread_pct",
        0.2,
        0.001,
        20.0,
        "distance between the bid and the ask, in percent of the close",
    ),
    int("lots", 1.0, 1.0, 1e9, "lots quoted on each side"),
    int("max_inventory", 10.0, 1.0, 1e12, "largest position, long or short, in lots"),
];

/// After every bar: cancel the previous quotes, bid `close · (1 - spread/2)` and ask
/// `close · (1 + spread/2)` for `lots` lots each, leaving out the side that would take the
/// position beyond `max_inventory` lots long or short.
#[derive(Clone, Debug)]
pub struct MarketMaker {
    half_spread: f64,
    lots: u64,
    max_inventory: i64,
}

impl MarketMaker {
    pub fn new(spread_pct: f64, lots: u64, max_inventory: u64) -> Self {
        MarketMaker { half_spread: spread_pct / 200.0, lots, max_inventory: max_inventory as i64 }
    }
}

impl Strategy for MarketMaker {
    fn warmup(&self) -> usize {
        0
    }

    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        ctx.cancel_all();
        let position = ctx.position();
        let lots = self.lots as i64;
        if position + lots <= self.max_inventory {
            ctx.buy_limit(bar.close * (1.0 - self.half_spread), Size::Lots(self.lots));
        }
        if position - lots >= -self.max_inventory {
            ctx.sell_limit(bar.close * (1.0 + self.half_spread), Size::Lots(self.lots));
        }
    }
}

pub(crate) fn build(p: &Params) -> Result<Box<dyn Strategy>, ParamError> {
    Ok(Box::new(MarketMaker::new(
        p.get("spread_pct"),
        p.get("lots") as u64,
        p.get("max_inventory") as u64,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Intent, OrderKind, OrderRequest};
    use aetherion_model::{Side, UnixMicros};

    #[test]
    fn quotes_both_sides_within_the_inventory_limit() {
        let mut mm = MarketMaker::new(2.0, 3, 6);
        let mut sides = |position| {
            let mut ctx = Context::new();
            ctx.set_account(position, 1.0, 0);
            mm.on_bar(&Bar::flat(UnixMicros(0), 100.0), &mut ctx);
            ctx.intents()
                .iter()
                .filter_map(|x| match x {
                    Intent::Submit(OrderRequest { side, kind: OrderKind::Limit(p), .. }) => {
                        Some((*side, *p))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(sides(0), vec![(Side::Buy, 99.0), (Side::Sell, 101.0)]);
        assert_eq!(sides(4), vec![(Side::Sell, 101.0)]);
        assert_eq!(sides(-6), vec![(Side::Buy, 99.0)]);
    }
}
