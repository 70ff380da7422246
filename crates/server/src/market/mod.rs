//! The venue at run time: one engine task per symbol, the registry that finds them, symbol
//! administration, and the writer that stores closed candles.

pub mod engine;
pub mod snapshot;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use aetherion_market::candles::{Candle, MINUTE_MICROS, align};
use aetherion_market::history;
use aetherion_market::venue::{Simulator, VenueParams};
use aetherion_model::{Amount, Grid, UnixMicros};
use aetherion_store::{Store, SymbolRecord, SymbolStatus};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::clock::now;
use crate::error::ServiceError;
use engine::{Engine, EngineOutputs, EngineRequest};
use snapshot::{BookSnapshot, MarketStats, TradeTick};

/// Days of one-minute history generated for a new symbol.
pub const HISTORY_DAYS: usize = 7;
const HISTORY_MINUTES: usize = HISTORY_DAYS * 24 * 60;

/// How the simulated market behaves.
#[derive(Clone, Copy, Debug)]
pub struct MarketConfig {
    pub seed: u64,
    pub takers_per_second: f64,
    /// Trades a slow SubscribeTicks reader may fall behind before it is cut off.
    pub tick_buffer: usize,
}

/// A running symbol: its description and the channels of its engine.
pub struct SymbolHandle {
    record: RwLock<SymbolRecord>,
    pub grid: Grid,
    requests: mpsc::Sender<EngineRequest>,
    ticks: broadcast::Sender<TradeTick>,
    pub book: watch::Receiver<Arc<BookSnapshot>>,
    pub stats: watch::Receiver<Arc<MarketStats>>,
}

impl SymbolHandle {
    pub fn record(&self) -> SymbolRecord {
        self.record.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn subscribe_ticks(&self) -> broadcast::Receiver<TradeTick> {
        self.ticks.subscribe()
    }
}

pub struct MarketHub {
    store: Store,
    config: MarketConfig,
    symbols: RwLock<BTreeMap<String, Arc<SymbolHandle>>>,
    engines: std::sync::Mutex<Vec<JoinHandle<()>>>,
    writer: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Taken at shutdown, so that the writer ends once the engines have dropped theirs.
    candle_tx: std::sync::Mutex<Option<mpsc::Sender<(Arc<str>, Candle)>>>,
    /// Serialises symbol administration (add, remove).
    admin: tokio::sync::Mutex<()>,
    /// Bumped whenever a symbol starts, for streams that follow every symbol.
    listed: watch::Sender<u64>,
}

impl MarketHub {
    /// Starts an engine for every stored symbol; on a fresh database, first creates the
    /// default symbols so that the first run already shows a live market.
    pub async fn start(store: Store, config: MarketConfig, default_symbols: &[SymbolRecord]) -> anyhow::Result<Arc<MarketHub>> {
        let (candle_tx, candle_rx) = mpsc::channel(8192);
        let writer = tokio::spawn(write_candles(store.clone(), candle_rx));
        let hub = Arc::new(MarketHub {
            store: store.clone(),
            config,
            symbols: RwLock::new(BTreeMap::new()),
            engines: std::sync::Mutex::new(Vec::new()),
            writer: std::sync::Mutex::new(Some(writer)),
            candle_tx: std::sync::Mutex::new(Some(candle_tx)),
            admin: tokio::sync::Mutex::new(()),
            listed: watch::Sender::new(0),
        });
        let mut stored = store.symbols().await?;
        if stored.is_empty() {
            for record in default_symbols {
                hub.create(record.clone()).await?;
            }
            stored = store.symbols().await?;
        }
        for record in stored {
            if hub.get(&record.symbol).is_none() {
                hub.resume(record).await?;
            }
        }
        Ok(hub)
    }

    pub fn get(&self, symbol: &str) -> Option<Arc<SymbolHandle>> {
        self.symbols.read().unwrap_or_else(|p| p.into_inner()).get(symbol).cloned()
    }

