//! TradingService: symbols, administration, live market data, candles, momentum.

use std::collections::HashMap;
use std::time::Duration;

use aetherion_api::v1 as pb;
use aetherion_api::v1::trading_service_client::TradingServiceClient;
use aetherion_server::config::default_symbols;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{TestServer, bearer};

/// A server with the default symbols and a busy simulated market, an admin and a user.
async fn market() -> (TestServer, TradingServiceClient<Channel>, String, String) {
    let server = TestServer::start_with(|c| {
        c.default_symbols = default_symbols();
        c.market_rate = 40.0;
    })
    .await;
    let admin = server.register("admin@example.com").await.access_token;
    let user = server.register("user@example.com").await.access_token;
    let client = TradingServiceClient::new(server.channel().await);
    (server, client, admin, user)
}

fn add_request(symbol: &str) -> pb::AddSymbolRequest {
    pb::AddSymbolRequest {
        symbol: symbol.into(),
        tick_size: "0.01".into(),
        lot_size: "0.001".into(),
        min_notional: "1".into(),
        initial_price: "25.50".into(),
        maker_fee_rate: 0.0005,
        taker_fee_rate: 0.001,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_fresh_server_lists_live_default_symbols() {
    let (server, mut client, _, user) = market().await;
    let symbols = client.list_symbols(bearer(&user, pb::ListSymbolsRequest {})).await.unwrap().into_inner().symbols;
    let names: Vec<_> = symbols.iter().map(|s| s.symbol.as_str()).collect();
    assert_eq!(names, ["BTC-USD", "ETH-USD", "SOL-USD"]);
    let btc = &symbols[0];
    assert_eq!((btc.base_asset.as_str(), btc.quote_asset.as_str(), btc.tick_size.as_str()), ("BTC", "USD", "0.01"));
    assert_eq!(btc.status, pb::SymbolStatus::Trading as i32);
    assert!(!btc.last_price.is_empty());

    let price = client.get_price(bearer(&user, pb::GetPriceRequest { symbol: "BTC-USD".into() })).await.unwrap().into_inner();
    let bid: f64 = price.best_bid.parse().unwrap();
    let ask: f64 = price.best_ask.parse().unwrap();
    assert!(bid < ask, "{bid} < {ask}");
    assert!(price.volume_24h.parse::<f64>().unwrap() > 0.0, "a day of generated history");

    let err = client.get_price(bearer(&user, pb::GetPriceRequest { symbol: "NOPE-USD".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = client.get_price(bearer(&user, pb::GetPriceRequest { symbol: " ".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn ticks_arrive_in_sequence_and_books_and_prices_move() {
    let (server, mut client, _, user) = market().await;
    let mut ticks = client.subscribe_ticks(bearer(&user, pb::SubscribeTicksRequest::default())).await.unwrap().into_inner();
    let mut last_seq: HashMap<String, u64> = HashMap::new();
    for _ in 0..60 {
        let tick = tokio::time::timeout(Duration::from_secs(5), ticks.message()).await.unwrap().unwrap().unwrap();
        if let Some(prev) = last_seq.get(&tick.symbol) {
            assert_eq!(tick.sequence, prev + 1, "no trade skipped for {}", tick.symbol);
        }
        assert!(tick.price.parse::<f64>().unwrap() > 0.0 && tick.quantity.parse::<f64>().unwrap() > 0.0);
        last_seq.insert(tick.symbol.clone(), tick.sequence);
    }
    assert_eq!(last_seq.len(), 3, "every symbol trades: {last_seq:?}");

    let request = pb::StreamOrderBookRequest { symbol: "ETH-USD".into(), depth: 3 };
    let mut books = client.stream_order_book(bearer(&user, request)).await.unwrap().into_inner();
    let first = books.message().await.unwrap().unwrap();
    assert!(first.bids.len() == 3 && first.asks.len() == 3, "{first:?}");
    let best_bid: f64 = first.bids[0].price.parse().unwrap();
    let best_ask: f64 = first.asks[0].price.parse().unwrap();
    assert!(best_bid < best_ask);
    assert!(first.bids[0].price.parse::<f64>().unwrap() > first.bids[1].price.parse::<f64>().unwrap(), "bids best first");
    let second = tokio::time::timeout(Duration::from_secs(5), books.message()).await.unwrap().unwrap().unwrap();
    assert!(second.sequence > first.sequence);

    let mut prices = client.stream_price(bearer(&user, pb::StreamPriceRequest { symbols: vec!["SOL-USD".into()] })).await.unwrap().into_inner();
    let a = prices.message().await.unwrap().unwrap();
    let b = tokio::time::timeout(Duration::from_secs(5), prices.message()).await.unwrap().unwrap().unwrap();
    assert_eq!((a.symbol.as_str(), b.symbol.as_str()), ("SOL-USD", "SOL-USD"));
    assert!(b.timestamp.unwrap().seconds * 1_000_000_000 + i64::from(b.timestamp.unwrap().nanos)
        > a.timestamp.unwrap().seconds * 1_000_000_000 + i64::from(a.timestamp.unwrap().nanos));

    let err = client
        .stream_order_book(bearer(&user, pb::StreamOrderBookRequest { symbol: "ETH-USD".into(), depth: -1 }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = client.subscribe_ticks(bearer(&user, pb::SubscribeTicksRequest { symbols: vec!["XXX-USD".into()] })).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn a_tick_reader_that_falls_behind_is_cut_off_with_a_clear_status() {
    let server = TestServer::start_with(|c| {
        c.default_symbols = default_symbols();
        c.market_rate = 200.0;
        c.tick_buffer = 8;
    })
    .await;
    let user = server.register("user@example.com").await.access_token;
    // Tiny HTTP/2 windows, so that a client that does not read pushes back on the server.
    let channel = Channel::from_shared(server.url())
        .unwrap()
        .initial_stream_window_size(Some(1024))
        .initial_connection_window_size(Some(1024))
        .connect()
        .await
        .unwrap();
    let mut client = TradingServiceClient::new(channel);
    let mut ticks = client.subscribe_ticks(bearer(&user, pb::SubscribeTicksRequest::default())).await.unwrap().into_inner();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut delivered = 0;
    let status = loop {
        match tokio::time::timeout(Duration::from_secs(10), ticks.message()).await.unwrap() {
            Ok(Some(_)) => delivered += 1,
            Ok(None) => panic!("the stream ended without saying why"),
            Err(status) => break status,
        }
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?} after {delivered} ticks");
    assert!(status.message().contains("sequence"), "{}", status.message());

    // The market did not wait for the slow reader, and other readers are served.
    let mut other = TradingServiceClient::new(server.channel().await);
    let price = other.get_price(bearer(&user, pb::GetPriceRequest { symbol: "BTC-USD".into() })).await.unwrap();
    assert!(!price.into_inner().last_price.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn admins_add_and_remove_symbols_and_users_cannot() {
    let (server, mut client, admin, user) = market().await;

    let err = client.add_symbol(bearer(&user, add_request("DOGE-USD"))).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = client.remove_symbol(bearer(&user, pb::RemoveSymbolRequest { symbol: "BTC-USD".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    let bad = [
        (pb::AddSymbolRequest { symbol: "doge".into(), ..add_request("") }, "symbol"),
        (pb::AddSymbolRequest { tick_size: "0".into(), ..add_request("DOGE-USD") }, "tick_size"),
        (pb::AddSymbolRequest { tick_size: "abc".into(), ..add_request("DOGE-USD") }, "tick_size"),
        (pb::AddSymbolRequest { lot_size: "-1".into(), ..add_request("DOGE-USD") }, "lot_size"),
        (pb::AddSymbolRequest { initial_price: "25.505".into(), ..add_request("DOGE-USD") }, "initial_price"),
        (pb::AddSymbolRequest { maker_fee_rate: f64::NAN, ..add_request("DOGE-USD") }, "maker_fee_rate"),
        (pb::AddSymbolRequest { taker_fee_rate: 1.5, ..add_request("DOGE-USD") }, "taker_fee_rate"),
        (pb::AddSymbolRequest { base_asset: "XRP".into(), ..add_request("DOGE-USD") }, "base_asset"),
        (pb::AddSymbolRequest { tick_size: "0.00001".into(), lot_size: "0.0001".into(), ..add_request("DOGE-USD") }, "lot_size"),
    ];
    for (request, field) in bad {
        let err = client.add_symbol(bearer(&admin, request)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{field}");
        assert!(err.message().starts_with(field), "{field}: {}", err.message());
    }
    let listed = client.list_symbols(bearer(&user, pb::ListSymbolsRequest {})).await.unwrap().into_inner().symbols;
    assert_eq!(listed.len(), 3, "rejected requests changed nothing");

    let info = client.add_symbol(bearer(&admin, add_request("DOGE-USD"))).await.unwrap().into_inner();
    assert_eq!((info.symbol.as_str(), info.base_asset.as_str(), info.last_price.as_str()), ("DOGE-USD", "DOGE", "25.5"));
    assert_eq!(info.maker_fee_rate, 0.0005);
    let err = client.add_symbol(bearer(&admin, add_request("DOGE-USD"))).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    // The new symbol has a week of history at once, and trades.
    let week = pb::GetCandlesRequest {
        symbol: "DOGE-USD".into(),
        interval: pb::CandleInterval::CandleInterval1d as i32,
        limit: 10,
        ..Default::default()
    };
    let days = client.get_candles(bearer(&user, week)).await.unwrap().into_inner().candles;
    assert!(days.len() >= 7, "{} daily candles", days.len());
    let mut ticks = client
        .subscribe_ticks(bearer(&user, pb::SubscribeTicksRequest { symbols: vec!["DOGE-USD".into()] }))
        .await
        .unwrap()
        .into_inner();
    tokio::time::timeout(Duration::from_secs(5), ticks.message()).await.unwrap().unwrap().unwrap();

    let removed = client.remove_symbol(bearer(&admin, pb::RemoveSymbolRequest { symbol: "DOGE-USD".into() })).await.unwrap().into_inner();
    assert!(removed.canceled_orders > 0, "the simulated quotes were canceled");
    let listed = client.list_symbols(bearer(&user, pb::ListSymbolsRequest {})).await.unwrap().into_inner().symbols;
    let doge = listed.iter().find(|s| s.symbol == "DOGE-USD").unwrap();
    assert_eq!(doge.status, pb::SymbolStatus::Halted as i32);
    let book = client
        .stream_order_book(bearer(&user, pb::StreamOrderBookRequest { symbol: "DOGE-USD".into(), depth: 5 }))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap();
    assert!(book.bids.is_empty() && book.asks.is_empty());
    let err = client.remove_symbol(bearer(&admin, pb::RemoveSymbolRequest { symbol: "DOGE-USD".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    // A halted symbol takes no orders.
    let mut orders = aetherion_api::v1::order_service_client::OrderServiceClient::new(server.channel().await);
    let buy = pb::CreateOrderRequest {
        symbol: "DOGE-USD".into(),
        side: pb::Side::Buy as i32,
        r#type: pb::OrderType::Limit as i32,
        quantity: "1".into(),
        price: "25".into(),
        ..Default::default()
    };
    let err = orders.create_order(bearer(&user, buy)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{}", err.message());
    assert!(err.message().contains("halted"));
    let err = client.remove_symbol(bearer(&admin, pb::RemoveSymbolRequest { symbol: "NOPE-USD".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // History is kept.
    let days = client
        .get_candles(bearer(&user, pb::GetCandlesRequest { symbol: "DOGE-USD".into(), limit: 5, ..Default::default() }))
        .await
        .unwrap()
        .into_inner()
        .candles;
    assert_eq!(days.len(), 5);
    server.stop().await;
}

#[tokio::test]
async fn candles_and_momentum() {
    let (server, mut client, _, user) = market().await;
    let minute = pb::GetCandlesRequest { symbol: "BTC-USD".into(), limit: 30, ..Default::default() };
    let minutes = client.get_candles(bearer(&user, minute)).await.unwrap().into_inner().candles;
    assert_eq!(minutes.len(), 30);
    for w in minutes.windows(2) {
        assert_eq!(w[1].open_time.unwrap().seconds - w[0].open_time.unwrap().seconds, 60);
    }
    let hourly = pb::GetCandlesRequest {
        symbol: "BTC-USD".into(),
        interval: pb::CandleInterval::CandleInterval1h as i32,
        limit: 24,
        ..Default::default()
    };
    let hours = client.get_candles(bearer(&user, hourly)).await.unwrap().into_inner().candles;
    assert_eq!(hours.len(), 24);
    for c in &hours {
        assert_eq!(c.open_time.unwrap().seconds % 3600, 0, "aligned to the hour");
        let (o, h, l, cl): (f64, f64, f64, f64) = (c.open.parse().unwrap(), c.high.parse().unwrap(), c.low.parse().unwrap(), c.close.parse().unwrap());
        assert!(l <= o.min(cl) && h >= o.max(cl));
    }
    // A window by time: the first three minutes from a start time.
    let start = minutes[10].open_time.unwrap();
    let window = pb::GetCandlesRequest { symbol: "BTC-USD".into(), start_time: Some(start), limit: 3, ..Default::default() };
    let got = client.get_candles(bearer(&user, window)).await.unwrap().into_inner().candles;
    assert_eq!(got.iter().map(|c| c.open_time.unwrap().seconds).collect::<Vec<_>>(), (10..13).map(|i| minutes[i].open_time.unwrap().seconds).collect::<Vec<_>>());

    let bad = pb::GetCandlesRequest { symbol: "BTC-USD".into(), interval: 99, ..Default::default() };
    assert_eq!(client.get_candles(bearer(&user, bad)).await.unwrap_err().code(), Code::InvalidArgument);
    let bad = pb::GetCandlesRequest {
        symbol: "BTC-USD".into(),
        start_time: Some(prost_types::Timestamp { seconds: 100, nanos: 0 }),
        end_time: Some(prost_types::Timestamp { seconds: 50, nanos: 0 }),
        ..Default::default()
    };
    assert_eq!(client.get_candles(bearer(&user, bad)).await.unwrap_err().code(), Code::InvalidArgument);
    let bad = pb::GetCandlesRequest { symbol: "BTC-USD".into(), limit: -1, ..Default::default() };
    assert_eq!(client.get_candles(bearer(&user, bad)).await.unwrap_err().code(), Code::InvalidArgument);

    let metrics = client.get_momentum(bearer(&user, pb::GetMomentumRequest::default())).await.unwrap().into_inner().metrics;
    assert_eq!(metrics.iter().map(|m| m.rank).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(metrics.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(metrics.iter().all(|m| m.volatility > 0.05 && m.volatility < 10.0), "{metrics:?}");
    let err = client.get_momentum(bearer(&user, pb::GetMomentumRequest { symbols: vec!["NOPE".into()] })).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn symbols_and_history_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |c| c.default_symbols = default_symbols()).await;
    let admin = server.register("admin@example.com").await.access_token;
    let mut client = TradingServiceClient::new(server.channel().await);
    client.add_symbol(bearer(&admin, add_request("DOGE-USD"))).await.unwrap();
    client.remove_symbol(bearer(&admin, pb::RemoveSymbolRequest { symbol: "SOL-USD".into() })).await.unwrap();
    let before = client.get_price(bearer(&admin, pb::GetPriceRequest { symbol: "BTC-USD".into() })).await.unwrap().into_inner();
    server.stop().await;

    let server = TestServer::start_in(dir.path(), |c| c.default_symbols = default_symbols()).await;
    let mut client = TradingServiceClient::new(server.channel().await);
    let symbols = client.list_symbols(bearer(&admin, pb::ListSymbolsRequest {})).await.unwrap().into_inner().symbols;
    let state: Vec<_> = symbols.iter().map(|s| (s.symbol.as_str(), s.status)).collect();
    let (trading, halted) = (pb::SymbolStatus::Trading as i32, pb::SymbolStatus::Halted as i32);
    assert_eq!(state, [("BTC-USD", trading), ("DOGE-USD", trading), ("ETH-USD", trading), ("SOL-USD", halted)]);
    // The market continues from where it stopped.
    let after = client.get_price(bearer(&admin, pb::GetPriceRequest { symbol: "BTC-USD".into() })).await.unwrap().into_inner();
    let (b, a): (f64, f64) = (before.last_price.parse().unwrap(), after.last_price.parse().unwrap());
    assert!((a / b - 1.0).abs() < 0.02, "{b} -> {a}");
    server.stop().await;
}
