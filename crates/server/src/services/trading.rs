//! TradingService: symbols, market data, momentum, and strategy runs (bots, in `bots.rs`).

use std::pin::Pin;
use std::sync::Arc;

use aetherion_api::v1 as pb;
use aetherion_market::candles::{Candle, MINUTE_MICROS, resample};
use aetherion_market::momentum::{self, MomentumInput};
use aetherion_model::{Amount, Side, UnixMicros};
use aetherion_store::{SymbolRecord, SymbolStatus};
use tokio::sync::mpsc;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::{BroadcastStream, ReceiverStream, WatchStream};
use tokio_stream::{Stream, StreamExt, StreamMap};
use tonic::{Request, Response, Status};

use crate::auth::{caller, require_admin};
use crate::clock::{now, timestamp};
use crate::error::ServiceError;
use crate::market::engine::MAX_DEPTH;
use crate::market::snapshot::{BookSnapshot, MarketStats, TradeTick};
use crate::market::{MarketHub, SymbolHandle};
use crate::services::bots::BotsApi;
use crate::services::time::micros_of;
use crate::state::AppState;

type ServerStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

const DEFAULT_DEPTH: usize = 20;
const DEFAULT_CANDLES: i64 = 500;
const MAX_CANDLES: i64 = 5000;
/// Most one-minute candles read to build one GetCandles answer.
const MAX_MINUTES_READ: i64 = 400_000;

pub struct TradingApi {
    state: Arc<AppState>,
}

impl TradingApi {
    pub fn new(state: Arc<AppState>) -> Self {
        TradingApi { state }
    }

    fn hub(&self) -> &Arc<MarketHub> {
        &self.state.market
    }

    /// The handles for `symbols`, or for every symbol when empty.
    fn select(&self, symbols: &[String]) -> Result<Vec<Arc<SymbolHandle>>, ServiceError> {
        if symbols.is_empty() {
            return Ok(self.hub().all());
        }
        symbols.iter().map(|s| self.hub().find(s.trim())).collect()
    }
}

fn required_symbol(symbol: &str) -> Result<&str, ServiceError> {
    let symbol = symbol.trim();
    if symbol.is_empty() {
        return Err(ServiceError::invalid("symbol", "is required"));
    }
    Ok(symbol)
}

fn fraction_of(rate: Amount) -> f64 {
    rate.raw() as f64 / Amount::SCALE as f64
}

pub fn symbol_info(handle: &SymbolHandle) -> pb::SymbolInfo {
    let r = handle.record();
    let last = handle.stats.borrow().last_price;
    pb::SymbolInfo {
        symbol: r.symbol.clone(),
        base_asset: r.base_asset.clone(),
        quote_asset: r.quote_asset.clone(),
        tick_size: r.tick_size.to_string(),
        lot_size: r.lot_size.to_string(),
        min_notional: r.min_notional.to_string(),
        maker_fee_rate: fraction_of(r.maker_fee_rate),
        taker_fee_rate: fraction_of(r.taker_fee_rate),
        status: match r.status {
            SymbolStatus::Trading => pb::SymbolStatus::Trading,
            SymbolStatus::Halted => pb::SymbolStatus::Halted,
        } as i32,
        last_price: last.map(|p| p.to_string()).unwrap_or_default(),
    }
}

fn price_update(symbol: &str, stats: &MarketStats) -> pb::PriceUpdate {
    let text = |a: Option<Amount>| a.map(|a| a.to_string()).unwrap_or_default();
    pb::PriceUpdate {
        symbol: symbol.to_owned(),
        last_price: text(stats.last_price),
        best_bid: text(stats.best_bid),
        best_ask: text(stats.best_ask),
        volume_24h: stats.volume_24h.to_string(),
        change_24h_percent: stats.change_24h_percent,
        timestamp: Some(timestamp(stats.at)),
    }
}

