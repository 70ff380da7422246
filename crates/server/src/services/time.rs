//! Protobuf timestamps in requests.

use aetherion_model::UnixMicros;

use crate::error::ServiceError;

/// A request timestamp as microseconds, or INVALID_ARGUMENT naming `field`.
pub fn micros_of(ts: &prost_types::Timestamp, field: &'static str) -> Result<UnixMicros, ServiceError> {
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(ServiceError::invalid(field, "nanos must be in 0..1000000000"));
    }
    ts.seconds
        .checked_mul(1_000_000)
        .and_then(|s| s.checked_add(i64::from(ts.nanos / 1_000)))
        .map(UnixMicros)
        .ok_or_else(|| ServiceError::invalid(field, "is out of range"))
}
