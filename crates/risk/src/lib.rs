//! Value at risk and expected shortfall (historical, parametric, Monte Carlo) as pure
//! functions of positions and return series.
//!
//! Architecture invariant: no IO, no async runtime, no clock; randomness is seeded by the
//! caller. The calculations arrive with the risk issue.
