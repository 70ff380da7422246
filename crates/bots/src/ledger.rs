//! A bot's own books: its cash, position and profit, kept from its fills alone, exactly.

use aetherion_model::{Amount, Side, UnixMicros};

use crate::config::Signal;

/// What a bot has since its last start. Stored with the fills that changed it.
///
/// Invariant: `cash + position * price = capital + realized_pnl + (position * price - cost)`,
/// exactly, at any price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ledger {
    pub started_at: UnixMicros,
    /// Unspent capital: capital - what buys paid (with fees) + what sells brought (less fees).
    pub cash: Amount,
    /// Base asset held.
    pub position: Amount,
    /// What the position cost, fees excluded.
    pub cost: Amount,
    /// Profit from sells less every fee paid.
    pub realized_pnl: Amount,
    pub fees: Amount,
    /// Fills.
    pub trade_count: u64,
    /// Highest equity seen since the start (for the drawdown limit).
    pub peak_equity: Amount,
    pub last_signal: Signal,
    /// Orders sent since the start; numbers the next one.
    pub orders_sent: u64,
}

impl Ledger {
    /// A fresh start with `capital`.
    pub fn new(capital: Amount, at: UnixMicros) -> Ledger {
        Ledger {
            started_at: at,
            cash: capital,
            position: Amount::ZERO,
            cost: Amount::ZERO,
            realized_pnl: Amount::ZERO,
            fees: Amount::ZERO,
            trade_count: 0,
            peak_equity: capital,
            last_signal: Signal::None,
            orders_sent: 0,
        }
    }

    /// Books one fill of the bot's order. `fee` is in the quote asset.
    pub fn apply_fill(&mut self, side: Side, price: Amount, quantity: Amount, fee: Amount) {
        let notional = mul(price, quantity);
        let sat = |x: Option<Amount>| x.unwrap_or(Amount::MAX);
        match side {
            Side::Buy => {
                self.cash = sat(self.cash.checked_sub(notional).and_then(|c| c.checked_sub(fee)));
                self.position = sat(self.position.checked_add(quantity));
                self.cost = sat(self.cost.checked_add(notional));
                self.realized_pnl = sat(self.realized_pnl.checked_sub(fee));
            }
            Side::Sell => {
                // The cost leaving with the quantity sold: all of it when the position closes.
                let portion = if quantity >= self.position || !self.position.is_positive() {
                    self.cost
                } else {
                    let raw = i128::from(self.cost.raw()) * i128::from(quantity.raw()) / i128::from(self.position.raw());
                    Amount::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))
                };
                self.cash = sat(self.cash.checked_add(notional).and_then(|c| c.checked_sub(fee)));
                self.position = sat(self.position.checked_sub(quantity));
                self.cost = sat(self.cost.checked_sub(portion));
                self.realized_pnl = sat(self.realized_pnl.checked_add(notional).and_then(|r| r.checked_sub(portion)).and_then(|r| r.checked_sub(fee)));
            }
        }
        self.fees = sat(self.fees.checked_add(fee));
        self.trade_count += 1;
    }

    /// Cash plus the position at `price`.
    pub fn equity(&self, price: Option<Amount>) -> Amount {
        self.cash.checked_add(self.market_value(price)).unwrap_or(Amount::MAX)
    }

    pub fn unrealized_pnl(&self, price: Option<Amount>) -> Amount {
        if self.position.is_zero() {
            return Amount::ZERO;
        }
        self.market_value(price).checked_sub(self.cost).unwrap_or(Amount::ZERO)
    }

    /// Cost divided by quantity, rounded to eight decimals; `None` when flat.
    pub fn average_entry_price(&self) -> Option<Amount> {
        if !self.position.is_positive() {
            return None;
        }
        let raw = i128::from(self.cost.raw()) * i128::from(Amount::SCALE) / i128::from(self.position.raw());
        i64::try_from(raw).ok().map(Amount::from_raw)
    }

    fn market_value(&self, price: Option<Amount>) -> Amount {
        // Without any price yet, the position is valued at what it cost.
        price.map_or(self.cost, |p| mul(p, self.position))
    }
}

/// `price * quantity`, rounded down to eight decimals.
pub(crate) fn mul(price: Amount, quantity: Amount) -> Amount {
    let raw = i128::from(price.raw()) * i128::from(quantity.raw()) / i128::from(Amount::SCALE);
    Amount::from_raw(i64::try_from(raw).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(s: &str) -> Amount {
        s.parse().unwrap()
    }

    #[test]
    fn buys_and_sells_book_cash_cost_and_realized_profit_net_of_fees() {
        let mut l = Ledger::new(a("10000"), UnixMicros(0));
        l.apply_fill(Side::Buy, a("100"), a("2"), a("0.4"));
        l.apply_fill(Side::Buy, a("110"), a("1"), a("0.22"));
        assert_eq!((l.cash, l.position, l.cost), (a("9689.38"), a("3"), a("310")));
        assert_eq!(l.average_entry_price(), Some(a("103.33333333")));
        assert_eq!(l.realized_pnl, a("-0.62"));
        l.apply_fill(Side::Sell, a("120"), a("1.5"), a("0.36"));
        // 1.5 of 3 takes half the cost (155): 180 - 155 - 0.36.
        assert_eq!((l.position, l.cost), (a("1.5"), a("155")));
        assert_eq!(l.realized_pnl, a("24.02"));
        assert_eq!(l.cash, a("9869.02"));
        assert_eq!(l.equity(Some(a("120"))), a("10049.02"));
        assert_eq!(l.unrealized_pnl(Some(a("120"))), a("25"));
        l.apply_fill(Side::Sell, a("90"), a("1.5"), a("0.27"));
        assert_eq!((l.position, l.cost, l.average_entry_price()), (Amount::ZERO, Amount::ZERO, None));
        assert_eq!(l.realized_pnl, a("3.75"));
        assert_eq!(l.fees, a("1.25"));
        assert_eq!(l.trade_count, 4);
        assert_eq!(l.equity(Some(a("1"))), a("10003.75"));
    }

    proptest! {
        /// Equity is capital plus realized plus unrealized profit, exactly, after any fills.
        #[test]
        fn equity_is_capital_plus_profit(fills in prop::collection::vec((any::<bool>(), 1i64..100_000, 1i64..1_000, 0i64..100), 1..40), mark in 1i64..100_000) {
            let capital = a("1000000");
            let mut l = Ledger::new(capital, UnixMicros(0));
            for (buy, price_cents, qty_thousandths, fee_cents) in fills {
                let price = Amount::from_raw(price_cents * 1_000_000);
                let mut qty = Amount::from_raw(qty_thousandths * 100_000);
                let side = if buy || l.position.is_zero() { Side::Buy } else { Side::Sell };
                if side == Side::Sell && qty > l.position {
                    qty = l.position;
                }
                l.apply_fill(side, price, qty, Amount::from_raw(fee_cents * 1_000_000));
            }
            let p = Some(Amount::from_raw(mark * 1_000_000));
            let profit = l.realized_pnl.checked_add(l.unrealized_pnl(p)).unwrap();
            prop_assert_eq!(l.equity(p), capital.checked_add(profit).unwrap());
        }
    }
}
