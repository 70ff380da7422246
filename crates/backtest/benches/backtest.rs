//! SMA(10)/SMA(30) crossover over 1,000,000 one-minute bars through the full event-driven path
//! (orders, fills, positions, equity, metrics), and a 100-combination sweep over 100,000 bars
//! on two threads. Uses `bench-data/synth_*.csv` when generated (see `bench/README.md`), else
//! a synthetic walk of the same shape.
//!
//!     CARGO_TARGET_DIR=/tmp/strat-target cargo bench -p aetherion-backtest --bench backtest

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use aetherion_backtest::{Bar, Config, Engine, run, sweep};
use aetherion_strategy::{Strategy, create};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bars(n: usize) -> Vec<Bar> {
    support::load_synth(n).unwrap_or_else(|| {
        eprintln!("bench-data/synth_{n}.csv not found: using a synthetic walk");
        support::synthetic_bars(n, 42)
    })
}

fn sma(fast: usize, slow: usize) -> Box<dyn Strategy> {
    let p: BTreeMap<String, f64> =
        [("fast".to_string(), fast as f64), ("slow".to_string(), slow as f64)]
            .into_iter()
            .collect();
    create("sma_crossover", &p).unwrap()
}

fn single_run(c: &mut Criterion) {
    let bars = bars(1_000_000);
    let config = Config { cash: 1_000_000.0, ..Config::default() };
    let mut group = c.benchmark_group("sma_crossover_1m_bars");
    group.sample_size(20).measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(bars.len() as u64));
    group.bench_function("run", |b| {
        b.iter(|| black_box(run(black_box(&bars), sma(10, 30).as_mut(), &config).unwrap()))
    });
    let mut engine = Engine::new();
    group.bench_function("engine_reused", |b| {
        b.iter(|| {
            black_box(engine.run(black_box(&bars), sma(10, 30).as_mut(), &config, &()).unwrap())
        })
    });
    group.finish();
}

fn parameter_sweep(c: &mut Criterion) {
    let bars = bars(100_000);
    let config = Config { cash: 1_000_000.0, ..Config::default() };
    let combos: Vec<(usize, usize)> =
        (0..10).flat_map(|f| (0..10).map(move |s| (5 + f * 2, 30 + s * 10))).collect();
    let mut group = c.benchmark_group("sweep_100_combinations_100k_bars");
    group.sample_size(20).measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements((combos.len() * bars.len()) as u64));
    for threads in [1, 2] {
        group.bench_function(format!("threads_{threads}"), |b| {
            b.iter(|| {
                let make = |j: usize| sma(combos[j].0, combos[j].1);
                black_box(sweep(&bars, combos.len(), make, &config, threads, &()).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, single_run, parameter_sweep);
criterion_main!(benches);
