//! Value at risk (VaR) and expected shortfall (ES) of a portfolio of linear positions, by
//! historical simulation, the parametric (variance-covariance) formula or Monte Carlo, with
//! each position's contribution.
//!
//! # Conventions (those of `RiskService.CalculateVaR` in `protos/trading_api.proto`)
//!
//! - A position is its value x_i (quantity times last price). Its P&L in a scenario of simple
//!   returns r is x_i r_i; the portfolio loss is -sum_i x_i r_i. Returns are 1-hour returns
//!   ([`Returns`], aligned across assets by the caller).
//! - Figures are computed for 1 hour and scaled to `horizon_days` by the square root of time:
//!   times sqrt(24 * horizon_days).
//! - The loss quantile at confidence c over n losses sorted ascending is the ceil(c n)-th
//!   (1-based) and ES is the mean of the losses from it upwards (historical and Monte Carlo).
//! - Contributions add up to VaR (up to rounding); a hedge can contribute negatively. Each
//!   method's rustdoc on [`Method`] says how they are defined.
//!
//! A [`Report`] holds VaR, ES and the contributions; the number of observations behind
//! them is [`Returns::observations`].
//!
//! Everything is `f64`: these are statistical estimates; the server turns them into decimal
//! strings at the edge.
//!
//! # Entry points
//!
//! [`value_at_risk`] takes returns and a [`Method`]; [`parametric`] and [`monte_carlo`] also
//! take a [`Covariance`] directly (a model instead of a sample).
//!
//! Architecture invariant: pure. No IO, no async runtime, no clock; randomness comes from
//! the caller's seed, and Monte Carlo results do not depend on the number of threads.

mod error;
mod historical;
mod matrix;
mod monte_carlo;
pub mod normal;
mod parametric;
mod quantile;

pub use error::{Input, RiskError};
pub use matrix::{Covariance, Returns};

/// The most Monte Carlo paths one call accepts (memory is at most about 16 bytes a path).
pub const MAX_PATHS: usize = 10_000_000;
/// The most assets one call accepts (the covariance matrix holds their square).
pub const MAX_ASSETS: usize = 4096;

/// How the loss distribution is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The observed return vectors are the scenarios: VaR is their loss quantile, ES the
    /// mean of the losses from it upwards. Contributions: the positions' losses in the
    /// scenario that sets the quantile (of equal losses, the later observation).
    Historical,
    /// Zero-mean normal P&L with the sample covariance Sigma (denominator n - 1):
    /// sigma = sqrt(x' Sigma x), VaR = z_c sigma, ES = sigma phi(z_c)/(1 - c).
    /// Contributions: the Euler allocation z_c x_i (Sigma x)_i / sigma (all 0 when sigma is 0).
    Parametric,
    /// `paths` draws of zero-mean multivariate normal 1-hour returns with the sample
    /// covariance, through a (semi-definite tolerant) Cholesky factor, scaled to the horizon
    /// like the other methods (the same as drawing with the covariance times 24 * days);
    /// VaR and ES as for historical, over the draws. The normals come from xoshiro256++ and
    /// a ziggurat, in chunks of 4096 paths each seeded from (`seed`, chunk index), so the
    /// result depends on `seed` and never on the number of threads. Contributions: each position's
    /// mean loss over the tail scenarios (those in ES), times VaR / ES so that they add up to
    /// VaR (all 0 when the tail's mean loss is 0). For normal draws the tail mean of a
    /// position's loss is beta_i ES (beta_i = x_i (Sigma x)_i / x' Sigma x), so they
    /// estimate the parametric contributions. Below a confidence of about 0.5, where ES
    /// nears 0, they are noisy.
    MonteCarlo {
        /// Number of simulated scenarios, 1 to [`MAX_PATHS`].
        paths: usize,
        /// Seed of the random generator: equal seeds give equal results.
        seed: u64,
    },
}

/// VaR, ES and contributions, in the currency of the position values, over the horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Value at risk: the loss not exceeded with probability `confidence`. Not floored at 0
    /// (a portfolio can gain at the quantile, e.g. at low confidence).
    pub var: f64,
    /// Expected shortfall: the mean loss from the VaR quantile upwards; never below `var`.
    pub es: f64,
    /// Per position, in input order: its share of `var`; they add up to `var`.
    pub contributions: Vec<f64>,
}