fn tick_message(t: &TradeTick) -> pb::Tick {
    pb::Tick {
        symbol: t.symbol.to_string(),
        trade_id: format!("{}:{}", t.symbol, t.sequence),
        price: t.price.to_string(),
        quantity: t.quantity.to_string(),
        taker_side: match t.taker_side {
            Side::Buy => pb::Side::Buy,
            Side::Sell => pb::Side::Sell,
        } as i32,
        timestamp: Some(timestamp(t.at)),
        sequence: t.sequence,
    }
}

fn book_message(symbol: &str, book: &BookSnapshot, depth: usize) -> pb::OrderBookSnapshot {
    let levels = |side: &[crate::market::snapshot::Level]| {
        side.iter()
            .take(depth)
            .map(|l| pb::PriceLevel {
                price: l.price.to_string(),
                quantity: l.quantity.to_string(),
                order_count: l.orders as i32,
            })
            .collect()
    };
    pb::OrderBookSnapshot {
        symbol: symbol.to_owned(),
        sequence: book.sequence,
        bids: levels(&book.bids),
        asks: levels(&book.asks),
        timestamp: Some(timestamp(book.at)),
    }
}

fn candle_message(c: &Candle) -> pb::Candle {
    pb::Candle {
        open_time: Some(timestamp(c.open_time)),
        open: c.open.to_string(),
        high: c.high.to_string(),
        low: c.low.to_string(),
        close: c.close.to_string(),
        volume: c.volume.to_string(),
        trade_count: i64::try_from(c.trade_count).unwrap_or(i64::MAX),
    }
}

/// Checks an AddSymbol request and turns it into a record.
fn new_symbol(req: &pb::AddSymbolRequest, at: UnixMicros) -> Result<SymbolRecord, ServiceError> {
    let symbol = req.symbol.trim().to_owned();
    let asset_ok = |a: &str| (1..=12).contains(&a.len()) && a.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let (base_part, quote_part) = symbol
        .split_once('-')
        .filter(|(b, q)| asset_ok(b) && asset_ok(q))
        .ok_or_else(|| ServiceError::invalid("symbol", "must look like BASE-QUOTE in upper-case letters and digits, e.g. BTC-USD"))?;
    let base_asset = if req.base_asset.trim().is_empty() { base_part.to_owned() } else { req.base_asset.trim().to_owned() };
    let quote_asset = if req.quote_asset.trim().is_empty() { quote_part.to_owned() } else { req.quote_asset.trim().to_owned() };
    if base_asset != base_part {
        return Err(ServiceError::invalid("base_asset", format!("must be {base_part}, the part of the symbol before '-'")));
    }
    if quote_asset != quote_part {
        return Err(ServiceError::invalid("quote_asset", format!("must be {quote_part}, the part of the symbol after '-'")));
    }
    let positive = |field: &'static str, text: &str| -> Result<Amount, ServiceError> {
        let value: Amount = text.trim().parse().map_err(|e| ServiceError::invalid(field, format!("{text:?} {e}")))?;
        if !value.is_positive() {
            return Err(ServiceError::invalid(field, "must be greater than zero"));
        }
        Ok(value)
    };
    let tick_size = positive("tick_size", &req.tick_size)?;
    let lot_size = positive("lot_size", &req.lot_size)?;
    if (i128::from(tick_size.raw()) * i128::from(lot_size.raw())) % i128::from(Amount::SCALE) != 0 {
        return Err(ServiceError::invalid(
            "lot_size",
            "tick_size times lot_size must have at most 8 decimals, so that every order value is exact",
        ));
    }
    let min_notional = if req.min_notional.trim().is_empty() {
        Amount::ZERO
    } else {
        let v: Amount = req.min_notional.trim().parse().map_err(|e| ServiceError::invalid("min_notional", format!("{:?} {e}", req.min_notional)))?;
        if v.is_negative() {
            return Err(ServiceError::invalid("min_notional", "must not be negative"));
        }
        v
    };
    let initial_price = positive("initial_price", &req.initial_price)?;
    if !initial_price.is_multiple_of(tick_size) {
        return Err(ServiceError::invalid("initial_price", format!("must be a multiple of tick_size {tick_size}")));
    }
    let rate = |field: &'static str, value: f64| -> Result<Amount, ServiceError> {
        if !value.is_finite() || !(0.0..1.0).contains(&value) {
            return Err(ServiceError::invalid(field, "must be a fraction in [0, 1), e.g. 0.001 for 0.1%"));
        }
        format!("{value:.8}").parse().map_err(|_| ServiceError::invalid(field, "is not a valid fraction"))
    };
    Ok(SymbolRecord {
        symbol,
        base_asset,
        quote_asset,
        tick_size,
        lot_size,
        min_notional,
        maker_fee_rate: rate("maker_fee_rate", req.maker_fee_rate)?,
        taker_fee_rate: rate("taker_fee_rate", req.taker_fee_rate)?,
        initial_price,
        status: SymbolStatus::Trading,
        created_at: at,
    })
}

