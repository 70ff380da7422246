//! Throttling of failed logins: after [`MAX_FAILURES`] failures for one email within
//! [`WINDOW_SECS`], further attempts are refused until the oldest failure leaves the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use aetherion_model::UnixMicros;

pub const MAX_FAILURES: usize = 5;
pub const WINDOW_SECS: i64 = 15 * 60;
/// Bound on the number of emails tracked, so that a flood of made-up emails cannot grow memory
/// without limit. When full, entries with no failure inside the window are dropped first.
const MAX_TRACKED: usize = 100_000;

/// Failed-login bookkeeping, keyed by normalised email.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<UnixMicros>>>,
}

impl LoginThrottle {
    /// `Err(seconds)` to wait when `email` is locked out at `now`.
    pub fn check(&self, email: &str, now: UnixMicros) -> Result<(), i64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = map.get_mut(email) else { return Ok(()) };
        prune(times, now);
        if times.len() >= MAX_FAILURES {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = oldest.plus_seconds(WINDOW_SECS).0 - now.0;
            return Err((wait + 999_999) / 1_000_000);
        }
        Ok(())
    }

    pub fn record_failure(&self, email: &str, now: UnixMicros) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(email) {
            map.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
            if map.len() >= MAX_TRACKED {
                return;
            }
        }
        let times = map.entry(email.to_owned()).or_default();
        prune(times, now);
        times.push_back(now);
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }

    pub fn record_success(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(email);
    }
}

fn prune(times: &mut VecDeque<UnixMicros>, now: UnixMicros) {
    while times.front().is_some_and(|t| t.plus_seconds(WINDOW_SECS) <= now) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: UnixMicros = UnixMicros(1_000_000_000_000);

    #[test]
    fn locks_after_five_failures_and_unlocks_when_the_window_passes() {
        let throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES as i64 {
            assert_eq!(throttle.check("a@x.io", T0.plus_seconds(i)), Ok(()));
            throttle.record_failure("a@x.io", T0.plus_seconds(i));
        }
        assert_eq!(throttle.check("a@x.io", T0.plus_seconds(10)), Err(WINDOW_SECS - 10));
        assert_eq!(throttle.check("b@x.io", T0.plus_seconds(10)), Ok(()), "other emails unaffected");
        assert_eq!(throttle.check("a@x.io", T0.plus_seconds(WINDOW_SECS)), Ok(()));
    }

    #[test]
    fn success_clears_the_count() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES - 1 {
            throttle.record_failure("a@x.io", T0);
        }
        throttle.record_success("a@x.io");
        throttle.record_failure("a@x.io", T0);
        assert_eq!(throttle.check("a@x.io", T0), Ok(()));
    }
}
