//! The simulated account: cash, open trades and pending orders, and the rules by which orders
//! fill against a bar. The arithmetic mirrors backtesting.py 0.6's `_Broker` operation for
//! operation (see the crate documentation), so that the same strategy gives the same floats.

use aetherion_model::Side;
use aetherion_strategy::{Bar, Fill, Intent, OrderKind, OrderRequest, Size};

/// An open trade: a fill that has not been closed yet. `lots` is negative for a short.
#[derive(Clone, Copy, Debug)]
struct OpenTrade {
    id: u64,
    lots: i64,
    entry_price: f64,
    entry_bar: usize,
}

/// A settled trade, before times and units are attached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ClosedTrade {
    pub lots: i64,
    pub entry_bar: usize,
    pub exit_bar: usize,
    pub entry_price: f64,
    pub exit_price: f64,
    pub pnl: f64,
    /// Return as a fraction, net of commissions.
    pub ret: f64,
    pub commission: f64,
}

#[derive(Clone, Copy, Debug)]
enum Order {
    /// Close one trade at the next market price (from `ClosePosition` or finalization).
    Close {
        trade: u64,
    },
    New(OrderRequest),
}

/// What became of an order this bar.
enum Outcome {
    Waiting,
    Done,
}

pub(crate) struct Broker {
    cash: f64,
    commission: f64,
    slippage: f64,
    lot: f64,
    trades: Vec<OpenTrade>,
    orders: Vec<Order>,
    spare: Vec<Order>,
    next_id: u64,
    position: i64,
    pub closed: Vec<ClosedTrade>,
    pub fills: Vec<Fill>,
    pub canceled: u64,
}

impl Broker {
    pub fn new(cash: f64, commission: f64, slippage: f64, lot: f64) -> Self {
        Broker {
            cash,
            commission,
            slippage,
            lot,
            trades: Vec::new(),
            orders: Vec::new(),
            spare: Vec::new(),
            next_id: 0,
            position: 0,
            closed: Vec::new(),
            fills: Vec::new(),
            canceled: 0,
        }
    }

    /// Resets for a new run, keeping the allocations.
    pub fn reset(&mut self, cash: f64, commission: f64, slippage: f64, lot: f64) {
        (self.cash, self.commission, self.slippage, self.lot) = (cash, commission, slippage, lot);
        self.trades.clear();
        self.orders.clear();
        self.spare.clear();
        self.next_id = 0;
        self.position = 0;
        self.closed.clear();
        self.fills.clear();
        self.canceled = 0;
    }

    pub fn position(&self) -> i64 {
        self.position
    }

    pub fn pending_orders(&self) -> usize {
        self.orders.len()
    }

    pub fn has_orders(&self) -> bool {
        !self.orders.is_empty()
    }

    /// Cash plus the open trades marked at `price`: backtesting.py's
    /// `cash + (price * position - Σ size · entry)`.
    #[inline]
    pub fn equity(&self, price: f64) -> f64 {
        if self.trades.is_empty() {
            return self.cash;
        }
        let basis = self.trades.iter().fold(0.0, |s, t| s + self.units(t.lots) * t.entry_price);
        self.cash + (price * self.units(self.position) - basis)
    }

    fn margin_available(&self, price: f64) -> f64 {
        let used =
            self.trades.iter().fold(0.0, |s, t| s + (self.units(t.lots).abs() * price) / 1.0);
        let free = self.equity(price) - used;
        if free > 0.0 { free } else { 0.0 }
    }

    #[inline]
    fn units(&self, lots: i64) -> f64 {
        lots as f64 * self.lot
    }

    fn fee(&self, units: f64, price: f64) -> f64 {
        (units.abs() * price) * self.commission
    }

    fn slipped(&self, price: f64, side: Side) -> f64 {
        match side {
            Side::Buy => price * (1.0 + self.slippage),
            Side::Sell => price * (1.0 - self.slippage),
        }
    }

