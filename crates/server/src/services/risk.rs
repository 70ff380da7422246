//! RiskService: value at risk and expected shortfall of a set of positions (given, or the
//! caller's), from hourly returns of the stored candles. The figures come from
//! `aetherion_risk`, run on the blocking pool; this module reads the request, the prices and
//! the candles, and turns the `f64` results into decimal strings.

use std::collections::BTreeMap;
use std::sync::Arc;

use aetherion_api::v1 as pb;
use aetherion_market::candles::{MINUTE_MICROS, align, resample};
use aetherion_model::{Amount, UnixMicros};
use aetherion_risk::{Method, Returns, RiskError};
use aetherion_store::Store;
use tonic::{Request, Response, Status};

use crate::auth::caller;
use crate::clock::now;
use crate::error::ServiceError;
use crate::market::engine::mul;
use crate::state::AppState;

const HOUR_MICROS: i64 = 60 * MINUTE_MICROS;
const DAY_MICROS: i64 = 24 * HOUR_MICROS;
const DEFAULT_LOOKBACK_DAYS: i32 = 30;
const MAX_LOOKBACK_DAYS: i32 = 365;
const DEFAULT_SIMULATIONS: i32 = 10_000;
const MAX_SIMULATIONS: i32 = 1_000_000;
/// The Monte Carlo seed used when the request leaves it 0.
const DEFAULT_SEED: u64 = 0x5EED_AE7E_410F_0001;
/// One-minute candles read per query (a year of one symbol is about 26 pages).
const PAGE: i64 = 20_000;

pub struct RiskApi {
    state: Arc<AppState>,
}

impl RiskApi {
    pub fn new(state: Arc<AppState>) -> Self {
        RiskApi { state }
    }
}

/// The request's figures, checked and with defaults filled in.
#[derive(Debug)]
struct Settings {
    confidence: f64,
    horizon_days: u32,
    method: pb::VaRMethod,
    risk_method: Method,
    lookback_days: i32,
}

fn settings(req: &pb::CalculateVaRRequest) -> Result<Settings, ServiceError> {
    let confidence = req.confidence_level;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(ServiceError::invalid("confidence_level", format!("must be strictly between 0 and 1, e.g. 0.99; got {confidence}")));
    }
    let horizon_days = u32::try_from(req.horizon_days)
        .ok()
        .filter(|&d| d >= 1)
        .ok_or_else(|| ServiceError::invalid("horizon_days", format!("must be at least 1; got {}", req.horizon_days)))?;
    let method = pb::VaRMethod::try_from(req.method)
        .map_err(|_| ServiceError::invalid("method", format!("{} is not a VaRMethod", req.method)))?;
    let lookback_days = match req.lookback_days {
        0 => DEFAULT_LOOKBACK_DAYS,
        d if (1..=MAX_LOOKBACK_DAYS).contains(&d) => d,
        d => return Err(ServiceError::invalid("lookback_days", format!("must be 0 (30 days) to {MAX_LOOKBACK_DAYS}; got {d}"))),
    };
    let paths = match req.simulations {
        0 => DEFAULT_SIMULATIONS,
        s if (1..=MAX_SIMULATIONS).contains(&s) => s,
        s => return Err(ServiceError::invalid("simulations", format!("must be 0 (10000) to {MAX_SIMULATIONS}; got {s}"))),
    };
    let risk_method = match method {
        pb::VaRMethod::VarMethodUnspecified => {
            return Err(ServiceError::invalid("method", "is required: VAR_METHOD_HISTORICAL, VAR_METHOD_PARAMETRIC or VAR_METHOD_MONTE_CARLO"));
        }
        pb::VaRMethod::VarMethodHistorical => Method::Historical,
        pb::VaRMethod::VarMethodParametric => Method::Parametric,
        pb::VaRMethod::VarMethodMonteCarlo => Method::MonteCarlo {
            paths: paths as usize,
            seed: if req.seed == 0 { DEFAULT_SEED } else { req.seed },
        },
    };
    Ok(Settings { confidence, horizon_days, method, risk_method, lookback_days })
}

/// The quantities to assess, by symbol (sorted; a symbol listed twice is summed): the request's
/// positions, or the caller's non-zero positions when it lists none.
async fn holdings(state: &AppState, req: &pb::CalculateVaRRequest, user_id: &str) -> Result<BTreeMap<String, Amount>, ServiceError> {
    let mut out: BTreeMap<String, Amount> = BTreeMap::new();
    if req.positions.is_empty() {
        for p in state.store.positions(user_id).await? {
            if !p.quantity.is_zero() {
                state.market.find(&p.symbol)?;
                out.insert(p.symbol, p.quantity);
            }
        }
        return Ok(out);
    }
    for (i, p) in req.positions.iter().enumerate() {
        let symbol = p.symbol.trim();
        if symbol.is_empty() {
            return Err(ServiceError::invalid(format!("positions[{i}].symbol"), "is required"));
        }
        let symbol = state.market.find(symbol)?.record().symbol;
        let field = || format!("positions[{i}].quantity");
        let quantity: Amount = p.quantity.trim().parse().map_err(|e| ServiceError::invalid(field(), format!("{:?} {e}", p.quantity)))?;
        if quantity.is_negative() {
            return Err(ServiceError::invalid(field(), format!("must not be negative; got {quantity}")));
        }
        let total = out.entry(symbol).or_insert(Amount::ZERO);
        *total = total.checked_add(quantity).ok_or_else(|| ServiceError::invalid(field(), "the quantities of this symbol add up to too much"))?;
    }
    Ok(out)
}

