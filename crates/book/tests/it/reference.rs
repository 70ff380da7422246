//! A naive reference book: the same rules as `OrderBook`, written as plainly as possible
//! (vectors and linear scans) so that the differential test can compare the two.

use std::collections::BTreeSet;

use aetherion_book::{
    CancelReason, Command, Event, Fill, Lots, NewOrder, OrderId, OrderInfo, OrderKind, OrderStatus,
    RejectReason, Side, Ticks, TimeInForce, UnixMicros,
};

#[derive(Clone, Debug)]
struct Order {
    order: NewOrder,
    remaining: u64,
    /// Arrival sequence (orders stops fired by one trade).
    seq: u64,
    /// Entry sequence into the book (time priority while resting).
    entry: u64,
    since: UnixMicros,
}

impl Order {
    fn price(&self) -> i64 {
        self.order.kind.limit_price().unwrap().0
    }

    fn info(&self, status: OrderStatus) -> OrderInfo {
        OrderInfo {
            id: self.order.id,
            owner: self.order.owner,
            side: self.order.side,
            kind: self.order.kind,
            tif: self.order.tif,
            post_only: self.order.post_only,
            quantity: self.order.quantity,
            remaining: Lots(self.remaining),
            status,
            since: self.since,
        }
    }
}

#[derive(Default)]
pub struct RefBook {
    resting: Vec<Order>,
    stops: Vec<Order>,
    last: Option<i64>,
    counter: u64,
    now: UnixMicros,
    touched: BTreeSet<(Side, i64)>,
}

fn crosses(side: Side, limit: i64, price: i64) -> bool {
    if side == Side::Buy {
        price <= limit
    } else {
        price >= limit
    }
}

fn fires(side: Side, trigger: i64, last: i64) -> bool {
    if side == Side::Buy {
        last >= trigger
    } else {
        last <= trigger
    }
}

impl RefBook {
    pub fn apply(&mut self, command: Command, ts: UnixMicros, out: &mut Vec<Event>) {
        self.now = ts;
        match command {
            Command::Submit(order) => self.submit(order, out),
            Command::Cancel(id) => {
                if self.live().any(|o| o.order.id == id) {
                    self.cancel_where(|o| o.order.id == id, CancelReason::User, out);
                } else {
                    out.push(Event::CancelRejected {
                        id,
                        reason: RejectReason::UnknownOrder,
                    });
                }
            }
            Command::CancelOwner(owner) => {
                self.cancel_where(|o| o.order.owner == owner, CancelReason::MassCancel, out)
            }
            Command::CancelAll => self.cancel_where(|_| true, CancelReason::Halt, out),
        }
        self.report_levels(out);
    }

