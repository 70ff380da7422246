//! Storage tests, each run against SQLite (a fresh file) and PostgreSQL (a fresh database).

use aetherion_model::{Amount, Role, UnixMicros};

use crate::testing::TestDatabase;
use crate::*;

/// Runs `$body` with a `Store` on each backend.
macro_rules! on_both_backends {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let $store = Store::connect(&Store::sqlite_url(dir.path())).await.unwrap();
                assert_eq!($store.backend(), Backend::Sqlite);
                $body
            }

            #[tokio::test]
            async fn postgres() {
                let db = TestDatabase::create_postgres().await.unwrap();
                {
                    let $store = Store::connect(&db.url).await.unwrap();
                    assert_eq!($store.backend(), Backend::Postgres);
                    $body
                    $store.close().await;
                }
                db.drop_database().await.unwrap();
            }
        }
    };
}

fn new_user(n: u32) -> (NewUser, NewAccount) {
    (
        NewUser {
            user_id: format!("u{n}"),
            email: format!("user{n}@example.com"),
            display_name: format!("User {n}"),
            password_hash: "$argon2id$stub".into(),
            created_at: UnixMicros(1_700_000_000_000_000 + i64::from(n)),
        },
        NewAccount {
            quote_asset: "USD".into(),
            starting_cash: Amount::from_units(100_000).unwrap(),
            deposit_id: format!("d{n}"),
        },
    )
}

fn token(hash: &str, family: &str, user: &str, expires_at: i64) -> NewRefreshToken {
    NewRefreshToken {
        token_hash: hash.into(),
        family_id: family.into(),
        user_id: user.into(),
        issued_at: UnixMicros(0),
        expires_at: UnixMicros(expires_at),
    }
}

on_both_backends!(first_user_is_admin_and_later_ones_are_users, |store| {
    let (u1, a1) = new_user(1);
    let (u2, a2) = new_user(2);
    let first = store.register_user(&u1, &a1).await.unwrap();
    let second = store.register_user(&u2, &a2).await.unwrap();
    assert_eq!(first.role, Role::Admin);
    assert_eq!(second.role, Role::User);
    assert_eq!(store.count_users().await.unwrap(), 2);
    assert_eq!(store.user_by_email("user2@example.com").await.unwrap(), Some(second.clone()));
    assert_eq!(store.user_by_id("u1").await.unwrap(), Some(first));
    assert_eq!(store.user_by_id("nobody").await.unwrap(), None);
});

on_both_backends!(duplicate_email_is_rejected_and_changes_nothing, |store| {
    let (u1, a1) = new_user(1);
    store.register_user(&u1, &a1).await.unwrap();
    let (mut dup, mut dup_account) = new_user(2);
    dup.email = u1.email.clone();
    dup_account.deposit_id = "d-dup".into();
    let err = store.register_user(&dup, &dup_account).await.unwrap_err();
    assert!(matches!(err, StoreError::DuplicateEmail), "{err:?}");
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert!(store.balances("u2").await.unwrap().is_empty());
});

on_both_backends!(new_account_holds_exactly_the_starting_cash, |store| {
    let (u1, mut a1) = new_user(1);
    a1.starting_cash = "100000.12345678".parse().unwrap();
    store.register_user(&u1, &a1).await.unwrap();
    let balances = store.balances("u1").await.unwrap();
    assert_eq!(
        balances,
        vec![Balance { asset: "USD".into(), free: a1.starting_cash, reserved: Amount::ZERO }]
    );
    assert_eq!(store.total_deposits("u1", "USD").await.unwrap(), a1.starting_cash);
    assert_eq!(store.account_quote_asset("u1").await.unwrap().as_deref(), Some("USD"));
});

