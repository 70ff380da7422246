//! The venue's state machine: every book, every account, every user order. Orders are checked
//! and funded here, matched in the book, and settled from the book's events.

use std::collections::{BTreeMap, HashMap};

use aetherion_book::{Command, Event, Lots, NewOrder, OrderBook, OrderId, OrderKind, OwnerId, Side, Ticks, TimeInForce};
use aetherion_model::{Amount, Grid, UnixMicros};

use crate::accounts::{AccountId, Accounts, Balance, BalanceError, FIRST_ACCOUNT};
use crate::journal::{Batch, Position, Touched, UserFill};
use crate::order::{Order, OrderRequest, OrderStatus, OrderType};

/// A buy STOP turns into a market order when triggered; it fills at most this far above its
/// stop price (price protection), so that the funds it holds always cover it. In percent.
pub const STOP_PROTECTION_PERCENT: i64 = 5;

/// A symbol's trading rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketSpec {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub grid: Grid,
    pub min_notional: Amount,
    /// Fractions (0.001 = 0.1%).
    pub maker_fee_rate: Amount,
    pub taker_fee_rate: Amount,
}

pub(crate) struct Market {
    pub spec: MarketSpec,
    pub book: OrderBook,
    pub trade_seq: u64,
    pub halted: bool,
}

/// Why an order was refused before it reached the book. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("symbol {0} does not exist")]
    UnknownSymbol(String),
    #[error("symbol {0} is halted")]
    Halted(String),
    #[error("order value {value} is below the symbol's minimum of {min}")]
    BelowMinNotional { value: Amount, min: Amount },
    #[error("insufficient {asset}: the order needs {needed}, {free} is free")]
    InsufficientBalance { asset: String, needed: Amount, free: Amount },
    #[error("a post-only order would trade on arrival (the opposite side has {best})")]
    PostOnlyWouldTake { best: Amount },
    #[error("the order's value is too large")]
    Overflow,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CancelError {
    #[error("no such order")]
    NotFound,
    #[error("the order is already {}", .0.as_str())]
    AlreadyFinal(OrderStatus),
}

pub struct Exchange {
    pub(crate) markets: BTreeMap<String, Market>,
    pub(crate) accounts: Accounts,
    /// Live user orders, and finished ones until the next drain.
    pub(crate) orders: HashMap<u64, Order>,
    pub(crate) positions: BTreeMap<(AccountId, String), Position>,
    pub(crate) fees: BTreeMap<AccountId, Amount>,
    next_seq: u64,
    pub(crate) touched: Touched,
    events: Vec<Event>,
}

impl Default for Exchange {
    fn default() -> Self {
        Self::new(1)
    }
}

impl Exchange {
    /// An empty venue whose next order gets `first_seq` (or more).
    pub fn new(first_seq: u64) -> Self {
        Exchange {
            markets: BTreeMap::new(),
            accounts: Accounts::default(),
            orders: HashMap::new(),
            positions: BTreeMap::new(),
            fees: BTreeMap::new(),
            next_seq: first_seq.max(1),
            touched: Touched::default(),
            events: Vec::with_capacity(256),
        }
    }

    /// Lists a market. `first_trade_seq` numbers its first trade.
    pub fn add_market(&mut self, spec: MarketSpec, first_trade_seq: u64, halted: bool) {
        let symbol = spec.symbol.clone();
        self.markets.insert(symbol, Market { spec, book: OrderBook::with_capacity(4096), trade_seq: first_trade_seq.saturating_sub(1), halted });
    }

    pub fn book(&self, symbol: &str) -> Option<&OrderBook> {
        self.markets.get(symbol).map(|m| &m.book)
    }

    pub fn balance(&self, account: AccountId, asset: &str) -> Balance {
        self.accounts.balance(account, asset)
    }

    pub fn balances(&self, account: AccountId) -> Vec<(String, Balance)> {
        self.accounts.of(account).map(|(a, b)| (a.to_owned(), b)).collect()
    }

    pub fn position(&self, account: AccountId, symbol: &str) -> Position {
        self.positions.get(&(account, symbol.to_owned())).copied().unwrap_or_default()
    }

