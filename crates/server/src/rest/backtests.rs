//! Backtests: a strategy over a data set (or the platform's candles), run in the background
//! with a progress figure, stored with its result.

use std::collections::BTreeMap;
use std::sync::Arc;

use aetherion_backtest::{BacktestResult, Config, Control, Finalize, Metrics};
use aetherion_market::candles::{MINUTE_MICROS, resample};
use aetherion_model::{Amount, Side, UnixMicros};
use aetherion_store::BacktestRecord;
use aetherion_strategy::Bar;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::clock::now;
use crate::error::ServiceError;
use crate::rest::auth::Authenticated;
use crate::rest::error::{ApiError, ErrorBody};
use crate::rest::iso;
use crate::state::AppState;

const KIND: &str = "backtest";

/// Runs over at most this many bars answer at once with the result (201).
const INLINE_BARS: usize = 200_000;
/// Most bars one run may take from the platform's candles.
const MAX_PLATFORM_BARS: i64 = 2_000_000;

/// What to backtest. Give `dataset_id`, or `symbol` with `interval`, `start` and `end` to use the
/// platform's own candles.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BacktestRequest {
    /// A name from `GET /api/v1/strategies`.
    pub strategy: String,
    /// Parameter values by name; missing ones take their default.
    #[serde(default)]
    pub parameters: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// `1m`, `5m`, `15m`, `1h`, `4h` or `1d` (default `1m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// RFC 3339 (with `symbol`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Starting cash, a decimal string (default "10000").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_cash: Option<String>,
    /// Commission as a fraction of every fill's notional (0.002 = 0.2%).
    #[serde(default)]
    pub commission: f64,
    /// Slippage as a fraction against the trader on market fills.
    #[serde(default)]
    pub slippage: f64,
    /// A trade still open after the last bar: `close` (default: closed at the last close and
    /// counted), `backtesting_py` (as backtesting.py's `finalize_trades=True`: closed at the last
    /// bar's open) or `none` (left open and not counted, backtesting.py's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalize: Option<String>,
}

/// The engine's setting for a `finalize` field.
pub fn finalize_of(text: Option<&str>) -> Result<Finalize, ApiError> {
    match text.unwrap_or("close") {
        "close" => Ok(Finalize::AtLastClose),
        "backtesting_py" => Ok(Finalize::BacktestingPy),
        "none" => Ok(Finalize::LeaveOpen),
        other => Err(invalid("finalize", format!("{other:?}: use close, backtesting_py or none"))),
    }
}

/// A backtest run.
#[derive(Debug, Serialize, ToSchema)]
pub struct BacktestRun {
    pub id: String,
    /// `queued`, `running`, `completed`, `failed` or `canceled`.
    pub status: String,
    /// Fraction done, 0 to 1.
    pub progress: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub request: BacktestRequest,
    /// `{metrics, trades, equity_curve}` once completed. Money and prices are decimal strings;
    /// durations are seconds; ratios are numbers (null where undefined).
    #[schema(value_type = Option<Object>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    pub created_at: String,
}

fn run_of(record: &BacktestRecord, progress: f64) -> Result<BacktestRun, ApiError> {
    let request: BacktestRequest = serde_json::from_str(&record.request).map_err(ServiceError::internal)?;
    let result = record.result.as_deref().map(serde_json::from_str).transpose().map_err(ServiceError::internal)?;
    let progress = if record.status == "completed" { 1.0 } else { progress };
    Ok(BacktestRun { id: record.backtest_id.clone(), status: record.status.clone(), progress, error: record.error.clone(), request, result, created_at: iso(record.created_at) })
}

fn parse_time(field: &str, text: Option<&str>) -> Result<UnixMicros, ApiError> {
    let text = text.ok_or_else(|| ApiError::unprocessable(format!("{field}: is required with symbol"), Some(field.to_owned()), None))?;
    aetherion_data::parse_timestamp(text).ok_or_else(|| ApiError::unprocessable(format!("{field}: {text:?} is not an RFC 3339 time"), Some(field.to_owned()), None))
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::unprocessable(format!("{field}: {message}"), Some(field.to_owned()), None)
}

