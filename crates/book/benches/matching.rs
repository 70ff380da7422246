//! The standard matching workload: a book warmed to about 1,000 live orders over about 1,000
//! price levels, then 1,000,000 commands: 70% non-marketable limit adds around the mid, 20%
//! cancels of random live orders, 10% marketable orders (half market, half IOC limit) sized
//! to keep the book near 1,000 orders.
//!
//! The stream is generated before measuring, by running it once through the engine (which is
//! deterministic, so every replay is identical); cancels therefore always name live orders.
//! Criterion reports throughput. Before it, `main` prints per-command latency percentiles:
//! each command of one replay is timed alone with `std::time::Instant` (two clock reads, not
//! subtracted: the timer's own cost is measured and printed beside them).

use std::hint::black_box;
use std::time::{Duration, Instant};

use aetherion_book::{Command, Event, NewOrder, OrderBook, OrderId, Side, TimeInForce, UnixMicros};
use criterion::{BatchSize, Criterion, Throughput};

const MID: i64 = 1_000_000;
const HALF_RANGE: u64 = 500;
const WARM_ORDERS: usize = 1_000;
const OPS: usize = 1_000_000;

/// xorshift64*: a few instructions, seeded, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Add,
    Cancel,
    Take,
}

struct Workload {
    warm: OrderBook,
    stream: Vec<(Op, Command)>,
}

/// Tracks which ids are live while the stream is generated.
struct Live {
    ids: Vec<u64>,
    position: Vec<usize>,
}

impl Live {
    fn insert(&mut self, id: u64) {
        self.position[id as usize] = self.ids.len();
        self.ids.push(id);
    }

    fn remove(&mut self, id: u64) {
        let at = std::mem::replace(&mut self.position[id as usize], usize::MAX);
        if at == usize::MAX {
            return;
        }
        self.ids.swap_remove(at);
        if let Some(&moved) = self.ids.get(at) {
            self.position[moved as usize] = at;
        }
    }
}

fn workload(seed: u64) -> Workload {
    let mut rng = Rng(seed);
    let mut book = OrderBook::with_capacity(4 * WARM_ORDERS);
    let mut live = Live {
        ids: Vec::new(),
        position: vec![usize::MAX; OPS + WARM_ORDERS + 1],
    };
    let mut out = Vec::new();
    let mut next_id = 1u64;
    let mut stream = Vec::with_capacity(OPS);
    let add = |rng: &mut Rng, next_id: &mut u64| {
        let side = if rng.next() & 1 == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let offset = rng.range(1, HALF_RANGE) as i64;
        let price = if side == Side::Buy {
            MID - offset
        } else {
            MID + offset
        };
        *next_id += 1;
        NewOrder::limit(
            *next_id - 1,
            rng.range(1, 1_000),
            side,
            price,
            rng.range(1, 100),
        )
    };
    let apply = |book: &mut OrderBook, live: &mut Live, command: Command, out: &mut Vec<Event>| {
        out.clear();
        book.apply(command, UnixMicros(0), out);
        for event in out.iter() {
            match *event {
                Event::Fill(fill) if fill.maker_remaining.0 == 0 => live.remove(fill.maker.0),
                Event::Canceled { id, .. } => live.remove(id.0),
                _ => {}
            }
        }
        if let Command::Submit(order) = command
            && book.order(order.id).is_some()
        {
            live.insert(order.id.0);
        }
    };
    for _ in 0..WARM_ORDERS {
        let order = add(&mut rng, &mut next_id);
        apply(&mut book, &mut live, Command::Submit(order), &mut out);
    }
    let warm = book.clone();
    for _ in 0..OPS {
        let roll = rng.range(0, 99);
        let (op, command) = if roll < 70 || live.ids.is_empty() {
            (Op::Add, Command::Submit(add(&mut rng, &mut next_id)))
        } else if roll < 90 {
            let id = live.ids[rng.range(0, live.ids.len() as u64 - 1) as usize];
            (Op::Cancel, Command::Cancel(OrderId(id)))
        } else {
            let side = if rng.next() & 1 == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let quantity = rng.range(1, 500) * live.ids.len() as u64 / WARM_ORDERS as u64 + 1;
            let owner = rng.range(1, 1_000);
            next_id += 1;
            let order = if rng.next() & 1 == 0 {
                NewOrder::market(next_id - 1, owner, side, quantity)
            } else {
                let limit = if side == Side::Buy {
                    MID + 400
                } else {
                    MID - 400
                };
                NewOrder::limit(next_id - 1, owner, side, limit, quantity)
                    .with_tif(TimeInForce::Ioc)
            };
            (Op::Take, Command::Submit(order))
        };
        apply(&mut book, &mut live, command, &mut out);
        stream.push((op, command));
    }
    println!(
        "workload: warm book {} orders over {} + {} levels; after {OPS} commands {} orders over {} + {} levels",
        warm.live_orders(),
        warm.level_count(Side::Buy),
        warm.level_count(Side::Sell),
        book.live_orders(),
        book.level_count(Side::Buy),
        book.level_count(Side::Sell),
    );
    Workload { warm, stream }
}

