//! The venue at run time: the exchange task, the writer, the registry of symbols, symbol
//! administration, and the way in for orders.

pub mod bots;
pub mod convert;
pub mod engine;
pub mod snapshot;
pub mod writer;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use aetherion_bots::{BotConfig, BotStatus, Ledger, StartError};
use aetherion_exchange::{AccountId, Balance, CancelError, Exchange, MarketSpec, Order, OrderRequest, PlaceError, Position};
use aetherion_market::candles::{Candle, MINUTE_MICROS, align};
use aetherion_market::history;
use aetherion_market::venue::{Simulator, VenueParams};
use aetherion_model::{Amount, Grid, UnixMicros};
use aetherion_store::{Store, SymbolRecord, SymbolStatus};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::clock::now;
use crate::error::ServiceError;
use bots::{BotHub, ReactionStats, config_of, ledger_of};
use engine::{ExchangeTask, Outputs, Request, SymbolRuntime, first_trade_seq};
use snapshot::{BookSnapshot, MarketStats, TradeTick};

/// Days of one-minute history generated for a new symbol.
pub const HISTORY_DAYS: usize = 7;
const HISTORY_MINUTES: usize = HISTORY_DAYS * 24 * 60;

/// How the simulated market behaves.
#[derive(Clone, Copy, Debug)]
pub struct MarketConfig {
    pub seed: u64,
    pub takers_per_second: f64,
    /// Trades a slow SubscribeTicks reader may fall behind before it is cut off.
    pub tick_buffer: usize,
}

/// A listed symbol: its description and where its market data is published.
pub struct SymbolHandle {
    record: RwLock<SymbolRecord>,
    pub grid: Grid,
    ticks: broadcast::Sender<TradeTick>,
    pub book: watch::Receiver<Arc<BookSnapshot>>,
    pub stats: watch::Receiver<Arc<MarketStats>>,
}

