/// Rolling mean and population standard deviation (divisor `n`, as TA-Lib's Bollinger bands)
/// over the last `period` values, O(1) amortised per value.
///
/// Running sums are kept of the values minus a shift, and recomputed exactly from the window,
/// with the shift moved to the window's mean, each time the window has been replaced: errors
/// cannot pile up over a long series, and `E[d²] - E[d]²` stays free of cancellation.
#[derive(Clone, Debug)]
pub struct RollingStdev {
    window: Box<[f64]>,
    next: usize,
    filled: usize,
    shift: f64,
    sum: f64,
    sum_sq: f64,
}

impl RollingStdev {
    /// # Panics
    /// If `period` is zero.
    pub fn new(period: usize) -> Self {
        assert!(period > 0, "a rolling deviation needs a period of at least one");
        RollingStdev {
            window: vec![0.0; period].into_boxed_slice(),
            next: 0,
            filled: 0,
            shift: f64::NAN,
            sum: 0.0,
            sum_sq: 0.0,
        }
    }

    pub fn period(&self) -> usize {
        self.window.len()
    }

    /// Adds a value; once the window is full returns `(mean, standard deviation)`.
    #[inline]
    pub fn update(&mut self, value: f64) -> Option<(f64, f64)> {
        let period = self.window.len();
        if self.shift.is_nan() {
            self.shift = value;
        }
        if self.filled == period {
            let old = self.window[self.next] - self.shift;
            self.sum -= old;
            self.sum_sq -= old * old;
        } else {
            self.filled += 1;
        }
        self.window[self.next] = value;
        let d = value - self.shift;
        self.sum += d;
        self.sum_sq += d * d;
        self.next += 1;
        if self.next == period {
            self.next = 0;
            if self.filled == period {
                self.recompute();
            }
        }
        if self.filled < period {
            return None;
        }
        let n = period as f64;
        let mean = self.sum / n;
        let var = (self.sum_sq / n - mean * mean).max(0.0);
        Some((mean + self.shift, var.sqrt()))
    }

    fn recompute(&mut self) {
        let n = self.window.len() as f64;
        self.shift = self.window.iter().sum::<f64>() / n;
        let shift = self.shift;
        self.sum = self.window.iter().map(|x| x - shift).sum();
        self.sum_sq = self.window.iter().map(|x| (x - shift) * (x - shift)).sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::tests_support::{naive_mean, walk};

    #[test]
    fn matches_the_naive_population_deviation() {
        let values = walk(1_000, 5);
        for period in [1, 2, 20, 99] {
            let mut sd = RollingStdev::new(period);
            for (i, &v) in values.iter().enumerate() {
                let got = sd.update(v);
                if i + 1 < period {
                    assert_eq!(got, None);
                    continue;
                }
                let w = &values[i + 1 - period..=i];
                let m = naive_mean(w);
                let s = (w.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / period as f64).sqrt();
                let (gm, gs) = got.unwrap();
                assert!((gm - m).abs() < 1e-9 && (gs - s).abs() < 1e-7, "{period} {i}: {gs} {s}");
            }
        }
    }
}
