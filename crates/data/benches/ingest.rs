//! CSV ingest speed on the file peers were measured on (`synth_1000000.csv`, 66 MB, from
//! `../shared/bench/gen_data.py`), read from `$BENCH_DATA` or `bench-data/`.
//!
//!     cargo bench -p aetherion-data --bench ingest

use std::time::Instant;

fn main() {
    let dir = std::env::var("BENCH_DATA").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench-data").to_owned());
    let path = std::path::Path::new(&dir).join("synth_1000000.csv");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("{} is missing: make it with ../shared/bench/gen_data.py (see ../shared/bench/README.md)", path.display());
        return;
    };
    let mut best = f64::MAX;
    let mut rows = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let bars = aetherion_data::parse_ohlcv(&bytes).expect("the benchmark file parses");
        best = best.min(t.elapsed().as_secs_f64());
        rows = bars.len();
    }
    let mb = bytes.len() as f64 / 1e6;
    println!("ingest {rows} rows, {mb:.1} MB: best of 5 {:.3} s = {:.0} MB/s ({:.0} ns/row)", best, mb / best, best * 1e9 / rows as f64);
}
