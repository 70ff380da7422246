//! PortfolioService: balances, positions and PnL valued at live prices, a stream of them,
//! and the equity history with its statistics.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aetherion_api::v1 as pb;
use aetherion_model::{Amount, UnixMicros};
use aetherion_store::EquityPoint;
use tokio::sync::watch;
use tokio_stream::Stream;
use tokio_stream::wrappers::WatchStream;
use tokio_stream::StreamExt;
use tonic::{Request, Response, Status};

use crate::auth::caller;
use crate::clock::{now, timestamp};
use crate::error::ServiceError;
use crate::market::engine::mul;
use crate::services::time::micros_of;
use crate::state::AppState;

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// How often a portfolio stream revalues held positions at new prices.
const PRICE_REFRESH: Duration = Duration::from_secs(1);
const DEFAULT_INTERVAL: i64 = 3600;
const MIN_INTERVAL: i64 = 60;
const MAX_POINTS: i64 = 10_000;
const SECONDS_PER_YEAR: f64 = 365.0 * 24.0 * 3600.0;

pub struct PortfolioApi {
    state: Arc<AppState>,
}

impl PortfolioApi {
    pub fn new(state: Arc<AppState>) -> Self {
        PortfolioApi { state }
    }
}

/// The caller's portfolio from stored balances and positions, at the last trade prices.
pub async fn portfolio(state: &AppState, user_id: &str) -> Result<pb::Portfolio, ServiceError> {
    let store = &state.store;
    let quote = store.account_quote_asset(user_id).await?.unwrap_or_else(|| state.config.quote_asset.clone());
    let balances = store.balances(user_id).await?;
    let positions = store.positions(user_id).await?;
    let fees = store.fees_paid(user_id).await?;
    let total = |a: Amount, b: Amount| a.checked_add(b).unwrap_or(Amount::MAX);
    let cash = balances.iter().filter(|b| b.asset == quote).map(|b| total(b.free, b.reserved)).fold(Amount::ZERO, total);
    let mut equity = cash;
    let (mut realized, mut unrealized) = (Amount::ZERO, Amount::ZERO);
    let mut out_positions = Vec::new();
    for p in &positions {
        realized = total(realized, p.realized_pnl);
        if p.quantity.is_zero() {
            continue;
        }
        let price = state.market.get(&p.symbol).and_then(|h| h.stats.borrow().last_price).unwrap_or(Amount::ZERO);
        let value = mul(price, p.quantity).unwrap_or(Amount::MAX);
        let pnl = value.checked_sub(p.cost).unwrap_or(Amount::ZERO);
        equity = total(equity, value);
        unrealized = total(unrealized, pnl);
        let average = i128::from(p.cost.raw()) * i128::from(Amount::SCALE) / i128::from(p.quantity.raw());
        out_positions.push(pb::Position {
            symbol: p.symbol.clone(),
            quantity: p.quantity.to_string(),
            average_price: Amount::from_raw(i64::try_from(average).unwrap_or(i64::MAX)).to_string(),
            market_price: price.to_string(),
            market_value: value.to_string(),
            unrealized_pnl: pnl.to_string(),
            realized_pnl: p.realized_pnl.to_string(),
        });
    }
    Ok(pb::Portfolio {
        cash: cash.to_string(),
        equity: equity.to_string(),
        positions: out_positions,
        realized_pnl: realized.to_string(),
        unrealized_pnl: unrealized.to_string(),
        fees_paid: fees.to_string(),
        updated_at: Some(timestamp(now())),
        balances: balances
            .iter()
            .filter(|b| !b.free.is_zero() || !b.reserved.is_zero())
            .map(|b| pb::Balance {
                asset: b.asset.clone(),
                free: b.free.to_string(),
                reserved: b.reserved.to_string(),
                total: total(b.free, b.reserved).to_string(),
            })
            .collect(),
        quote_asset: quote,
    })
}

/// The summary statistics of an equity curve (see the proto for the definitions).
pub fn statistics(equity: &[f64], interval_seconds: i64) -> (f64, f64, f64) {
    if equity.len() < 2 {
        return (0.0, 0.0, 0.0);
    }
    let first = equity[0];
    let last = equity[equity.len() - 1];
    let total_return = if first > 0.0 { (last / first - 1.0) * 100.0 } else { 0.0 };
    let mut peak = f64::MIN;
    let mut max_drawdown: f64 = 0.0;
    for &e in equity {
        peak = peak.max(e);
        if peak > 0.0 {
            max_drawdown = max_drawdown.max((peak - e) / peak * 100.0);
        }
    }
    let returns: Vec<f64> = equity.windows(2).filter(|w| w[0] > 0.0).map(|w| w[1] / w[0] - 1.0).collect();
    let sharpe = if returns.len() >= 2 {
        let n = returns.len() as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let sd = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        if sd > 0.0 { mean / sd * (SECONDS_PER_YEAR / interval_seconds as f64).sqrt() } else { 0.0 }
    } else {
        0.0
    };
    (total_return, max_drawdown, sharpe)
}

