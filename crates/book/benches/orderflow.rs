//! Replays the level-3 order-flow file that peers were measured on
//! (`orderflow_1000000.csv` from `shared/bench/gen_orderflow.py`: `seq,action,side,order_id,
//! price,qty`; A add, M move to a new price and quantity, C cancel). An add is a GTC limit
//! order, a move is a cancel and a new limit order under the same id (it loses its time
//! priority), a cancel is a cancel. Prices and quantities are parsed from their decimal text
//! into integers exactly (no float), at the largest number of decimals the file uses.
//!
//! The file is read from `$BENCH_DATA` (relative paths from the workspace root) or from
//! `bench-data/` at the workspace root; without it the bench says so and measures nothing.
//! Criterion reports messages per second; `main` first prints ns per message, best of 5
//! untimed replays (parsing is done before timing).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aetherion_book::{Command, Event, NewOrder, OrderBook, OrderId, Side, UnixMicros};
use criterion::{BatchSize, Criterion, Throughput};

const FILE: &str = "orderflow_1000000.csv";

fn data_path() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = std::env::var_os("BENCH_DATA").map_or(root.join("bench-data"), |dir| root.join(dir));
    dir.join(FILE)
}

/// The number of digits after the decimal point of `s`.
fn decimals(s: &str) -> u32 {
    s.split_once('.')
        .map_or(0, |(_, fraction)| fraction.len() as u32)
}

/// `s` (`[-]digits[.digits]`, at most `scale` decimals) times `10^scale`, exactly.
fn parse_fixed(s: &str, scale: u32) -> Result<i64, String> {
    let (negative, digits) = s.strip_prefix('-').map_or((false, s), |rest| (true, rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() as u32 > scale
    {
        return Err(format!("not a decimal with at most {scale} places: {s:?}"));
    }
    let padded = format!("{whole}{fraction:0<width$}", width = scale as usize);
    let value: i64 = padded.parse().map_err(|e| format!("{s:?}: {e}"))?;
    Ok(if negative { -value } else { value })
}

struct Flow {
    messages: usize,
    commands: Vec<Command>,
}

fn load(path: &Path) -> Result<Flow, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect())
        .collect();
    if let Some(bad) = rows.iter().find(|row| row.len() != 6) {
        return Err(format!("expected 6 columns, got {bad:?}"));
    }
    let price_scale = rows.iter().map(|row| decimals(row[4])).max().unwrap_or(0);
    let qty_scale = rows.iter().map(|row| decimals(row[5])).max().unwrap_or(0);
    let mut commands = Vec::with_capacity(rows.len() * 2);
    for row in &rows {
        let side = match row[2] {
            "B" => Side::Buy,
            "S" => Side::Sell,
            other => return Err(format!("unknown side {other:?}")),
        };
        let id: u64 = row[3]
            .parse()
            .map_err(|e| format!("order id {:?}: {e}", row[3]))?;
        let price = parse_fixed(row[4], price_scale)?;
        let quantity = u64::try_from(parse_fixed(row[5], qty_scale)?).map_err(|e| e.to_string())?;
        let add = Command::Submit(NewOrder::limit(id, id, side, price, quantity));
        match row[1] {
            "A" => commands.push(add),
            "M" => commands.extend([Command::Cancel(OrderId(id)), add]),
            "C" => commands.push(Command::Cancel(OrderId(id))),
            other => return Err(format!("unknown action {other:?}")),
        }
    }
    Ok(Flow {
        messages: rows.len(),
        commands,
    })
}

fn replay(book: &mut OrderBook, commands: &[Command], out: &mut Vec<Event>) {
    for (n, &command) in commands.iter().enumerate() {
        book.apply(command, UnixMicros(n as i64), out);
        out.clear();
    }
}

/// Replays once keeping the events, to check that the file is what it claims to be.
fn check(flow: &Flow) {
    let mut book = OrderBook::with_capacity(4096);
    let mut out = Vec::new();
    for (n, &command) in flow.commands.iter().enumerate() {
        out.clear();
        book.apply(command, UnixMicros(n as i64), &mut out);
        if let Some(event) = out.iter().find(|e| {
            matches!(
                e,
                Event::Fill(_) | Event::Rejected { .. } | Event::CancelRejected { .. }
            )
        }) {
            panic!("command {n} ({command:?}) of a non-crossing flow gave {event:?}");
        }
    }
    println!(
        "orderflow: {} messages ({} commands), {} live orders at the end over {} + {} levels",
        flow.messages,
        flow.commands.len(),
        book.live_orders(),
        book.level_count(Side::Buy),
        book.level_count(Side::Sell)
    );
}

/// `parse_fixed` must be exact: checked on every run, since a bench has no test harness.
fn check_parser() {
    assert_eq!(parse_fixed("100000", 0), Ok(100_000));
    assert_eq!(parse_fixed("100.25", 2), Ok(10_025));
    assert_eq!(parse_fixed("100.2", 2), Ok(10_020));
    assert_eq!(parse_fixed("-0.07", 2), Ok(-7));
    assert_eq!(parse_fixed("0.1", 8), Ok(10_000_000));
    assert_eq!(
        parse_fixed("0.29", 2),
        Ok(29),
        "no float rounding (0.29 * 100 = 28.999... in f64)"
    );
    assert!(parse_fixed("1.234", 2).is_err());
    assert!(parse_fixed("1e5", 2).is_err());
    assert!(parse_fixed("", 2).is_err());
}

fn main() {
    check_parser();
    let path = data_path();
    if !path.exists() {
        println!(
            "orderflow bench skipped: {} not found. Generate it with:\n  python3 -m venv /tmp/gen && \
             /tmp/gen/bin/pip install numpy pandas && BENCH_DATA=bench-data /tmp/gen/bin/python \
             ../shared/bench/gen_orderflow.py",
            path.display()
        );
        return;
    }
    let flow = load(&path).unwrap_or_else(|e| panic!("reading the order flow: {e}"));
    check(&flow);
    let mut out = Vec::with_capacity(64);
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let mut book = OrderBook::with_capacity(4096);
        let start = Instant::now();
        replay(&mut book, &flow.commands, &mut out);
        best = best.min(start.elapsed());
        black_box(&book);
    }
    println!(
        "orderflow replay: {:.1} ns/message ({:.2} M messages/s), best of 5\n",
        best.as_nanos() as f64 / flow.messages as f64,
        flow.messages as f64 / best.as_secs_f64() / 1e6
    );
    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .configure_from_args();
    let mut group = criterion.benchmark_group("orderflow");
    group.throughput(Throughput::Elements(flow.messages as u64));
    group.bench_function("replay_orderflow_1000000", |b| {
        b.iter_batched_ref(
            || (OrderBook::with_capacity(4096), Vec::with_capacity(64)),
            |(book, out)| replay(book, &flow.commands, out),
            BatchSize::PerIteration,
        )
    });
    group.finish();
    criterion.final_summary();
}
