//! OrderService: placing, canceling and reading orders and fills.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aetherion_api::v1 as pb;
use aetherion_book::{Lots, Ticks, TimeInForce};
use aetherion_exchange::{CancelError, OrderRequest, OrderTag, OrderType, PlaceError};
use aetherion_model::{Amount, Grid, Side, UnixMicros};
use aetherion_store::{FillRecord, OrderFilter, OrderRecord};
use tonic::{Request, Response, Status};

use crate::auth::caller;
use crate::clock::timestamp;
use crate::error::ServiceError;
use crate::market::convert::{tif_name, to_record, type_name};
use crate::services::time::micros_of;
use crate::state::AppState;

const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;
const MAX_CLIENT_ORDER_ID: usize = 64;

/// Held while a request with a client_order_id is in flight.
type InFlight = Arc<tokio::sync::Mutex<()>>;

pub struct OrdersApi {
    state: Arc<AppState>,
    /// One lock per (user, client_order_id) in flight, so that a retry racing its original
    /// waits for it and then finds it.
    in_flight: Mutex<HashMap<(String, String), InFlight>>,
}

/// A CreateOrder request, checked.
struct Checked {
    symbol: String,
    side: Side,
    order_type: OrderType,
    lots: Lots,
    tif: TimeInForce,
    post_only: bool,
    client_order_id: Option<String>,
    // The decimal forms, to compare a retry with the stored order.
    quantity: Amount,
    price: Option<Amount>,
    stop_price: Option<Amount>,
}

impl OrdersApi {
    pub fn new(state: Arc<AppState>) -> Self {
        OrdersApi { state, in_flight: Mutex::new(HashMap::new()) }
    }

