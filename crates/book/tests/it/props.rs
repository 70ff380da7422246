//! Property tests: invariants that hold after every command of any command stream.

use std::collections::{HashMap, HashSet};

use aetherion_book::{
    Command, Event, Lots, NewOrder, OrderBook, OrderId, OrderKind, OrderStatus, OwnerId, Side,
    Ticks, TimeInForce, UnixMicros,
};
use proptest::prelude::*;

fn command() -> impl Strategy<Value = Command> {
    let id = || 1u64..=40;
    let owner = || 1u64..=3;
    let price = || (95i64..=105).prop_map(Ticks);
    let side = prop_oneof![Just(Side::Buy), Just(Side::Sell)];
    let kind = prop_oneof![
        6 => price().prop_map(|price| OrderKind::Limit { price }),
        1 => Just(OrderKind::Market),
        1 => price().prop_map(|trigger| OrderKind::Stop { trigger }),
        1 => (price(), price()).prop_map(|(trigger, price)| OrderKind::StopLimit { trigger, price }),
    ];
    let tif = prop_oneof![
        4 => Just(TimeInForce::Gtc),
        1 => Just(TimeInForce::Ioc),
        1 => Just(TimeInForce::Fok),
    ];
    let quantity = prop_oneof![20 => 1u64..=20, 1 => Just(0)];
    let submit = (
        id(),
        owner(),
        side,
        kind,
        quantity,
        tif,
        prop::bool::weighted(0.15),
    )
        .prop_map(|(id, owner, side, kind, quantity, tif, post_only)| {
            Command::Submit(NewOrder {
                id: OrderId(id),
                owner: OwnerId(owner),
                side,
                kind,
                quantity: Lots(quantity),
                tif,
                post_only,
            })
        });
    prop_oneof![
        40 => submit,
        10 => id().prop_map(|id| Command::Cancel(OrderId(id))),
        1 => owner().prop_map(|owner| Command::CancelOwner(OwnerId(owner))),
        1 => Just(Command::CancelAll),
    ]
}

/// What the events said about each order, kept beside the book.
#[derive(Debug)]
struct Entry {
    quantity: u64,
    filled: u64,
    /// Canceled or expired quantity.
    closed: u64,
    done: bool,
    /// When the order (last) entered the book: its acceptance, or its trigger.
    entered: u64,
}

#[derive(Default)]
struct Ledger {
    orders: HashMap<OrderId, Entry>,
    clock: u64,
}

impl Ledger {
    fn record(&mut self, command: &Command, events: &[Event]) {
        for event in events {
            match *event {
                Event::Accepted { id, .. } => {
                    let Command::Submit(order) = command else {
                        panic!("accepted without a submit")
                    };
                    assert_eq!(order.id, id);
                    self.clock += 1;
                    let entry = Entry {
                        quantity: order.quantity.0,
                        filled: 0,
                        closed: 0,
                        done: false,
                        entered: self.clock,
                    };
                    let old = self.orders.insert(id, entry);
                    assert!(old.is_none_or(|old| old.done), "accepted a live id again");
                }
                Event::Triggered { id, .. } => {
                    self.clock += 1;
                    self.orders.get_mut(&id).unwrap().entered = self.clock;
                }
                Event::Fill(fill) => {
                    for id in [fill.maker, fill.taker] {
                        let entry = self.orders.get_mut(&id).unwrap();
                        assert!(!entry.done, "a fill of a finished order");
                        entry.filled += fill.quantity.0;
                        entry.done = entry.filled == entry.quantity;
                    }
                    assert_eq!(
                        self.orders[&fill.maker].quantity - self.orders[&fill.maker].filled,
                        fill.maker_remaining.0
                    );
                    assert_eq!(
                        self.orders[&fill.taker].quantity - self.orders[&fill.taker].filled,
                        fill.taker_remaining.0
                    );
                }
                Event::Canceled { id, remaining, .. } | Event::Expired { id, remaining, .. } => {
                    let entry = self.orders.get_mut(&id).unwrap();
                    assert!(
                        !entry.done && remaining.0 > 0,
                        "closing a finished or empty order"
                    );
                    entry.closed += remaining.0;
                    entry.done = true;
                }
                Event::Rejected { .. }
                | Event::CancelRejected { .. }
                | Event::LevelChanged { .. } => {}
            }
        }
    }
}

