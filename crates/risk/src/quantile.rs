//! The loss quantile convention shared by the historical and Monte Carlo methods.

use std::cmp::Ordering;

/// The 1-based rank of the loss quantile at `confidence` among `n` losses sorted
/// ascending: ceil(confidence * n), within [1, n].
///
/// A product within a relative 1e-9 of an integer counts as that integer, so that decimal
/// confidences are not pushed up a rank by binary rounding (0.07 * 100 is
/// 7.000000000000001 in `f64`, and its ceiling would be 8, not 7).
pub(crate) fn rank(confidence: f64, n: usize) -> usize {
    let product = confidence * n as f64;
    let nearest = product.round();
    let exact = if (product - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        product.ceil()
    };
    // `as` saturates; the clamp keeps the rank a valid position whatever the rounding.
    (exact as usize).clamp(1, n.max(1))
}

/// Total order on (loss, scenario index): by loss, ties by index. Every selection uses it,
/// so which of several equal losses sets the quantile is defined (the later scenario).
pub(crate) fn by_loss_then_index(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// The mean of `tail` (every element >= `quantile`), computed as `quantile` plus the mean
/// excess so that it is never below `quantile`, even by rounding.
pub(crate) fn tail_mean(quantile: f64, tail: impl Iterator<Item = f64>, count: usize) -> f64 {
    let excess: f64 = tail.map(|loss| loss - quantile).sum();
    quantile + excess / count.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks() {
        assert_eq!(rank(0.95, 100), 95);
        assert_eq!(rank(0.07, 100), 7);
        assert_eq!(rank(0.951, 100), 96);
        assert_eq!(rank(0.99, 10), 10);
        assert_eq!(rank(0.9, 10), 9);
        assert_eq!(rank(0.91, 10), 10);
        assert_eq!(rank(0.01, 10), 1);
        assert_eq!(rank(1e-300, 10), 1);
        assert_eq!(rank(0.99, 1_000_000), 990_000);
        assert_eq!(rank(0.5, 1), 1);
    }

    #[test]
    fn tail_mean_is_never_below_the_quantile() {
        let q = 0.1 + 0.2;
        assert!(tail_mean(q, std::iter::repeat_n(q, 7), 7) >= q);
        assert_eq!(tail_mean(1.0, [1.0, 2.0, 3.0].into_iter(), 3), 2.0);
    }
}
