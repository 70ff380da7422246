//! `Amount`: an exact decimal with eight fractional digits, stored as a scaled `i64`.
//!
//! Cash, fees, quantities and prices cross the API as decimal strings and live here as
//! integers. Parsing never goes through a float, and every operation is checked: an overflow
//! is reported, never wrapped.

use std::fmt;
use std::str::FromStr;

/// An exact decimal amount: `raw / 10^8`.
///
/// The range is about ±92 billion with eight decimals, enough for any balance, price or
/// quantity of a paper venue. Values are compared and stored as the raw integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

/// Why a decimal string is not a valid [`Amount`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("is empty")]
    Empty,
    #[error("is not a plain decimal number (digits, an optional '-' and one '.')")]
    Malformed,
    #[error("has more than {} decimal places", Amount::DECIMALS)]
    TooManyDecimals,
    #[error("is too large")]
    Overflow,
}

impl Amount {
    /// Number of fractional digits kept exactly.
    pub const DECIMALS: u32 = 8;
    /// `10^DECIMALS`: the raw value of one unit.
    pub const SCALE: i64 = 100_000_000;
    pub const ZERO: Amount = Amount(0);
    pub const MAX: Amount = Amount(i64::MAX);

    /// Builds an amount from its raw scaled integer.
    pub const fn from_raw(raw: i64) -> Self {
        Amount(raw)
    }

    /// The raw scaled integer (`value * 10^8`), the form stored in the database.
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// A whole number of units, or `None` on overflow.
    pub const fn from_units(units: i64) -> Option<Self> {
        match units.checked_mul(Self::SCALE) {
            Some(raw) => Some(Amount(raw)),
            None => None,
        }
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    pub fn checked_neg(self) -> Option<Amount> {
        self.0.checked_neg().map(Amount)
    }

    /// True when the amount is a whole multiple of `step` (a tick or lot size).
    /// A zero step accepts everything.
    pub fn is_multiple_of(self, step: Amount) -> bool {
        step.0 == 0 || self.0 % step.0 == 0
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Parses `[-]digits[.digits]` exactly. No exponent, no sign other than a leading '-',
    /// no spaces, at most eight decimals (`"1.000000000"` is rejected rather than rounded).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(AmountError::Empty);
        }
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
            return Err(AmountError::Malformed);
        }
        let frac = frac_part.unwrap_or("");
        if frac.len() > Self::DECIMALS as usize {
            return Err(AmountError::TooManyDecimals);
        }
        // Build a non-positive value so that i64::MIN stays reachable without overflow.
        let mut raw: i64 = 0;
        for b in int_part.bytes() {
            raw = raw
                .checked_mul(10)
                .and_then(|r| r.checked_sub(i64::from(b - b'0')))
                .ok_or(AmountError::Overflow)?;
        }
        raw = raw.checked_mul(Self::SCALE).ok_or(AmountError::Overflow)?;
        let mut frac_raw: i64 = 0;
        for b in frac.bytes() {
            frac_raw = frac_raw * 10 + i64::from(b - b'0');
        }
        frac_raw *= 10_i64.pow(Self::DECIMALS - frac.len() as u32);
        raw = raw.checked_sub(frac_raw).ok_or(AmountError::Overflow)?;
        if negative {
            Ok(Amount(raw))
        } else {
            raw.checked_neg().map(Amount).ok_or(AmountError::Overflow)
        }
    }
}

impl fmt::Display for Amount {
    /// Canonical form: no trailing fractional zeros, no '.' for whole amounts ("100000", "0.5").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = i128::from(self.0);
        let scale = i128::from(Self::SCALE);
        let sign = if raw < 0 { "-" } else { "" };
        let abs = raw.abs();
        let (int, frac) = (abs / scale, abs % scale);
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let digits = format!("{frac:08}");
        write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> Result<Amount, AmountError> {
        s.parse()
    }

    #[test]
    fn parses_plain_decimals_exactly() {
        assert_eq!(p("0"), Ok(Amount::ZERO));
        assert_eq!(p("1"), Ok(Amount::from_raw(100_000_000)));
        assert_eq!(p("42000.50"), Ok(Amount::from_raw(4_200_050_000_000)));
        assert_eq!(p("0.00000001"), Ok(Amount::from_raw(1)));
        assert_eq!(p("-2.5"), Ok(Amount::from_raw(-250_000_000)));
        assert_eq!(p("0.1").unwrap().raw() * 3, p("0.3").unwrap().raw());
    }

    #[test]
    fn rejects_what_is_not_a_plain_decimal() {
        assert_eq!(p(""), Err(AmountError::Empty));
        for bad in ["abc", "1e5", "NaN", "inf", " 1", "1 ", "+1", "1.", ".5", "1.2.3", "--1", "-", "1,5"] {
            assert_eq!(p(bad), Err(AmountError::Malformed), "{bad:?}");
        }
        assert_eq!(p("1.000000001"), Err(AmountError::TooManyDecimals));
        assert_eq!(p("92233720368.54775808"), Err(AmountError::Overflow));
        assert_eq!(p("99999999999999999999999"), Err(AmountError::Overflow));
    }

    #[test]
    fn extremes_round_trip() {
        assert_eq!(p("92233720368.54775807"), Ok(Amount::MAX));
        assert_eq!(p("-92233720368.54775808"), Ok(Amount::from_raw(i64::MIN)));
        assert_eq!(Amount::from_raw(i64::MIN).to_string(), "-92233720368.54775808");
    }

    #[test]
    fn displays_canonically() {
        assert_eq!(Amount::from_units(100_000).unwrap().to_string(), "100000");
        assert_eq!(p("42000.50").unwrap().to_string(), "42000.5");
        assert_eq!(p("-0.00000001").unwrap().to_string(), "-0.00000001");
    }

    #[test]
    fn multiples_of_a_step() {
        let tick = p("0.01").unwrap();
        assert!(p("42000.50").unwrap().is_multiple_of(tick));
        assert!(!p("42000.505").unwrap().is_multiple_of(tick));
    }

    proptest! {
        #[test]
        fn prop_display_then_parse_is_identity(raw in any::<i64>()) {
            let a = Amount::from_raw(raw);
            prop_assert_eq!(a.to_string().parse::<Amount>(), Ok(a));
        }

        #[test]
        fn prop_parse_matches_integer_arithmetic(int in 0u64..1_000_000_000, frac in 0u32..100_000_000) {
            let s = format!("{int}.{frac:08}");
            let expected = int as i64 * Amount::SCALE + i64::from(frac);
            prop_assert_eq!(p(&s).map(Amount::raw), Ok(expected));
        }
    }
}