/// Applies `commands` and calls `check` after each with the book, the ledger and the events.
fn replay(commands: &[Command], mut check: impl FnMut(&OrderBook, &Ledger, &[Event])) {
    let mut book = OrderBook::new();
    let mut ledger = Ledger::default();
    let mut events = Vec::new();
    for (n, command) in commands.iter().enumerate() {
        events.clear();
        book.apply(*command, UnixMicros(n as i64), &mut events);
        ledger.record(command, &events);
        check(&book, &ledger, &events);
    }
}

fn levels(book: &OrderBook) -> impl Iterator<Item = (Side, aetherion_book::LevelInfo)> + '_ {
    [Side::Buy, Side::Sell]
        .into_iter()
        .flat_map(move |side| book.depth(side, usize::MAX).map(move |l| (side, l)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn prop_resting_book_is_never_crossed(commands in prop::collection::vec(command(), 1..300)) {
        replay(&commands, |book, _, _| {
            if let (Some(bid), Some(ask)) = (book.best_bid(), book.best_ask()) {
                assert!(bid < ask, "crossed book: bid {bid:?} >= ask {ask:?}");
            }
        });
    }

    #[test]
    fn prop_fifo_within_each_level(commands in prop::collection::vec(command(), 1..300)) {
        replay(&commands, |book, ledger, _| {
            for (side, level) in levels(book) {
                let entered: Vec<u64> = book.orders_at(side, level.price).map(|o| ledger.orders[&o.id].entered).collect();
                assert!(entered.is_sorted() && entered.windows(2).all(|w| w[0] < w[1]), "not FIFO at {side} {:?}: {entered:?}", level.price);
            }
        });
    }

    #[test]
    fn prop_every_lot_is_accounted_for(commands in prop::collection::vec(command(), 1..300)) {
        replay(&commands, |book, ledger, _| {
            let mut live = 0;
            for (id, entry) in &ledger.orders {
                match book.order(*id) {
                    Some(order) => {
                        assert!(!entry.done, "{id:?} is done but still in the book");
                        assert_eq!(order.quantity.0, entry.quantity);
                        assert!(order.remaining.0 > 0, "a live order with nothing left");
                        assert_eq!(entry.filled + order.remaining.0, entry.quantity, "{id:?}: filled + remaining");
                        assert_eq!(entry.closed, 0);
                        live += 1;
                    }
                    None => {
                        assert!(entry.done, "{id:?} vanished without a final event");
                        assert_eq!(entry.filled + entry.closed, entry.quantity, "{id:?}: filled + closed");
                    }
                }
            }
            assert_eq!(book.live_orders(), live);
        });
    }

    #[test]
    fn prop_levels_aggregate_their_orders(commands in prop::collection::vec(command(), 1..300)) {
        replay(&commands, |book, _, _| {
            for (side, level) in levels(book) {
                assert!(level.quantity.0 > 0 && level.orders > 0, "an empty level is listed");
                let orders: Vec<_> = book.orders_at(side, level.price).collect();
                assert_eq!(orders.len() as u32, level.orders);
                assert_eq!(orders.iter().map(|o| o.remaining.0).sum::<u64>(), level.quantity.0);
                for order in orders {
                    assert_eq!((order.side, order.status), (side, OrderStatus::Resting));
                    assert_eq!(order.kind.limit_price(), Some(level.price));
                    assert!(order.remaining.0 > 0);
                }
            }
            let stops = (1..=40).filter_map(|id| book.order(OrderId(id))).filter(|o| o.status == OrderStatus::PendingStop);
            assert_eq!(stops.count(), book.pending_stops());
        });
    }

    #[test]
    fn prop_level_events_report_the_book(commands in prop::collection::vec(command(), 1..300)) {
        let mut before: HashMap<(Side, Ticks), (u64, u32)> = HashMap::new();
        replay(&commands, |book, _, events| {
            let after: HashMap<(Side, Ticks), (u64, u32)> =
                levels(book).map(|(side, l)| ((side, l.price), (l.quantity.0, l.orders))).collect();
            let mut seen = HashSet::new();
            let mut reported_levels = false;
            for event in events {
                if let Event::LevelChanged { side, price, quantity, orders } = *event {
                    reported_levels = true;
                    assert!(seen.insert((side, price)), "level reported twice in one command");
                    let now = book.level(side, price).map_or((0, 0), |l| (l.quantity.0, l.orders));
                    assert_eq!((quantity.0, orders), now);
                } else {
                    assert!(!reported_levels, "level changes come last");
                }
            }
            for key in before.keys().chain(after.keys()) {
                if before.get(key) != after.get(key) {
                    assert!(seen.contains(key), "level {key:?} changed unreported");
                }
            }
            before = after;
        });
    }
}
