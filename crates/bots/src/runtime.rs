//! Running bots: each one's strategy, bars, books and working orders, driven by the exchange's
//! batches and the clock the caller passes in. Orders go straight into the [`Exchange`], the
//! same path (checks, funds, matching) as every user's order.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};

use aetherion_book::{Lots, Ticks, TimeInForce};
use aetherion_exchange::{Batch, Exchange, OrderRequest, OrderTag, OrderType, UserFill, protection_price};
use aetherion_market::candles::{Candle, CandleBuilder};
use aetherion_model::{Amount, Grid, Side, UnixMicros};
use aetherion_strategy::{Bar, Context, Intent, OrderKind, ParamError, Size, Strategy};

use crate::bars::{f, to_bar, warmup_bars};
use crate::config::{BotConfig, BotState, INTERVAL_PARAM, Signal, interval_micros};
use crate::ledger::{Ledger, mul};

/// A bot's status as clients see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotStatus {
    pub bot_id: String,
    pub state: BotState,
    pub position: Amount,
    pub average_entry_price: Option<Amount>,
    pub cash: Amount,
    pub equity: Amount,
    pub realized_pnl: Amount,
    pub unrealized_pnl: Amount,
    pub trade_count: u64,
    pub open_orders: u32,
    pub last_signal: Signal,
    pub message: String,
    pub started_at: Option<UnixMicros>,
    pub updated_at: UnixMicros,
}

/// A change to report: the new status, and the books to store when `durable` (fills, a new
/// signal, a state change; price moves alone are only published).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotUpdate {
    pub status: BotStatus,
    pub ledger: Ledger,
    pub durable: bool,
}

/// Why a bot could not start.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StartError {
    #[error("the bot is already running")]
    AlreadyRunning,
    #[error("symbol {0} does not exist")]
    UnknownSymbol(String),
    #[error("symbol {0} is halted")]
    Halted(String),
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error("the strategy failed while warming up: {0}")]
    Failed(String),
}

/// Fractions from here up mean "everything" ([`Size::ALL`] is `1 - f64::EPSILON`).
const ALL_BUT: f64 = 1.0 - 1e-9;

/// What the ledger has seen of one working order's fills.
#[derive(Clone, Copy, Debug, Default)]
struct Synced {
    filled: u64,
    notional: Amount,
    fees: Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    None,
    /// Publish only.
    Status,
    /// Publish and store.
    Durable,
}

struct LiveBot {
    config: BotConfig,
    ledger: Ledger,
    strategy: Box<dyn Strategy>,
    ctx: Context,
    bars: CandleBuilder,
    open: BTreeMap<u64, Synced>,
    last_price: Option<Amount>,
    message: String,
    updated_at: UnixMicros,
    change: Change,
    /// Sides of the orders placed since the strategy last ran (buy, sell).
    placed: (bool, bool),
}

/// The bot is done: stop it with this state and reason.
struct Halt(BotState, String);

/// Every running bot.
#[derive(Default)]
pub struct Bots {
    bots: BTreeMap<String, LiveBot>,
    updates: Vec<BotUpdate>,
    /// The earliest close of a bar in progress, kept up to date as bars open and close (the
    /// exchange task asks for it on every turn).
    next_close: Option<UnixMicros>,
}

