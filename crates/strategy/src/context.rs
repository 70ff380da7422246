//! What a strategy sees of its account and what it asks for: the [`Context`] passed to
//! [`Strategy::on_bar`](crate::Strategy::on_bar) and the [`Intent`]s it collects.
//!
//! A strategy never fills anything itself. It records intents; the driver (the backtester, or a
//! live bot) turns them into orders. Both drivers fill the same `Context` before each call, so a
//! strategy cannot tell them apart.

use aetherion_model::{Side, UnixMicros};

/// How much to trade. Quantities are whole lots; the driver knows the lot size in units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Size {
    /// A fixed number of lots (at least one).
    Lots(u64),
    /// A fraction in `(0, 1)` of the margin available when the order fills, rounded down to
    /// whole lots after costs. Values of 1 or more mean [`Size::ALL`].
    Fraction(f64),
}

impl Size {
    /// "All available cash": `1 - f64::EPSILON`, the default of backtesting.py's `buy()`.
    pub const ALL: Size = Size::Fraction(1.0 - f64::EPSILON);
}

/// When an order may fill.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OrderKind {
    /// At the next bar's open.
    Market,
    /// At this price or better, once a bar's range reaches it (good until canceled).
    Limit(f64),
    /// Becomes a market order once a bar trades through this price (good until canceled).
    Stop(f64),
}

/// A new order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderRequest {
    pub side: Side,
    pub size: Size,
    pub kind: OrderKind,
}

/// Something a strategy asks of its driver, in the order asked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Intent {
    /// Place an order.
    Submit(OrderRequest),
    /// Close every open trade at the next market price (these fill before other orders).
    ClosePosition,
    /// Cancel every order still waiting, including earlier intents of this bar.
    CancelAll,
}

/// A fill reported back to the strategy through [`Strategy::on_fill`](crate::Strategy::on_fill).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill {
    pub time: UnixMicros,
    pub side: Side,
    pub lots: u64,
    pub price: f64,
}

/// The account as the strategy sees it, and the intents it has recorded during this call.
#[derive(Clone, Debug, Default)]
pub struct Context {
    position: i64,
    equity: f64,
    pending_orders: usize,
    intents: Vec<Intent>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// Called by the driver before each [`Strategy::on_bar`](crate::Strategy::on_bar).
    /// `position` is in lots, positive long, negative short.
    pub fn set_account(&mut self, position: i64, equity: f64, pending_orders: usize) {
        self.position = position;
        self.equity = equity;
        self.pending_orders = pending_orders;
    }

    /// Net position in lots: positive long, negative short, zero flat.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// Account equity (cash plus open profit) at the current bar's close.
    pub fn equity(&self) -> f64 {
        self.equity
    }

    /// Orders placed earlier and still waiting (limit and stop orders, usually).
    pub fn pending_orders(&self) -> usize {
        self.pending_orders
    }

    pub fn submit(&mut self, request: OrderRequest) {
        self.intents.push(Intent::Submit(request));
    }

    /// A market buy at the next bar's open.
    pub fn buy(&mut self, size: Size) {
        self.submit(OrderRequest { side: Side::Buy, size, kind: OrderKind::Market });
    }

    /// A market sell at the next bar's open (opens a short when flat).
    pub fn sell(&mut self, size: Size) {
        self.submit(OrderRequest { side: Side::Sell, size, kind: OrderKind::Market });
    }

    pub fn buy_limit(&mut self, price: f64, size: Size) {
        self.submit(OrderRequest { side: Side::Buy, size, kind: OrderKind::Limit(price) });
    }

    pub fn sell_limit(&mut self, price: f64, size: Size) {
        self.submit(OrderRequest { side: Side::Sell, size, kind: OrderKind::Limit(price) });
    }

    pub fn buy_stop(&mut self, price: f64, size: Size) {
        self.submit(OrderRequest { side: Side::Buy, size, kind: OrderKind::Stop(price) });
    }

    pub fn sell_stop(&mut self, price: f64, size: Size) {
        self.submit(OrderRequest { side: Side::Sell, size, kind: OrderKind::Stop(price) });
    }

    pub fn close_position(&mut self) {
        self.intents.push(Intent::ClosePosition);
    }

    pub fn cancel_all(&mut self) {
        self.intents.push(Intent::CancelAll);
    }

    /// Target helper: be long with all cash (closes a short first). Does nothing when long.
    pub fn go_long(&mut self) {
        if self.position < 0 {
            self.close_position();
        }
        if self.position <= 0 {
            self.buy(Size::ALL);
        }
    }

    /// Target helper: be short with all available margin (closes a long first).
    pub fn go_short(&mut self) {
        if self.position > 0 {
            self.close_position();
        }
        if self.position >= 0 {
            self.sell(Size::ALL);
        }
    }

    /// Target helper: be flat.
    pub fn go_flat(&mut self) {
        if self.position != 0 {
            self.close_position();
        }
    }

    /// The intents recorded since the last [`Context::clear_intents`].
    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }

    /// Called by the driver once it has taken the intents.
    pub fn clear_intents(&mut self) {
        self.intents.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_helpers_close_before_reversing_and_do_nothing_when_there() {
        let mut ctx = Context::new();
        ctx.set_account(5, 100.0, 0);
        ctx.go_long();
        assert!(ctx.intents().is_empty());
        ctx.go_short();
        assert_eq!(
            ctx.intents(),
            &[
                Intent::ClosePosition,
                Intent::Submit(OrderRequest {
                    side: Side::Sell,
                    size: Size::ALL,
                    kind: OrderKind::Market
                })
            ]
        );
        ctx.clear_intents();
        ctx.set_account(0, 100.0, 0);
        ctx.go_flat();
        assert!(ctx.intents().is_empty());
    }
}
