//! Test and benchmark helpers: reading OHLCV files, the location of the benchmark data, and a deterministic bar generator.
#![allow(dead_code)]

use std::path::PathBuf;

use aetherion_backtest::Bar;
use aetherion_model::{UnixMicros, days_from_civil};

/// Reads an OHLCV CSV with the platform's ingest (`aetherion-data`).
pub fn parse_csv(text: &str) -> Vec<Bar> {
    aetherion_data::parse_ohlcv(text.as_bytes()).expect("a valid OHLCV file")
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