impl SymbolHandle {
    pub fn record(&self) -> SymbolRecord {
        self.record.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn subscribe_ticks(&self) -> broadcast::Receiver<TradeTick> {
        self.ticks.subscribe()
    }
}

pub struct MarketHub {
    store: Store,
    config: MarketConfig,
    symbols: RwLock<BTreeMap<String, Arc<SymbolHandle>>>,
    requests: mpsc::Sender<Request>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
    /// Serialises symbol administration (add, remove).
    admin: tokio::sync::Mutex<()>,
    /// Bumped whenever a symbol is listed, for streams that follow every symbol.
    listed: watch::Sender<u64>,
    accounts: RwLock<HashMap<String, AccountId>>,
    /// The user id of every account whose balances, orders or positions were just stored.
    changed: broadcast::Sender<String>,
    bot_hub: Arc<BotHub>,
    reactions: Arc<ReactionStats>,
}

impl MarketHub {
    /// Restores the venue from storage (symbols, balances, positions, open orders in their
    /// time priority) and starts it. On a fresh database it first lists `default_symbols`.
    pub async fn start(store: Store, config: MarketConfig, default_symbols: &[SymbolRecord]) -> anyhow::Result<Arc<MarketHub>> {
        let at = now();
        if store.symbols().await?.is_empty() {
            for record in default_symbols {
                create_symbol_rows(&store, record, config, at).await?;
            }
        }
        store.assign_account_numbers().await?;
        let numbers = store.account_numbers().await?;
        let users: HashMap<AccountId, String> = numbers.iter().map(|(u, n)| (AccountId(*n), u.clone())).collect();
        let accounts: HashMap<String, AccountId> = numbers.into_iter().map(|(u, n)| (u, AccountId(n))).collect();

        let (writer_tx, writer_rx) = mpsc::channel(1024);
        let (changed, _) = broadcast::channel(1024);
        let writer = tokio::spawn(writer::run(store.clone(), writer_rx, changed.clone()));
        let bot_hub = Arc::new(BotHub::default());
        let reactions = Arc::new(ReactionStats::default());
        let mut task = ExchangeTask::new(Exchange::new(store.max_order_seq().await? + 1), users, writer_tx, bot_hub.clone(), reactions.clone());

        let (requests, requests_rx) = mpsc::channel(4096);
        let hub = Arc::new(MarketHub {
            store: store.clone(),
            config,
            symbols: RwLock::new(BTreeMap::new()),
            requests,
            tasks: std::sync::Mutex::new(vec![writer]),
            admin: tokio::sync::Mutex::new(()),
            listed: watch::Sender::new(0),
            accounts: RwLock::new(accounts.clone()),
            changed,
            bot_hub,
            reactions,
        });

        for record in store.symbols().await? {
            let (spec, runtime, handle) = hub.resume(&record, at).await?;
            task.exchange_mut().add_market(spec, first_trade_seq(at), record.status == SymbolStatus::Halted);
            task.add_symbol(runtime);
            hub.register(handle);
        }
        let exchange = task.exchange_mut();
        for (user_id, asset, free, reserved) in store.all_balances().await? {
            if let Some(account) = accounts.get(&user_id) {
                exchange.restore_balance(*account, &asset, Balance { free, reserved });
            }
        }
        for (user_id, p) in store.all_positions().await? {
            if let Some(account) = accounts.get(&user_id) {
                exchange.restore_position(*account, &p.symbol, Position { quantity: p.quantity, cost: p.cost, realized_pnl: p.realized_pnl });
            }
        }
        for (user_id, fees) in store.all_fees().await? {
            if let Some(account) = accounts.get(&user_id) {
                exchange.restore_fees(*account, fees);
            }
        }
        let open = store.open_orders().await?;
        let restored = open.len();
        for record in open {
            let (Some(account), Some(handle)) = (accounts.get(&record.user_id), hub.get(&record.symbol)) else { continue };
            match convert::from_record(&record, &handle.grid, *account) {
                Some(order) => exchange.restore_order(order, at),
                None => tracing::error!(order_id = %record.order_id, "a stored open order no longer fits its symbol; left out"),
            }
        }
        if restored > 0 {
            tracing::info!(orders = restored, "open orders are back in their books");
        }
        // Bots that were running run again, with their stored books and working orders.
        let mut resumed = 0;
        for record in store.running_bots().await? {
            let started = match accounts.get(&record.user_id) {
                Some(account) => task.start_bot(config_of(&record, *account), ledger_of(&record.run), at).map_err(|e| e.to_string()),
                None => Err("its owner has no trading account".to_owned()),
            };
            match started {
                Ok(_) => resumed += 1,
                Err(why) => {
                    tracing::warn!(bot_id = %record.run.bot_id, %why, "a bot could not restart");
                    let mut run = record.run.clone();
                    run.state = aetherion_bots::BotState::Error.as_str().to_owned();
                    run.message = format!("could not restart: {why}");
                    run.status_at = at;
                    task.store_bot_run(run);
                }
            }
        }
        let (statuses, orphans) = task.adopt_bot_orders(at);
        // Their books are the stored ones: the statuses can be shown before the task runs.
        for status in statuses {
            hub.bot_hub.publish(status);
        }
        if resumed > 0 || orphans > 0 {
            tracing::info!(bots = resumed, canceled_orphans = orphans, "bots are running again");
        }
        let task = tokio::spawn(task.run(requests_rx));
        hub.tasks.lock().unwrap_or_else(|p| p.into_inner()).push(task);
        Ok(hub)
    }

    pub fn get(&self, symbol: &str) -> Option<Arc<SymbolHandle>> {
        self.symbols.read().unwrap_or_else(|p| p.into_inner()).get(symbol).cloned()
    }

    /// A listed symbol, or NOT_FOUND naming it.
    pub fn find(&self, symbol: &str) -> Result<Arc<SymbolHandle>, ServiceError> {
        self.get(symbol).ok_or_else(|| ServiceError::NotFound(format!("symbol {symbol:?} does not exist")))
    }