impl Bots {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.bots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bots.is_empty()
    }

    pub fn is_running(&self, bot_id: &str) -> bool {
        self.bots.contains_key(bot_id)
    }

    /// Starts a bot with `ledger` (a fresh one, or the stored one after a restart). Its
    /// strategy warms up on `history` (one-minute candles, oldest first) resampled to its
    /// interval; what it asks for meanwhile is ignored. After a restart, [`Bots::adopt_orders`]
    /// gives the bots their working orders back.
    pub fn start(
        &mut self,
        exchange: &mut Exchange,
        config: BotConfig,
        ledger: Ledger,
        history: &[Candle],
        last_price: Option<Amount>,
        now: UnixMicros,
    ) -> Result<BotStatus, StartError> {
        if self.bots.contains_key(&config.bot_id) {
            return Err(StartError::AlreadyRunning);
        }
        match exchange.is_halted(&config.symbol) {
            None => return Err(StartError::UnknownSymbol(config.symbol.clone())),
            Some(true) => return Err(StartError::Halted(config.symbol.clone())),
            Some(false) => {}
        }
        let info = aetherion_strategy::find(&config.strategy).ok_or_else(|| ParamError::UnknownStrategy { name: config.strategy.clone() })?;
        let own: BTreeMap<String, f64> = config.params.iter().filter(|(k, _)| k.as_str() != INTERVAL_PARAM).map(|(k, v)| (k.clone(), *v)).collect();
        let strategy = info.create(&own)?;
        self.start_with(exchange, config, strategy, ledger, history, last_price, now)
    }

    #[allow(clippy::too_many_arguments)]
    fn start_with(
        &mut self,
        exchange: &mut Exchange,
        config: BotConfig,
        strategy: Box<dyn Strategy>,
        ledger: Ledger,
        history: &[Candle],
        last_price: Option<Amount>,
        now: UnixMicros,
    ) -> Result<BotStatus, StartError> {
        let interval = interval_micros(&config.params);
        let mut bot = LiveBot {
            config,
            ledger,
            strategy,
            ctx: Context::new(),
            bars: CandleBuilder::new(interval),
            open: BTreeMap::new(),
            last_price,
            message: String::new(),
            updated_at: now,
            change: Change::Durable,
            placed: (false, false),
        };
        for bar in warmup_bars(history, interval, now) {
            bot.set_context(exchange);
            bot.call(|s, ctx| s.on_bar(&bar, ctx)).map_err(|Halt(_, why)| StartError::Failed(why))?;
            bot.ctx.clear_intents();
        }
        let status = bot.status(BotState::Running);
        self.bots.insert(bot.config.bot_id.clone(), bot);
        self.refresh_next_close();
        Ok(status)
    }

    /// After a restart: every open order tagged with a running bot becomes that bot's working
    /// order again (its fills so far are in the stored books); every other bot-tagged order is
    /// canceled, so that no order stays in a book without its bot. Returns how many were.
    pub fn adopt_orders(&mut self, exchange: &mut Exchange, now: UnixMicros) -> usize {
        let mut orphans = Vec::new();
        for o in exchange.open_orders() {
            let Some(id) = o.tag.bot_id.as_deref() else { continue };
            match self.bots.get_mut(id) {
                Some(bot) => {
                    bot.open.insert(o.seq, Synced { filled: o.filled.0, notional: o.filled_notional, fees: o.fees });
                    bot.touch(Change::Status, now);
                }
                None => orphans.push((o.account, o.seq)),
            }
        }
        for (account, seq) in &orphans {
            let _ = exchange.cancel(*account, *seq, now);
        }
        orphans.len()
    }

    /// Stops a running bot: books the fills it already has, cancels its working orders and
    /// keeps what it holds. Returns its last status; `None` if it was not running.
    pub fn stop(&mut self, exchange: &mut Exchange, bot_id: &str, state: BotState, message: String, now: UnixMicros) -> Option<BotStatus> {
        let mut bot = self.bots.remove(bot_id)?;
        let grid = exchange.spec(&bot.config.symbol).map(|s| s.grid);
        // Fills not drained yet belong to this run: book them before it ends.
        let pending: Vec<UserFill> = exchange.pending_fills().iter().filter(|f| bot.open.contains_key(&f.order_seq)).cloned().collect();
        for fill in &pending {
            bot.on_fill(fill, grid.as_ref());
        }
        for seq in std::mem::take(&mut bot.open).into_keys() {
            let _ = exchange.cancel(bot.config.account, seq, now);
        }
        bot.message = message;
        bot.updated_at = now;
        let status = bot.status(state);
        self.updates.push(BotUpdate { status: status.clone(), ledger: bot.ledger.clone(), durable: true });
        Some(status)
    }

    /// Stops every bot trading `symbol` (it was removed). Returns how many.
    pub fn stop_symbol(&mut self, exchange: &mut Exchange, symbol: &str, now: UnixMicros) -> u32 {
        let ids: Vec<String> = self.bots.values().filter(|b| b.config.symbol == symbol).map(|b| b.config.bot_id.clone()).collect();
        for id in &ids {
            self.stop(exchange, id, BotState::Stopped, format!("stopped: symbol {symbol} was removed"), now);
        }
        ids.len() as u32
    }

    /// Reacts to what the exchange did: books the bots' fills, feeds every trade to the bars
    /// of the bots on its symbol (a closed bar runs the strategy), and applies the risk
    /// limits at the latest price. Returns whether any bot placed or canceled an order (the
    /// caller drains the exchange again).
    pub fn on_batch(&mut self, exchange: &mut Exchange, batch: &Batch, now: UnixMicros) -> bool {
        if self.bots.is_empty() || (batch.trades.is_empty() && batch.fills.is_empty() && batch.orders.is_empty()) {
            return false;
        }
        // The bots' orders in this batch, by sequence number.
        let owner: HashMap<u64, &str> = batch.orders.iter().filter_map(|o| Some((o.seq, o.tag.bot_id.as_deref()?))).collect();
        for fill in &batch.fills {
            if let Some(bot) = owner.get(&fill.order_seq).and_then(|id| self.bots.get_mut(*id)) {
                let grid = exchange.spec(&fill.symbol).map(|s| s.grid);
                bot.on_fill(fill, grid.as_ref());
            }
        }
        for order in batch.orders.iter().filter(|o| o.status.is_final()) {
            if let Some(bot) = owner.get(&order.seq).and_then(|id| self.bots.get_mut(*id))
                && bot.open.remove(&order.seq).is_some()
            {
                bot.touch(Change::Durable, now);
            }
        }
        // Trades per symbol, those at the same time merged: every bot of a symbol takes in a
        // handful of these rather than every trade.
        let mut trades: HashMap<&str, Vec<Candle>> = HashMap::new();
        for t in &batch.trades {
            let at_once = trades.entry(t.symbol.as_str()).or_default();
            match at_once.last_mut() {
                Some(c) if c.open_time == t.at => c.add_trade(t.price, t.quantity),
                _ => at_once.push(Candle::first(t.at, t.price, t.quantity)),
            }
        }
        let mut acted = false;
        let mut halts = Vec::new();
        for bot in self.bots.values_mut() {
            let Some(trades) = trades.get(bot.config.symbol.as_str()) else { continue };
            let price_before = bot.last_price;
            let mut outcome = Ok(false);
            for t in trades {
                if let Some(bar) = bot.bars.on_trades(t) {
                    match bot.on_bar(exchange, &to_bar(bar), now) {
                        Ok(a) => outcome = Ok(outcome.unwrap_or(false) || a),
                        Err(halt) => {
                            outcome = Err(halt);
                            break;
                        }
                    }
                }
                bot.last_price = Some(t.close);
            }
            let outcome = outcome.and_then(|a| Ok(bot.check_risk(exchange, now)? || a));
            // A new price changes the status (equity, unrealized PnL) only of a bot that holds
            // something; a flat bot's status stays as it was.
            if bot.last_price != price_before && !bot.ledger.position.is_zero() {
                bot.touch(Change::Status, now);
            }
            match outcome {
                Ok(a) => acted |= a,
                Err(halt) => halts.push((bot.config.bot_id.clone(), halt)),
            }
        }
        let halted = self.halt_all(exchange, halts, now);
        if !batch.trades.is_empty() {
            self.refresh_next_close();
        }
        halted || acted
    }

    /// Closes the bars whose interval has ended by `now` and runs the strategies on them.
    /// Returns whether any bot placed or canceled an order.
    pub fn on_time(&mut self, exchange: &mut Exchange, now: UnixMicros) -> bool {
        let mut acted = false;
        let mut halts = Vec::new();
        for bot in self.bots.values_mut() {
            let Some(bar) = bot.bars.roll(now) else { continue };
            match bot.on_bar(exchange, &to_bar(bar), now).and_then(|a| Ok(bot.check_risk(exchange, now)? || a)) {
                Ok(a) => acted |= a,
                Err(halt) => halts.push((bot.config.bot_id.clone(), halt)),
            }
        }
        let halted = self.halt_all(exchange, halts, now);
        self.refresh_next_close();
        halted || acted
    }

    /// Stops the bots that must end; returns whether there were any (their orders canceled).
    fn halt_all(&mut self, exchange: &mut Exchange, halts: Vec<(String, Halt)>, now: UnixMicros) -> bool {
        let any = !halts.is_empty();
        for (id, Halt(state, why)) in halts {
            self.stop(exchange, &id, state, why, now);
        }
        any
    }

    /// The earliest time a bar in progress closes.
    pub fn next_bar_close(&self) -> Option<UnixMicros> {
        self.next_close
    }

    fn refresh_next_close(&mut self) {
        self.next_close = self.bots.values().filter_map(|b| b.bars.closes_at()).min();
    }

    /// A running bot's status.
    pub fn status(&self, bot_id: &str) -> Option<BotStatus> {
        self.bots.get(bot_id).map(|b| b.status(BotState::Running))
    }

    /// Changes since the last call: stopped bots, and running bots whose status changed.
    pub fn take_updates(&mut self) -> Vec<BotUpdate> {
        let mut updates = std::mem::take(&mut self.updates);
        for bot in self.bots.values_mut() {
            if bot.change != Change::None {
                updates.push(BotUpdate { status: bot.status(BotState::Running), ledger: bot.ledger.clone(), durable: bot.change == Change::Durable });
                bot.change = Change::None;
            }
        }
        updates
    }
}