fn replay(book: &mut OrderBook, stream: &[(Op, Command)], out: &mut Vec<Event>) {
    for (n, &(_, command)) in stream.iter().enumerate() {
        book.apply(command, UnixMicros(n as i64), out);
        out.clear();
    }
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn summary(name: &str, mut ns: Vec<u32>) {
    ns.sort_unstable();
    println!(
        "  {name:<22} n={:>7}  p50 {:>5} ns  p90 {:>5} ns  p99 {:>5} ns  p99.9 {:>6} ns  max {:>7} ns",
        ns.len(),
        percentile(&ns, 0.50),
        percentile(&ns, 0.90),
        percentile(&ns, 0.99),
        percentile(&ns, 0.999),
        ns[ns.len() - 1],
    );
}

fn latency(workload: &Workload) {
    let mut out = Vec::with_capacity(256);
    // Untimed replays: warm caches, and the mean from wall time without per-command timers.
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let mut book = workload.warm.clone();
        let start = Instant::now();
        replay(&mut book, &workload.stream, &mut out);
        best = best.min(start.elapsed());
        black_box(&book);
    }
    let mut book = workload.warm.clone();
    let mut samples: [Vec<u32>; 3] = Default::default();
    for (n, &(op, command)) in workload.stream.iter().enumerate() {
        let start = Instant::now();
        book.apply(command, UnixMicros(n as i64), &mut out);
        out.clear();
        let ns = start.elapsed().as_nanos() as u32;
        samples[op as usize].push(ns);
    }
    let mut overhead = Vec::with_capacity(OPS);
    for _ in 0..OPS {
        let start = Instant::now();
        overhead.push(black_box(start).elapsed().as_nanos() as u32);
    }
    let all: Vec<u32> = samples.iter().flatten().copied().collect();
    println!(
        "\nlatency of the standard workload, {OPS} commands, each timed alone (timer included):"
    );
    summary("all commands", all);
    let [adds, cancels, takes] = samples;
    summary("limit adds (70%)", adds);
    summary("cancels (20%)", cancels);
    summary("marketable (10%)", takes);
    summary("timer alone (empty)", overhead);
    println!(
        "  mean without timers: {:.1} ns/command ({:.2} M commands/s), best of 3 untimed replays\n",
        best.as_nanos() as f64 / OPS as f64,
        OPS as f64 / best.as_secs_f64() / 1e6
    );
}

fn main() {
    let workload = workload(0x5EED_1234_ABCD_0001);
    latency(&workload);
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .configure_from_args();
    let mut group = criterion.benchmark_group("matching");
    group.throughput(Throughput::Elements(OPS as u64));
    group.bench_function("standard_workload_1M_commands", |b| {
        b.iter_batched_ref(
            || (workload.warm.clone(), Vec::with_capacity(256)),
            |(book, out)| replay(book, &workload.stream, out),
            BatchSize::PerIteration,
        )
    });
    group.finish();
    criterion.final_summary();
}
