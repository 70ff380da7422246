//! OHLCV CSV files: the common layouts, checked row by row, with errors that name the line
//! and the column.
//!
//! Accepted:
//! - a header naming the columns, in any order and case: a time column (`timestamp`, `time`,
//!   `date`, `datetime`, `open_time`, `ts`), or `date` and `time` columns together; `open`,
//!   `high`, `low`, `close`; optionally `volume` (0 when absent); other columns are ignored;
//! - no header: `time, open, high, low, close[, volume, ...]`, which covers Binance kline
//!   files (open time in milliseconds, then OHLCV, then six more columns);
//! - `,`, `;` or tab as separator (from the first line); quoted fields; `\r\n` line ends;
//! - times as epoch seconds, milliseconds, microseconds or nanoseconds, or ISO 8601.
//!
//! Every row must have positive, finite prices with `low <= open, close <= high`, a volume
//! of zero or more, and a time after the previous row's.

use aetherion_model::UnixMicros;
use aetherion_strategy::Bar;

use crate::time::parse_timestamp;

/// Why a file is not a valid OHLCV series. `line` counts from 1, the header included.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct CsvError {
    pub line: usize,
    pub column: String,
    pub message: String,
}

fn error(line: usize, column: &str, message: impl Into<String>) -> CsvError {
    CsvError { line, column: column.to_owned(), message: message.into() }
}

/// Where each value is in a row.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Layout {
    /// One time column, or a date column and a time-of-day column.
    time: (usize, Option<usize>),
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: Option<usize>,
    header: bool,
}

const TIME_NAMES: [&str; 8] = ["timestamp", "time", "date", "datetime", "open_time", "opentime", "open time", "ts"];

fn clean(field: &[u8]) -> &[u8] {
    let mut f = field;
    while let [b' ' | b'\t' | b'\r', rest @ ..] = f {
        f = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r'] = f {
        f = rest;
    }
    if f.len() >= 2 && f[0] == b'"' && f[f.len() - 1] == b'"' {
        f = &f[1..f.len() - 1];
    }
    f
}

fn layout(first: &[u8], sep: u8) -> Result<Layout, CsvError> {
    let names: Vec<String> = first.split(|&b| b == sep).map(|f| String::from_utf8_lossy(clean(f)).to_lowercase()).collect();
    let looks_like_header = names.iter().any(|n| n.bytes().any(|b| b.is_ascii_alphabetic()) && parse_timestamp(n).is_none());
    if !looks_like_header {
        if names.len() < 5 {
            return Err(error(1, "header", format!("a file without a header needs time, open, high, low, close columns; this one has {}", names.len())));
        }
        return Ok(Layout { time: (0, None), open: 1, high: 2, low: 3, close: 4, volume: (names.len() > 5).then_some(5), header: false });
    }
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let time = match (find(&["date"]), find(&["time"])) {
        (Some(d), Some(t)) => (d, Some(t)),
        _ => (find(&TIME_NAMES).ok_or_else(|| error(1, "header", "no time column (timestamp, time, date, datetime, open_time)"))?, None),
    };
    let need = |name: &str| find(&[name]).ok_or_else(|| error(1, "header", format!("no {name} column")));
    Ok(Layout {
        time,
        open: need("open")?,
        high: need("high")?,
        low: need("low")?,
        close: need("close")?,
        volume: find(&["volume", "vol"]),
        header: true,
    })
}

fn separator(first: &[u8]) -> u8 {
    [b',', b';', b'\t'].into_iter().max_by_key(|s| first.iter().filter(|b| *b == s).count()).unwrap_or(b',')
}