impl LiveBot {
    fn touch(&mut self, change: Change, now: UnixMicros) {
        if change == Change::Durable || self.change == Change::None {
            self.change = change;
        }
        self.updated_at = now;
    }

    fn status(&self, state: BotState) -> BotStatus {
        BotStatus {
            bot_id: self.config.bot_id.clone(),
            state,
            position: self.ledger.position,
            average_entry_price: self.ledger.average_entry_price(),
            cash: self.ledger.cash,
            equity: self.ledger.equity(self.last_price),
            realized_pnl: self.ledger.realized_pnl,
            unrealized_pnl: self.ledger.unrealized_pnl(self.last_price),
            trade_count: self.ledger.trade_count,
            open_orders: self.open.len() as u32,
            last_signal: self.ledger.last_signal,
            message: self.message.clone(),
            started_at: Some(self.ledger.started_at),
            updated_at: self.updated_at,
        }
    }

    fn on_fill(&mut self, fill: &UserFill, grid: Option<&Grid>) {
        self.ledger.apply_fill(fill.side, fill.price, fill.quantity, fill.fee);
        if let Some(synced) = self.open.get_mut(&fill.order_seq) {
            synced.filled += grid.and_then(|g| g.qty_to_lots(fill.quantity).ok()).unwrap_or(0);
            synced.notional = synced.notional.checked_add(mul(fill.price, fill.quantity)).unwrap_or(Amount::MAX);
            synced.fees = synced.fees.checked_add(fill.fee).unwrap_or(Amount::MAX);
        }
        self.last_price = Some(fill.price);
        self.touch(Change::Durable, fill.at);
    }

