//! Scripted scenarios and the money invariant on random order flow.

use std::collections::BTreeMap;

use aetherion_book::{Command, Lots, NewOrder, OrderKind, Side, Ticks, TimeInForce};
use aetherion_model::{Amount, Grid, UnixMicros};
use proptest::prelude::*;

use crate::*;

fn a(s: &str) -> Amount {
    s.parse().unwrap()
}

const T: UnixMicros = UnixMicros(1_000_000);
const ALICE: AccountId = AccountId(FIRST_ACCOUNT);
const BOB: AccountId = AccountId(FIRST_ACCOUNT + 1);

/// BTC-USD with tick 0.01 and lot 0.001, fees 0.1% maker and 0.2% taker.
fn exchange() -> Exchange {
    let mut ex = Exchange::new(1);
    ex.add_market(
        MarketSpec {
            symbol: "BTC-USD".into(),
            base: "BTC".into(),
            quote: "USD".into(),
            grid: Grid::new(a("0.01"), a("0.001")).unwrap(),
            min_notional: a("1"),
            maker_fee_rate: a("0.001"),
            taker_fee_rate: a("0.002"),
        },
        1,
        false,
    );
    for acc in [ALICE, BOB] {
        ex.restore_balance(acc, "USD", Balance { free: a("100000"), reserved: Amount::ZERO });
        ex.restore_balance(acc, "BTC", Balance { free: a("10"), reserved: Amount::ZERO });
    }
    ex
}

fn req(account: AccountId, side: Side, order_type: OrderType, lots: u64) -> OrderRequest {
    OrderRequest {
        account,
        symbol: "BTC-USD".into(),
        side,
        order_type,
        quantity: Lots(lots),
        tif: TimeInForce::Gtc,
        post_only: false,
        tag: OrderTag { order_id: format!("o-{account:?}-{lots}"), ..OrderTag::default() },
    }
}

fn limit(price_cents: i64) -> OrderType {
    OrderType::Limit { price: Ticks(price_cents) }
}

#[test]
fn a_limit_buy_holds_funds_and_a_market_sell_fills_it_with_exact_fees() {
    let mut ex = exchange();
    // Alice bids 1.000 BTC at 50,000.00: holds 50,000 + 0.2% (the larger fee rate) = 50,100.
    let bid = ex.place(req(ALICE, Side::Buy, limit(5_000_000), 1_000), T).unwrap();
    assert_eq!(ex.balance(ALICE, "USD"), Balance { free: a("49900"), reserved: a("50100") });
    assert_eq!(ex.order(bid).unwrap().status, OrderStatus::New);

    // Bob sells 0.4 BTC at market: a taker.
    let sell = ex.place(req(BOB, Side::Sell, OrderType::Market, 400), T).unwrap();
    let batch = ex.drain();
    assert_eq!(batch.fills.len(), 2);
    assert_eq!(batch.trades.len(), 1);
    assert_eq!(batch.trades[0].price, a("50000"));

    // Bob: -0.4 BTC, +20,000 - 0.2% fee (40) USD.
    assert_eq!(ex.balance(BOB, "BTC"), Balance { free: a("9.6"), reserved: a("0") });
    assert_eq!(ex.balance(BOB, "USD"), Balance { free: a("119960"), reserved: a("0") });
    // Alice: +0.4 BTC, paid 20,000 + 0.1% maker fee (20); still holds for 0.6 BTC at 50,000 + 0.2%.
    assert_eq!(ex.balance(ALICE, "BTC").free, a("10.4"));
    // Paid 20,020 of the 50,100 held; the remainder needs 30,060, so 20 more is free again.
    assert_eq!(ex.balance(ALICE, "USD"), Balance { free: a("49920"), reserved: a("30060") });
    let order = batch.orders.iter().find(|o| o.seq == bid).unwrap();
    assert_eq!((order.status, order.filled, order.fees), (OrderStatus::PartiallyFilled, Lots(400), a("20")));
    let sold = batch.orders.iter().find(|o| o.seq == sell).unwrap();
    assert_eq!((sold.status, sold.fees), (OrderStatus::Filled, a("40")));
    assert_eq!(ex.fees_paid(ALICE), a("20"));
    assert_eq!(ex.position(ALICE, "BTC-USD"), Position { quantity: a("0.4"), cost: a("20000"), realized_pnl: a("0") });

    // Canceling gives the rest back.
    ex.cancel(ALICE, bid, T).unwrap();
    assert_eq!(ex.balance(ALICE, "USD"), Balance { free: a("79980"), reserved: a("0") });
    assert_eq!(ex.cancel(ALICE, bid, T), Err(CancelError::AlreadyFinal(OrderStatus::Canceled)));
    ex.drain();
    assert_eq!(ex.cancel(ALICE, bid, T), Err(CancelError::NotFound), "finished orders leave at the drain");
}

