//! Scripted command sequences with their exact event logs, one or more per feature.

use aetherion_book::{
    CancelReason, Command, Depth, Event, Fill, LevelInfo, Lots, NewOrder, OrderBook, OrderId,
    OrderInfo, OrderKind, OrderStatus, OwnerId, RejectReason, Side, Ticks, TimeInForce, UnixMicros,
};

use Side::{Buy, Sell};

const T: UnixMicros = UnixMicros(1_000);

fn run(book: &mut OrderBook, command: Command) -> Vec<Event> {
    let mut out = Vec::new();
    book.apply(command, T, &mut out);
    out
}

fn submit(book: &mut OrderBook, order: NewOrder) -> Vec<Event> {
    run(book, Command::Submit(order))
}

/// A book with the given GTC limit orders resting: (id, owner, side, price, quantity).
fn book_with(orders: &[(u64, u64, Side, i64, u64)]) -> OrderBook {
    let mut book = OrderBook::new();
    for &(id, owner, side, price, quantity) in orders {
        let events = submit(&mut book, NewOrder::limit(id, owner, side, price, quantity));
        assert!(
            !events.iter().any(|e| matches!(e, Event::Fill(_))),
            "setup orders must not trade"
        );
    }
    book
}

fn accepted(id: u64, owner: u64) -> Event {
    Event::Accepted {
        id: OrderId(id),
        owner: OwnerId(owner),
    }
}

fn rejected(id: u64, owner: u64, reason: RejectReason) -> Event {
    Event::Rejected {
        id: OrderId(id),
        owner: OwnerId(owner),
        reason,
    }
}

fn level(side: Side, price: i64, quantity: u64, orders: u32) -> Event {
    Event::LevelChanged {
        side,
        price: Ticks(price),
        quantity: Lots(quantity),
        orders,
    }
}

fn expired(id: u64, owner: u64, remaining: u64) -> Event {
    Event::Expired {
        id: OrderId(id),
        owner: OwnerId(owner),
        remaining: Lots(remaining),
    }
}

fn canceled(id: u64, owner: u64, remaining: u64, reason: CancelReason) -> Event {
    Event::Canceled {
        id: OrderId(id),
        owner: OwnerId(owner),
        remaining: Lots(remaining),
        reason,
    }
}

fn triggered(id: u64, owner: u64, price: i64) -> Event {
    Event::Triggered {
        id: OrderId(id),
        owner: OwnerId(owner),
        price: Ticks(price),
    }
}

/// A fill: (maker id, maker owner), (taker id, taker owner), taker side, price, quantity,
/// maker remaining, taker remaining.
fn fill(
    maker: (u64, u64),
    taker: (u64, u64),
    side: Side,
    price: i64,
    qty: u64,
    mr: u64,
    tr: u64,
) -> Event {
    Event::Fill(Fill {
        maker: OrderId(maker.0),
        maker_owner: OwnerId(maker.1),
        taker: OrderId(taker.0),
        taker_owner: OwnerId(taker.1),
        taker_side: side,
        price: Ticks(price),
        quantity: Lots(qty),
        maker_remaining: Lots(mr),
        taker_remaining: Lots(tr),
    })
}

#[test]
fn a_limit_order_rests_and_its_level_is_reported() {
    let mut book = OrderBook::new();
    assert_eq!(
        submit(&mut book, NewOrder::limit(1, 7, Buy, 100, 5)),
        [accepted(1, 7), level(Buy, 100, 5, 1)]
    );
    assert_eq!(
        submit(&mut book, NewOrder::limit(2, 8, Buy, 100, 3)),
        [accepted(2, 8), level(Buy, 100, 8, 2)]
    );
    assert_eq!((book.best_bid(), book.best_ask()), (Some(Ticks(100)), None));
    assert_eq!(book.live_orders(), 2);
}

