//! The few statistics the metrics need, computed the way NumPy and pandas compute them so that
//! results agree with backtesting.py to the last bits where it matters.

/// NumPy's pairwise summation of a contiguous float64 array (`np.add.reduce`).
pub fn np_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= BLOCK {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        np_sum(&a[..n2]) + np_sum(&a[n2..])
    }
}

/// The arithmetic mean; NaN when empty.
pub fn mean(a: &[f64]) -> f64 {
    if a.is_empty() { f64::NAN } else { np_sum(a) / a.len() as f64 }
}

/// pandas' sample variance (`ddof = 1`, two passes); NaN with fewer than two values.
pub fn var(a: &[f64]) -> f64 {
    if a.len() < 2 {
        return f64::NAN;
    }
    let avg = np_sum(a) / a.len() as f64;
    let sq: Vec<f64> = a.iter().map(|x| (avg - x) * (avg - x)).collect();
    np_sum(&sq) / (a.len() - 1) as f64
}

/// backtesting.py's `geometric_mean`: `exp(mean(log(1 + r))) - 1`, 0 if any `1 + r <= 0`,
/// NaN when empty.
pub fn geometric_mean(returns: &[f64]) -> f64 {
    let growth: Vec<f64> = returns.iter().map(|r| r + 1.0).collect();
    if growth.iter().any(|g| *g <= 0.0) {
        return 0.0;
    }
    if growth.is_empty() {
        return f64::NAN;
    }
    let logs: Vec<f64> = growth.iter().map(|g| g.ln()).collect();
    (np_sum(&logs) / logs.len() as f64).exp() - 1.0
}

/// `x or NaN` in Python: zero becomes NaN.
pub fn or_nan(x: f64) -> f64 {
    if x == 0.0 { f64::NAN } else { x }
}

/// Finite values only: NaN and ±∞ are "not defined".
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_is_a_sum() {
        for n in [0, 1, 7, 8, 9, 127, 128, 129, 1000, 4097] {
            let a: Vec<f64> = (0..n).map(|i| (i % 13) as f64 * 0.25).collect();
            let naive: f64 = a.iter().sum();
            assert_eq!(np_sum(&a), naive, "{n}");
        }
    }

    #[test]
    fn statistics() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), 3.0);
        assert_eq!(var(&[1.0, 2.0, 6.0]), 7.0);
        assert!(var(&[1.0]).is_nan() && mean(&[]).is_nan());
        assert!((geometric_mean(&[0.1, -0.1]) - ((1.1f64 * 0.9).sqrt() - 1.0)).abs() < 1e-15);
        assert_eq!(geometric_mean(&[0.5, -1.0]), 0.0);
        assert!(geometric_mean(&[]).is_nan());
        assert!(or_nan(0.0).is_nan() && finite(f64::INFINITY).is_none());
    }
}
