//! Calendar dates as day numbers (days since 1970-01-01), with the precision of a coded date.
//! A small type of our own: the model needs civil-date arithmetic, parsing and period starts,
//! nothing of time zones.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A civil date in the proleptic Gregorian calendar, stored as days since 1970-01-01.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// A window from `start` to `end` (either open) as callers give it: an end before the start
    /// is bad input, named `end`.
    pub fn check_window(start: Option<Date>, end: Option<Date>) -> Result<()> {
        match (start, end) {
            (Some(s), Some(e)) if s > e => Err(Error::invalid("end", format!("end {e} is before start {s}"))),
            _ => Ok(()),
        }
    }

    /// Earliest date the model accepts (event data starts in the 20th century).
    pub const MIN: Date = Date(-25567); // 1900-01-01
    /// Latest date the model accepts.
    pub const MAX: Date = Date(47482); // 2099-12-31

    /// The date with this day number (days since 1970-01-01).
    pub const fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> i32 {
        self.0
    }

    /// The date of a year, month and day, or `None` when no such day exists (2023-02-30).
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        // Beyond ±9999 years the arithmetic below could overflow; no record needs them.
        if !(-9999..=9999).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = (m as i32 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146097 + doe - 719468))
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719468;
        let era = if z >= 0 { z } else { z - 146096 } / 146097;
        let doe = z - era * 146097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// Day of the week, 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as u32
    }

    /// This date plus `n` days.
    pub fn add_days(self, n: i32) -> Date {
        Date(self.0 + n)
    }

    /// The first day of this date's month.
    pub fn month_start(self) -> Date {
        let (y, m, _) = self.ymd();
        Date::from_ymd(y, m, 1).unwrap_or(self)
    }

    /// The first day of this date's year.
    pub fn year_start(self) -> Date {
        Date::from_ymd(self.year(), 1, 1).unwrap_or(self)
    }

    /// The first day of the period of `precision` that contains this date.
    pub fn truncate(self, precision: DatePrecision) -> Date {
        match precision {
            DatePrecision::Day => self,
            DatePrecision::Month => self.month_start(),
            DatePrecision::Year => self.year_start(),
        }
    }

    /// Parses `YYYY-MM-DD` strictly (zero-padded, a real day, within [`Date::MIN`]..[`Date::MAX`]).
    pub fn parse(s: &str) -> Result<Date> {
        let b = s.as_bytes();
        let bad = || Error::invalid("date", format!("`{s}` is not a date (expected YYYY-MM-DD)"));
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32))
        };
        let (y, m, d) = match (num(0..4), num(5..7), num(8..10)) {
            (Some(y), Some(m), Some(d)) => (y as i32, m, d),
            _ => return Err(bad()),
        };
        let date =
            Date::from_ymd(y, m, d).ok_or_else(|| Error::invalid("date", format!("`{s}` is an impossible date")))?;
        date.check_range()
    }

    /// Parses an optional date given in `field` (empty means not given); errors name the field.
    pub fn parse_field(s: &str, field: &str) -> Result<Option<Date>> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        Date::parse(s).map(Some).map_err(|e| e.in_field(field))
    }

    /// Parses `YYYYMMDD` (GDELT's SQLDATE), strictly.
    pub fn parse_compact(s: &str) -> Result<Date> {
        let b = s.as_bytes();
        if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
            return Err(Error::invalid("date", format!("`{s}` is not a date (expected YYYYMMDD)")));
        }
        let n = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, c| a * 10 + (c - b'0') as u32);
        Date::from_ymd(n(0..4) as i32, n(4..6), n(6..8))
            .ok_or_else(|| Error::invalid("date", format!("`{s}` is an impossible date")))?
            .check_range()
    }

    fn check_range(self) -> Result<Date> {
        if self < Date::MIN || self > Date::MAX {
            return Err(Error::invalid(
                "date",
                format!("{self} is outside the supported range 1900-01-01..2099-12-31"),
            ));
        }
        Ok(self)
    }

    /// Today's date (UTC) from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Date((secs / 86_400) as i32)
    }
}

/// Days in a month of a year.
pub(crate) fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Date {
    type Err = Error;
    fn from_str(s: &str) -> Result<Date> {
        Date::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Date, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How precisely a date is known: an event dated "in December" has month precision and is placed
/// on the first day of the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DatePrecision {
    /// Known to the day.
    #[default]
    Day,
    /// Known to the month.
    Month,
    /// Known to the year.
    Year,
}

impl DatePrecision {
    /// The lowercase name used in records: `day`, `month`, `year`.
    pub fn as_str(self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Month => "month",
            DatePrecision::Year => "year",
        }
    }

    /// Parses `day`, `month` or `year`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "day" => Ok(DatePrecision::Day),
            "month" => Ok(DatePrecision::Month),
            "year" => Ok(DatePrecision::Year),
            _ => Err(Error::invalid("date_precision", format!("`{s}` is not one of day, month, year"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_days() {
        assert_eq!(Date::from_ymd(1970, 1, 1).map(Date::days), Some(0));
        assert_eq!(Date::parse("2023-05-11").map(|d| d.to_string()).ok().as_deref(), Some("2023-05-11"));
        // 2023-05-11 was a Thursday.
        assert_eq!(Date::parse("2023-05-11").map(Date::weekday).ok(), Some(3));
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2023-5-11").is_err());
        assert!(Date::parse("1800-01-01").is_err());
        assert_eq!(Date::parse_compact("20221201").map(|d| d.to_string()).ok().as_deref(), Some("2022-12-01"));
    }

    proptest! {
        #[test]
        fn round_trips(days in Date::MIN.days()..=Date::MAX.days()) {
            let d = Date::from_days(days);
            let (y, m, dd) = d.ymd();
            prop_assert_eq!(Date::from_ymd(y, m, dd), Some(d));
            prop_assert_eq!(Date::parse(&d.to_string()).ok(), Some(d));
        }
    }
}
