//! The broker's rules, bar by bar, on small hand-made series.

mod support;

use aetherion_backtest::{
    BacktestError, BacktestResult, Bar, Config, Control, Finalize, Hooks, run, run_with,
};
use aetherion_model::{Side, UnixMicros};
use aetherion_strategy::{Context, Fill, Intent, OrderKind, OrderRequest, Size, Strategy};

/// Emits the given intents on the given bars, and records fills.
struct Plan {
    steps: Vec<(usize, Vec<Intent>)>,
    bar: usize,
    warmup: usize,
    fills: Vec<Fill>,
}

impl Plan {
    fn new(steps: Vec<(usize, Vec<Intent>)>) -> Self {
        Plan { steps, bar: 0, warmup: 0, fills: Vec::new() }
    }
}

impl Strategy for Plan {
    fn warmup(&self) -> usize {
        self.warmup
    }

    fn on_bar(&mut self, _bar: &Bar, ctx: &mut Context) {
        for (at, intents) in &self.steps {
            if *at == self.bar {
                for &i in intents {
                    match i {
                        Intent::Submit(r) => ctx.submit(r),
                        Intent::ClosePosition => ctx.close_position(),
                        Intent::CancelAll => ctx.cancel_all(),
                    }
                }
            }
        }
        self.bar += 1;
    }

    fn on_fill(&mut self, fill: &Fill) {
        self.fills.push(*fill);
    }
}

fn order(side: Side, lots: u64, kind: OrderKind) -> Intent {
    Intent::Submit(OrderRequest { side, size: Size::Lots(lots), kind })
}

fn buy(lots: u64) -> Intent {
    order(Side::Buy, lots, OrderKind::Market)
}

fn sell(lots: u64) -> Intent {
    order(Side::Sell, lots, OrderKind::Market)
}

/// Bars from (open, high, low, close), one minute apart.
fn bars(ohlc: &[(f64, f64, f64, f64)]) -> Vec<Bar> {
    ohlc.iter()
        .enumerate()
        .map(|(i, &(open, high, low, close))| Bar {
            time: UnixMicros(i as i64 * 60_000_000),
            open,
            high,
            low,
            close,
            volume: 1.0,
        })
        .collect()
}

/// Six bars around 100, each with a distinct open.
fn plain() -> Vec<Bar> {
    bars(&[
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 102.0, 99.0, 101.0),
        (101.5, 103.0, 100.0, 102.0),
        (102.5, 104.0, 101.0, 103.0),
        (103.5, 105.0, 102.0, 104.0),
        (104.5, 106.0, 103.0, 105.0),
    ])
}

fn go(bars: &[Bar], plan: &mut Plan, config: Config) -> BacktestResult {
    run(bars, plan, &config).unwrap()
}

fn entries_exits(r: &BacktestResult) -> Vec<(Side, u64, usize, f64, usize, f64)> {
    r.trades
        .iter()
        .map(|t| (t.side, t.lots, t.entry_bar, t.entry_price, t.exit_bar, t.exit_price))
        .collect()
}

#[test]
fn market_orders_fill_at_the_next_open_and_the_end_closes_at_the_last_close() {
    let mut plan = Plan::new(vec![(1, vec![buy(2)]), (3, vec![sell(2)]), (4, vec![sell(1)])]);
    let r = go(&plain(), &mut plan, Config::default());
    assert_eq!(
        entries_exits(&r),
        [(Side::Buy, 2, 2, 101.5, 4, 103.5), (Side::Sell, 1, 5, 104.5, 5, 105.0)]
    );
    assert_eq!(plan.fills.len(), 4, "entry, exit, short entry, final cover");
    assert_eq!(
        plan.fills[0],
        Fill { time: UnixMicros(120_000_000), side: Side::Buy, lots: 2, price: 101.5 }
    );
}

#[test]
fn intents_before_the_first_trading_bar_are_dropped() {
    let mut plan = Plan::new(vec![(0, vec![buy(1)]), (2, vec![buy(1)]), (3, vec![buy(1)])]);
    plan.warmup = 2; // first trading bar: 3
    let r = go(&plain(), &mut plan, Config::default());
    assert_eq!(entries_exits(&r), [(Side::Buy, 1, 4, 103.5, 5, 105.0)]);
}

