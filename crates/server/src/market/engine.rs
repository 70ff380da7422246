//! One task per symbol owns its order book and its simulated market. Everything that changes
//! the book goes through this task, in order; what happened is published on channels that
//! never block the engine: trades on a broadcast ring, the book and prices on watch channels
//! (a slow reader sees the latest state), closed candles to the storage writer.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use aetherion_book::{Command, Event, OrderBook, Side};
use aetherion_market::candles::{Candle, CandleBuilder, MINUTE_MICROS};
use aetherion_market::venue::Simulator;
use aetherion_model::{Amount, Grid, UnixMicros};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::clock::now;
use crate::market::snapshot::{BookSnapshot, Level, MarketStats, TradeTick};

/// How often the simulated market moves.
pub const STEP: Duration = Duration::from_millis(250);
/// Levels per side kept in published book snapshots (the most StreamOrderBook serves).
pub const MAX_DEPTH: usize = 1000;
const DAY_MINUTES: usize = 24 * 60;

/// Requests other tasks make of an engine.
pub enum EngineRequest {
    /// Cancel every resting order and stop the simulated market; replies with the number of
    /// orders canceled.
    Halt { reply: oneshot::Sender<u32> },
    /// Flush the open candle and stop.
    Stop { reply: oneshot::Sender<()> },
}

pub struct EngineOutputs {
    pub ticks: broadcast::Sender<TradeTick>,
    pub book: watch::Sender<Arc<BookSnapshot>>,
    pub stats: watch::Sender<Arc<MarketStats>>,
    pub candles: mpsc::Sender<(Arc<str>, Candle)>,
}

pub struct Engine {
    symbol: Arc<str>,
    grid: Grid,
    book: OrderBook,
    sim: Option<Simulator>,
    candles: CandleBuilder,
    recent: VecDeque<Candle>,
    volume_24h: Amount,
    trade_seq: u64,
    book_seq: u64,
    events: Vec<Event>,
    commands: Vec<Command>,
    out: EngineOutputs,
}

impl Engine {
    /// `history`: the stored one-minute candles of the last day, oldest first.
    pub fn new(symbol: Arc<str>, grid: Grid, sim: Option<Simulator>, history: Vec<Candle>, out: EngineOutputs) -> Engine {
        let mut engine = Engine {
            symbol,
            grid,
            book: OrderBook::with_capacity(4096),
            sim,
            candles: CandleBuilder::default(),
            recent: history.into_iter().collect(),
            volume_24h: Amount::ZERO,
            trade_seq: 0,
            book_seq: 0,
            events: Vec::with_capacity(1024),
            commands: Vec::with_capacity(256),
            out,
        };
        engine.trim_recent(now());
        engine.publish_book(now());
        engine.publish_stats(now());
        engine
    }

