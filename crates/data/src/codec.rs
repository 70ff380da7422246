//! A compact binary form of bars for storage: 48 bytes each, little-endian.

use aetherion_model::UnixMicros;
use aetherion_strategy::Bar;

/// Bytes per encoded bar: the time (i64 microseconds) and five f64.
pub const BAR_BYTES: usize = 48;

pub fn encode_bars(bars: &[Bar]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bars.len() * BAR_BYTES);
    for b in bars {
        out.extend_from_slice(&b.time.0.to_le_bytes());
        for v in [b.open, b.high, b.low, b.close, b.volume] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// The bars of [`encode_bars`]; `None` if the length is not a whole number of bars.
pub fn decode_bars(bytes: &[u8]) -> Option<Vec<Bar>> {
    if !bytes.len().is_multiple_of(BAR_BYTES) {
        return None;
    }
    let word = |c: &[u8], i: usize| -> [u8; 8] { c[i * 8..i * 8 + 8].try_into().expect("eight bytes") };
    Some(
        bytes
            .chunks_exact(BAR_BYTES)
            .map(|c| Bar {
                time: UnixMicros(i64::from_le_bytes(word(c, 0))),
                open: f64::from_le_bytes(word(c, 1)),
                high: f64::from_le_bytes(word(c, 2)),
                low: f64::from_le_bytes(word(c, 3)),
                close: f64::from_le_bytes(word(c, 4)),
                volume: f64::from_le_bytes(word(c, 5)),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_round_trip_bit_for_bit() {
        let bars = vec![
            Bar { time: UnixMicros(-5), open: 1.5, high: 2.25, low: 0.1, close: 1.0, volume: 0.0 },
            Bar { time: UnixMicros(1_700_000_000_000_000), open: 99.970037, high: 1e300, low: 5e-324, close: 3.0, volume: 7118.0 },
        ];
        let bytes = encode_bars(&bars);
        assert_eq!(bytes.len(), 2 * BAR_BYTES);
        assert_eq!(decode_bars(&bytes), Some(bars));
        assert_eq!(decode_bars(&bytes[1..]), None);
    }
}