#[test]
fn limit_orders_fill_at_the_limit_or_at_a_better_open() {
    let b = bars(&[
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 100.5, 99.5, 100.0), // the buy limit at 99 is not reached
        (100.0, 100.5, 98.5, 99.0),  // reached: fills at 99
        (97.0, 98.0, 96.0, 97.0),    // the sell limit at 96.5 gapped: fills at the open, 97
        (97.0, 98.0, 96.0, 97.0),
    ]);
    let mut plan = Plan::new(vec![
        (1, vec![order(Side::Buy, 3, OrderKind::Limit(99.0))]),
        (3, vec![order(Side::Sell, 3, OrderKind::Limit(96.5))]),
    ]);
    let r = go(&b, &mut plan, Config { slippage: 0.01, ..Config::default() });
    assert_eq!(entries_exits(&r), [(Side::Buy, 3, 3, 99.0, 4, 97.0)], "limits get no slippage");
}

#[test]
fn stop_orders_trigger_through_the_stop_and_fill_at_it_or_at_a_worse_open() {
    let b = bars(&[
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.5, 99.5, 101.0),  // buy stop at 102 not reached
        (101.0, 102.5, 100.5, 102.0), // reached: fills at 102
        (99.0, 99.5, 98.0, 98.5),     // sell stop at 100 gapped: fills at the open, 99
        (98.5, 99.0, 98.0, 98.5),
    ]);
    let mut plan = Plan::new(vec![
        (1, vec![order(Side::Buy, 4, OrderKind::Stop(102.0))]),
        (3, vec![order(Side::Sell, 4, OrderKind::Stop(100.0))]),
    ]);
    let r = go(&b, &mut plan, Config::default());
    assert_eq!(entries_exits(&r), [(Side::Buy, 4, 3, 102.0, 4, 99.0)]);
}

#[test]
fn slippage_moves_market_fills_and_closes_against_the_trader() {
    let mut plan = Plan::new(vec![(1, vec![buy(10)]), (3, vec![Intent::ClosePosition])]);
    let r =
        go(&plain(), &mut plan, Config { slippage: 0.001, commission: 0.002, ..Config::default() });
    let t = &r.trades[0];
    assert_eq!((t.entry_price, t.exit_price), (101.5 * 1.001, 103.5 * 0.999));
    let fees = (10.0 * t.entry_price + 10.0 * t.exit_price) * 0.002;
    assert!((t.commission - fees).abs() < 1e-9);
    assert!((t.pnl - (10.0 * (t.exit_price - t.entry_price) - fees)).abs() < 1e-9);
    assert!((r.metrics.equity_final - (10_000.0 + t.pnl)).abs() < 1e-9);
}

#[test]
fn opposite_orders_close_the_oldest_trades_first_and_in_part() {
    let mut plan = Plan::new(vec![(1, vec![buy(10)]), (2, vec![buy(5)]), (3, vec![sell(12)])]);
    let r = go(&plain(), &mut plan, Config::default());
    assert_eq!(
        entries_exits(&r),
        [
            (Side::Buy, 10, 2, 101.5, 4, 103.5),
            (Side::Buy, 2, 3, 102.5, 4, 103.5),
            (Side::Buy, 3, 3, 102.5, 5, 105.0),
        ]
    );
}

#[test]
fn close_position_closes_the_newest_trade_first_before_other_orders() {
    let mut plan = Plan::new(vec![
        (1, vec![buy(1)]),
        (2, vec![buy(2)]),
        (3, vec![sell(4), Intent::ClosePosition]),
    ]);
    let r = go(&plain(), &mut plan, Config::default());
    assert_eq!(
        entries_exits(&r),
        [
            (Side::Buy, 2, 3, 102.5, 4, 103.5),
            (Side::Buy, 1, 2, 101.5, 4, 103.5),
            (Side::Sell, 4, 4, 103.5, 5, 105.0),
        ]
    );
}

#[test]
fn cancel_all_drops_waiting_orders() {
    let mut plan = Plan::new(vec![
        (
            1,
            vec![
                order(Side::Buy, 1, OrderKind::Limit(50.0)),
                order(Side::Buy, 1, OrderKind::Stop(103.5)),
            ],
        ),
        (2, vec![Intent::CancelAll]),
    ]);
    let r = go(&plain(), &mut plan, Config::default());
    assert!(r.trades.is_empty(), "the stop would have triggered on bar 3");
}

#[test]
fn sizing_by_fraction_uses_whole_lots_of_the_lot_size_after_costs() {
    let mut plan = Plan::new(vec![(
        1,
        vec![Intent::Submit(OrderRequest {
            side: Side::Buy,
            size: Size::ALL,
            kind: OrderKind::Market,
        })],
    )]);
    let config = Config { cash: 1_000.0, lot_size: 0.5, commission: 0.01, ..Config::default() };
    let r = go(&plain(), &mut plan, config);
    // A lot costs 0.5 · 101.5 = 50.75 plus 1 % commission: floor(1000 / 51.2575) = 19 lots.
    assert_eq!((r.trades[0].lots, r.trades[0].size), (19, 9.5));
}

