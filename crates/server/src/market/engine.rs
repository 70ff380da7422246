//! The exchange task: one task owns the [`Exchange`] (every book, account and user order) and
//! the simulated markets, so every change happens in one order. It answers requests, moves the
//! simulated markets on a timer, publishes market data at once (trades on a broadcast ring,
//! books and prices on watch channels), and hands what must be stored to the writer, which
//! answers the callers only once it is durable.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use aetherion_book::{Command, Side};
use aetherion_bots::{BotConfig, BotStatus, Bots, Ledger, StartError};
use aetherion_exchange::{AccountId, Balance, Batch, CancelError, Exchange, Liquidity, MarketSpec, Order, OrderRequest, PlaceError};
use aetherion_market::candles::{Candle, CandleBuilder, MINUTE_MICROS};
use aetherion_market::venue::Simulator;
use aetherion_model::{Amount, Grid, UnixMicros};
use aetherion_store::{BotRun, CommitBatch, EquityPoint, FillRecord, PositionRecord};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::clock::now;
use crate::market::bots::{BotHub, ReactionStats, run_record};
use crate::market::convert::to_record;
use crate::market::snapshot::{BookSnapshot, Level, MarketStats, TradeTick};
use crate::market::writer::{Reply, WriterJob};

/// How often the simulated markets move.
pub const STEP: Duration = Duration::from_millis(250);
/// Levels per side kept in published book snapshots (the most StreamOrderBook serves).
pub const MAX_DEPTH: usize = 1000;
const DAY_MINUTES: i64 = 24 * 60;
/// Requests handled before the results go to the writer together (group commit).
const MAX_BATCH: usize = 256;
/// Rounds of "bots react, exchange drains" in one flush; later reactions wait for the next.
const MAX_BOT_ROUNDS: usize = 8;

pub enum Request {
    Place { request: OrderRequest, reply: oneshot::Sender<Result<Order, PlaceError>> },
    Cancel { account: AccountId, seq: u64, reply: oneshot::Sender<Result<Order, CancelError>> },
    /// A new account with its opening balances.
    OpenAccount { account: AccountId, user_id: String, balances: Vec<(String, Balance)> },
    AddSymbol { spec: MarketSpec, runtime: Box<SymbolRuntime>, reply: oneshot::Sender<()> },
    /// Halts a symbol; answers (orders canceled, bots stopped).
    Halt { symbol: String, reply: oneshot::Sender<(u32, u32)> },
    StartBot { config: BotConfig, ledger: Ledger, reply: oneshot::Sender<Result<BotStatus, StartError>> },
    /// Stops a running bot; `None` when it was not running.
    StopBot { bot_id: String, message: String, reply: oneshot::Sender<Option<BotStatus>> },
    /// Flush open candles, stop.
    Stop { reply: oneshot::Sender<()> },
}

/// The channels a symbol publishes on.
pub struct Outputs {
    pub ticks: broadcast::Sender<TradeTick>,
    pub book: watch::Sender<Arc<BookSnapshot>>,
    pub stats: watch::Sender<Arc<MarketStats>>,
}

/// What the task keeps per symbol besides its book.
pub struct SymbolRuntime {
    pub symbol: Arc<str>,
    pub quote: String,
    pub grid: Grid,
    pub sim: Option<Simulator>,
    candles: CandleBuilder,
    recent: VecDeque<Candle>,
    volume_24h: Amount,
    book_seq: u64,
    outputs: Outputs,
}

impl SymbolRuntime {
    /// `history`: stored one-minute candles of about the last day, oldest first.
    pub fn new(symbol: Arc<str>, quote: String, grid: Grid, sim: Option<Simulator>, history: Vec<Candle>, outputs: Outputs) -> Self {
        SymbolRuntime {
            symbol,
            quote,
            grid,
            sim,
            candles: CandleBuilder::default(),
            recent: history.into_iter().collect(),
            volume_24h: Amount::ZERO,
            book_seq: 0,
            outputs,
        }
    }

