//! Risk figures at the sizes the platform uses.
//!
//! - `monte_carlo/1M_paths_10_assets`: 1,000,000 paths, 10 positions of 100,000 each,
//!   99% one-day VaR. The covariance is built directly, as a 1-hour covariance (the unit
//!   the crate works in): daily volatilities 1.0%, 1.2%, ..., 2.8%, each divided by
//!   sqrt(24), correlation 0.5^|i-j|. Run on every core (`threads = 0`) and on one.
//! - `parametric/720x10` and `historical/720x10`: 720 hourly observations (30 days) of the
//!   same 10 assets, drawn from that covariance, sample covariance and all included.
//!
//! `scripts/risk-numpy.py` does the Monte Carlo computation with NumPy for comparison.

use std::hint::black_box;
use std::time::Duration;

use aetherion_risk::{Covariance, Method, Returns, monte_carlo, value_at_risk};
use criterion::Criterion;

const ASSETS: usize = 10;
const PATHS: usize = 1_000_000;
const OBSERVATIONS: usize = 720;

fn covariance() -> Covariance {
    let vol = |i: usize| (0.010 + 0.002 * i as f64) / 24f64.sqrt();
    let mut data = vec![0.0; ASSETS * ASSETS];
    for i in 0..ASSETS {
        for j in 0..ASSETS {
            data[i * ASSETS + j] = 0.5f64.powi((i as i32 - j as i32).abs()) * vol(i) * vol(j);
        }
    }
    Covariance::new(ASSETS, data).expect("a valid covariance")
}

/// 720 observations of returns with the benchmark covariance: L z, L the Cholesky factor
/// (computed here), z from Box-Muller over a 64-bit LCG.
fn returns() -> Returns {
    let cov = covariance();
    let c = |i: usize, j: usize| cov.get(i, j).unwrap_or(0.0);
    let mut l = [[0.0f64; ASSETS]; ASSETS];
    for j in 0..ASSETS {
        let d = (c(j, j) - (0..j).map(|p| l[j][p] * l[j][p]).sum::<f64>()).sqrt();
        l[j][j] = d;
        for i in j + 1..ASSETS {
            l[i][j] = (c(i, j) - (0..j).map(|p| l[i][p] * l[j][p]).sum::<f64>()) / d;
        }
    }
    let mut state = 12_345u64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) + 1) as f64 / (1u64 << 53) as f64
    };
    let mut data = Vec::with_capacity(OBSERVATIONS * ASSETS);
    for _ in 0..OBSERVATIONS {
        let z: Vec<f64> = (0..ASSETS)
            .map(|_| (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos())
            .collect();
        for row in &l {
            data.push(row.iter().zip(&z).map(|(a, b)| a * b).sum());
        }
    }
    Returns::new(OBSERVATIONS, ASSETS, data).expect("valid returns")
}

fn main() {
    let cov = covariance();
    let values = [100_000.0; ASSETS];
    let returns = returns();

    let mc = monte_carlo(&values, &cov, 0.99, 1, PATHS, 42, 0).expect("monte carlo");
    let exact = aetherion_risk::parametric(&values, &cov, 0.99, 1).expect("parametric");
    println!(
        "99% 1-day VaR of 10 x 100,000: Monte Carlo {:.2} (ES {:.2}), parametric {:.2} (ES {:.2})",
        mc.var, mc.es, exact.var, exact.es
    );

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("monte_carlo");
        group
            .sample_size(30)
            .measurement_time(Duration::from_secs(8));
        for (name, threads) in [
            ("1M_paths_10_assets", 0),
            ("1M_paths_10_assets_1_thread", 1),
        ] {
            group.bench_function(name, |b| {
                b.iter(|| monte_carlo(black_box(&values), &cov, 0.99, 1, PATHS, 42, threads))
            });
        }
        group.finish();
    }
    let mut group = c.benchmark_group("sample_720x10");
    for (name, method) in [
        ("parametric", Method::Parametric),
        ("historical", Method::Historical),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| value_at_risk(black_box(&values), &returns, 0.99, 1, &method, 1))
        });
    }
    group.finish();
    c.final_summary();
}
