//! Matching: an incoming order against the opposite side, stop triggers, resting, and the
//! level-change report that ends each command.

use std::cmp::Reverse;

use aetherion_model::Side;

use crate::book::OrderBook;
use crate::event::{CancelReason, Event, Fill, OrderStatus};
use crate::ladder::key;
use crate::orders::{NIL, Node};
use crate::types::{Lots, NewOrder, OrderId, OrderKind, OwnerId, Ticks, TimeInForce};

/// An order on its way in: a new one, or a stop that was just triggered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Taker {
    id: OrderId,
    owner: OwnerId,
    side: Side,
    kind: OrderKind,
    tif: TimeInForce,
    post_only: bool,
    quantity: u64,
    remaining: u64,
    seq: u64,
}

impl Taker {
    pub(crate) fn new(order: &NewOrder, seq: u64) -> Self {
        Taker {
            id: order.id,
            owner: order.owner,
            side: order.side,
            kind: order.kind,
            tif: order.tif,
            post_only: order.post_only,
            quantity: order.quantity.0,
            remaining: order.quantity.0,
            seq,
        }
    }

    fn node(&self, status: OrderStatus, price: Ticks, book: &OrderBook) -> Node {
        Node {
            id: self.id,
            owner: self.owner,
            remaining: self.remaining,
            next: NIL,
            prev: NIL,
            level: NIL,
            side: self.side,
            status,
            tif: self.tif,
            post_only: self.post_only,
            price,
            kind: self.kind,
            quantity: self.quantity,
            seq: self.seq,
            since: book.now,
        }
    }
}

/// Whether an order of `side` limited at `limit` trades with a resting order at `price`.
#[inline]
pub(crate) fn crosses(side: Side, limit: Ticks, price: Ticks) -> bool {
    match side {
        Side::Buy => price <= limit,
        Side::Sell => price >= limit,
    }
}

impl OrderBook {
    /// Runs an accepted (or triggered) order: the FOK check, matching, then rest or expire.
    pub(crate) fn execute(&mut self, mut taker: Taker, out: &mut Vec<Event>) {
        let limit = taker.kind.limit_price();
        if taker.tif == TimeInForce::Fok && !self.can_fill(&taker, limit) {
            out.push(Event::Expired {
                id: taker.id,
                owner: taker.owner,
                remaining: Lots(taker.remaining),
            });
            return;
        }
        self.take(&mut taker, limit, out);
        if taker.remaining == 0 {
            return;
        }
        match limit {
            Some(price) if taker.tif == TimeInForce::Gtc => self.rest(&taker, price),
            _ => out.push(Event::Expired {
                id: taker.id,
                owner: taker.owner,
                remaining: Lots(taker.remaining),
            }),
        }
    }

    /// Whether the opposite side holds, within `limit`, enough quantity of other owners
    /// (same-owner orders would be canceled, not traded) to fill `taker` completely.
    fn can_fill(&self, taker: &Taker, limit: Option<Ticks>) -> bool {
        let mut needed = taker.remaining;
        for level in self.ladder.iter(taker.side.opposite()) {
            if limit.is_some_and(|limit| !crosses(taker.side, limit, level.price)) {
                break;
            }
            let mut slot = level.head;
            while slot != NIL {
                let node = self.orders.get(slot);
                if node.owner != taker.owner {
                    if node.remaining >= needed {
                        return true;
                    }
                    needed -= node.remaining;
                }
                slot = node.next;
            }
        }
        false
    }