    fn last_price(&self, exchange: &Exchange) -> Option<Amount> {
        self.candles
            .current()
            .map(|c| c.close)
            .or_else(|| exchange.book(&self.symbol)?.last_trade_price().and_then(|t| self.grid.ticks_to_price(u64::try_from(t.0).ok()?)))
            .or_else(|| self.recent.back().map(|c| c.close))
    }
}

pub struct ExchangeTask {
    exchange: Exchange,
    symbols: BTreeMap<String, SymbolRuntime>,
    users: HashMap<AccountId, String>,
    writer: mpsc::Sender<WriterJob>,
    replies: Vec<Reply>,
    commands: Vec<Command>,
    closed_candles: Vec<(String, Candle)>,
    /// Equity points of accounts opened since the last flush.
    opening: Vec<(String, EquityPoint)>,
    equity_minute: i64,
    bots: Bots,
    bot_hub: Arc<BotHub>,
    /// Bot books to store that did not come from the runtime (bots that could not restart).
    bot_runs: Vec<BotRun>,
    reactions: Arc<ReactionStats>,
}

impl ExchangeTask {
    pub fn new(exchange: Exchange, users: HashMap<AccountId, String>, writer: mpsc::Sender<WriterJob>, bot_hub: Arc<BotHub>, reactions: Arc<ReactionStats>) -> Self {
        ExchangeTask {
            exchange,
            symbols: BTreeMap::new(),
            users,
            writer,
            replies: Vec::new(),
            commands: Vec::with_capacity(256),
            closed_candles: Vec::new(),
            opening: Vec::new(),
            equity_minute: now().0.div_euclid(MINUTE_MICROS),
            bots: Bots::new(),
            bot_hub,
            bot_runs: Vec::new(),
            reactions,
        }
    }

    /// Starts a bot: its strategy warms up on the symbol's recent one-minute candles.
    pub fn start_bot(&mut self, config: BotConfig, ledger: Ledger, at: UnixMicros) -> Result<BotStatus, StartError> {
        let (history, last_price) = match self.symbols.get(&config.symbol) {
            Some(rt) => (rt.recent.iter().copied().collect::<Vec<_>>(), rt.last_price(&self.exchange)),
            None => (Vec::new(), None),
        };
        self.bots.start(&mut self.exchange, config, ledger, &history, last_price, at)
    }

    /// Stores a bot's books as they are (a bot that could not be restarted).
    pub fn store_bot_run(&mut self, run: BotRun) {
        self.bot_runs.push(run);
    }

    /// After a restart: the running bots take their open orders back; orders of bots that
    /// are not running are canceled. Returns the statuses of the running bots and how many
    /// orders were canceled.
    pub fn adopt_bot_orders(&mut self, at: UnixMicros) -> (Vec<BotStatus>, usize) {
        let orphans = self.bots.adopt_orders(&mut self.exchange, at);
        // Nothing in the books changed (they are the stored ones): the updates are only shown.
        let statuses = self.bots.take_updates().into_iter().map(|u| u.status).collect();
        (statuses, orphans)
    }

    pub fn exchange_mut(&mut self) -> &mut Exchange {
        &mut self.exchange
    }

    /// Adds a symbol before the task runs (start-up).
    pub fn add_symbol(&mut self, runtime: SymbolRuntime) {
        let at = now();
        let symbol = runtime.symbol.to_string();
        self.symbols.insert(symbol.clone(), runtime);
        self.trim_recent(&symbol, at);
        self.publish_book(&symbol, at);
        self.publish_stats(&symbol, at);
    }

