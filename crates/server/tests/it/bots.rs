//! BotService and strategy runs over gRPC against the live simulated market: the lifecycle,
//! books equal to fills, risk limits, isolation between users, restarts.

use std::collections::HashMap;
use std::time::Duration;

use aetherion_api::v1 as pb;
use aetherion_api::v1::bot_service_client::BotServiceClient;
use aetherion_model::Amount;
use aetherion_server::config::default_symbols;
use tonic::Code;
use tonic::transport::Channel;
use tokio_stream::StreamExt;

use crate::harness::{TestServer, bearer};
use crate::orders::{Trader, a};

struct BotUser {
    trader: Trader,
    bots: BotServiceClient<Channel>,
}

impl BotUser {
    async fn new(server: &TestServer, email: &str) -> BotUser {
        let trader = Trader::new(server, email).await;
        BotUser { trader, bots: BotServiceClient::new(server.channel().await) }
    }

    fn token(&self) -> &str {
        &self.trader.token
    }

    async fn create(&mut self, req: pb::CreateBotRequest) -> Result<pb::Bot, tonic::Status> {
        self.bots.create_bot(bearer(self.token(), req)).await.map(|r| r.into_inner())
    }

    async fn start(&mut self, bot_id: &str) -> Result<pb::BotStatus, tonic::Status> {
        let req = pb::StartBotRequest { bot_id: bot_id.into() };
        self.bots.start_bot(bearer(&self.trader.token, req)).await.map(|r| r.into_inner())
    }

    async fn stop(&mut self, bot_id: &str) -> Result<pb::BotStatus, tonic::Status> {
        let req = pb::StopBotRequest { bot_id: bot_id.into() };
        self.bots.stop_bot(bearer(&self.trader.token, req)).await.map(|r| r.into_inner())
    }

    async fn status(&mut self, bot_id: &str) -> Result<pb::BotStatus, tonic::Status> {
        let req = pb::GetBotStatusRequest { bot_id: bot_id.into() };
        self.bots.get_bot_status(bearer(&self.trader.token, req)).await.map(|r| r.into_inner())
    }

    async fn get(&mut self, bot_id: &str) -> Result<pb::Bot, tonic::Status> {
        let req = pb::GetBotRequest { bot_id: bot_id.into() };
        self.bots.get_bot(bearer(&self.trader.token, req)).await.map(|r| r.into_inner())
    }

    async fn list(&mut self) -> Vec<pb::Bot> {
        self.bots.list_bots(bearer(&self.trader.token, pb::ListBotsRequest {})).await.unwrap().into_inner().bots
    }

    /// Follows the status stream until `done` holds (at most `secs` seconds).
    async fn wait_for(&mut self, bot_id: &str, secs: u64, done: impl Fn(&pb::BotStatus) -> bool) -> pb::BotStatus {
        let req = pb::StreamBotStatusRequest { bot_id: bot_id.into() };
        let mut stream = self.bots.stream_bot_status(bearer(&self.trader.token, req)).await.unwrap().into_inner();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        let mut last = None;
        loop {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(Ok(status))) => {
                    if done(&status) {
                        return status;
                    }
                    last = Some(status);
                }
                other => panic!("the bot did not get there in {secs} s: {other:?}; last status {last:?}"),
            }
        }
    }

    /// The bot's books recomputed from the user's fills of its orders: (cash, position, fills).
    async fn books_from_fills(&mut self, bot_id: &str, capital: &str) -> (Amount, Amount, i64) {
        let orders = self.all_orders().await;
        let of_bot: HashMap<String, ()> = orders.into_iter().filter(|o| o.bot_id == bot_id).map(|o| (o.order_id, ())).collect();
        let mut cash = a(capital);
        let mut position = Amount::ZERO;
        let mut count = 0;
        for t in self.trader.all_trades().await.into_iter().filter(|t| of_bot.contains_key(&t.order_id)) {
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
        (cash, position, count)
    }

    async fn all_orders(&mut self) -> Vec<pb::Order> {
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let req = pb::ListOrdersRequest { page_size: 1000, page_token: page_token.clone(), ..Default::default() };
            let page = self.trader.orders.list_orders(bearer(&self.trader.token, req)).await.unwrap().into_inner();
            out.extend(page.orders);
            if page.next_page_token.is_empty() {
                return out;
            }
            page_token = page.next_page_token;
        }
    }
}

