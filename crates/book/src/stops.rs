//! Pending stop orders, per side, in the order in which the last trade price reaches them.
//!
//! A buy stop triggers when the last trade is `>= trigger`, so buy stops are keyed by trigger
//! ascending; a sell stop triggers when the last trade is `<= trigger`, so sell stops are keyed
//! by `!trigger` (trigger descending). Either way the triggered stops are a prefix of the map.
//! Stops are rare next to limit orders, so a `BTreeMap` is fine here.

use std::collections::BTreeMap;

use aetherion_model::Side;

use crate::ladder::key;
use crate::types::Ticks;

#[derive(Clone, Debug, Default)]
pub(crate) struct Stops {
    /// Per side: (key of trigger, arrival sequence) -> order slot.
    maps: [BTreeMap<(i64, u64), u32>; 2],
}

/// Whether a stop of `side` at `trigger` fires when the last trade is at `last`.
#[inline]
pub(crate) fn fires(side: Side, trigger: Ticks, last: Ticks) -> bool {
    match side {
        Side::Buy => last >= trigger,
        Side::Sell => last <= trigger,
    }
}

impl Stops {
    pub(crate) fn insert(&mut self, side: Side, trigger: Ticks, seq: u64, slot: u32) {
        self.maps[side as usize].insert((key(side, trigger), seq), slot);
    }

    pub(crate) fn remove(&mut self, side: Side, trigger: Ticks, seq: u64) {
        let old = self.maps[side as usize].remove(&(key(side, trigger), seq));
        debug_assert!(old.is_some(), "removing a stop that is pending");
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.maps[0].is_empty() && self.maps[1].is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.maps[0].len() + self.maps[1].len()
    }

    /// Removes every stop that a trade at `price` fires and appends `(sequence, slot)` for
    /// each to `fired`, in arrival order.
    pub(crate) fn take_fired(&mut self, price: Ticks, fired: &mut Vec<(u64, u32)>) {
        let start = fired.len();
        for side in [Side::Buy, Side::Sell] {
            let map = &mut self.maps[side as usize];
            let limit = key(side, price);
            while let Some(entry) = map.first_entry() {
                if entry.key().0 > limit {
                    break;
                }
                let seq = entry.key().1;
                fired.push((seq, entry.remove()));
            }
        }
        fired[start..].sort_unstable();
    }
}
