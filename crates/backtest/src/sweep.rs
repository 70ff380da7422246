//! Many runs over the same bars on several threads: parameter optimisation.

use std::sync::atomic::{AtomicUsize, Ordering};

use aetherion_strategy::{Bar, Strategy};

use crate::config::Config;
use crate::engine::{BacktestError, Engine, Hooks, validate_bars};
use crate::result::Metrics;

/// Forwards cancellation only: a single run's progress is not the sweep's.
struct CancelOnly<'a>(&'a dyn Hooks);

impl Hooks for CancelOnly<'_> {
    fn is_canceled(&self) -> bool {
        self.0.is_canceled()
    }
}

/// Runs `jobs` backtests over the same `bars` on `threads` threads (at least one) and returns
/// their metrics in job order, whatever thread ran which: the output does not depend on the
/// scheduling. `make(j)` builds job `j`'s strategy (validate its parameters beforehand).
///
/// Progress is the fraction of jobs finished; once `hooks` says canceled, no new job starts,
/// running ones stop at their next check, and the sweep returns [`BacktestError::Canceled`].
pub fn sweep<F>(
    bars: &[Bar],
    jobs: usize,
    make: F,
    config: &Config,
    threads: usize,
    hooks: &dyn Hooks,
) -> Result<Vec<Metrics>, BacktestError>
where
    F: Fn(usize) -> Box<dyn Strategy> + Sync,
{
    config.validate()?;
    validate_bars(bars)?;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let worker = || {
        let mut engine = Engine::new();
        let mut out = Vec::new();
        loop {
            let j = next.fetch_add(1, Ordering::Relaxed);
            if j >= jobs || hooks.is_canceled() {
                break;
            }
            let mut strategy = make(j);
            let result = engine.run_valid(bars, strategy.as_mut(), config, &CancelOnly(hooks));
            let failed = result.is_err();
            out.push((j, result));
            if failed {
                break;
            }
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            hooks.progress(finished as f64 / jobs as f64);
        }
        out
    };
    let mut results: Vec<(usize, Result<Metrics, BacktestError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads.max(1)).map(|_| s.spawn(worker)).collect();
        let mut all = worker();
        for h in handles {
            all.extend(h.join().expect("a backtest thread panicked"));
        }
        all
    });
    if hooks.is_canceled() {
        return Err(BacktestError::Canceled);
    }
    results.sort_by_key(|(j, _)| *j);
    results.into_iter().map(|(_, r)| r).collect()
}