on_both_backends!(refresh_tokens_rotate_once_and_reuse_revokes_the_family, |store| {
    let (u1, a1) = new_user(1);
    store.register_user(&u1, &a1).await.unwrap();
    store.insert_refresh_token(&token("h1", "f1", "u1", 1_000)).await.unwrap();

    let outcome = store
        .rotate_refresh_token("h1", |fam, user| token("h2", fam, user, 1_000), UnixMicros(10))
        .await
        .unwrap();
    assert_eq!(outcome, RotateOutcome::Rotated { user_id: "u1".into() });

    // h1 again: reuse. The family, including the fresh h2, is revoked.
    let outcome = store
        .rotate_refresh_token("h1", |fam, user| token("h3", fam, user, 1_000), UnixMicros(20))
        .await
        .unwrap();
    assert_eq!(outcome, RotateOutcome::Reused);
    let outcome = store
        .rotate_refresh_token("h2", |fam, user| token("h4", fam, user, 1_000), UnixMicros(30))
        .await
        .unwrap();
    assert_eq!(outcome, RotateOutcome::Expired);

    let outcome = store
        .rotate_refresh_token("nope", |fam, user| token("h5", fam, user, 1_000), UnixMicros(30))
        .await
        .unwrap();
    assert_eq!(outcome, RotateOutcome::Unknown);
});

on_both_backends!(expired_refresh_tokens_are_refused, |store| {
    let (u1, a1) = new_user(1);
    store.register_user(&u1, &a1).await.unwrap();
    store.insert_refresh_token(&token("h1", "f1", "u1", 100)).await.unwrap();
    let outcome = store
        .rotate_refresh_token("h1", |fam, user| token("h2", fam, user, 1_000), UnixMicros(100))
        .await
        .unwrap();
    assert_eq!(outcome, RotateOutcome::Expired);
});

on_both_backends!(revoking_a_family_ends_every_token_in_it, |store| {
    let (u1, a1) = new_user(1);
    store.register_user(&u1, &a1).await.unwrap();
    store.insert_refresh_token(&token("h1", "f1", "u1", 1_000)).await.unwrap();
    store.insert_refresh_token(&token("other", "f2", "u1", 1_000)).await.unwrap();
    assert!(store.revoke_refresh_family("h1", UnixMicros(5)).await.unwrap());
    assert!(!store.revoke_refresh_family("unknown", UnixMicros(5)).await.unwrap());
    let outcome = store
        .rotate_refresh_token("h1", |fam, user| token("h2", fam, user, 1_000), UnixMicros(6))
        .await
        .unwrap();
    assert_eq!(outcome, RotateOutcome::Expired);
    // Another family of the same user is untouched.
    let outcome = store
        .rotate_refresh_token("other", |fam, user| token("h3", fam, user, 1_000), UnixMicros(6))
        .await
        .unwrap();
    assert_eq!(outcome, RotateOutcome::Rotated { user_id: "u1".into() });
});

#[tokio::test]
async fn sqlite_data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url(dir.path());
    let store = Store::connect(&url).await.unwrap();
    let (u1, a1) = new_user(1);
    store.register_user(&u1, &a1).await.unwrap();
    store.close().await;
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.user_by_id("u1").await.unwrap().map(|u| u.email), Some(u1.email));
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&store.pool).await.unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&store.pool).await.unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let err = Store::connect("mysql://localhost/x").await.unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl));
}

fn btc(now: i64) -> SymbolRecord {
    let a = |s: &str| s.parse::<Amount>().unwrap();
    SymbolRecord {
        symbol: "BTC-USD".into(),
        base_asset: "BTC".into(),
        quote_asset: "USD".into(),
        tick_size: a("0.01"),
        lot_size: a("0.00001"),
        min_notional: a("10"),
        maker_fee_rate: a("0.001"),
        taker_fee_rate: a("0.002"),
        initial_price: a("60000"),
        status: SymbolStatus::Trading,
        created_at: UnixMicros(now),
    }
}

