//! `OrderBook`: its commands (submit, cancel, mass cancels) and its queries.

use std::collections::VecDeque;

use aetherion_model::{Side, UnixMicros};

use crate::event::{CancelReason, Depth, Event, LevelInfo, OrderInfo, OrderStatus, RejectReason};
use crate::ladder::Ladder;
use crate::matching::{Taker, crosses};
use crate::orders::{NIL, Orders};
use crate::stops::{Stops, fires};
use crate::types::{Command, Lots, NewOrder, OrderId, OrderKind, OwnerId, Ticks, TimeInForce};

/// The limit order book of one symbol and its matching engine. See the crate docs for the rules.
///
/// Every command takes the time (`ts`, stamped on orders as [`OrderInfo::since`]) and appends
/// its events to `out`, which the caller owns and clears, so that nothing is allocated per
/// command once the book and the vector have grown.
#[derive(Clone, Debug)]
pub struct OrderBook {
    pub(crate) orders: Orders,
    pub(crate) ladder: Ladder,
    pub(crate) stops: Stops,
    pub(crate) last_trade: Option<Ticks>,
    pub(crate) next_seq: u64,
    /// The sum of the remaining quantity of all live orders; bounds every level's total.
    pub(crate) live_quantity: u64,
    pub(crate) now: UnixMicros,
    /// Levels touched by the current command (scratch).
    pub(crate) touched: Vec<(Side, Ticks, u32)>,
    /// Triggered stops waiting to enter, in trigger order (scratch).
    pub(crate) queue: VecDeque<Taker>,
    /// Stops fired by one trade (scratch).
    pub(crate) fired: Vec<(u64, u32)>,
}

impl Default for OrderBook {
    fn default() -> Self {
        Self::new()
    }
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    /// An empty book with room for `orders` live orders (and as many levels) before growing.
    pub fn with_capacity(orders: usize) -> Self {
        OrderBook {
            orders: Orders::with_capacity(orders),
            ladder: Ladder::with_capacity(orders),
            stops: Stops::default(),
            last_trade: None,
            next_seq: 0,
            live_quantity: 0,
            now: UnixMicros::default(),
            touched: Vec::with_capacity(64),
            queue: VecDeque::with_capacity(16),
            fired: Vec::with_capacity(16),
        }
    }

    /// Applies one command at time `ts`, appending its events to `out`.
    pub fn apply(&mut self, command: Command, ts: UnixMicros, out: &mut Vec<Event>) {
        match command {
            Command::Submit(order) => self.submit(order, ts, out),
            Command::Cancel(id) => self.cancel(id, ts, out),
            Command::CancelOwner(owner) => self.cancel_owner(owner, ts, out),
            Command::CancelAll => self.cancel_all(ts, out),
        }
    }

    /// Submits a new order: [`Event::Rejected`], or [`Event::Accepted`] followed by what it did.
    pub fn submit(&mut self, order: NewOrder, ts: UnixMicros, out: &mut Vec<Event>) {
        self.now = ts;
        if let Err(reason) = self.validate(&order) {
            out.push(Event::Rejected {
                id: order.id,
                owner: order.owner,
                reason,
            });
            return;
        }
        out.push(Event::Accepted {
            id: order.id,
            owner: order.owner,
        });
        let seq = self.next_seq;
        self.next_seq += 1;
        let taker = Taker::new(&order, seq);
        match order.kind.trigger() {
            None => self.execute(taker, out),
            Some(trigger) => match self.last_trade {
                Some(last) if fires(order.side, trigger, last) => {
                    out.push(Event::Triggered {
                        id: order.id,
                        owner: order.owner,
                        price: last,
                    });
                    self.execute(taker, out);
                }
                _ => self.park_stop(taker, trigger),
            },
        }
        self.drain_triggered(out);
        self.flush_levels(out);
    }

    fn validate(&self, order: &NewOrder) -> Result<(), RejectReason> {
        if order.quantity.is_zero() {
            return Err(RejectReason::ZeroQuantity);
        }
        if self.orders.contains(order.id) {
            return Err(RejectReason::DuplicateOrderId);
        }
        let post_only_limit = match order.kind {
            OrderKind::Limit { price } if order.tif == TimeInForce::Gtc => Some(price),
            _ => None,
        };
        if order.post_only && post_only_limit.is_none() {
            return Err(RejectReason::PostOnlyNotAllowed);
        }
        if self.live_quantity.checked_add(order.quantity.0).is_none() {
            return Err(RejectReason::QuantityOverflow);
        }
        if let (true, Some(price)) = (order.post_only, post_only_limit) {
            let best = self.ladder.best(order.side.opposite());
            if best.is_some_and(|level| crosses(order.side, price, self.ladder.get(level).price)) {
                return Err(RejectReason::PostOnlyWouldTake);
            }
        }
        Ok(())
    }

    /// Cancels one live order (resting or a pending stop), or reports
    /// [`Event::CancelRejected`] with [`RejectReason::UnknownOrder`].
    pub fn cancel(&mut self, id: OrderId, ts: UnixMicros, out: &mut Vec<Event>) {
        self.now = ts;
        match self.orders.slot(id) {
            Some(slot) => self.cancel_slot(slot, CancelReason::User, out),
            None => out.push(Event::CancelRejected {
                id,
                reason: RejectReason::UnknownOrder,
            }),
        }
        self.flush_levels(out);
    }

