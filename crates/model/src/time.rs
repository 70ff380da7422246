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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number since 1970-01-01 (the inverse of
/// [`days_from_civil`]).
pub const fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if month <= 2 { 1 } else { 0 }, month, day)
}

impl std::fmt::Display for UnixMicros {
    /// RFC 3339 in UTC with microseconds, e.g. `2024-01-01T00:00:00.000000Z`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.seconds();
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z", rem / 3600, rem / 60 % 60, rem % 60, self.0.rem_euclid(1_000_000))
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

    #[test]
    fn civil_dates_round_trip_and_print_as_rfc3339() {
        for days in [-719_468, -1, 0, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(UnixMicros(0).to_string(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(UnixMicros(1_700_000_000_250_000).to_string(), "2023-11-14T22:13:20.250000Z");
        assert_eq!(UnixMicros(-1).to_string(), "1969-12-31T23:59:59.999999Z");
    }
}