on_both_backends!(symbols_are_stored_listed_and_halted, |store| {
    store.insert_symbol(&btc(5)).await.unwrap();
    let err = store.insert_symbol(&btc(6)).await.unwrap_err();
    assert!(matches!(err, StoreError::DuplicateSymbol), "{err:?}");
    assert_eq!(store.symbols().await.unwrap(), vec![btc(5)]);
    assert!(store.set_symbol_status("BTC-USD", SymbolStatus::Halted, UnixMicros(7)).await.unwrap());
    assert!(!store.set_symbol_status("XYZ-USD", SymbolStatus::Halted, UnixMicros(7)).await.unwrap());
    assert_eq!(store.symbols().await.unwrap()[0].status, SymbolStatus::Halted);
});

on_both_backends!(candles_are_upserted_and_read_by_range, |store| {
    use aetherion_market::candles::Candle;
    store.insert_symbol(&btc(5)).await.unwrap();
    let minute = 60_000_000;
    let candle = |i: i64, close: i64| Candle {
        open_time: UnixMicros(i * minute),
        open: Amount::from_units(100).unwrap(),
        high: Amount::from_units(close.max(100)).unwrap(),
        low: Amount::from_units(close.min(100)).unwrap(),
        close: Amount::from_units(close).unwrap(),
        volume: "1.5".parse().unwrap(),
        trade_count: 3,
    };
    let many: Vec<Candle> = (0..1200).map(|i| candle(i, 100 + i % 7)).collect();
    store.upsert_candles("BTC-USD", &many).await.unwrap();
    store.upsert_candles("BTC-USD", &[candle(5, 999)]).await.unwrap();

    let first = store.candles("BTC-USD", UnixMicros(0), UnixMicros(10 * minute), 100, false).await.unwrap();
    assert_eq!(first.len(), 10);
    assert_eq!(first[5], candle(5, 999), "replaced, not duplicated");
    let newest = store.candles("BTC-USD", UnixMicros(0), UnixMicros(i64::MAX), 3, true).await.unwrap();
    let times: Vec<i64> = newest.iter().map(|c| c.open_time.0 / minute).collect();
    assert_eq!(times, vec![1197, 1198, 1199]);
    assert_eq!(store.last_candle("BTC-USD").await.unwrap(), Some(many[1199]));
    assert_eq!(store.last_candle("ETH-USD").await.unwrap(), None);
});

fn order_record(n: i64, user: &str, status: &str) -> OrderRecord {
    OrderRecord {
        order_id: format!("o{n:03}"),
        seq: n as u64,
        user_id: user.into(),
        client_order_id: (n % 2 == 0).then(|| format!("c{n}")),
        bot_id: None,
        symbol: "BTC-USD".into(),
        side: aetherion_model::Side::Buy,
        order_type: "limit".into(),
        price: Some(Amount::from_units(100).unwrap()),
        stop_price: None,
        quantity: Amount::from_units(1).unwrap(),
        time_in_force: "gtc".into(),
        post_only: false,
        status: status.into(),
        triggered: false,
        filled_quantity: Amount::ZERO,
        filled_notional: Amount::ZERO,
        fees: Amount::ZERO,
        reserved: Amount::from_units(100).unwrap(),
        reject_reason: None,
        created_at: UnixMicros(1_000 + n),
        updated_at: UnixMicros(1_000 + n),
    }
}