    pub fn fees_paid(&self, account: AccountId) -> Amount {
        self.fees.get(&account).copied().unwrap_or_default()
    }

    pub fn order(&self, seq: u64) -> Option<&Order> {
        self.orders.get(&seq)
    }

    /// Whether a listed symbol is halted; `None` when it is not listed.
    pub fn is_halted(&self, symbol: &str) -> Option<bool> {
        self.markets.get(symbol).map(|m| m.halted)
    }

    /// Fills since the last [`Exchange::drain`] (the next batch will report them).
    pub fn pending_fills(&self) -> &[UserFill] {
        &self.touched.fills
    }

    /// A listed symbol's trading rules.
    pub fn spec(&self, symbol: &str) -> Option<&MarketSpec> {
        self.markets.get(symbol).map(|m| &m.spec)
    }

    /// Every user order that can still change, in no particular order.
    pub fn open_orders(&self) -> impl Iterator<Item = &Order> + '_ {
        self.orders.values().filter(|o| !o.status.is_final())
    }

    /// The most lots a market buy of `account` can take from the book now while paying at
    /// most `budget` (price times quantity plus the taker fee, rounded up as it is held).
    /// The account's own resting asks are skipped: self-trade prevention cancels them.
    pub fn market_buy_capacity(&self, account: AccountId, symbol: &str, budget: Amount) -> Lots {
        let Some(market) = self.markets.get(symbol) else { return Lots::ZERO };
        let (grid, rate) = (market.spec.grid, market.spec.taker_fee_rate);
        let owner = OwnerId(account.0);
        let mut lots = 0u64;
        let mut cost = Amount::ZERO;
        let affordable = |cost: Amount| cost.checked_add(fee_ceil(cost, rate)?).filter(|total| *total <= budget);
        for level in market.book.depth(Side::Sell, usize::MAX) {
            let Ok(price) = u64::try_from(level.price.0) else { break };
            let Some(unit) = grid.notional(price, 1) else { break };
            for order in market.book.orders_at(Side::Sell, level.price) {
                if order.owner == owner {
                    continue;
                }
                // Whole lots of this order that still fit: at most `remaining`; the estimate
                // left / (unit price * (1 + fee rate)) is off by a lot at most (rounding).
                let left = i128::from(budget.raw().saturating_sub(cost.raw()).max(0));
                let per_lot = i128::from(unit.raw().max(1)) * (i128::from(Amount::SCALE) + i128::from(rate.raw().max(0)));
                let estimate = left * i128::from(Amount::SCALE) / per_lot + 1;
                let mut take = u64::try_from(estimate.min(i128::from(order.remaining.0))).unwrap_or(0);
                while take > 0 {
                    let value = grid.notional(price, take).and_then(|v| cost.checked_add(v));
                    if value.and_then(affordable).is_some() {
                        break;
                    }
                    take -= 1;
                }
                if take == 0 {
                    return Lots(lots);
                }
                lots += take;
                cost = cost.checked_add(grid.notional(price, take).unwrap_or(Amount::MAX)).unwrap_or(Amount::MAX);
                if take < order.remaining.0 {
                    return Lots(lots);
                }
            }
        }
        Lots(lots)
    }

    /// Loads stored state at start-up.
    pub fn restore_balance(&mut self, account: AccountId, asset: &str, balance: Balance) {
        self.accounts.set(account, asset, balance);
    }

    pub fn restore_position(&mut self, account: AccountId, symbol: &str, position: Position) {
        self.positions.insert((account, symbol.to_owned()), position);
    }

    pub fn restore_fees(&mut self, account: AccountId, fees: Amount) {
        self.fees.insert(account, fees);
    }

    /// Puts a stored open order back into its book. Call in `seq` order, so that time priority
    /// is what it was. Its funds are already in the restored balances.
    pub fn restore_order(&mut self, order: Order, now: UnixMicros) {
        let triggered = order.triggered;
        self.next_seq = self.next_seq.max(order.seq + 1);
        let Some(market) = self.markets.get_mut(&order.symbol) else { return };
        let kind = match (order.order_type, triggered) {
            (OrderType::StopLimit { price, .. }, true) => OrderKind::Limit { price },
            _ => book_kind(order.side, order.order_type),
        };
        let tif = book_tif(order.side, order.order_type, order.tif);
        let new = NewOrder { id: OrderId(order.seq), owner: OwnerId(order.account.0), side: order.side, kind, quantity: order.remaining(), tif, post_only: false };
        self.events.clear();
        market.book.apply(Command::Submit(new), now, &mut self.events);
        self.orders.insert(order.seq, order);
        // Restoring rebuilds a book that was uncrossed: nothing trades, only levels appear.
        let symbol = market.spec.symbol.clone();
        let events = std::mem::take(&mut self.events);
        self.process(&symbol, &events, now);
        self.events = events;
    }

    /// Checks, funds and places an order; returns its sequence number. What happened to it is
    /// in [`Exchange::order`] and in the next [`Exchange::drain`].
    pub fn place(&mut self, request: OrderRequest, now: UnixMicros) -> Result<u64, PlaceError> {
        let market = self.markets.get(&request.symbol).ok_or_else(|| PlaceError::UnknownSymbol(request.symbol.clone()))?;
        if market.halted {
            return Err(PlaceError::Halted(request.symbol.clone()));
        }
        let spec = &market.spec;
        let grid = spec.grid;
        let lots = request.quantity;
        let price_of = |t: Ticks| u64::try_from(t.0).ok().and_then(|t| grid.ticks_to_price(t)).ok_or(PlaceError::Overflow);
        let value_at = |t: Ticks| -> Result<Amount, PlaceError> {
            grid.notional(u64::try_from(t.0).map_err(|_| PlaceError::Overflow)?, lots.0).ok_or(PlaceError::Overflow)
        };

        if request.post_only
            && let OrderType::Limit { price } = request.order_type
        {
            let best = match request.side {
                Side::Buy => market.book.best_ask().filter(|ask| price >= *ask),
                Side::Sell => market.book.best_bid().filter(|bid| price <= *bid),
            };
            if let Some(best) = best {
                return Err(PlaceError::PostOnlyWouldTake { best: price_of(best)? });
            }
        }

        // The value the minimum applies to: at the limit or stop price, or for a market order
        // at what it would pay now.
        let sweep = match request.order_type {
            OrderType::Market => Some(sweep_cost(&market.book, &grid, request.side.opposite(), OwnerId(request.account.0), lots)?),
            _ => None,
        };
        let value = match (request.order_type, sweep) {
            (OrderType::Limit { price } | OrderType::StopLimit { price, .. }, _) => Some(value_at(price)?),
            (OrderType::Stop { trigger }, _) => Some(value_at(trigger)?),
            (OrderType::Market, Some((cost, filled))) if filled == lots => Some(cost),
            // Not enough liquidity to value it: at the last trade price, if there is one.
            (OrderType::Market, _) => market.book.last_trade_price().map(value_at).transpose()?,
        };
        if let Some(value) = value
            && value < spec.min_notional
        {
            return Err(PlaceError::BelowMinNotional { value, min: spec.min_notional });
        }

        let fee_rate = spec.taker_fee_rate.max(spec.maker_fee_rate);
        let (asset, needed) = match request.side {
            Side::Sell => (spec.base.clone(), grid.lots_to_qty(lots.0).ok_or(PlaceError::Overflow)?),
            Side::Buy => {
                let gross = match request.order_type {
                    OrderType::Market => sweep.map(|(cost, _)| cost).unwrap_or(Amount::ZERO),
                    OrderType::Limit { price } | OrderType::StopLimit { price, .. } => value_at(price)?,
                    OrderType::Stop { trigger } => value_at(protection_price(trigger))?,
                };
                let rate = if matches!(request.order_type, OrderType::Market) { spec.taker_fee_rate } else { fee_rate };
                (spec.quote.clone(), gross.checked_add(fee_ceil(gross, rate).ok_or(PlaceError::Overflow)?).ok_or(PlaceError::Overflow)?)
            }
        };
        let free = self.accounts.balance(request.account, &asset).free;
        if needed > free {
            return Err(PlaceError::InsufficientBalance { asset, needed, free });
        }

        // From here on the order exists.
        let seq = self.next_seq;
        self.next_seq += 1;
        self.accounts.reserve(request.account, &asset, needed).map_err(|_| PlaceError::Overflow)?;
        self.touched.balances.insert((request.account, asset));
        let order = Order {
            seq,
            tag: request.tag,
            account: request.account,
            symbol: request.symbol.clone(),
            side: request.side,
            order_type: request.order_type,
            tif: request.tif,
            post_only: request.post_only,
            quantity: lots,
            filled: Lots::ZERO,
            filled_notional: Amount::ZERO,
            fees: Amount::ZERO,
            reserved: needed,
            status: OrderStatus::New,
            triggered: false,
            reject_reason: None,
            created_at: now,
            updated_at: now,
        };
        let new = NewOrder {
            id: OrderId(seq),
            owner: OwnerId(request.account.0),
            side: request.side,
            kind: book_kind(request.side, request.order_type),
            quantity: lots,
            tif: book_tif(request.side, request.order_type, request.tif),
            post_only: request.post_only,
        };
        self.orders.insert(seq, order);
        self.touched.orders.insert(seq);
        self.run(&request.symbol, Command::Submit(new), now);
        Ok(seq)
    }

    /// Cancels one of `account`'s open orders and releases its funds.
    pub fn cancel(&mut self, account: AccountId, seq: u64, now: UnixMicros) -> Result<(), CancelError> {
        let order = self.orders.get(&seq).filter(|o| o.account == account).ok_or(CancelError::NotFound)?;
        if order.status.is_final() {
            return Err(CancelError::AlreadyFinal(order.status));
        }
        let symbol = order.symbol.clone();
        self.run(&symbol, Command::Cancel(OrderId(seq)), now);
        Ok(())
    }

    /// Cancels every resting order of a symbol and stops it trading. Returns how many orders
    /// (users' and the simulated market's) were canceled.
    pub fn halt(&mut self, symbol: &str, now: UnixMicros) -> u32 {
        let Some(market) = self.markets.get_mut(symbol) else { return 0 };
        market.halted = true;
        let count = market.book.live_orders() + market.book.pending_stops();
        self.run(symbol, Command::CancelAll, now);
        count as u32
    }

    /// Applies commands of the simulated market (its own orders, no accounts).
    pub fn apply_market_commands(&mut self, symbol: &str, commands: &[Command], now: UnixMicros) {
        if self.markets.get(symbol).is_none_or(|m| m.halted) {
            return;
        }
        for command in commands {
            self.run(symbol, *command, now);
        }
    }

    /// Everything that changed since the last drain. Finished orders leave the exchange here.
    pub fn drain(&mut self) -> Batch {
        let touched = std::mem::take(&mut self.touched);
        let mut batch = Batch { fills: touched.fills, trades: touched.trades, ..Batch::default() };
        for seq in touched.orders {
            let Some(order) = self.orders.get(&seq) else { continue };
            batch.orders.push(order.clone());
            if order.status.is_final() {
                self.orders.remove(&seq);
            }
        }
        batch.balances = touched.balances.into_iter().map(|(a, asset)| {
            let b = self.accounts.balance(a, &asset);
            (a, asset, b)
        }).collect();
        batch.positions = touched.positions.into_iter().map(|(a, symbol)| {
            let p = self.position(a, &symbol);
            (a, symbol, p)
        }).collect();
        batch.fees = touched.fees.into_iter().map(|a| (a, self.fees_paid(a))).collect();
        batch.books = touched.books.into_iter().collect();
        batch
    }

    /// Applies one command to a book and settles what it caused.
    fn run(&mut self, symbol: &str, command: Command, now: UnixMicros) {
        let Some(market) = self.markets.get_mut(symbol) else { return };
        let mut events = std::mem::take(&mut self.events);
        events.clear();
        market.book.apply(command, now, &mut events);
        self.process(symbol, &events, now);
        self.events = events;
    }

    pub(crate) fn is_user(owner: OwnerId) -> bool {
        owner.0 >= FIRST_ACCOUNT
    }

    pub(crate) fn balance_bug(e: BalanceError) {
        // Funds are checked before every move; reaching this is a bug, and the move is skipped
        // rather than letting a balance go negative.
        debug_assert!(false, "{e}");
    }
}