    /// Cancels every live order of `owner`, in ascending id order.
    pub fn cancel_owner(&mut self, owner: OwnerId, ts: UnixMicros, out: &mut Vec<Event>) {
        self.cancel_where(ts, out, CancelReason::MassCancel, |o| o == owner);
    }

    /// Cancels every live order (halting the symbol), in ascending id order.
    pub fn cancel_all(&mut self, ts: UnixMicros, out: &mut Vec<Event>) {
        self.cancel_where(ts, out, CancelReason::Halt, |_| true);
    }

    fn cancel_where(
        &mut self,
        ts: UnixMicros,
        out: &mut Vec<Event>,
        reason: CancelReason,
        owner_matches: impl Fn(OwnerId) -> bool,
    ) {
        self.now = ts;
        let mut doomed: Vec<(OrderId, u32)> = (self.orders.live_slots())
            .map(|slot| (self.orders.get(slot).id, slot))
            .filter(|&(_, slot)| owner_matches(self.orders.get(slot).owner))
            .collect();
        doomed.sort_unstable();
        for (_, slot) in doomed {
            self.cancel_slot(slot, reason, out);
        }
        self.flush_levels(out);
    }

    fn cancel_slot(&mut self, slot: u32, reason: CancelReason, out: &mut Vec<Event>) {
        let node = self.orders.get(slot);
        let (id, owner, side, remaining) = (node.id, node.owner, node.side, node.remaining);
        match node.status {
            OrderStatus::Resting => {
                self.touched.push((side, node.price, node.level));
                self.unlink(slot);
            }
            OrderStatus::PendingStop => {
                let trigger = node.kind.trigger().expect("a pending stop has a trigger");
                self.stops.remove(side, trigger, node.seq);
            }
        }
        self.live_quantity -= remaining;
        self.orders.remove(slot);
        out.push(Event::Canceled {
            id,
            owner,
            remaining: Lots(remaining),
            reason,
        });
    }

    /// Takes a resting order out of its level's FIFO and aggregate; drops the level if empty.
    pub(crate) fn unlink(&mut self, slot: u32) {
        let node = self.orders.get(slot);
        let (prev, next, level, remaining) = (node.prev, node.next, node.level, node.remaining);
        match prev {
            NIL => self.ladder.get_mut(level).head = next,
            prev => self.orders.get_mut(prev).next = next,
        }
        match next {
            NIL => self.ladder.get_mut(level).tail = prev,
            next => self.orders.get_mut(next).prev = prev,
        }
        let lvl = self.ladder.get_mut(level);
        lvl.total -= remaining;
        lvl.count -= 1;
        if lvl.count == 0 {
            let price = lvl.price;
            self.ladder.remove(self.orders.get(slot).side, price);
        }
    }

    /// The highest bid price.
    pub fn best_bid(&self) -> Option<Ticks> {
        self.best(Side::Buy).map(|level| level.price)
    }

    /// The lowest ask price.
    pub fn best_ask(&self) -> Option<Ticks> {
        self.best(Side::Sell).map(|level| level.price)
    }

    /// The best level of `side` (bids: highest price; asks: lowest).
    pub fn best(&self, side: Side) -> Option<LevelInfo> {
        self.ladder
            .best(side)
            .map(|level| self.ladder.get(level).info())
    }

    /// The levels of `side`, best first, at most `n` of them.
    pub fn depth(&self, side: Side, n: usize) -> impl Iterator<Item = LevelInfo> + '_ {
        self.ladder.iter(side).take(n).map(|level| level.info())
    }

    /// The best `n` levels of both sides.
    pub fn snapshot(&self, n: usize) -> Depth {
        Depth {
            bids: self.depth(Side::Buy, n).collect(),
            asks: self.depth(Side::Sell, n).collect(),
        }
    }

    /// The number of price levels of `side`.
    pub fn level_count(&self, side: Side) -> usize {
        self.ladder.len(side)
    }

    /// The level of `side` at `price`, if any order rests there.
    pub fn level(&self, side: Side, price: Ticks) -> Option<LevelInfo> {
        self.ladder
            .find(side, price)
            .map(|level| self.ladder.get(level).info())
    }

    /// The orders resting at one level, in time priority (first to fill first).
    pub fn orders_at(&self, side: Side, price: Ticks) -> impl Iterator<Item = OrderInfo> + '_ {
        let head = self
            .ladder
            .find(side, price)
            .map_or(NIL, |level| self.ladder.get(level).head);
        std::iter::successors((head != NIL).then_some(head), |&slot| {
            let next = self.orders.get(slot).next;
            (next != NIL).then_some(next)
        })
        .map(|slot| self.orders.get(slot).info())
    }

    /// A live order (resting or a pending stop) by id.
    pub fn order(&self, id: OrderId) -> Option<OrderInfo> {
        self.orders
            .slot(id)
            .map(|slot| self.orders.get(slot).info())
    }

    /// The price of the last trade, if there was one.
    pub fn last_trade_price(&self) -> Option<Ticks> {
        self.last_trade
    }

    /// The number of live orders: resting ones and pending stops.
    pub fn live_orders(&self) -> usize {
        self.orders.len()
    }

    /// The number of pending (untriggered) stops.
    pub fn pending_stops(&self) -> usize {
        self.stops.len()
    }
}