    fn check(&self, req: &pb::CreateOrderRequest) -> Result<(Checked, Grid), ServiceError> {
        let symbol = req.symbol.trim();
        if symbol.is_empty() {
            return Err(ServiceError::invalid("symbol", "is required"));
        }
        let handle = self.state.market.find(symbol)?;
        let grid = handle.grid;
        let side = match pb::Side::try_from(req.side) {
            Ok(pb::Side::Buy) => Side::Buy,
            Ok(pb::Side::Sell) => Side::Sell,
            _ => return Err(ServiceError::invalid("side", "must be SIDE_BUY or SIDE_SELL")),
        };
        let kind = pb::OrderType::try_from(req.r#type).unwrap_or(pb::OrderType::Unspecified);
        let tif = match pb::TimeInForce::try_from(req.time_in_force) {
            Ok(pb::TimeInForce::Unspecified | pb::TimeInForce::Gtc) => TimeInForce::Gtc,
            Ok(pb::TimeInForce::Ioc) => TimeInForce::Ioc,
            Ok(pb::TimeInForce::Fok) => TimeInForce::Fok,
            Err(_) => return Err(ServiceError::invalid("time_in_force", format!("{} is not a TimeInForce", req.time_in_force))),
        };
        let quantity = decimal("quantity", &req.quantity)?.ok_or_else(|| ServiceError::invalid("quantity", "is required"))?;
        let lots = Lots(grid.qty_to_lots(quantity).map_err(|e| ServiceError::invalid("quantity", e.to_string()))?);
        let price = decimal("price", &req.price)?;
        let stop_price = decimal("stop_price", &req.stop_price)?;
        let on_tick = |field: &'static str, value: Amount| -> Result<Ticks, ServiceError> {
            let t = grid.price_to_ticks(value).map_err(|e| ServiceError::invalid(field, e.to_string()))?;
            i64::try_from(t).map(Ticks).map_err(|_| ServiceError::invalid(field, "is too large"))
        };
        let need = |field: &'static str, value: Option<Amount>, why: &str| value.ok_or_else(|| ServiceError::invalid(field, format!("is required for {why} orders")));
        let forbid = |field: &'static str, value: Option<Amount>, why: &str| match value {
            Some(_) => Err(ServiceError::invalid(field, format!("must be empty for {why} orders"))),
            None => Ok(()),
        };
        let order_type = match kind {
            pb::OrderType::Market => {
                forbid("price", price, "MARKET")?;
                forbid("stop_price", stop_price, "MARKET")?;
                OrderType::Market
            }
            pb::OrderType::Limit => {
                forbid("stop_price", stop_price, "LIMIT")?;
                OrderType::Limit { price: on_tick("price", need("price", price, "LIMIT")?)? }
            }
            pb::OrderType::Stop => {
                forbid("price", price, "STOP")?;
                OrderType::Stop { trigger: on_tick("stop_price", need("stop_price", stop_price, "STOP")?)? }
            }
            pb::OrderType::StopLimit => OrderType::StopLimit {
                trigger: on_tick("stop_price", need("stop_price", stop_price, "STOP_LIMIT")?)?,
                price: on_tick("price", need("price", price, "STOP_LIMIT")?)?,
            },
            pb::OrderType::Unspecified => {
                return Err(ServiceError::invalid("type", "must be ORDER_TYPE_MARKET, _LIMIT, _STOP or _STOP_LIMIT"));
            }
        };
        if req.post_only && !(matches!(order_type, OrderType::Limit { .. }) && tif == TimeInForce::Gtc) {
            return Err(ServiceError::invalid("post_only", "is allowed on GTC LIMIT orders only"));
        }
        let client_order_id = match req.client_order_id.as_str() {
            "" => None,
            id if id.len() > MAX_CLIENT_ORDER_ID || !id.bytes().all(|b| b.is_ascii_graphic() || b == b' ') => {
                return Err(ServiceError::invalid("client_order_id", format!("must be at most {MAX_CLIENT_ORDER_ID} printable ASCII characters")));
            }
            id => Some(id.to_owned()),
        };
        Ok((
            Checked { symbol: symbol.to_owned(), side, order_type, lots, tif, post_only: req.post_only, client_order_id, quantity, price, stop_price },
            grid,
        ))
    }

    async fn create(&self, user_id: &str, req: &pb::CreateOrderRequest) -> Result<pb::Order, ServiceError> {
        let (checked, grid) = self.check(req)?;
        let account = self.state.market.account_of(user_id).await?;
        let key_lock = checked.client_order_id.as_ref().map(|cid| {
            let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            map.entry((user_id.to_owned(), cid.clone())).or_default().clone()
        });
        let result = match &key_lock {
            Some(lock) => {
                let _guard = lock.lock().await;
                self.create_locked(user_id, account, checked, grid).await
            }
            None => self.create_locked(user_id, account, checked, grid).await,
        };
        if let Some(lock) = key_lock {
            let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            // Only the map and this function hold it: nobody else waits.
            if Arc::strong_count(&lock) <= 2 {
                map.retain(|_, l| !Arc::ptr_eq(l, &lock));
            }
        }
        result
    }

    async fn create_locked(&self, user_id: &str, account: aetherion_exchange::AccountId, checked: Checked, grid: Grid) -> Result<pb::Order, ServiceError> {
        if let Some(cid) = &checked.client_order_id
            && let Some(existing) = self.state.store.order_by_client_id(user_id, cid).await?
        {
            let same = existing.symbol == checked.symbol
                && existing.side == checked.side
                && existing.order_type == type_name(checked.order_type)
                && existing.quantity == checked.quantity
                && existing.price == checked.price
                && existing.stop_price == checked.stop_price
                && existing.time_in_force == tif_name(checked.tif)
                && existing.post_only == checked.post_only;
            if same {
                return Ok(order_message(&existing));
            }
            return Err(ServiceError::AlreadyExists(format!(
                "client_order_id {cid:?} was already used for order {} with other fields",
                existing.order_id
            )));
        }
        let request = OrderRequest {
            account,
            symbol: checked.symbol,
            side: checked.side,
            order_type: checked.order_type,
            quantity: checked.lots,
            tif: checked.tif,
            post_only: checked.post_only,
            tag: OrderTag { order_id: uuid::Uuid::now_v7().to_string(), client_order_id: checked.client_order_id, bot_id: None },
        };
        match self.state.market.place(request).await? {
            Ok(order) => Ok(order_message(&to_record(&order, &grid, user_id))),
            Err(e) => Err(place_error(e)),
        }
    }

    async fn cancel(&self, user_id: &str, order_id: &str) -> Result<pb::Order, ServiceError> {
        let order_id = order_id.trim();
        if order_id.is_empty() {
            return Err(ServiceError::invalid("order_id", "is required"));
        }
        let stored = self.state.store.order(user_id, order_id).await?.ok_or_else(|| not_found(order_id))?;
        if !matches!(stored.status.as_str(), "new" | "partially_filled") {
            return Err(ServiceError::FailedPrecondition(format!("order {order_id} is already {}", stored.status)));
        }
        let account = self.state.market.account_of(user_id).await?;
        let handle = self.state.market.find(&stored.symbol)?;
        match self.state.market.cancel(account, stored.seq).await? {
            Ok(order) => Ok(order_message(&to_record(&order, &handle.grid, user_id))),
            Err(CancelError::AlreadyFinal(status)) => Err(ServiceError::FailedPrecondition(format!("order {order_id} is already {}", status.as_str()))),
            Err(CancelError::NotFound) => Err(ServiceError::FailedPrecondition(format!("order {order_id} has already finished"))),
        }
    }
}