    /// Trades `taker` against the best opposite orders while it crosses, in price-time
    /// priority, canceling same-owner resting orders on the way (self-trade prevention).
    #[inline]
    fn take(&mut self, taker: &mut Taker, limit: Option<Ticks>, out: &mut Vec<Event>) {
        let opposite = taker.side.opposite();
        while taker.remaining > 0 {
            let Some(level) = self.ladder.best(opposite) else {
                break;
            };
            let lvl = self.ladder.get(level);
            let (price, head) = (lvl.price, lvl.head);
            if limit.is_some_and(|limit| !crosses(taker.side, limit, price)) {
                break;
            }
            if self.touched.last() != Some(&(opposite, price, level)) {
                self.touched.push((opposite, price, level));
            }
            let maker = self.orders.get_mut(head);
            let (maker_id, maker_owner) = (maker.id, maker.owner);
            if maker_owner == taker.owner {
                let remaining = maker.remaining;
                self.unlink(head);
                self.orders.remove(head);
                self.live_quantity -= remaining;
                out.push(Event::Canceled {
                    id: maker_id,
                    owner: maker_owner,
                    remaining: Lots(remaining),
                    reason: CancelReason::SelfTrade,
                });
                continue;
            }
            let quantity = maker.remaining.min(taker.remaining);
            maker.remaining -= quantity;
            taker.remaining -= quantity;
            let maker_remaining = maker.remaining;
            self.ladder.get_mut(level).total -= quantity;
            self.live_quantity -= quantity;
            self.last_trade = Some(price);
            out.push(Event::Fill(Fill {
                maker: maker_id,
                maker_owner,
                taker: taker.id,
                taker_owner: taker.owner,
                taker_side: taker.side,
                price,
                quantity: Lots(quantity),
                maker_remaining: Lots(maker_remaining),
                taker_remaining: Lots(taker.remaining),
            }));
            if maker_remaining == 0 {
                self.unlink(head);
                self.orders.remove(head);
            }
            if !self.stops.is_empty() {
                self.fire_stops(price, out);
            }
        }
    }

    /// Puts the remainder of `taker` at the back of its level's FIFO.
    #[inline]
    fn rest(&mut self, taker: &Taker, price: Ticks) {
        let level = self.ladder.find_or_insert(taker.side, price);
        let tail = self.ladder.get(level).tail;
        let mut node = taker.node(OrderStatus::Resting, price, self);
        node.level = level;
        node.prev = tail;
        let slot = self.orders.insert(node);
        match tail {
            NIL => self.ladder.get_mut(level).head = slot,
            tail => self.orders.get_mut(tail).next = slot,
        }
        let lvl = self.ladder.get_mut(level);
        lvl.tail = slot;
        lvl.total += taker.remaining;
        lvl.count += 1;
        self.live_quantity += taker.remaining;
        self.touched.push((taker.side, price, level));
    }

    /// Parks an accepted stop until the last trade price reaches `trigger`.
    pub(crate) fn park_stop(&mut self, taker: Taker, trigger: Ticks) {
        let price = taker.kind.limit_price().unwrap_or_default();
        let slot = self
            .orders
            .insert(taker.node(OrderStatus::PendingStop, price, self));
        self.stops.insert(taker.side, trigger, taker.seq, slot);
        self.live_quantity += taker.remaining;
    }

    /// Moves the stops that a trade at `price` fires to the queue of orders to enter.
    fn fire_stops(&mut self, price: Ticks, out: &mut Vec<Event>) {
        let mut fired = std::mem::take(&mut self.fired);
        self.stops.take_fired(price, &mut fired);
        for (_, slot) in fired.drain(..) {
            let node = self.orders.get(slot);
            let taker = Taker {
                id: node.id,
                owner: node.owner,
                side: node.side,
                kind: node.kind,
                tif: node.tif,
                post_only: node.post_only,
                quantity: node.quantity,
                remaining: node.remaining,
                seq: node.seq,
            };
            self.live_quantity -= node.remaining;
            self.orders.remove(slot);
            out.push(Event::Triggered {
                id: taker.id,
                owner: taker.owner,
                price,
            });
            self.queue.push_back(taker);
        }
        self.fired = fired;
    }

    /// Lets the triggered stops enter, in trigger order (each may trigger more).
    pub(crate) fn drain_triggered(&mut self, out: &mut Vec<Event>) {
        while let Some(taker) = self.queue.pop_front() {
            self.execute(taker, out);
        }
    }

    /// Reports each level the command touched, once: bids then asks, best price first.
    pub(crate) fn flush_levels(&mut self, out: &mut Vec<Event>) {
        if self.touched.len() > 1 {
            self.touched
                .sort_by_key(|&(side, price, _)| (side, Reverse(key(side, price))));
            self.touched
                .dedup_by_key(|&mut (side, price, _)| (side, price));
        }
        for &(side, price, hint) in &self.touched {
            let info = self.ladder.info(side, price, hint);
            out.push(Event::LevelChanged {
                side,
                price,
                quantity: info.quantity,
                orders: info.orders,
            });
        }
        self.touched.clear();
    }
}
