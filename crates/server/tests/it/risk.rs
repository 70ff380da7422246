//! RiskService.CalculateVaR over gRPC against a market with a week of generated history.
//!
//! Most tests use a market with no simulated traders (`market_rate = 0`): prices and candles
//! stay as generated, so that answers can be compared exactly.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aetherion_api::v1 as pb;
use aetherion_api::v1::risk_service_client::RiskServiceClient;
use aetherion_market::candles::Candle;
use aetherion_model::UnixMicros;
use aetherion_server::config::default_symbols;
use aetherion_store::{Store, SymbolRecord, SymbolStatus};
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{TestServer, bearer};
use crate::orders::{Trader, a, order};

const HOUR_SECONDS: i64 = 3600;
/// The standard normal quantile at 0.99.
const Z_99: f64 = 2.326_347_874_040_841;

/// A market whose prices do not move unless a user trades.
async fn still_market() -> TestServer {
    TestServer::start_with(|c| {
        c.default_symbols = default_symbols();
        c.market_rate = 0.0;
    })
    .await
}

struct Client {
    trader: Trader,
    risk: RiskServiceClient<Channel>,
}

impl Client {
    async fn new(server: &TestServer, email: &str) -> Client {
        Client { trader: Trader::new(server, email).await, risk: RiskServiceClient::new(server.channel().await) }
    }

    async fn var(&mut self, req: pb::CalculateVaRRequest) -> Result<pb::CalculateVaRResponse, tonic::Status> {
        self.risk.calculate_va_r(bearer(&self.trader.token, req)).await.map(|r| r.into_inner())
    }

    /// `var`, and how long the call took.
    async fn timed(&mut self, req: pb::CalculateVaRRequest) -> (pb::CalculateVaRResponse, Duration) {
        let started = Instant::now();
        let response = self.var(req).await.unwrap();
        (response, started.elapsed())
    }
}

fn request(method: pb::VaRMethod, positions: &[(&str, &str)]) -> pb::CalculateVaRRequest {
    pb::CalculateVaRRequest {
        confidence_level: 0.99,
        horizon_days: 1,
        method: method as i32,
        positions: positions.iter().map(|(s, q)| pb::PositionInput { symbol: (*s).into(), quantity: (*q).into() }).collect(),
        ..Default::default()
    }
}

fn f(s: &str) -> f64 {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The hour the clock is in (answers can change only when it changes).
fn hour_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64 / HOUR_SECONDS
}

const PORTFOLIO: [(&str, &str); 3] = [("BTC-USD", "0.5"), ("SOL-USD", "100"), ("ETH-USD", "4")];
const METHODS: [pb::VaRMethod; 3] = [pb::VaRMethod::VarMethodHistorical, pb::VaRMethod::VarMethodParametric, pb::VaRMethod::VarMethodMonteCarlo];