    /// Runs the strategy, turning a panic into a failure with its message.
    fn call(&mut self, run: impl FnOnce(&mut dyn Strategy, &mut Context)) -> Result<(), Halt> {
        let (strategy, ctx) = (&mut self.strategy, &mut self.ctx);
        catch_unwind(AssertUnwindSafe(|| run(strategy.as_mut(), ctx))).map_err(|panic| {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown failure".to_owned());
            Halt(BotState::Error, format!("the strategy failed: {why}"))
        })
    }

    fn set_context(&mut self, exchange: &Exchange) {
        let lots = exchange.spec(&self.config.symbol).map_or(0, |s| lots_floor(&s.grid, self.ledger.position));
        self.ctx.set_account(i64::try_from(lots).unwrap_or(i64::MAX), f(self.ledger.equity(self.last_price)), self.open.len());
    }

    fn on_bar(&mut self, exchange: &mut Exchange, bar: &Bar, now: UnixMicros) -> Result<bool, Halt> {
        self.set_context(exchange);
        self.call(|s, ctx| s.on_bar(bar, ctx))?;
        let intents: Vec<Intent> = self.ctx.intents().to_vec();
        self.ctx.clear_intents();
        let position = self.ledger.position;
        let mut acted = false;
        for intent in intents {
            acted |= self.execute(exchange, intent, now)?;
        }
        // The signal is what the bar led to: orders of one side (spot: a sell needs something
        // to sell), or nothing new.
        let (buys, sells) = std::mem::take(&mut self.placed);
        let signal = match (buys, sells || self.ledger.position < position) {
            (true, false) => Signal::Buy,
            (false, true) => Signal::Sell,
            _ => Signal::Hold,
        };
        // Stored when it changes (orders placed are stored anyway): most bars repeat "hold".
        if signal != self.ledger.last_signal {
            self.ledger.last_signal = signal;
            self.touch(Change::Durable, now);
        }
        Ok(acted)
    }

