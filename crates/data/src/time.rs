//! Timestamps as they appear in OHLCV files: epoch numbers in seconds, milliseconds,
//! microseconds or nanoseconds, and ISO 8601 dates and date-times. No time-zone database:
//! times without an offset are UTC.

use aetherion_model::{UnixMicros, days_from_civil};

/// Parses one timestamp; `None` when it is neither an epoch number nor ISO 8601.
pub fn parse_timestamp(text: &str) -> Option<UnixMicros> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.len() >= 10 && t.as_bytes()[4] == b'-' {
        return iso8601(t);
    }
    if t.bytes().all(|b| b.is_ascii_digit()) || (t.starts_with('-') && t.len() > 1 && t[1..].bytes().all(|b| b.is_ascii_digit())) {
        return epoch(t.parse::<i64>().ok()?);
    }
    if let Some((int, frac)) = t.split_once('.')
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && !frac.is_empty()
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        // Fractional epoch seconds, e.g. 1700000000.25.
        let seconds: i64 = int.parse().ok()?;
        let mut micros: i64 = 0;
        for (i, b) in frac.bytes().take(6).enumerate() {
            micros += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
        }
        return seconds.checked_mul(1_000_000)?.checked_add(micros).map(UnixMicros);
    }
    iso8601(t)
}

/// An epoch number, its unit guessed from its size (as pandas and most tools do for the
/// present era): up to 1e11 seconds, then milliseconds, microseconds, nanoseconds.
fn epoch(n: i64) -> Option<UnixMicros> {
    let abs = n.unsigned_abs();
    let micros = if abs < 100_000_000_000 {
        n.checked_mul(1_000_000)?
    } else if abs < 100_000_000_000_000 {
        n.checked_mul(1_000)?
    } else if abs < 100_000_000_000_000_000 {
        n
    } else {
        n / 1_000
    };
    Some(UnixMicros(micros))
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0i64, |n, b| n * 10 + i64::from(b - b'0')))
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space and `HH:MM[:SS[.f+]]`, optionally `Z` or
/// `+HH:MM` / `-HH:MM` (or `+HHMM`).
fn iso8601(t: &str) -> Option<UnixMicros> {
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut micros = days_from_civil(year, month, day) * 86_400_000_000;
    let mut rest = &b[10..];
    if rest.is_empty() {
        return Some(UnixMicros(micros));
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    rest = &rest[1..];
    if rest.len() < 5 || rest[2] != b':' {
        return None;
    }
    let (hour, minute) = (digits(&rest[0..2])?, digits(&rest[3..5])?);
    let mut second = 0;
    let mut fraction = 0;
    rest = &rest[5..];
    if rest.first() == Some(&b':') {
        second = digits(rest.get(1..3)?)?;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let end = rest[1..].iter().position(|c| !c.is_ascii_digit()).map_or(rest.len(), |p| p + 1);
            let frac = &rest[1..end];
            if frac.is_empty() {
                return None;
            }
            for (i, d) in frac.iter().take(6).enumerate() {
                fraction += i64::from(d - b'0') * 10_i64.pow(5 - i as u32);
            }
            rest = &rest[end..];
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    micros += ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction;
    match rest {
        [] | [b'Z'] => {}
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] | [sign @ (b'+' | b'-'), oh1, oh2, om1, om2] => {
            let offset = (digits(&[*oh1, *oh2])? * 60 + digits(&[*om1, *om2])?) * 60_000_000;
            micros -= if *sign == b'+' { offset } else { -offset };
        }
        _ => return None,
    }
    Some(UnixMicros(micros))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<i64> {
        parse_timestamp(s).map(|t| t.0)
    }

    #[test]
    fn epochs_in_every_unit() {
        assert_eq!(p("1700000000"), Some(1_700_000_000_000_000));
        assert_eq!(p("1700000000000"), Some(1_700_000_000_000_000));
        assert_eq!(p("1700000000000000"), Some(1_700_000_000_000_000));
        assert_eq!(p("1700000000000000000"), Some(1_700_000_000_000_000));
        assert_eq!(p("1700000000.5"), Some(1_700_000_000_500_000));
    }

    #[test]
    fn iso_dates_and_times() {
        assert_eq!(p("1970-01-01"), Some(0));
        assert_eq!(p("2023-11-14 22:13:20"), Some(1_700_000_000_000_000));
        assert_eq!(p("2023-11-14T22:13:20Z"), Some(1_700_000_000_000_000));
        assert_eq!(p("2023-11-14T22:13:20.25"), Some(1_700_000_000_250_000));
        assert_eq!(p("2023-11-15T00:13:20+02:00"), Some(1_700_000_000_000_000));
        assert_eq!(p("2023-11-14T17:13:20-0500"), Some(1_700_000_000_000_000));
        assert_eq!(p("2024-02-29 00:00"), Some(1_709_164_800_000_000));
        for bad in ["", "yesterday", "2023-13-01", "2023-02-30", "2023-11-14T25:00", "2023-11-14X22:13", "2023-11-14T22:13:20+2", "12:30"] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }
}