#[test]
fn refusals_change_nothing() {
    let mut ex = exchange();
    let before = ex.balances(ALICE);
    let err = ex.place(req(ALICE, Side::Buy, limit(5_000_000), 3_000), T).unwrap_err();
    assert!(matches!(err, PlaceError::InsufficientBalance { ref asset, .. } if asset == "USD"), "{err}");
    let err = ex.place(req(ALICE, Side::Sell, limit(5_000_000), 11_000), T).unwrap_err();
    assert!(matches!(err, PlaceError::InsufficientBalance { ref asset, .. } if asset == "BTC"));
    let err = ex.place(req(ALICE, Side::Buy, limit(100), 1), T).unwrap_err();
    assert!(matches!(err, PlaceError::BelowMinNotional { .. }), "0.001 at 1.00 is below 1 USD");
    let err = ex.place(OrderRequest { symbol: "ETH-USD".into(), ..req(ALICE, Side::Buy, limit(100), 1) }, T).unwrap_err();
    assert_eq!(err, PlaceError::UnknownSymbol("ETH-USD".into()));
    assert_eq!(ex.balances(ALICE), before);
    assert!(ex.drain().is_empty());
}

#[test]
fn post_only_that_would_take_is_refused_and_resting_post_only_is_fine() {
    let mut ex = exchange();
    ex.place(req(BOB, Side::Sell, limit(5_000_000), 1_000), T).unwrap();
    let take = OrderRequest { post_only: true, ..req(ALICE, Side::Buy, limit(5_000_000), 100) };
    assert!(matches!(ex.place(take, T), Err(PlaceError::PostOnlyWouldTake { .. })));
    let rest = OrderRequest { post_only: true, ..req(ALICE, Side::Buy, limit(4_999_999), 100) };
    let seq = ex.place(rest, T).unwrap();
    assert_eq!(ex.order(seq).unwrap().status, OrderStatus::New);
}

#[test]
fn market_buys_hold_exactly_the_sweep_and_expire_what_cannot_fill() {
    let mut ex = exchange();
    ex.place(req(BOB, Side::Sell, limit(5_000_000), 500), T).unwrap();
    ex.place(req(BOB, Side::Sell, limit(5_010_000), 500), T).unwrap();
    // 1.5 BTC at market: only 1.0 is offered, for 25,000 + 25,050.
    let seq = ex.place(req(ALICE, Side::Buy, OrderType::Market, 1_500), T).unwrap();
    let order = ex.order(seq).unwrap().clone();
    assert_eq!((order.status, order.filled), (OrderStatus::Expired, Lots(1_000)));
    assert_eq!(order.filled_notional, a("50050"));
    assert_eq!(order.fees, a("100.1"));
    assert_eq!(ex.balance(ALICE, "USD"), Balance { free: a("49849.9"), reserved: a("0") });
    assert_eq!(ex.balance(ALICE, "BTC").free, a("11"));
}

