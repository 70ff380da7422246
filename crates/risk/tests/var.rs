//! VaR, ES and contributions against independently computed values, and their properties.

use aetherion_risk::{
    Covariance, Input, Method, Report, Returns, RiskError, monte_carlo, parametric, value_at_risk,
};
use proptest::prelude::*;

/// Phi^-1(0.99) and phi of it (Python's statistics.NormalDist).
const Z99: f64 = 2.326_347_874_040_840_8;
const PHI_Z99: f64 = 0.026_652_142_203_458_08;

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-300)
}

fn sum(report: &Report) -> f64 {
    report.contributions.iter().sum()
}

fn assert_contributions_add_up(report: &Report) {
    let scale: f64 = report.contributions.iter().map(|c| c.abs()).sum::<f64>() + report.var.abs();
    assert!(
        (sum(report) - report.var).abs() <= 1e-9 * scale + 1e-12,
        "{report:?}"
    );
}

/// A deterministic pseudo-random returns matrix: `k` assets, a common factor plus noise.
fn synthetic_returns(n: usize, k: usize, seed: u64) -> Returns {
    let mut state = seed;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut data = Vec::with_capacity(n * k);
    for _ in 0..n {
        let factor = uniform();
        for j in 0..k {
            data.push(0.01 * (factor + uniform() * (1.0 + j as f64 * 0.3)));
        }
    }
    Returns::new(n, k, data).unwrap()
}

/// The benchmark's covariance, for `k` assets: daily vols 1.0%, 1.2%, ..., correlation
/// 0.5^|i-j|, as 1-hour covariance (daily / 24).
fn model_covariance(k: usize) -> Covariance {
    let vol = |i: usize| (0.010 + 0.002 * i as f64) / 24f64.sqrt();
    let mut data = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            data[i * k + j] = 0.5f64.powi((i as i32 - j as i32).abs()) * vol(i) * vol(j);
        }
    }
    Covariance::new(k, data).unwrap()
}

const METHODS: [Method; 3] = [
    Method::Historical,
    Method::Parametric,
    Method::MonteCarlo {
        paths: 20_000,
        seed: 5,
    },
];

#[test]
fn parametric_var_of_one_position_by_hand() {
    // Returns 1%, -1%, 2%, -2%: mean 0, sum of squares 0.001, sample variance 0.001 / 3.
    let returns = Returns::new(4, 1, vec![0.01, -0.01, 0.02, -0.02]).unwrap();
    let sigma = (0.001f64 / 3.0).sqrt();
    for horizon in [1, 10] {
        let scaling = (24.0 * f64::from(horizon)).sqrt();
        let r = value_at_risk(&[1000.0], &returns, 0.99, horizon, &Method::Parametric, 1).unwrap();
        assert!(close(r.var, Z99 * sigma * scaling * 1000.0, 1e-13), "{r:?}");
        assert!(
            close(r.es, sigma * PHI_Z99 / 0.01 * scaling * 1000.0, 1e-13),
            "{r:?}"
        );
        assert!(close(r.contributions[0], r.var, 1e-13));
    }
    // A short position has the same risk.
    let short = value_at_risk(&[-1000.0], &returns, 0.99, 1, &Method::Parametric, 1).unwrap();
    assert!(close(short.var, Z99 * sigma * 24f64.sqrt() * 1000.0, 1e-13));
}

#[test]
fn parametric_two_assets_by_hand() {
    // Sigma = [[4, -1], [-1, 9]] (1-hour), x = (2, 1): x'Sigma x = 16 - 4 + 9 = 21,
    // Sigma x = (7, 7): contributions z * 2 * 7 / sqrt(21), z * 7 / sqrt(21).
    let cov = Covariance::new(2, vec![4.0, -1.0, -1.0, 9.0]).unwrap();
    let r = parametric(&[2.0, 1.0], &cov, 0.99, 1).unwrap();
    let s = 24f64.sqrt();
    assert!(close(r.var, Z99 * 21f64.sqrt() * s, 1e-14));
    assert!(close(
        r.contributions[0],
        Z99 * s * 14.0 / 21f64.sqrt(),
        1e-14
    ));
    assert!(close(
        r.contributions[1],
        Z99 * s * 7.0 / 21f64.sqrt(),
        1e-14
    ));
}

/// Ten scenarios of two positions worth 100 and 50; their losses -(100 a + 50 b) are
/// -2, 2, 3, -3.5, 6, -1, 1.5, 1, 4, -0.5, sorted: -3.5 -2 -1 -0.5 1 1.5 2 3 4 6.
fn ten_scenarios() -> Returns {
    #[rustfmt::skip]
    let rows = vec![
        0.01, 0.02,   -0.02, 0.00,   0.00, -0.06,   0.03, 0.01,   -0.05, -0.02,
        0.02, -0.02,  -0.01, -0.01,  -0.04, 0.06,   0.01, -0.10,  0.00, 0.01,
    ];
    Returns::new(10, 2, rows).unwrap()
}