    fn execute(&mut self, exchange: &mut Exchange, intent: Intent, now: UnixMicros) -> Result<bool, Halt> {
        let Some(spec) = exchange.spec(&self.config.symbol) else { return Ok(false) };
        let grid = spec.grid;
        let max_fee = spec.maker_fee_rate.max(spec.taker_fee_rate);
        match intent {
            Intent::CancelAll => Ok(self.cancel(exchange, None, now)),
            Intent::ClosePosition => Ok(self.close_position(exchange, now)),
            Intent::Submit(request) => {
                let ticks = |price: f64| -> Result<Option<Ticks>, Halt> {
                    if !price.is_finite() {
                        return Err(Halt(BotState::Error, format!("the strategy asked for an order at price {price}")));
                    }
                    let t = (price / f(grid.tick_size)).round();
                    Ok((1.0..1e15).contains(&t).then_some(Ticks(t as i64)))
                };
                let order_type = match request.kind {
                    OrderKind::Market => OrderType::Market,
                    OrderKind::Limit(p) => match ticks(p)? {
                        Some(price) => OrderType::Limit { price },
                        None => return Ok(self.skip(format!("order skipped: limit price {p} is off the price grid"), now)),
                    },
                    OrderKind::Stop(p) => match ticks(p)? {
                        Some(trigger) => OrderType::Stop { trigger },
                        None => return Ok(self.skip(format!("order skipped: stop price {p} is off the price grid"), now)),
                    },
                };
                let lots = match request.side {
                    Side::Buy => self.buy_lots(exchange, request.size, order_type, &grid, max_fee),
                    Side::Sell => self.sell_lots(exchange, request.size, &grid),
                };
                if lots == 0 {
                    // Spot: nothing to sell is not an error; no cash to buy with is worth saying.
                    if request.side == Side::Buy {
                        return Ok(self.skip("order skipped: no cash left within the bot's capital or position limit".into(), now));
                    }
                    return Ok(false);
                }
                Ok(self.place(exchange, request.side, order_type, lots, now))
            }
        }
    }

    fn skip(&mut self, message: String, now: UnixMicros) -> bool {
        if self.message != message {
            self.message = message;
            self.touch(Change::Durable, now);
        }
        false
    }