#[test]
fn fok_that_cannot_fill_expires_whole_and_releases_everything() {
    let mut ex = exchange();
    ex.place(req(BOB, Side::Sell, limit(5_000_000), 500), T).unwrap();
    let fok = OrderRequest { tif: TimeInForce::Fok, ..req(ALICE, Side::Buy, limit(5_000_000), 600) };
    let seq = ex.place(fok, T).unwrap();
    assert_eq!((ex.order(seq).unwrap().status, ex.order(seq).unwrap().filled), (OrderStatus::Expired, Lots(0)));
    assert_eq!(ex.balance(ALICE, "USD"), Balance { free: a("100000"), reserved: a("0") });
    let ioc = OrderRequest { tif: TimeInForce::Ioc, ..req(ALICE, Side::Buy, limit(5_000_000), 600) };
    let seq = ex.place(ioc, T).unwrap();
    assert_eq!((ex.order(seq).unwrap().status, ex.order(seq).unwrap().filled), (OrderStatus::Expired, Lots(500)));
}

#[test]
fn stops_trigger_on_the_last_trade_and_buy_stops_are_price_protected() {
    let mut ex = exchange();
    // Alice: buy 0.1 BTC if the price reaches 50,100: holds 0.1 * 52,605 (+5%) + 0.2%.
    let stop = ex.place(req(ALICE, Side::Buy, OrderType::Stop { trigger: Ticks(5_010_000) }, 100), T).unwrap();
    assert_eq!(ex.balance(ALICE, "USD").reserved, a("5271.021"));
    // Liquidity: Bob offers at 50,100 and 60,000 (beyond the protection).
    ex.place(req(BOB, Side::Sell, limit(5_010_000), 50), T).unwrap();
    ex.place(req(BOB, Side::Sell, limit(6_000_000), 500), T).unwrap();
    assert_eq!(ex.order(stop).unwrap().status, OrderStatus::New);
    // Carol's trade at 50,100 triggers it; it takes the rest at 50,100 and stops short of 60,000.
    let carol = AccountId(FIRST_ACCOUNT + 2);
    ex.restore_balance(carol, "USD", Balance { free: a("100000"), reserved: Amount::ZERO });
    ex.place(req(carol, Side::Buy, limit(5_010_000), 10), T).unwrap();
    let order = ex.order(stop).unwrap();
    assert_eq!((order.status, order.filled), (OrderStatus::Expired, Lots(40)), "{order:?}");
    assert_eq!(ex.balance(ALICE, "USD").reserved, a("0"));
}

#[test]
fn self_trades_cancel_the_resting_order_and_halts_release_everything() {
    let mut ex = exchange();
    let resting = ex.place(req(ALICE, Side::Sell, limit(5_000_000), 100), T).unwrap();
    ex.place(req(ALICE, Side::Buy, limit(5_000_000), 100), T).unwrap();
    let order = ex.order(resting).unwrap();
    assert_eq!(order.status, OrderStatus::Canceled);
    assert!(order.reject_reason.as_deref().unwrap().contains("self-trade"));
    assert_eq!(ex.balance(ALICE, "BTC"), Balance { free: a("10"), reserved: a("0") });

    assert_eq!(ex.halt("BTC-USD", T), 1, "the buy rests");
    assert_eq!(ex.balance(ALICE, "USD"), Balance { free: a("100000"), reserved: a("0") });
    assert!(matches!(ex.place(req(ALICE, Side::Buy, limit(5_000_000), 100), T), Err(PlaceError::Halted(_))));
}

#[test]
fn restored_orders_keep_their_time_priority() {
    let mut ex = exchange();
    let first = ex.place(req(ALICE, Side::Buy, limit(5_000_000), 100), T).unwrap();
    let second = ex.place(req(BOB, Side::Buy, limit(5_000_000), 100), T).unwrap();
    ex.drain();
    let orders = [ex.order(first).unwrap().clone(), ex.order(second).unwrap().clone()];
    let balances = [ex.balances(ALICE), ex.balances(BOB)];

    let mut restored = exchange();
    for (acc, list) in [ALICE, BOB].into_iter().zip(balances) {
        for (asset, b) in list {
            restored.restore_balance(acc, &asset, b);
        }
    }
    for order in orders {
        restored.restore_order(order, T);
    }
    restored.place(req(BOB, Side::Sell, OrderType::Market, 100), T).unwrap();
    assert_eq!(restored.order(first).unwrap().status, OrderStatus::Filled, "the earlier order fills first");
    assert_eq!(restored.order(second).unwrap().status, OrderStatus::New);
    let next = restored.place(req(ALICE, Side::Buy, limit(100_000), 100), T).unwrap();
    assert!(next > second, "sequence numbers continue");
}