/// The symbol's last trade price, or else its last stored close.
async fn last_price(state: &AppState, symbol: &str) -> Result<Amount, ServiceError> {
    let live = state.market.get(symbol).and_then(|h| h.stats.borrow().last_price);
    let price = match live {
        Some(p) => Some(p),
        None => state.store.last_candle(symbol).await?.map(|c| c.close),
    };
    price.ok_or_else(|| ServiceError::FailedPrecondition(format!("{symbol} has no price yet")))
}

/// The closes of the 1-hour candles of `symbol` with `start <= open_time < end` (one-minute
/// candles merged, as GetCandles does), as (hour start, close), oldest first.
async fn hourly_closes(store: &Store, symbol: &str, start: UnixMicros, end: UnixMicros) -> Result<Vec<(i64, Amount)>, ServiceError> {
    let mut out: Vec<(i64, Amount)> = Vec::new();
    let mut cursor = start;
    loop {
        let page = store.candles(symbol, cursor, end, PAGE, false).await?;
        for c in resample(&page, HOUR_MICROS) {
            match out.last_mut() {
                // An hour cut by the page boundary: its later minutes set the close.
                Some(last) if last.0 == c.open_time.0 => last.1 = c.close,
                _ => out.push((c.open_time.0, c.close)),
            }
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => cursor = UnixMicros(last.open_time.0 + 1),
            _ => return Ok(out),
        }
    }
}

/// Simple returns between consecutive closes at the hours every series has, row-major (one
/// row per pair of consecutive common hours, one column per series). Returns the number of rows.
fn aligned_returns(series: &[Vec<(i64, Amount)>]) -> (usize, Vec<f64>) {
    let k = series.len();
    let mut by_hour: BTreeMap<i64, Vec<Amount>> = BTreeMap::new();
    for (j, closes) in series.iter().enumerate() {
        for &(hour, close) in closes {
            let row = by_hour.entry(hour).or_default();
            // Only hours seen in every earlier series stay complete.
            if row.len() == j {
                row.push(close);
            }
        }
    }
    let rows: Vec<&Vec<Amount>> = by_hour.values().filter(|r| r.len() == k).collect();
    let mut data = Vec::with_capacity(rows.len().saturating_sub(1) * k);
    for pair in rows.windows(2) {
        for (before, after) in pair[0].iter().zip(pair[1]) {
            data.push(after.raw() as f64 / before.raw() as f64 - 1.0);
        }
    }
    (rows.len().saturating_sub(1), data)
}

/// A statistical figure as an amount: rounded to eight decimals (from its exact binary value).
fn amount_of(x: f64) -> Result<Amount, ServiceError> {
    format!("{x:.8}").parse().map_err(|_| ServiceError::invalid("positions", "are too large: the risk figures do not fit in an amount"))
}