/// VaR and ES of positions worth `values` (one per asset of `returns`, in its column
/// order) at `confidence` over `horizon_days`, by `method`.
///
/// `threads` is the number of threads for Monte Carlo (0: as many as the machine has); it
/// changes the speed, never the result. The other methods run on the calling thread.
///
/// # Errors
/// [`RiskError::Confidence`] unless 0 < `confidence` < 1; [`RiskError::Horizon`] for 0 days;
/// [`RiskError::DimensionMismatch`] unless `values.len() == returns.assets()`;
/// [`RiskError::TooManyAssets`] above [`MAX_ASSETS`]; [`RiskError::NonFinite`] for a NaN or
/// infinite value; [`RiskError::Paths`] for Monte Carlo with 0 paths or more than
/// [`MAX_PATHS`]; [`RiskError::Overflow`] if values are so large that a figure is not
/// finite. (Too few observations are caught by [`Returns::new`].)
pub fn value_at_risk(
    values: &[f64],
    returns: &Returns,
    confidence: f64,
    horizon_days: u32,
    method: &Method,
    threads: usize,
) -> Result<Report, RiskError> {
    let scale = validate(values, returns.assets(), confidence, horizon_days)?;
    let report = match *method {
        Method::Historical => historical::historical(values, returns, confidence, scale),
        Method::Parametric => {
            parametric::parametric(values, &returns.covariance()?, confidence, scale)
        }
        Method::MonteCarlo { paths, seed } => {
            check_paths(paths)?;
            monte_carlo::monte_carlo(
                values,
                &returns.covariance()?,
                confidence,
                scale,
                paths,
                seed,
                threads,
            )
        }
    };
    finite(report)
}

/// The parametric figures for a given 1-hour covariance matrix (see [`Method::Parametric`]).
///
/// # Errors
/// As [`value_at_risk`].
pub fn parametric(
    values: &[f64],
    covariance: &Covariance,
    confidence: f64,
    horizon_days: u32,
) -> Result<Report, RiskError> {
    let scale = validate(values, covariance.assets(), confidence, horizon_days)?;
    finite(parametric::parametric(
        values, covariance, confidence, scale,
    ))
}

/// The Monte Carlo figures for a given 1-hour covariance matrix (see [`Method::MonteCarlo`]
/// and, for `threads`, [`value_at_risk`]).
///
/// # Errors
/// As [`value_at_risk`].
pub fn monte_carlo(
    values: &[f64],
    covariance: &Covariance,
    confidence: f64,
    horizon_days: u32,
    paths: usize,
    seed: u64,
    threads: usize,
) -> Result<Report, RiskError> {
    let scale = validate(values, covariance.assets(), confidence, horizon_days)?;
    check_paths(paths)?;
    finite(monte_carlo::monte_carlo(
        values, covariance, confidence, scale, paths, seed, threads,
    ))
}

/// Checks the arguments common to every method; returns the horizon scaling factor.
fn validate(
    values: &[f64],
    assets: usize,
    confidence: f64,
    horizon_days: u32,
) -> Result<f64, RiskError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RiskError::Confidence(confidence));
    }
    if horizon_days < 1 {
        return Err(RiskError::Horizon(horizon_days));
    }
    if values.len() != assets {
        return Err(RiskError::DimensionMismatch {
            values: values.len(),
            assets,
        });
    }
    if assets > MAX_ASSETS {
        return Err(RiskError::TooManyAssets(assets));
    }
    matrix::check_finite(values, Input::Values)?;
    Ok((24.0 * f64::from(horizon_days)).sqrt())
}

fn check_paths(paths: usize) -> Result<(), RiskError> {
    if (1..=MAX_PATHS).contains(&paths) {
        Ok(())
    } else {
        Err(RiskError::Paths(paths))
    }
}

fn finite(report: Report) -> Result<Report, RiskError> {
    let all = [report.var, report.es]
        .into_iter()
        .chain(report.contributions.iter().copied());
    if all.into_iter().all(f64::is_finite) {
        Ok(report)
    } else {
        Err(RiskError::Overflow)
    }
}