/// Random flow from several accounts against each other and a simulated counterparty.
#[derive(Clone, Debug)]
enum Step {
    Place { account: u64, side: bool, kind: u8, price: i64, lots: u64, tif: u8, post_only: bool },
    Cancel { nth: usize },
    Market { side: bool, price: i64, lots: u64, take: bool },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..4u64, any::<bool>(), 0..4u8, 4_900_000..5_100_000i64, 1..3_000u64, 0..3u8, any::<bool>())
            .prop_map(|(account, side, kind, price, lots, tif, post_only)| Step::Place { account, side, kind, price, lots, tif, post_only }),
        2 => (0..50usize).prop_map(|nth| Step::Cancel { nth }),
        3 => (any::<bool>(), 4_900_000..5_100_000i64, 1..3_000u64, any::<bool>()).prop_map(|(side, price, lots, take)| Step::Market { side, price, lots, take }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_money_is_conserved_to_the_last_unit(steps in prop::collection::vec(step(), 1..200)) {
        let mut ex = exchange();
        let accounts: Vec<AccountId> = (0..4).map(|i| AccountId(FIRST_ACCOUNT + i)).collect();
        for &acc in &accounts {
            ex.restore_balance(acc, "USD", Balance { free: a("100000"), reserved: Amount::ZERO });
            ex.restore_balance(acc, "BTC", Balance { free: a("10"), reserved: Amount::ZERO });
        }
        // Expected totals from the fills alone: deposits + received - paid - fees.
        let mut expected: BTreeMap<(AccountId, &str), Amount> = BTreeMap::new();
        for &acc in &accounts {
            expected.insert((acc, "USD"), a("100000"));
            expected.insert((acc, "BTC"), a("10"));
        }
        let mut live: Vec<(AccountId, u64)> = Vec::new();
        let mut sim_id = 1u64 << 63;
        for (i, s) in steps.into_iter().enumerate() {
            let now = UnixMicros(i as i64);
            match s {
                Step::Place { account, side, kind, price, lots, tif, post_only } => {
                    let side = if side { Side::Buy } else { Side::Sell };
                    let order_type = match kind {
                        0 => OrderType::Market,
                        1 => OrderType::Limit { price: Ticks(price) },
                        2 => OrderType::Stop { trigger: Ticks(price) },
                        _ => OrderType::StopLimit { trigger: Ticks(price), price: Ticks(price) },
                    };
                    let tif = [TimeInForce::Gtc, TimeInForce::Ioc, TimeInForce::Fok][tif as usize];
                    let request = OrderRequest { tif, post_only: post_only && kind == 1 && tif == TimeInForce::Gtc, ..req(accounts[account as usize], side, order_type, lots) };
                    if let Ok(seq) = ex.place(request, now) {
                        live.push((accounts[account as usize], seq));
                    }
                }
                Step::Cancel { nth } => {
                    if !live.is_empty() {
                        let (acc, seq) = live[nth % live.len()];
                        let _ = ex.cancel(acc, seq, now);
                    }
                }
                Step::Market { side, price, lots, take } => {
                    sim_id += 1;
                    let side = if side { Side::Buy } else { Side::Sell };
                    let kind = if take { OrderKind::Market } else { OrderKind::Limit { price: Ticks(price) } };
                    let order = NewOrder::new(sim_id, 1, side, kind, lots);
                    ex.apply_market_commands("BTC-USD", &[Command::Submit(order)], now);
                }
            }
            let batch = ex.drain();
            for fill in &batch.fills {
                let (received, paid) = match fill.side {
                    Side::Buy => (("BTC", fill.quantity), ("USD", notional(fill))),
                    Side::Sell => (("USD", notional(fill)), ("BTC", fill.quantity)),
                };
                let e = expected.get_mut(&(fill.account, received.0)).unwrap();
                *e = e.checked_add(received.1).unwrap();
                let e = expected.get_mut(&(fill.account, paid.0)).unwrap();
                *e = e.checked_sub(paid.1).unwrap();
                let e = expected.get_mut(&(fill.account, "USD")).unwrap();
                *e = e.checked_sub(fill.fee).unwrap();
            }
            // Held funds equal what the open orders hold.
            let mut held: BTreeMap<(AccountId, &str), Amount> = BTreeMap::new();
            for &(acc, seq) in &live {
                if let Some(order) = ex.order(seq).filter(|o| !o.status.is_final()) {
                    let asset = if order.side == Side::Buy { "USD" } else { "BTC" };
                    let h = held.entry((acc, asset)).or_default();
                    *h = h.checked_add(order.reserved).unwrap();
                }
            }
            for (&(acc, asset), total) in &expected {
                let b = ex.balance(acc, asset);
                prop_assert!(!b.free.is_negative() && !b.reserved.is_negative());
                prop_assert_eq!(b.total(), *total, "{:?} {}", acc, asset);
                prop_assert_eq!(b.reserved, held.get(&(acc, asset)).copied().unwrap_or_default(), "held {:?} {}", acc, asset);
            }
        }
    }
}