    /// A running symbol, or NOT_FOUND naming it.
    pub fn find(&self, symbol: &str) -> Result<Arc<SymbolHandle>, ServiceError> {
        self.get(symbol).ok_or_else(|| ServiceError::NotFound(format!("symbol {symbol:?} does not exist")))
    }

    /// Changes whenever a symbol is added.
    pub fn symbol_list(&self) -> watch::Receiver<u64> {
        self.listed.subscribe()
    }

    /// Every symbol, by name.
    pub fn all(&self) -> Vec<Arc<SymbolHandle>> {
        self.symbols.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }

    /// Adds a symbol: stores it with a week of generated history and starts its market.
    pub async fn add(&self, record: SymbolRecord) -> Result<Arc<SymbolHandle>, ServiceError> {
        let _guard = self.admin.lock().await;
        if self.get(&record.symbol).is_some() {
            return Err(ServiceError::AlreadyExists(format!("symbol {} already exists", record.symbol)));
        }
        self.create(record).await
    }

    /// Halts a symbol: cancels its resting orders, stops its simulated market, keeps its
    /// history. Returns the number of orders canceled.
    pub async fn remove(&self, symbol: &str) -> Result<(Arc<SymbolHandle>, u32), ServiceError> {
        let _guard = self.admin.lock().await;
        let handle = self.find(symbol)?;
        if handle.record().status == SymbolStatus::Halted {
            return Err(ServiceError::FailedPrecondition(format!("symbol {symbol} is already halted")));
        }
        self.store.set_symbol_status(symbol, SymbolStatus::Halted, now()).await?;
        let (reply, answer) = oneshot::channel();
        handle
            .requests
            .send(EngineRequest::Halt { reply })
            .await
            .map_err(|_| ServiceError::internal(anyhow::anyhow!("engine of {symbol} is gone")))?;
        let canceled = answer.await.map_err(ServiceError::internal)?;
        handle.record.write().unwrap_or_else(|p| p.into_inner()).status = SymbolStatus::Halted;
        tracing::info!(symbol, canceled, "symbol halted");
        Ok((handle, canceled))
    }

    /// Stops every engine (flushing open candles) and the candle writer.
    pub async fn shutdown(&self) {
        let handles: Vec<_> = std::mem::take(&mut *self.symbols.write().unwrap_or_else(|p| p.into_inner())).into_values().collect();
        for handle in handles {
            let (reply, done) = oneshot::channel();
            if handle.requests.send(EngineRequest::Stop { reply }).await.is_ok() {
                let _ = done.await;
            }
        }
        let engines = std::mem::take(&mut *self.engines.lock().unwrap_or_else(|p| p.into_inner()));
        for engine in engines {
            let _ = engine.await;
        }
        // The engines are gone; the writer ends once it has stored what they sent.
        drop(self.candle_tx.lock().unwrap_or_else(|p| p.into_inner()).take());
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.await;
        }
    }

    async fn create(&self, record: SymbolRecord) -> Result<Arc<SymbolHandle>, ServiceError> {
        let grid = grid_of(&record).map_err(ServiceError::internal)?;
        let at = now();
        let mut sim = self.simulator(&record, grid, record.initial_price);
        let price = to_f64(record.initial_price);
        let candles = history::generate(sim.process_mut(), &grid, at, HISTORY_MINUTES, price);
        self.store.insert_symbol(&record).await?;
        self.store.upsert_candles(&record.symbol, &candles).await?;
        tracing::info!(symbol = %record.symbol, candles = candles.len(), "added a symbol with generated history");
        Ok(self.launch(record, grid, Some(sim), recent_day(candles)))
    }