    pub async fn run(mut self, mut requests: mpsc::Receiver<Request>) {
        let mut ticker = tokio::time::interval(STEP);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The next bar of a running bot closes on time even if no trade comes.
            let bar_close = self.bots.next_bar_close();
            let bar_timer = async move {
                match bar_close {
                    Some(close) => {
                        let wait = u64::try_from(close.0 - now().0).unwrap_or(0);
                        tokio::time::sleep(Duration::from_micros(wait + 200)).await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = bar_timer => {
                    let at = now();
                    if self.bots.on_time(&mut self.exchange, at) {
                        self.flush(at).await;
                    }
                    if let Some(close) = bar_close {
                        self.reactions.record_bar(now().0 - close.0);
                    }
                }
                request = requests.recv() => {
                    let Some(request) = request else { break };
                    if let Some(stop) = self.handle(request) {
                        self.flush(now()).await;
                        self.stop(stop).await;
                        return;
                    }
                    // Everything already waiting joins this batch: one commit for all of it.
                    for _ in 1..MAX_BATCH {
                        match requests.try_recv() {
                            Ok(request) => {
                                if let Some(stop) = self.handle(request) {
                                    self.flush(now()).await;
                                    self.stop(stop).await;
                                    return;
                                }
                            }
                            Err(_) => break,
                        }
                    }
                    self.flush(now()).await;
                }
                _ = ticker.tick() => {
                    let at = now();
                    self.step_markets(at);
                    self.flush(at).await;
                }
            }
        }
        self.flush(now()).await;
    }

    /// Handles one request; returns the reply channel of a stop request.
    fn handle(&mut self, request: Request) -> Option<oneshot::Sender<()>> {
        let at = now();
        match request {
            Request::Place { request, reply } => {
                let result = self.exchange.place(request, at).map(|seq| self.exchange.order(seq).cloned().expect("just placed"));
                match result {
                    // Refused: nothing changed, nothing to store.
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                    Ok(order) => self.replies.push(Box::new(move || {
                        let _ = reply.send(Ok(order));
                    })),
                }
            }
            Request::Cancel { account, seq, reply } => match self.exchange.cancel(account, seq, at) {
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
                Ok(()) => {
                    let order = self.exchange.order(seq).cloned().expect("canceled orders stay until the drain");
                    self.replies.push(Box::new(move || {
                        let _ = reply.send(Ok(order));
                    }));
                }
            },
            Request::OpenAccount { account, user_id, balances } => {
                for (asset, balance) in balances {
                    self.exchange.restore_balance(account, &asset, balance);
                }
                // The equity curve starts with the opening balance.
                if let Some(point) = self.equity_point(account, at) {
                    self.opening.push((user_id.clone(), point));
                }
                self.users.insert(account, user_id);
            }
            Request::AddSymbol { spec, runtime, reply } => {
                self.exchange.add_market(spec, first_trade_seq(at), false);
                self.add_symbol(*runtime);
                let _ = reply.send(());
            }
            Request::Halt { symbol, reply } => {
                let stopped = self.bots.stop_symbol(&mut self.exchange, &symbol, at);
                let canceled = self.exchange.halt(&symbol, at);
                if let Some(rt) = self.symbols.get_mut(&symbol) {
                    rt.sim = None;
                }
                self.replies.push(Box::new(move || {
                    let _ = reply.send((canceled, stopped));
                }));
            }
            Request::StartBot { config, ledger, reply } => match self.start_bot(config, ledger, at) {
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
                Ok(status) => self.replies.push(Box::new(move || {
                    let _ = reply.send(Ok(status));
                })),
            },
            Request::StopBot { bot_id, message, reply } => match self.bots.stop(&mut self.exchange, &bot_id, aetherion_bots::BotState::Stopped, message, at) {
                None => {
                    let _ = reply.send(None);
                }
                Some(status) => self.replies.push(Box::new(move || {
                    let _ = reply.send(Some(status));
                })),
            },
            Request::Stop { reply } => return Some(reply),
        }
        None
    }

    async fn stop(&mut self, reply: oneshot::Sender<()>) {
        let mut commit = CommitBatch::default();
        for rt in self.symbols.values() {
            if let Some(open) = rt.candles.current() {
                commit.candles.push((rt.symbol.to_string(), *open));
            }
        }
        let (done, finished) = oneshot::channel();
        let job = WriterJob { commit, replies: vec![Box::new(move || {
            let _ = done.send(());
        })], accounts: Vec::new() };
        if self.writer.send(job).await.is_ok() {
            let _ = finished.await;
        }
        let _ = reply.send(());
    }

    fn step_markets(&mut self, at: UnixMicros) {
        let symbols: Vec<String> = self.symbols.keys().cloned().collect();
        for symbol in symbols {
            let rt = self.symbols.get_mut(&symbol).expect("listed");
            if let Some(closed) = rt.candles.roll(at) {
                self.close_candle(&symbol, closed, at);
            }
            let rt = self.symbols.get_mut(&symbol).expect("listed");
            let (Some(sim), Some(book)) = (rt.sim.as_mut(), self.exchange.book(&symbol)) else { continue };
            self.commands.clear();
            sim.step(book, STEP.as_secs_f64(), &mut self.commands);
            let commands = std::mem::take(&mut self.commands);
            self.exchange.apply_market_commands(&symbol, &commands, at);
            self.commands = commands;
        }
    }

    /// Publishes and stores what changed since the last flush, lets the bots react (their
    /// orders join the same commit), and passes the waiting replies to the writer.
    async fn flush(&mut self, at: UnixMicros) {
        let mut commit = CommitBatch::default();
        let mut accounts: Vec<String> = Vec::new();
        let mut first_trade: Option<UnixMicros> = None;
        for round in 0..MAX_BOT_ROUNDS {
            let batch = self.exchange.drain();
            if round > 0 && batch.is_empty() {
                break;
            }
            first_trade = first_trade.or_else(|| batch.trades.iter().map(|t| t.at).min());
            self.publish(&batch, at);
            commit.append(self.commit_of(&batch));
            accounts.extend(batch.accounts().iter().filter_map(|a| self.users.get(a).cloned()));
            if !self.bots.on_batch(&mut self.exchange, &batch, at) {
                break;
            }
        }
        if let Some(first) = first_trade
            && !self.bots.is_empty()
        {
            self.reactions.record_trade(now().0 - first.0);
        }
        // Bot statuses are published once the batch is stored: a status a client saw (fills,
        // books) is never lost to a crash.
        let mut statuses = Vec::new();
        for update in self.bots.take_updates() {
            if update.durable {
                commit.bots.push(run_record(&update));
            }
            statuses.push(update.status);
        }
        if !statuses.is_empty() {
            let hub = self.bot_hub.clone();
            self.replies.push(Box::new(move || {
                for status in statuses {
                    hub.publish(status);
                }
            }));
        }
        commit.bots.append(&mut self.bot_runs);

        let minute = at.0.div_euclid(MINUTE_MICROS);
        if minute != self.equity_minute {
            self.equity_minute = minute;
            let accounts: Vec<AccountId> = self.users.keys().copied().collect();
            for account in accounts {
                if let Some(point) = self.equity_point(account, at) {
                    commit.equity.push((self.users[&account].clone(), point));
                }
            }
        }
        commit.candles.append(&mut self.closed_candles);
        commit.equity.append(&mut self.opening);
        let replies = std::mem::take(&mut self.replies);
        if commit.is_empty() && replies.is_empty() {
            return;
        }
        accounts.sort();
        accounts.dedup();
        if self.writer.send(WriterJob { commit, replies, accounts }).await.is_err() {
            tracing::error!("the storage writer is gone; changes are not stored");
        }
    }

    /// Publishes a batch's market data: ticks, candles, books, price statistics.
    fn publish(&mut self, batch: &Batch, at: UnixMicros) {
        let mut changed_stats: Vec<String> = Vec::new();
        for trade in &batch.trades {
            let Some(rt) = self.symbols.get_mut(&trade.symbol) else { continue };
            let tick = TradeTick {
                symbol: rt.symbol.clone(),
                sequence: trade.seq,
                price: trade.price,
                quantity: trade.quantity,
                taker_side: trade.taker_side,
                at: trade.at,
            };
            let _ = rt.outputs.ticks.send(tick);
            if let Some(closed) = rt.candles.on_trade(trade.at, trade.price, trade.quantity) {
                self.close_candle(&trade.symbol, closed, at);
            }
            if changed_stats.last() != Some(&trade.symbol) {
                changed_stats.push(trade.symbol.clone());
            }
        }
        for symbol in &batch.books {
            self.publish_book(symbol, at);
            if !changed_stats.contains(symbol) {
                changed_stats.push(symbol.clone());
            }
        }
        changed_stats.sort();
        changed_stats.dedup();
        for symbol in &changed_stats {
            self.publish_stats(symbol, at);
        }
    }

    /// The stored form of a batch, with an equity point for every account that traded.
    fn commit_of(&self, batch: &Batch) -> CommitBatch {
        let user = |a: &AccountId| self.users.get(a).cloned();
        let mut commit = CommitBatch::default();
        for order in &batch.orders {
            let (Some(user_id), Some(rt)) = (user(&order.account), self.symbols.get(&order.symbol)) else { continue };
            commit.orders.push(to_record(order, &rt.grid, &user_id));
        }
        for fill in &batch.fills {
            let Some(user_id) = user(&fill.account) else { continue };
            commit.fills.push(FillRecord {
                trade_id: format!("{}:{}", fill.symbol, fill.trade_seq),
                order_id: fill.order_id.clone(),
                user_id,
                symbol: fill.symbol.clone(),
                side: fill.side,
                price: fill.price,
                quantity: fill.quantity,
                fee: fill.fee,
                liquidity: match fill.liquidity {
                    Liquidity::Maker => "maker",
                    Liquidity::Taker => "taker",
                }
                .to_owned(),
                at: fill.at,
            });
        }
        for (account, asset, balance) in &batch.balances {
            if let Some(user_id) = user(account) {
                commit.balances.push((user_id, asset.clone(), balance.free, balance.reserved));
            }
        }
        for (account, symbol, p) in &batch.positions {
            if let Some(user_id) = user(account) {
                commit.positions.push((user_id, PositionRecord { symbol: symbol.clone(), quantity: p.quantity, cost: p.cost, realized_pnl: p.realized_pnl }));
            }
        }
        for (account, fees) in &batch.fees {
            if let Some(user_id) = user(account) {
                commit.fees.push((user_id, *fees));
            }
        }
        let mut traded: Vec<AccountId> = batch.fills.iter().map(|f| f.account).collect();
        traded.sort();
        traded.dedup();
        for account in traded {
            if let (Some(user_id), Some(point)) = (user(&account), self.equity_point(account, batch.fills[0].at)) {
                commit.equity.push((user_id, point));
            }
        }
        commit
    }

    /// An account's equity in its quote asset, valued at last prices.
    fn equity_point(&self, account: AccountId, at: UnixMicros) -> Option<EquityPoint> {
        let balances = self.exchange.balances(account);
        if balances.is_empty() {
            return None;
        }
        let quote = self.symbols.values().next().map(|rt| rt.quote.clone()).unwrap_or_else(|| "USD".to_owned());
        let mut cash = Amount::ZERO;
        let mut value = Amount::ZERO;
        let mut realized = Amount::ZERO;
        let mut unrealized = Amount::ZERO;
        for (asset, balance) in &balances {
            if *asset == quote {
                cash = cash.checked_add(balance.total())?;
            }
        }
        for rt in self.symbols.values().filter(|rt| rt.quote == quote) {
            let position = self.exchange.position(account, &rt.symbol);
            realized = realized.checked_add(position.realized_pnl)?;
            if position.quantity.is_zero() {
                continue;
            }
            let price = rt.last_price(&self.exchange).unwrap_or(Amount::ZERO);
            let market_value = mul(price, position.quantity)?;
            value = value.checked_add(market_value)?;
            unrealized = unrealized.checked_add(market_value.checked_sub(position.cost)?)?;
        }
        Some(EquityPoint { at, equity: cash.checked_add(value)?, cash, realized_pnl: realized, unrealized_pnl: unrealized })
    }

    fn close_candle(&mut self, symbol: &str, candle: Candle, at: UnixMicros) {
        self.closed_candles.push((symbol.to_owned(), candle));
        if let Some(rt) = self.symbols.get_mut(symbol) {
            rt.recent.push_back(candle);
        }
        self.trim_recent(symbol, at);
    }

    /// Keeps a little over a day of closed candles and recomputes their volume.
    fn trim_recent(&mut self, symbol: &str, at: UnixMicros) {
        let Some(rt) = self.symbols.get_mut(symbol) else { return };
        let since = at.0 - (DAY_MINUTES + 1) * MINUTE_MICROS;
        while rt.recent.front().is_some_and(|c| c.open_time.0 < since) {
            rt.recent.pop_front();
        }
        let day_start = at.0 - DAY_MINUTES * MINUTE_MICROS;
        rt.volume_24h = rt
            .recent
            .iter()
            .filter(|c| c.open_time.0 >= day_start)
            .fold(Amount::ZERO, |sum, c| sum.checked_add(c.volume).unwrap_or(Amount::MAX));
    }

    fn publish_book(&mut self, symbol: &str, at: UnixMicros) {
        let (Some(rt), Some(book)) = (self.symbols.get_mut(symbol), self.exchange.book(symbol)) else { return };
        rt.book_seq += 1;
        let depth = book.snapshot(MAX_DEPTH);
        let grid = rt.grid;
        let convert = |levels: &[aetherion_book::LevelInfo]| -> Vec<Level> {
            levels
                .iter()
                .filter_map(|l| {
                    Some(Level { price: grid.ticks_to_price(u64::try_from(l.price.0).ok()?)?, quantity: grid.lots_to_qty(l.quantity.0)?, orders: l.orders })
                })
                .collect()
        };
        let snapshot = BookSnapshot { sequence: rt.book_seq, bids: convert(&depth.bids), asks: convert(&depth.asks), at };
        rt.outputs.book.send_replace(Arc::new(snapshot));
    }

    fn publish_stats(&mut self, symbol: &str, at: UnixMicros) {
        let (Some(rt), Some(book)) = (self.symbols.get(symbol), self.exchange.book(symbol)) else { return };
        let grid = rt.grid;
        let price_of = |side: Side| book.best(side).and_then(|l| grid.ticks_to_price(u64::try_from(l.price.0).ok()?));
        let current = rt.candles.current().copied();
        let last_price = rt.last_price(&self.exchange);
        let day_ago = at.0 - DAY_MINUTES * MINUTE_MICROS;
        let reference = rt.recent.iter().rev().find(|c| c.open_time.0 + MINUTE_MICROS <= day_ago).or_else(|| rt.recent.front()).map(|c| c.close);
        let change_24h_percent = match (last_price, reference) {
            (Some(last), Some(then)) if then.is_positive() => (last.raw() as f64 / then.raw() as f64 - 1.0) * 100.0,
            _ => 0.0,
        };
        let previous = rt.outputs.stats.borrow().recent.clone();
        let recent = if previous.len() == rt.recent.len() && previous.last() == rt.recent.back() {
            previous
        } else {
            Arc::new(rt.recent.iter().copied().collect())
        };
        let volume_24h = current.map_or(rt.volume_24h, |c| rt.volume_24h.checked_add(c.volume).unwrap_or(Amount::MAX));
        let stats = MarketStats {
            last_price,
            best_bid: price_of(Side::Buy),
            best_ask: price_of(Side::Sell),
            volume_24h,
            change_24h_percent,
            recent,
            current,
            at,
        };
        rt.outputs.stats.send_replace(Arc::new(stats));
    }
}

/// Trade numbers of a symbol start at the start-up time in microseconds, so that they keep
/// rising across restarts (the simulated market trades far less than once a microsecond).
pub fn first_trade_seq(at: UnixMicros) -> u64 {
    u64::try_from(at.0).unwrap_or(1).max(1)
}

/// `price * quantity`, rounded down to eight decimals.
pub fn mul(price: Amount, quantity: Amount) -> Option<Amount> {
    let raw = i128::from(price.raw()) * i128::from(quantity.raw()) / i128::from(Amount::SCALE);
    i64::try_from(raw).ok().map(Amount::from_raw)
}