    /// Every symbol, by name.
    pub fn all(&self) -> Vec<Arc<SymbolHandle>> {
        self.symbols.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// Changes whenever a symbol is added.
    pub fn symbol_list(&self) -> watch::Receiver<u64> {
        self.listed.subscribe()
    }

    /// User ids whose accounts changed, as soon as the change is stored.
    pub fn account_changes(&self) -> broadcast::Receiver<String> {
        self.changed.subscribe()
    }

    /// The exchange's number for a user's account.
    pub async fn account_of(&self, user_id: &str) -> Result<AccountId, ServiceError> {
        if let Some(account) = self.accounts.read().unwrap_or_else(|p| p.into_inner()).get(user_id) {
            return Ok(*account);
        }
        let account = self
            .store
            .account_no(user_id)
            .await?
            .map(AccountId)
            .ok_or_else(|| ServiceError::FailedPrecondition("this user has no trading account".into()))?;
        self.accounts.write().unwrap_or_else(|p| p.into_inner()).insert(user_id.to_owned(), account);
        Ok(account)
    }

    /// Tells the exchange about a new account and its opening balances.
    pub async fn open_account(&self, user_id: &str, account: AccountId, balances: Vec<(String, Balance)>) -> Result<(), ServiceError> {
        self.accounts.write().unwrap_or_else(|p| p.into_inner()).insert(user_id.to_owned(), account);
        self.send(Request::OpenAccount { account, user_id: user_id.to_owned(), balances }).await
    }

    /// Places an order; answers once it and whatever it caused are stored.
    pub async fn place(&self, request: OrderRequest) -> Result<Result<Order, PlaceError>, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Place { request, reply }).await?;
        answer.await.map_err(|_| unavailable())
    }

    /// Cancels an order; answers once the cancel is stored.
    pub async fn cancel(&self, account: AccountId, seq: u64) -> Result<Result<Order, CancelError>, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Cancel { account, seq, reply }).await?;
        answer.await.map_err(|_| unavailable())
    }

    /// Starts a bot; answers once its start is stored.
    pub async fn start_bot(&self, config: BotConfig, ledger: Ledger) -> Result<Result<BotStatus, StartError>, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::StartBot { config, ledger, reply }).await?;
        answer.await.map_err(|_| unavailable())
    }

    /// Stops a running bot (canceling its orders); answers once that is stored. `None` when
    /// it was not running.
    pub async fn stop_bot(&self, bot_id: &str, message: String) -> Result<Option<BotStatus>, ServiceError> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::StopBot { bot_id: bot_id.to_owned(), message, reply }).await?;
        answer.await.map_err(|_| unavailable())
    }

    pub fn bot_hub(&self) -> &BotHub {
        &self.bot_hub
    }

    /// How fast bots react (for the bots benchmark).
    pub fn reactions(&self) -> &ReactionStats {
        &self.reactions
    }

    /// Lists a symbol: stores it with a week of generated history and starts its market.
    pub async fn add(&self, record: SymbolRecord) -> Result<Arc<SymbolHandle>, ServiceError> {
        let _guard = self.admin.lock().await;
        if self.get(&record.symbol).is_some() {
            return Err(ServiceError::AlreadyExists(format!("symbol {} already exists", record.symbol)));
        }
        let at = now();
        create_symbol_rows(&self.store, &record, self.config, at).await?;
        let (spec, runtime, handle) = self.resume(&record, at).await.map_err(ServiceError::internal)?;
        let (reply, done) = oneshot::channel();
        self.send(Request::AddSymbol { spec, runtime: Box::new(runtime), reply }).await?;
        done.await.map_err(|_| unavailable())?;
        self.register(handle.clone());
        tracing::info!(symbol = %record.symbol, "listed a symbol");
        Ok(handle)
    }

    /// Halts a symbol: stops its bots, cancels its resting orders, stops its simulated market,
    /// keeps its history. Returns the number of orders canceled and of bots stopped.
    pub async fn remove(&self, symbol: &str) -> Result<(Arc<SymbolHandle>, u32, u32), ServiceError> {
        let _guard = self.admin.lock().await;
        let handle = self.find(symbol)?;
        if handle.record().status == SymbolStatus::Halted {
            return Err(ServiceError::FailedPrecondition(format!("symbol {symbol} is already halted")));
        }
        self.store.set_symbol_status(symbol, SymbolStatus::Halted, now()).await?;
        let (reply, answer) = oneshot::channel();
        self.send(Request::Halt { symbol: symbol.to_owned(), reply }).await?;
        let (canceled, stopped) = answer.await.map_err(|_| unavailable())?;
        handle.record.write().unwrap_or_else(|p| p.into_inner()).status = SymbolStatus::Halted;
        tracing::info!(symbol, canceled, stopped_bots = stopped, "symbol halted");
        Ok((handle, canceled, stopped))
    }

    /// Stops the exchange (storing open candles) and then the writer.
    pub async fn shutdown(&self) {
        let (reply, done) = oneshot::channel();
        if self.requests.send(Request::Stop { reply }).await.is_ok() {
            let _ = done.await;
        }
        self.symbols.write().unwrap_or_else(|p| p.into_inner()).clear();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for task in tasks.into_iter().rev() {
            let _ = task.await;
        }
    }

    async fn send(&self, request: Request) -> Result<(), ServiceError> {
        self.requests.send(request).await.map_err(|_| unavailable())
    }

    fn register(&self, handle: Arc<SymbolHandle>) {
        let symbol = handle.record().symbol;
        self.symbols.write().unwrap_or_else(|p| p.into_inner()).insert(symbol, handle);
        self.listed.send_modify(|n| *n += 1);
    }

    /// The exchange's view of a stored symbol, its runtime (with a simulator continuing from
    /// the last stored close, after filling any hole in the history) and its handle.
    async fn resume(&self, record: &SymbolRecord, at: UnixMicros) -> anyhow::Result<(MarketSpec, SymbolRuntime, Arc<SymbolHandle>)> {
        let grid = Grid::new(record.tick_size, record.lot_size)
            .ok_or_else(|| anyhow::anyhow!("symbol {} has a zero tick or lot size", record.symbol))?;
        let last = self.store.last_candle(&record.symbol).await?;
        let start_price = last.map_or(record.initial_price, |c| c.close);
        let trading = record.status == SymbolStatus::Trading;
        let mut sim = simulator(self.config, record, grid, start_price);
        if trading {
            let floor = at.0 - HISTORY_MINUTES as i64 * MINUTE_MICROS;
            let from = last.map_or(floor, |c| c.open_time.0 + MINUTE_MICROS).max(floor);
            let missing = (align(at, MINUTE_MICROS).0 - align(UnixMicros(from), MINUTE_MICROS).0) / MINUTE_MICROS;
            if missing > 0 {
                let gap = history::extend(sim.process_mut(), &grid, UnixMicros(from), missing as usize);
                self.store.upsert_candles(&record.symbol, &gap).await?;
                tracing::info!(symbol = %record.symbol, minutes = missing, "filled the history while the server was down");
            }
        }
        let day = self.store.candles(&record.symbol, UnixMicros(at.0 - 25 * 60 * MINUTE_MICROS), UnixMicros(i64::MAX), 2_000, true).await?;
        let spec = MarketSpec {
            symbol: record.symbol.clone(),
            base: record.base_asset.clone(),
            quote: record.quote_asset.clone(),
            grid,
            min_notional: record.min_notional,
            maker_fee_rate: record.maker_fee_rate,
            taker_fee_rate: record.taker_fee_rate,
        };
        let (ticks, _) = broadcast::channel(self.config.tick_buffer.max(1));
        let (book_tx, book) = watch::channel(Arc::new(BookSnapshot::default()));
        let (stats_tx, stats) = watch::channel(Arc::new(MarketStats::default()));
        let outputs = Outputs { ticks: ticks.clone(), book: book_tx, stats: stats_tx };
        let symbol: Arc<str> = Arc::from(record.symbol.as_str());
        let runtime = SymbolRuntime::new(symbol, record.quote_asset.clone(), grid, trading.then_some(sim), day, outputs);
        let handle = Arc::new(SymbolHandle { record: RwLock::new(record.clone()), grid, ticks, book, stats });
        Ok((spec, runtime, handle))
    }
}