    pub async fn run(mut self, mut requests: mpsc::Receiver<EngineRequest>) {
        let mut ticker = tokio::time::interval(STEP);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                request = requests.recv() => match request {
                    Some(EngineRequest::Halt { reply }) => {
                        let canceled = self.halt(now());
                        let _ = reply.send(canceled);
                    }
                    Some(EngineRequest::Stop { reply }) => {
                        self.flush_candle();
                        let _ = reply.send(());
                        return;
                    }
                    None => {
                        self.flush_candle();
                        return;
                    }
                },
                _ = ticker.tick() => self.step(now()),
            }
        }
    }

    /// One move of the simulated market.
    fn step(&mut self, at: UnixMicros) {
        if let Some(closed) = self.candles.roll(at) {
            self.close_candle(closed, at);
        }
        let Some(sim) = self.sim.as_mut() else {
            return;
        };
        self.commands.clear();
        sim.step(&self.book, STEP.as_secs_f64(), &mut self.commands);
        self.events.clear();
        for command in &self.commands {
            self.book.apply(*command, at, &mut self.events);
        }
        self.after_events(at);
    }

    fn halt(&mut self, at: UnixMicros) -> u32 {
        self.sim = None;
        self.events.clear();
        self.book.cancel_all(at, &mut self.events);
        let canceled = self.events.iter().filter(|e| matches!(e, Event::Canceled { .. })).count();
        self.after_events(at);
        canceled as u32
    }

    /// Publishes what the events in `self.events` changed.
    fn after_events(&mut self, at: UnixMicros) {
        let mut book_changed = false;
        for i in 0..self.events.len() {
            match self.events[i] {
                Event::Fill(fill) => {
                    let (Some(price), Some(quantity)) =
                        (self.grid.ticks_to_price(fill.price.0.max(0) as u64), self.grid.lots_to_qty(fill.quantity.0))
                    else {
                        tracing::error!(symbol = %self.symbol, "a fill does not fit the symbol's grid");
                        continue;
                    };
                    self.trade_seq += 1;
                    let tick = TradeTick {
                        symbol: self.symbol.clone(),
                        sequence: self.trade_seq,
                        price,
                        quantity,
                        taker_side: fill.taker_side,
                        at,
                    };
                    let _ = self.out.ticks.send(tick);
                    if let Some(closed) = self.candles.on_trade(at, price, quantity) {
                        self.close_candle(closed, at);
                    }
                }
                Event::LevelChanged { .. } => book_changed = true,
                _ => {}
            }
        }
        if book_changed {
            self.publish_book(at);
        }
        self.publish_stats(at);
    }

    fn close_candle(&mut self, candle: Candle, at: UnixMicros) {
        if let Err(e) = self.out.candles.try_send((self.symbol.clone(), candle)) {
            tracing::warn!(symbol = %self.symbol, error = %e, "candle writer is behind; a candle was not stored");
        }
        self.recent.push_back(candle);
        self.trim_recent(at);
    }

    fn flush_candle(&mut self) {
        if let Some(open) = self.candles.current().copied() {
            let _ = self.out.candles.try_send((self.symbol.clone(), open));
        }
    }

    /// Keeps a little over a day of closed candles and recomputes their volume.
    fn trim_recent(&mut self, at: UnixMicros) {
        let since = at.0 - (DAY_MINUTES as i64 + 1) * MINUTE_MICROS;
        while self.recent.front().is_some_and(|c| c.open_time.0 < since) {
            self.recent.pop_front();
        }
        let day_start = at.0 - DAY_MINUTES as i64 * MINUTE_MICROS;
        self.volume_24h = self
            .recent
            .iter()
            .filter(|c| c.open_time.0 >= day_start)
            .fold(Amount::ZERO, |sum, c| sum.checked_add(c.volume).unwrap_or(Amount::MAX));
    }

    fn publish_book(&mut self, at: UnixMicros) {
        self.book_seq += 1;
        let depth = self.book.snapshot(MAX_DEPTH);
        let convert = |levels: &[aetherion_book::LevelInfo]| -> Vec<Level> {
            levels
                .iter()
                .filter_map(|l| {
                    Some(Level {
                        price: self.grid.ticks_to_price(u64::try_from(l.price.0).ok()?)?,
                        quantity: self.grid.lots_to_qty(l.quantity.0)?,
                        orders: l.orders,
                    })
                })
                .collect()
        };
        let snapshot = BookSnapshot { sequence: self.book_seq, bids: convert(&depth.bids), asks: convert(&depth.asks), at };
        self.out.book.send_replace(Arc::new(snapshot));
    }

    fn publish_stats(&mut self, at: UnixMicros) {
        let price_of = |side: Side| {
            self.book.best(side).and_then(|l| self.grid.ticks_to_price(u64::try_from(l.price.0).ok()?))
        };
        let current = self.candles.current().copied();
        let last_price = current
            .map(|c| c.close)
            .or_else(|| self.book.last_trade_price().and_then(|t| self.grid.ticks_to_price(u64::try_from(t.0).ok()?)))
            .or_else(|| self.recent.back().map(|c| c.close));
        let day_ago = at.0 - DAY_MINUTES as i64 * MINUTE_MICROS;
        let reference = self
            .recent
            .iter()
            .rev()
            .find(|c| c.open_time.0 + MINUTE_MICROS <= day_ago)
            .or_else(|| self.recent.front())
            .map(|c| c.close);
        let change_24h_percent = match (last_price, reference) {
            (Some(last), Some(then)) if then.is_positive() => (last.raw() as f64 / then.raw() as f64 - 1.0) * 100.0,
            _ => 0.0,
        };
        let previous = self.out.stats.borrow().recent.clone();
        let recent = if previous.len() == self.recent.len() && previous.last() == self.recent.back() {
            previous
        } else {
            Arc::new(self.recent.iter().copied().collect())
        };
        let volume_24h = current.map_or(self.volume_24h, |c| self.volume_24h.checked_add(c.volume).unwrap_or(Amount::MAX));
        let stats = MarketStats {
            last_price,
            best_bid: price_of(Side::Buy),
            best_ask: price_of(Side::Sell),
            volume_24h,
            change_24h_percent,
            recent,
            current,
            at,
        };
        self.out.stats.send_replace(Arc::new(stats));
    }
}