fn to_f64(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

#[tonic::async_trait]
impl pb::portfolio_service_server::PortfolioService for PortfolioApi {
    async fn get_portfolio(&self, request: Request<pb::GetPortfolioRequest>) -> Result<Response<pb::Portfolio>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        Ok(Response::new(portfolio(&self.state, &user_id).await?))
    }

    type StreamPortfolioStream = ServerStream<pb::Portfolio>;

    async fn stream_portfolio(&self, request: Request<pb::StreamPortfolioRequest>) -> Result<Response<Self::StreamPortfolioStream>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let first = portfolio(&self.state, &user_id).await?;
        let (tx, rx) = watch::channel(first);
        let state = self.state.clone();
        let mut changes = state.market.account_changes();
        tokio::spawn(async move {
            let mut prices = tokio::time::interval(PRICE_REFRESH);
            prices.tick().await;
            loop {
                tokio::select! {
                    () = tx.closed() => return,
                    change = changes.recv() => match change {
                        Ok(user) if user != user_id => continue,
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                    _ = prices.tick() => {
                        if tx.borrow().positions.is_empty() {
                            continue;
                        }
                    }
                }
                match portfolio(&state, &user_id).await {
                    // A slow reader gets the latest state (the watch channel keeps only that).
                    Ok(p) => {
                        tx.send_if_modified(|old| {
                            let changed = { let mut a = old.clone(); a.updated_at = None; let mut b = p.clone(); b.updated_at = None; a != b };
                            if changed { *old = p; }
                            changed
                        });
                    }
                    Err(e) => tracing::warn!(error = %e, "computing a streamed portfolio failed"),
                }
            }
        });
        Ok(Response::new(Box::pin(WatchStream::new(rx).map(Ok))))
    }

    async fn get_performance_history(
        &self,
        request: Request<pb::GetPerformanceHistoryRequest>,
    ) -> Result<Response<pb::GetPerformanceHistoryResponse>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let req = request.get_ref();
        let interval = match req.interval_seconds {
            0 => DEFAULT_INTERVAL,
            i if i < MIN_INTERVAL => {
                return Err(ServiceError::invalid("interval_seconds", format!("must be at least {MIN_INTERVAL}")).into());
            }
            i => i,
        };
        let user = self.state.store.user_by_id(&user_id).await.map_err(ServiceError::from)?;
        let created = user.map_or(UnixMicros(0), |u| u.created_at);
        let start = req.start_time.as_ref().map(|t| micros_of(t, "start_time")).transpose()?.unwrap_or(created);
        let end = req.end_time.as_ref().map(|t| micros_of(t, "end_time")).transpose()?.unwrap_or_else(now);
        if start >= end {
            return Err(ServiceError::invalid("start_time", "must be before end_time").into());
        }
        let step = interval * 1_000_000;
        let count = (end.0 - start.0 + step - 1) / step;
        if count > MAX_POINTS {
            return Err(ServiceError::invalid("interval_seconds", format!("the range would need {count} points; at most {MAX_POINTS}: widen the interval")).into());
        }
        let store = &self.state.store;
        let mut carried = store.equity_point_before(&user_id, start).await.map_err(ServiceError::from)?;
        let stored = store.equity_points(&user_id, start, UnixMicros(end.0.saturating_add(1)), 2_000_000).await.map_err(ServiceError::from)?;
        // One sample per interval: the last stored point at or before the sample time.
        let mut points: Vec<EquityPoint> = Vec::new();
        let mut next = stored.iter().peekable();
        // Sample times: every interval from start, and end itself.
        let times = (0..count).map(|k| UnixMicros(start.0 + k * step)).chain(std::iter::once(end));
        for t in times {
            while let Some(p) = next.peek() {
                if p.at <= t {
                    carried = Some(**p);
                    next.next();
                } else {
                    break;
                }
            }
            if let Some(p) = carried
                && points.last().is_none_or(|last| last.at < t)
            {
                points.push(EquityPoint { at: t, ..p });
            }
        }
        let equity: Vec<f64> = points.iter().map(|p| to_f64(p.equity)).collect();
        let (total_return_percent, max_drawdown_percent, sharpe_ratio) = statistics(&equity, interval);
        Ok(Response::new(pb::GetPerformanceHistoryResponse {
            points: points
                .iter()
                .map(|p| pb::PerformancePoint {
                    timestamp: Some(timestamp(p.at)),
                    equity: p.equity.to_string(),
                    cash: p.cash.to_string(),
                    realized_pnl: p.realized_pnl.to_string(),
                    unrealized_pnl: p.unrealized_pnl.to_string(),
                })
                .collect(),
            total_return_percent,
            max_drawdown_percent,
            sharpe_ratio,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::statistics;

    #[test]
    fn statistics_follow_their_definitions() {
        let (ret, dd, sharpe) = statistics(&[100.0, 110.0, 99.0, 120.0], 86_400);
        assert!((ret - 20.0).abs() < 1e-9);
        assert!((dd - 10.0).abs() < 1e-9, "110 to 99 is 10%");
        let r = [0.1, 99.0 / 110.0 - 1.0, 120.0 / 99.0 - 1.0];
        let mean = r.iter().sum::<f64>() / 3.0;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!((sharpe - mean / sd * 365f64.sqrt()).abs() < 1e-9);
        assert_eq!(statistics(&[100.0], 60), (0.0, 0.0, 0.0));
        assert_eq!(statistics(&[100.0, 100.0, 100.0], 60).2, 0.0, "no dispersion");
    }
}