#[tokio::test]
async fn three_methods_give_consistent_figures() {
    let server = still_market().await;
    let mut c = Client::new(&server, "ada@example.com").await;
    let mut figures = Vec::new();
    for method in METHODS {
        let (r, took) = c.timed(request(method, &PORTFOLIO)).await;
        println!("{method:?}: VaR {} ES {} of {} ({} observations) in {took:?}", r.value_at_risk, r.expected_shortfall, r.portfolio_value, r.observations);
        assert!(took < Duration::from_secs(5), "{method:?} took {took:?}");
        assert_eq!((r.method, r.confidence_level, r.horizon_days), (method as i32, 0.99, 1));
        // A week of history: about 7 * 24 hourly returns.
        assert!((150..=170).contains(&r.observations), "{}", r.observations);
        let (var, es) = (f(&r.value_at_risk), f(&r.expected_shortfall));
        assert!(var > 0.0 && es >= var, "{method:?}: VaR {var}, ES {es}");
        let value = f(&r.portfolio_value);
        assert!((r.value_at_risk_percent - var / value * 100.0).abs() < 1e-9);
        let symbols: Vec<&str> = r.contributions.iter().map(|c| c.symbol.as_str()).collect();
        assert_eq!(symbols, ["BTC-USD", "ETH-USD", "SOL-USD"]);
        let sum: f64 = r.contributions.iter().map(|c| f(&c.value_at_risk)).sum();
        assert!((sum - var).abs() < 1e-7, "{method:?}: contributions add up to {sum}, VaR {var}");
        figures.push(var);
    }
    let (low, high) = figures.iter().fold((f64::MAX, 0.0_f64), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(high < 2.0 * low, "{figures:?}");

    // Monte Carlo is seeded: the same request gives the same answer; another seed another one.
    let mc = request(pb::VaRMethod::VarMethodMonteCarlo, &PORTFOLIO);
    loop {
        let hour = hour_now();
        let (first, second) = (c.var(mc.clone()).await.unwrap(), c.var(mc.clone()).await.unwrap());
        if hour_now() == hour {
            assert_eq!(first, second);
            let other = c.var(pb::CalculateVaRRequest { seed: 7, ..mc.clone() }).await.unwrap();
            assert_ne!(other.value_at_risk, first.value_at_risk);
            break;
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn a_million_monte_carlo_paths_approach_the_normal_formula() {
    let server = still_market().await;
    let mut c = Client::new(&server, "ada@example.com").await;
    let parametric = c.var(request(pb::VaRMethod::VarMethodParametric, &PORTFOLIO)).await.unwrap();
    let req = pb::CalculateVaRRequest { simulations: 1_000_000, seed: 42, ..request(pb::VaRMethod::VarMethodMonteCarlo, &PORTFOLIO) };
    let (mc, took) = c.timed(req).await;
    println!("Monte Carlo, 1,000,000 paths, 3 positions: {took:?} (VaR {} vs parametric {})", mc.value_at_risk, parametric.value_at_risk);
    let ratio = f(&mc.value_at_risk) / f(&parametric.value_at_risk);
    assert!((ratio - 1.0).abs() < 0.01, "{ratio}");
    let ratio = f(&mc.expected_shortfall) / f(&parametric.expected_shortfall);
    assert!((ratio - 1.0).abs() < 0.01, "{ratio}");
    for (m, p) in mc.contributions.iter().zip(&parametric.contributions) {
        let (m, p) = (f(&m.value_at_risk), f(&p.value_at_risk));
        assert!((m - p).abs() < 0.05 * f(&parametric.value_at_risk), "{m} vs {p}");
    }
    server.stop().await;
}

/// The parametric VaR recomputed here from GetCandles: z * sigma_1h * sqrt(24) * value.
#[tokio::test]
async fn parametric_var_is_the_normal_formula_on_the_hourly_candles() {
    let server = still_market().await;
    let mut c = Client::new(&server, "ada@example.com").await;
    let (response, candles) = loop {
        let hour = hour_now();
        let response = c.var(request(pb::VaRMethod::VarMethodParametric, &[("ETH-USD", "2")])).await.unwrap();
        let req = pb::GetCandlesRequest {
            symbol: "ETH-USD".into(),
            interval: pb::CandleInterval::CandleInterval1h as i32,
            limit: 1000,
            ..Default::default()
        };
        let candles = c.trader.trading.get_candles(bearer(&c.trader.token, req)).await.unwrap().into_inner().candles;
        if hour_now() == hour {
            // Only hours that have ended count.
            let ended: Vec<pb::Candle> = candles.into_iter().filter(|k| k.open_time.unwrap().seconds + HOUR_SECONDS <= hour * HOUR_SECONDS).collect();
            break (response, ended);
        }
    };
    let closes: Vec<f64> = candles.iter().map(|k| f(&k.close)).collect();
    let returns: Vec<f64> = closes.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    assert_eq!(response.observations as usize, returns.len());
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n;
    let sigma = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();

    let price = match c.trader.price("ETH-USD").await.last_price {
        p if p.is_empty() => candles.last().unwrap().close.clone(),
        p => p,
    };
    assert_eq!(a(&response.portfolio_value).raw(), a(&price).raw() * 2, "2 ETH at {price}");
    let value = f(&response.portfolio_value);
    let expected = Z_99 * sigma * 24f64.sqrt() * value;
    let var = f(&response.value_at_risk);
    assert!((var / expected - 1.0).abs() < 1e-6, "VaR {var}, expected {expected}");
    // ES of a normal: sigma * phi(z) / (1 - c).
    let phi = (-Z_99 * Z_99 / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let es = sigma * 24f64.sqrt() * value * phi / 0.01;
    assert!((f(&response.expected_shortfall) / es - 1.0).abs() < 1e-6);
    assert_eq!(response.contributions[0].value_at_risk, response.value_at_risk);
    server.stop().await;
}

#[tokio::test]
async fn var_grows_with_confidence_and_horizon() {
    let server = still_market().await;
    let mut c = Client::new(&server, "ada@example.com").await;
    let at = |method: pb::VaRMethod, confidence: f64, horizon_days: i32| pb::CalculateVaRRequest {
        confidence_level: confidence,
        horizon_days,
        ..request(method, &PORTFOLIO)
    };
    loop {
        let hour = hour_now();
        for method in METHODS {
            let mut last = 0.0;
            for confidence in [0.9, 0.95, 0.99, 0.999] {
                let var = f(&c.var(at(method, confidence, 1)).await.unwrap().value_at_risk);
                // Historical quantiles can tie; the others grow strictly.
                assert!(var > last || (method == pb::VaRMethod::VarMethodHistorical && var == last), "{method:?} at {confidence}: {var} after {last}");
                last = var;
            }
            // Square root of time, exactly: the same scenarios scaled.
            let day = f(&c.var(at(method, 0.99, 1)).await.unwrap().value_at_risk);
            for days in [4, 9] {
                let var = f(&c.var(at(method, 0.99, days)).await.unwrap().value_at_risk);
                let factor = f64::from(days).sqrt();
                assert!((var / (day * factor) - 1.0).abs() < 1e-7, "{method:?}: {days} days {var}, 1 day {day}");
            }
        }
        if hour_now() == hour {
            break;
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn without_positions_the_callers_portfolio_is_assessed() {
    let server = still_market().await;
    let mut ada = Client::new(&server, "ada@example.com").await;
    ada.trader.place(order("BTC-USD", pb::Side::Buy, pb::OrderType::Market, "0.05")).await.unwrap();
    ada.trader.place(order("SOL-USD", pb::Side::Buy, pb::OrderType::Market, "3")).await.unwrap();
    let held: Vec<(String, String)> = ada.trader.portfolio().await.positions.into_iter().map(|p| (p.symbol, p.quantity)).collect();
    assert_eq!(held.len(), 2);
    let explicit: Vec<(&str, &str)> = held.iter().map(|(s, q)| (s.as_str(), q.as_str())).collect();
    for method in METHODS {
        loop {
            let hour = hour_now();
            let own = ada.var(request(method, &[])).await.unwrap();
            let given = ada.var(request(method, &explicit)).await.unwrap();
            if hour_now() == hour {
                assert_eq!(own, given);
                assert!(f(&own.value_at_risk) > 0.0);
                assert_eq!(own.contributions.iter().map(|c| c.symbol.as_str()).collect::<Vec<_>>(), ["BTC-USD", "SOL-USD"]);
                break;
            }
        }
    }

    // Someone with nothing: every amount 0, no error.
    let mut bob = Client::new(&server, "bob@example.com").await;
    for method in METHODS {
        let r = bob.var(request(method, &[])).await.unwrap();
        let zero = pb::CalculateVaRResponse {
            value_at_risk: "0".into(),
            value_at_risk_percent: 0.0,
            expected_shortfall: "0".into(),
            portfolio_value: "0".into(),
            method: method as i32,
            confidence_level: 0.99,
            horizon_days: 1,
            contributions: vec![],
            observations: 0,
        };
        assert_eq!(r, zero);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_symbol_listed_twice_is_summed_and_a_zero_quantity_carries_no_risk() {
    let server = still_market().await;
    let mut c = Client::new(&server, "ada@example.com").await;
    loop {
        let hour = hour_now();
        let split = c.var(request(pb::VaRMethod::VarMethodHistorical, &[("SOL-USD", "1.5"), ("BTC-USD", "0"), ("SOL-USD", "2.5")])).await.unwrap();
        let whole = c.var(request(pb::VaRMethod::VarMethodHistorical, &[("SOL-USD", "4")])).await.unwrap();
        if hour_now() == hour {
            assert_eq!((&split.value_at_risk, &split.portfolio_value), (&whole.value_at_risk, &whole.portfolio_value));
            let contributions: Vec<(&str, &str)> = split.contributions.iter().map(|c| (c.symbol.as_str(), c.value_at_risk.as_str())).collect();
            assert_eq!(contributions, [("BTC-USD", "0"), ("SOL-USD", whole.value_at_risk.as_str())]);
            break;
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_refused_naming_the_field() {
    let server = still_market().await;
    let mut c = Client::new(&server, "ada@example.com").await;
    let ok = request(pb::VaRMethod::VarMethodParametric, &[("BTC-USD", "1")]);
    let with_quantity = |q: &str| pb::CalculateVaRRequest {
        positions: vec![
            pb::PositionInput { symbol: "ETH-USD".into(), quantity: "1".into() },
            pb::PositionInput { symbol: "BTC-USD".into(), quantity: q.into() },
        ],
        ..ok.clone()
    };
    let cases: Vec<(pb::CalculateVaRRequest, Code, &str)> = vec![
        (pb::CalculateVaRRequest { confidence_level: 0.0, ..ok.clone() }, Code::InvalidArgument, "confidence_level"),
        (pb::CalculateVaRRequest { confidence_level: 1.0, ..ok.clone() }, Code::InvalidArgument, "confidence_level"),
        (pb::CalculateVaRRequest { confidence_level: 1.5, ..ok.clone() }, Code::InvalidArgument, "confidence_level"),
        (pb::CalculateVaRRequest { confidence_level: f64::NAN, ..ok.clone() }, Code::InvalidArgument, "confidence_level"),
        (pb::CalculateVaRRequest { horizon_days: 0, ..ok.clone() }, Code::InvalidArgument, "horizon_days"),
        (pb::CalculateVaRRequest { method: pb::VaRMethod::VarMethodUnspecified as i32, ..ok.clone() }, Code::InvalidArgument, "method"),
        (pb::CalculateVaRRequest { lookback_days: -1, ..ok.clone() }, Code::InvalidArgument, "lookback_days"),
        (pb::CalculateVaRRequest { lookback_days: 366, ..ok.clone() }, Code::InvalidArgument, "lookback_days"),
        (pb::CalculateVaRRequest { simulations: -1, ..ok.clone() }, Code::InvalidArgument, "simulations"),
        (pb::CalculateVaRRequest { simulations: 1_000_001, ..ok.clone() }, Code::InvalidArgument, "simulations"),
        (with_quantity("-1"), Code::InvalidArgument, "positions[1].quantity"),
        (with_quantity("abc"), Code::InvalidArgument, "positions[1].quantity"),
        (with_quantity("1e3"), Code::InvalidArgument, "positions[1].quantity"),
        (with_quantity(""), Code::InvalidArgument, "positions[1].quantity"),
        (request(pb::VaRMethod::VarMethodParametric, &[("", "1")]), Code::InvalidArgument, "positions[0].symbol"),
        (request(pb::VaRMethod::VarMethodParametric, &[("BTC-USD", "1"), ("DOGE-USD", "1")]), Code::NotFound, "DOGE-USD"),
    ];
    for (req, code, named) in cases {
        let err = c.var(req.clone()).await.expect_err(named);
        assert_eq!(err.code(), code, "{req:?}: {}", err.message());
        assert!(err.message().contains(named), "{req:?}: {}", err.message());
    }
    // The limits themselves are accepted.
    let edge = pb::CalculateVaRRequest { lookback_days: 365, simulations: 1_000_000, ..request(pb::VaRMethod::VarMethodMonteCarlo, &[("BTC-USD", "0.001")]) };
    c.var(edge).await.unwrap();
    // And the token is required.
    let err = c.risk.calculate_va_r(ok).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    server.stop().await;
}

/// A symbol whose only candle is from the current minute (stored before the server starts,
/// so that no history is generated for it) has no complete hour, hence no return.
#[tokio::test]
async fn too_little_history_is_a_failed_precondition() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&Store::sqlite_url(dir.path())).await.unwrap();
    let now_micros = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as i64;
    let minute = now_micros - now_micros % 60_000_000;
    let mut record: SymbolRecord = default_symbols().remove(0);
    record.symbol = "NEW-USD".into();
    record.base_asset = "NEW".into();
    record.status = SymbolStatus::Trading;
    record.created_at = UnixMicros(now_micros);
    store.insert_symbol(&record).await.unwrap();
    let price = a("100");
    let candle = Candle { open_time: UnixMicros(minute), open: price, high: price, low: price, close: price, volume: a("1"), trade_count: 1 };
    store.upsert_candles("NEW-USD", &[candle]).await.unwrap();
    store.close().await;

    let server = TestServer::start_in(dir.path(), |c| c.market_rate = 0.0).await;
    let mut c = Client::new(&server, "ada@example.com").await;
    for method in METHODS {
        let err = c.var(request(method, &[("NEW-USD", "1")])).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{}", err.message());
        assert!(err.message().contains("hourly return observation"), "{}", err.message());
    }
    // With nothing held, nothing is needed.
    assert_eq!(c.var(request(pb::VaRMethod::VarMethodParametric, &[("NEW-USD", "0")])).await.unwrap().value_at_risk, "0");
    server.stop().await;
}