/// The book's order kind for a user's order type. A buy STOP becomes a stop-limit at its
/// protection price, so that what it may pay is bounded by the funds it holds.
fn book_kind(side: Side, order_type: OrderType) -> OrderKind {
    match order_type {
        OrderType::Market => OrderKind::Market,
        OrderType::Limit { price } => OrderKind::Limit { price },
        OrderType::Stop { trigger } if side == Side::Buy => OrderKind::StopLimit { trigger, price: protection_price(trigger) },
        OrderType::Stop { trigger } => OrderKind::Stop { trigger },
        OrderType::StopLimit { trigger, price } => OrderKind::StopLimit { trigger, price },
    }
}

/// A protected buy STOP must not rest once triggered: it behaves as a market order.
fn book_tif(side: Side, order_type: OrderType, tif: TimeInForce) -> TimeInForce {
    match (side, order_type, tif) {
        (Side::Buy, OrderType::Stop { .. }, TimeInForce::Gtc) => TimeInForce::Ioc,
        _ => tif,
    }
}

/// The highest price a triggered buy STOP may pay: its stop price plus
/// [`STOP_PROTECTION_PERCENT`], rounded up to a tick.
pub fn protection_price(trigger: Ticks) -> Ticks {
    let t = i128::from(trigger.0);
    let up = (t * (100 + i128::from(STOP_PROTECTION_PERCENT)) + 99) / 100;
    Ticks(i64::try_from(up).unwrap_or(i64::MAX))
}

