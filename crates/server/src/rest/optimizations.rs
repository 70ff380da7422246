//! Parameter optimisation: a grid (or a seeded random sample of it) of a strategy's parameters,
//! run in parallel on every core, ranked by a chosen metric.

use std::collections::BTreeMap;
use std::sync::Arc;

use aetherion_backtest::{Config, Finalize, Metrics};
use aetherion_store::BacktestRecord;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::clock::now;
use crate::error::ServiceError;
use crate::rest::auth::Authenticated;
use crate::rest::backtests::{BacktestRequest, delete_run, finish, initial_cash, invalid, load_bars, progress_of, track};
use crate::rest::error::{ApiError, ErrorBody};
use crate::rest::iso;
use crate::state::AppState;

const KIND: &str = "optimization";
/// Most parameter combinations one optimisation runs.
pub const MAX_COMBINATIONS: usize = 10_000;
const OBJECTIVES: [&str; 10] = [
    "sharpe_ratio", "sortino_ratio", "calmar_ratio", "return_pct", "equity_final", "sqn", "profit_factor", "win_rate_pct", "expectancy_pct", "max_drawdown_pct",
];

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OptimizationRequest {
    pub strategy: String,
    /// Values to try per parameter; every combination is a run. Parameters not named take their
    /// default.
    pub parameter_grid: BTreeMap<String, Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_cash: Option<String>,
    #[serde(default)]
    pub commission: f64,
    /// The metric to rank by (default `sharpe_ratio`; higher is better, except
    /// `max_drawdown_pct`, where closer to zero is better).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<String>,
    /// Run only this many combinations, drawn at random (seeded by `seed`) from the grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_samples: Option<usize>,
    #[serde(default)]
    pub seed: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptimizationRun {
    pub id: String,
    pub status: String,
    pub progress: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub request: OptimizationRequest,
    /// `[{parameters, metrics}]`, best first, once completed.
    #[schema(value_type = Option<Vec<Object>>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Value>,
    pub created_at: String,
}

fn objective_of(m: &Metrics, name: &str) -> Option<f64> {
    match name {
        "sharpe_ratio" => m.sharpe_ratio,
        "sortino_ratio" => m.sortino_ratio,
        "calmar_ratio" => m.calmar_ratio,
        "return_pct" => Some(m.return_pct),
        "equity_final" => Some(m.equity_final),
        "sqn" => m.sqn,
        "profit_factor" => m.profit_factor,
        "win_rate_pct" => m.win_rate_pct,
        "expectancy_pct" => m.expectancy_pct,
        "max_drawdown_pct" => Some(m.max_drawdown_pct),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// Combination `index` of the grid, in a fixed order (parameter names sorted, values as
/// given; the last name varies fastest).
fn combination(grid: &BTreeMap<String, Vec<f64>>, mut index: u64) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for (name, values) in grid.iter().rev() {
        let n = values.len() as u64;
        out.insert(name.clone(), values[(index % n) as usize]);
        index /= n;
    }
    out
}

/// The indices of the combinations to run: all of them, or `samples` distinct ones drawn
/// with a seeded generator. Nothing is built for the rest of the grid, however large.
fn chosen(total: Option<u64>, samples: Option<usize>, seed: u64) -> Result<Vec<u64>, ApiError> {
    let too_many = || invalid("parameter_grid", format!("{} combinations; at most {MAX_COMBINATIONS} (or use random_samples)", total.map_or("too many".to_owned(), |t| t.to_string())));
    let total = total.ok_or_else(too_many)?;
    let Some(n) = samples else {
        if total > MAX_COMBINATIONS as u64 {
            return Err(too_many());
        }
        return Ok((0..total).collect());
    };
    if n == 0 {
        return Err(invalid("random_samples", "must be at least 1"));
    }
    if n > MAX_COMBINATIONS {
        return Err(invalid("random_samples", format!("at most {MAX_COMBINATIONS}")));
    }
    if n as u64 >= total {
        return Ok((0..total).collect());
    }
    let mut rng = aetherion_market::rng::Rng::new(seed);
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut picked = Vec::with_capacity(n);
    while picked.len() < n {
        let i = rng.below(total);
        if seen.insert(i) {
            picked.push(i);
        }
    }
    Ok(picked)
}

fn run_of(record: &BacktestRecord, progress: f64) -> Result<OptimizationRun, ApiError> {
    let request = serde_json::from_str(&record.request).map_err(ServiceError::internal)?;
    let results = record.result.as_deref().map(serde_json::from_str).transpose().map_err(ServiceError::internal)?;
    let progress = if record.status == "completed" { 1.0 } else { progress };
    Ok(OptimizationRun { id: record.backtest_id.clone(), status: record.status.clone(), progress, error: record.error.clone(), request, results, created_at: iso(record.created_at) })
}

/// Start an optimisation (answers `202`; poll `GET /api/v1/optimizations/{id}`).
#[utoipa::path(
    post,
    path = "/api/v1/optimizations",
    request_body = OptimizationRequest,
    responses((status = 202, body = OptimizationRun), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])),
    tag = "optimizations"
)]
pub async fn create(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Json(req): Json<OptimizationRequest>) -> Result<(StatusCode, Json<OptimizationRun>), ApiError> {
    let info = aetherion_strategy::find(&req.strategy).ok_or_else(|| invalid("strategy", format!("{:?} is not a strategy (see GET /api/v1/strategies)", req.strategy)))?;
    let objective = req.objective.clone().unwrap_or_else(|| "sharpe_ratio".into());
    if !OBJECTIVES.contains(&objective.as_str()) {
        return Err(invalid("objective", format!("{objective:?}: use one of {}", OBJECTIVES.join(", "))));
    }
    if req.parameter_grid.is_empty() || req.parameter_grid.values().any(Vec::is_empty) {
        return Err(invalid("parameter_grid", "give at least one value for each parameter named"));
    }
    let total = req.parameter_grid.values().try_fold(1u64, |n, v| n.checked_mul(v.len() as u64));
    let combos: Vec<BTreeMap<String, f64>> = chosen(total, req.random_samples, req.seed)?.into_iter().map(|i| combination(&req.parameter_grid, i)).collect();
    // Each combination to run must be valid; an invalid one names its parameter.
    for combo in &combos {
        info.validate(combo).map_err(|e| {
            let name = e.name().to_owned();
            ApiError::unprocessable(format!("parameter_grid.{name}: {e} (in {combo:?})"), Some(format!("parameter_grid.{name}")), None)
        })?;
    }
    let cash = initial_cash(req.initial_cash.as_deref())?;
    if !req.commission.is_finite() || !(0.0..0.5).contains(&req.commission) {
        return Err(invalid("commission", "must be a fraction in [0, 0.5)"));
    }
    let source = BacktestRequest {
        strategy: req.strategy.clone(),
        parameters: BTreeMap::new(),
        dataset_id: req.dataset_id.clone(),
        symbol: req.symbol.clone(),
        interval: req.interval.clone(),
        start: req.start.clone(),
        end: req.end.clone(),
        initial_cash: None,
        commission: 0.0,
        slippage: 0.0,
        finalize: None,
    };
    let bars = load_bars(&state, &caller.user_id, &source).await?;
    if bars.len() < 2 {
        return Err(invalid("dataset_id", format!("the data has {} bars; at least 2 are needed", bars.len())));
    }
    let config = Config { cash, commission: req.commission, slippage: 0.0, lot_size: 1.0, finalize: Finalize::default() };
    let at = now();
    let mut record = BacktestRecord {
        backtest_id: uuid::Uuid::now_v7().to_string(),
        user_id: caller.user_id.clone(),
        kind: KIND.into(),
        status: "running".into(),
        request: serde_json::to_string(&req).map_err(ServiceError::internal)?,
        result: None,
        error: None,
        created_at: at,
        updated_at: at,
    };
    state.store.upsert_backtest(&record).await?;
    let control = track(&state, &record.backtest_id);
    let answer = run_of(&record, 0.0)?;
    let task_state = state.clone();
    tokio::spawn(async move {
        let strategy = req.strategy.clone();
        let hooks = control.clone();
        let jobs = combos.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
            aetherion_backtest::sweep(&bars, jobs.len(), |j| aetherion_strategy::create(&strategy, &jobs[j]).expect("validated above"), &config, threads, hooks.as_ref())
        })
        .await;
        match outcome {
            Ok(Ok(metrics)) => {
                let maximize = objective != "max_drawdown_pct";
                let mut ranked: Vec<(Option<f64>, usize)> = metrics.iter().enumerate().map(|(i, m)| (objective_of(m, &objective), i)).collect();
                // Best first; runs without a value for the objective last; ties in grid order.
                ranked.sort_by(|a, b| match (a.0, b.0) {
                    (Some(x), Some(y)) => (if maximize { y.total_cmp(&x) } else { x.abs().total_cmp(&y.abs()) }).then(a.1.cmp(&b.1)),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.1.cmp(&b.1),
                });
                let results: Vec<Value> = ranked
                    .iter()
                    .map(|(_, i)| {
                        let m = &metrics[*i];
                        json!({"parameters": combos[*i], "metrics": {
                            "return_pct": m.return_pct, "equity_final": m.equity_final.to_string(), "sharpe_ratio": m.sharpe_ratio,
                            "sortino_ratio": m.sortino_ratio, "calmar_ratio": m.calmar_ratio, "max_drawdown_pct": m.max_drawdown_pct,
                            "num_trades": m.num_trades, "win_rate_pct": m.win_rate_pct, "profit_factor": m.profit_factor,
                            "expectancy_pct": m.expectancy_pct, "sqn": m.sqn, "commissions": m.commissions.to_string(),
                        }})
                    })
                    .collect();
                record.status = "completed".into();
                record.result = Some(Value::Array(results).to_string());
            }
            Ok(Err(_)) if aetherion_backtest::Hooks::is_canceled(control.as_ref()) => record.status = "canceled".into(),
            Ok(Err(e)) => {
                record.status = "failed".into();
                record.error = Some(e.to_string());
            }
            Err(e) => {
                record.status = "failed".into();
                record.error = Some(format!("the run stopped: {e}"));
            }
        }
        finish(&task_state, &mut record).await;
    });
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// One of your optimisations: progress, and the ranked results once completed.
#[utoipa::path(get, path = "/api/v1/optimizations/{id}", params(("id" = String, Path, description = "Optimisation id")), responses((status = 200, body = OptimizationRun), (status = 404, body = ErrorBody)), security(("bearer" = [])), tag = "optimizations")]
pub async fn get(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<Json<OptimizationRun>, ApiError> {
    let record = state.store.backtest(&caller.user_id, KIND, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(Json(run_of(&record, progress_of(&state, &id))?))
}

/// Delete an optimisation; a running one stops at once.
#[utoipa::path(delete, path = "/api/v1/optimizations/{id}", params(("id" = String, Path, description = "Optimisation id")), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])), tag = "optimizations")]
pub async fn delete(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if !delete_run(&state, &caller.user_id, KIND, &id).await? {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn not_found(id: &str) -> ApiError {
    ServiceError::NotFound(format!("optimization {id:?} does not exist")).into()
}

#[cfg(test)]
mod grid_tests {
    use super::*;

    fn grid(sizes: &[(&str, usize)]) -> BTreeMap<String, Vec<f64>> {
        sizes.iter().map(|(n, k)| (n.to_string(), (0..*k).map(|v| v as f64).collect())).collect()
    }

    #[test]
    fn combinations_are_indexed_with_the_last_name_fastest() {
        let g = grid(&[("fast", 2), ("slow", 3)]);
        let all: Vec<(f64, f64)> = (0..6).map(|i| combination(&g, i)).map(|c| (c["fast"], c["slow"])).collect();
        assert_eq!(all, [(0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (1.0, 0.0), (1.0, 1.0), (1.0, 2.0)]);
    }

    #[test]
    fn a_huge_grid_is_refused_or_sampled_without_building_it() {
        // 100^6 = 10^12 combinations.
        let sizes: Vec<(String, usize)> = (0..6).map(|i| (format!("p{i}"), 100)).collect();
        let total = sizes.iter().try_fold(1u64, |n, (_, k)| n.checked_mul(*k as u64));
        assert!(chosen(total, None, 1).is_err());
        let picked = chosen(total, Some(500), 7).unwrap();
        let distinct: std::collections::HashSet<_> = picked.iter().collect();
        assert_eq!((picked.len(), distinct.len()), (500, 500));
        assert_eq!(picked, chosen(total, Some(500), 7).unwrap(), "seeded");
        assert_ne!(picked, chosen(total, Some(500), 8).unwrap());
        assert!(chosen(None, Some(5), 1).is_err(), "a grid past 2^64 is refused");
        assert!(chosen(total, Some(0), 1).is_err());
        assert_eq!(chosen(Some(4), Some(10), 1).unwrap(), [0, 1, 2, 3], "a sample larger than the grid is the grid");
    }
}
