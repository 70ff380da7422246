//! The engine against the naive reference book on seeded random command streams: every
//! command's events, and the whole book state along the way, must be identical.

use std::collections::BTreeMap;

use aetherion_book::{CancelReason, Event, OrderBook, Side, UnixMicros};

use crate::reference::RefBook;
use crate::streams::Generator;

fn compare_state(book: &OrderBook, reference: &RefBook, context: &str) {
    for side in [Side::Buy, Side::Sell] {
        let levels: Vec<_> = book
            .depth(side, usize::MAX)
            .map(|l| (l.price.0, l.quantity.0, l.orders))
            .collect();
        assert_eq!(levels, reference.depth(side), "{context}: {side} levels");
        for &(price, ..) in &levels {
            let engine: Vec<_> = book.orders_at(side, aetherion_book::Ticks(price)).collect();
            assert_eq!(
                engine,
                reference.orders_at(side, price),
                "{context}: {side} queue at {price}"
            );
        }
    }
    let live = reference.orders();
    assert_eq!(book.live_orders(), live.len(), "{context}: live orders");
    for order in live {
        assert_eq!(book.order(order.id), Some(order), "{context}: order lookup");
    }
    assert_eq!(
        book.last_trade_price(),
        reference.last_trade_price(),
        "{context}: last trade"
    );
}

/// A name for the kind of outcome an event is, to check that the streams cover them all.
fn outcome(event: &Event) -> String {
    match event {
        Event::Rejected { reason, .. } => format!("rejected: {reason:?}"),
        Event::Canceled {
            reason: CancelReason::SelfTrade,
            ..
        } => "self-trade cancel".into(),
        Event::Canceled { reason, .. } => format!("canceled: {reason:?}"),
        other => format!("{other:?}")
            .split([' ', '('])
            .next()
            .unwrap()
            .to_string(),
    }
}

fn run(seed: u64, commands: usize, seen: &mut BTreeMap<String, usize>) {
    let mut generator = Generator::new(seed);
    let mut book = OrderBook::new();
    let mut reference = RefBook::default();
    let (mut got, mut want) = (Vec::new(), Vec::new());
    for n in 0..commands {
        let command = generator.command();
        let ts = UnixMicros(1_000 + n as i64);
        got.clear();
        want.clear();
        book.apply(command, ts, &mut got);
        reference.apply(command, ts, &mut want);
        assert_eq!(got, want, "seed {seed}, command {n}: {command:?}");
        for event in &got {
            *seen.entry(outcome(event)).or_default() += 1;
        }
        if n % 64 == 0 {
            compare_state(&book, &reference, &format!("seed {seed}, command {n}"));
        }
    }
    compare_state(&book, &reference, &format!("seed {seed}, end"));
}

#[test]
fn engine_and_reference_agree_on_random_streams() {
    let mut seen = BTreeMap::new();
    for seed in [1, 2, 3, 42, 2024, 0xDEAD_BEEF] {
        run(seed, 5_000, &mut seen);
    }
    // The streams must reach every outcome, or the comparison proves little.
    println!("{seen:#?}");
    let expected = [
        "Accepted",
        "Fill",
        "Expired",
        "Triggered",
        "LevelChanged",
        "CancelRejected",
        "self-trade cancel",
        "canceled: User",
        "canceled: MassCancel",
        "canceled: Halt",
        "rejected: ZeroQuantity",
        "rejected: DuplicateOrderId",
        "rejected: PostOnlyNotAllowed",
        "rejected: QuantityOverflow",
        "rejected: PostOnlyWouldTake",
    ];
    for name in expected {
        assert!(
            seen.get(name).is_some_and(|&n| n >= 10),
            "too few {name:?}: {seen:?}"
        );
    }
}
