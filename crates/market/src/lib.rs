//! The simulated venue and market analytics: the seeded fair-price process, synthetic history,
//! one-minute candles and their resampling, and momentum.
//!
//! Architecture invariant: no IO, no async runtime, no clock. Randomness comes from a seeded
//! generator, time from the caller, so a run is reproducible from `--market-seed`.

pub mod candles;
pub mod history;
pub mod momentum;
pub mod process;
pub mod rng;
pub mod venue;