fn not_found(order_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("order {order_id:?} does not exist"))
}

/// An optional decimal field: empty is `None`; anything else must parse and be positive.
fn decimal(field: &'static str, text: &str) -> Result<Option<Amount>, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value: Amount = text.parse().map_err(|e| ServiceError::invalid(field, format!("{text:?} {e}")))?;
    if !value.is_positive() {
        return Err(ServiceError::invalid(field, "must be greater than zero"));
    }
    Ok(Some(value))
}

fn place_error(e: PlaceError) -> ServiceError {
    match e {
        PlaceError::UnknownSymbol(s) => ServiceError::NotFound(format!("symbol {s:?} does not exist")),
        PlaceError::BelowMinNotional { .. } => ServiceError::invalid("quantity", e.to_string()),
        PlaceError::Overflow => ServiceError::invalid("quantity", e.to_string()),
        PlaceError::Halted(_) | PlaceError::InsufficientBalance { .. } | PlaceError::PostOnlyWouldTake { .. } => {
            ServiceError::FailedPrecondition(e.to_string())
        }
    }
}

pub fn side_message(side: Side) -> i32 {
    match side {
        Side::Buy => pb::Side::Buy as i32,
        Side::Sell => pb::Side::Sell as i32,
    }
}

/// `notional / quantity`, rounded down to eight decimals.
fn average(notional: Amount, quantity: Amount) -> Option<Amount> {
    if !quantity.is_positive() {
        return None;
    }
    let raw = i128::from(notional.raw()) * i128::from(Amount::SCALE) / i128::from(quantity.raw());
    i64::try_from(raw).ok().map(Amount::from_raw)
}

pub fn order_message(o: &OrderRecord) -> pb::Order {
    let status = match o.status.as_str() {
        "new" => pb::OrderStatus::New,
        "partially_filled" => pb::OrderStatus::PartiallyFilled,
        "filled" => pb::OrderStatus::Filled,
        "canceled" => pb::OrderStatus::Canceled,
        "rejected" => pb::OrderStatus::Rejected,
        "expired" => pb::OrderStatus::Expired,
        _ => pb::OrderStatus::Unspecified,
    };
    let order_type = match o.order_type.as_str() {
        "market" => pb::OrderType::Market,
        "limit" => pb::OrderType::Limit,
        "stop" => pb::OrderType::Stop,
        "stop_limit" => pb::OrderType::StopLimit,
        _ => pb::OrderType::Unspecified,
    };
    let tif = match o.time_in_force.as_str() {
        "ioc" => pb::TimeInForce::Ioc,
        "fok" => pb::TimeInForce::Fok,
        _ => pb::TimeInForce::Gtc,
    };
    let text = |a: Option<Amount>| a.map(|a| a.to_string()).unwrap_or_default();
    pb::Order {
        order_id: o.order_id.clone(),
        client_order_id: o.client_order_id.clone().unwrap_or_default(),
        symbol: o.symbol.clone(),
        side: side_message(o.side),
        r#type: order_type as i32,
        quantity: o.quantity.to_string(),
        price: text(o.price),
        stop_price: text(o.stop_price),
        time_in_force: tif as i32,
        post_only: o.post_only,
        status: status as i32,
        filled_quantity: o.filled_quantity.to_string(),
        average_fill_price: text(average(o.filled_notional, o.filled_quantity)),
        fees: o.fees.to_string(),
        bot_id: o.bot_id.clone().unwrap_or_default(),
        reject_reason: o.reject_reason.clone().unwrap_or_default(),
        created_at: Some(timestamp(o.created_at)),
        updated_at: Some(timestamp(o.updated_at)),
    }
}