fn sma_bot(name: &str, symbol: &str, capital: &str) -> pb::CreateBotRequest {
    pb::CreateBotRequest {
        name: name.into(),
        strategy: "sma_crossover".into(),
        symbol: symbol.into(),
        parameters: HashMap::from([("fast".to_owned(), 2.0), ("slow".to_owned(), 3.0), ("interval_seconds".to_owned(), 1.0)]),
        capital: capital.into(),
        risk: None,
    }
}

async fn busy_market() -> TestServer {
    TestServer::start_with(|c| {
        c.default_symbols = default_symbols();
        c.market_rate = 40.0;
    })
    .await
}

fn assert_books_match(status: &pb::BotStatus, books: (Amount, Amount, i64)) {
    let (cash, position, fills) = books;
    assert_eq!((a(&status.cash), a(&status.position), status.trade_count), (cash, position, fills), "status {status:?}");
}

#[tokio::test]
async fn a_bot_is_created_started_trades_by_its_fills_stopped_and_deleted() {
    let server = busy_market().await;
    let mut u = BotUser::new(&server, "bots@example.com").await;

    // Malformed requests change nothing.
    let code = |r: Result<pb::Bot, tonic::Status>| r.unwrap_err();
    let e = code(u.create(pb::CreateBotRequest { strategy: "nope".into(), ..sma_bot("x", "BTC-USD", "100") }).await);
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().starts_with("strategy:"), "{}", e.message());
    let mut bad = sma_bot("x", "BTC-USD", "100");
    bad.parameters.insert("fats".into(), 3.0);
    let e = code(u.create(bad).await);
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("\"fats\""), "{}", e.message());
    let mut bad = sma_bot("x", "BTC-USD", "100");
    bad.parameters.insert("interval_seconds".into(), 0.5);
    assert!(code(u.create(bad).await).message().contains("interval_seconds"));
    for capital in ["", "-5", "0", "1e4", "abc"] {
        let e = code(u.create(sma_bot("x", "BTC-USD", capital)).await);
        assert_eq!((e.code(), e.message().starts_with("capital:")), (Code::InvalidArgument, true), "{capital:?}: {}", e.message());
    }
    let risky = pb::CreateBotRequest { risk: Some(pb::RiskLimits { stop_loss_percent: -1.0, ..Default::default() }), ..sma_bot("x", "BTC-USD", "100") };
    assert!(code(u.create(risky).await).message().starts_with("risk.stop_loss_percent"));
    assert_eq!(code(u.create(sma_bot("", "BTC-USD", "100")).await).code(), Code::InvalidArgument);
    assert_eq!(code(u.create(sma_bot(&"n".repeat(65), "BTC-USD", "100")).await).code(), Code::InvalidArgument);
    assert_eq!(code(u.create(sma_bot("x", "NOPE-USD", "100")).await).code(), Code::NotFound);
    assert!(u.list().await.is_empty());

    let bot = u.create(sma_bot("trend", "BTC-USD", "10000")).await.unwrap();
    assert_eq!((bot.state, bot.capital.as_str()), (pb::BotState::Created as i32, "10000"));
    assert_eq!(bot.parameters["interval_seconds"], 1.0);
    assert!(bot.parameters.contains_key("allow_short"), "defaults are filled in");
    assert_eq!(code(u.create(sma_bot("trend", "ETH-USD", "5")).await).code(), Code::AlreadyExists);
    assert_eq!(u.get(&bot.bot_id).await.unwrap(), bot);
    let id = bot.bot_id.clone();

    // Settings change while stopped, with a mask; an unknown path is refused.
    let update = |mask: &[&str], capital: &str| pb::UpdateBotRequest {
        bot_id: id.clone(),
        capital: capital.into(),
        update_mask: Some(prost_types::FieldMask { paths: mask.iter().map(|p| p.to_string()).collect() }),
        ..Default::default()
    };
    let updated = u.bots.update_bot(bearer(u.token(), update(&["capital"], "20000"))).await.unwrap().into_inner();
    assert_eq!((updated.capital.as_str(), updated.name.as_str()), ("20000", "trend"));
    let e = u.bots.update_bot(bearer(u.token(), update(&["strategy"], "1"))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    u.bots.update_bot(bearer(u.token(), update(&["capital"], "10000"))).await.unwrap();

    let started = u.start(&id).await.unwrap();
    assert_eq!((started.state, started.cash.as_str(), started.position.as_str()), (pb::BotState::Running as i32, "10000", "0"));
    assert_eq!(u.start(&id).await.unwrap_err().code(), Code::FailedPrecondition);
    assert_eq!(u.bots.update_bot(bearer(u.token(), update(&["capital"], "5"))).await.unwrap_err().code(), Code::FailedPrecondition);
    assert_eq!(u.get(&id).await.unwrap().state, pb::BotState::Running as i32);

    // It trades the simulated market on one-second bars.
    let trading = u.wait_for(&id, 90, |s| s.trade_count >= 2).await;
    assert!(!trading.last_signal.is_empty());
    let stopped = u.stop(&id).await.unwrap();
    assert_eq!((stopped.state, stopped.open_order_count), (pb::BotState::Stopped as i32, 0));
    assert_books_match(&stopped, u.books_from_fills(&id, "10000").await);
    let equity = a(&stopped.equity);
    let profit = a(&stopped.realized_pnl).checked_add(a(&stopped.unrealized_pnl)).unwrap();
    assert_eq!(equity, a("10000").checked_add(profit).unwrap(), "equity = capital + realized + unrealized");
    assert_eq!(u.stop(&id).await.unwrap().state, pb::BotState::Stopped as i32, "stopping again changes nothing");
    assert_eq!(u.status(&id).await.unwrap().trade_count, stopped.trade_count);

    // Deleting ends its status stream with NOT_FOUND.
    let req = pb::StreamBotStatusRequest { bot_id: id.clone() };
    let mut stream = u.bots.stream_bot_status(bearer(u.token(), req)).await.unwrap().into_inner();
    assert!(stream.next().await.unwrap().is_ok());
    u.bots.delete_bot(bearer(u.token(), pb::DeleteBotRequest { bot_id: id.clone() })).await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.next().await {
                Some(Ok(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(end.unwrap().unwrap_err().code(), Code::NotFound);
    assert_eq!(u.get(&id).await.unwrap_err().code(), Code::NotFound);
    assert!(u.all_orders().await.iter().any(|o| o.bot_id == id), "its orders stay in the history");
    server.stop().await;
}

#[tokio::test]
async fn bots_belong_to_their_user() {
    let server = busy_market().await;
    let mut ann = BotUser::new(&server, "ann@example.com").await;
    let mut bob = BotUser::new(&server, "bob@example.com").await;
    let bot = ann.create(sma_bot("mine", "BTC-USD", "100")).await.unwrap();
    let id = bot.bot_id.as_str();
    assert_eq!(bob.get(id).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(bob.start(id).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(bob.stop(id).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(bob.status(id).await.unwrap_err().code(), Code::NotFound);
    let e = bob.bots.delete_bot(bearer(bob.token(), pb::DeleteBotRequest { bot_id: id.into() })).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = bob.bots.stream_bot_status(bearer(bob.token(), pb::StreamBotStatusRequest { bot_id: id.into() })).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let stop = pb::StopStrategyRequest { strategy_id: id.into() };
    assert_eq!(bob.trader.trading.stop_strategy(bearer(bob.token(), stop)).await.unwrap_err().code(), Code::NotFound);
    assert!(bob.list().await.is_empty());
    // The same name is fine for another user.
    bob.create(sma_bot("mine", "BTC-USD", "100")).await.unwrap();
    assert_eq!(ann.list().await.len(), 1);
    assert_eq!(ann.get(id).await.unwrap().state, pb::BotState::Created as i32);
    assert_eq!(ann.get("").await.unwrap_err().code(), Code::InvalidArgument);
    server.stop().await;
}

#[tokio::test]
async fn a_bot_that_reaches_its_drawdown_limit_stops_itself_and_says_why() {
    let server = busy_market().await;
    let mut u = BotUser::new(&server, "dd@example.com").await;
    // Buying costs the taker fee (0.1%) and the spread at once: more than 0.05% of equity.
    let req = pb::CreateBotRequest { risk: Some(pb::RiskLimits { max_drawdown_percent: 0.05, ..Default::default() }), ..sma_bot("careful", "BTC-USD", "10000") };
    let bot = u.create(req).await.unwrap();
    u.start(&bot.bot_id).await.unwrap();
    let stopped = u.wait_for(&bot.bot_id, 120, |s| s.state != pb::BotState::Running as i32).await;
    assert_eq!(stopped.state, pb::BotState::Stopped as i32);
    assert!(stopped.message.contains("max drawdown of 0.05% reached"), "{}", stopped.message);
    assert_eq!(stopped.open_order_count, 0);
    let open = u.all_orders().await.into_iter().filter(|o| o.bot_id == bot.bot_id && o.status == pb::OrderStatus::New as i32).count();
    assert_eq!(open, 0);
    assert_books_match(&u.status(&bot.bot_id).await.unwrap(), u.books_from_fills(&bot.bot_id, "10000").await);
    assert_eq!(u.get(&bot.bot_id).await.unwrap().state, pb::BotState::Stopped as i32);
    server.stop().await;
}

#[tokio::test]
async fn strategy_runs_are_bots_with_a_generated_name() {
    let server = busy_market().await;
    let mut u = BotUser::new(&server, "runs@example.com").await;
    let start = |strategy: &str, capital: &str| pb::StartStrategyRequest {
        strategy: strategy.into(),
        symbol: "ETH-USD".into(),
        parameters: HashMap::from([("interval_seconds".to_owned(), 5.0)]),
        capital: capital.into(),
        risk: None,
    };
    let e = u.trader.trading.start_strategy(bearer(u.token(), start("nope", "100"))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let e = u.trader.trading.start_strategy(bearer(u.token(), start("rsi_mean_reversion", "-1"))).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(u.list().await.is_empty(), "nothing was kept");

    let run = u.trader.trading.start_strategy(bearer(u.token(), start("rsi_mean_reversion", "500"))).await.unwrap().into_inner();
    assert_eq!((run.state, run.strategy.as_str(), run.capital.as_str()), (pb::BotState::Running as i32, "rsi_mean_reversion", "500"));
    assert!(run.parameters.contains_key("period"));
    let listed = u.list().await;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].bot_id.as_str(), listed[0].state), (run.strategy_id.as_str(), pb::BotState::Running as i32));
    assert_eq!(u.status(&run.strategy_id).await.unwrap().state, pb::BotState::Running as i32);

    let stop = |id: &str| pb::StopStrategyRequest { strategy_id: id.into() };
    let stopped = u.trader.trading.stop_strategy(bearer(u.token(), stop(&run.strategy_id))).await.unwrap().into_inner();
    assert_eq!(stopped.state, pb::BotState::Stopped as i32);
    assert_eq!(u.trader.trading.stop_strategy(bearer(u.token(), stop(""))).await.unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(u.trader.trading.stop_strategy(bearer(u.token(), stop("nope"))).await.unwrap_err().code(), Code::NotFound);
    server.stop().await;
}

#[tokio::test]
async fn removing_a_symbol_stops_its_bots() {
    let server = busy_market().await;
    let mut admin = BotUser::new(&server, "admin@example.com").await;
    let bot = admin.create(sma_bot("eth", "ETH-USD", "1000")).await.unwrap();
    admin.start(&bot.bot_id).await.unwrap();
    let req = pb::RemoveSymbolRequest { symbol: "ETH-USD".into() };
    let removed = admin.trader.trading.remove_symbol(bearer(admin.token(), req)).await.unwrap().into_inner();
    assert_eq!(removed.stopped_bots, 1);
    let status = admin.status(&bot.bot_id).await.unwrap();
    assert_eq!(status.state, pb::BotState::Stopped as i32);
    assert!(status.message.contains("ETH-USD was removed"), "{}", status.message);
    assert_eq!(admin.start(&bot.bot_id).await.unwrap_err().code(), Code::FailedPrecondition);
    server.stop().await;
}

#[tokio::test]
async fn running_bots_run_again_after_a_restart_with_their_books() {
    let dir = tempfile::tempdir().unwrap();
    let adjust = |c: &mut aetherion_server::Config| {
        c.default_symbols = default_symbols();
        c.market_rate = 40.0;
    };
    let server = TestServer::start_in(dir.path(), adjust).await;
    let mut u = BotUser::new(&server, "restart@example.com").await;
    let maker = pb::CreateBotRequest {
        name: "maker".into(),
        strategy: "market_maker".into(),
        symbol: "BTC-USD".into(),
        parameters: HashMap::from([("spread_pct".to_owned(), 2.0), ("lots".to_owned(), 100.0), ("max_inventory".to_owned(), 1000.0), ("interval_seconds".to_owned(), 1.0)]),
        capital: "20000".into(),
        risk: None,
    };
    let maker = u.create(maker).await.unwrap();
    let trend = u.create(sma_bot("trend", "BTC-USD", "10000")).await.unwrap();
    let idle = u.create(sma_bot("idle", "BTC-USD", "10000")).await.unwrap();
    u.start(&maker.bot_id).await.unwrap();
    u.start(&trend.bot_id).await.unwrap();
    u.wait_for(&trend.bot_id, 90, |s| s.trade_count >= 1).await;
    u.wait_for(&maker.bot_id, 90, |s| s.open_order_count >= 1).await;
    let token = u.trader.token.clone();
    server.stop().await;

    let server = TestServer::start_in(dir.path(), adjust).await;
    let channel = server.channel().await;
    let mut u = BotUser {
        trader: Trader {
            token,
            orders: aetherion_api::v1::order_service_client::OrderServiceClient::new(channel.clone()),
            portfolio: aetherion_api::v1::portfolio_service_client::PortfolioServiceClient::new(channel.clone()),
            trading: aetherion_api::v1::trading_service_client::TradingServiceClient::new(channel.clone()),
        },
        bots: BotServiceClient::new(channel),
    };
    // The maker's quotes rest 1% from the price: they were restored into the book and are
    // the bot's own again.
    let running = u.status(&maker.bot_id).await.unwrap();
    assert_eq!(running.state, pb::BotState::Running as i32);
    assert!(running.open_order_count >= 1, "its working orders are its own again: {running:?}");
    assert_eq!(u.status(&trend.bot_id).await.unwrap().state, pb::BotState::Running as i32);
    for (bot, capital) in [(&trend, "10000"), (&maker, "20000")] {
        let status = u.stop(&bot.bot_id).await.unwrap();
        assert_eq!(status.state, pb::BotState::Stopped as i32);
        // The books after the restart are what the fills say, and the bot kept its working
        // orders (stopping canceled them all: none is left open).
        assert_books_match(&status, u.books_from_fills(&bot.bot_id, capital).await);
        let open = u.all_orders().await.into_iter().filter(|o| o.bot_id == bot.bot_id && (o.status == pb::OrderStatus::New as i32 || o.status == pb::OrderStatus::PartiallyFilled as i32)).count();
        assert_eq!(open, 0);
        assert!(a(&status.equity).is_positive());
    }
    assert_eq!(u.get(&idle.bot_id).await.unwrap().state, pb::BotState::Created as i32, "a bot that was not running stays so");
    server.stop().await;
}

#[tokio::test]
async fn deleting_a_running_bot_stops_it_first() {
    let server = busy_market().await;
    let mut u = BotUser::new(&server, "delete@example.com").await;
    let maker = pb::CreateBotRequest {
        name: "quotes".into(),
        strategy: "market_maker".into(),
        symbol: "BTC-USD".into(),
        parameters: HashMap::from([("spread_pct".to_owned(), 2.0), ("lots".to_owned(), 100.0), ("max_inventory".to_owned(), 1000.0), ("interval_seconds".to_owned(), 1.0)]),
        capital: "20000".into(),
        risk: None,
    };
    let bot = u.create(maker).await.unwrap();
    u.start(&bot.bot_id).await.unwrap();
    u.wait_for(&bot.bot_id, 60, |s| s.open_order_count >= 1).await;
    u.bots.delete_bot(bearer(u.token(), pb::DeleteBotRequest { bot_id: bot.bot_id.clone() })).await.unwrap();
    assert_eq!(u.get(&bot.bot_id).await.unwrap_err().code(), Code::NotFound);
    let open = u.all_orders().await.into_iter().filter(|o| o.bot_id == bot.bot_id && o.status == pb::OrderStatus::New as i32).count();
    assert_eq!(open, 0, "its quotes were canceled");
    assert_eq!(u.start(&bot.bot_id).await.unwrap_err().code(), Code::NotFound);
    server.stop().await;
}
