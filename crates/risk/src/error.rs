//! The one error type of the crate.

use thiserror::Error;

/// Why a risk figure cannot be computed. Every invalid input is one of these; the crate
/// never panics on input.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RiskError {
    /// The confidence level is not strictly between 0 and 1 (or is NaN).
    #[error("confidence level must be strictly between 0 and 1, got {0}")]
    Confidence(f64),
    /// The horizon is shorter than one day.
    #[error("horizon must be at least 1 day, got {0}")]
    Horizon(u32),
    /// The number of position values differs from the number of assets in the returns or
    /// covariance.
    #[error("{values} position values for {assets} assets")]
    DimensionMismatch {
        /// Position values given.
        values: usize,
        /// Assets in the returns or covariance matrix.
        assets: usize,
    },
    /// A flat matrix does not have the length its dimensions say.
    #[error("{len} numbers do not make a {rows} x {columns} matrix")]
    Shape {
        /// Rows announced.
        rows: usize,
        /// Columns announced.
        columns: usize,
        /// Numbers given.
        len: usize,
    },
    /// Fewer than two return observations: no sample covariance, no meaningful quantile.
    #[error("at least 2 return observations are needed, got {0}")]
    TooFewObservations(usize),
    /// An input number is NaN or infinite.
    #[error("{input} at index {index} is not finite")]
    NonFinite {
        /// Which input.
        input: Input,
        /// Its position in that input (row-major for matrices).
        index: usize,
    },
    /// A covariance matrix that is not symmetric, or has a negative variance.
    #[error("not a covariance matrix: entry ({row}, {column})")]
    NotCovariance {
        /// Row of the offending entry.
        row: usize,
        /// Column of the offending entry.
        column: usize,
    },
    /// Monte Carlo with 0 paths or more than [`MAX_PATHS`](crate::MAX_PATHS).
    #[error("Monte Carlo needs 1 to {max} paths, got {0}", max = crate::MAX_PATHS)]
    Paths(usize),
    /// More than [`MAX_ASSETS`](crate::MAX_ASSETS) assets: the covariance matrix would not
    /// fit in memory reasonably.
    #[error("at most {max} assets, got {0}", max = crate::MAX_ASSETS)]
    TooManyAssets(usize),
    /// The inputs are finite but so large that a result overflowed `f64`.
    #[error("the result is too large for f64")]
    Overflow,
}

/// Names an input in [`RiskError::NonFinite`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The position values.
    Values,
    /// The returns matrix.
    Returns,
    /// The covariance matrix.
    Covariance,
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Input::Values => "position value",
            Input::Returns => "return",
            Input::Covariance => "covariance",
        })
    }
}
