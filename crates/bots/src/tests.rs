//! Bots against a real exchange: bars from trades, orders through the exchange, books equal to
//! the fills, risk limits, and a restart from stored books.

use std::collections::BTreeMap;

use aetherion_book::{Lots, Side, Ticks, TimeInForce};
use aetherion_exchange::{AccountId, Balance, Batch, Exchange, FIRST_ACCOUNT, MarketSpec, OrderRequest, OrderTag, OrderType, PublicTrade, UserFill};
use aetherion_model::{Amount, Grid, UnixMicros};

use crate::*;

fn a(s: &str) -> Amount {
    s.parse().unwrap()
}

const OWNER: AccountId = AccountId(FIRST_ACCOUNT);
const DEALER: AccountId = AccountId(FIRST_ACCOUNT + 1);
const SECOND: i64 = 1_000_000;

/// XYZ-USD, tick 0.01, lot 1, fees 0.1% maker and 0.2% taker; a dealer quoting 100 units at
/// 95.00 and 105.00.
fn venue() -> Exchange {
    let mut ex = Exchange::new(1);
    ex.add_market(
        MarketSpec {
            symbol: "XYZ-USD".into(),
            base: "XYZ".into(),
            quote: "USD".into(),
            grid: Grid::new(a("0.01"), a("1")).unwrap(),
            min_notional: a("1"),
            maker_fee_rate: a("0.001"),
            taker_fee_rate: a("0.002"),
        },
        1,
        false,
    );
    for acc in [OWNER, DEALER] {
        ex.restore_balance(acc, "USD", Balance { free: a("1000000"), reserved: Amount::ZERO });
        ex.restore_balance(acc, "XYZ", Balance { free: a("1000"), reserved: Amount::ZERO });
    }
    order(&mut ex, DEALER, Side::Buy, OrderType::Limit { price: Ticks(9_500) }, 100);
    order(&mut ex, DEALER, Side::Sell, OrderType::Limit { price: Ticks(10_500) }, 100);
    ex.drain();
    ex
}

fn order(ex: &mut Exchange, account: AccountId, side: Side, order_type: OrderType, lots: u64) -> u64 {
    let tag = OrderTag { order_id: format!("manual-{side:?}-{lots}-{order_type:?}"), ..OrderTag::default() };
    let request = OrderRequest { account, symbol: "XYZ-USD".into(), side, order_type, quantity: Lots(lots), tif: TimeInForce::Gtc, post_only: false, tag };
    ex.place(request, UnixMicros(0)).unwrap()
}

fn config(strategy: &str, params: &[(&str, f64)], capital: &str, limits: RiskLimits) -> BotConfig {
    let given: BTreeMap<String, f64> = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    BotConfig {
        bot_id: "bot-1".into(),
        account: OWNER,
        symbol: "XYZ-USD".into(),
        strategy: strategy.into(),
        params: validate_params(strategy, &given).unwrap(),
        capital: a(capital),
        limits,
    }
}

/// Drives bots the way the server does, collecting the bots' fills.
struct Harness {
    ex: Exchange,
    bots: Bots,
    fills: Vec<UserFill>,
    seq: u64,
}

impl Harness {
    fn new() -> Self {
        Harness { ex: venue(), bots: Bots::new(), fills: Vec::new(), seq: 0 }
    }

    fn settle(&mut self, mut batch: Batch, now: UnixMicros) {
        loop {
            self.fills.extend(batch.fills.iter().filter(|f| f.order_id.starts_with("bot-1.")).cloned());
            if !self.bots.on_batch(&mut self.ex, &batch, now) {
                break;
            }
            batch = self.ex.drain();
        }
    }

    /// A trade of the market at `price` at second `s` (market data for the bars).
    fn trade(&mut self, s: i64, price: &str) {
        self.seq += 1;
        let at = UnixMicros(s * SECOND);
        let mut batch = self.ex.drain();
        batch.trades.push(PublicTrade {
            symbol: "XYZ-USD".into(),
            seq: self.seq,
            price: a(price),
            price_ticks: Ticks(0),
            quantity: a("1"),
            taker_side: Side::Buy,
            at,
        });
        self.settle(batch, at);
    }

