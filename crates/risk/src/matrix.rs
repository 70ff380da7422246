//! The two inputs: a returns matrix and a covariance matrix, each validated on construction,
//! and the tolerant Cholesky factorisation used by Monte Carlo.

use crate::error::{Input, RiskError};

/// Simple returns of `assets` assets over `observations` aligned periods (1 hour in the
/// platform), row-major: row t holds every asset's return over period t.
///
/// Invariants (checked by [`Returns::new`]): at least 2 observations, every number finite.
#[derive(Debug, Clone, PartialEq)]
pub struct Returns {
    observations: usize,
    assets: usize,
    data: Vec<f64>,
}

impl Returns {
    /// Takes `observations` rows of `assets` returns each, row-major, in `data`.
    ///
    /// # Errors
    /// [`RiskError::Shape`] if `data.len() != observations * assets`,
    /// [`RiskError::TooFewObservations`] below 2 rows, [`RiskError::NonFinite`] for a NaN or
    /// infinite return.
    pub fn new(observations: usize, assets: usize, data: Vec<f64>) -> Result<Self, RiskError> {
        if observations.checked_mul(assets) != Some(data.len()) {
            return Err(RiskError::Shape {
                rows: observations,
                columns: assets,
                len: data.len(),
            });
        }
        if observations < 2 {
            return Err(RiskError::TooFewObservations(observations));
        }
        check_finite(&data, Input::Returns)?;
        Ok(Self {
            observations,
            assets,
            data,
        })
    }

    /// The number of observations (rows).
    pub fn observations(&self) -> usize {
        self.observations
    }

    /// The number of assets (columns).
    pub fn assets(&self) -> usize {
        self.assets
    }

    /// Observation `t`: every asset's return, or `None` past the last row.
    pub fn row(&self, t: usize) -> Option<&[f64]> {
        if t >= self.observations {
            return None;
        }
        self.data.get(t * self.assets..(t + 1) * self.assets)
    }

    /// The rows in order (`observations` of them, empty when there are no assets).
    pub(crate) fn rows(&self) -> impl Iterator<Item = &[f64]> {
        let k = self.assets;
        // In bounds: the constructor checked data.len() == observations * assets.
        (0..self.observations).map(move |t| &self.data[t * k..(t + 1) * k])
    }

    /// The sample covariance matrix (denominator `observations - 1`), computed in two passes
    /// (means first, then centred products) for accuracy.
    ///
    /// # Errors
    /// [`RiskError::TooManyAssets`] above [`MAX_ASSETS`](crate::MAX_ASSETS);
    /// [`RiskError::Overflow`] if returns are so large (around 1e154) that a product
    /// overflows `f64`.
    pub fn covariance(&self) -> Result<Covariance, RiskError> {
        let k = self.assets;
        if k > crate::MAX_ASSETS {
            return Err(RiskError::TooManyAssets(k));
        }
        let n = self.observations;
        let mut mean = vec![0.0; k];
        for row in self.rows() {
            for (m, r) in mean.iter_mut().zip(row) {
                *m += r;
            }
        }
        for m in &mut mean {
            *m /= n as f64;
        }
        let mut data = vec![0.0; k * k];
        let mut centred = vec![0.0; k];
        for row in self.rows() {
            for ((c, r), m) in centred.iter_mut().zip(row).zip(&mean) {
                *c = r - m;
            }
            // Lower triangle only; mirrored below.
            for i in 0..k {
                let ci = centred[i];
                for j in 0..=i {
                    data[i * k + j] += ci * centred[j];
                }
            }
        }
        let denominator = (n - 1) as f64;
        for i in 0..k {
            for j in 0..=i {
                let v = data[i * k + j] / denominator;
                data[i * k + j] = v;
                data[j * k + i] = v;
            }
        }
        if data.iter().all(|v| v.is_finite()) {
            Ok(Covariance { assets: k, data })
        } else {
            Err(RiskError::Overflow)
        }
    }
}

/// A covariance matrix of asset returns (k x k, row-major, symmetric, non-negative
/// diagonal). It need not be positive definite: a singular matrix (an asset that is a
/// combination of others, or constant) is accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariance {
    assets: usize,
    data: Vec<f64>,
}

impl Covariance {
    /// Takes a k x k matrix, row-major.
    ///
    /// # Errors
    /// [`RiskError::Shape`] unless `data.len() == assets * assets`, [`RiskError::NonFinite`],
    /// and [`RiskError::NotCovariance`] for a negative variance or an asymmetry beyond
    /// rounding (a relative 1e-10 of the variances' geometric mean).
    pub fn new(assets: usize, data: Vec<f64>) -> Result<Self, RiskError> {
        if assets.checked_mul(assets) != Some(data.len()) {
            return Err(RiskError::Shape {
                rows: assets,
                columns: assets,
                len: data.len(),
            });
        }
        check_finite(&data, Input::Covariance)?;
        let k = assets;
        for i in 0..k {
            if data[i * k + i] < 0.0 {
                return Err(RiskError::NotCovariance { row: i, column: i });
            }
            for j in 0..i {
                let scale = (data[i * k + i] * data[j * k + j]).sqrt();
                if (data[i * k + j] - data[j * k + i]).abs() > 1e-10 * scale {
                    return Err(RiskError::NotCovariance { row: i, column: j });
                }
            }
        }
        Ok(Self { assets, data })
    }

    /// The number of assets.
    pub fn assets(&self) -> usize {
        self.assets
    }

    /// Entry (i, j), or `None` out of range.
    pub fn get(&self, i: usize, j: usize) -> Option<f64> {
        if i < self.assets && j < self.assets {
            self.data.get(i * self.assets + j).copied()
        } else {
            None
        }
    }

