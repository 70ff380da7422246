/// Exponential moving average with `alpha = 2 / (period + 1)`.
///
/// Seeded with the simple mean of the first `period` values (the TA-Lib convention), so the
/// first value appears on the `period`-th input, like an SMA of the same period; after that
/// `ema = ema + alpha * (value - ema)`.
#[derive(Clone, Debug)]
pub struct Ema {
    period: usize,
    alpha: f64,
    seen: usize,
    seed_sum: f64,
    value: f64,
}

impl Ema {
    /// # Panics
    /// If `period` is zero.
    pub fn new(period: usize) -> Self {
        assert!(period > 0, "an EMA needs a period of at least one");
        Ema { period, alpha: 2.0 / (period as f64 + 1.0), seen: 0, seed_sum: 0.0, value: f64::NAN }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    #[inline]
    pub fn update(&mut self, value: f64) -> Option<f64> {
        if self.seen < self.period {
            self.seen += 1;
            self.seed_sum += value;
            if self.seen < self.period {
                return None;
            }
            self.value = self.seed_sum / self.period as f64;
        } else {
            self.value += self.alpha * (value - self.value);
        }
        Some(self.value)
    }

    pub fn value(&self) -> Option<f64> {
        (self.seen >= self.period).then_some(self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::tests_support::{naive_mean, walk};

    #[test]
    fn matches_the_recursive_definition_seeded_by_the_mean() {
        let values = walk(500, 3);
        for period in [1, 2, 12, 26, 100] {
            let alpha = 2.0 / (period as f64 + 1.0);
            let mut want = naive_mean(&values[..period]);
            let mut ema = Ema::new(period);
            for (i, &v) in values.iter().enumerate() {
                let got = ema.update(v);
                if i + 1 < period {
                    assert_eq!(got, None);
                    continue;
                }
                if i + 1 > period {
                    want = alpha * v + (1.0 - alpha) * want;
                }
                let got = got.unwrap();
                assert!((got - want).abs() < 1e-9, "{period} {i}: {got} vs {want}");
            }
        }
    }
}
