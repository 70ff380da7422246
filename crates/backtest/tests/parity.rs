//! Parity with backtesting.py 0.6.6: the same strategies on the same bars give the same trades
//! and statistics. `fixtures/expected.txt` was written by `fixtures/backtesting_py_reference.py`
//! (which also holds the Python twin of every strategy below); the runs here use
//! `Finalize::BacktestingPy`, the mode that replays backtesting.py's `finalize_trades=True`.

mod support;

use std::collections::BTreeMap;

use aetherion_backtest::{BacktestResult, Bar, Config, Finalize, Metrics, Strategy, run};
use aetherion_model::Side;
use aetherion_strategy::{Context, Size, create};

const FIXTURE: &str = include_str!("fixtures/synth_hourly_1000.csv");
const EXPECTED: &str = include_str!("fixtures/expected.txt");

/// One scenario of `expected.txt`.
#[derive(Default)]
struct Expected {
    values: BTreeMap<String, Option<f64>>,
    trades: Vec<Vec<f64>>,
}

fn expected(name: &str) -> Expected {
    let mut out = Expected::default();
    let mut inside = false;
    for line in EXPECTED.lines() {
        if line.starts_with('[') {
            inside = line == format!("[{name}]");
            continue;
        }
        if !inside || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(" = ").expect("key = value");
        if key == "trade" {
            out.trades.push(value.split(' ').map(|v| v.parse().unwrap()).collect());
        } else {
            out.values.insert(
                key.into(),
                if value == "none" { None } else { Some(value.parse().unwrap()) },
            );
        }
    }
    assert!(!out.values.is_empty(), "no scenario {name}");
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-3)
}

fn metric_values(m: &Metrics) -> Vec<(&'static str, Option<f64>)> {
    let d = |x: Option<i64>| x.map(|v| v as f64);
    vec![
        ("exposure_time_pct", Some(m.exposure_time_pct)),
        ("equity_final", Some(m.equity_final)),
        ("equity_peak", Some(m.equity_peak)),
        ("return_pct", Some(m.return_pct)),
        ("buy_hold_return_pct", Some(m.buy_hold_return_pct)),
        ("return_ann_pct", m.return_ann_pct),
        ("volatility_ann_pct", m.volatility_ann_pct),
        ("cagr_pct", m.cagr_pct),
        ("sharpe_ratio", m.sharpe_ratio),
        ("sortino_ratio", m.sortino_ratio),
        ("calmar_ratio", m.calmar_ratio),
        ("max_drawdown_pct", Some(m.max_drawdown_pct)),
        ("avg_drawdown_pct", m.avg_drawdown_pct),
        ("max_drawdown_duration", d(m.max_drawdown_duration)),
        ("avg_drawdown_duration", d(m.avg_drawdown_duration)),
        ("num_trades", Some(m.num_trades as f64)),
        ("win_rate_pct", m.win_rate_pct),
        ("best_trade_pct", m.best_trade_pct),
        ("worst_trade_pct", m.worst_trade_pct),
        ("avg_trade_pct", m.avg_trade_pct),
        ("max_trade_duration", d(m.max_trade_duration)),
        ("avg_trade_duration", d(m.avg_trade_duration)),
        ("profit_factor", m.profit_factor),
        ("expectancy_pct", m.expectancy_pct),
        ("sqn", m.sqn),
        ("commissions", Some(m.commissions)),
    ]
}