    fn live(&self) -> impl Iterator<Item = &Order> {
        self.resting.iter().chain(&self.stops)
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The index of the best resting order of `side`: best price, then earliest entry.
    fn best_index(&self, side: Side) -> Option<usize> {
        let key = |o: &Order| {
            (
                if side == Side::Buy {
                    -(o.price() as i128)
                } else {
                    o.price() as i128
                },
                o.entry,
            )
        };
        (0..self.resting.len())
            .filter(|&i| self.resting[i].order.side == side)
            .min_by_key(|&i| key(&self.resting[i]))
    }

    fn submit(&mut self, order: NewOrder, out: &mut Vec<Event>) {
        let reject = |reason| Event::Rejected {
            id: order.id,
            owner: order.owner,
            reason,
        };
        let limit_gtc =
            matches!(order.kind, OrderKind::Limit { .. }) && order.tif == TimeInForce::Gtc;
        let live_total: u128 = self.live().map(|o| o.remaining as u128).sum();
        if order.quantity.0 == 0 {
            return out.push(reject(RejectReason::ZeroQuantity));
        }
        if self.live().any(|o| o.order.id == order.id) {
            return out.push(reject(RejectReason::DuplicateOrderId));
        }
        if order.post_only && !limit_gtc {
            return out.push(reject(RejectReason::PostOnlyNotAllowed));
        }
        if live_total + order.quantity.0 as u128 > u64::MAX as u128 {
            return out.push(reject(RejectReason::QuantityOverflow));
        }
        if order.post_only {
            let limit = order.kind.limit_price().unwrap().0;
            let best = self.best_index(order.side.opposite());
            if best.is_some_and(|best| crosses(order.side, limit, self.resting[best].price())) {
                return out.push(reject(RejectReason::PostOnlyWouldTake));
            }
        }
        out.push(Event::Accepted {
            id: order.id,
            owner: order.owner,
        });
        let seq = self.next();
        let o = Order {
            order,
            remaining: order.quantity.0,
            seq,
            entry: 0,
            since: self.now,
        };
        let mut queue = Vec::new();
        match order.kind.trigger() {
            Some(trigger)
                if !self
                    .last
                    .is_some_and(|last| fires(order.side, trigger.0, last)) =>
            {
                self.stops.push(o);
            }
            trigger => {
                if trigger.is_some() {
                    let price = Ticks(self.last.unwrap());
                    out.push(Event::Triggered {
                        id: order.id,
                        owner: order.owner,
                        price,
                    });
                }
                queue.push(o);
            }
        }
        let mut i = 0;
        while i < queue.len() {
            let o = queue[i].clone();
            self.execute(o, &mut queue, out);
            i += 1;
        }
    }

    fn execute(&mut self, mut o: Order, queue: &mut Vec<Order>, out: &mut Vec<Event>) {
        let side = o.order.side;
        let limit = o.order.kind.limit_price().map(|p| p.0);
        let reaches = |price: i64| limit.is_none_or(|limit| crosses(side, limit, price));
        let expire = |o: &Order| Event::Expired {
            id: o.order.id,
            owner: o.order.owner,
            remaining: Lots(o.remaining),
        };
        if o.order.tif == TimeInForce::Fok {
            let available: u128 = (self.resting.iter())
                .filter(|r| {
                    r.order.side != side && r.order.owner != o.order.owner && reaches(r.price())
                })
                .map(|r| r.remaining as u128)
                .sum();
            if available < o.remaining as u128 {
                return out.push(expire(&o));
            }
        }
        while o.remaining > 0 {
            let Some(best) = self.best_index(side.opposite()) else {
                break;
            };
            let price = self.resting[best].price();
            if !reaches(price) {
                break;
            }
            self.touched.insert((side.opposite(), price));
            if self.resting[best].order.owner == o.order.owner {
                let m = self.resting.remove(best);
                out.push(Event::Canceled {
                    id: m.order.id,
                    owner: m.order.owner,
                    remaining: Lots(m.remaining),
                    reason: CancelReason::SelfTrade,
                });
                continue;
            }
            let m = &mut self.resting[best];
            let q = m.remaining.min(o.remaining);
            m.remaining -= q;
            o.remaining -= q;
            out.push(Event::Fill(Fill {
                maker: m.order.id,
                maker_owner: m.order.owner,
                taker: o.order.id,
                taker_owner: o.order.owner,
                taker_side: side,
                price: Ticks(price),
                quantity: Lots(q),
                maker_remaining: Lots(m.remaining),
                taker_remaining: Lots(o.remaining),
            }));
            if m.remaining == 0 {
                self.resting.remove(best);
            }
            self.last = Some(price);
            let mut fired: Vec<Order> = Vec::new();
            self.stops.retain(|s| {
                let fire = fires(s.order.side, s.order.kind.trigger().unwrap().0, price);
                if fire {
                    fired.push(s.clone());
                }
                !fire
            });
            fired.sort_by_key(|s| s.seq);
            for s in fired {
                out.push(Event::Triggered {
                    id: s.order.id,
                    owner: s.order.owner,
                    price: Ticks(price),
                });
                queue.push(s);
            }
        }
        if o.remaining == 0 {
            return;
        }
        if limit.is_some() && o.order.tif == TimeInForce::Gtc {
            o.entry = self.next();
            o.since = self.now;
            self.touched.insert((side, o.price()));
            self.resting.push(o);
        } else {
            out.push(expire(&o));
        }
    }

    fn cancel_where(
        &mut self,
        pick: impl Fn(&Order) -> bool,
        reason: CancelReason,
        out: &mut Vec<Event>,
    ) {
        let mut ids: Vec<OrderId> = self
            .live()
            .filter(|o| pick(o))
            .map(|o| o.order.id)
            .collect();
        ids.sort();
        for id in ids {
            let (o, resting) = match self.resting.iter().position(|o| o.order.id == id) {
                Some(i) => (self.resting.remove(i), true),
                None => {
                    let i = self.stops.iter().position(|o| o.order.id == id).unwrap();
                    (self.stops.remove(i), false)
                }
            };
            if resting {
                self.touched.insert((o.order.side, o.price()));
            }
            out.push(Event::Canceled {
                id,
                owner: o.order.owner,
                remaining: Lots(o.remaining),
                reason,
            });
        }
    }

    fn report_levels(&mut self, out: &mut Vec<Event>) {
        let mut touched: Vec<(Side, i64)> = std::mem::take(&mut self.touched).into_iter().collect();
        touched.sort_by_key(|&(side, price)| {
            (
                side,
                if side == Side::Buy {
                    -(price as i128)
                } else {
                    price as i128
                },
            )
        });
        for (side, price) in touched {
            let (quantity, orders) = self.level(side, price);
            out.push(Event::LevelChanged {
                side,
                price: Ticks(price),
                quantity: Lots(quantity),
                orders,
            });
        }
    }

    fn level(&self, side: Side, price: i64) -> (u64, u32) {
        let at = self
            .resting
            .iter()
            .filter(|o| o.order.side == side && o.price() == price);
        at.fold((0, 0), |(q, n), o| (q + o.remaining, n + 1))
    }

    /// The levels of `side`, best first: (price, quantity, orders).
    pub fn depth(&self, side: Side) -> Vec<(i64, u64, u32)> {
        let prices: BTreeSet<i64> = (self.resting.iter())
            .filter(|o| o.order.side == side)
            .map(|o| o.price())
            .collect();
        let mut levels: Vec<_> = prices
            .into_iter()
            .map(|p| {
                let (q, n) = self.level(side, p);
                (p, q, n)
            })
            .collect();
        if side == Side::Buy {
            levels.reverse();
        }
        levels
    }

    /// The orders at one level, in time priority.
    pub fn orders_at(&self, side: Side, price: i64) -> Vec<OrderInfo> {
        let mut at: Vec<&Order> = (self.resting.iter())
            .filter(|o| o.order.side == side && o.price() == price)
            .collect();
        at.sort_by_key(|o| o.entry);
        at.into_iter()
            .map(|o| o.info(OrderStatus::Resting))
            .collect()
    }

    /// Every live order, by id.
    pub fn orders(&self) -> Vec<OrderInfo> {
        let mut all: Vec<OrderInfo> = (self.resting.iter().map(|o| o.info(OrderStatus::Resting)))
            .chain(self.stops.iter().map(|o| o.info(OrderStatus::PendingStop)))
            .collect();
        all.sort_by_key(|o| o.id);
        all
    }

    pub fn last_trade_price(&self) -> Option<Ticks> {
        self.last.map(Ticks)
    }
}