    /// Restarts a stored symbol, filling the minutes the server was down with generated
    /// candles so that its history has no hole (up to the history length).
    async fn resume(&self, record: SymbolRecord) -> anyhow::Result<Arc<SymbolHandle>> {
        let grid = grid_of(&record)?;
        let at = now();
        let last = self.store.last_candle(&record.symbol).await?;
        let start_price = last.map_or(record.initial_price, |c| c.close);
        let trading = record.status == SymbolStatus::Trading;
        let mut sim = self.simulator(&record, grid, start_price);
        if trading {
            let resume_from = last.map_or(at.0 - HISTORY_MINUTES as i64 * MINUTE_MICROS, |c| c.open_time.0 + MINUTE_MICROS);
            let resume_from = resume_from.max(at.0 - HISTORY_MINUTES as i64 * MINUTE_MICROS);
            let missing = ((align(at, MINUTE_MICROS).0 - align(UnixMicros(resume_from), MINUTE_MICROS).0) / MINUTE_MICROS).max(0);
            if missing > 0 {
                let gap = history::extend(sim.process_mut(), &grid, UnixMicros(resume_from), missing as usize);
                self.store.upsert_candles(&record.symbol, &gap).await?;
                tracing::info!(symbol = %record.symbol, minutes = missing, "filled the history while the server was down");
            }
        }
        let day = self
            .store
            .candles(&record.symbol, UnixMicros(at.0 - 25 * 60 * MINUTE_MICROS), UnixMicros(i64::MAX), 2_000, true)
            .await?;
        Ok(self.launch(record, grid, trading.then_some(sim), day))
    }

    fn simulator(&self, record: &SymbolRecord, grid: Grid, price: Amount) -> Simulator {
        let params = VenueParams { takers_per_second: self.config.takers_per_second, ..VenueParams::default() };
        Simulator::new(self.config.seed, &record.symbol, grid, price, params)
    }

    fn launch(&self, record: SymbolRecord, grid: Grid, sim: Option<Simulator>, history: Vec<Candle>) -> Arc<SymbolHandle> {
        let symbol: Arc<str> = Arc::from(record.symbol.as_str());
        let (requests, requests_rx) = mpsc::channel(64);
        let (ticks, _) = broadcast::channel(self.config.tick_buffer.max(1));
        let (book_tx, book) = watch::channel(Arc::new(BookSnapshot::default()));
        let (stats_tx, stats) = watch::channel(Arc::new(MarketStats::default()));
        let candles = match self.candle_tx.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(tx) => tx.clone(),
            None => mpsc::channel(1).0, // shutting down: nothing more is stored
        };
        let outputs = EngineOutputs { ticks: ticks.clone(), book: book_tx, stats: stats_tx, candles };
        let engine = Engine::new(symbol, grid, sim, history, outputs);
        let task = tokio::spawn(engine.run(requests_rx));
        self.engines.lock().unwrap_or_else(|p| p.into_inner()).push(task);
        let handle = Arc::new(SymbolHandle { record: RwLock::new(record.clone()), grid, requests, ticks, book, stats });
        self.symbols.write().unwrap_or_else(|p| p.into_inner()).insert(record.symbol, handle.clone());
        self.listed.send_modify(|n| *n += 1);
        handle
    }
}

fn grid_of(record: &SymbolRecord) -> anyhow::Result<Grid> {
    Grid::new(record.tick_size, record.lot_size).ok_or_else(|| anyhow::anyhow!("symbol {} has a zero tick or lot size", record.symbol))
}

fn recent_day(mut candles: Vec<Candle>) -> Vec<Candle> {
    let keep = 25 * 60;
    if candles.len() > keep {
        candles.drain(..candles.len() - keep);
    }
    candles
}

fn to_f64(a: Amount) -> f64 {
    a.raw() as f64 / Amount::SCALE as f64
}

/// Stores closed candles as the engines send them.
async fn write_candles(store: Store, mut rx: mpsc::Receiver<(Arc<str>, Candle)>) {
    while let Some((symbol, candle)) = rx.recv().await {
        if let Err(e) = store.upsert_candles(&symbol, &[candle]).await {
            tracing::error!(%symbol, error = %e, "storing a candle failed");
        }
    }
}
