/// Relative strength index with Wilder's smoothing (the TA-Lib and Wilder 1978 definition).
///
/// The first value needs `period + 1` inputs: the average gain and loss of the first `period`
/// changes are simple means; after that `avg = (avg * (period - 1) + change) / period`.
/// `RSI = 100 - 100 / (1 + avg_gain / avg_loss)`; 100 when there were no losses, 50 when the
/// price did not move at all.
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    previous: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
}

impl Rsi {
    /// # Panics
    /// If `period` is zero.
    pub fn new(period: usize) -> Self {
        assert!(period > 0, "an RSI needs a period of at least one");
        Rsi { period, previous: None, changes: 0, avg_gain: 0.0, avg_loss: 0.0 }
    }

    pub fn period(&self) -> usize {
        self.period
    }

    #[inline]
    pub fn update(&mut self, value: f64) -> Option<f64> {
        let previous = self.previous.replace(value)?;
        let change = value - previous;
        let (gain, loss) = if change > 0.0 { (change, 0.0) } else { (0.0, -change) };
        let n = self.period as f64;
        if self.changes < self.period {
            self.changes += 1;
            self.avg_gain += gain;
            self.avg_loss += loss;
            if self.changes < self.period {
                return None;
            }
            self.avg_gain /= n;
            self.avg_loss /= n;
        } else {
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
        }
        Some(self.value_now())
    }

    fn value_now(&self) -> f64 {
        if self.avg_loss == 0.0 {
            if self.avg_gain == 0.0 { 50.0 } else { 100.0 }
        } else {
            100.0 - 100.0 / (1.0 + self.avg_gain / self.avg_loss)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::tests_support::walk;

    fn naive(values: &[f64], period: usize) -> Vec<Option<f64>> {
        let mut out = vec![None; values.len()];
        if values.len() <= period {
            return out;
        }
        let d: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
        let mut g = d[..period].iter().map(|x| x.max(0.0)).sum::<f64>() / period as f64;
        let mut l = d[..period].iter().map(|x| (-x).max(0.0)).sum::<f64>() / period as f64;
        let rsi = |g: f64, l: f64| if l == 0.0 { 100.0 } else { 100.0 - 100.0 / (1.0 + g / l) };
        out[period] = Some(rsi(g, l));
        for i in period + 1..values.len() {
            let x = d[i - 1];
            g = (g * (period as f64 - 1.0) + x.max(0.0)) / period as f64;
            l = (l * (period as f64 - 1.0) + (-x).max(0.0)) / period as f64;
            out[i] = Some(rsi(g, l));
        }
        out
    }

    #[test]
    fn matches_wilders_definition() {
        let values = walk(400, 11);
        for period in [1, 2, 14, 50] {
            let want = naive(&values, period);
            let mut rsi = Rsi::new(period);
            for (i, &v) in values.iter().enumerate() {
                match (rsi.update(v), want[i]) {
                    (None, None) => {}
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{period} {i} {a} {b}"),
                    other => panic!("{period} {i}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn extremes() {
        let mut up = Rsi::new(3);
        let mut flat = Rsi::new(3);
        let mut last = (None, None);
        for i in 0..5 {
            last = (up.update(i as f64), flat.update(1.0));
        }
        assert_eq!(last, (Some(100.0), Some(50.0)));
        let mut down = Rsi::new(3);
        let values: Vec<Option<f64>> = (0..5).map(|i| down.update(-(i as f64))).collect();
        assert_eq!(values[4], Some(0.0));
    }
}