fn to_f64(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

fn risk_error(err: RiskError) -> ServiceError {
    match err {
        RiskError::TooFewObservations(n) => ServiceError::FailedPrecondition(format!("{n} return observations; at least 2 are needed")),
        RiskError::Overflow => ServiceError::invalid("positions", "are too large: the risk figures overflow"),
        other => ServiceError::internal(other),
    }
}

impl RiskApi {
    async fn calculate(&self, user_id: &str, req: &pb::CalculateVaRRequest) -> Result<pb::CalculateVaRResponse, ServiceError> {
        let settings = settings(req)?;
        let held = holdings(&self.state, req, user_id).await?;
        let mut response = pb::CalculateVaRResponse {
            value_at_risk: "0".into(),
            value_at_risk_percent: 0.0,
            expected_shortfall: "0".into(),
            portfolio_value: "0".into(),
            method: settings.method as i32,
            confidence_level: settings.confidence,
            horizon_days: settings.horizon_days as i32,
            contributions: held.keys().map(|s| pb::VaRContribution { symbol: s.clone(), value_at_risk: "0".into() }).collect(),
            observations: 0,
        };
        // Positions of zero quantity carry no risk and do not restrict the hours used.
        let risky: Vec<(&String, Amount)> = held.iter().filter(|(_, q)| !q.is_zero()).map(|(s, q)| (s, *q)).collect();
        if risky.is_empty() {
            return Ok(response);
        }
        let mut values = Vec::with_capacity(risky.len());
        let mut total = Amount::ZERO;
        for &(symbol, quantity) in &risky {
            let price = last_price(&self.state, symbol).await?;
            let too_large = || ServiceError::invalid("positions", format!("the {symbol} position is worth too much to assess"));
            let value = mul(price, quantity).ok_or_else(too_large)?;
            total = total.checked_add(value).ok_or_else(too_large)?;
            values.push(to_f64(value));
        }
        response.portfolio_value = total.to_string();

        let at = now();
        let start = UnixMicros(at.0 - i64::from(settings.lookback_days) * DAY_MICROS);
        // Only hours that have ended: the current hour's candle has no close yet.
        let end = align(at, HOUR_MICROS);
        let store = &self.state.store;
        let series = futures_util::future::try_join_all(risky.iter().map(|&(symbol, _)| hourly_closes(store, symbol, start, end))).await?;
        let (observations, data) = aligned_returns(&series);
        if observations < 2 {
            return Err(ServiceError::FailedPrecondition(format!(
                "{observations} hourly return observation(s) in the last {} days at hours where every symbol has a candle; at least 2 are needed",
                settings.lookback_days
            )));
        }
        let returns = Returns::new(observations, risky.len(), data).map_err(risk_error)?;
        let (confidence, horizon, method) = (settings.confidence, settings.horizon_days, settings.risk_method);
        let report = tokio::task::spawn_blocking(move || aetherion_risk::value_at_risk(&values, &returns, confidence, horizon, &method, 0))
            .await
            .map_err(ServiceError::internal)?
            .map_err(risk_error)?;

        let var = amount_of(report.var.max(0.0))?;
        let es = amount_of(report.es.max(0.0))?;
        response.value_at_risk = var.to_string();
        response.expected_shortfall = es.to_string();
        response.value_at_risk_percent = if total.is_zero() { 0.0 } else { var.raw() as f64 / total.raw() as f64 * 100.0 };
        response.observations = i32::try_from(observations).unwrap_or(i32::MAX);
        let mut computed = risky.iter().map(|(s, _)| *s).zip(report.contributions);
        let mut next = computed.next();
        for c in &mut response.contributions {
            if let Some((symbol, value)) = next
                && *symbol == c.symbol
            {
                c.value_at_risk = amount_of(value)?.to_string();
                next = computed.next();
            }
        }
        Ok(response)
    }
}

#[tonic::async_trait]
impl pb::risk_service_server::RiskService for RiskApi {
    async fn calculate_va_r(&self, request: Request<pb::CalculateVaRRequest>) -> Result<Response<pb::CalculateVaRResponse>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        Ok(Response::new(self.calculate(&user_id, request.get_ref()).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Amount {
        s.parse().unwrap()
    }

    #[test]
    fn returns_use_only_the_hours_every_symbol_has() {
        let h = HOUR_MICROS;
        let first = vec![(0, a("100")), (h, a("110")), (2 * h, a("99")), (4 * h, a("99"))];
        let second = vec![(0, a("10")), (2 * h, a("12")), (3 * h, a("1")), (4 * h, a("6"))];
        let (n, data) = aligned_returns(&[first, second]);
        assert_eq!(n, 2, "hours 0, 2 and 4 are common");
        let expected = [99.0 / 100.0 - 1.0, 0.2, 0.0, -0.5];
        for (got, want) in data.iter().zip(expected) {
            assert!((got - want).abs() < 1e-15, "{data:?}");
        }
        assert_eq!(aligned_returns(&[vec![(0, a("1"))]]), (0, vec![]));
    }

    #[test]
    fn figures_round_to_eight_decimals() {
        assert_eq!(amount_of(1_234.567_890_126).unwrap().to_string(), "1234.56789013");
        assert_eq!(amount_of(0.1 + 0.2).unwrap().to_string(), "0.3");
        assert_eq!(amount_of(-0.000_000_001).unwrap(), Amount::ZERO);
        assert_eq!(amount_of(-2.5).unwrap().to_string(), "-2.5");
        assert!(amount_of(1e12).is_err());
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        let ok = pb::CalculateVaRRequest { confidence_level: 0.99, horizon_days: 1, method: pb::VaRMethod::VarMethodMonteCarlo as i32, ..Default::default() };
        let s = settings(&ok).unwrap();
        assert_eq!(s.lookback_days, 30);
        assert_eq!(s.risk_method, Method::MonteCarlo { paths: 10_000, seed: DEFAULT_SEED });
        let field = |req: pb::CalculateVaRRequest| match settings(&req) {
            Err(ServiceError::InvalidArgument { field, .. }) => field.into_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(pb::CalculateVaRRequest { confidence_level: f64::INFINITY, ..ok.clone() }), "confidence_level");
        assert_eq!(field(pb::CalculateVaRRequest { horizon_days: -1, ..ok.clone() }), "horizon_days");
        assert_eq!(field(pb::CalculateVaRRequest { method: 9, ..ok.clone() }), "method");
        assert_eq!(field(pb::CalculateVaRRequest { simulations: i32::MIN, ..ok.clone() }), "simulations");
    }
}