#[test]
fn historical_quantile_tail_mean_and_scenario_by_hand() {
    let returns = ten_scenarios();
    let values = [100.0, 50.0];
    let s = 24f64.sqrt();
    // (confidence, ceil(10 c)-th loss, mean from it up, the scenario's position losses)
    let cases = [
        (0.8, 3.0, 13.0 / 3.0, [0.0, 3.0]),
        (0.9, 4.0, 5.0, [-1.0, 5.0]),
        (0.95, 6.0, 6.0, [5.0, 1.0]),
        (
            0.1,
            -3.5,
            (1.0 + 1.5 + 2.0 + 3.0 + 4.0 + 6.0 - 3.5 - 2.0 - 1.0 - 0.5) / 10.0,
            [-3.0, -0.5],
        ),
        (
            0.11,
            -2.0,
            (1.0 + 1.5 + 2.0 + 3.0 + 4.0 + 6.0 - 2.0 - 1.0 - 0.5) / 9.0,
            [-1.0, -1.0],
        ),
    ];
    for (confidence, var, es, contributions) in cases {
        let r = value_at_risk(&values, &returns, confidence, 1, &Method::Historical, 1).unwrap();
        assert!(close(r.var, var * s, 1e-12), "{confidence}: {r:?}");
        assert!(close(r.es, es * s, 1e-12), "{confidence}: {r:?}");
        for (got, want) in r.contributions.iter().zip(contributions) {
            assert!((got - want * s).abs() < 1e-12, "{confidence}: {r:?}");
        }
    }
    // A 4-day horizon doubles the 1-day figures: sqrt(96) = 2 sqrt(24).
    let one = value_at_risk(&values, &returns, 0.9, 1, &Method::Historical, 1).unwrap();
    let four = value_at_risk(&values, &returns, 0.9, 4, &Method::Historical, 1).unwrap();
    assert!(close(four.var, 2.0 * one.var, 1e-15) && close(four.es, 2.0 * one.es, 1e-15));
}

#[test]
fn historical_on_a_hundred_returns() {
    // One position worth 1 and returns (t - 50)/1000 in scrambled order: losses
    // -0.049 ..= 0.050, the k-th smallest -0.050 + k/1000. At 95%: the 95th, 0.045; ES the
    // mean of 0.045 ..= 0.050, 0.0475.
    let data: Vec<f64> = (0..100)
        .map(|i| ((i * 37) % 100) as f64 / 1000.0 - 0.05)
        .collect();
    let returns = Returns::new(100, 1, data).unwrap();
    let r = value_at_risk(&[1.0], &returns, 0.95, 1, &Method::Historical, 1).unwrap();
    let s = 24f64.sqrt();
    assert!(close(r.var, 0.045 * s, 1e-12), "{r:?}");
    assert!(close(r.es, 0.0475 * s, 1e-12), "{r:?}");
    // 0.07 * 100 is 7.000000000000001 in f64; the rank is still 7: -0.043.
    let low = value_at_risk(&[1.0], &returns, 0.07, 1, &Method::Historical, 1).unwrap();
    assert!(close(low.var, -0.043 * s, 1e-12), "{low:?}");
}

#[test]
fn monte_carlo_converges_to_parametric() {
    let cov = model_covariance(5);
    let values = [100_000.0, -50_000.0, 80_000.0, 30_000.0, 120_000.0];
    let exact = parametric(&values, &cov, 0.99, 1).unwrap();
    let mc = monte_carlo(&values, &cov, 0.99, 1, 200_000, 42, 0).unwrap();
    assert!(close(mc.var, exact.var, 0.015), "{mc:?} vs {exact:?}");
    assert!(close(mc.es, exact.es, 0.015), "{mc:?} vs {exact:?}");
    // Contributions: tail means of position losses estimate the Euler allocation.
    for (got, want) in mc.contributions.iter().zip(&exact.contributions) {
        assert!((got - want).abs() < 0.01 * exact.var, "{mc:?} vs {exact:?}");
    }
    assert!(exact.contributions[1] < 0.0 && mc.contributions[1] < 0.0);
    assert_contributions_add_up(&mc);

    // The same through sample returns: both methods see the same sample covariance.
    let returns = synthetic_returns(500, 3, 9);
    let exact =
        value_at_risk(&[1e4, 2e4, 3e4], &returns, 0.975, 3, &Method::Parametric, 1).unwrap();
    let method = Method::MonteCarlo {
        paths: 200_000,
        seed: 1,
    };
    let mc = value_at_risk(&[1e4, 2e4, 3e4], &returns, 0.975, 3, &method, 2).unwrap();
    assert!(
        close(mc.var, exact.var, 0.015) && close(mc.es, exact.es, 0.015),
        "{mc:?} vs {exact:?}"
    );
}

