//! Market data coming in from files: OHLCV CSV parsing into bars, in the layouts people have.
//!
//! Architecture invariant: pure: bytes in, bars or a precise error out; no IO, no clock.

mod codec;
mod csv;
mod time;

pub use codec::{BAR_BYTES, decode_bars, encode_bars};
pub use csv::{CsvError, parse_ohlcv};
pub use time::parse_timestamp;