    fn place(&mut self, exchange: &mut Exchange, side: Side, order_type: OrderType, lots: u64, now: UnixMicros) -> bool {
        let n = self.ledger.orders_sent + 1;
        let tag = OrderTag {
            order_id: format!("{}.{}.{n}", self.config.bot_id, self.ledger.started_at.0),
            client_order_id: None,
            bot_id: Some(self.config.bot_id.clone()),
        };
        let request = OrderRequest {
            account: self.config.account,
            symbol: self.config.symbol.clone(),
            side,
            order_type,
            quantity: Lots(lots),
            tif: TimeInForce::Gtc,
            post_only: false,
            tag,
        };
        match exchange.place(request, now) {
            Ok(seq) => {
                self.ledger.orders_sent = n;
                self.open.insert(seq, Synced::default());
                match side {
                    Side::Buy => self.placed.0 = true,
                    Side::Sell => self.placed.1 = true,
                }
                self.touch(Change::Durable, now);
                true
            }
            Err(e) => self.skip(format!("order refused: {e}"), now),
        }
    }

    /// Cancels the bot's working orders (of one side, or all). Returns whether any was.
    fn cancel(&mut self, exchange: &mut Exchange, side: Option<Side>, now: UnixMicros) -> bool {
        let seqs: Vec<u64> = self
            .open
            .keys()
            .copied()
            .filter(|seq| exchange.order(*seq).is_some_and(|o| !o.status.is_final() && side.is_none_or(|s| o.side == s)))
            .collect();
        let mut any = false;
        for seq in seqs {
            any |= exchange.cancel(self.config.account, seq, now).is_ok();
        }
        any
    }

    /// Sells everything the bot holds at market, after canceling its working sells.
    fn close_position(&mut self, exchange: &mut Exchange, now: UnixMicros) -> bool {
        let canceled = self.cancel(exchange, Some(Side::Sell), now);
        let Some(grid) = exchange.spec(&self.config.symbol).map(|s| s.grid) else { return canceled };
        let lots = self.sell_lots(exchange, Size::ALL, &grid);
        if lots == 0 {
            return canceled;
        }
        self.place(exchange, Side::Sell, OrderType::Market, lots, now) || canceled
    }

    /// Funds of the bot's working orders not yet in its ledger: what buys hold plus what their
    /// fills since the last batch spent; for sells the quantity held and sold since.
    fn held(&self, exchange: &Exchange, side: Side, grid: &Grid) -> Amount {
        let mut total = Amount::ZERO;
        for (seq, synced) in &self.open {
            let Some(o) = exchange.order(*seq).filter(|o| o.side == side) else { continue };
            let unsynced = match side {
                Side::Buy => o.filled_notional.checked_sub(synced.notional).and_then(|x| x.checked_add(o.fees.checked_sub(synced.fees)?)),
                Side::Sell => grid.lots_to_qty(o.filled.0.saturating_sub(synced.filled)),
            };
            total = total.checked_add(o.reserved).and_then(|t| t.checked_add(unsynced.unwrap_or(Amount::ZERO))).unwrap_or(Amount::MAX);
        }
        total
    }

    fn buy_lots(&self, exchange: &Exchange, size: Size, order_type: OrderType, grid: &Grid, max_fee: Amount) -> u64 {
        let cash = self.ledger.cash.checked_sub(self.held(exchange, Side::Buy, grid)).unwrap_or(Amount::ZERO).max(Amount::ZERO);
        let budget = match size {
            Size::Fraction(x) if x < ALL_BUT => Amount::from_raw((cash.raw() as f64 * x.max(0.0)).floor() as i64),
            _ => cash,
        };
        let affordable = match order_type {
            OrderType::Market => exchange.market_buy_capacity(self.config.account, &self.config.symbol, budget).0,
            OrderType::Limit { price } | OrderType::StopLimit { price, .. } => lots_for(budget, price, grid, max_fee),
            OrderType::Stop { trigger } => lots_for(budget, protection_price(trigger), grid, max_fee),
        };
        let mut lots = match size {
            Size::Lots(n) => n.min(affordable),
            Size::Fraction(_) => affordable,
        };
        if let Some(max) = self.config.limits.max_position {
            let pending_buys = self.open_quantity(exchange, Side::Buy, grid);
            let room = max.checked_sub(self.ledger.position).and_then(|r| r.checked_sub(pending_buys)).unwrap_or(Amount::ZERO);
            lots = lots.min(lots_floor(grid, room));
        }
        lots
    }