/// The bars the request names.
pub(crate) async fn load_bars(state: &AppState, user_id: &str, req: &BacktestRequest) -> Result<Vec<Bar>, ApiError> {
    match (&req.dataset_id, &req.symbol) {
        (Some(id), None) => {
            let bytes = state.store.dataset_bars(user_id, id).await?.ok_or_else(|| ApiError::from(ServiceError::NotFound(format!("data set {id:?} does not exist"))))?;
            aetherion_data::decode_bars(&bytes).ok_or_else(|| ServiceError::internal(anyhow::anyhow!("stored data set {id} is corrupt")).into())
        }
        (None, Some(symbol)) => {
            state.market.find(symbol)?;
            let minutes: i64 = match req.interval.as_deref().unwrap_or("1m") {
                "1m" => 1,
                "5m" => 5,
                "15m" => 15,
                "1h" => 60,
                "4h" => 240,
                "1d" => 1440,
                other => return Err(invalid("interval", format!("{other:?}: use 1m, 5m, 15m, 1h, 4h or 1d"))),
            };
            let (start, end) = (parse_time("start", req.start.as_deref())?, parse_time("end", req.end.as_deref())?);
            if start >= end {
                return Err(invalid("start", "must be before end"));
            }
            let candles = state.store.candles(symbol, start, end, MAX_PLATFORM_BARS, false).await?;
            let candles = if minutes == 1 { candles } else { resample(&candles, minutes * MINUTE_MICROS) };
            let f = |a: Amount| a.raw() as f64 / Amount::SCALE as f64;
            Ok(candles.iter().map(|c| Bar { time: c.open_time, open: f(c.open), high: f(c.high), low: f(c.low), close: f(c.close), volume: f(c.volume) }).collect())
        }
        _ => Err(invalid("dataset_id", "give dataset_id, or symbol with interval, start and end (not both)")),
    }
}

fn seconds(micros: Option<i64>) -> Value {
    micros.map_or(Value::Null, |m| json!(m as f64 / 1e6))
}

fn money(x: f64) -> String {
    x.to_string()
}

/// The API's JSON form of a result (keys as in the API contract).
pub fn result_json(r: &BacktestResult) -> Value {
    let m: &Metrics = &r.metrics;
    json!({
        "metrics": {
            "start": iso(m.start), "end": iso(m.end), "duration": m.duration as f64 / 1e6,
            "exposure_time_pct": m.exposure_time_pct, "equity_final": money(m.equity_final), "equity_peak": money(m.equity_peak),
            "return_pct": m.return_pct, "buy_hold_return_pct": m.buy_hold_return_pct, "return_ann_pct": m.return_ann_pct,
            "volatility_ann_pct": m.volatility_ann_pct, "cagr_pct": m.cagr_pct, "sharpe_ratio": m.sharpe_ratio,
            "sortino_ratio": m.sortino_ratio, "calmar_ratio": m.calmar_ratio, "max_drawdown_pct": m.max_drawdown_pct,
            "avg_drawdown_pct": m.avg_drawdown_pct, "max_drawdown_duration": seconds(m.max_drawdown_duration),
            "avg_drawdown_duration": seconds(m.avg_drawdown_duration), "num_trades": m.num_trades, "win_rate_pct": m.win_rate_pct,
            "best_trade_pct": m.best_trade_pct, "worst_trade_pct": m.worst_trade_pct, "avg_trade_pct": m.avg_trade_pct,
            "max_trade_duration": seconds(m.max_trade_duration), "avg_trade_duration": seconds(m.avg_trade_duration),
            "profit_factor": m.profit_factor, "expectancy_pct": m.expectancy_pct, "sqn": m.sqn, "commissions": money(m.commissions),
        },
        "trades": r.trades.iter().map(|t| json!({
            "side": if t.side == Side::Buy { "long" } else { "short" }, "size": t.size,
            "entry_time": iso(t.entry_time), "entry_price": money(t.entry_price), "exit_time": iso(t.exit_time),
            "exit_price": money(t.exit_price), "pnl": money(t.pnl), "return_pct": t.return_pct, "commission": money(t.commission),
        })).collect::<Vec<_>>(),
        "equity_curve": r.equity_curve.iter().map(|p| json!({"time": iso(p.time), "equity": money(p.equity)})).collect::<Vec<_>>(),
    })
}

