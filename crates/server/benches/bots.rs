//! How many bots one server runs while the market data stays on time.
//!
//!     cargo bench -p aetherion-server --bench bots [-- BOTS [SECONDS]]
//!
//! Starts the server in this process (fresh SQLite data directory, the default symbols, a busy
//! simulated market at 40 takers a second per symbol), registers users over gRPC and creates
//! and starts BOTS bots (default 1000) through BotService: a mix of the built-in strategies
//! with different parameters, on bars of 1, 2, 5 and 10 seconds, spread over the symbols.
//! Then, for SECONDS (default 30), it measures:
//! - trade -> bots: from a trade in the exchange to the moment every running bot has taken
//!   it in (books, bars, risk limits, and any orders that caused, placed);
//! - bar close -> bots: from the scheduled close of a bar to the moment every bot has run its
//!   strategy on it and placed its orders;
//! - trade -> client: from a trade to its tick arriving at a SubscribeTicks client over gRPC;
//! - CPU: the process's user + system time over wall time (100% = one core; 2 cores here).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aetherion_api::v1 as pb;
use aetherion_api::v1::auth_service_client::AuthServiceClient;
use aetherion_api::v1::bot_service_client::BotServiceClient;
use aetherion_api::v1::trading_service_client::TradingServiceClient;
use aetherion_server::config::default_symbols;
use aetherion_server::{Config, Server};
use tonic::transport::Channel;

const BOTS_PER_USER: usize = 100;

fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// User + system CPU time of this process, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

fn report(name: &str, mut micros: Vec<i64>) {
    micros.sort_unstable();
    println!(
        "{name:<22} {:>8} samples   p50 {:>7.2} ms   p99 {:>7.2} ms   p99.9 {:>7.2} ms   max {:>7.2} ms",
        micros.len(),
        percentile(&micros, 0.5),
        percentile(&micros, 0.99),
        percentile(&micros, 0.999),
        micros.last().map_or(f64::NAN, |m| *m as f64 / 1000.0),
    );
}

/// The i-th bot's strategy and parameters: five strategies, varied so they do not all act on
/// the same bar.
fn strategy(i: usize) -> (&'static str, HashMap<String, f64>) {
    let interval = [1.0, 2.0, 5.0, 10.0][i % 4];
    let v = (i / 4) % 5;
    let mut p: HashMap<String, f64> = HashMap::from([("interval_seconds".to_owned(), interval)]);
    let name = match (i / 20) % 5 {
        0 => {
            p.insert("fast".into(), 2.0 + v as f64);
            p.insert("slow".into(), 8.0 + 2.0 * v as f64);
            "sma_crossover"
        }
        1 => {
            p.insert("fast".into(), 3.0 + v as f64);
            p.insert("slow".into(), 10.0 + 2.0 * v as f64);
            "ema_crossover"
        }
        2 => {
            p.insert("period".into(), 5.0 + v as f64);
            "rsi_mean_reversion"
        }
        3 => {
            p.insert("period".into(), 10.0 + v as f64);
            "bollinger_mean_reversion"
        }
        _ => {
            p.insert("lookback".into(), 10.0 + v as f64);
            "momentum_breakout"
        }
    };
    (name, p)
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let bots = args.first().copied().unwrap_or(1000);
    let seconds = args.get(1).copied().unwrap_or(30) as u64;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run(bots, seconds));
}

async fn run(bots: usize, seconds: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path().to_path_buf());
    config.jwt_secret = Some("bots-bench-secret-0123456789abcdefghij".into());
    config.default_symbols = default_symbols();
    config.market_rate = 40.0;
    let server = Server::build(config).await.unwrap();
    let hub = server.state().market.clone();
    let symbols: Vec<String> = default_symbols().into_iter().map(|s| s.symbol).collect();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(listener, None, async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();

    let users = bots.div_ceil(BOTS_PER_USER);
    let mut created = 0;
    let started = Instant::now();
    for u in 0..users {
        let auth = AuthServiceClient::new(channel.clone())
            .register(pb::RegisterRequest { email: format!("bench{u}@example.com"), password: "correct horse battery".into(), display_name: String::new() })
            .await
            .unwrap()
            .into_inner();
        let mut client = BotServiceClient::new(channel.clone());
        for b in 0..BOTS_PER_USER.min(bots - created) {
            let i = created;
            let (name, parameters) = strategy(i);
            let req = pb::CreateBotRequest {
                name: format!("bot {b}"),
                strategy: name.into(),
                symbol: symbols[i % symbols.len()].clone(),
                parameters,
                capital: "900".into(),
                risk: Some(pb::RiskLimits { stop_loss_percent: 2.0, take_profit_percent: 3.0, ..Default::default() }),
            };
            let bot = client.create_bot(bearer(&auth.access_token, req)).await.unwrap().into_inner();
            client.start_bot(bearer(&auth.access_token, pb::StartBotRequest { bot_id: bot.bot_id })).await.unwrap();
            created += 1;
        }
    }
    println!("{created} bots running on {} symbols, created and started over gRPC in {:.1} s", symbols.len(), started.elapsed().as_secs_f64());

    // Warm up: bars fill, strategies pass their warm-up.
    tokio::time::sleep(Duration::from_secs(5)).await;
    // A market-data client: every tick of every symbol, with the delay from its trade.
    let login = pb::LoginRequest { email: "bench0@example.com".into(), password: "correct horse battery".into() };
    let token = AuthServiceClient::new(channel.clone()).login(login).await.unwrap().into_inner().access_token;
    let mut ticks = TradingServiceClient::new(channel.clone())
        .subscribe_ticks(bearer(&token, pb::SubscribeTicksRequest { symbols: Vec::new() }))
        .await
        .unwrap()
        .into_inner();
    hub.reactions().take();
    let cpu0 = cpu_seconds();
    let wall = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    let mut tick_delays = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, ticks.message()).await {
            Ok(Ok(Some(tick))) => {
                let at = tick.timestamp.map_or(0, |t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000);
                tick_delays.push(aetherion_server::clock::now().0 - at);
            }
            Ok(other) => panic!("the tick stream ended: {other:?}"),
            Err(_) => break,
        }
    }
    let cpu = (cpu_seconds() - cpu0) / wall.elapsed().as_secs_f64() * 100.0;
    let samples = hub.reactions().take();
    let mut trades = 0;
    let mut client = BotServiceClient::new(channel.clone());
    for bot in client.list_bots(bearer(&token, pb::ListBotsRequest {})).await.unwrap().into_inner().bots {
        let status = client.get_bot_status(bearer(&token, pb::GetBotStatusRequest { bot_id: bot.bot_id })).await.unwrap().into_inner();
        trades += status.trade_count;
    }
    println!("{seconds} s measured; CPU {cpu:.0}% of one core (2 cores here); the first user's {BOTS_PER_USER} bots made {trades} fills");
    report("trade -> bots", samples.trade.into());
    report("bar close -> bots", samples.bar.into());
    report("trade -> tick client", tick_delays);
    let _ = stop.send(());
    let _ = serving.await;
}
