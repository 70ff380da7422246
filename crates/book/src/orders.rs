//! The order arena: a slab of order nodes, reused through a free list, with an id index.
//!
//! A node's `prev`/`next` link it into the FIFO of its price level (see `ladder.rs`), so a
//! cancel unlinks it in O(1) and the hot path allocates nothing once the slab has grown.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use aetherion_model::{Side, UnixMicros};

use crate::event::{OrderInfo, OrderStatus};
use crate::types::{Lots, OrderId, OrderKind, OwnerId, Ticks, TimeInForce};

/// "No node" or "no level" in a link.
pub(crate) const NIL: u32 = u32::MAX;

/// One live order.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub id: OrderId,
    pub owner: OwnerId,
    pub remaining: u64,
    pub next: u32,
    pub prev: u32,
    /// The level it rests in, or `NIL` for a pending stop.
    pub level: u32,
    pub side: Side,
    pub status: OrderStatus,
    pub tif: TimeInForce,
    pub post_only: bool,
    /// The limit price (meaningful while resting).
    pub price: Ticks,
    pub kind: OrderKind,
    pub quantity: u64,
    /// Arrival sequence; orders the stops that one trade triggers.
    pub seq: u64,
    pub since: UnixMicros,
}

impl Node {
    pub(crate) fn info(&self) -> OrderInfo {
        OrderInfo {
            id: self.id,
            owner: self.owner,
            side: self.side,
            kind: self.kind,
            tif: self.tif,
            post_only: self.post_only,
            quantity: Lots(self.quantity),
            remaining: Lots(self.remaining),
            status: self.status,
            since: self.since,
        }
    }
}

/// A multiplicative hash for ids (FxHash-like). Ids come from the platform, not from an
/// adversary, so hash flooding is not a concern and SipHash's cost is not worth paying.
#[derive(Clone, Copy, Default)]
pub(crate) struct IdHasher(u64);

const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The table indexes by the low bits; bring the well-mixed high bits down.
        self.0.rotate_left(26)
    }
}

/// The slab of live orders and the index from id to slot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Orders {
    nodes: Vec<Node>,
    free: Vec<u32>,
    ids: HashMap<OrderId, u32, BuildHasherDefault<IdHasher>>,
}

impl Orders {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Orders {
            nodes: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
            ids: HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default()),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    #[inline]
    pub(crate) fn contains(&self, id: OrderId) -> bool {
        self.ids.contains_key(&id)
    }

    #[inline]
    pub(crate) fn slot(&self, id: OrderId) -> Option<u32> {
        self.ids.get(&id).copied()
    }

    /// Stores a live order under its id (which must not be live) and returns its slot.
    #[inline]
    pub(crate) fn insert(&mut self, node: Node) -> u32 {
        let id = node.id;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                let slot = u32::try_from(self.nodes.len()).expect("fewer than 2^32 live orders");
                assert!(slot != NIL, "fewer than 2^32 - 1 live orders");
                self.nodes.push(node);
                slot
            }
        };
        let old = self.ids.insert(id, slot);
        debug_assert!(old.is_none(), "inserted a live id twice");
        slot
    }

    /// Forgets the order in `slot`; the slot is reused by a later insert.
    #[inline]
    pub(crate) fn remove(&mut self, slot: u32) {
        let id = self.nodes[slot as usize].id;
        let old = self.ids.remove(&id);
        debug_assert_eq!(old, Some(slot));
        self.free.push(slot);
    }

    #[inline]
    pub(crate) fn get(&self, slot: u32) -> &Node {
        &self.nodes[slot as usize]
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, slot: u32) -> &mut Node {
        &mut self.nodes[slot as usize]
    }

    /// The slots of all live orders, in no particular order.
    pub(crate) fn live_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.ids.values().copied()
    }
}