const NAMES: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// Powers of ten that an `f64` holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The common case of a plain decimal (`123.4567`, at most 15 significant digits), converted
/// exactly as the standard parser would: the digits form an integer below 2^53 and the power
/// of ten is exact, so one correctly rounded division gives the correctly rounded result.
/// Anything else (signs, exponents, long mantissas) returns `None` for the standard parser.
fn fast_decimal(field: &[u8]) -> Option<f64> {
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut decimals = 0;
    let mut seen_point = false;
    for &b in field {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
                if seen_point {
                    decimals += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 || decimals > 22 {
        return None;
    }
    Some(mantissa as f64 / POW10[decimals])
}

/// Files larger than this are parsed in two halves on two threads.
const PARALLEL_BYTES: usize = 4 << 20;

/// Parses a whole file into bars, or the first problem found.
pub fn parse_ohlcv(input: &[u8]) -> Result<Vec<Bar>, CsvError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let Some((first_index, first)) = input.split(|&b| b == b'\n').enumerate().find(|(_, l)| !clean(l).is_empty()) else {
        return Err(error(1, "file", "is empty"));
    };
    let sep = separator(first);
    let layout = layout(first, sep)?;
    // The rows: everything after the header line (or from the first line without a header).
    let header_end = if layout.header {
        input.split(|&b| b == b'\n').take(first_index + 1).map(|l| l.len() + 1).sum::<usize>().min(input.len())
    } else {
        0
    };
    let first_row_line = if layout.header { first_index + 1 } else { 0 };
    let rows = &input[header_end..];
    let parser = Rows { layout: &layout, sep, time_name: if layout.header { "timestamp" } else { "column 1 (time)" } };
    let bars = if rows.len() < PARALLEL_BYTES {
        parser.parse(rows, first_row_line)?
    } else {
        // Split at a line end near the middle; the second half counts its lines itself and
        // learns its offset only if it has to report an error.
        let middle = rows.len() / 2 + rows[rows.len() / 2..].iter().position(|&b| b == b'\n').map_or(rows.len() - rows.len() / 2, |p| p + 1);
        let (a, b) = rows.split_at(middle);
        let (first_half, second_half) = std::thread::scope(|scope| {
            let second = scope.spawn(|| parser.parse(b, 0));
            (parser.parse(a, first_row_line), second.join())
        });
        let mut bars = first_half?;
        let offset = || first_row_line + a.iter().filter(|&&c| c == b'\n').count();
        let more = match second_half {
            Ok(result) => result.map_err(|e| CsvError { line: e.line + offset(), ..e })?,
            Err(_) => return Err(error(0, "file", "could not be parsed")),
        };
        if let (Some(last), Some(next)) = (bars.last(), more.first())
            && next.time <= last.time
        {
            let line = offset() + 1 + b.iter().take_while(|&&c| c == b'\n' || c == b'\r').count();
            return Err(error(line, parser.time_name, "is not after the previous row's time (rows must be in time order, without repeats)"));
        }
        bars.extend(more);
        bars
    };
    if bars.is_empty() {
        return Err(error(first_index + 2, "file", "has a header but no rows"));
    }
    Ok(bars)
}

struct Rows<'a> {
    layout: &'a Layout,
    sep: u8,
    time_name: &'static str,
}

