//! Properties of any run: fills stay within their bars, the books balance, sweeps equal
//! sequential runs.

mod support;

use std::collections::BTreeMap;

use aetherion_backtest::{BacktestError, Bar, Config, Control, Hooks, run, sweep};
use aetherion_model::UnixMicros;
use aetherion_strategy::{Context, Size, Strategy, create};
use proptest::prelude::*;

/// Trades at random (from a seed): market, limit and stop orders of random sizes, fractions,
/// closes and cancels.
struct RandomTrader {
    state: u64,
}

impl RandomTrader {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Strategy for RandomTrader {
    fn warmup(&self) -> usize {
        0
    }

    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        let r = self.next();
        let lots = Size::Lots(1 + r % 7);
        let offset = 1.0 + ((r >> 8) % 100) as f64 / 10_000.0;
        match (r >> 20) % 10 {
            0 => ctx.buy(lots),
            1 => ctx.sell(lots),
            2 => ctx.buy_limit(bar.close / offset, lots),
            3 => ctx.sell_limit(bar.close * offset, lots),
            4 => ctx.buy_stop(bar.close * offset, lots),
            5 => ctx.sell_stop(bar.close / offset, lots),
            6 => ctx.close_position(),
            7 => ctx.cancel_all(),
            8 => ctx.buy(Size::Fraction(0.1)),
            _ => {}
        }
    }
}

fn make_bars(steps: &[(f64, f64, f64)]) -> Vec<Bar> {
    let mut close = 100.0;
    steps
        .iter()
        .enumerate()
        .map(|(i, &(ret, up, down))| {
            let open = close;
            close = open * (1.0 + ret);
            Bar {
                time: UnixMicros(i as i64 * 3_600_000_000),
                open,
                high: open.max(close) * (1.0 + up),
                low: open.min(close) * (1.0 - down),
                close,
                volume: 1.0,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_fills_lie_within_their_bars_and_the_books_balance(
        steps in prop::collection::vec((-0.02f64..0.02, 0.0f64..0.01, 0.0f64..0.01), 2..300),
        seed in any::<u64>(),
        commission in 0.0f64..0.01,
    ) {
        let bars = make_bars(&steps);
        let config = Config { cash: 100_000.0, commission, ..Config::default() };
        let result = run(&bars, &mut RandomTrader { state: seed }, &config).unwrap();
        prop_assert_eq!(result.equity_curve.len(), bars.len());
        prop_assert_eq!(result.metrics.num_trades, result.trades.len());
        for t in &result.trades {
            prop_assert!(t.entry_bar <= t.exit_bar && t.entry_time <= t.exit_time);
            for (bar, price) in [(t.entry_bar, t.entry_price), (t.exit_bar, t.exit_price)] {
                let b = &bars[bar];
                prop_assert!(b.low <= price && price <= b.high, "{} outside bar {} {:?}", price, bar, b);
            }
            prop_assert!(t.commission >= 0.0 && t.lots > 0);
        }
        // Every trade is closed at the end, so the equity is the cash plus the trades' profits.
        if result.equity_curve.iter().all(|p| p.equity > 0.0) {
            let pnl: f64 = result.trades.iter().map(|t| t.pnl).sum();
            let final_equity = result.metrics.equity_final;
            prop_assert!((final_equity - (100_000.0 + pnl)).abs() < 1e-6 * final_equity);
        }
    }
}

fn grid() -> Vec<BTreeMap<String, f64>> {
    let mut jobs = Vec::new();
    for fast in [3.0, 5.0, 8.0] {
        for slow in [13.0, 21.0, 34.0, 55.0] {
            jobs.push(
                [("fast", fast), ("slow", slow)].iter().map(|&(k, v)| (k.to_string(), v)).collect(),
            );
        }
    }
    jobs
}

#[test]
fn a_sweep_returns_what_sequential_runs_return_in_job_order() {
    let bars = support::synthetic_bars(30_000, 5);
    let config = Config { cash: 10_000.0, commission: 0.001, ..Config::default() };
    let jobs = grid();
    let make = |j: usize| create("sma_crossover", &jobs[j]).unwrap();
    let control = Control::new();
    let swept = sweep(&bars, jobs.len(), make, &config, 3, &control).unwrap();
    assert_eq!(control.fraction_done(), 1.0);
    let sequential: Vec<_> =
        (0..jobs.len()).map(|j| run(&bars, make(j).as_mut(), &config).unwrap().metrics).collect();
    assert_eq!(format!("{swept:?}"), format!("{sequential:?}"));
    let distinct: std::collections::BTreeSet<String> =
        swept.iter().map(|m| format!("{:?}", m.equity_final)).collect();
    assert!(distinct.len() > 1, "the jobs differ");
}

#[test]
fn a_canceled_sweep_says_so() {
    struct Canceled;
    impl Hooks for Canceled {
        fn is_canceled(&self) -> bool {
            true
        }
    }
    let bars = support::synthetic_bars(1_000, 5);
    let jobs = grid();
    let make = |j: usize| create("sma_crossover", &jobs[j]).unwrap();
    let err = sweep(&bars, jobs.len(), make, &Config::default(), 2, &Canceled).unwrap_err();
    assert_eq!(err, BacktestError::Canceled);
}
