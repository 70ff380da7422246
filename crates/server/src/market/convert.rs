//! Between the exchange's orders (ticks and lots) and stored records (decimal amounts).

use aetherion_book::{Lots, Ticks, TimeInForce};
use aetherion_exchange::{AccountId, Order, OrderStatus, OrderTag, OrderType};
use aetherion_model::{Amount, Grid};
use aetherion_store::OrderRecord;

pub fn tif_name(tif: TimeInForce) -> &'static str {
    match tif {
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
    }
}

pub fn tif_of(name: &str) -> Option<TimeInForce> {
    match name {
        "gtc" => Some(TimeInForce::Gtc),
        "ioc" => Some(TimeInForce::Ioc),
        "fok" => Some(TimeInForce::Fok),
        _ => None,
    }
}

pub fn type_name(t: OrderType) -> &'static str {
    match t {
        OrderType::Market => "market",
        OrderType::Limit { .. } => "limit",
        OrderType::Stop { .. } => "stop",
        OrderType::StopLimit { .. } => "stop_limit",
    }
}

fn price(grid: &Grid, t: Ticks) -> Option<Amount> {
    grid.ticks_to_price(u64::try_from(t.0).ok()?)
}

fn ticks(grid: &Grid, a: Option<Amount>) -> Option<Ticks> {
    Some(Ticks(i64::try_from(grid.price_to_ticks(a?).ok()?).ok()?))
}

/// The stored form of an order.
pub fn to_record(order: &Order, grid: &Grid, user_id: &str) -> OrderRecord {
    OrderRecord {
        order_id: order.tag.order_id.clone(),
        seq: order.seq,
        user_id: user_id.to_owned(),
        client_order_id: order.tag.client_order_id.clone(),
        bot_id: order.tag.bot_id.clone(),
        symbol: order.symbol.clone(),
        side: order.side,
        order_type: type_name(order.order_type).to_owned(),
        price: order.order_type.price().and_then(|t| price(grid, t)),
        stop_price: order.order_type.trigger().and_then(|t| price(grid, t)),
        quantity: grid.lots_to_qty(order.quantity.0).unwrap_or(Amount::MAX),
        time_in_force: tif_name(order.tif).to_owned(),
        post_only: order.post_only,
        status: order.status.as_str().to_owned(),
        triggered: order.triggered,
        filled_quantity: grid.lots_to_qty(order.filled.0).unwrap_or(Amount::MAX),
        filled_notional: order.filled_notional,
        fees: order.fees,
        reserved: order.reserved,
        reject_reason: order.reject_reason.clone(),
        created_at: order.created_at,
        updated_at: order.updated_at,
    }
}

/// The exchange's form of a stored open order; `None` if it no longer fits the grid.
pub fn from_record(r: &OrderRecord, grid: &Grid, account: AccountId) -> Option<Order> {
    let order_type = match r.order_type.as_str() {
        "market" => OrderType::Market,
        "limit" => OrderType::Limit { price: ticks(grid, r.price)? },
        "stop" => OrderType::Stop { trigger: ticks(grid, r.stop_price)? },
        "stop_limit" => OrderType::StopLimit { trigger: ticks(grid, r.stop_price)?, price: ticks(grid, r.price)? },
        _ => return None,
    };
    Some(Order {
        seq: r.seq,
        tag: OrderTag { order_id: r.order_id.clone(), client_order_id: r.client_order_id.clone(), bot_id: r.bot_id.clone() },
        account,
        symbol: r.symbol.clone(),
        side: r.side,
        order_type,
        tif: tif_of(&r.time_in_force)?,
        post_only: r.post_only,
        quantity: Lots(grid.qty_to_lots(r.quantity).ok()?),
        filled: Lots(if r.filled_quantity.is_zero() { 0 } else { grid.qty_to_lots(r.filled_quantity).ok()? }),
        filled_notional: r.filled_notional,
        fees: r.fees,
        reserved: r.reserved,
        status: OrderStatus::parse(&r.status)?,
        triggered: r.triggered,
        reject_reason: r.reject_reason.clone(),
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}