impl Rows<'_> {
    /// Parses rows; `line0` is the 0-based line number of the first line of `rows`.
    fn parse(&self, rows: &[u8], line0: usize) -> Result<Vec<Bar>, CsvError> {
        let (layout, sep, time_name) = (self.layout, self.sep, self.time_name);
        let mut bars = Vec::with_capacity(rows.len() / 48);
        let mut fields: Vec<&[u8]> = Vec::with_capacity(16);
        let mut previous: Option<UnixMicros> = None;
        for (index, line) in rows.split(|&b| b == b'\n').enumerate() {
            if clean(line).is_empty() {
                continue;
            }
            let number = line0 + index + 1;
            fields.clear();
            fields.extend(line.split(|&b| b == sep).map(clean));
            let field = |i: usize, name: &str| -> Result<&str, CsvError> {
                let raw = fields.get(i).ok_or_else(|| error(number, name, format!("is missing (the row has {} columns)", fields.len())))?;
                std::str::from_utf8(raw).map_err(|_| error(number, name, "is not text"))
            };
            let time = match layout.time {
                (t, None) => {
                    let text = field(t, time_name)?;
                    parse_timestamp(text).ok_or_else(|| error(number, time_name, format!("{text:?} is not a time (epoch number or ISO 8601)")))?
                }
                (d, Some(t)) => {
                    let text = format!("{} {}", field(d, "date")?, field(t, "time")?);
                    parse_timestamp(&text).ok_or_else(|| error(number, "date", format!("{text:?} is not a date and time")))?
                }
            };
            if let Some(p) = previous
                && time <= p
            {
                return Err(error(number, time_name, "is not after the previous row's time (rows must be in time order, without repeats)"));
            }
            previous = Some(time);
            let mut values = [0.0f64; 5];
            let columns = [Some(layout.open), Some(layout.high), Some(layout.low), Some(layout.close), layout.volume];
            for (k, column) in columns.into_iter().enumerate() {
                let Some(column) = column else { continue };
                let raw = fields.get(column).ok_or_else(|| error(number, NAMES[k], format!("is missing (the row has {} columns)", fields.len())))?;
                let value = match fast_decimal(raw) {
                    Some(v) => v,
                    None => {
                        let text = field(column, NAMES[k])?;
                        text.parse().map_err(|_| error(number, NAMES[k], format!("{text:?} is not a number")))?
                    }
                };
                if !value.is_finite() || value < 0.0 || (k < 4 && value == 0.0) {
                    let what = if k < 4 { "a positive price" } else { "a volume of zero or more" };
                    let text = String::from_utf8_lossy(raw);
                    return Err(error(number, NAMES[k], format!("{text:?} must be {what}")));
                }
                values[k] = value;
            }
            let [open, high, low, close, volume] = values;
            if high < open.max(close) || high < low {
                return Err(error(number, "high", format!("{high} is below the open, close or low")));
            }
            if low > open.min(close) {
                return Err(error(number, "low", format!("{low} is above the open or close")));
            }
            bars.push(Bar { time, open, high, low, close, volume });
        }
        Ok(bars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<Bar> {
        parse_ohlcv(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(text: &str) -> (usize, String) {
        let e = parse_ohlcv(text.as_bytes()).unwrap_err();
        (e.line, e.column)
    }

    #[test]
    fn the_standard_header_with_epoch_seconds() {
        let bars = ok("timestamp,open,high,low,close,volume\n1700000000,10,12,9,11,5\n1700000060,11,13,10,12,6\n");
        assert_eq!(bars.len(), 2);
        assert_eq!(bars[0], Bar { time: UnixMicros(1_700_000_000_000_000), open: 10.0, high: 12.0, low: 9.0, close: 11.0, volume: 5.0 });
    }

    #[test]
    fn common_variants() {
        // Columns in another order and case, ISO times, CRLF, a BOM, quotes, no volume.
        let bars = ok("\u{feff}Date,Close,Open,Low,High\r\n\"2024-01-01 00:00:00\",11,10,9,12\r\n2024-01-01 00:01:00,12,11,10,13\r\n");
        assert_eq!((bars[0].open, bars[0].close, bars[0].volume), (10.0, 11.0, 0.0));
        assert_eq!(bars[1].time.0 - bars[0].time.0, 60_000_000);
        // Separate date and time columns, semicolons.
        let bars = ok("date;time;open;high;low;close;volume\n2024-01-01;09:30;10;12;9;11;100\n2024-01-01;09:31;11;12;10;11;50\n");
        assert_eq!(bars[1].time.0 - bars[0].time.0, 60_000_000);
        // Binance klines: no header, milliseconds, twelve columns.
        let bars = ok("1700000000000,37000.1,37100,36900,37050,12.5,1700000059999,463000,1200,6,222000,0\n1700000060000,37050,37060,37000,37010,3,1700000119999,111000,300,1,37000,0\n");
        assert_eq!((bars.len(), bars[0].time.0, bars[0].volume), (2, 1_700_000_000_000_000, 12.5));
        // Milliseconds with a header.
        assert_eq!(ok("time,open,high,low,close\n1700000000000,1,1,1,1\n")[0].time.0, 1_700_000_000_000_000);
    }

    #[test]
    fn the_fast_number_path_agrees_with_the_standard_parser() {
        for text in ["0", "1", "100.0", "99.970037", "0.000001", "123456789012345", "1234567.89012345", "0.1", "7118"] {
            assert_eq!(fast_decimal(text.as_bytes()), Some(text.parse::<f64>().unwrap()), "{text}");
        }
        for text in ["", ".", "1e5", "-1", "+1", "1.2.3", "1234567890123456", "nan", "inf"] {
            assert_eq!(fast_decimal(text.as_bytes()), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn prop_fast_numbers_equal_standard_ones(int in 0u64..100_000_000, frac in 0u64..10_000_000, width in 1usize..8) {
            let text = format!("{int}.{frac:0width$}");
            if let Some(fast) = fast_decimal(text.as_bytes()) {
                proptest::prop_assert_eq!(fast, text.parse::<f64>().unwrap());
            }
        }
    }

    fn big_file(rows: usize, bad_row: Option<usize>) -> String {
        let mut text = String::from("timestamp,open,high,low,close,volume\n");
        for i in 0..rows {
            let close = if Some(i) == bad_row { "oops".to_owned() } else { format!("{}.5", 100 + i % 7) };
            text.push_str(&format!("{},100.25,108.75,99.5,{close},{}\n", 1_600_000_000 + i as i64 * 60, i % 1000));
        }
        text
    }

    #[test]
    fn big_files_parse_in_two_halves_with_exact_line_numbers() {
        let rows = 120_000; // about 5 MB: above the parallel threshold
        let text = big_file(rows, None);
        assert!(text.len() > PARALLEL_BYTES);
        let bars = ok(&text);
        assert_eq!(bars.len(), rows);
        assert!(bars.windows(2).all(|w| w[1].time.0 - w[0].time.0 == 60_000_000));
        for bad in [10, rows - 10] {
            let e = parse_ohlcv(big_file(rows, Some(bad)).as_bytes()).unwrap_err();
            assert_eq!((e.line, e.column.as_str()), (bad + 2, "close"), "row {bad}");
        }
    }

    #[test]
    fn errors_name_the_line_and_the_column() {
        let head = "timestamp,open,high,low,close,volume\n";
        assert_eq!(err(""), (1, "file".into()));
        assert_eq!(err(head), (2, "file".into()));
        assert_eq!(err("when,open,high,low,close\n1,1,1,1,1\n"), (1, "header".into()));
        assert_eq!(err("timestamp,open,high,low\n1,1,1,1\n"), (1, "header".into()));
        assert_eq!(err(&format!("{head}1700000000,10,12,9,11,5\nsoon,10,12,9,11,5\n")), (3, "timestamp".into()));
        assert_eq!(err(&format!("{head}1700000000,abc,12,9,11,5\n")), (2, "open".into()));
        assert_eq!(err(&format!("{head}1700000000,10,12,9,NaN,5\n")), (2, "close".into()));
        assert_eq!(err(&format!("{head}1700000000,10,12,9,11,-5\n")), (2, "volume".into()));
        assert_eq!(err(&format!("{head}1700000000,10,8,9,11,5\n")), (2, "high".into()));
        assert_eq!(err(&format!("{head}1700000000,10,12,10.5,11,5\n")), (2, "low".into()));
        assert_eq!(err(&format!("{head}1700000000,10,12,9\n")), (2, "close".into()));
        assert_eq!(err(&format!("{head}1700000060,10,12,9,11,5\n1700000000,10,12,9,11,5\n")), (3, "timestamp".into()));
        assert_eq!(err(&format!("{head}1700000000,0,12,9,11,5\n")), (2, "open".into()));
    }
}