fn trade_message(f: &FillRecord) -> pb::Trade {
    pb::Trade {
        trade_id: f.trade_id.clone(),
        order_id: f.order_id.clone(),
        symbol: f.symbol.clone(),
        side: side_message(f.side),
        price: f.price.to_string(),
        quantity: f.quantity.to_string(),
        fee: f.fee.to_string(),
        liquidity: if f.liquidity == "maker" { pb::Liquidity::Maker } else { pb::Liquidity::Taker } as i32,
        timestamp: Some(timestamp(f.at)),
    }
}

fn page_size(size: i32) -> Result<i64, ServiceError> {
    match size {
        s if s < 0 => Err(ServiceError::invalid("page_size", "must not be negative")),
        0 => Ok(DEFAULT_PAGE),
        s => Ok(i64::from(s).min(MAX_PAGE)),
    }
}

/// Page tokens are `<microseconds>~<key>`: the position of the last item of the page.
fn parse_token(token: &str) -> Result<Option<(UnixMicros, String)>, ServiceError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || ServiceError::invalid("page_token", "is not a token this server gave out");
    let (t, key) = token.split_once('~').ok_or_else(bad)?;
    let t: i64 = t.parse().map_err(|_| bad())?;
    if key.is_empty() || key.len() > 256 {
        return Err(bad());
    }
    Ok(Some((UnixMicros(t), key.to_owned())))
}

fn range(start: &Option<prost_types::Timestamp>, end: &Option<prost_types::Timestamp>) -> Result<(Option<UnixMicros>, Option<UnixMicros>), ServiceError> {
    let start = start.as_ref().map(|t| micros_of(t, "start_time")).transpose()?;
    let end = end.as_ref().map(|t| micros_of(t, "end_time")).transpose()?;
    if let (Some(s), Some(e)) = (start, end)
        && s >= e
    {
        return Err(ServiceError::invalid("start_time", "must be before end_time"));
    }
    Ok((start, end))
}

#[tonic::async_trait]
impl pb::order_service_server::OrderService for OrdersApi {
    async fn create_order(&self, request: Request<pb::CreateOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        Ok(Response::new(self.create(&user_id, request.get_ref()).await?))
    }

    async fn cancel_order(&self, request: Request<pb::CancelOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        Ok(Response::new(self.cancel(&user_id, &request.get_ref().order_id).await?))
    }

    async fn get_order(&self, request: Request<pb::GetOrderRequest>) -> Result<Response<pb::Order>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let order_id = request.get_ref().order_id.trim();
        if order_id.is_empty() {
            return Err(ServiceError::invalid("order_id", "is required").into());
        }
        let order = self.state.store.order(&user_id, order_id).await.map_err(ServiceError::from)?.ok_or_else(|| not_found(order_id))?;
        Ok(Response::new(order_message(&order)))
    }

    async fn list_orders(&self, request: Request<pb::ListOrdersRequest>) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let req = request.get_ref();
        let limit = page_size(req.page_size)?;
        let after = parse_token(&req.page_token)?;
        let (start, end) = range(&req.start_time, &req.end_time)?;
        let symbol = Some(req.symbol.trim().to_owned()).filter(|s| !s.is_empty());
        let filter = OrderFilter { symbol, open_only: req.open_only, start, end };
        let mut orders = self.state.store.list_orders(&user_id, &filter, after, limit + 1).await.map_err(ServiceError::from)?;
        let next_page_token = if orders.len() as i64 > limit {
            orders.truncate(limit as usize);
            orders.last().map(|o| format!("{}~{}", o.created_at.0, o.order_id)).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListOrdersResponse { orders: orders.iter().map(order_message).collect(), next_page_token }))
    }

    async fn get_trade_history(&self, request: Request<pb::GetTradeHistoryRequest>) -> Result<Response<pb::GetTradeHistoryResponse>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let req = request.get_ref();
        let limit = page_size(req.page_size)?;
        let after = parse_token(&req.page_token)?;
        let (start, end) = range(&req.start_time, &req.end_time)?;
        let symbol = Some(req.symbol.trim()).filter(|s| !s.is_empty());
        let mut fills = self.state.store.list_fills(&user_id, symbol, start, end, after, limit + 1).await.map_err(ServiceError::from)?;
        let next_page_token = if fills.len() as i64 > limit {
            fills.truncate(limit as usize);
            fills.last().map(|f| format!("{}~{}/{}", f.at.0, f.trade_id, f.order_id)).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::GetTradeHistoryResponse { trades: fills.iter().map(trade_message).collect(), next_page_token }))
    }
}
