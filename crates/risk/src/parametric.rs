//! The variance-covariance (delta-normal) method.

use crate::{Covariance, Report, normal};

/// Zero-mean normal P&L with variance x' Sigma x: VaR = z sigma, ES = sigma phi(z)/(1 - c),
/// Euler (component) contributions z x_i (Sigma x)_i / sigma; all times `scale`.
pub(crate) fn parametric(
    values: &[f64],
    covariance: &Covariance,
    confidence: f64,
    scale: f64,
) -> Report {
    let z = normal::inverse_cdf(confidence);
    let sigma_x = covariance.times(values);
    // x' Sigma x as the sum of the terms x_i (Sigma x)_i, so that the contributions below
    // add up to VaR; max(0): rounding can make a semi-definite form slightly negative.
    let variance = values
        .iter()
        .zip(&sigma_x)
        .map(|(x, s)| x * s)
        .sum::<f64>()
        .max(0.0);
    let sigma = variance.sqrt();
    let scaled = sigma * scale;
    let contributions = if sigma > 0.0 {
        values
            .iter()
            .zip(&sigma_x)
            .map(|(x, s)| z * scale * x * s / sigma)
            .collect()
    } else {
        vec![0.0; values.len()]
    };
    Report {
        var: z * scaled,
        // phi(z)/(1 - c) > z for every c (the Mills ratio bound), so ES >= VaR.
        es: normal::pdf(z) / (1.0 - confidence) * scaled,
        contributions,
    }
}