#[test]
fn better_prices_fill_first_then_earlier_orders() {
    let mut book = book_with(&[
        (1, 1, Sell, 101, 5),
        (2, 2, Sell, 100, 5),
        (3, 3, Sell, 100, 5),
    ]);
    let events = submit(&mut book, NewOrder::limit(9, 9, Buy, 101, 12));
    assert_eq!(
        events,
        [
            accepted(9, 9),
            fill((2, 2), (9, 9), Buy, 100, 5, 0, 7),
            fill((3, 3), (9, 9), Buy, 100, 5, 0, 2),
            fill((1, 1), (9, 9), Buy, 101, 2, 3, 0),
            level(Sell, 100, 0, 0),
            level(Sell, 101, 3, 1),
        ]
    );
    assert_eq!(book.last_trade_price(), Some(Ticks(101)));
}

#[test]
fn a_gtc_limit_remainder_rests_at_its_price() {
    let mut book = book_with(&[(1, 1, Sell, 100, 4)]);
    let events = submit(&mut book, NewOrder::limit(2, 2, Buy, 100, 10));
    assert_eq!(
        events,
        [
            accepted(2, 2),
            fill((1, 1), (2, 2), Buy, 100, 4, 0, 6),
            level(Buy, 100, 6, 1),
            level(Sell, 100, 0, 0),
        ]
    );
    assert_eq!(book.order(OrderId(2)).map(|o| o.remaining), Some(Lots(6)));
}

#[test]
fn ioc_fills_what_it_can_and_the_rest_expires() {
    let mut book = book_with(&[(1, 1, Sell, 100, 4), (2, 1, Sell, 102, 4)]);
    let order = NewOrder::limit(3, 2, Buy, 101, 10).with_tif(TimeInForce::Ioc);
    assert_eq!(
        submit(&mut book, order),
        [
            accepted(3, 2),
            fill((1, 1), (3, 2), Buy, 100, 4, 0, 6),
            expired(3, 2, 6),
            level(Sell, 100, 0, 0),
        ]
    );
    assert_eq!(book.best_bid(), None, "IOC never rests");
}

#[test]
fn fok_that_cannot_fill_completely_does_nothing() {
    let mut book = book_with(&[
        (1, 1, Sell, 100, 4),
        (2, 1, Sell, 101, 4),
        (3, 1, Sell, 103, 10),
    ]);
    let before = book.snapshot(10);
    let order = NewOrder::limit(4, 2, Buy, 102, 9).with_tif(TimeInForce::Fok);
    assert_eq!(submit(&mut book, order), [accepted(4, 2), expired(4, 2, 9)]);
    assert_eq!(book.snapshot(10), before);
    assert_eq!(book.last_trade_price(), None);
}

#[test]
fn fok_that_can_fill_fills_across_levels() {
    let mut book = book_with(&[
        (1, 1, Sell, 100, 4),
        (2, 1, Sell, 101, 4),
        (3, 1, Sell, 103, 10),
    ]);
    let order = NewOrder::limit(4, 2, Buy, 101, 8).with_tif(TimeInForce::Fok);
    assert_eq!(
        submit(&mut book, order),
        [
            accepted(4, 2),
            fill((1, 1), (4, 2), Buy, 100, 4, 0, 4),
            fill((2, 1), (4, 2), Buy, 101, 4, 0, 0),
            level(Sell, 100, 0, 0),
            level(Sell, 101, 0, 0),
        ]
    );
}

#[test]
fn fok_does_not_count_liquidity_it_would_cancel_as_self_trade() {
    let mut book = book_with(&[(1, 2, Sell, 100, 5), (2, 1, Sell, 100, 5)]);
    let order = NewOrder::market(3, 2, Buy, 6).with_tif(TimeInForce::Fok);
    assert_eq!(submit(&mut book, order), [accepted(3, 2), expired(3, 2, 6)]);
    assert_eq!(book.live_orders(), 2, "a failed FOK cancels nothing");
    let order = NewOrder::market(4, 2, Buy, 5).with_tif(TimeInForce::Fok);
    assert_eq!(
        submit(&mut book, order),
        [
            accepted(4, 2),
            canceled(1, 2, 5, CancelReason::SelfTrade),
            fill((2, 1), (4, 2), Buy, 100, 5, 0, 0),
            level(Sell, 100, 0, 0),
        ]
    );
}