    fn sell_lots(&self, exchange: &Exchange, size: Size, grid: &Grid) -> u64 {
        let free = self.ledger.position.checked_sub(self.held(exchange, Side::Sell, grid)).unwrap_or(Amount::ZERO).max(Amount::ZERO);
        let available = lots_floor(grid, free);
        match size {
            Size::Lots(n) => n.min(available),
            // Size::ALL is 1 - f64::EPSILON: everything.
            Size::Fraction(x) if x < ALL_BUT => ((available as f64) * x.max(0.0)).floor() as u64,
            Size::Fraction(_) => available,
        }
    }

    /// Quantity still to fill on the bot's working orders of one side.
    fn open_quantity(&self, exchange: &Exchange, side: Side, grid: &Grid) -> Amount {
        let lots: u64 = self.open.keys().filter_map(|seq| exchange.order(*seq)).filter(|o| o.side == side && !o.status.is_final()).map(|o| o.remaining().0).sum();
        grid.lots_to_qty(lots).unwrap_or(Amount::MAX)
    }

    /// Drawdown, stop loss and take profit at the last price.
    fn check_risk(&mut self, exchange: &mut Exchange, now: UnixMicros) -> Result<bool, Halt> {
        let Some(price) = self.last_price else { return Ok(false) };
        let limits = self.config.limits.clone();
        let equity = self.ledger.equity(Some(price));
        if equity > self.ledger.peak_equity {
            self.ledger.peak_equity = equity;
        }
        let peak = self.ledger.peak_equity;
        if limits.max_drawdown_percent > 0.0 && peak.is_positive() {
            let drawdown = (f(peak) - f(equity)) / f(peak) * 100.0;
            if drawdown >= limits.max_drawdown_percent {
                return Err(Halt(
                    BotState::Stopped,
                    format!(
                        "stopped: max drawdown of {}% reached (equity {equity} is {drawdown:.2}% below its peak {peak}); orders canceled, position of {} kept",
                        limits.max_drawdown_percent, self.ledger.position
                    ),
                ));
            }
        }
        let Some(entry) = self.ledger.average_entry_price() else { return Ok(false) };
        let change = (f(price) / f(entry) - 1.0) * 100.0;
        let reason = if limits.stop_loss_percent > 0.0 && change <= -limits.stop_loss_percent {
            format!("stop loss: price {price} is {:.2}% below the average entry {entry}; closing the position", -change)
        } else if limits.take_profit_percent > 0.0 && change >= limits.take_profit_percent {
            format!("take profit: price {price} is {change:.2}% above the average entry {entry}; closing the position")
        } else {
            return Ok(false);
        };
        let acted = self.close_position(exchange, now);
        if acted {
            self.message = reason;
            self.ledger.last_signal = Signal::Sell;
            self.touch(Change::Durable, now);
        }
        Ok(acted)
    }
}

/// Whole lots a `budget` holds at `price` with the fee on top, as the exchange holds it
/// (price * quantity plus the fee rounded up).
fn lots_for(budget: Amount, price: Ticks, grid: &Grid, fee_rate: Amount) -> u64 {
    let Ok(ticks) = u64::try_from(price.0) else { return 0 };
    let Some(unit) = grid.notional(ticks, 1).filter(|u| u.is_positive()) else { return 0 };
    let scale = i128::from(Amount::SCALE);
    let per_lot = i128::from(unit.raw()) * (scale + i128::from(fee_rate.raw().max(0)));
    let mut lots = u64::try_from(i128::from(budget.raw().max(0)) * scale / per_lot + 1).unwrap_or(0);
    let cost = |lots: u64| -> Option<Amount> {
        let gross = grid.notional(ticks, lots)?;
        let fee = (i128::from(gross.raw()) * i128::from(fee_rate.raw()) + scale - 1).div_euclid(scale);
        gross.checked_add(Amount::from_raw(i64::try_from(fee).ok()?))
    };
    while lots > 0 && cost(lots).is_none_or(|c| c > budget) {
        lots -= 1;
    }
    lots
}

