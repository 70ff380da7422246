//! Test and benchmark helpers: a minimal OHLCV CSV reader (the real ingest is the server's),
//! the location of the benchmark data, and a deterministic bar generator.
#![allow(dead_code)]

use std::path::PathBuf;

use aetherion_backtest::Bar;
use aetherion_model::UnixMicros;

/// Reads `timestamp,open,high,low,close,volume` with `YYYY-MM-DDTHH:MM:SSZ` timestamps.
pub fn parse_csv(text: &str) -> Vec<Bar> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp,open,high,low,close,volume"), "unexpected header");
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut f = line.split(',');
            let mut next = || f.next().expect("a column is missing");
            let time = parse_iso(next());
            let mut num = || next().parse::<f64>().expect("not a number");
            Bar { time, open: num(), high: num(), low: num(), close: num(), volume: num() }
        })
        .collect()
}

fn parse_iso(s: &str) -> UnixMicros {
    let b = s.as_bytes();
    assert!(b.len() == 20 && b[4] == b'-' && b[10] == b'T' && b[19] == b'Z', "bad timestamp {s}");
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().expect("bad timestamp");
    let days = days_from_civil(n(0..4), n(5..7), n(8..10));
    UnixMicros((days * 86_400 + n(11..13) * 3_600 + n(14..16) * 60 + n(17..19)) * 1_000_000)
}

/// Howard Hinnant's `days_from_civil`.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The benchmark data directory: `$BENCH_DATA`, else the workspace's `bench-data/`.
pub fn bench_data_dir() -> PathBuf {
    match std::env::var_os("BENCH_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench-data"),
    }
}

/// `synth_<n>.csv` from the benchmark data, if it has been generated.
pub fn load_synth(n: usize) -> Option<Vec<Bar>> {
    let path = bench_data_dir().join(format!("synth_{n}.csv"));
    let text = std::fs::read_to_string(path).ok()?;
    let bars = parse_csv(&text);
    assert_eq!(bars.len(), n);
    Some(bars)
}

/// A deterministic geometric random walk of one-minute bars, shaped like `gen_data.py`'s
/// (splitmix64 noise instead of NumPy's, so not the same numbers).
pub fn synthetic_bars(n: usize, seed: u64) -> Vec<Bar> {
    let mut state = seed;
    let mut uniform = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    };
    let start = days_from_civil(2020, 1, 1) * 86_400_000_000;
    let mut close = 100.0;
    (0..n)
        .map(|i| {
            let open = close;
            close = open * (1.0 + (uniform() - 0.5) * 0.0035);
            let high = open.max(close) * (1.0 + uniform() * 0.0008);
            let low = open.min(close) * (1.0 - uniform() * 0.0008);
            Bar {
                time: UnixMicros(start + i as i64 * 60_000_000),
                open,
                high,
                low,
                close,
                volume: 1_000.0,
            }
        })
        .collect()
}