#[test]
fn a_market_order_into_an_empty_book_expires() {
    let mut book = OrderBook::new();
    assert_eq!(
        submit(&mut book, NewOrder::market(1, 1, Buy, 10)),
        [accepted(1, 1), expired(1, 1, 10)]
    );
    assert_eq!(book.live_orders(), 0);
}

#[test]
fn a_market_order_sweeps_the_book_and_never_rests() {
    let mut book = book_with(&[(1, 1, Buy, 99, 3), (2, 1, Buy, 98, 3)]);
    assert_eq!(
        submit(&mut book, NewOrder::market(3, 2, Sell, 10)),
        [
            accepted(3, 2),
            fill((1, 1), (3, 2), Sell, 99, 3, 0, 7),
            fill((2, 1), (3, 2), Sell, 98, 3, 0, 4),
            expired(3, 2, 4),
            level(Buy, 99, 0, 0),
            level(Buy, 98, 0, 0),
        ]
    );
    assert_eq!((book.best_bid(), book.best_ask()), (None, None));
}

#[test]
fn post_only_rests_when_it_would_not_trade_and_is_rejected_when_it_would() {
    let mut book = book_with(&[(1, 1, Sell, 100, 5)]);
    let taking = NewOrder::limit(2, 2, Buy, 100, 5).with_post_only();
    assert_eq!(
        submit(&mut book, taking),
        [rejected(2, 2, RejectReason::PostOnlyWouldTake)]
    );
    let own = NewOrder::limit(3, 1, Buy, 101, 5).with_post_only();
    assert_eq!(
        submit(&mut book, own),
        [rejected(3, 1, RejectReason::PostOnlyWouldTake)],
        "whoever owns the ask"
    );
    let making = NewOrder::limit(4, 2, Buy, 99, 5).with_post_only();
    assert_eq!(
        submit(&mut book, making),
        [accepted(4, 2), level(Buy, 99, 5, 1)]
    );
    let ioc = NewOrder::limit(5, 2, Buy, 98, 5)
        .with_tif(TimeInForce::Ioc)
        .with_post_only();
    assert_eq!(
        submit(&mut book, ioc),
        [rejected(5, 2, RejectReason::PostOnlyNotAllowed)]
    );
    let market = NewOrder::market(6, 2, Buy, 5).with_post_only();
    assert_eq!(
        submit(&mut book, market),
        [rejected(6, 2, RejectReason::PostOnlyNotAllowed)]
    );
}

#[test]
fn self_trade_prevention_cancels_the_resting_order_and_matching_goes_on() {
    let mut book = book_with(&[
        (1, 1, Sell, 100, 5),
        (2, 7, Sell, 100, 5),
        (3, 1, Sell, 101, 5),
    ]);
    assert_eq!(
        submit(&mut book, NewOrder::limit(4, 7, Buy, 101, 8)),
        [
            accepted(4, 7),
            fill((1, 1), (4, 7), Buy, 100, 5, 0, 3),
            canceled(2, 7, 5, CancelReason::SelfTrade),
            fill((3, 1), (4, 7), Buy, 101, 3, 2, 0),
            level(Sell, 100, 0, 0),
            level(Sell, 101, 2, 1),
        ]
    );
    assert_eq!(book.order(OrderId(2)), None);
}

#[test]
fn a_buy_stop_triggers_when_a_trade_prints_at_or_above_it_and_becomes_a_market_order() {
    let mut book = book_with(&[(1, 1, Sell, 100, 1), (2, 1, Sell, 105, 10)]);
    assert_eq!(
        submit(&mut book, NewOrder::stop(3, 2, Buy, 100, 4)),
        [accepted(3, 2)]
    );
    assert_eq!(
        book.order(OrderId(3)).map(|o| o.status),
        Some(OrderStatus::PendingStop)
    );
    assert_eq!(book.pending_stops(), 1);
    assert_eq!(
        submit(&mut book, NewOrder::market(4, 3, Buy, 1)),
        [
            accepted(4, 3),
            fill((1, 1), (4, 3), Buy, 100, 1, 0, 0),
            triggered(3, 2, 100),
            fill((2, 1), (3, 2), Buy, 105, 4, 6, 0),
            level(Sell, 100, 0, 0),
            level(Sell, 105, 6, 1),
        ]
    );
    assert_eq!(book.pending_stops(), 0);
}