/// Whole lots in `qty`, rounded down; 0 for nothing or less.
fn lots_floor(grid: &Grid, qty: Amount) -> u64 {
    u64::try_from(qty.raw() / grid.lot_size.raw().max(1)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aetherion_exchange::{AccountId, FIRST_ACCOUNT, MarketSpec, PublicTrade};
    use aetherion_model::Grid;

    /// Fails on its second bar; asks for an order at NaN on its first when told to.
    struct Faulty {
        bars: usize,
        nan: bool,
    }

    impl Strategy for Faulty {
        fn warmup(&self) -> usize {
            0
        }

        fn on_bar(&mut self, _: &Bar, ctx: &mut Context) {
            self.bars += 1;
            if self.nan {
                ctx.buy_limit(f64::NAN, Size::Lots(1));
            }
            assert!(self.bars < 2, "index out of range in an indicator");
        }
    }

    fn run(nan: bool) -> (Bots, Exchange, BotUpdate) {
        let a = |s: &str| s.parse::<Amount>().unwrap();
        let mut ex = Exchange::new(1);
        let grid = Grid::new(a("0.01"), a("1")).unwrap();
        let spec = MarketSpec { symbol: "X".into(), base: "B".into(), quote: "Q".into(), grid, min_notional: a("1"), maker_fee_rate: Amount::ZERO, taker_fee_rate: Amount::ZERO };
        ex.add_market(spec, 1, false);
        let mut bots = Bots::new();
        let params = crate::validate_params("sma_crossover", &BTreeMap::from([(INTERVAL_PARAM.to_owned(), 1.0)])).unwrap();
        for id in ["faulty", "healthy"] {
            let config = BotConfig { bot_id: id.into(), account: AccountId(FIRST_ACCOUNT), symbol: "X".into(), strategy: "sma_crossover".into(), params: params.clone(), capital: a("100"), limits: Default::default() };
            let strategy: Box<dyn Strategy> = if id == "faulty" { Box::new(Faulty { bars: 0, nan }) } else { info_create(&config) };
            bots.start_with(&mut ex, config, strategy, Ledger::new(a("100"), UnixMicros(0)), &[], None, UnixMicros(0)).unwrap();
        }
        let trade = |s: i64| PublicTrade { symbol: "X".into(), seq: s as u64, price: a("10"), price_ticks: Ticks(1000), quantity: a("1"), taker_side: Side::Buy, at: UnixMicros(s * 1_000_000) };
        for s in 1..=3 {
            let batch = Batch { trades: vec![trade(s)], ..Batch::default() };
            bots.on_batch(&mut ex, &batch, UnixMicros(s * 1_000_000));
        }
        let update = bots.take_updates().into_iter().find(|u| u.status.bot_id == "faulty").unwrap();
        (bots, ex, update)
    }

    fn info_create(config: &BotConfig) -> Box<dyn Strategy> {
        aetherion_strategy::create(&config.strategy, &BTreeMap::new()).unwrap()
    }

    #[test]
    fn a_failing_strategy_puts_its_bot_in_error_and_the_others_carry_on() {
        let (bots, _, update) = run(false);
        assert_eq!(update.status.state, BotState::Error);
        assert!(update.status.message.contains("index out of range in an indicator"), "{}", update.status.message);
        assert!(update.durable);
        assert!(!bots.is_running("faulty"));
        assert!(bots.is_running("healthy"));
    }

    #[test]
    fn an_order_at_a_price_that_is_not_a_number_is_a_failure() {
        let (bots, _, update) = run(true);
        assert_eq!(update.status.state, BotState::Error);
        assert!(update.status.message.contains("price NaN"), "{}", update.status.message);
        assert!(bots.is_running("healthy"));
    }
}
