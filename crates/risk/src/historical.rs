//! Historical simulation: the observed return vectors as scenarios.

use crate::quantile::{by_loss_then_index, rank, tail_mean};
use crate::{Report, Returns};

/// 1-hour scenario losses -x.r_t, the quantile scenario's position losses, scaled by `scale`.
pub(crate) fn historical(values: &[f64], returns: &Returns, confidence: f64, scale: f64) -> Report {
    let n = returns.observations();
    // `+ 0.0` turns -0.0 into 0.0 so that the total order agrees with `==` on zero losses.
    let mut losses: Vec<(f64, usize)> = returns
        .rows()
        .map(|row| -values.iter().zip(row).map(|(x, r)| x * r).sum::<f64>() + 0.0)
        .zip(0..)
        .collect();
    let m = rank(confidence, n);
    // The m-th smallest in place; everything after it is at least as large: the tail.
    let (_, &mut (quantile, scenario), above) =
        losses.select_nth_unstable_by(m - 1, by_loss_then_index);
    let es = tail_mean(quantile, above.iter().map(|&(loss, _)| loss), n - m + 1);
    let row = returns.row(scenario).unwrap_or_default();
    Report {
        var: quantile * scale,
        es: es * scale,
        contributions: values
            .iter()
            .zip(row)
            .map(|(x, r)| -(x * r) * scale)
            .collect(),
    }
}
