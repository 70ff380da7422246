//! The server's one source of time. Domain crates never read a clock; they are handed
//! `UnixMicros` values from here.

use std::time::{SystemTime, UNIX_EPOCH};

use aetherion_model::UnixMicros;

/// The current wall-clock time.
pub fn now() -> UnixMicros {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    UnixMicros(micros)
}

/// A protobuf timestamp for `t`.
pub fn timestamp(t: UnixMicros) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.seconds(), nanos: t.subsec_nanos() }
}