on_both_backends!(orders_fills_and_balances_commit_together_and_page, |store| {
    let (u1, a1) = new_user(1);
    store.register_user(&u1, &a1).await.unwrap();
    store.insert_symbol(&btc(5)).await.unwrap();
    let mut batch = CommitBatch::default();
    for n in 1..=25 {
        batch.orders.push(order_record(n, "u1", if n % 3 == 0 { "filled" } else { "new" }));
    }
    batch.fills.push(FillRecord {
        trade_id: "BTC-USD:7".into(),
        order_id: "o003".into(),
        user_id: "u1".into(),
        symbol: "BTC-USD".into(),
        side: aetherion_model::Side::Buy,
        price: Amount::from_units(100).unwrap(),
        quantity: Amount::from_units(1).unwrap(),
        fee: "0.1".parse().unwrap(),
        liquidity: "taker".into(),
        at: UnixMicros(2_000),
    });
    batch.balances.push(("u1".into(), "USD".into(), Amount::from_units(99_000).unwrap(), Amount::from_units(900).unwrap()));
    batch.balances.push(("u1".into(), "BTC".into(), Amount::from_units(1).unwrap(), Amount::ZERO));
    batch.fees.push(("u1".into(), "0.1".parse().unwrap()));
    store.commit(&batch).await.unwrap();

    // An update of an order replaces it; within one batch the last entry for a key wins.
    let mut update = CommitBatch::default();
    let mut o1 = order_record(1, "u1", "canceled");
    o1.reserved = Amount::ZERO;
    update.orders.push(order_record(1, "u1", "partially_filled"));
    update.orders.push(o1.clone());
    update.balances.push(("u1".into(), "BTC".into(), Amount::from_units(5).unwrap(), Amount::ZERO));
    update.balances.push(("u1".into(), "BTC".into(), Amount::from_units(1).unwrap(), Amount::ZERO));
    store.commit(&update).await.unwrap();
    assert_eq!(store.order("u1", "o001").await.unwrap(), Some(o1));
    assert_eq!(store.order("u2", "o001").await.unwrap(), None, "another user's order is not found");
    assert_eq!(store.order_by_client_id("u1", "c2").await.unwrap().unwrap().order_id, "o002");

    let open = store.open_orders().await.unwrap();
    assert_eq!(open.len(), 25 - 8 - 1, "25 orders, 8 filled, 1 canceled");
    assert!(open.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(store.max_order_seq().await.unwrap(), 25);

    // Pages of 10, newest first, with no gap and no repeat.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.list_orders("u1", &OrderFilter::default(), cursor.clone(), 10).await.unwrap();
        seen.extend(page.iter().map(|o| o.seq));
        if page.len() < 10 {
            break;
        }
        let last = page.last().unwrap();
        cursor = Some((last.created_at, last.order_id.clone()));
    }
    assert_eq!(seen, (1..=25).rev().collect::<Vec<u64>>());
    let open_only = OrderFilter { open_only: true, ..OrderFilter::default() };
    assert_eq!(store.list_orders("u1", &open_only, None, 100).await.unwrap().len(), 16);
    let window = OrderFilter { start: Some(UnixMicros(1_005)), end: Some(UnixMicros(1_010)), ..OrderFilter::default() };
    assert_eq!(store.list_orders("u1", &window, None, 100).await.unwrap().len(), 5);

    let fills = store.list_fills("u1", Some("BTC-USD"), None, None, None, 10).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(store.list_fills("u1", Some("ETH-USD"), None, None, None, 10).await.unwrap().len(), 0);
    let balances = store.balances("u1").await.unwrap();
    assert_eq!(balances.iter().map(|b| b.asset.as_str()).collect::<Vec<_>>(), ["BTC", "USD"]);
    assert_eq!(store.fees_paid("u1").await.unwrap(), "0.1".parse().unwrap());
    assert_eq!(store.account_no("u1").await.unwrap(), Some(1000));
});

on_both_backends!(datasets_keep_their_bytes_and_belong_to_their_user, |store| {
    let (u1, a1) = new_user(1);
    store.register_user(&u1, &a1).await.unwrap();
    let info = DatasetInfo {
        dataset_id: "ds1".into(),
        user_id: "u1".into(),
        name: "btc minutes".into(),
        rows: 2,
        start: UnixMicros(60),
        end: UnixMicros(120),
        created_at: UnixMicros(5),
    };
    let bytes: Vec<u8> = (0..=255u8).cycle().take(96).collect();
    store.insert_dataset(&info, &bytes).await.unwrap();
    assert_eq!(store.datasets("u1").await.unwrap(), vec![info.clone()]);
    assert_eq!(store.dataset_bars("u1", "ds1").await.unwrap(), Some(bytes));
    assert_eq!(store.dataset("u2", "ds1").await.unwrap(), None);
    assert!(!store.delete_dataset("u2", "ds1").await.unwrap());
    assert!(store.delete_dataset("u1", "ds1").await.unwrap());
    assert!(store.datasets("u1").await.unwrap().is_empty());
});