#[test]
fn a_sell_stop_waits_above_its_trigger_and_fires_at_or_below_it() {
    let mut book = book_with(&[(1, 1, Buy, 100, 1), (2, 1, Buy, 99, 1), (3, 1, Buy, 90, 10)]);
    submit(&mut book, NewOrder::stop(4, 2, Sell, 99, 3));
    let first = submit(&mut book, NewOrder::market(5, 3, Sell, 1));
    assert!(
        !first.contains(&triggered(4, 2, 100)),
        "100 is above the sell stop at 99"
    );
    assert_eq!(
        submit(&mut book, NewOrder::market(6, 3, Sell, 1)),
        [
            accepted(6, 3),
            fill((2, 1), (6, 3), Sell, 99, 1, 0, 0),
            triggered(4, 2, 99),
            fill((3, 1), (4, 2), Sell, 90, 3, 7, 0),
            level(Buy, 99, 0, 0),
            level(Buy, 90, 7, 1),
        ]
    );
}

#[test]
fn a_triggered_stop_limit_becomes_a_limit_order_and_rests() {
    let mut book = book_with(&[(1, 1, Sell, 100, 1), (2, 1, Sell, 103, 5)]);
    submit(&mut book, NewOrder::stop_limit(3, 2, Buy, 100, 102, 4));
    assert_eq!(
        submit(&mut book, NewOrder::market(4, 3, Buy, 1)),
        [
            accepted(4, 3),
            fill((1, 1), (4, 3), Buy, 100, 1, 0, 0),
            triggered(3, 2, 100),
            level(Buy, 102, 4, 1),
            level(Sell, 100, 0, 0),
        ]
    );
    let info = book.order(OrderId(3)).unwrap();
    assert_eq!(
        (info.status, info.remaining),
        (OrderStatus::Resting, Lots(4))
    );
}

#[test]
fn stops_fired_by_one_trade_enter_in_arrival_order_and_can_cascade() {
    let mut book = book_with(&[
        (1, 1, Sell, 100, 1),
        (2, 1, Sell, 101, 2),
        (3, 1, Sell, 102, 5),
    ]);
    submit(&mut book, NewOrder::stop(10, 2, Buy, 100, 1)); // later trigger, earlier arrival
    submit(&mut book, NewOrder::stop(11, 3, Buy, 99, 1));
    submit(&mut book, NewOrder::stop(12, 4, Buy, 101, 1)); // fired by the 101 trade of 10
    assert_eq!(
        submit(&mut book, NewOrder::market(20, 5, Buy, 1)),
        [
            accepted(20, 5),
            fill((1, 1), (20, 5), Buy, 100, 1, 0, 0),
            triggered(10, 2, 100),
            triggered(11, 3, 100),
            fill((2, 1), (10, 2), Buy, 101, 1, 1, 0),
            triggered(12, 4, 101),
            fill((2, 1), (11, 3), Buy, 101, 1, 0, 0),
            fill((3, 1), (12, 4), Buy, 102, 1, 4, 0),
            level(Sell, 100, 0, 0),
            level(Sell, 101, 0, 0),
            level(Sell, 102, 4, 1),
        ]
    );
}

#[test]
fn a_stop_already_through_the_last_trade_triggers_at_once() {
    let mut book = book_with(&[(1, 1, Sell, 100, 1), (2, 1, Sell, 101, 5)]);
    submit(&mut book, NewOrder::market(3, 2, Buy, 1));
    assert_eq!(
        submit(&mut book, NewOrder::stop(4, 3, Buy, 95, 2)),
        [
            accepted(4, 3),
            triggered(4, 3, 100),
            fill((2, 1), (4, 3), Buy, 101, 2, 3, 0),
            level(Sell, 101, 3, 1),
        ]
    );
}

