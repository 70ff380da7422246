//! Price levels: a slab of levels and, per side, a sorted index with the best price last.
//!
//! The index is a `Vec<(key, level)>` sorted by `key`, where the key of a bid is its price and
//! the key of an ask is `!price` (bitwise not: order-reversing, no overflow), so on both sides
//! the best level is the last element: reading and removing the best is O(1), finding a level
//! is a binary search over contiguous memory, and adding or removing a level moves only the
//! entries on the better side of it, which are few where books are busy (near the top). Steady
//! state allocates nothing. Each level holds the head and tail of its orders' FIFO.

use aetherion_model::Side;

use crate::event::LevelInfo;
use crate::orders::NIL;
use crate::types::{Lots, Ticks};

/// One price level: its aggregate and the ends of its FIFO of order slots.
#[derive(Clone, Debug)]
pub(crate) struct Level {
    pub price: Ticks,
    pub side: Side,
    /// False once the level is removed and its slot is free.
    pub alive: bool,
    pub total: u64,
    pub count: u32,
    pub head: u32,
    pub tail: u32,
}

impl Level {
    pub(crate) fn info(&self) -> LevelInfo {
        LevelInfo {
            price: self.price,
            quantity: Lots(self.total),
            orders: self.count,
        }
    }
}

#[inline]
pub(crate) const fn key(side: Side, price: Ticks) -> i64 {
    match side {
        Side::Buy => price.0,
        Side::Sell => !price.0,
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Ladder {
    /// Per side (`Side as usize`), sorted by key, best last.
    index: [Vec<(i64, u32)>; 2],
    levels: Vec<Level>,
    free: Vec<u32>,
}

impl Ladder {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Ladder {
            index: [Vec::with_capacity(n), Vec::with_capacity(n)],
            levels: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
        }
    }

    /// The best level of `side`.
    #[inline]
    pub(crate) fn best(&self, side: Side) -> Option<u32> {
        self.index[side as usize].last().map(|&(_, level)| level)
    }

    #[inline]
    fn position(&self, side: Side, price: Ticks) -> Result<usize, usize> {
        let index = &self.index[side as usize];
        let key = key(side, price);
        match index.last() {
            Some(&(best, _)) if best == key => Ok(index.len() - 1),
            Some(&(best, _)) if best < key => Err(index.len()),
            _ => index.binary_search_by_key(&key, |&(k, _)| k),
        }
    }

    /// The level of `side` at `price`, if there are orders there.
    #[inline]
    pub(crate) fn find(&self, side: Side, price: Ticks) -> Option<u32> {
        self.position(side, price)
            .ok()
            .map(|i| self.index[side as usize][i].1)
    }

    /// The level of `side` at `price`, created empty if missing.
    #[inline]
    pub(crate) fn find_or_insert(&mut self, side: Side, price: Ticks) -> u32 {
        match self.position(side, price) {
            Ok(i) => self.index[side as usize][i].1,
            Err(i) => {
                let level = Level {
                    price,
                    side,
                    alive: true,
                    total: 0,
                    count: 0,
                    head: NIL,
                    tail: NIL,
                };
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.levels[slot as usize] = level;
                        slot
                    }
                    None => {
                        self.levels.push(level);
                        u32::try_from(self.levels.len() - 1).expect("fewer than 2^32 levels")
                    }
                };
                self.index[side as usize].insert(i, (key(side, price), slot));
                slot
            }
        }
    }

    /// Removes the (empty) level of `side` at `price`.
    #[inline]
    pub(crate) fn remove(&mut self, side: Side, price: Ticks) {
        let i = self
            .position(side, price)
            .expect("removing a level that exists");
        let (_, slot) = self.index[side as usize].remove(i);
        debug_assert_eq!(self.levels[slot as usize].count, 0);
        self.levels[slot as usize].alive = false;
        self.free.push(slot);
    }

    /// The aggregate of the level of `side` at `price`; `hint` is a slot that held it (or
    /// `NIL`), checked before searching: a live level of that side and price is the only one.
    #[inline]
    pub(crate) fn info(&self, side: Side, price: Ticks, hint: u32) -> LevelInfo {
        let level = match self.levels.get(hint as usize) {
            Some(level) if level.alive && level.side == side && level.price == price => Some(hint),
            _ => self.find(side, price),
        };
        level.map_or(
            LevelInfo {
                price,
                quantity: Lots(0),
                orders: 0,
            },
            |l| self.get(l).info(),
        )
    }

    #[inline]
    pub(crate) fn get(&self, level: u32) -> &Level {
        &self.levels[level as usize]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, level: u32) -> &mut Level {
        &mut self.levels[level as usize]
    }

    /// The levels of `side`, best first.
    pub(crate) fn iter(&self, side: Side) -> impl Iterator<Item = &Level> + '_ {
        self.index[side as usize]
            .iter()
            .rev()
            .map(|&(_, level)| &self.levels[level as usize])
    }

    pub(crate) fn len(&self, side: Side) -> usize {
        self.index[side as usize].len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_put_the_best_price_last_on_both_sides_without_overflow() {
        let prices = [i64::MIN, -1, 0, 1, i64::MAX].map(Ticks);
        for pair in prices.windows(2) {
            assert!(
                key(Side::Buy, pair[0]) < key(Side::Buy, pair[1]),
                "higher bids are better"
            );
            assert!(
                key(Side::Sell, pair[0]) > key(Side::Sell, pair[1]),
                "lower asks are better"
            );
        }
    }

    #[test]
    fn levels_are_found_inserted_and_removed_in_price_order() {
        let mut ladder = Ladder::default();
        for price in [5, 1, 9, 3, 7] {
            ladder.find_or_insert(Side::Sell, Ticks(price));
        }
        let prices = |ladder: &Ladder| {
            ladder
                .iter(Side::Sell)
                .map(|l| l.price.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(prices(&ladder), [1, 3, 5, 7, 9]);
        let three = ladder.find(Side::Sell, Ticks(3)).unwrap();
        assert_eq!(ladder.find_or_insert(Side::Sell, Ticks(3)), three);
        ladder.remove(Side::Sell, Ticks(1));
        assert_eq!(ladder.best(Side::Sell), Some(three));
        assert_eq!(ladder.find(Side::Sell, Ticks(1)), None);
        assert_eq!(ladder.find(Side::Buy, Ticks(3)), None);
        assert_eq!(prices(&ladder), [3, 5, 7, 9]);
    }
}
