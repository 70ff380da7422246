//! The simulated market of one symbol: liquidity providers quote a ladder around a fair price
//! that follows the seeded [`PriceProcess`], and takers send market orders at random times.
//! Both trade in the real order book, through the same commands as any user.
//!
//! The simulator only proposes [`Command`]s; the caller applies them to the book. Given the
//! seed and the sequence of `step` calls, the commands are always the same.

use aetherion_book::{Command, NewOrder, OrderBook, OrderId, OrderKind, OwnerId, Side, Ticks, TimeInForce};
use aetherion_model::{Amount, Grid};

use crate::process::{PriceProcess, ProcessParams};
use crate::rng::Rng;

/// The owner of the liquidity providers' quotes.
pub const MAKER_OWNER: OwnerId = OwnerId(1);
/// The owner of the simulated takers' orders.
pub const TAKER_OWNER: OwnerId = OwnerId(2);
/// Simulator order ids have the top bit set, so they never collide with the ids the server
/// gives to user and bot orders.
pub const SIM_ID_BASE: u64 = 1 << 63;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VenueParams {
    /// Quote levels per side.
    pub levels: u32,
    /// Distance of the best quotes from the fair price, as a fraction (0.0002 = 2 bp).
    pub half_spread: f64,
    /// Distance between consecutive quote levels, as a fraction.
    pub level_step: f64,
    /// Average value of one quote level, in the quote asset.
    pub level_notional: f64,
    /// Average number of taker orders per second.
    pub takers_per_second: f64,
    /// Average value of one taker order, in the quote asset.
    pub taker_notional: f64,
    pub process: ProcessParams,
}

impl Default for VenueParams {
    fn default() -> Self {
        VenueParams {
            levels: 10,
            half_spread: 0.0002,
            level_step: 0.0001,
            level_notional: 25_000.0,
            takers_per_second: 4.0,
            taker_notional: 4_000.0,
            process: ProcessParams::default(),
        }
    }
}

pub struct Simulator {
    process: PriceProcess,
    rng: Rng,
    params: VenueParams,
    tick: f64,
    lot: f64,
    next_id: u64,
    quotes: Vec<OrderId>,
}

impl Simulator {
    /// A simulator for `symbol` whose fair price starts at `price`, seeded by `seed`.
    pub fn new(seed: u64, symbol: &str, grid: Grid, price: Amount, params: VenueParams) -> Simulator {
        let mut rng = Rng::derived(seed, symbol);
        let process = PriceProcess::new(to_f64(price), params.process, Rng::new(rng.next_u64()));
        Simulator {
            process,
            rng,
            params,
            tick: to_f64(grid.tick_size),
            lot: to_f64(grid.lot_size),
            next_id: SIM_ID_BASE,
            quotes: Vec::new(),
        }
    }

    pub fn fair_price(&self) -> f64 {
        self.process.price()
    }

    /// The price process, to make history that continues into the live market.
    pub fn process_mut(&mut self) -> &mut PriceProcess {
        &mut self.process
    }