/// Feeds `tx` from one stream per symbol (made by `open`), adding symbols listed later when
/// following all of them. `emit` turns an item into a message; an error message ends the stream.
async fn follow_symbols<S, T>(
    hub: Arc<MarketHub>,
    handles: Vec<Arc<SymbolHandle>>,
    all: bool,
    tx: mpsc::Sender<Result<T, Status>>,
    open: impl Fn(&SymbolHandle) -> S,
    emit: impl Fn(&str, S::Item) -> Result<T, Status>,
) where
    S: Stream + Unpin,
{
    let mut streams = StreamMap::new();
    for h in &handles {
        streams.insert(h.record().symbol, open(h));
    }
    let mut added = hub.symbol_list();
    loop {
        tokio::select! {
            () = tx.closed() => return,
            changed = added.changed(), if all => {
                if changed.is_err() {
                    return;
                }
                for h in hub.all() {
                    let symbol = h.record().symbol;
                    if !streams.contains_key(&symbol) {
                        streams.insert(symbol, open(&h));
                    }
                }
            }
            next = streams.next() => match next {
                Some((symbol, item)) => {
                    let message = emit(&symbol, item);
                    let end = message.is_err();
                    if tx.send(message).await.is_err() || end {
                        return;
                    }
                }
                None => return,
            },
        }
    }
}

/// Runs `produce` in a task that feeds a bounded channel; the returned stream ends when the
/// task does, and the task ends when the client goes away.
fn spawn_stream<T, F>(produce: impl FnOnce(mpsc::Sender<Result<T, Status>>) -> F) -> ServerStream<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(produce(tx));
    Box::pin(ReceiverStream::new(rx))
}

#[tonic::async_trait]
impl pb::trading_service_server::TradingService for TradingApi {
    async fn add_symbol(&self, request: Request<pb::AddSymbolRequest>) -> Result<Response<pb::SymbolInfo>, Status> {
        require_admin(caller(&request)?)?;
        let record = new_symbol(request.get_ref(), now())?;
        let handle = self.hub().add(record).await?;
        Ok(Response::new(symbol_info(&handle)))
    }

    async fn remove_symbol(&self, request: Request<pb::RemoveSymbolRequest>) -> Result<Response<pb::RemoveSymbolResponse>, Status> {
        require_admin(caller(&request)?)?;
        let symbol = required_symbol(&request.get_ref().symbol)?;
        let (handle, canceled, stopped) = self.hub().remove(symbol).await?;
        Ok(Response::new(pb::RemoveSymbolResponse {
            symbol: handle.record().symbol,
            canceled_orders: i32::try_from(canceled).unwrap_or(i32::MAX),
            stopped_bots: i32::try_from(stopped).unwrap_or(i32::MAX),
        }))
    }

