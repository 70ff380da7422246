//! OrderService and PortfolioService over gRPC against the live simulated market.

use std::collections::HashMap;
use std::time::Duration;

use aetherion_api::v1 as pb;
use aetherion_api::v1::order_service_client::OrderServiceClient;
use aetherion_api::v1::portfolio_service_client::PortfolioServiceClient;
use aetherion_api::v1::trading_service_client::TradingServiceClient;
use aetherion_model::Amount;
use aetherion_server::config::default_symbols;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{TestServer, bearer};

pub struct Trader {
    pub token: String,
    pub orders: OrderServiceClient<Channel>,
    pub portfolio: PortfolioServiceClient<Channel>,
    pub trading: TradingServiceClient<Channel>,
}

impl Trader {
    pub async fn new(server: &TestServer, email: &str) -> Trader {
        let token = server.register(email).await.access_token;
        let channel = server.channel().await;
        Trader {
            token,
            orders: OrderServiceClient::new(channel.clone()),
            portfolio: PortfolioServiceClient::new(channel.clone()),
            trading: TradingServiceClient::new(channel),
        }
    }

    pub async fn place(&mut self, req: pb::CreateOrderRequest) -> Result<pb::Order, tonic::Status> {
        self.orders.create_order(bearer(&self.token, req)).await.map(|r| r.into_inner())
    }

    pub async fn get(&mut self, order_id: &str) -> pb::Order {
        self.orders.get_order(bearer(&self.token, pb::GetOrderRequest { order_id: order_id.into() })).await.unwrap().into_inner()
    }

    pub async fn cancel(&mut self, order_id: &str) -> Result<pb::Order, tonic::Status> {
        self.orders.cancel_order(bearer(&self.token, pb::CancelOrderRequest { order_id: order_id.into() })).await.map(|r| r.into_inner())
    }

    pub async fn portfolio(&mut self) -> pb::Portfolio {
        self.portfolio.get_portfolio(bearer(&self.token, pb::GetPortfolioRequest {})).await.unwrap().into_inner()
    }

    pub async fn price(&mut self, symbol: &str) -> pb::PriceUpdate {
        self.trading.get_price(bearer(&self.token, pb::GetPriceRequest { symbol: symbol.into() })).await.unwrap().into_inner()
    }

    /// Every fill of the trader, following the pages.
    pub async fn all_trades(&mut self) -> Vec<pb::Trade> {
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let req = pb::GetTradeHistoryRequest { page_size: 7, page_token: page_token.clone(), ..Default::default() };
            let page = self.orders.get_trade_history(bearer(&self.token, req)).await.unwrap().into_inner();
            out.extend(page.trades);
            if page.next_page_token.is_empty() {
                return out;
            }
            page_token = page.next_page_token;
        }
    }
}

