//! `aetherion client`: a small gRPC client for the quick start and for scripts. Prints JSON.

use std::path::PathBuf;

use aetherion_api::v1 as pb;
use aetherion_api::v1::auth_service_client::AuthServiceClient;
use aetherion_api::v1::bot_service_client::BotServiceClient;
use aetherion_api::v1::order_service_client::OrderServiceClient;
use aetherion_api::v1::portfolio_service_client::PortfolioServiceClient;
use aetherion_api::v1::risk_service_client::RiskServiceClient;
use aetherion_api::v1::trading_service_client::TradingServiceClient;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

#[derive(Args, Debug)]
pub struct ClientArgs {
    /// Server URL: http://HOST:PORT, or https://HOST:PORT for a TLS server.
    #[arg(long, env = "AETHERION_SERVER", default_value = "http://127.0.0.1:50051")]
    server: String,
    /// PEM certificate to trust for https (for `serve --tls-self-signed`:
    /// DATA_DIR/tls/self-signed-cert.pem). Without it the system's roots are used.
    #[arg(long, env = "AETHERION_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Access token for calls that need one (from register or login).
    #[arg(long, env = "AETHERION_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Subcommand, Debug)]
enum ClientCommand {
    /// Create an account; prints the tokens and the user.
    Register {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Print only the access token (for `export AETHERION_TOKEN=$(...)`).
        #[arg(long)]
        token_only: bool,
    },
    /// Sign in; prints the tokens and the user.
    Login {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// Print only the access token.
        #[arg(long)]
        token_only: bool,
    },
    /// Show the user the access token belongs to (GetUser).
    User,
    /// Exchange a refresh token for a new pair.
    Refresh {
        #[arg(long)]
        refresh_token: String,
    },
    /// Revoke a refresh token's session.
    Logout {
        #[arg(long)]
        refresh_token: String,
    },
    /// List the symbols (ListSymbols).
    Symbols,
    /// Show a symbol's price summary (GetPrice).
    Price {
        #[arg(long)]
        symbol: String,
    },
    /// Print trades as they happen, one JSON line each (SubscribeTicks).
    Ticks {
        /// Symbols to follow; none = all.
        #[arg(long)]
        symbol: Vec<String>,
        /// Stop after this many trades (0 = never).
        #[arg(long, default_value_t = 10)]
        count: u64,
    },
    /// Print order-book snapshots as the book changes (StreamOrderBook).
    Book {
        #[arg(long)]
        symbol: String,
        #[arg(long, default_value_t = 5)]
        depth: i32,
        /// Stop after this many snapshots (0 = never).
        #[arg(long, default_value_t = 3)]
        count: u64,
    },
    /// Show candles (GetCandles).
    Candles {
        #[arg(long)]
        symbol: String,
        /// 1m, 5m, 15m, 1h, 4h or 1d.
        #[arg(long, default_value = "1m")]
        interval: String,
        #[arg(long, default_value_t = 10)]
        limit: i32,
    },
    /// Rank the symbols by momentum (GetMomentum).
    Momentum,
    /// List a new symbol (AddSymbol; administrators only).
    AddSymbol {
        #[arg(long)]
        symbol: String,
        #[arg(long)]
        tick_size: String,
        #[arg(long)]
        lot_size: String,
        #[arg(long)]
        initial_price: String,
        #[arg(long, default_value = "0")]
        min_notional: String,
        #[arg(long, default_value_t = 0.001)]
        maker_fee_rate: f64,
        #[arg(long, default_value_t = 0.002)]
        taker_fee_rate: f64,
    },
    /// Halt a symbol (RemoveSymbol; administrators only).
    RemoveSymbol {
        #[arg(long)]
        symbol: String,
    },
    /// Place an order (CreateOrder).
    Order {
        #[arg(long)]
        symbol: String,
        /// buy or sell.
        #[arg(long)]
        side: String,
        /// market, limit, stop or stop-limit.
        #[arg(long = "type", default_value = "limit")]
        order_type: String,
        #[arg(long)]
        quantity: String,
        #[arg(long, default_value = "")]
        price: String,
        #[arg(long, default_value = "")]
        stop_price: String,
        /// gtc, ioc or fok.
        #[arg(long, default_value = "gtc")]
        tif: String,
        #[arg(long)]
        post_only: bool,
        #[arg(long, default_value = "")]
        client_order_id: String,
    },
    /// Cancel an order (CancelOrder).
    Cancel {
        #[arg(long)]
        order_id: String,
    },
    /// List your orders, newest first (ListOrders).
    Orders {
        #[arg(long)]
        open_only: bool,
        #[arg(long, default_value_t = 20)]
        limit: i32,
    },
    /// List your fills, newest first (GetTradeHistory).
    Trades {
        #[arg(long, default_value_t = 20)]
        limit: i32,
    },
    /// Show your balances, positions and PnL (GetPortfolio).
    Portfolio,
    /// Value at risk and expected shortfall (CalculateVaR).
    Var {
        /// historical, parametric or monte-carlo.
        #[arg(long, default_value = "parametric")]
        method: String,
        #[arg(long, default_value_t = 0.99)]
        confidence: f64,
        #[arg(long, default_value_t = 1)]
        horizon_days: i32,
        /// A holding, SYMBOL=QUANTITY; repeat. None = your portfolio.
        #[arg(long = "position")]
        positions: Vec<String>,
        /// Days of hourly returns (0 = 30).
        #[arg(long, default_value_t = 0)]
        lookback_days: i32,
        /// Monte Carlo paths (0 = 10,000).
        #[arg(long, default_value_t = 0)]
        simulations: i32,
    },
    /// Trading bots (BotService).
    Bot {
        #[command(subcommand)]
        command: BotCommand,
    },
}

#[derive(Subcommand, Debug)]
enum BotCommand {
    /// Create a bot (CreateBot); it trades once started.
    Create {
        #[arg(long)]
        name: String,
        /// A built-in strategy, e.g. sma_crossover (`aetherion strategies` lists them).
        #[arg(long)]
        strategy: String,
        #[arg(long)]
        symbol: String,
        /// Quote-asset amount the bot trades with.
        #[arg(long)]
        capital: String,
        /// A strategy parameter, NAME=VALUE; repeat. interval_seconds sets the bar interval.
        #[arg(long = "param", value_parser = parse_param)]
        params: Vec<(String, f64)>,
        /// Largest position, in the base asset.
        #[arg(long, default_value = "")]
        max_position: String,
        #[arg(long, default_value_t = 0.0)]
        stop_loss_percent: f64,
        #[arg(long, default_value_t = 0.0)]
        take_profit_percent: f64,
        /// Stop the bot when equity falls this many percent below its peak.
        #[arg(long, default_value_t = 0.0)]
        max_drawdown_percent: f64,
    },
    /// List your bots (ListBots).
    List,
    /// Start a bot (StartBot).
    Start {
        #[arg(long)]
        id: String,
    },
    /// Stop a bot; its open orders are canceled (StopBot).
    Stop {
        #[arg(long)]
        id: String,
    },
    /// Show a bot's status (GetBotStatus), or follow it (StreamBotStatus).
    Status {
        #[arg(long)]
        id: String,
        /// Print every change, one JSON line each.
        #[arg(long)]
        watch: bool,
        /// With --watch: stop after this many statuses (0 = never).
        #[arg(long, default_value_t = 0)]
        count: u64,
    },
    /// Delete a bot, stopping it first if it runs (DeleteBot).
    Delete {
        #[arg(long)]
        id: String,
    },
}

fn parse_param(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("{text:?}: use NAME=VALUE"))?;
    let value = value.trim().parse::<f64>().map_err(|e| format!("{text:?}: {e}"))?;
    Ok((name.trim().to_owned(), value))
}