fn bot(user: &str, id: &str, name: &str, at: i64) -> BotRecord {
    BotRecord {
        user_id: user.into(),
        name: name.into(),
        kind: "bot".into(),
        strategy: "sma_crossover".into(),
        symbol: "BTC-USD".into(),
        parameters: r#"{"fast":10.0}"#.into(),
        capital: Amount::from_units(10_000).unwrap(),
        risk: "{}".into(),
        run: BotRun {
            bot_id: id.into(),
            state: "created".into(),
            message: String::new(),
            started_at: None,
            cash: Amount::from_units(10_000).unwrap(),
            position: Amount::ZERO,
            cost: Amount::ZERO,
            realized_pnl: Amount::ZERO,
            fees: Amount::ZERO,
            trade_count: 0,
            peak_equity: Amount::from_units(10_000).unwrap(),
            last_signal: String::new(),
            orders_sent: 0,
            status_at: UnixMicros(at),
        },
        created_at: UnixMicros(at),
        updated_at: UnixMicros(at),
    }
}

on_both_backends!(bots_keep_settings_and_run_books_and_belong_to_their_user, |store| {
    for n in 1..=2 {
        let (u, a) = new_user(n);
        store.register_user(&u, &a).await.unwrap();
    }
    let b1 = bot("u1", "b1", "trend", 10);
    store.insert_bot(&b1).await.unwrap();
    store.insert_bot(&bot("u1", "b2", "other", 20)).await.unwrap();
    store.insert_bot(&bot("u2", "b3", "trend", 30)).await.unwrap();
    assert!(matches!(store.insert_bot(&bot("u1", "b4", "trend", 40)).await, Err(StoreError::DuplicateBotName)));
    assert_eq!(store.bot("u1", "b1").await.unwrap(), Some(b1.clone()));
    assert_eq!(store.bot("u2", "b1").await.unwrap(), None, "another user's bot");
    let listed: Vec<String> = store.bots("u1").await.unwrap().into_iter().map(|b| b.run.bot_id).collect();
    assert_eq!(listed, ["b2", "b1"], "newest first");

    // A run's books arrive with a commit; the state change moves updated_at.
    let mut run = b1.run.clone();
    run.state = "running".into();
    run.started_at = Some(UnixMicros(50));
    run.cash = Amount::from_raw(-1);
    run.trade_count = 3;
    run.status_at = UnixMicros(60);
    store.commit(&CommitBatch { bots: vec![run.clone()], ..CommitBatch::default() }).await.unwrap();
    let stored = store.bot("u1", "b1").await.unwrap().unwrap();
    assert_eq!(stored.run, run);
    assert_eq!(stored.updated_at, UnixMicros(60));
    assert_eq!(store.running_bots().await.unwrap().len(), 1);
    run.trade_count = 4;
    run.status_at = UnixMicros(70);
    store.commit(&CommitBatch { bots: vec![run.clone()], ..CommitBatch::default() }).await.unwrap();
    assert_eq!(store.bot("u1", "b1").await.unwrap().unwrap().updated_at, UnixMicros(60), "same state");

    // Running bots keep their settings and cannot be deleted.
    let mut renamed = stored.clone();
    renamed.name = "renamed".into();
    assert!(!store.update_bot_settings(&renamed).await.unwrap());
    assert!(!store.delete_bot("u1", "b1").await.unwrap());
    run.state = "stopped".into();
    store.commit(&CommitBatch { bots: vec![run], ..CommitBatch::default() }).await.unwrap();
    assert!(store.update_bot_settings(&renamed).await.unwrap());
    renamed.name = "other".into();
    assert!(matches!(store.update_bot_settings(&renamed).await, Err(StoreError::DuplicateBotName)));
    assert!(!store.delete_bot("u2", "b1").await.unwrap(), "not u2's");
    assert!(store.delete_bot("u1", "b1").await.unwrap());
    assert_eq!(store.bot("u1", "b1").await.unwrap(), None);
});