#[test]
fn var_grows_with_confidence_and_horizon_and_es_is_at_least_var() {
    let returns = synthetic_returns(300, 3, 1);
    let values = [10_000.0, 20_000.0, 5_000.0];
    for method in &METHODS {
        let mut previous: Option<Report> = None;
        for confidence in [0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999] {
            let r = value_at_risk(&values, &returns, confidence, 1, method, 0).unwrap();
            assert!(r.es >= r.var, "{method:?} {confidence}: {r:?}");
            assert_contributions_add_up(&r);
            if let Some(p) = previous {
                assert!(
                    r.var > p.var && r.es > p.es,
                    "{method:?} {confidence}: {r:?} after {p:?}"
                );
            }
            previous = Some(r);
        }
        let mut previous = 0.0;
        for horizon in [1, 2, 10, 250] {
            let r = value_at_risk(&values, &returns, 0.99, horizon, method, 0).unwrap();
            assert!(
                r.var > previous && r.es >= r.var,
                "{method:?} {horizon}: {r:?}"
            );
            previous = r.var;
        }
    }
}

#[test]
fn contributions_add_up_and_a_hedge_contributes_negatively() {
    // Asset b tracks asset a closely (correlation 0.9); long 100 of a, short 40 of b.
    let cov = Covariance::new(2, vec![1e-4, 0.9e-4, 0.9e-4, 1e-4]).unwrap();
    let values = [100.0, -40.0];
    let r = parametric(&values, &cov, 0.99, 1).unwrap();
    assert!(
        r.contributions[1] < 0.0 && r.contributions[0] > r.var,
        "{r:?}"
    );
    assert_contributions_add_up(&r);
    let mc = monte_carlo(&values, &cov, 0.99, 1, 100_000, 3, 2).unwrap();
    assert!(mc.contributions[1] < 0.0, "{mc:?}");
    assert_contributions_add_up(&mc);
    // Sample returns, all methods.
    let returns = synthetic_returns(200, 4, 2);
    for method in &METHODS {
        let r = value_at_risk(&[5.0, -3.0, 8.0, 1.0], &returns, 0.95, 5, method, 0).unwrap();
        assert_eq!(r.contributions.len(), 4);
        assert_contributions_add_up(&r);
    }
}

#[test]
fn monte_carlo_is_deterministic_and_independent_of_threads() {
    let returns = synthetic_returns(100, 3, 3);
    let values = [1.0, 2.0, -1.5];
    // 0.99 keeps tail candidates in one pass; 0.3 stores every loss and regenerates.
    for confidence in [0.99, 0.3] {
        let method = Method::MonteCarlo {
            paths: 30_001,
            seed: 77,
        };
        let one = value_at_risk(&values, &returns, confidence, 1, &method, 1).unwrap();
        for threads in [0, 1, 2, 3, 8] {
            assert_eq!(
                value_at_risk(&values, &returns, confidence, 1, &method, threads).unwrap(),
                one
            );
        }
        let other = Method::MonteCarlo {
            paths: 30_001,
            seed: 78,
        };
        assert_ne!(
            value_at_risk(&values, &returns, confidence, 1, &other, 2).unwrap(),
            one
        );
    }
}

#[test]
fn degenerate_portfolios() {
    let returns = synthetic_returns(50, 2, 4);
    // No positions, zero positions, a perfectly offset pair: no risk, no panic.
    let empty = Returns::new(5, 0, vec![]).unwrap();
    let flat = Returns::new(3, 2, vec![0.01, 0.01, -0.02, -0.02, 0.005, 0.005]).unwrap();
    for method in &METHODS {
        let r = value_at_risk(&[], &empty, 0.99, 1, method, 0).unwrap();
        assert_eq!((r.var, r.es, r.contributions.len()), (0.0, 0.0, 0));
        let r = value_at_risk(&[0.0, 0.0], &returns, 0.99, 1, method, 0).unwrap();
        assert_eq!((r.var, r.es), (0.0, 0.0));
        let r = value_at_risk(&[1.0, -1.0], &flat, 0.99, 1, method, 0).unwrap();
        assert!(r.var.abs() < 1e-15 && r.es >= r.var, "{method:?}: {r:?}");
        // A duplicated asset: singular covariance.
        let r = value_at_risk(&[1.0, 2.0], &flat, 0.99, 1, method, 0).unwrap();
        assert!(r.var > 0.0 && r.es >= r.var, "{method:?}: {r:?}");
        assert_contributions_add_up(&r);
    }
}