pub fn a(s: &str) -> Amount {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

pub fn order(symbol: &str, side: pb::Side, kind: pb::OrderType, quantity: &str) -> pb::CreateOrderRequest {
    pb::CreateOrderRequest { symbol: symbol.into(), side: side as i32, r#type: kind as i32, quantity: quantity.into(), ..Default::default() }
}

pub fn limit(side: pb::Side, quantity: &str, price: &str) -> pb::CreateOrderRequest {
    pb::CreateOrderRequest { price: price.into(), ..order("BTC-USD", side, pb::OrderType::Limit, quantity) }
}

/// A price `ticks` cents away from `price` (BTC-USD's tick is 0.01).
pub fn cents(price: &str, ticks: i64) -> String {
    Amount::from_raw(a(price).raw() + ticks * 1_000_000).to_string()
}

pub async fn market_server() -> TestServer {
    TestServer::start_with(|c| {
        c.default_symbols = default_symbols();
        c.market_rate = 40.0;
    })
    .await
}

fn balance(p: &pb::Portfolio, asset: &str) -> Amount {
    p.balances.iter().find(|b| b.asset == asset).map_or(Amount::ZERO, |b| a(&b.total))
}

fn reserved(p: &pb::Portfolio, asset: &str) -> Amount {
    p.balances.iter().find(|b| b.asset == asset).map_or(Amount::ZERO, |b| a(&b.reserved))
}

#[tokio::test]
async fn every_order_type_against_the_live_market() {
    let server = market_server().await;
    let mut t = Trader::new(&server, "ada@example.com").await;
    let start = t.portfolio().await;
    assert_eq!((start.cash.as_str(), start.equity.as_str(), start.quote_asset.as_str()), ("100000", "100000", "USD"));

    // Market buy: fills at once against the simulated liquidity.
    let bought = t.place(order("BTC-USD", pb::Side::Buy, pb::OrderType::Market, "0.05")).await.unwrap();
    assert_eq!(bought.status, pb::OrderStatus::Filled as i32, "{bought:?}");
    assert_eq!(bought.filled_quantity, "0.05");
    let avg = a(&bought.average_fill_price);
    assert!(avg.is_positive() && a(&bought.fees).is_positive());
    let p = t.portfolio().await;
    assert_eq!(balance(&p, "BTC"), a("0.05"));
    assert_eq!(p.positions.len(), 1);
    assert_eq!(p.positions[0].quantity, "0.05");

    // A limit buy far below the market rests and holds funds; cancel gives them back.
    let resting = t.place(limit(pb::Side::Buy, "0.1", "1000")).await.unwrap();
    assert_eq!(resting.status, pb::OrderStatus::New as i32);
    assert_eq!(reserved(&t.portfolio().await, "USD"), a("100.2"), "0.1 x 1000 + 0.2% fee");
    let open = t.orders.list_orders(bearer(&t.token, pb::ListOrdersRequest { open_only: true, ..Default::default() })).await.unwrap().into_inner().orders;
    assert_eq!(open.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(), [resting.order_id.as_str()]);
    let canceled = t.cancel(&resting.order_id).await.unwrap();
    assert_eq!(canceled.status, pb::OrderStatus::Canceled as i32);
    assert_eq!(reserved(&t.portfolio().await, "USD"), a("0"));
    assert_eq!(t.cancel(&resting.order_id).await.unwrap_err().code(), Code::FailedPrecondition);

    // IOC that cannot fill expires; FOK larger than the book expires with nothing filled.
    let ioc = t.place(pb::CreateOrderRequest { time_in_force: pb::TimeInForce::Ioc as i32, ..limit(pb::Side::Buy, "0.1", "1000") }).await.unwrap();
    assert_eq!((ioc.status, ioc.filled_quantity.as_str()), (pb::OrderStatus::Expired as i32, "0"));
    let ask = t.price("BTC-USD").await.best_ask;
    let fok = pb::CreateOrderRequest { time_in_force: pb::TimeInForce::Fok as i32, ..limit(pb::Side::Buy, "1.5", &ask) };
    let fok = t.place(fok).await.unwrap();
    assert_eq!((fok.status, fok.filled_quantity.as_str()), (pb::OrderStatus::Expired as i32, "0"), "the top ask is smaller than 1.5 BTC");

    // Stops wait for their trigger.
    let stop = t.place(pb::CreateOrderRequest { stop_price: "1000".into(), ..order("BTC-USD", pb::Side::Sell, pb::OrderType::Stop, "0.01") }).await.unwrap();
    assert_eq!(stop.status, pb::OrderStatus::New as i32);
    let stop_limit = pb::CreateOrderRequest { stop_price: "1000000".into(), price: "1000001".into(), ..order("BTC-USD", pb::Side::Buy, pb::OrderType::StopLimit, "0.001") };
    let stop_limit = t.place(stop_limit).await.unwrap();
    assert_eq!(stop_limit.status, pb::OrderStatus::New as i32);
    assert_eq!(t.cancel(&stop.order_id).await.unwrap().status, pb::OrderStatus::Canceled as i32);
    assert_eq!(t.cancel(&stop_limit.order_id).await.unwrap().status, pb::OrderStatus::Canceled as i32);

    // A stop that is already through the last trade price triggers at once and fills.
    let last = t.price("BTC-USD").await.last_price;
    let through = pb::CreateOrderRequest { stop_price: cents(&last, 100_000), ..order("BTC-USD", pb::Side::Sell, pb::OrderType::Stop, "0.01") };
    let through = t.place(through).await.unwrap();
    assert_eq!(through.status, pb::OrderStatus::Filled as i32, "{through:?}");

    // A limit buy at the top of the book rests and fills as simulated takers sell into it.
    let bid = t.price("BTC-USD").await.best_bid;
    let top = t.place(limit(pb::Side::Buy, "0.001", &cents(&bid, 1))).await.unwrap();
    let mut status = top.status;
    for _ in 0..100 {
        if status == pb::OrderStatus::Filled as i32 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = t.get(&top.order_id).await.status;
    }
    assert_eq!(status, pb::OrderStatus::Filled as i32, "the market traded against the resting order");
    let filled = t.get(&top.order_id).await;
    assert_eq!(filled.average_fill_price, cents(&bid, 1), "a maker fills at its own price");

    // Sell everything: the position closes with realized PnL.
    let held = t.portfolio().await.positions[0].quantity.clone();
    let sold = t.place(order("BTC-USD", pb::Side::Sell, pb::OrderType::Market, &held)).await.unwrap();
    assert_eq!(sold.status, pb::OrderStatus::Filled as i32);
    let end = t.portfolio().await;
    assert!(end.positions.is_empty(), "{end:?}");
    assert_eq!(balance(&end, "BTC"), a("0"));
    assert!(a(&end.fees_paid).is_positive());

    let trades = t.all_trades().await;
    assert_eq!(trades.iter().filter(|t| t.liquidity == pb::Liquidity::Maker as i32).count(), 1, "the resting buy was a maker");
    server.stop().await;
}

#[tokio::test]
async fn malformed_and_unfundable_orders_are_refused_and_change_nothing() {
    let server = market_server().await;
    let mut t = Trader::new(&server, "ada@example.com").await;
    let before = t.portfolio().await;
    let market = |q: &str| order("BTC-USD", pb::Side::Buy, pb::OrderType::Market, q);
    let cases: Vec<(pb::CreateOrderRequest, Code, &str)> = vec![
        (pb::CreateOrderRequest { side: 0, ..market("0.01") }, Code::InvalidArgument, "side"),
        (pb::CreateOrderRequest { r#type: 0, ..market("0.01") }, Code::InvalidArgument, "type"),
        (market(""), Code::InvalidArgument, "quantity"),
        (market("abc"), Code::InvalidArgument, "quantity"),
        (market("NaN"), Code::InvalidArgument, "quantity"),
        (market("1e3"), Code::InvalidArgument, "quantity"),
        (market("-1"), Code::InvalidArgument, "quantity"),
        (market("0.000001"), Code::InvalidArgument, "quantity"),
        (market("99999999999999999999"), Code::InvalidArgument, "quantity"),
        (pb::CreateOrderRequest { price: "100".into(), ..market("0.01") }, Code::InvalidArgument, "price"),
        (limit(pb::Side::Buy, "0.01", ""), Code::InvalidArgument, "price"),
        (limit(pb::Side::Buy, "0.01", "100.001"), Code::InvalidArgument, "price"),
        (pb::CreateOrderRequest { stop_price: "5".into(), ..limit(pb::Side::Buy, "0.01", "100") }, Code::InvalidArgument, "stop_price"),
        (order("BTC-USD", pb::Side::Sell, pb::OrderType::Stop, "0.01"), Code::InvalidArgument, "stop_price"),
        (pb::CreateOrderRequest { post_only: true, ..market("0.01") }, Code::InvalidArgument, "post_only"),
        (pb::CreateOrderRequest { time_in_force: 9, ..market("0.01") }, Code::InvalidArgument, "time_in_force"),
        (pb::CreateOrderRequest { client_order_id: "x".repeat(65), ..market("0.01") }, Code::InvalidArgument, "client_order_id"),
        (limit(pb::Side::Buy, "0.0001", "1000"), Code::InvalidArgument, "quantity"),
        (pb::CreateOrderRequest { symbol: "NOPE-USD".into(), ..market("0.01") }, Code::NotFound, ""),
        (market("5"), Code::FailedPrecondition, ""),
        (order("BTC-USD", pb::Side::Sell, pb::OrderType::Market, "0.01"), Code::FailedPrecondition, ""),
        (limit(pb::Side::Buy, "2", "60000"), Code::FailedPrecondition, ""),
    ];
    for (request, code, field) in cases {
        let err = t.place(request.clone()).await.unwrap_err();
        assert_eq!(err.code(), code, "{request:?}: {}", err.message());
        assert!(err.message().starts_with(field), "{field}: {}", err.message());
    }
    // Post-only that would take.
    let ask = t.price("BTC-USD").await.best_ask;
    let post = pb::CreateOrderRequest { post_only: true, ..limit(pb::Side::Buy, "0.001", &ask) };
    assert_eq!(t.place(post).await.unwrap_err().code(), Code::FailedPrecondition);

    let after = t.portfolio().await;
    assert_eq!((before.cash, before.balances), (after.cash, after.balances));
    let listed = t.orders.list_orders(bearer(&t.token, pb::ListOrdersRequest::default())).await.unwrap().into_inner().orders;
    assert!(listed.is_empty(), "no refused order was stored: {listed:?}");
    for (req, field) in [
        (pb::ListOrdersRequest { page_size: -1, ..Default::default() }, "page_size"),
        (pb::ListOrdersRequest { page_token: "garbage".into(), ..Default::default() }, "page_token"),
    ] {
        let err = t.orders.list_orders(bearer(&t.token, req)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(err.message().starts_with(field));
    }
    assert_eq!(t.cancel("").await.unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(t.cancel("no-such-order").await.unwrap_err().code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn client_order_ids_make_retries_safe() {
    let server = market_server().await;
    let mut t = Trader::new(&server, "ada@example.com").await;
    let req = pb::CreateOrderRequest { client_order_id: "my-order-1".into(), ..limit(pb::Side::Buy, "0.01", "1000") };
    let first = t.place(req.clone()).await.unwrap();
    let retry = t.place(req.clone()).await.unwrap();
    assert_eq!(first.order_id, retry.order_id);
    let other = pb::CreateOrderRequest { price: "1001".into(), ..req.clone() };
    assert_eq!(t.place(other).await.unwrap_err().code(), Code::AlreadyExists);

    // Concurrent duplicates: one order.
    let req = pb::CreateOrderRequest { client_order_id: "burst".into(), ..limit(pb::Side::Buy, "0.01", "1000") };
    let mut calls = Vec::new();
    for _ in 0..8 {
        let mut orders = t.orders.clone();
        let (token, req) = (t.token.clone(), req.clone());
        calls.push(tokio::spawn(async move { orders.create_order(bearer(&token, req)).await.unwrap().into_inner().order_id }));
    }
    let mut ids = Vec::new();
    for call in calls {
        ids.push(call.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let all = t.orders.list_orders(bearer(&t.token, pb::ListOrdersRequest::default())).await.unwrap().into_inner().orders;
    assert_eq!(all.len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn users_never_see_or_touch_each_others_orders() {
    let server = market_server().await;
    let mut ada = Trader::new(&server, "ada@example.com").await;
    let mut bob = Trader::new(&server, "bob@example.com").await;
    let mine = ada.place(limit(pb::Side::Buy, "0.01", "1000")).await.unwrap();
    ada.place(order("BTC-USD", pb::Side::Buy, pb::OrderType::Market, "0.01")).await.unwrap();

    let err = bob.orders.get_order(bearer(&bob.token, pb::GetOrderRequest { order_id: mine.order_id.clone() })).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(bob.cancel(&mine.order_id).await.unwrap_err().code(), Code::NotFound);
    assert!(bob.orders.list_orders(bearer(&bob.token, pb::ListOrdersRequest::default())).await.unwrap().into_inner().orders.is_empty());
    assert!(bob.all_trades().await.is_empty());
    assert_eq!(bob.portfolio().await.cash, "100000");
    assert_eq!(ada.get(&mine.order_id).await.status, pb::OrderStatus::New as i32, "bob's cancel changed nothing");
    server.stop().await;
}

/// Checks the money invariant of one trader from its own fills, exactly.
pub async fn assert_books_balance(t: &mut Trader) {
    let trades = t.all_trades().await;
    let mut usd = a("100000");
    let mut btc: HashMap<String, Amount> = HashMap::new();
    for tr in &trades {
        let (price, qty, fee) = (a(&tr.price), a(&tr.quantity), a(&tr.fee));
        let notional = Amount::from_raw((i128::from(price.raw()) * i128::from(qty.raw()) / i128::from(Amount::SCALE)) as i64);
        let base = tr.symbol.split('-').next().unwrap().to_owned();
        let held = btc.entry(base).or_default();
        if tr.side == pb::Side::Buy as i32 {
            usd = usd.checked_sub(notional).unwrap();
            *held = held.checked_add(qty).unwrap();
        } else {
            usd = usd.checked_add(notional).unwrap();
            *held = held.checked_sub(qty).unwrap();
        }
        usd = usd.checked_sub(fee).unwrap();
    }
    let p = t.portfolio().await;
    assert_eq!(balance(&p, "USD"), usd, "USD: free + reserved = deposits - bought + sold - fees");
    for (asset, qty) in btc {
        assert_eq!(balance(&p, &asset), qty, "{asset}");
    }
    let fees: Amount = trades.iter().map(|t| a(&t.fee)).fold(Amount::ZERO, |x, y| x.checked_add(y).unwrap());
    assert_eq!(a(&p.fees_paid), fees);
}

#[tokio::test]
async fn money_is_conserved_to_the_last_unit_across_many_users() {
    let server = market_server().await;
    let mut traders = Vec::new();
    for i in 0..4 {
        traders.push(Trader::new(&server, &format!("user{i}@example.com")).await);
    }
    // A seeded mix of market, limit (some crossing, some resting), IOC orders and cancels.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut open: Vec<(usize, String)> = Vec::new();
    for _ in 0..160 {
        let who = next(4) as usize;
        let t = &mut traders[who];
        let mid = a(&t.price("BTC-USD").await.last_price);
        let side = if next(2) == 0 { pb::Side::Buy } else { pb::Side::Sell };
        let qty = format!("0.00{}", 1 + next(9));
        let offset = next(41) as i64 - 20; // -20..20 dollars around the last price
        let price = Amount::from_raw((mid.raw() / 1_000_000 + offset * 100) * 1_000_000).to_string();
        let result = match next(5) {
            0 => t.place(order("BTC-USD", side, pb::OrderType::Market, &qty)).await,
            1 => t.place(pb::CreateOrderRequest { time_in_force: pb::TimeInForce::Ioc as i32, ..limit(side, &qty, &price) }).await,
            2 if !open.is_empty() => {
                let (owner, id) = open.swap_remove(next(open.len() as u64) as usize);
                let _ = traders[owner].cancel(&id).await;
                continue;
            }
            _ => t.place(limit(side, &qty, &price)).await,
        };
        if let Ok(o) = result
            && o.status == pb::OrderStatus::New as i32
        {
            open.push((who, o.order_id));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for t in &mut traders {
        assert_books_balance(t).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn portfolio_streams_and_performance_history() {
    let server = market_server().await;
    let mut t = Trader::new(&server, "ada@example.com").await;
    let mut stream = t.portfolio.stream_portfolio(bearer(&t.token, pb::StreamPortfolioRequest {})).await.unwrap().into_inner();
    let first = stream.message().await.unwrap().unwrap();
    assert_eq!(first.cash, "100000");
    t.place(order("BTC-USD", pb::Side::Buy, pb::OrderType::Market, "0.02")).await.unwrap();
    let mut saw_position = false;
    for _ in 0..5 {
        let p = tokio::time::timeout(Duration::from_secs(5), stream.message()).await.unwrap().unwrap().unwrap();
        if !p.positions.is_empty() {
            assert_eq!(p.positions[0].quantity, "0.02");
            saw_position = true;
            break;
        }
    }
    assert!(saw_position);

    let req = pb::GetPerformanceHistoryRequest { interval_seconds: 60, ..Default::default() };
    let history = t.portfolio.get_performance_history(bearer(&t.token, req)).await.unwrap().into_inner();
    assert!(!history.points.is_empty(), "an equity point is stored at each fill");
    for (req, field) in [
        (pb::GetPerformanceHistoryRequest { interval_seconds: 30, ..Default::default() }, "interval_seconds"),
        (pb::GetPerformanceHistoryRequest { interval_seconds: 60, start_time: Some(prost_types::Timestamp { seconds: 0, nanos: 0 }), ..Default::default() }, "interval_seconds"),
        (
            pb::GetPerformanceHistoryRequest {
                start_time: Some(prost_types::Timestamp { seconds: 200, nanos: 0 }),
                end_time: Some(prost_types::Timestamp { seconds: 100, nanos: 0 }),
                ..Default::default()
            },
            "start_time",
        ),
    ] {
        let err = t.portfolio.get_performance_history(bearer(&t.token, req)).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(err.message().starts_with(field), "{}", err.message());
    }
    server.stop().await;
}

#[tokio::test]
async fn open_orders_and_balances_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(dir.path(), |c| {
        c.default_symbols = default_symbols();
        c.market_rate = 0.0;
    })
    .await;
    let mut t = Trader::new(&server, "ada@example.com").await;
    t.place(order("BTC-USD", pb::Side::Buy, pb::OrderType::Market, "0.03")).await.unwrap();
    let first = t.place(limit(pb::Side::Buy, "0.01", "1000")).await.unwrap();
    let second = t.place(limit(pb::Side::Sell, "0.01", "900000")).await.unwrap();
    let before = t.portfolio().await;
    server.stop().await;

    let server = TestServer::start_in(dir.path(), |c| {
        c.default_symbols = default_symbols();
        c.market_rate = 0.0;
    })
    .await;
    let channel = server.channel().await;
    t.orders = OrderServiceClient::new(channel.clone());
    t.portfolio = PortfolioServiceClient::new(channel.clone());
    t.trading = TradingServiceClient::new(channel);
    let after = t.portfolio().await;
    assert_eq!((before.balances, before.cash, before.fees_paid), (after.balances, after.cash, after.fees_paid));
    let open = t.orders.list_orders(bearer(&t.token, pb::ListOrdersRequest { open_only: true, ..Default::default() })).await.unwrap().into_inner().orders;
    assert_eq!(open.len(), 2);
    // The orders are back in the book: the book shows them, and they can be canceled.
    let book = t
        .trading
        .stream_order_book(bearer(&t.token, pb::StreamOrderBookRequest { symbol: "BTC-USD".into(), depth: 1000 }))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap();
    assert!(book.bids.iter().any(|l| l.price == "1000"), "{:?}", book.bids);
    assert!(book.asks.iter().any(|l| l.price == "900000"));
    assert_eq!(t.cancel(&first.order_id).await.unwrap().status, pb::OrderStatus::Canceled as i32);
    assert_eq!(t.cancel(&second.order_id).await.unwrap().status, pb::OrderStatus::Canceled as i32);
    assert_books_balance(&mut t).await;
    server.stop().await;
}

#[tokio::test]
async fn orders_and_portfolio_on_postgresql() {
    let db = aetherion_store::testing::TestDatabase::create_postgres().await.unwrap();
    let url = db.url.clone();
    let server = TestServer::start_with(|c| {
        c.database_url = Some(url);
        c.default_symbols = default_symbols();
        c.market_rate = 40.0;
    })
    .await;
    let mut t = Trader::new(&server, "pg@example.com").await;
    let bought = t.place(order("BTC-USD", pb::Side::Buy, pb::OrderType::Market, "0.02")).await.unwrap();
    assert_eq!(bought.status, pb::OrderStatus::Filled as i32);
    let resting = t.place(limit(pb::Side::Buy, "0.01", "1000")).await.unwrap();
    t.cancel(&resting.order_id).await.unwrap();
    t.place(order("BTC-USD", pb::Side::Sell, pb::OrderType::Market, "0.01")).await.unwrap();
    assert_books_balance(&mut t).await;
    server.stop().await;
    db.drop_database().await.unwrap();
}
