//! CreateOrder throughput and latency over gRPC, durable on SQLite, against a running server,
//! beside the same server's cheapest authenticated unary RPC (GetPrice, answered from memory).
//!
//!     cargo bench -p aetherion-cli --bench orders [-- SECONDS]
//!
//! Starts the release binary on a free port with a fresh data directory, registers 16 users,
//! then runs each phase with 16 concurrent clients (one connection each) for SECONDS (default
//! 10). Every CreateOrder is a GTC limit buy that rests in the book: validated, funded, matched,
//! stored in a committed SQLite transaction (WAL, synchronous=FULL) and only then answered.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aetherion_api::v1 as pb;
use aetherion_api::v1::auth_service_client::AuthServiceClient;
use aetherion_api::v1::order_service_client::OrderServiceClient;
use aetherion_api::v1::trading_service_client::TradingServiceClient;
use tonic::transport::Channel;

const CLIENTS: usize = 16;

fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

struct Phase {
    name: &'static str,
    calls: usize,
    errors: usize,
    seconds: f64,
    latencies: Vec<Duration>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.seconds
    }

    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i]
    }

    fn print(&self) {
        println!(
            "{:<24} {:>8} calls {:>6} errors {:>9.0} calls/s   p50 {:>7.2} ms   p99 {:>7.2} ms   p99.9 {:>7.2} ms",
            self.name,
            self.calls,
            self.errors,
            self.rate(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.percentile(0.999).as_secs_f64() * 1e3,
        );
    }
}

/// Runs `call` from every client for `seconds`.
async fn phase<F, Fut>(name: &'static str, channels: &[Channel], tokens: &[String], seconds: f64, call: F) -> Phase
where
    F: Fn(Channel, String, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let call = Arc::new(call);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (channel, token) in channels.iter().cloned().zip(tokens.iter().cloned()) {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut n) = (Vec::new(), 0, 0);
            while Instant::now() < deadline {
                let t = Instant::now();
                if call(channel.clone(), token.clone(), n).await {
                    latencies.push(t.elapsed());
                } else {
                    errors += 1;
                }
                n += 1;
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    Phase { name, calls: all.len(), errors, seconds: elapsed, latencies: all }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: f64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10.0);
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_aetherion"))
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--grpc-addr", &format!("127.0.0.1:{port}"), "--market-seed", "1", "--rest-addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("RUST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let first = loop {
        if let Ok(c) = Channel::from_shared(url.clone()).unwrap().connect().await {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut auth = AuthServiceClient::new(first);
    let mut channels = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..CLIENTS {
        let req = pb::RegisterRequest { email: format!("bench{i}@example.com"), password: "correct horse".into(), display_name: String::new() };
        tokens.push(auth.register(req).await.unwrap().into_inner().access_token);
        channels.push(Channel::from_shared(url.clone()).unwrap().connect().await.unwrap());
    }
    println!("{CLIENTS} concurrent clients, {seconds} s per phase, server: release build on SQLite (WAL, synchronous=FULL)");

    // Warm-up.
    phase("warm-up", &channels, &tokens, 1.0, |channel, token, _| async move {
        TradingServiceClient::new(channel).get_price(bearer(&token, pb::GetPriceRequest { symbol: "BTC-USD".into() })).await.is_ok()
    })
    .await;

    let cheapest = phase("GetPrice (cheapest)", &channels, &tokens, seconds, |channel, token, _| async move {
        TradingServiceClient::new(channel).get_price(bearer(&token, pb::GetPriceRequest { symbol: "BTC-USD".into() })).await.is_ok()
    })
    .await;
    let orders = phase("CreateOrder (durable)", &channels, &tokens, seconds, |channel, token, n| async move {
        let price = format!("{}", 10_000 + (n % 500));
        let req = pb::CreateOrderRequest {
            symbol: "BTC-USD".into(),
            side: pb::Side::Buy as i32,
            r#type: pb::OrderType::Limit as i32,
            quantity: "0.001".into(),
            price,
            ..Default::default()
        };
        OrderServiceClient::new(channel).create_order(bearer(&token, req)).await.is_ok()
    })
    .await;
    cheapest.print();
    orders.print();
    println!("CreateOrder / GetPrice throughput: {:.2}", orders.rate() / cheapest.rate());
    let _ = server.kill();
    let _ = server.wait();
}