fn notional(fill: &UserFill) -> Amount {
    let raw = i128::from(fill.price.raw()) * i128::from(fill.quantity.raw()) / i128::from(Amount::SCALE);
    Amount::from_raw(raw as i64)
}

#[test]
fn market_buy_capacity_is_the_most_a_budget_buys_including_the_taker_fee() {
    let mut ex = exchange();
    // Asks: 20 lots at 100.00 (Bob), 30 lots at 101.00 (Bob), 10 lots at 100.50 (Alice's own).
    ex.place(req(BOB, Side::Sell, limit(10_000), 20), T).unwrap();
    ex.place(req(BOB, Side::Sell, limit(10_100), 30), T).unwrap();
    ex.place(req(ALICE, Side::Sell, limit(10_050), 10), T).unwrap();
    // One lot at 100.00 costs 0.1 + 0.0002 fee.
    assert_eq!(ex.market_buy_capacity(ALICE, "BTC-USD", a("0.1002")), Lots(1));
    assert_eq!(ex.market_buy_capacity(ALICE, "BTC-USD", a("0.10019999")), Lots(0));
    // 20 lots at 100.00 (2.00) and then 10 at 101.00 (1.01); Alice's own ask is skipped.
    let budget = a("3.01").checked_add(fee(a("3.01"))).unwrap();
    assert_eq!(ex.market_buy_capacity(ALICE, "BTC-USD", budget), Lots(30));
    assert_eq!(ex.market_buy_capacity(ALICE, "BTC-USD", a("1000")), Lots(50), "no more than the book has");
    assert_eq!(ex.market_buy_capacity(BOB, "BTC-USD", a("1000")), Lots(10), "Bob's own asks are skipped, Alice's is not");
    assert_eq!(ex.market_buy_capacity(ALICE, "ETH-USD", a("1000")), Lots(0));

    // What the capacity says is affordable is accepted with exactly that budget free, and
    // spends all of it (self-trade prevention cancels Alice's own ask on the way).
    ex.restore_balance(ALICE, "USD", Balance { free: budget, reserved: Amount::ZERO });
    ex.place(req(ALICE, Side::Buy, OrderType::Market, 30), T).unwrap();
    assert_eq!(ex.balance(ALICE, "USD").total(), Amount::ZERO);
}

fn fee(notional: Amount) -> Amount {
    Amount::from_raw((i128::from(notional.raw()) * 2 / 1000) as i64)
}