fn assert_matches(name: &str, result: &BacktestResult) {
    let want = expected(name);
    let got = metric_values(&result.metrics);
    assert_eq!(got.len(), want.values.len(), "{name}: the fixture lists other metrics");
    for (key, value) in got {
        let expected = want.values[key];
        let same = match (value, expected) {
            (Some(a), Some(b)) => close(a, b),
            (None, None) => true,
            _ => false,
        };
        assert!(same, "{name}.{key}: got {value:?}, backtesting.py {expected:?}");
    }
    for (k, (t, w)) in result.trades.iter().zip(&want.trades).enumerate() {
        let signed = if t.side == Side::Buy { t.size } else { -t.size };
        let got = [
            signed,
            t.entry_bar as f64,
            t.exit_bar as f64,
            t.entry_price,
            t.exit_price,
            t.pnl,
            t.return_pct / 100.0,
            t.commission,
        ];
        for (i, (a, b)) in got.iter().zip(w).enumerate() {
            assert!(
                close(*a, *b),
                "{name} trade {k} field {i}: got {a}, backtesting.py {b}\n{t:?}"
            );
        }
    }
}

fn params(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

fn config(cash: f64, commission: f64) -> Config {
    Config { cash, commission, finalize: Finalize::BacktestingPy, ..Config::default() }
}

fn fixture() -> Vec<Bar> {
    support::parse_csv(FIXTURE)
}

#[test]
fn sma_crossover_long_only() {
    let mut s = create("sma_crossover", &params(&[("fast", 10.0), ("slow", 30.0)])).unwrap();
    assert_matches("sma_long", &run(&fixture(), s.as_mut(), &config(1e6, 0.0)).unwrap());
}

#[test]
fn sma_crossover_always_in_the_market_with_commission() {
    let p = params(&[("fast", 10.0), ("slow", 30.0), ("allow_short", 1.0)]);
    let mut s = create("sma_crossover", &p).unwrap();
    let result = run(&fixture(), s.as_mut(), &config(1e6, 0.002)).unwrap();
    assert!(result.trades.iter().any(|t| t.side == Side::Sell));
    assert_matches("sma_short_commission", &result);
}

#[test]
fn market_maker_limit_orders() {
    let p = params(&[("spread_pct", 0.2), ("lots", 50.0), ("max_inventory", 200.0)]);
    let mut s = create("market_maker", &p).unwrap();
    assert_matches(
        "market_maker",
        &run(&fixture(), s.as_mut(), &config(100_000.0, 0.0005)).unwrap(),
    );
}

/// Limits, stops, fractions and closes on a fixed schedule: the twin of `Scripted` in
/// `backtesting_py_reference.py`. Different sizes on each side make trades close in part.
struct Scripted {
    bar: u64,
}

impl Strategy for Scripted {
    fn warmup(&self) -> usize {
        0
    }

    fn on_bar(&mut self, bar: &Bar, ctx: &mut Context) {
        let (i, c) = (self.bar, bar.close);
        self.bar += 1;
        if i % 3 == 0 {
            ctx.cancel_all();
            ctx.buy_limit(c * 0.999, Size::Lots(30));
            ctx.sell_stop(c * 0.997, Size::Lots(20));
        } else if i % 3 == 1 {
            ctx.sell_limit(c * 1.001, Size::Lots(25));
            ctx.buy_stop(c * 1.003, Size::Lots(10));
        }
        if i % 11 == 0 {
            ctx.buy(Size::Fraction(0.3));
        }
        if i % 17 == 0 {
            ctx.close_position();
        }
        if i % 29 == 0 {
            ctx.sell(Size::Fraction(0.2));
        }
    }
}

#[test]
fn scripted_limits_stops_fractions_and_closes() {
    let result = run(&fixture(), &mut Scripted { bar: 0 }, &config(100_000.0, 0.001)).unwrap();
    assert_matches("scripted", &result);
}

#[test]
fn sma_crossover_on_the_100k_benchmark_file_when_present() {
    let Some(bars) = support::load_synth(100_000) else {
        eprintln!("bench-data/synth_100000.csv absent: covered by the fixture scenarios");
        return;
    };
    let mut s = create("sma_crossover", &params(&[("fast", 10.0), ("slow", 30.0)])).unwrap();
    assert_matches("synth_100000", &run(&bars, s.as_mut(), &config(1e6, 0.0)).unwrap());
}