#[test]
fn invalid_inputs_are_errors() {
    let returns = synthetic_returns(10, 2, 5);
    let values = [1.0, 2.0];
    for method in &METHODS {
        for confidence in [0.0, 1.0, 1.5, -0.1, f64::NAN, f64::INFINITY] {
            let err = value_at_risk(&values, &returns, confidence, 1, method, 1).unwrap_err();
            assert!(
                matches!(err, RiskError::Confidence(c) if c.to_bits() == confidence.to_bits()),
                "{err}"
            );
        }
        assert_eq!(
            value_at_risk(&values, &returns, 0.99, 0, method, 1),
            Err(RiskError::Horizon(0))
        );
        assert_eq!(
            value_at_risk(&[1.0], &returns, 0.99, 1, method, 1),
            Err(RiskError::DimensionMismatch {
                values: 1,
                assets: 2
            })
        );
        assert_eq!(
            value_at_risk(&[1.0, f64::NAN], &returns, 0.99, 1, method, 1),
            Err(RiskError::NonFinite {
                input: Input::Values,
                index: 1
            })
        );
        let huge = Returns::new(2, 1, vec![1e300, -1e300]).unwrap();
        assert_eq!(
            value_at_risk(&[1e300], &huge, 0.99, 1, method, 1),
            Err(RiskError::Overflow)
        );
    }
    assert_eq!(
        Returns::new(1, 2, vec![0.01, 0.02]),
        Err(RiskError::TooFewObservations(1))
    );
    assert_eq!(
        Returns::new(0, 2, vec![]),
        Err(RiskError::TooFewObservations(0))
    );
    for paths in [0, aetherion_risk::MAX_PATHS + 1, usize::MAX] {
        let method = Method::MonteCarlo { paths, seed: 1 };
        assert_eq!(
            value_at_risk(&values, &returns, 0.99, 1, &method, 1),
            Err(RiskError::Paths(paths))
        );
    }
    let cov = model_covariance(2);
    assert_eq!(
        monte_carlo(&values, &cov, 0.99, 1, 0, 1, 1),
        Err(RiskError::Paths(0))
    );
    let wide = Returns::new(2, 5000, vec![0.0; 10_000]).unwrap();
    assert_eq!(wide.covariance(), Err(RiskError::TooManyAssets(5000)));
    assert_eq!(
        value_at_risk(&[0.0; 5000], &wide, 0.99, 1, &Method::Historical, 1),
        Err(RiskError::TooManyAssets(5000))
    );
    assert_eq!(
        parametric(&[1.0; 3], &cov, 0.99, 1),
        Err(RiskError::DimensionMismatch {
            values: 3,
            assets: 2
        })
    );
    // Errors render as readable messages.
    assert_eq!(
        RiskError::TooFewObservations(1).to_string(),
        "at least 2 return observations are needed, got 1"
    );
}

fn method_strategy() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Historical),
        Just(Method::Parametric),
        (1usize..3000, any::<u64>()).prop_map(|(paths, seed)| Method::MonteCarlo { paths, seed }),
    ]
}

prop_compose! {
    fn inputs()(k in 0usize..4, n in 2usize..40)
        (returns in prop::collection::vec(-0.5f64..0.5, n * k),
         values in prop::collection::vec(-1e6f64..1e6, k),
         n in Just(n), k in Just(k))
        -> (Returns, Vec<f64>) {
        (Returns::new(n, k, returns).unwrap(), values)
    }
}

proptest! {
    #[test]
    fn prop_random_inputs_give_es_at_least_var(
        (returns, values) in inputs(),
        confidence in 0.001f64..0.999,
        horizon in 1u32..400,
        method in method_strategy(),
        threads in 0usize..4,
    ) {
        let r = value_at_risk(&values, &returns, confidence, horizon, &method, threads).unwrap();
        prop_assert!(r.es >= r.var, "{:?}", r);
        prop_assert_eq!(r.contributions.len(), values.len());
        let scale: f64 = r.contributions.iter().map(|c| c.abs()).sum::<f64>() + r.var.abs();
        prop_assert!((sum(&r) - r.var).abs() <= 1e-9 * scale + 1e-9, "{:?}", r);
    }

    #[test]
    fn prop_arbitrary_numbers_never_panic(
        data in prop::collection::vec(any::<f64>(), 0..12),
        values in prop::collection::vec(any::<f64>(), 0..4),
        n in 0usize..6,
        confidence in any::<f64>(),
        horizon in any::<u32>(),
        method in method_strategy(),
    ) {
        if let Ok(returns) = Returns::new(n, values.len(), data) {
            let _ = value_at_risk(&values, &returns, confidence, horizon, &method, 2);
        }
    }
}
