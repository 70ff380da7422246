/// A point in time as microseconds since the Unix epoch (UTC).
///
/// The core never reads a clock: callers pass the time in. Storage keeps this integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMicros(pub i64);

impl UnixMicros {
    pub const fn seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// Nanoseconds within the second, in `0..1_000_000_000`.
    pub const fn subsec_nanos(self) -> i32 {
        (self.0.rem_euclid(1_000_000) * 1_000) as i32
    }

    pub const fn plus_seconds(self, s: i64) -> Self {
        UnixMicros(self.0.saturating_add(s.saturating_mul(1_000_000)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_into_seconds_and_nanos_for_negative_times_too() {
        let t = UnixMicros(-1);
        assert_eq!((t.seconds(), t.subsec_nanos()), (-1, 999_999_000));
        let t = UnixMicros(1_500_000);
        assert_eq!((t.seconds(), t.subsec_nanos()), (1, 500_000_000));
        assert_eq!(t.plus_seconds(2), UnixMicros(3_500_000));
    }
}