    /// Advances the market by `seconds` and appends this step's commands: the providers
    /// replace their quotes around the new fair price, then takers arrive.
    pub fn step(&mut self, book: &OrderBook, seconds: f64, out: &mut Vec<Command>) {
        let fair = self.process.step(seconds);
        for id in self.quotes.drain(..) {
            if book.order(id).is_some() {
                out.push(Command::Cancel(id));
            }
        }
        let p = self.params;
        for i in 0..p.levels {
            let offset = p.half_spread + f64::from(i) * p.level_step;
            let bid = ((fair * (1.0 - offset)) / self.tick).floor().max(1.0) as i64;
            let ask = ((fair * (1.0 + offset)) / self.tick).ceil().max(1.0) as i64;
            for (side, ticks) in [(Side::Buy, bid), (Side::Sell, ask)] {
                let notional = p.level_notional * (0.5 + self.rng.uniform());
                let lots = self.lots_for(notional, fair);
                let id = self.new_id();
                let kind = OrderKind::Limit { price: Ticks(ticks) };
                out.push(Command::Submit(NewOrder::new(id.0, MAKER_OWNER.0, side, kind, lots)));
                self.quotes.push(id);
            }
        }
        let arrivals = self.poisson(p.takers_per_second * seconds);
        for _ in 0..arrivals {
            // Takers lean towards the fair price: buy more often when the book trades below it.
            let last = book.last_trade_price().map_or(fair, |t| t.0 as f64 * self.tick);
            let buy_bias = (0.5 + (fair - last) / fair * 200.0).clamp(0.2, 0.8);
            let side = if self.rng.chance(buy_bias) { Side::Buy } else { Side::Sell };
            let notional = p.taker_notional * (self.rng.normal() * 0.8).exp();
            let lots = self.lots_for(notional, fair);
            let id = self.new_id();
            let order = NewOrder::new(id.0, TAKER_OWNER.0, side, OrderKind::Market, lots).with_tif(TimeInForce::Ioc);
            out.push(Command::Submit(order));
        }
    }

    fn lots_for(&self, notional: f64, price: f64) -> u64 {
        ((notional / price) / self.lot).round().clamp(1.0, 1e12) as u64
    }

    fn new_id(&mut self) -> OrderId {
        let id = OrderId(self.next_id);
        self.next_id = if self.next_id == u64::MAX { SIM_ID_BASE } else { self.next_id + 1 };
        id
    }

    /// A Poisson-distributed count with mean `lambda` (small lambdas: Knuth's method).
    fn poisson(&mut self, lambda: f64) -> u32 {
        let limit = (-lambda.max(0.0)).exp();
        let mut k = 0;
        let mut p = self.rng.uniform();
        while p > limit && k < 1_000 {
            k += 1;
            p *= self.rng.uniform();
        }
        k
    }
}

fn to_f64(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use aetherion_book::Event;
    use aetherion_model::UnixMicros;

    fn run(seed: u64, steps: usize) -> (OrderBook, Vec<Event>, f64) {
        let grid = Grid::new("0.01".parse().unwrap(), "0.00001".parse().unwrap()).unwrap();
        let mut sim = Simulator::new(seed, "BTC-USD", grid, "60000".parse().unwrap(), VenueParams::default());
        let mut book = OrderBook::new();
        let (mut commands, mut events) = (Vec::new(), Vec::new());
        for i in 0..steps {
            commands.clear();
            sim.step(&book, 0.25, &mut commands);
            for c in &commands {
                book.apply(*c, UnixMicros(i as i64 * 250_000), &mut events);
            }
        }
        let fair = sim.fair_price();
        (book, events, fair)
    }

    #[test]
    fn the_market_trades_around_the_fair_price_with_a_two_sided_book() {
        let (book, events, fair) = run(7, 2_000);
        let fills = events.iter().filter(|e| matches!(e, Event::Fill(_))).count();
        assert!(fills > 500, "takers trade: {fills} fills");
        let (bid, ask) = (book.best_bid().unwrap().0 as f64 / 100.0, book.best_ask().unwrap().0 as f64 / 100.0);
        assert!(bid < ask, "never crossed");
        assert!((bid - fair).abs() / fair < 0.005 && (ask - fair).abs() / fair < 0.005, "{bid} {ask} {fair}");
        assert!(book.level_count(Side::Buy) >= 5 && book.level_count(Side::Sell) >= 5);
        assert!(!events.iter().any(|e| matches!(e, Event::Rejected { .. } | Event::CancelRejected { .. })));
        // The providers' quotes never pile up: only the latest ladder rests.
        assert!(book.live_orders() <= 2 * VenueParams::default().levels as usize);
    }

    #[test]
    fn the_same_seed_replays_the_same_market() {
        let (_, a, _) = run(11, 300);
        let (_, b, _) = run(11, 300);
        let (_, c, _) = run(12, 300);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
