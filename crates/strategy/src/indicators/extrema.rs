use std::collections::VecDeque;

/// Rolling maximum of the last `period` values: a monotonic deque, O(1) amortised per value.
#[derive(Clone, Debug)]
pub struct RollingMax {
    inner: Extremum<true>,
}

/// Rolling minimum of the last `period` values: a monotonic deque, O(1) amortised per value.
#[derive(Clone, Debug)]
pub struct RollingMin {
    inner: Extremum<false>,
}

impl RollingMax {
    /// # Panics
    /// If `period` is zero.
    pub fn new(period: usize) -> Self {
        RollingMax { inner: Extremum::new(period) }
    }

    #[inline]
    pub fn update(&mut self, value: f64) -> Option<f64> {
        self.inner.update(value)
    }

    pub fn value(&self) -> Option<f64> {
        self.inner.value()
    }
}

impl RollingMin {
    /// # Panics
    /// If `period` is zero.
    pub fn new(period: usize) -> Self {
        RollingMin { inner: Extremum::new(period) }
    }

    #[inline]
    pub fn update(&mut self, value: f64) -> Option<f64> {
        self.inner.update(value)
    }

    pub fn value(&self) -> Option<f64> {
        self.inner.value()
    }
}

#[derive(Clone, Debug)]
struct Extremum<const MAX: bool> {
    period: usize,
    seen: usize,
    /// (index, value), values strictly decreasing (for a max) from front to back.
    deque: VecDeque<(usize, f64)>,
}

impl<const MAX: bool> Extremum<MAX> {
    fn new(period: usize) -> Self {
        assert!(period > 0, "a rolling extremum needs a period of at least one");
        Extremum { period, seen: 0, deque: VecDeque::with_capacity(period + 1) }
    }

    #[inline]
    fn update(&mut self, value: f64) -> Option<f64> {
        let i = self.seen;
        self.seen += 1;
        while let Some(&(_, back)) = self.deque.back() {
            let dominated = if MAX { back <= value } else { back >= value };
            if !dominated {
                break;
            }
            self.deque.pop_back();
        }
        self.deque.push_back((i, value));
        while let Some(&(j, _)) = self.deque.front() {
            if j + self.period > i {
                break;
            }
            self.deque.pop_front();
        }
        self.value()
    }

    fn value(&self) -> Option<f64> {
        if self.seen < self.period {
            return None;
        }
        self.deque.front().map(|&(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::tests_support::walk;

    #[test]
    fn match_the_naive_window_extremes() {
        let mut values = walk(1_000, 9);
        values[500] = values[499]; // ties
        for period in [1, 2, 3, 20, 101] {
            let (mut hi, mut lo) = (RollingMax::new(period), RollingMin::new(period));
            for (i, &v) in values.iter().enumerate() {
                let (h, l) = (hi.update(v), lo.update(v));
                if i + 1 < period {
                    assert_eq!((h, l), (None, None));
                    continue;
                }
                let w = &values[i + 1 - period..=i];
                let want_h = w.iter().copied().fold(f64::MIN, f64::max);
                let want_l = w.iter().copied().fold(f64::MAX, f64::min);
                assert_eq!((h, l), (Some(want_h), Some(want_l)), "{period} {i}");
            }
        }
    }
}
