//! Durability with the real binary: orders acknowledged before a `kill -9` are all there
//! after a restart, open orders are back in their books, balances match the fills, and a
//! running bot runs again with its books intact.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aetherion_api::v1 as pb;
use aetherion_api::v1::auth_service_client::AuthServiceClient;
use aetherion_api::v1::bot_service_client::BotServiceClient;
use aetherion_api::v1::order_service_client::OrderServiceClient;
use aetherion_api::v1::portfolio_service_client::PortfolioServiceClient;
use aetherion_api::v1::trading_service_client::TradingServiceClient;
use aetherion_model::Amount;
use tonic::transport::Channel;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The server process; killed when dropped, so that a failing test leaves nothing running.
struct Server(Child);

impl Server {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start(data_dir: &Path, port: u16) -> Server {
    Server(Command::new(env!("CARGO_BIN_EXE_aetherion"))
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(["--grpc-addr", &format!("127.0.0.1:{port}"), "--market-seed", "7", "--market-rate", "20", "--rest-addr", "127.0.0.1:0"])
        .env("AETHERION_JWT_SECRET", "crash-test-secret-0123456789abcdefghij")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the aetherion binary starts"))
}

async fn connect(port: u16) -> Channel {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(channel) = Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap().connect().await {
            return channel;
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn a(s: &str) -> Amount {
    s.parse().unwrap()
}

fn order(side: pb::Side, kind: pb::OrderType, quantity: &str, price: &str) -> pb::CreateOrderRequest {
    pb::CreateOrderRequest {
        symbol: "BTC-USD".into(),
        side: side as i32,
        r#type: kind as i32,
        quantity: quantity.into(),
        price: price.into(),
        ..Default::default()
    }
}

/// Every order of the user, every page.
async fn all_orders(orders: &mut OrderServiceClient<Channel>, token: &str) -> Vec<pb::Order> {
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let req = pb::ListOrdersRequest { page_size: 50, page_token: page_token.clone(), ..Default::default() };
        let page = orders.list_orders(bearer(token, req)).await.unwrap().into_inner();
        out.extend(page.orders);
        if page.next_page_token.is_empty() {
            return out;
        }
        page_token = page.next_page_token;
    }
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_to_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let channel = connect(port).await;
    let session = AuthServiceClient::new(channel.clone())
        .register(pb::RegisterRequest { email: "crash@example.com".into(), password: "correct horse".into(), display_name: String::new() })
        .await
        .unwrap()
        .into_inner();
    let token = session.access_token;
    let mut orders = OrderServiceClient::new(channel.clone());

    // Orders of every kind; some fill, some rest far from the market.
    let mut acknowledged = Vec::new();
    for i in 0..30 {
        let req = match i % 5 {
            0 => order(pb::Side::Buy, pb::OrderType::Market, "0.02", ""),
            1 => order(pb::Side::Buy, pb::OrderType::Limit, "0.02", &format!("{}", 1000 + i)),
            2 => order(pb::Side::Sell, pb::OrderType::Limit, "0.001", &format!("{}", 900000 + i)),
            3 => pb::CreateOrderRequest { stop_price: "1500".into(), ..order(pb::Side::Sell, pb::OrderType::Stop, "0.01", "") },
            _ => order(pb::Side::Sell, pb::OrderType::Market, "0.001", ""),
        };
        match orders.create_order(bearer(&token, req)).await {
            Ok(o) => acknowledged.push(o.into_inner()),
            Err(e) => panic!("order {i} refused: {e:?}"),
        }
    }
    assert_eq!(acknowledged.len(), 30, "every order was funded");
    let before = PortfolioServiceClient::new(channel.clone()).get_portfolio(bearer(&token, pb::GetPortfolioRequest {})).await.unwrap().into_inner();

    server.kill(); // SIGKILL: no shutdown, no flush

    let mut server = start(dir.path(), port);
    let channel = connect(port).await;
    let mut orders = OrderServiceClient::new(channel.clone());
    let stored = all_orders(&mut orders, &token).await;
    for ack in &acknowledged {
        let found = stored.iter().find(|o| o.order_id == ack.order_id).unwrap_or_else(|| panic!("order {} was lost", ack.order_id));
        // Nothing acknowledged went backwards.
        assert!(a(&found.filled_quantity) >= a(&ack.filled_quantity));
    }
    let open: Vec<_> = stored.iter().filter(|o| o.status == pb::OrderStatus::New as i32).collect();
    assert_eq!(open.len(), 18, "6 limit buys, 6 limit sells and 6 stops stay open");

    // The resting orders are back in the book.
    let book = TradingServiceClient::new(channel.clone())
        .stream_order_book(bearer(&token, pb::StreamOrderBookRequest { symbol: "BTC-USD".into(), depth: 1000 }))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap();
    for o in open.iter().filter(|o| o.r#type == pb::OrderType::Limit as i32) {
        let side = if o.side == pb::Side::Buy as i32 { &book.bids } else { &book.asks };
        assert!(side.iter().any(|l| l.price == o.price), "order at {} is back in the book", o.price);
    }

    // Balances equal what the stored fills say, to the last unit.
    let after = PortfolioServiceClient::new(channel.clone()).get_portfolio(bearer(&token, pb::GetPortfolioRequest {})).await.unwrap().into_inner();
    let mut usd = a("100000");
    let mut btc = Amount::ZERO;
    let mut fees = Amount::ZERO;
    let mut page_token = String::new();
    loop {
        let req = pb::GetTradeHistoryRequest { page_size: 100, page_token: page_token.clone(), ..Default::default() };
        let page = orders.get_trade_history(bearer(&token, req)).await.unwrap().into_inner();
        for t in &page.trades {
            let (price, qty, fee) = (a(&t.price), a(&t.quantity), a(&t.fee));
            let notional = Amount::from_raw((i128::from(price.raw()) * i128::from(qty.raw()) / i128::from(Amount::SCALE)) as i64);
            if t.side == pb::Side::Buy as i32 {
                usd = usd.checked_sub(notional).unwrap();
                btc = btc.checked_add(qty).unwrap();
            } else {
                usd = usd.checked_add(notional).unwrap();
                btc = btc.checked_sub(qty).unwrap();
            }
            usd = usd.checked_sub(fee).unwrap();
            fees = fees.checked_add(fee).unwrap();
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let total = |p: &pb::Portfolio, asset: &str| p.balances.iter().find(|b| b.asset == asset).map_or(Amount::ZERO, |b| a(&b.total));
    assert_eq!(total(&after, "USD"), usd);
    assert_eq!(total(&after, "BTC"), btc);
    assert_eq!(a(&after.fees_paid), fees);
    assert_eq!(total(&after, "USD"), total(&before, "USD"), "the resting orders did not trade across the restart");
    server.kill();
}

/// A bot's books from the user's fills of its orders: (cash, position, fills).
async fn bot_books(orders: &mut OrderServiceClient<Channel>, token: &str, bot_id: &str, capital: &str) -> (Amount, Amount, i64) {
    let ids: Vec<String> = all_orders(orders, token).await.into_iter().filter(|o| o.bot_id == bot_id).map(|o| o.order_id).collect();
    let (mut cash, mut position, mut count) = (a(capital), Amount::ZERO, 0);
    let mut page_token = String::new();
    loop {
        let req = pb::GetTradeHistoryRequest { page_size: 100, page_token: page_token.clone(), ..Default::default() };
        let page = orders.get_trade_history(bearer(token, req)).await.unwrap().into_inner();
        for t in page.trades.iter().filter(|t| ids.contains(&t.order_id)) {
            let (price, qty, fee) = (a(&t.price), a(&t.quantity), a(&t.fee));
            let notional = Amount::from_raw((i128::from(price.raw()) * i128::from(qty.raw()) / i128::from(Amount::SCALE)) as i64);
            if t.side == pb::Side::Buy as i32 {
                cash = cash.checked_sub(notional).unwrap().checked_sub(fee).unwrap();
                position = position.checked_add(qty).unwrap();
            } else {
                cash = cash.checked_add(notional).unwrap().checked_sub(fee).unwrap();
                position = position.checked_sub(qty).unwrap();
            }
            count += 1;
        }
        if page.next_page_token.is_empty() {
            return (cash, position, count);
        }
        page_token = page.next_page_token;
    }
}

/// Follows a bot's status stream until `done` holds.
async fn wait_for(bots: &mut BotServiceClient<Channel>, token: &str, bot_id: &str, done: impl Fn(&pb::BotStatus) -> bool) -> pb::BotStatus {
    let req = pb::StreamBotStatusRequest { bot_id: bot_id.into() };
    let mut stream = bots.stream_bot_status(bearer(token, req)).await.unwrap().into_inner();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        match tokio::time::timeout_at(deadline, stream.message()).await {
            Ok(Ok(Some(status))) if done(&status) => return status,
            Ok(Ok(Some(_))) => continue,
            other => panic!("the bot did not get there: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_running_bot_runs_again_after_kill_9_with_its_books_intact() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(dir.path(), port);
    let channel = connect(port).await;
    let session = AuthServiceClient::new(channel.clone())
        .register(pb::RegisterRequest { email: "bot@example.com".into(), password: "correct horse".into(), display_name: String::new() })
        .await
        .unwrap()
        .into_inner();
    let token = session.access_token;
    let mut bots = BotServiceClient::new(channel.clone());
    let create = pb::CreateBotRequest {
        name: "trend".into(),
        strategy: "sma_crossover".into(),
        symbol: "BTC-USD".into(),
        parameters: [("fast".to_owned(), 2.0), ("slow".to_owned(), 3.0), ("interval_seconds".to_owned(), 1.0)].into_iter().collect(),
        capital: "10000".into(),
        risk: None,
    };
    let bot = bots.create_bot(bearer(&token, create)).await.unwrap().into_inner();
    bots.start_bot(bearer(&token, pb::StartBotRequest { bot_id: bot.bot_id.clone() })).await.unwrap();
    let before = wait_for(&mut bots, &token, &bot.bot_id, |s| s.trade_count >= 2).await;

    server.kill(); // SIGKILL: no shutdown, no flush

    let mut server = start(dir.path(), port);
    let channel = connect(port).await;
    let mut bots = BotServiceClient::new(channel.clone());
    let mut orders = OrderServiceClient::new(channel.clone());
    let after = bots.get_bot_status(bearer(&token, pb::GetBotStatusRequest { bot_id: bot.bot_id.clone() })).await.unwrap().into_inner();
    assert_eq!(after.state, pb::BotState::Running as i32, "{after:?}");
    assert!(after.trade_count >= before.trade_count, "no fill it reported is lost");
    // Its books are exactly what its stored fills say.
    let (cash, position, fills) = bot_books(&mut orders, &token, &bot.bot_id, "10000").await;
    assert_eq!((a(&after.cash), a(&after.position), after.trade_count), (cash, position, fills));
    // And it trades on.
    let later = wait_for(&mut bots, &token, &bot.bot_id, |s| s.trade_count > after.trade_count).await;
    let stopped = bots.stop_bot(bearer(&token, pb::StopBotRequest { bot_id: bot.bot_id.clone() })).await.unwrap().into_inner();
    assert!(stopped.trade_count >= later.trade_count);
    let (cash, position, fills) = bot_books(&mut orders, &token, &bot.bot_id, "10000").await;
    assert_eq!((a(&stopped.cash), a(&stopped.position), stopped.trade_count), (cash, position, fills));
    server.kill();
}