    /// Queues a strategy's intents. Malformed orders (no lots, a fraction that is not
    /// positive, a limit or stop price that is not a positive number) are counted as canceled.
    pub fn apply(&mut self, intents: &[Intent]) {
        for intent in intents {
            match *intent {
                Intent::Submit(req) => {
                    let size_ok = match req.size {
                        Size::Lots(n) => n > 0 && n <= i64::MAX as u64,
                        Size::Fraction(f) => f > 0.0,
                    };
                    let price_ok = match req.kind {
                        OrderKind::Market => true,
                        OrderKind::Limit(p) | OrderKind::Stop(p) => p.is_finite() && p > 0.0,
                    };
                    if size_ok && price_ok {
                        self.orders.push(Order::New(req));
                    } else {
                        self.canceled += 1;
                    }
                }
                // backtesting.py's `position.close()`: each trade's close order goes to the
                // front of the queue, so the newest trade closes first.
                Intent::ClosePosition => {
                    for t in &self.trades {
                        self.orders.insert(0, Order::Close { trade: t.id });
                    }
                }
                Intent::CancelAll => self.orders.clear(),
            }
        }
    }

    /// Fills what can fill within bar `i`, in queue order.
    pub fn process(&mut self, i: usize, bar: &Bar) {
        if self.orders.is_empty() {
            return;
        }
        let mut queue = std::mem::take(&mut self.spare);
        std::mem::swap(&mut queue, &mut self.orders);
        for order in queue.drain(..) {
            if let Outcome::Waiting = self.execute(order, i, bar) {
                self.orders.push(order);
            }
        }
        self.spare = queue;
    }

    fn execute(&mut self, order: Order, i: usize, bar: &Bar) -> Outcome {
        let req = match order {
            Order::Close { trade } => {
                if let Some(k) = self.trades.iter().position(|t| t.id == trade) {
                    let side = if self.trades[k].lots > 0 { Side::Sell } else { Side::Buy };
                    let price = self.slipped(bar.open, side);
                    let lots = self.trades[k].lots.unsigned_abs();
                    self.close_trade(k, price, i);
                    self.fills.push(Fill { time: bar.time, side, lots, price });
                }
                return Outcome::Done;
            }
            Order::New(req) => req,
        };
        let buy = req.side == Side::Buy;
        let price = match req.kind {
            OrderKind::Market => self.slipped(bar.open, req.side),
            OrderKind::Stop(stop) => {
                if !(if buy { bar.high >= stop } else { bar.low <= stop }) {
                    return Outcome::Waiting;
                }
                self.slipped(if buy { bar.open.max(stop) } else { bar.open.min(stop) }, req.side)
            }
            OrderKind::Limit(limit) => {
                if !(if buy { bar.low <= limit } else { bar.high >= limit }) {
                    return Outcome::Waiting;
                }
                if buy { bar.open.min(limit) } else { bar.open.max(limit) }
            }
        };
        // backtesting.py: adjusted_price_plus_commission, per lot.
        let per_lot = price * self.lot;
        let ordered = match req.size {
            Size::Fraction(f) => f.min(1.0 - f64::EPSILON),
            Size::Lots(n) => n as f64,
        };
        let cost = per_lot + ((ordered * per_lot) * self.commission) / ordered;
        let lots = match req.size {
            Size::Lots(n) => n as i64,
            Size::Fraction(f) => {
                let budget = self.margin_available(bar.close) * 1.0 * f.min(1.0 - f64::EPSILON);
                let lots = py_floordiv(budget, cost);
                if lots.is_nan() || lots < 1.0 {
                    self.canceled += 1;
                    return Outcome::Done;
                }
                lots as i64
            }
        };
        let mut need = if buy { lots } else { -lots };
        let mut traded = 0u64;
        // No hedging: an order first closes opposite trades, oldest first.
        let mut k = 0;
        while k < self.trades.len() && need != 0 {
            let t = self.trades[k];
            if (t.lots > 0) == buy {
                k += 1;
                continue;
            }
            if need.abs() >= t.lots.abs() {
                self.close_trade(k, price, i);
                traded += t.lots.unsigned_abs();
                need += t.lots;
            } else {
                self.reduce_trade(k, need, price, i);
                traded += need.unsigned_abs();
                need = 0;
            }
        }
        if need.abs() as f64 * cost > self.margin_available(bar.close) * 1.0 {
            self.canceled += 1;
        } else if need != 0 {
            self.open_trade(need, price, i);
            traded += need.unsigned_abs();
        }
        if traded > 0 {
            self.fills.push(Fill { time: bar.time, side: req.side, lots: traded, price });
        }
        Outcome::Done
    }