    fn tick(&mut self, s: i64) {
        let now = UnixMicros(s * SECOND);
        if self.bots.on_time(&mut self.ex, now) {
            let batch = self.ex.drain();
            self.settle(batch, now);
        }
    }

    fn status(&self) -> BotStatus {
        self.bots.status("bot-1").unwrap()
    }

    /// The bot's books recomputed from its fills.
    fn books_from_fills(&self, capital: &str) -> (Amount, Amount, u64) {
        let mut cash = a(capital);
        let mut position = Amount::ZERO;
        for f in &self.fills {
            let notional = Amount::from_raw((i128::from(f.price.raw()) * i128::from(f.quantity.raw()) / i128::from(Amount::SCALE)) as i64);
            match f.side {
                Side::Buy => {
                    cash = cash.checked_sub(notional).unwrap().checked_sub(f.fee).unwrap();
                    position = position.checked_add(f.quantity).unwrap();
                }
                Side::Sell => {
                    cash = cash.checked_add(notional).unwrap().checked_sub(f.fee).unwrap();
                    position = position.checked_sub(f.quantity).unwrap();
                }
            }
        }
        (cash, position, self.fills.len() as u64)
    }
}

#[test]
fn a_crossover_bot_buys_on_an_up_cross_and_its_books_equal_its_fills() {
    let mut h = Harness::new();
    let cfg = config("sma_crossover", &[("fast", 2.0), ("slow", 3.0), (INTERVAL_PARAM, 1.0)], "1000", RiskLimits::default());
    let status = h.bots.start(&mut h.ex, cfg, Ledger::new(a("1000"), UnixMicros(0)), &[], None, UnixMicros(0)).unwrap();
    assert_eq!((status.state, status.cash, status.position), (BotState::Running, a("1000"), Amount::ZERO));

    // One trade a second: falling, then rising; each trade closes the previous second's bar.
    for (s, price) in [(1, "100"), (2, "99"), (3, "98"), (4, "97"), (5, "96"), (6, "103"), (7, "104")] {
        h.trade(s, price);
    }
    let st = h.status();
    assert!(st.position.is_positive(), "the up-cross bought: {st:?}");
    assert_eq!(st.last_signal, Signal::Buy);
    // Bought at the dealer's 105.00 ask with all the cash it could: 9 units (945 + 1.89 fee).
    assert_eq!(st.position, a("9"));
    let (cash, position, trades) = h.books_from_fills("1000");
    assert_eq!((st.cash, st.position, st.trade_count), (cash, position, trades));
    assert_eq!(st.cash, a("53.11"));
    assert_eq!(st.average_entry_price, Some(a("105")));
    assert_eq!(st.equity, a("998.11"), "marked at the last trade: its own, at 105");

    // Falling again: the down-cross sells everything into the dealer's 95.00 bid.
    for (s, price) in [(8, "100"), (9, "96"), (10, "94"), (11, "93")] {
        h.trade(s, price);
    }
    let st = h.status();
    assert_eq!(st.position, Amount::ZERO);
    assert_eq!(st.last_signal, Signal::Hold, "flat and staying flat");
    let (cash, position, trades) = h.books_from_fills("1000");
    assert_eq!((st.cash, st.position, st.trade_count), (cash, position, trades));
    assert_eq!(trades, 2);
    // 9 * 95 = 855 less 1.71 fee: realized = 855 - 945 - 1.89 - 1.71.
    assert_eq!(st.realized_pnl, a("-93.6"));
    assert_eq!(st.equity, a("906.4"));
    assert_eq!(st.open_orders, 0);
}

