//! What one group commit costs on SQLite (WAL, synchronous=FULL), by batch size: the fixed
//! cost of a durable transaction against the cost of each order in it.
//!
//!     cargo bench -p aetherion-store --bench commit

use aetherion_model::{Amount, Side, UnixMicros};
use aetherion_store::*;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&Store::sqlite_url(dir.path())).await.unwrap();
    let user = NewUser { user_id: "u1".into(), email: "a@b.io".into(), display_name: "a".into(), password_hash: "x".into(), created_at: UnixMicros(1) };
    store.register_user(&user, &NewAccount { quote_asset: "USD".into(), starting_cash: Amount::from_units(1000).unwrap(), deposit_id: "d".into() }).await.unwrap();
    let sym = SymbolRecord { symbol: "BTC-USD".into(), base_asset: "BTC".into(), quote_asset: "USD".into(), tick_size: "0.01".parse().unwrap(), lot_size: "0.001".parse().unwrap(), min_notional: Amount::ZERO, maker_fee_rate: Amount::ZERO, taker_fee_rate: Amount::ZERO, initial_price: Amount::from_units(1).unwrap(), status: SymbolStatus::Trading, created_at: UnixMicros(1) };
    store.insert_symbol(&sym).await.unwrap();
    let mut seq = 0u64;
    for b in [1usize, 4, 16, 64] {
        let t = Instant::now();
        let rounds = 200;
        for _ in 0..rounds {
            let mut batch = CommitBatch::default();
            for _ in 0..b {
                seq += 1;
                batch.orders.push(OrderRecord { order_id: format!("o{seq}"), seq, user_id: "u1".into(), client_order_id: None, bot_id: None, symbol: "BTC-USD".into(), side: Side::Buy, order_type: "limit".into(), price: Some(Amount::from_units(1).unwrap()), stop_price: None, quantity: Amount::from_units(1).unwrap(), time_in_force: "gtc".into(), post_only: false, status: "new".into(), triggered: false, filled_quantity: Amount::ZERO, filled_notional: Amount::ZERO, fees: Amount::ZERO, reserved: Amount::ZERO, reject_reason: None, created_at: UnixMicros(seq as i64), updated_at: UnixMicros(seq as i64) });
            }
            batch.balances.push(("u1".into(), "USD".into(), Amount::ZERO, Amount::ZERO));
            store.commit(&batch).await.unwrap();
        }
        let per = t.elapsed().as_micros() as f64 / rounds as f64;
        println!("batch {b:>3}: {per:>8.0} us per commit, {:>6.1} us per order", per / b as f64);
    }
}
