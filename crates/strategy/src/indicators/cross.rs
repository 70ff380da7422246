/// Detects one series crossing another, with backtesting.py's `crossover` rule: `a` crosses
/// above `b` on this value when `a < b` on the previous value and `a > b` now (both strict, so
/// touching is not crossing). A missing value on either step is no cross.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cross {
    previous: Option<(f64, f64)>,
}

/// Which way the first series crossed the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crossing {
    Above,
    Below,
}

impl Cross {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the current values of both series (or `None` while one is warming up).
    #[inline]
    pub fn update(&mut self, now: Option<(f64, f64)>) -> Option<Crossing> {
        let before = std::mem::replace(&mut self.previous, now);
        let ((a0, b0), (a1, b1)) = (before?, now?);
        if a0 < b0 && a1 > b1 {
            Some(Crossing::Above)
        } else if b0 < a0 && b1 > a1 {
            Some(Crossing::Below)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosses_need_a_strict_change_of_sides() {
        let mut c = Cross::new();
        assert_eq!(c.update(Some((1.0, 2.0))), None);
        assert_eq!(c.update(Some((3.0, 2.0))), Some(Crossing::Above));
        assert_eq!(c.update(Some((2.0, 2.0))), None);
        assert_eq!(c.update(Some((1.0, 2.0))), None, "from equal is no cross");
        assert_eq!(c.update(Some((3.0, 2.0))), Some(Crossing::Above));
        assert_eq!(c.update(Some((1.0, 2.0))), Some(Crossing::Below));
        assert_eq!(c.update(None), None);
        assert_eq!(c.update(Some((3.0, 2.0))), None);
    }
}