#[test]
fn stops_wait_while_there_is_no_trade() {
    let mut book = OrderBook::new();
    assert_eq!(
        submit(&mut book, NewOrder::stop(1, 1, Buy, 0, 2)),
        [accepted(1, 1)]
    );
    assert_eq!(
        submit(&mut book, NewOrder::stop(2, 1, Sell, 1_000_000, 2)),
        [accepted(2, 1)]
    );
    assert_eq!(book.pending_stops(), 2);
}

#[test]
fn cancel_removes_a_resting_order_or_a_pending_stop() {
    let mut book = book_with(&[(1, 1, Buy, 100, 5), (2, 2, Buy, 100, 3)]);
    submit(&mut book, NewOrder::stop(3, 1, Sell, 90, 2));
    assert_eq!(
        run(&mut book, Command::Cancel(OrderId(1))),
        [canceled(1, 1, 5, CancelReason::User), level(Buy, 100, 3, 1),]
    );
    assert_eq!(
        run(&mut book, Command::Cancel(OrderId(3))),
        [canceled(3, 1, 2, CancelReason::User)]
    );
    assert_eq!((book.live_orders(), book.pending_stops()), (1, 0));
}

#[test]
fn cancel_of_an_unknown_or_finished_order_is_rejected() {
    let mut book = book_with(&[(1, 1, Buy, 100, 5)]);
    let unknown = Event::CancelRejected {
        id: OrderId(42),
        reason: RejectReason::UnknownOrder,
    };
    assert_eq!(run(&mut book, Command::Cancel(OrderId(42))), [unknown]);
    run(&mut book, Command::Cancel(OrderId(1)));
    let again = Event::CancelRejected {
        id: OrderId(1),
        reason: RejectReason::UnknownOrder,
    };
    assert_eq!(run(&mut book, Command::Cancel(OrderId(1))), [again]);
}

#[test]
fn a_live_id_cannot_be_used_again_but_a_finished_one_can() {
    let mut book = book_with(&[(1, 1, Buy, 100, 5)]);
    assert_eq!(
        submit(&mut book, NewOrder::limit(1, 2, Sell, 120, 5)),
        [rejected(1, 2, RejectReason::DuplicateOrderId)]
    );
    submit(&mut book, NewOrder::stop(2, 1, Buy, 130, 1));
    assert_eq!(
        submit(&mut book, NewOrder::limit(2, 1, Buy, 90, 1)),
        [rejected(2, 1, RejectReason::DuplicateOrderId)]
    );
    run(&mut book, Command::Cancel(OrderId(1)));
    assert_eq!(
        submit(&mut book, NewOrder::limit(1, 2, Sell, 120, 5)),
        [accepted(1, 2), level(Sell, 120, 5, 1)]
    );
}

#[test]
fn a_zero_quantity_is_rejected() {
    let mut book = OrderBook::new();
    assert_eq!(
        submit(&mut book, NewOrder::limit(1, 1, Buy, 100, 0)),
        [rejected(1, 1, RejectReason::ZeroQuantity)]
    );
    assert_eq!(
        submit(&mut book, NewOrder::market(2, 1, Buy, 0)),
        [rejected(2, 1, RejectReason::ZeroQuantity)]
    );
}

#[test]
fn the_live_quantity_of_a_book_cannot_overflow() {
    let mut book = book_with(&[(1, 1, Buy, 100, u64::MAX - 1)]);
    assert_eq!(
        submit(&mut book, NewOrder::limit(2, 1, Buy, 100, 2)),
        [rejected(2, 1, RejectReason::QuantityOverflow)]
    );
    assert_eq!(
        submit(&mut book, NewOrder::limit(3, 1, Sell, 101, 1)),
        [accepted(3, 1), level(Sell, 101, 1, 1)]
    );
}