    async fn list_symbols(&self, _: Request<pb::ListSymbolsRequest>) -> Result<Response<pb::ListSymbolsResponse>, Status> {
        let symbols = self.hub().all().iter().map(|h| symbol_info(h)).collect();
        Ok(Response::new(pb::ListSymbolsResponse { symbols }))
    }

    async fn get_price(&self, request: Request<pb::GetPriceRequest>) -> Result<Response<pb::PriceUpdate>, Status> {
        let symbol = required_symbol(&request.get_ref().symbol)?;
        let handle = self.hub().find(symbol)?;
        let stats = handle.stats.borrow().clone();
        Ok(Response::new(price_update(symbol, &stats)))
    }

    type StreamPriceStream = ServerStream<pb::PriceUpdate>;

    async fn stream_price(&self, request: Request<pb::StreamPriceRequest>) -> Result<Response<Self::StreamPriceStream>, Status> {
        let all = request.get_ref().symbols.is_empty();
        let handles = self.select(&request.get_ref().symbols)?;
        let hub = self.hub().clone();
        Ok(Response::new(spawn_stream(move |tx| {
            follow_symbols(hub, handles, all, tx, |h| WatchStream::new(h.stats.clone()), |symbol, stats| Ok(price_update(symbol, &stats)))
        })))
    }

    type SubscribeTicksStream = ServerStream<pb::Tick>;

    async fn subscribe_ticks(&self, request: Request<pb::SubscribeTicksRequest>) -> Result<Response<Self::SubscribeTicksStream>, Status> {
        let all = request.get_ref().symbols.is_empty();
        let handles = self.select(&request.get_ref().symbols)?;
        let hub = self.hub().clone();
        Ok(Response::new(spawn_stream(move |tx| {
            follow_symbols(hub, handles, all, tx, |h| BroadcastStream::new(h.subscribe_ticks()), |symbol, tick| match tick {
                Ok(tick) => Ok(tick_message(&tick)),
                Err(BroadcastStreamRecvError::Lagged(missed)) => Err(Status::resource_exhausted(format!(
                    "reader too slow: {missed} trades of {symbol} were not delivered; resubscribe and \
                     use Tick.sequence to see what was missed"
                ))),
            })
        })))
    }

    type StreamOrderBookStream = ServerStream<pb::OrderBookSnapshot>;

    async fn stream_order_book(&self, request: Request<pb::StreamOrderBookRequest>) -> Result<Response<Self::StreamOrderBookStream>, Status> {
        let req = request.get_ref();
        let symbol = required_symbol(&req.symbol)?.to_owned();
        let depth = match req.depth {
            d if d < 0 => return Err(ServiceError::invalid("depth", "must not be negative").into()),
            0 => DEFAULT_DEPTH,
            d => (d as usize).min(MAX_DEPTH),
        };
        let handle = self.hub().find(&symbol)?;
        let stream = WatchStream::new(handle.book.clone()).map(move |book| Ok(book_message(&symbol, &book, depth)));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn start_strategy(&self, request: Request<pb::StartStrategyRequest>) -> Result<Response<pb::StrategyRun>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let run = BotsApi::new(self.state.clone()).start_strategy(&user_id, request.get_ref()).await?;
        Ok(Response::new(run))
    }

    async fn stop_strategy(&self, request: Request<pb::StopStrategyRequest>) -> Result<Response<pb::StrategyRun>, Status> {
        let user_id = caller(&request)?.user_id.clone();
        let run = BotsApi::new(self.state.clone()).stop_strategy(&user_id, request.get_ref()).await?;
        Ok(Response::new(run))
    }