/// Checks a request and prepares the run.
async fn prepare(state: &AppState, user_id: &str, req: &BacktestRequest) -> Result<(Vec<Bar>, Config), ApiError> {
    let info = aetherion_strategy::find(&req.strategy).ok_or_else(|| invalid("strategy", format!("{:?} is not a strategy (see GET /api/v1/strategies)", req.strategy)))?;
    info.validate(&req.parameters).map_err(|e| {
        let name = e.name().to_owned();
        ApiError::unprocessable(format!("parameters.{name}: {e}"), Some(format!("parameters.{name}")), None)
    })?;
    let cash = initial_cash(req.initial_cash.as_deref())?;
    for (field, value) in [("commission", req.commission), ("slippage", req.slippage)] {
        if !value.is_finite() || !(0.0..0.5).contains(&value) {
            return Err(invalid(field, "must be a fraction in [0, 0.5)"));
        }
    }
    let bars = load_bars(state, user_id, req).await?;
    if bars.len() < 2 {
        return Err(invalid("dataset_id", format!("the data has {} bars; a backtest needs at least 2", bars.len())));
    }
    let finalize = finalize_of(req.finalize.as_deref())?;
    let config = Config { cash, commission: req.commission, slippage: req.slippage, lot_size: 1.0, finalize };
    config.validate().map_err(|e| invalid(e.field, e.reason))?;
    Ok((bars, config))
}

/// Starting cash from a request: a positive decimal string, 10000 when absent.
pub(crate) fn initial_cash(text: Option<&str>) -> Result<f64, ApiError> {
    let cash: Amount = text.unwrap_or("10000").trim().parse().map_err(|e| invalid("initial_cash", format!("{e}")))?;
    if !cash.is_positive() {
        return Err(invalid("initial_cash", "must be greater than zero"));
    }
    Ok(cash.raw() as f64 / Amount::SCALE as f64)
}

/// Registers a run as in progress (for its progress and to stop it).
pub(crate) fn track(state: &AppState, id: &str) -> Arc<Control> {
    let control = Arc::new(Control::new());
    state.backtests.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_owned(), control.clone());
    control
}

/// Stores a run's final state, unless it was deleted meanwhile, and forgets its progress.
pub(crate) async fn finish(state: &AppState, record: &mut BacktestRecord) {
    record.updated_at = now();
    if state.store.backtest(&record.user_id, &record.kind, &record.backtest_id).await.ok().flatten().is_some() {
        let _ = state.store.upsert_backtest(record).await;
    }
    state.backtests.lock().unwrap_or_else(|p| p.into_inner()).remove(&record.backtest_id);
}

/// Deletes a stored run and stops it if it is still going.
pub(crate) async fn delete_run(state: &AppState, user_id: &str, kind: &str, id: &str) -> Result<bool, ApiError> {
    if !state.store.delete_backtest(user_id, kind, id).await? {
        return Ok(false);
    }
    if let Some(control) = state.backtests.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
        control.cancel();
    }
    Ok(true)
}

/// Runs on the blocking pool; the stored record is updated as it goes.
async fn execute(state: Arc<AppState>, mut record: BacktestRecord, req: BacktestRequest, bars: Vec<Bar>, config: Config, control: Arc<Control>) -> BacktestRecord {
    record.status = "running".into();
    record.updated_at = now();
    let _ = state.store.upsert_backtest(&record).await;
    let hooks = control.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut strategy = aetherion_strategy::create(&req.strategy, &req.parameters).map_err(|e| e.to_string())?;
        aetherion_backtest::run_with(&bars, strategy.as_mut(), &config, hooks.as_ref()).map_err(|e| e.to_string())
    })
    .await;
    match outcome {
        Ok(Ok(result)) => {
            record.status = "completed".into();
            record.result = Some(result_json(&result).to_string());
        }
        Ok(Err(_)) if aetherion_backtest::Hooks::is_canceled(control.as_ref()) => record.status = "canceled".into(),
        Ok(Err(e)) => {
            record.status = "failed".into();
            record.error = Some(e);
        }
        Err(e) => {
            record.status = "failed".into();
            record.error = Some(format!("the run stopped: {e}"));
        }
    }
    finish(&state, &mut record).await;
    record
}