#[test]
fn cancel_owner_and_cancel_all_cancel_in_id_order() {
    let mut book = book_with(&[
        (3, 1, Buy, 100, 1),
        (1, 1, Sell, 105, 2),
        (2, 2, Buy, 100, 3),
    ]);
    submit(&mut book, NewOrder::stop(4, 1, Buy, 110, 1));
    assert_eq!(
        run(&mut book, Command::CancelOwner(OwnerId(1))),
        [
            canceled(1, 1, 2, CancelReason::MassCancel),
            canceled(3, 1, 1, CancelReason::MassCancel),
            canceled(4, 1, 1, CancelReason::MassCancel),
            level(Buy, 100, 3, 1),
            level(Sell, 105, 0, 0),
        ]
    );
    submit(&mut book, NewOrder::limit(5, 3, Sell, 101, 1));
    assert_eq!(
        run(&mut book, Command::CancelAll),
        [
            canceled(2, 2, 3, CancelReason::Halt),
            canceled(5, 3, 1, CancelReason::Halt),
            level(Buy, 100, 0, 0),
            level(Sell, 101, 0, 0),
        ]
    );
    assert_eq!(book.live_orders(), 0);
}

#[test]
fn queries_show_depth_orders_and_the_last_trade() {
    let mut book = book_with(&[
        (1, 1, Buy, 99, 2),
        (2, 2, Buy, 99, 3),
        (3, 1, Buy, 97, 1),
        (4, 3, Sell, 101, 4),
    ]);
    let lvl = |price, quantity, orders| LevelInfo {
        price: Ticks(price),
        quantity: Lots(quantity),
        orders,
    };
    assert_eq!(
        book.snapshot(1),
        Depth {
            bids: vec![lvl(99, 5, 2)],
            asks: vec![lvl(101, 4, 1)]
        }
    );
    assert_eq!(
        book.depth(Buy, 5).collect::<Vec<_>>(),
        [lvl(99, 5, 2), lvl(97, 1, 1)]
    );
    assert_eq!(book.best(Sell), Some(lvl(101, 4, 1)));
    assert_eq!(book.level_count(Buy), 2);
    let ids: Vec<OrderId> = book.orders_at(Buy, Ticks(99)).map(|o| o.id).collect();
    assert_eq!(ids, [OrderId(1), OrderId(2)]);
    submit(&mut book, NewOrder::market(5, 4, Sell, 1));
    assert_eq!(
        book.order(OrderId(1)),
        Some(OrderInfo {
            id: OrderId(1),
            owner: OwnerId(1),
            side: Buy,
            kind: OrderKind::Limit { price: Ticks(99) },
            tif: TimeInForce::Gtc,
            post_only: false,
            quantity: Lots(2),
            remaining: Lots(1),
            status: OrderStatus::Resting,
            since: T,
        })
    );
    assert_eq!(book.last_trade_price(), Some(Ticks(99)));
    assert_eq!(book.live_orders(), 4);
}

#[test]
fn the_same_commands_give_the_same_events() {
    let mut generator = crate::streams::Generator::new(7);
    let commands: Vec<Command> = (0..2_000).map(|_| generator.command()).collect();
    let log = |commands: &[Command]| {
        let mut book = OrderBook::new();
        let mut out = Vec::new();
        for (n, &command) in commands.iter().enumerate() {
            book.apply(command, UnixMicros(n as i64), &mut out);
        }
        out
    };
    assert_eq!(log(&commands), log(&commands));
}

#[test]
fn negative_and_extreme_prices_keep_their_order() {
    let mut book = book_with(&[
        (1, 1, Buy, i64::MIN, 1),
        (2, 1, Buy, -5, 1),
        (3, 1, Sell, i64::MAX, 1),
        (4, 1, Sell, 0, 1),
    ]);
    assert_eq!(
        book.depth(Buy, 9).map(|l| l.price.0).collect::<Vec<_>>(),
        [-5, i64::MIN]
    );
    assert_eq!(
        book.depth(Sell, 9).map(|l| l.price.0).collect::<Vec<_>>(),
        [0, i64::MAX]
    );
    assert_eq!(
        submit(&mut book, NewOrder::market(5, 2, Sell, 2)),
        [
            accepted(5, 2),
            fill((2, 1), (5, 2), Sell, -5, 1, 0, 1),
            fill((1, 1), (5, 2), Sell, i64::MIN, 1, 0, 0),
            level(Buy, -5, 0, 0),
            level(Buy, i64::MIN, 0, 0),
        ]
    );
}