#[test]
fn orders_that_cannot_be_paid_or_make_no_sense_are_canceled() {
    let mut plan = Plan::new(vec![(
        1,
        vec![
            buy(1_000),
            buy(0),
            order(Side::Sell, 1, OrderKind::Limit(f64::NAN)),
            Intent::Submit(OrderRequest {
                side: Side::Buy,
                size: Size::Fraction(-0.5),
                kind: OrderKind::Market,
            }),
        ],
    )]);
    let r = go(&plain(), &mut plan, Config::default());
    assert!(r.trades.is_empty());
    assert_eq!(r.orders_canceled, 4);
}

#[test]
fn running_out_of_money_closes_everything_and_stops() {
    let b = bars(&[
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),
        (100.0, 101.0, 99.0, 100.0),
        (150.0, 210.0, 150.0, 205.0), // a short of all the cash loses more than everything
        (200.0, 201.0, 199.0, 200.0),
    ]);
    let mut plan = Plan::new(vec![(
        1,
        vec![Intent::Submit(OrderRequest {
            side: Side::Sell,
            size: Size::ALL,
            kind: OrderKind::Market,
        })],
    )]);
    let r = go(&b, &mut plan, Config::default());
    assert_eq!(entries_exits(&r), [(Side::Sell, 99, 2, 100.0, 3, 205.0)]);
    let curve: Vec<f64> = r.equity_curve.iter().map(|p| p.equity).collect();
    assert_eq!(curve, [10_000.0, 10_000.0, 10_000.0, 0.0, 0.0]);
    assert_eq!(r.metrics.max_drawdown_pct, -100.0);
    // The bars after the stop are still checked.
    let mut bad = b.clone();
    bad[4].low = 300.0;
    let mut plan = Plan::new(vec![(
        1,
        vec![Intent::Submit(OrderRequest {
            side: Side::Sell,
            size: Size::ALL,
            kind: OrderKind::Market,
        })],
    )]);
    let err = run(&bad, &mut plan, &Config::default()).unwrap_err();
    assert_eq!(err, BacktestError::InvalidBar { index: 4, reason: "low is above high" });
}

#[test]
fn leave_open_keeps_the_trade_out_of_the_list() {
    let mut plan = Plan::new(vec![(1, vec![buy(1)])]);
    let r = go(&plain(), &mut plan, Config { finalize: Finalize::LeaveOpen, ..Config::default() });
    assert!(r.trades.is_empty());
    assert_eq!(r.metrics.equity_final, 10_000.0 + 105.0 - 101.5);
}

#[test]
fn invalid_input_is_refused_with_the_bar_or_field() {
    let mut plan = Plan::new(vec![]);
    assert_eq!(run(&[], &mut plan, &Config::default()).unwrap_err(), BacktestError::NoBars);
    let mut b = plain();
    b[3].time = b[2].time;
    assert!(matches!(
        run(&b, &mut plan, &Config::default()),
        Err(BacktestError::InvalidBar { index: 3, .. })
    ));
    let mut b = plain();
    b[4].close = f64::NAN;
    assert!(matches!(
        run(&b, &mut plan, &Config::default()),
        Err(BacktestError::InvalidBar { index: 4, .. })
    ));
    let config = Config { commission: 0.5, ..Config::default() };
    let Err(BacktestError::Config(e)) = run(&plain(), &mut plan, &config) else { panic!() };
    assert_eq!(e.field, "commission");
}

#[test]
fn progress_reaches_one_and_cancellation_stops_the_run() {
    let bars = support::synthetic_bars(200_000, 3);
    let control = Control::new();
    let mut plan = Plan::new(vec![]);
    run_with(&bars, &mut plan, &Config::default(), &control).unwrap();
    assert_eq!(control.fraction_done(), 1.0);

    struct CancelHalfway(Control);
    impl Hooks for CancelHalfway {
        fn progress(&self, fraction: f64) {
            self.0.progress(fraction);
            if fraction >= 0.5 {
                self.0.cancel();
            }
        }
        fn is_canceled(&self) -> bool {
            self.0.is_canceled()
        }
    }
    let hooks = CancelHalfway(Control::new());
    let err = run_with(&bars, &mut Plan::new(vec![]), &Config::default(), &hooks).unwrap_err();
    assert_eq!(err, BacktestError::Canceled);
    assert!(hooks.0.fraction_done() < 1.0);
}
