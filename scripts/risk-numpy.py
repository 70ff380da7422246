#!/usr/bin/env python3
"""The Monte Carlo VaR benchmark of crates/risk/benches/monte_carlo.rs, in NumPy, for comparison.

1,000,000 zero-mean multivariate normal scenarios of 10 assets (1-hour covariance: daily
volatilities 1.0%, 1.2%, ..., 2.8% divided by sqrt(24), correlation 0.5^|i-j|), positions of
100,000 each; 99% one-day VaR and ES: losses -(Z L') x = -Z (L'x), the ceil(c n)-th smallest
(np.partition, a selection like the Rust crate's) and the mean from it upwards, times sqrt(24).
Prints the best of 5 timed runs in milliseconds (NumPy's default BLAS threads; set
OMP_NUM_THREADS/OPENBLAS_NUM_THREADS to change).

Usage: python3 -m venv /tmp/npvenv && /tmp/npvenv/bin/pip install numpy
       /tmp/npvenv/bin/python scripts/risk-numpy.py
"""

import math
import time

import numpy as np

ASSETS = 10
PATHS = 1_000_000
CONFIDENCE = 0.99
HORIZON_DAYS = 1
SEED = 42
RUNS = 5


def covariance() -> np.ndarray:
    vol = (0.010 + 0.002 * np.arange(ASSETS)) / math.sqrt(24.0)
    lag = np.abs(np.subtract.outer(np.arange(ASSETS), np.arange(ASSETS)))
    return 0.5**lag * np.outer(vol, vol)


def monte_carlo(values: np.ndarray, cov: np.ndarray, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    lower = np.linalg.cholesky(cov)
    z = rng.standard_normal((PATHS, ASSETS))
    losses = -(z @ (lower.T @ values))  # = -(z @ lower.T) @ values
    m = math.ceil(CONFIDENCE * PATHS)  # 1-based rank of the quantile
    part = np.partition(losses, m - 1)
    var = part[m - 1]
    es = part[m - 1 :].mean()
    scale = math.sqrt(24.0 * HORIZON_DAYS)
    return var * scale, es * scale


def main() -> None:
    cov = covariance()
    values = np.full(ASSETS, 100_000.0)
    best = math.inf
    for run in range(RUNS):
        start = time.perf_counter()
        var, es = monte_carlo(values, cov, SEED + run)
        best = min(best, time.perf_counter() - start)
    print(f"numpy {np.__version__}: 99% 1-day VaR {var:.2f}, ES {es:.2f}")
    print(f"monte carlo, {PATHS:,} paths x {ASSETS} assets: best of {RUNS}: {best * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