/// Start a backtest.
///
/// Short runs (up to 200,000 bars) answer `201` with the finished run; longer ones answer `202`
/// at once and go on in the background: poll `GET /api/v1/backtests/{id}` for `progress`.
#[utoipa::path(
    post,
    path = "/api/v1/backtests",
    request_body = BacktestRequest,
    responses(
        (status = 201, description = "Finished", body = BacktestRun),
        (status = 202, description = "Running in the background", body = BacktestRun),
        (status = 401, body = ErrorBody),
        (status = 404, description = "Unknown data set or symbol", body = ErrorBody),
        (status = 422, description = "Invalid request: the field is named", body = ErrorBody),
    ),
    security(("bearer" = [])),
    tag = "backtests"
)]
pub async fn create(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Json(req): Json<BacktestRequest>) -> Result<(StatusCode, Json<BacktestRun>), ApiError> {
    let (bars, config) = prepare(&state, &caller.user_id, &req).await?;
    let at = now();
    let record = BacktestRecord {
        backtest_id: uuid::Uuid::now_v7().to_string(),
        user_id: caller.user_id.clone(),
        kind: KIND.into(),
        status: "queued".into(),
        request: serde_json::to_string(&req).map_err(ServiceError::internal)?,
        result: None,
        error: None,
        created_at: at,
        updated_at: at,
    };
    state.store.upsert_backtest(&record).await?;
    let control = track(&state, &record.backtest_id);
    if bars.len() <= INLINE_BARS {
        let done = execute(state.clone(), record, req, bars, config, control).await;
        return Ok((StatusCode::CREATED, Json(run_of(&done, 1.0)?)));
    }
    let run = run_of(&record, 0.0)?;
    tokio::spawn(execute(state.clone(), record, req, bars, config, control));
    Ok((StatusCode::ACCEPTED, Json(run)))
}

/// Your backtests, newest first (without their results).
#[utoipa::path(get, path = "/api/v1/backtests", responses((status = 200, body = Vec<BacktestRun>), (status = 401, body = ErrorBody)), security(("bearer" = [])), tag = "backtests")]
pub async fn list(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated) -> Result<Json<Vec<BacktestRun>>, ApiError> {
    let records = state.store.backtests(&caller.user_id, KIND).await?;
    let runs = records.iter().map(|r| run_of(r, progress_of(&state, &r.backtest_id))).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(runs))
}

pub(crate) fn progress_of(state: &AppState, id: &str) -> f64 {
    state.backtests.lock().unwrap_or_else(|p| p.into_inner()).get(id).map_or(0.0, |c| c.fraction_done())
}

/// One of your backtests: status, progress, and the result once completed.
#[utoipa::path(get, path = "/api/v1/backtests/{id}", params(("id" = String, Path, description = "Backtest id")), responses((status = 200, body = BacktestRun), (status = 404, body = ErrorBody)), security(("bearer" = [])), tag = "backtests")]
pub async fn get(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<Json<BacktestRun>, ApiError> {
    let record = state.store.backtest(&caller.user_id, KIND, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(Json(run_of(&record, progress_of(&state, &id))?))
}

/// Delete one of your backtests; a running one is stopped first.
#[utoipa::path(delete, path = "/api/v1/backtests/{id}", params(("id" = String, Path, description = "Backtest id")), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])), tag = "backtests")]
pub async fn delete(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if !delete_run(&state, &caller.user_id, KIND, &id).await? {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A self-contained HTML report of one of your completed backtests (equity curve, trades on the
/// price chart), for a browser; it loads nothing from the network.
#[utoipa::path(get, path = "/api/v1/backtests/{id}/report", params(("id" = String, Path, description = "Backtest id")), responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])), tag = "backtests")]
pub async fn report(State(state): State<Arc<AppState>>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<axum::response::Html<String>, ApiError> {
    let record = state.store.backtest(&caller.user_id, KIND, &id).await?.ok_or_else(|| not_found(&id))?;
    if record.status != "completed" {
        return Err(ServiceError::FailedPrecondition(format!("backtest {id} is {}; a report needs a completed run", record.status)).into());
    }
    let req: BacktestRequest = serde_json::from_str(&record.request).map_err(ServiceError::internal)?;
    // Runs are deterministic: running the stored request again gives the stored result.
    let (bars, config) = prepare(&state, &caller.user_id, &req).await?;
    let html = tokio::task::spawn_blocking(move || -> Result<String, String> {
        let mut strategy = aetherion_strategy::create(&req.strategy, &req.parameters).map_err(|e| e.to_string())?;
        let result = aetherion_backtest::run(&bars, strategy.as_mut(), &config).map_err(|e| e.to_string())?;
        Ok(crate::rest::report::html(&req.strategy, &req.parameters, &bars, &result))
    })
    .await
    .map_err(ServiceError::internal)?
    .map_err(|e| ServiceError::internal(anyhow::anyhow!(e)))?;
    Ok(axum::response::Html(html))
}

fn not_found(id: &str) -> ApiError {
    ServiceError::NotFound(format!("backtest {id:?} does not exist")).into()
}