/// `amount * rate`, rounded up to the last decimal: what funds must cover.
pub(crate) fn fee_ceil(amount: Amount, rate: Amount) -> Option<Amount> {
    let product = i128::from(amount.raw()) * i128::from(rate.raw());
    let scale = i128::from(Amount::SCALE);
    i64::try_from((product + scale - 1).div_euclid(scale)).ok().map(Amount::from_raw)
}

/// `amount * rate`, rounded down: the fee charged on a fill. Rounding every fill down keeps the
/// fees of an order's fills within what was held for it.
pub(crate) fn fee_floor(amount: Amount, rate: Amount) -> Option<Amount> {
    let product = i128::from(amount.raw()) * i128::from(rate.raw());
    i64::try_from(product.div_euclid(i128::from(Amount::SCALE))).ok().map(Amount::from_raw)
}

/// What taking `lots` from the `side` of the book would cost (price times quantity), and how
/// many lots are there to take, skipping orders of `owner` (self-trade prevention cancels them).
fn sweep_cost(book: &OrderBook, grid: &Grid, side: Side, owner: OwnerId, lots: Lots) -> Result<(Amount, Lots), PlaceError> {
    let mut left = lots.0;
    let mut cost = Amount::ZERO;
    for level in book.depth(side, usize::MAX) {
        if left == 0 {
            break;
        }
        for order in book.orders_at(side, level.price) {
            if order.owner == owner {
                continue;
            }
            let take = order.remaining.0.min(left);
            let price = u64::try_from(level.price.0).map_err(|_| PlaceError::Overflow)?;
            let value = grid.notional(price, take).ok_or(PlaceError::Overflow)?;
            cost = cost.checked_add(value).ok_or(PlaceError::Overflow)?;
            left -= take;
            if left == 0 {
                break;
            }
        }
    }
    Ok((cost, Lots(lots.0 - left)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounding_and_protection() {
        let a = |s: &str| s.parse::<Amount>().unwrap();
        assert_eq!(fee_ceil(a("100.00000001"), a("0.001")), Some(a("0.10000001")));
        assert_eq!(fee_floor(a("100.00000001"), a("0.001")), Some(a("0.1")));
        assert_eq!(fee_floor(a("100"), a("0.002")), Some(a("0.2")));
        assert_eq!(protection_price(Ticks(100)), Ticks(105));
        assert_eq!(protection_price(Ticks(101)), Ticks(107), "106.05 rounds up");
    }
}