fn unavailable() -> ServiceError {
    ServiceError::internal(anyhow::anyhow!("the exchange has stopped"))
}

fn simulator(config: MarketConfig, record: &SymbolRecord, grid: Grid, price: Amount) -> Simulator {
    let params = VenueParams { takers_per_second: config.takers_per_second, ..VenueParams::default() };
    Simulator::new(config.seed, &record.symbol, grid, price, params)
}

/// Stores a new symbol with a week of generated history ending at its initial price.
async fn create_symbol_rows(store: &Store, record: &SymbolRecord, config: MarketConfig, at: UnixMicros) -> Result<(), ServiceError> {
    let grid = Grid::new(record.tick_size, record.lot_size).ok_or_else(|| ServiceError::invalid("tick_size", "must be greater than zero"))?;
    let mut sim = simulator(config, record, grid, record.initial_price);
    let price = record.initial_price.raw() as f64 / Amount::SCALE as f64;
    let candles: Vec<Candle> = history::generate(sim.process_mut(), &grid, at, HISTORY_MINUTES, price);
    store.insert_symbol(record).await?;
    store.upsert_candles(&record.symbol, &candles).await?;
    tracing::info!(symbol = %record.symbol, candles = candles.len(), "added a symbol with generated history");
    Ok(())
}