    async fn get_momentum(&self, request: Request<pb::GetMomentumRequest>) -> Result<Response<pb::GetMomentumResponse>, Status> {
        let handles = self.select(&request.get_ref().symbols)?;
        let at = now();
        let snapshots: Vec<(String, Arc<MarketStats>)> = handles.iter().map(|h| (h.record().symbol, h.stats.borrow().clone())).collect();
        let series: Vec<Vec<Candle>> = snapshots
            .iter()
            .map(|(_, s)| s.recent.iter().copied().chain(s.current).collect())
            .collect();
        let inputs: Vec<MomentumInput<'_>> = snapshots
            .iter()
            .zip(&series)
            .filter_map(|((symbol, stats), candles)| {
                Some(MomentumInput { symbol, last_price: stats.last_price?, candles })
            })
            .collect();
        let metrics = momentum::compute(&inputs, at)
            .into_iter()
            .map(|m| pb::MomentumMetric {
                symbol: m.symbol,
                last_price: m.last_price.to_string(),
                change_1m_percent: m.change_1m_percent,
                change_5m_percent: m.change_5m_percent,
                change_1h_percent: m.change_1h_percent,
                change_24h_percent: m.change_24h_percent,
                volatility: m.volatility,
                score: m.score,
                rank: m.rank as i32,
            })
            .collect();
        Ok(Response::new(pb::GetMomentumResponse { metrics }))
    }

    async fn get_candles(&self, request: Request<pb::GetCandlesRequest>) -> Result<Response<pb::GetCandlesResponse>, Status> {
        let req = request.get_ref();
        let symbol = required_symbol(&req.symbol)?;
        let handle = self.hub().find(symbol)?;
        let interval = pb::CandleInterval::try_from(req.interval)
            .map_err(|_| ServiceError::invalid("interval", format!("{} is not a CandleInterval", req.interval)))?;
        let minutes: i64 = match interval {
            pb::CandleInterval::Unspecified | pb::CandleInterval::CandleInterval1m => 1,
            pb::CandleInterval::CandleInterval5m => 5,
            pb::CandleInterval::CandleInterval15m => 15,
            pb::CandleInterval::CandleInterval1h => 60,
            pb::CandleInterval::CandleInterval4h => 240,
            pb::CandleInterval::CandleInterval1d => 1440,
        };
        let limit = match req.limit {
            l if l < 0 => return Err(ServiceError::invalid("limit", "must not be negative").into()),
            0 => DEFAULT_CANDLES,
            l => i64::from(l).min(MAX_CANDLES),
        };
        let end = match &req.end_time {
            Some(ts) => micros_of(ts, "end_time")?,
            None => UnixMicros(i64::MAX),
        };
        let start = req.start_time.as_ref().map(|ts| micros_of(ts, "start_time")).transpose()?;
        if let Some(start) = start
            && start >= end
        {
            return Err(ServiceError::invalid("start_time", "must be before end_time").into());
        }
        let interval_micros = minutes * MINUTE_MICROS;
        // Read the one-minute candles and merge them; a bucket cut by start_time is left out.
        let read = (limit * minutes + minutes).min(MAX_MINUTES_READ);
        let stats = handle.stats.borrow().clone();
        let mut rows = match start {
            Some(start) => self.state.store.candles(symbol, start, end, read, false).await.map_err(ServiceError::from)?,
            None => self.state.store.candles(symbol, UnixMicros(i64::MIN), end, read, true).await.map_err(ServiceError::from)?,
        };
        if let Some(open) = stats.current
            && open.open_time < end
            && start.is_none_or(|s| open.open_time >= s)
            && rows.last().is_none_or(|last| last.open_time < open.open_time)
        {
            rows.push(open);
        }
        let mut candles = if minutes == 1 { rows } else { resample(&rows, interval_micros) };
        if let Some(start) = start {
            candles.retain(|c| c.open_time >= start);
            candles.truncate(limit as usize);
        } else if candles.len() > limit as usize {
            candles.drain(..candles.len() - limit as usize);
        }
        Ok(Response::new(pb::GetCandlesResponse {
            symbol: symbol.to_owned(),
            interval: req.interval,
            candles: candles.iter().map(candle_message).collect(),
        }))
    }
}