    /// `Sigma x`.
    pub(crate) fn times(&self, x: &[f64]) -> Vec<f64> {
        let k = self.assets;
        (0..k)
            .map(|i| {
                self.data[i * k..(i + 1) * k]
                    .iter()
                    .zip(x)
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect()
    }

    /// A lower-triangular L (row-major) with L L' = Sigma, tolerant of semi-definite Sigma.
    ///
    /// The plain Cholesky recurrence, except that a column whose pivot (the variance left
    /// after the earlier columns explain what they can) is at most 1e-12 of the asset's
    /// variance is set to zero: that asset is, up to rounding, a combination of the earlier
    /// ones, and for a positive semi-definite Sigma the rest of its column is then zero too
    /// (Cauchy-Schwarz), so L L' still equals Sigma. A negative pivot beyond rounding (an
    /// indefinite input) is treated the same way, which drops the indefinite part.
    pub(crate) fn cholesky(&self) -> Vec<f64> {
        let k = self.assets;
        let a = &self.data;
        let mut l = vec![0.0; k * k];
        for j in 0..k {
            let mut pivot = a[j * k + j];
            for p in 0..j {
                pivot -= l[j * k + p] * l[j * k + p];
            }
            if pivot <= 1e-12 * a[j * k + j] || pivot <= 0.0 {
                continue; // a zero column
            }
            let d = pivot.sqrt();
            l[j * k + j] = d;
            for i in j + 1..k {
                let mut s = a[i * k + j];
                for p in 0..j {
                    s -= l[i * k + p] * l[j * k + p];
                }
                l[i * k + j] = s / d;
            }
        }
        l
    }
}

pub(crate) fn check_finite(data: &[f64], input: Input) -> Result<(), RiskError> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(RiskError::NonFinite { input, index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(l: &[f64], k: usize) -> Vec<f64> {
        let mut out = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                out[i * k + j] = (0..k).map(|p| l[i * k + p] * l[j * k + p]).sum();
            }
        }
        out
    }

    #[test]
    fn sample_covariance_by_hand() {
        // x = 1, 2, 3, 6 (mean 3), y = 2, 1, 0, 1 (mean 1).
        let r = Returns::new(4, 2, vec![1.0, 2.0, 2.0, 1.0, 3.0, 0.0, 6.0, 1.0]).unwrap();
        let c = r.covariance().unwrap();
        // var x = (4 + 1 + 0 + 9) / 3, var y = (1 + 0 + 1 + 0) / 3,
        // cov = ((-2)(1) + (-1)(0) + (0)(-1) + (3)(0)) / 3.
        assert_eq!(c.get(0, 0), Some(14.0 / 3.0));
        assert_eq!(c.get(1, 1), Some(2.0 / 3.0));
        assert_eq!(c.get(0, 1), Some(-2.0 / 3.0));
        assert_eq!(c.get(1, 0), Some(-2.0 / 3.0));
        assert_eq!(c.get(2, 0), None);
    }

    #[test]
    fn cholesky_reproduces_a_definite_matrix() {
        let k = 3;
        let a = vec![4.0, 2.0, -2.0, 2.0, 10.0, 1.0, -2.0, 1.0, 6.0];
        let c = Covariance::new(k, a.clone()).unwrap();
        let l = c.cholesky();
        for (got, want) in product(&l, k).iter().zip(&a) {
            assert!((got - want).abs() < 1e-12);
        }
        assert_eq!(l[1], 0.0); // upper triangle stays zero
    }

    #[test]
    fn cholesky_tolerates_singular_matrices() {
        // Asset 1 = 2 x asset 0, asset 2 is constant, asset 3 independent.
        let k = 4;
        let a = vec![
            1.0, 2.0, 0.0, 0.5, //
            2.0, 4.0, 0.0, 1.0, //
            0.0, 0.0, 0.0, 0.0, //
            0.5, 1.0, 0.0, 3.0,
        ];
        let c = Covariance::new(k, a.clone()).unwrap();
        let l = c.cholesky();
        assert!(l.iter().all(|v| v.is_finite()));
        for (got, want) in product(&l, k).iter().zip(&a) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn invalid_matrices_are_rejected() {
        assert_eq!(
            Returns::new(3, 2, vec![0.0; 5]),
            Err(RiskError::Shape {
                rows: 3,
                columns: 2,
                len: 5
            })
        );
        assert_eq!(
            Returns::new(1, 2, vec![0.0; 2]),
            Err(RiskError::TooFewObservations(1))
        );
        assert_eq!(
            Returns::new(2, 1, vec![0.0, f64::INFINITY]),
            Err(RiskError::NonFinite {
                input: Input::Returns,
                index: 1
            })
        );
        assert_eq!(
            Covariance::new(2, vec![1.0, 0.5, 0.4, 1.0]),
            Err(RiskError::NotCovariance { row: 1, column: 0 })
        );
        assert_eq!(
            Covariance::new(1, vec![-1.0]),
            Err(RiskError::NotCovariance { row: 0, column: 0 })
        );
        assert!(matches!(
            Covariance::new(2, vec![1.0; 3]),
            Err(RiskError::Shape { .. })
        ));
        assert!(Returns::new(usize::MAX, 2, vec![]).is_err());
    }

    #[test]
    fn rows_of_an_empty_portfolio() {
        let r = Returns::new(3, 0, vec![]).unwrap();
        assert_eq!(r.rows().count(), 3);
        assert_eq!(r.row(3), None);
        assert_eq!(r.row(0), Some(&[][..]));
        assert_eq!(r.covariance().unwrap().assets(), 0);
        let huge = Returns::new(2, 1, vec![1e200, -1e200]).unwrap();
        assert_eq!(huge.covariance(), Err(RiskError::Overflow));
    }
}