pub async fn run(args: ClientArgs) -> anyhow::Result<()> {
    let channel = connect(&args.server, args.ca_cert.as_deref()).await?;
    let mut auth = AuthServiceClient::new(channel.clone());
    let mut trading = TradingServiceClient::new(channel.clone());
    let token = args.token.clone();
    let output = match args.command {
        ClientCommand::Register { email, password, name, token_only } => {
            let req = pb::RegisterRequest { email, password, display_name: name };
            let resp = auth.register(req).await.map_err(status_error)?.into_inner();
            auth_output(&resp, token_only)
        }
        ClientCommand::Login { email, password, token_only } => {
            let resp = auth.login(pb::LoginRequest { email, password }).await.map_err(status_error)?;
            auth_output(&resp.into_inner(), token_only)
        }
        ClientCommand::User => {
            let req = request_with_token(token.as_deref(), pb::GetUserRequest {})?;
            let user = auth.get_user(req).await.map_err(status_error)?.into_inner();
            user_json(&user).to_string()
        }
        ClientCommand::Refresh { refresh_token } => {
            let resp = auth.refresh_token(pb::RefreshTokenRequest { refresh_token }).await.map_err(status_error)?;
            auth_output(&resp.into_inner(), false)
        }
        ClientCommand::Logout { refresh_token } => {
            auth.logout(pb::LogoutRequest { refresh_token }).await.map_err(status_error)?;
            json!({"logged_out": true}).to_string()
        }
        ClientCommand::Symbols => {
            let resp = trading.list_symbols(request_with_token(token.as_deref(), pb::ListSymbolsRequest {})?).await.map_err(status_error)?;
            let symbols: Vec<Value> = resp.into_inner().symbols.iter().map(symbol_json).collect();
            serde_json::to_string_pretty(&symbols)?
        }
        ClientCommand::Price { symbol } => {
            let resp = trading.get_price(request_with_token(token.as_deref(), pb::GetPriceRequest { symbol })?).await.map_err(status_error)?;
            price_json(&resp.into_inner()).to_string()
        }
        ClientCommand::Ticks { symbol, count } => {
            let req = request_with_token(token.as_deref(), pb::SubscribeTicksRequest { symbols: symbol })?;
            let mut stream = trading.subscribe_ticks(req).await.map_err(status_error)?.into_inner();
            let mut seen = 0;
            while let Some(tick) = stream.message().await.map_err(status_error)? {
                if !emit(&tick_json(&tick)) {
                    break;
                }
                seen += 1;
                if seen == count {
                    break;
                }
            }
            return Ok(());
        }
        ClientCommand::Book { symbol, depth, count } => {
            let req = request_with_token(token.as_deref(), pb::StreamOrderBookRequest { symbol, depth })?;
            let mut stream = trading.stream_order_book(req).await.map_err(status_error)?.into_inner();
            let mut seen = 0;
            while let Some(book) = stream.message().await.map_err(status_error)? {
                if !emit(&book_json(&book)) {
                    break;
                }
                seen += 1;
                if seen == count {
                    break;
                }
            }
            return Ok(());
        }
        ClientCommand::Candles { symbol, interval, limit } => {
            let interval = match interval.as_str() {
                "1m" => pb::CandleInterval::CandleInterval1m,
                "5m" => pb::CandleInterval::CandleInterval5m,
                "15m" => pb::CandleInterval::CandleInterval15m,
                "1h" => pb::CandleInterval::CandleInterval1h,
                "4h" => pb::CandleInterval::CandleInterval4h,
                "1d" => pb::CandleInterval::CandleInterval1d,
                other => bail!("--interval {other:?}: use 1m, 5m, 15m, 1h, 4h or 1d"),
            } as i32;
            let req = pb::GetCandlesRequest { symbol, interval, limit, ..Default::default() };
            let resp = trading.get_candles(request_with_token(token.as_deref(), req)?).await.map_err(status_error)?.into_inner();
            let rows: Vec<Value> = resp
                .candles
                .iter()
                .map(|c| {
                    json!({"open_time": c.open_time.as_ref().map(ToString::to_string), "open": c.open, "high": c.high,
                           "low": c.low, "close": c.close, "volume": c.volume, "trade_count": c.trade_count})
                })
                .collect();
            serde_json::to_string_pretty(&rows)?
        }
        ClientCommand::Momentum => {
            let resp = trading.get_momentum(request_with_token(token.as_deref(), pb::GetMomentumRequest::default())?).await.map_err(status_error)?;
            let rows: Vec<Value> = resp
                .into_inner()
                .metrics
                .iter()
                .map(|m| {
                    json!({"rank": m.rank, "symbol": m.symbol, "last_price": m.last_price, "score": m.score,
                           "change_1m_percent": m.change_1m_percent, "change_5m_percent": m.change_5m_percent,
                           "change_1h_percent": m.change_1h_percent, "change_24h_percent": m.change_24h_percent,
                           "volatility": m.volatility})
                })
                .collect();
            serde_json::to_string_pretty(&rows)?
        }
        ClientCommand::AddSymbol { symbol, tick_size, lot_size, initial_price, min_notional, maker_fee_rate, taker_fee_rate } => {
            let req = pb::AddSymbolRequest {
                symbol,
                tick_size,
                lot_size,
                initial_price,
                min_notional,
                maker_fee_rate,
                taker_fee_rate,
                ..Default::default()
            };
            let info = trading.add_symbol(request_with_token(token.as_deref(), req)?).await.map_err(status_error)?.into_inner();
            serde_json::to_string_pretty(&symbol_json(&info))?
        }
        ClientCommand::Order { symbol, side, order_type, quantity, price, stop_price, tif, post_only, client_order_id } => {
            let side = match side.to_lowercase().as_str() {
                "buy" => pb::Side::Buy,
                "sell" => pb::Side::Sell,
                other => bail!("--side {other:?}: use buy or sell"),
            } as i32;
            let r#type = match order_type.to_lowercase().as_str() {
                "market" => pb::OrderType::Market,
                "limit" => pb::OrderType::Limit,
                "stop" => pb::OrderType::Stop,
                "stop-limit" | "stop_limit" => pb::OrderType::StopLimit,
                other => bail!("--type {other:?}: use market, limit, stop or stop-limit"),
            } as i32;
            let time_in_force = match tif.to_lowercase().as_str() {
                "gtc" => pb::TimeInForce::Gtc,
                "ioc" => pb::TimeInForce::Ioc,
                "fok" => pb::TimeInForce::Fok,
                other => bail!("--tif {other:?}: use gtc, ioc or fok"),
            } as i32;
            let req = pb::CreateOrderRequest { symbol, side, r#type, quantity, price, stop_price, time_in_force, client_order_id, post_only };
            let order = OrderServiceClient::new(channel.clone()).create_order(request_with_token(token.as_deref(), req)?).await.map_err(status_error)?;
            serde_json::to_string_pretty(&order_json(&order.into_inner()))?
        }
        ClientCommand::Cancel { order_id } => {
            let req = request_with_token(token.as_deref(), pb::CancelOrderRequest { order_id })?;
            let order = OrderServiceClient::new(channel.clone()).cancel_order(req).await.map_err(status_error)?;
            serde_json::to_string_pretty(&order_json(&order.into_inner()))?
        }
        ClientCommand::Orders { open_only, limit } => {
            let req = pb::ListOrdersRequest { open_only, page_size: limit, ..Default::default() };
            let resp = OrderServiceClient::new(channel.clone()).list_orders(request_with_token(token.as_deref(), req)?).await.map_err(status_error)?;
            let rows: Vec<Value> = resp.into_inner().orders.iter().map(order_json).collect();
            serde_json::to_string_pretty(&rows)?
        }
        ClientCommand::Trades { limit } => {
            let req = pb::GetTradeHistoryRequest { page_size: limit, ..Default::default() };
            let resp = OrderServiceClient::new(channel.clone()).get_trade_history(request_with_token(token.as_deref(), req)?).await.map_err(status_error)?;
            let rows: Vec<Value> = resp
                .into_inner()
                .trades
                .iter()
                .map(|t| {
                    json!({"trade_id": t.trade_id, "order_id": t.order_id, "symbol": t.symbol,
                           "side": pb::Side::try_from(t.side).map(|x| x.as_str_name()).unwrap_or("?"),
                           "price": t.price, "quantity": t.quantity, "fee": t.fee,
                           "liquidity": pb::Liquidity::try_from(t.liquidity).map(|x| x.as_str_name()).unwrap_or("?"),
                           "timestamp": t.timestamp.as_ref().map(ToString::to_string)})
                })
                .collect();
            serde_json::to_string_pretty(&rows)?
        }
        ClientCommand::Portfolio => {
            let req = request_with_token(token.as_deref(), pb::GetPortfolioRequest {})?;
            let p = PortfolioServiceClient::new(channel.clone()).get_portfolio(req).await.map_err(status_error)?.into_inner();
            let positions: Vec<Value> = p
                .positions
                .iter()
                .map(|x| {
                    json!({"symbol": x.symbol, "quantity": x.quantity, "average_price": x.average_price, "market_price": x.market_price,
                           "market_value": x.market_value, "unrealized_pnl": x.unrealized_pnl, "realized_pnl": x.realized_pnl})
                })
                .collect();
            let balances: Vec<Value> = p.balances.iter().map(|b| json!({"asset": b.asset, "free": b.free, "reserved": b.reserved, "total": b.total})).collect();
            serde_json::to_string_pretty(&json!({"quote_asset": p.quote_asset, "cash": p.cash, "equity": p.equity,
                "realized_pnl": p.realized_pnl, "unrealized_pnl": p.unrealized_pnl, "fees_paid": p.fees_paid,
                "balances": balances, "positions": positions}))?
        }
        ClientCommand::Var { method, confidence, horizon_days, positions, lookback_days, simulations } => {
            let method = match method.to_lowercase().as_str() {
                "historical" => pb::VaRMethod::VarMethodHistorical,
                "parametric" => pb::VaRMethod::VarMethodParametric,
                "monte-carlo" | "monte_carlo" | "montecarlo" => pb::VaRMethod::VarMethodMonteCarlo,
                other => bail!("--method {other:?}: use historical, parametric or monte-carlo"),
            } as i32;
            let positions = positions
                .iter()
                .map(|p| {
                    let (symbol, quantity) = p.split_once('=').with_context(|| format!("--position {p:?}: use SYMBOL=QUANTITY"))?;
                    Ok(pb::PositionInput { symbol: symbol.trim().to_owned(), quantity: quantity.trim().to_owned() })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let req = pb::CalculateVaRRequest { confidence_level: confidence, horizon_days, method, positions, lookback_days, simulations, seed: 0 };
            let r = RiskServiceClient::new(channel.clone()).calculate_va_r(request_with_token(token.as_deref(), req)?).await.map_err(status_error)?.into_inner();
            let contributions: Vec<Value> = r.contributions.iter().map(|c| json!({"symbol": c.symbol, "value_at_risk": c.value_at_risk})).collect();
            serde_json::to_string_pretty(&json!({"method": pb::VaRMethod::try_from(r.method).map(|m| m.as_str_name()).unwrap_or("?"),
                "confidence_level": r.confidence_level, "horizon_days": r.horizon_days, "value_at_risk": r.value_at_risk,
                "value_at_risk_percent": r.value_at_risk_percent, "expected_shortfall": r.expected_shortfall,
                "portfolio_value": r.portfolio_value, "observations": r.observations, "contributions": contributions}))?
        }
        ClientCommand::Bot { command } => {
            let mut bots = BotServiceClient::new(channel.clone());
            let t = token.as_deref();
            match command {
                BotCommand::Create { name, strategy, symbol, capital, params, max_position, stop_loss_percent, take_profit_percent, max_drawdown_percent } => {
                    let risk = pb::RiskLimits { max_position, stop_loss_percent, take_profit_percent, max_drawdown_percent };
                    let req = pb::CreateBotRequest { name, strategy, symbol, parameters: params.into_iter().collect(), capital, risk: Some(risk) };
                    let bot = bots.create_bot(request_with_token(t, req)?).await.map_err(status_error)?.into_inner();
                    serde_json::to_string_pretty(&bot_json(&bot))?
                }
                BotCommand::List => {
                    let resp = bots.list_bots(request_with_token(t, pb::ListBotsRequest {})?).await.map_err(status_error)?.into_inner();
                    serde_json::to_string_pretty(&resp.bots.iter().map(bot_json).collect::<Vec<_>>())?
                }
                BotCommand::Start { id } => {
                    let s = bots.start_bot(request_with_token(t, pb::StartBotRequest { bot_id: id })?).await.map_err(status_error)?.into_inner();
                    serde_json::to_string_pretty(&bot_status_json(&s))?
                }
                BotCommand::Stop { id } => {
                    let s = bots.stop_bot(request_with_token(t, pb::StopBotRequest { bot_id: id })?).await.map_err(status_error)?.into_inner();
                    serde_json::to_string_pretty(&bot_status_json(&s))?
                }
                BotCommand::Status { id, watch: false, .. } => {
                    let s = bots.get_bot_status(request_with_token(t, pb::GetBotStatusRequest { bot_id: id })?).await.map_err(status_error)?.into_inner();
                    serde_json::to_string_pretty(&bot_status_json(&s))?
                }
                BotCommand::Status { id, watch: true, count } => {
                    let req = request_with_token(t, pb::StreamBotStatusRequest { bot_id: id })?;
                    let mut stream = bots.stream_bot_status(req).await.map_err(status_error)?.into_inner();
                    let mut seen = 0;
                    while let Some(status) = stream.message().await.map_err(status_error)? {
                        if !emit(&bot_status_json(&status)) {
                            break;
                        }
                        seen += 1;
                        if seen == count {
                            break;
                        }
                    }
                    return Ok(());
                }
                BotCommand::Delete { id } => {
                    let resp = bots.delete_bot(request_with_token(t, pb::DeleteBotRequest { bot_id: id })?).await.map_err(status_error)?.into_inner();
                    json!({"deleted": resp.bot_id}).to_string()
                }
            }
        }
        ClientCommand::RemoveSymbol { symbol } => {
            let resp = trading.remove_symbol(request_with_token(token.as_deref(), pb::RemoveSymbolRequest { symbol })?).await.map_err(status_error)?;
            let r = resp.into_inner();
            json!({"symbol": r.symbol, "canceled_orders": r.canceled_orders, "stopped_bots": r.stopped_bots}).to_string()
        }
    };
    println!("{output}");
    Ok(())
}

async fn connect(server: &str, ca_cert: Option<&std::path::Path>) -> anyhow::Result<Channel> {
    let mut endpoint = Endpoint::from_shared(server.to_owned()).with_context(|| format!("bad server URL {server:?}"))?;
    if server.starts_with("https://") {
        let mut tls = ClientTlsConfig::new();
        tls = match ca_cert {
            Some(path) => {
                let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                tls.ca_certificate(Certificate::from_pem(pem))
            }
            None => tls.with_native_roots(),
        };
        endpoint = endpoint.tls_config(tls)?;
    } else if ca_cert.is_some() {
        bail!("--ca-cert is for https:// servers");
    }
    endpoint.connect().await.with_context(|| format!("connecting to {server}"))
}

/// Prints one line of a stream; false once nobody reads it (a closed pipe ends the stream
/// quietly rather than panicking in `println!`).
fn emit(line: &Value) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

fn auth_output(resp: &pb::AuthResponse, token_only: bool) -> String {
    if token_only {
        return resp.access_token.clone();
    }
    let mut out = json!({
        "access_token": resp.access_token,
        "refresh_token": resp.refresh_token,
        "access_token_expires_at": resp.access_token_expires_at.as_ref().map(ToString::to_string),
    });
    if let Some(user) = &resp.user {
        out["user"] = user_json(user);
    }
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

fn user_json(user: &pb::User) -> Value {
    json!({
        "user_id": user.user_id,
        "email": user.email,
        "display_name": user.display_name,
        "role": pb::Role::try_from(user.role).map(|r| r.as_str_name()).unwrap_or("ROLE_UNSPECIFIED"),
        "created_at": user.created_at.as_ref().map(ToString::to_string),
    })
}

/// `message` with `authorization: Bearer <token>`.
fn request_with_token<T>(token: Option<&str>, message: T) -> anyhow::Result<tonic::Request<T>> {
    let token = token.context("this call needs --token or AETHERION_TOKEN (from register or login)")?;
    let mut req = tonic::Request::new(message);
    req.metadata_mut().insert("authorization", format!("Bearer {token}").parse()?);
    Ok(req)
}

fn symbol_json(s: &pb::SymbolInfo) -> Value {
    json!({
        "symbol": s.symbol, "base_asset": s.base_asset, "quote_asset": s.quote_asset,
        "tick_size": s.tick_size, "lot_size": s.lot_size, "min_notional": s.min_notional,
        "maker_fee_rate": s.maker_fee_rate, "taker_fee_rate": s.taker_fee_rate,
        "status": pb::SymbolStatus::try_from(s.status).map(|x| x.as_str_name()).unwrap_or("?"),
        "last_price": s.last_price,
    })
}

fn price_json(p: &pb::PriceUpdate) -> Value {
    json!({
        "symbol": p.symbol, "last_price": p.last_price, "best_bid": p.best_bid, "best_ask": p.best_ask,
        "volume_24h": p.volume_24h, "change_24h_percent": p.change_24h_percent,
        "timestamp": p.timestamp.as_ref().map(ToString::to_string),
    })
}

fn tick_json(t: &pb::Tick) -> Value {
    json!({
        "symbol": t.symbol, "sequence": t.sequence, "price": t.price, "quantity": t.quantity,
        "taker_side": pb::Side::try_from(t.taker_side).map(|x| x.as_str_name()).unwrap_or("?"),
        "timestamp": t.timestamp.as_ref().map(ToString::to_string),
    })
}

fn book_json(b: &pb::OrderBookSnapshot) -> Value {
    let levels = |ls: &[pb::PriceLevel]| -> Vec<Value> {
        ls.iter().map(|l| json!([l.price, l.quantity, l.order_count])).collect()
    };
    json!({"symbol": b.symbol, "sequence": b.sequence, "bids": levels(&b.bids), "asks": levels(&b.asks)})
}

fn order_json(o: &pb::Order) -> Value {
    json!({
        "order_id": o.order_id, "client_order_id": o.client_order_id, "symbol": o.symbol,
        "side": pb::Side::try_from(o.side).map(|x| x.as_str_name()).unwrap_or("?"),
        "type": pb::OrderType::try_from(o.r#type).map(|x| x.as_str_name()).unwrap_or("?"),
        "quantity": o.quantity, "price": o.price, "stop_price": o.stop_price,
        "time_in_force": pb::TimeInForce::try_from(o.time_in_force).map(|x| x.as_str_name()).unwrap_or("?"),
        "post_only": o.post_only,
        "status": pb::OrderStatus::try_from(o.status).map(|x| x.as_str_name()).unwrap_or("?"),
        "filled_quantity": o.filled_quantity, "average_fill_price": o.average_fill_price, "fees": o.fees,
        "reject_reason": o.reject_reason,
        "created_at": o.created_at.as_ref().map(ToString::to_string),
    })
}

fn bot_state(state: i32) -> &'static str {
    pb::BotState::try_from(state).map(|s| s.as_str_name()).unwrap_or("?")
}

fn bot_json(b: &pb::Bot) -> Value {
    let parameters: serde_json::Map<String, Value> = b.parameters.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let risk = b.risk.as_ref().map(|r| {
        json!({"max_position": r.max_position, "stop_loss_percent": r.stop_loss_percent,
               "take_profit_percent": r.take_profit_percent, "max_drawdown_percent": r.max_drawdown_percent})
    });
    json!({"bot_id": b.bot_id, "name": b.name, "strategy": b.strategy, "symbol": b.symbol, "parameters": parameters,
           "capital": b.capital, "risk": risk, "state": bot_state(b.state),
           "created_at": b.created_at.as_ref().map(ToString::to_string), "updated_at": b.updated_at.as_ref().map(ToString::to_string)})
}

fn bot_status_json(s: &pb::BotStatus) -> Value {
    json!({"bot_id": s.bot_id, "state": bot_state(s.state), "position": s.position, "average_entry_price": s.average_entry_price,
           "cash": s.cash, "equity": s.equity, "realized_pnl": s.realized_pnl, "unrealized_pnl": s.unrealized_pnl,
           "trade_count": s.trade_count, "open_order_count": s.open_order_count, "last_signal": s.last_signal,
           "message": s.message, "started_at": s.started_at.as_ref().map(ToString::to_string),
           "updated_at": s.updated_at.as_ref().map(ToString::to_string)})
}