#[test]
fn bars_close_on_time_without_a_trade() {
    let mut h = Harness::new();
    let cfg = config("market_maker", &[("spread_pct", 2.0), ("lots", 1.0), (INTERVAL_PARAM, 5.0)], "1000", RiskLimits::default());
    h.bots.start(&mut h.ex, cfg, Ledger::new(a("1000"), UnixMicros(0)), &[], None, UnixMicros(0)).unwrap();
    h.trade(11, "100");
    assert_eq!(h.bots.next_bar_close(), Some(UnixMicros(15 * SECOND)));
    h.tick(14);
    assert_eq!(h.status().open_orders, 0, "the bar has not closed");
    h.tick(15);
    // The quote: a buy at 99.00; no sell (nothing held, spot).
    let st = h.status();
    assert_eq!((st.open_orders, st.last_signal), (1, Signal::Buy));
    let open: Vec<_> = h.ex.open_orders().filter(|o| o.tag.bot_id.is_some()).collect();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].order_type, OrderType::Limit { price: Ticks(9_900) });
    assert_eq!(open[0].tag.bot_id.as_deref(), Some("bot-1"));
}

#[test]
fn the_drawdown_limit_stops_the_bot_cancels_its_orders_and_says_why() {
    let mut h = Harness::new();
    let limits = RiskLimits { max_drawdown_percent: 3.0, ..RiskLimits::default() };
    let cfg = config("market_maker", &[("spread_pct", 2.0), ("lots", 1.0), (INTERVAL_PARAM, 1.0)], "1000", limits);
    h.bots.start(&mut h.ex, cfg, Ledger::new(a("1000"), UnixMicros(0)), &[], None, UnixMicros(0)).unwrap();
    h.trade(1, "100");
    h.tick(2);
    // Someone sells into the bot's 99.00 bid.
    order(&mut h.ex, DEALER, Side::Sell, OrderType::Market, 1);
    let batch = h.ex.drain();
    h.settle(batch, UnixMicros(2 * SECOND + 1));
    assert_eq!(h.status().position, a("1"));
    h.tick(3);
    h.trade(3, "100");
    assert_eq!(h.status().open_orders, 2, "a bid and, now that it holds, an ask");
    // The price halves: equity 1000 - 99 - 0.099 + 50 is 4.9% below its peak.
    h.trade(4, "50");
    assert!(!h.bots.is_running("bot-1"));
    let updates = h.bots.take_updates();
    let last = updates.iter().rev().find(|u| u.status.bot_id == "bot-1").unwrap();
    assert_eq!(last.status.state, BotState::Stopped);
    assert!(last.durable);
    assert!(last.status.message.contains("max drawdown of 3% reached"), "{}", last.status.message);
    assert_eq!(last.status.open_orders, 0);
    assert_eq!(last.status.position, a("1"), "the position is kept");
    assert_eq!(h.ex.open_orders().filter(|o| o.tag.bot_id.is_some()).count(), 0, "its orders are canceled");
}

#[test]
fn a_stop_loss_closes_the_position_and_the_bot_carries_on() {
    let mut h = Harness::new();
    let limits = RiskLimits { stop_loss_percent: 10.0, ..RiskLimits::default() };
    let cfg = config("sma_crossover", &[("fast", 2.0), ("slow", 3.0), (INTERVAL_PARAM, 1.0)], "1000", limits);
    h.bots.start(&mut h.ex, cfg, Ledger::new(a("1000"), UnixMicros(0)), &[], None, UnixMicros(0)).unwrap();
    for (s, price) in [(1, "100"), (2, "99"), (3, "98"), (4, "97"), (5, "96"), (6, "103"), (7, "104")] {
        h.trade(s, price);
    }
    assert_eq!(h.status().position, a("9"));
    // Within the same bar: 94.00 is 10.5% under the 105.00 entry.
    h.trade(7, "94");
    let st = h.status();
    assert_eq!(st.position, Amount::ZERO);
    assert!(st.message.starts_with("stop loss"), "{}", st.message);
    assert_eq!(st.state, BotState::Running);
    let (cash, _, trades) = h.books_from_fills("1000");
    assert_eq!((st.cash, st.trade_count), (cash, trades));
}

#[test]
fn a_position_limit_caps_buys() {
    let mut h = Harness::new();
    let limits = RiskLimits { max_position: Some(a("4")), ..RiskLimits::default() };
    let cfg = config("sma_crossover", &[("fast", 2.0), ("slow", 3.0), (INTERVAL_PARAM, 1.0)], "1000", limits);
    h.bots.start(&mut h.ex, cfg, Ledger::new(a("1000"), UnixMicros(0)), &[], None, UnixMicros(0)).unwrap();
    for (s, price) in [(1, "100"), (2, "99"), (3, "98"), (4, "97"), (5, "96"), (6, "103"), (7, "104")] {
        h.trade(s, price);
    }
    assert_eq!(h.status().position, a("4"));
}

