/// Simple moving average over the last `period` values, O(1) per value: a ring buffer and a
/// running sum.
///
/// The running sum is the one of pandas' `Series.rolling(n).mean()` (pandas 1.3 to 3.x,
/// `roll_mean`): Kahan-compensated, with separate compensations for values entering and
/// leaving the window; a window of identical values yields that value exactly; a window
/// without negative values never yields a negative mean. The result is bit-for-bit the value
/// pandas computes, so crossovers decided on nearly equal averages go the same way as in
/// backtesting.py, whose examples compute their SMA with pandas.
#[derive(Clone, Debug)]
pub struct Sma {
    window: Box<[f64]>,
    next: usize,
    filled: usize,
    nobs: usize,
    negatives: usize,
    sum: f64,
    comp_add: f64,
    comp_remove: f64,
    same_run: usize,
    last: f64,
}

impl Sma {
    /// # Panics
    /// If `period` is zero.
    pub fn new(period: usize) -> Self {
        assert!(period > 0, "an SMA needs a period of at least one");
        Sma {
            window: vec![f64::NAN; period].into_boxed_slice(),
            next: 0,
            filled: 0,
            nobs: 0,
            negatives: 0,
            sum: 0.0,
            comp_add: 0.0,
            comp_remove: 0.0,
            same_run: 0,
            last: f64::NAN,
        }
    }

    pub fn period(&self) -> usize {
        self.window.len()
    }

    /// Adds `value` (NaN counts as missing, as in pandas) and returns the mean once the window
    /// holds `period` values.
    #[inline]
    pub fn update(&mut self, value: f64) -> Option<f64> {
        let period = self.window.len();
        if self.filled == period {
            let leaving = self.window[self.next];
            self.remove(leaving);
        } else {
            self.filled += 1;
        }
        self.window[self.next] = value;
        self.next += 1;
        if self.next == period {
            self.next = 0;
        }
        self.add(value);
        self.value()
    }

    /// The current mean, if the window is full of values.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        if self.nobs < self.window.len() {
            return None;
        }
        let mut mean = self.sum / self.nobs as f64;
        if self.same_run >= self.nobs {
            mean = self.last;
        } else if (self.negatives == 0 && mean < 0.0) || (self.negatives == self.nobs && mean > 0.0)
        {
            // All values of one sign cannot average to the other.
            mean = 0.0;
        }
        Some(mean)
    }

    #[inline]
    fn add(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        self.nobs += 1;
        let y = value - self.comp_add;
        let t = self.sum + y;
        self.comp_add = t - self.sum - y;
        self.sum = t;
        if value.is_sign_negative() {
            self.negatives += 1;
        }
        if value == self.last {
            self.same_run += 1;
        } else {
            self.same_run = 1;
        }
        self.last = value;
    }

    #[inline]
    fn remove(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        self.nobs -= 1;
        let y = -value - self.comp_remove;
        let t = self.sum + y;
        self.comp_remove = t - self.sum - y;
        self.sum = t;
        if value.is_sign_negative() {
            self.negatives -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::tests_support::{naive_mean, walk};

    #[test]
    fn matches_the_naive_mean_of_each_window() {
        let values = walk(2_000, 7);
        for period in [1, 2, 3, 10, 30, 257] {
            let mut sma = Sma::new(period);
            for (i, &v) in values.iter().enumerate() {
                let got = sma.update(v);
                if i + 1 < period {
                    assert_eq!(got, None);
                } else {
                    let want = naive_mean(&values[i + 1 - period..=i]);
                    let got = got.unwrap();
                    assert!((got - want).abs() <= 1e-12 * want.abs(), "{period} {i} {got} {want}");
                }
            }
        }
    }

    #[test]
    fn a_window_of_equal_values_gives_exactly_that_value() {
        let mut sma = Sma::new(3);
        for v in [0.1, 0.7, 0.3, 0.3, 0.3] {
            sma.update(v);
        }
        assert_eq!(sma.value(), Some(0.3));
    }

    #[test]
    fn missing_values_keep_the_mean_undefined_until_they_leave_the_window() {
        let mut sma = Sma::new(2);
        assert_eq!(sma.update(1.0), None);
        assert_eq!(sma.update(f64::NAN), None);
        assert_eq!(sma.update(3.0), None);
        assert_eq!(sma.update(5.0), Some(4.0));
    }
}
