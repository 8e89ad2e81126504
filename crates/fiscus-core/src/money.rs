//! Money as `i64` fen (分). No float ever touches an amount: parsing and formatting are
//! done on the decimal text, sums that could overflow are taken in `i128`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rejection::Rejection;

/// An amount of money in fen (1 元 = 100 分).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    pub fn checked_mul(self, factor: i64) -> Option<Fen> {
        self.0.checked_mul(factor).map(Fen)
    }

    /// Sum without overflow: the total is taken in `i128` and rejected if it does not fit.
    pub fn sum<I: IntoIterator<Item = Fen>>(items: I) -> Option<Fen> {
        let total: i128 = items.into_iter().map(|fen| i128::from(fen.0)).sum();
        i64::try_from(total).ok().map(Fen)
    }

    /// Parses a 元 amount written as decimal text: `1234`, `1234.5`, `1,234.56`, `-3.10`.
    /// More than two decimals is an error, never a rounding.
    pub fn parse_yuan(text: &str, field: &'static str) -> Result<Fen, Rejection> {
        let invalid = || Rejection::AmountInvalid { field };
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '，')
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
            return Err(invalid());
        }
        let whole_yuan: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction_fen: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| invalid())? * 10,
            _ => fraction.parse::<i64>().map_err(|_| invalid())?,
        };
        let magnitude = whole_yuan
            .checked_mul(100)
            .and_then(|fen| fen.checked_add(fraction_fen))
            .ok_or_else(invalid)?;
        Ok(Fen(if negative { -magnitude } else { magnitude }))
    }

    /// 元 with two decimals and thousands separators, for views and reports only.
    pub fn to_yuan_string(self) -> String {
        let negative = self.0 < 0;
        let magnitude = self.0.unsigned_abs();
        let whole = (magnitude / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!(
            "{}{}.{:02}",
            if negative { "-" } else { "" },
            grouped,
            magnitude % 100
        )
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_format_round_trip() {
        let cases: &[(&str, Option<i64>)] = &[
            ("0", Some(0)),
            ("1", Some(100)),
            ("1.5", Some(150)),
            ("1.05", Some(105)),
            ("1,234,567.89", Some(123_456_789)),
            ("-3.10", Some(-310)),
            ("1.234", None),
            ("abc", None),
            ("", None),
            (".5", None),
            ("1e3", None),
            ("92233720368547758.08", None),
        ];
        for (text, expected) in cases {
            let parsed = Fen::parse_yuan(text, "amount").ok().map(|fen| fen.0);
            assert_eq!(parsed, *expected, "parsing {text:?}");
        }
        assert_eq!(Fen(123_456_789).to_yuan_string(), "1,234,567.89");
        assert_eq!(Fen(-5).to_yuan_string(), "-0.05");
        assert_eq!(Fen(100_000).to_yuan_string(), "1,000.00");
    }

    #[test]
    fn sum_detects_overflow() {
        assert_eq!(Fen::sum([Fen(1), Fen(2)]), Some(Fen(3)));
        assert_eq!(Fen::sum([Fen(i64::MAX), Fen(1)]), None);
        assert_eq!(
            Fen::sum([Fen(i64::MAX), Fen(1), Fen(-1)]),
            Some(Fen(i64::MAX))
        );
    }
}