#[test]
fn after_a_restart_the_stored_books_and_the_working_orders_carry_on() {
    let mut h = Harness::new();
    let cfg = config("market_maker", &[("spread_pct", 2.0), ("lots", 1.0), (INTERVAL_PARAM, 1.0)], "1000", RiskLimits::default());
    h.bots.start(&mut h.ex, cfg.clone(), Ledger::new(a("1000"), UnixMicros(0)), &[], None, UnixMicros(0)).unwrap();
    h.trade(1, "100");
    h.tick(2);
    order(&mut h.ex, DEALER, Side::Sell, OrderType::Market, 1);
    let batch = h.ex.drain();
    h.settle(batch, UnixMicros(2 * SECOND + 1));
    h.trade(2, "100");
    h.tick(3);
    let before = h.status();
    assert_eq!((before.position, before.open_orders), (a("1"), 2));
    let stored = h.bots.take_updates().into_iter().rev().find(|u| u.durable).unwrap().ledger;

    // An order of a bot that no longer runs.
    let mut orphan = OrderRequest {
        account: OWNER,
        symbol: "XYZ-USD".into(),
        side: Side::Buy,
        order_type: OrderType::Limit { price: Ticks(5_000) },
        quantity: Lots(1),
        tif: TimeInForce::Gtc,
        post_only: false,
        tag: OrderTag::default(),
    };
    orphan.tag = OrderTag { order_id: "gone.1".into(), client_order_id: None, bot_id: Some("gone".into()) };
    let orphan = h.ex.place(orphan, UnixMicros(3 * SECOND)).unwrap();

    // A new runtime over the same exchange (restored orders) with the stored books.
    let mut bots = Bots::new();
    bots.start(&mut h.ex, cfg, stored, &[], Some(a("100")), UnixMicros(4 * SECOND)).unwrap();
    assert_eq!(bots.adopt_orders(&mut h.ex, UnixMicros(4 * SECOND)), 1, "the orphan is canceled");
    assert!(h.ex.order(orphan).unwrap().status.is_final());
    let after = bots.status("bot-1").unwrap();
    assert_eq!((after.position, after.cash, after.realized_pnl, after.trade_count, after.open_orders), (before.position, before.cash, before.realized_pnl, before.trade_count, before.open_orders));
    assert_eq!(bots.start(&mut h.ex, config("sma_crossover", &[], "1", RiskLimits::default()), Ledger::new(a("1"), UnixMicros(0)), &[], None, UnixMicros(0)), Err(StartError::AlreadyRunning));
    // Stopping cancels both working orders.
    let stopped = bots.stop(&mut h.ex, "bot-1", BotState::Stopped, "stopped by the user".into(), UnixMicros(5 * SECOND)).unwrap();
    assert_eq!((stopped.state, stopped.open_orders), (BotState::Stopped, 0));
    assert_eq!(h.ex.open_orders().filter(|o| o.tag.bot_id.is_some()).count(), 0);
}

#[test]
fn a_bot_cannot_start_on_a_halted_or_unknown_symbol() {
    let mut ex = venue();
    let mut bots = Bots::new();
    let mut cfg = config("sma_crossover", &[], "100", RiskLimits::default());
    cfg.symbol = "NOPE-USD".into();
    assert_eq!(bots.start(&mut ex, cfg.clone(), Ledger::new(a("100"), UnixMicros(0)), &[], None, UnixMicros(0)), Err(StartError::UnknownSymbol("NOPE-USD".into())));
    cfg.symbol = "XYZ-USD".into();
    ex.halt("XYZ-USD", UnixMicros(0));
    assert_eq!(bots.start(&mut ex, cfg, Ledger::new(a("100"), UnixMicros(0)), &[], None, UnixMicros(0)), Err(StartError::Halted("XYZ-USD".into())));
}
