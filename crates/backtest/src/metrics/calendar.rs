//! Calendar arithmetic on UTC microseconds: the data period, the rounding unit of durations,
//! and the day/week/month/year bins of backtesting.py's `resample(...).last()`.

const NS_PER_US: i128 = 1_000;
const US_PER_DAY: i64 = 86_400_000_000;
const NS_PER_DAY: i128 = 86_400_000_000_000;

/// backtesting.py's `_data_period`: the median interval of the last 100 timestamps, in
/// nanoseconds (the median of an even count is the mean of the middle two, so it can fall on
/// half a microsecond). Zero with a single bar.
pub fn data_period_ns(times: &[i64]) -> i128 {
    let tail = &times[times.len().saturating_sub(100)..];
    let mut diffs: Vec<i128> = tail.windows(2).map(|w| (w[1] - w[0]) as i128 * NS_PER_US).collect();
    if diffs.is_empty() {
        return 0;
    }
    diffs.sort_unstable();
    let m = diffs.len();
    if m % 2 == 1 { diffs[m / 2] } else { (diffs[m / 2 - 1] + diffs[m / 2]) / 2 }
}

/// pandas' `Timedelta.resolution_string` as a length in nanoseconds: the smallest non-zero
/// component of the period (a day when there is none).
pub fn resolution_ns(period_ns: i128) -> i128 {
    // (unit, how many of it make the next unit)
    let components = [
        (1, 1_000),
        (1_000, 1_000),
        (1_000_000, 1_000),
        (1_000_000_000, 60),
        (60_000_000_000, 60),
        (3_600_000_000_000, 24),
    ];
    for (unit, count) in components {
        if (period_ns.abs() / unit) % count != 0 {
            return unit;
        }
    }
    NS_PER_DAY
}

/// A duration in nanoseconds rounded up to a multiple of `unit` (`Timedelta.ceil`), returned in
/// whole microseconds.
pub fn ceil_to_us(duration_ns: i128, unit: i128) -> i64 {
    let up = duration_ns.div_euclid(unit) * unit
        + if duration_ns.rem_euclid(unit) != 0 { unit } else { 0 };
    (up.div_euclid(NS_PER_US) + if up.rem_euclid(NS_PER_US) != 0 { 1 } else { 0 }) as i64
}

pub fn day(t: i64) -> i64 {
    t.div_euclid(US_PER_DAY)
}

/// Monday = 0 … Sunday = 6 (pandas' `dayofweek`); 1970-01-01 was a Thursday.
#[cfg(test)]
pub fn weekday(t: i64) -> i64 {
    weekday_of_day(day(t))
}

pub fn weekday_of_day(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// (year, month) of a day number.
pub fn year_month(days: i64) -> (i64, i64) {
    let (year, month, _) = aetherion_model::civil_from_days(days);
    (year, month)
}

/// The resampling bins of backtesting.py's returns: weekly (ending Sunday) for weekly data,
/// month-end for monthly, year-end for yearly, calendar days otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    Day,
    Week,
    Month,
    Year,
}

impl Bin {
    pub fn key(self, t: i64) -> i64 {
        match self {
            Bin::Day => day(t),
            Bin::Week => (day(t) + 3).div_euclid(7),
            Bin::Month => {
                let (y, m) = year_month(day(t));
                y * 12 + m
            }
            Bin::Year => year_month(day(t)).0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i128 = 60_000_000_000;

    #[test]
    fn period_and_resolution() {
        let minutes: Vec<i64> = (0..500).map(|i| i * 60_000_000).collect();
        assert_eq!(data_period_ns(&minutes), MIN);
        assert_eq!(resolution_ns(MIN), MIN);
        assert_eq!(resolution_ns(5 * MIN), MIN);
        assert_eq!(resolution_ns(60 * MIN), 60 * MIN);
        assert_eq!(resolution_ns(NS_PER_DAY), NS_PER_DAY);
        assert_eq!(resolution_ns(NS_PER_DAY + 1_000), 1_000);
        assert_eq!(resolution_ns(1_500_000_000), 1_000_000);
        assert_eq!(data_period_ns(&[0, 1, 3, 6, 10]), 2_500);
        assert_eq!(data_period_ns(&[7]), 0);
    }

    #[test]
    fn ceiling() {
        assert_eq!(ceil_to_us(MIN + 1, MIN), 120_000_000);
        assert_eq!(ceil_to_us(MIN, MIN), 60_000_000);
        assert_eq!(ceil_to_us(1, 1), 1);
    }

    #[test]
    fn dates() {
        assert_eq!(year_month(0), (1970, 1));
        assert_eq!(year_month(18_262), (2020, 1)); // 2020-01-01
        assert_eq!(year_month(18_321), (2020, 2)); // 2020-02-29
        assert_eq!(year_month(18_322), (2020, 3));
        assert_eq!(year_month(-1), (1969, 12));
        assert_eq!(weekday(0), 3);
        let monday = 4 * US_PER_DAY;
        let sunday = 10 * US_PER_DAY;
        assert_eq!((weekday(monday), weekday(sunday)), (0, 6));
        assert_eq!(Bin::Week.key(monday), Bin::Week.key(sunday));
        assert_ne!(Bin::Week.key(sunday), Bin::Week.key(sunday + US_PER_DAY));
    }
}