    fn open_trade(&mut self, lots: i64, price: f64, i: usize) {
        self.trades.push(OpenTrade { id: self.next_id, lots, entry_price: price, entry_bar: i });
        self.next_id += 1;
        self.position += lots;
        self.cash -= self.fee(self.units(lots), price);
    }

    /// Closes `lots` (of the opposite sign) of trade `k`, which keeps the rest.
    fn reduce_trade(&mut self, k: usize, lots: i64, price: f64, i: usize) {
        let trade = &mut self.trades[k];
        trade.lots += lots;
        let piece = OpenTrade { lots: -lots, ..*trade };
        self.position += lots;
        self.settle(piece, price, i);
    }

    fn close_trade(&mut self, k: usize, price: f64, i: usize) {
        let trade = self.trades.remove(k);
        self.position -= trade.lots;
        self.settle(trade, price, i);
    }

    fn settle(&mut self, t: OpenTrade, price: f64, i: usize) {
        let units = self.units(t.lots);
        let exit_fee = self.fee(units, price);
        let gross = units * (price - t.entry_price);
        self.cash += gross - exit_fee;
        let commission = exit_fee + self.fee(units, t.entry_price);
        let ret = units.signum() * (price / t.entry_price - 1.0)
            - commission / (units.abs() * t.entry_price);
        self.closed.push(ClosedTrade {
            lots: t.lots,
            entry_bar: t.entry_bar,
            exit_bar: i,
            entry_price: t.entry_price,
            exit_price: price,
            pnl: gross - commission,
            ret,
            commission,
        });
    }

    /// Closes every open trade, oldest first, at the bar's close (with slippage).
    pub fn close_all_at_close(&mut self, i: usize, bar: &Bar) {
        while let Some(t) = self.trades.first().copied() {
            let side = if t.lots > 0 { Side::Sell } else { Side::Buy };
            let price = self.slipped(bar.close, side);
            self.close_trade(0, price, i);
            self.fills.push(Fill { time: bar.time, side, lots: t.lots.unsigned_abs(), price });
        }
        self.orders.clear();
    }

    /// backtesting.py's `finalize_trades=True`: close orders for every trade, oldest first,
    /// at the front of the queue, then the last bar processed again.
    pub fn finalize_like_backtesting_py(&mut self, i: usize, bar: &Bar) {
        let closes: Vec<Order> = self.trades.iter().map(|t| Order::Close { trade: t.id }).collect();
        self.orders.splice(0..0, closes);
        self.process(i, bar);
    }

    /// Out of money: close everything at `price`, zero the cash (backtesting.py).
    pub fn liquidate(&mut self, i: usize, price: f64) {
        while !self.trades.is_empty() {
            self.close_trade(0, price, i);
        }
        self.cash = 0.0;
        self.orders.clear();
    }
}

/// Python's float floor division `a // b`, which is exact where `(a / b).floor()` can round up
/// to the next integer.
pub(crate) fn py_floordiv(a: f64, b: f64) -> f64 {
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 { f + 1.0 } else { f }
    } else {
        0.0_f64.copysign(a / b)
    }
}

#[cfg(test)]
mod tests {
    use super::py_floordiv;

    #[test]
    fn floor_division_is_pythons() {
        assert_eq!(py_floordiv(7.0, 2.0), 3.0);
        assert_eq!(py_floordiv(-7.0, 2.0), -4.0);
        assert_eq!(py_floordiv(0.0, 3.0), 0.0);
        // 1 / 0.1 is 10 in floating point, but 0.1 is a little more than a tenth.
        assert_eq!((1.0f64 / 0.1).floor(), 10.0);
        assert_eq!(py_floordiv(1.0, 0.1), 9.0);
    }
}
