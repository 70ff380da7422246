//! A tradable symbol's grid: prices are whole ticks, quantities whole lots.

use crate::Amount;

/// The price and quantity grid of a symbol. The matching engine works in integer ticks and
/// lots; the API in decimal amounts. Conversions are exact or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    /// Smallest price increment, > 0.
    pub tick_size: Amount,
    /// Smallest quantity increment, > 0.
    pub lot_size: Amount,
}

/// Why an amount does not fit a symbol's grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("must be greater than zero")]
    NotPositive,
    #[error("must be a multiple of {0}")]
    OffGrid(Amount),
}

impl Grid {
    /// `None` unless both sizes are positive.
    pub fn new(tick_size: Amount, lot_size: Amount) -> Option<Grid> {
        (tick_size.is_positive() && lot_size.is_positive()).then_some(Grid { tick_size, lot_size })
    }

    /// The price as a whole number of ticks.
    pub fn price_to_ticks(&self, price: Amount) -> Result<u64, GridError> {
        to_steps(price, self.tick_size)
    }

    /// The quantity as a whole number of lots.
    pub fn qty_to_lots(&self, qty: Amount) -> Result<u64, GridError> {
        to_steps(qty, self.lot_size)
    }

    /// The price of `ticks`; `None` if it overflows.
    pub fn ticks_to_price(&self, ticks: u64) -> Option<Amount> {
        from_steps(ticks, self.tick_size)
    }

    /// The quantity of `lots`; `None` if it overflows.
    pub fn lots_to_qty(&self, lots: u64) -> Option<Amount> {
        from_steps(lots, self.lot_size)
    }

    /// Exact notional `price * qty` of `lots` at `ticks`, as an [`Amount`]; `None` on overflow
    /// or when the product has more than eight decimals.
    pub fn notional(&self, ticks: u64, lots: u64) -> Option<Amount> {
        let price = i128::from(self.ticks_to_price(ticks)?.raw());
        let qty = i128::from(self.lots_to_qty(lots)?.raw());
        let product = price.checked_mul(qty)?;
        let scale = i128::from(Amount::SCALE);
        if product % scale != 0 {
            return None;
        }
        i64::try_from(product / scale).ok().map(Amount::from_raw)
    }
}

fn to_steps(value: Amount, step: Amount) -> Result<u64, GridError> {
    if !value.is_positive() {
        return Err(GridError::NotPositive);
    }
    if !value.is_multiple_of(step) {
        return Err(GridError::OffGrid(step));
    }
    Ok((value.raw() / step.raw()) as u64)
}

fn from_steps(steps: u64, step: Amount) -> Option<Amount> {
    i64::try_from(steps).ok()?.checked_mul(step.raw()).map(Amount::from_raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Amount {
        s.parse().unwrap()
    }

    #[test]
    fn converts_exactly_or_refuses() {
        let grid = Grid::new(a("0.01"), a("0.00001")).unwrap();
        assert_eq!(grid.price_to_ticks(a("42000.50")), Ok(4_200_050));
        assert_eq!(grid.price_to_ticks(a("42000.505")), Err(GridError::OffGrid(a("0.01"))));
        assert_eq!(grid.price_to_ticks(a("0")), Err(GridError::NotPositive));
        assert_eq!(grid.qty_to_lots(a("0.5")), Ok(50_000));
        assert_eq!(grid.ticks_to_price(4_200_050), Some(a("42000.5")));
        assert_eq!(grid.lots_to_qty(50_000), Some(a("0.5")));
        assert_eq!(grid.notional(4_200_050, 50_000), Some(a("21000.25")));
        assert_eq!(grid.ticks_to_price(u64::MAX), None);
        assert!(Grid::new(Amount::ZERO, a("1")).is_none());
    }

    #[test]
    fn notional_refuses_products_finer_than_eight_decimals() {
        let grid = Grid::new(a("0.00001"), a("0.0001")).unwrap();
        assert_eq!(grid.notional(1, 1), None, "1e-5 * 1e-4 = 1e-9");
        assert_eq!(grid.notional(100, 10), Some(a("0.000001")));
    }
}
