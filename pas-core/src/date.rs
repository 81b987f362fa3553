//! Dates: strict ISO 8601 calendar dates, birth dates checked against an `as_of`, and ages.
//!
//! `as_of` is always a parameter (DOMAIN preamble): pas-core never reads the clock, so every
//! decision can be replayed.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{ErrorCode, FieldRule};

/// Parses exactly `YYYY-MM-DD` (ASCII digits, real calendar day). Surrounding spaces are trimmed.
///
/// Stricter than chrono's `%Y-%m-%d` (which also takes `2024-1-5`), because CSV exchange
/// between systems should have one spelling per date.
pub fn parse_iso_date(raw: &str) -> Option<NaiveDate> {
    let b = crate::trim(raw).as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// The earliest accepted birth date (DOMAIN §1).
pub const EARLIEST_BIRTH_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A birth date: a real calendar date, not before 1900-01-01 and not after the `as_of` it was
/// checked against.
///
/// ```
/// use chrono::NaiveDate;
/// use pas_core::BirthDate;
/// let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
/// let b = BirthDate::parse("1951-11-25", as_of)?;
/// assert_eq!(b.age_on(as_of), 75);
/// assert!(BirthDate::parse("2026-11-26", as_of).is_err());
/// # Ok::<(), pas_core::BirthDateError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "NaiveDate", into = "NaiveDate")]
pub struct BirthDate(NaiveDate);

/// Why a birth date was refused. Never contains the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BirthDateError {
    /// Blank.
    #[error("birth date is required")]
    Empty,
    /// Not `YYYY-MM-DD` or not a real calendar day (e.g. 2023-02-29).
    #[error("birth date must be a real date written YYYY-MM-DD")]
    NotADate,
    /// After the reference date.
    #[error("birth date is after the reference date {as_of}")]
    AfterAsOf {
        /// The reference date it was checked against (not PHI).
        as_of: NaiveDate,
    },
    /// Before 1900-01-01.
    #[error("birth date is before 1900-01-01")]
    Before1900,
}

impl FieldRule for BirthDateError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MissingField,
            _ => ErrorCode::InvalidBirthDate,
        }
    }
}

impl BirthDate {
    /// Parse `YYYY-MM-DD` and check it against `as_of`.
    pub fn parse(raw: &str, as_of: NaiveDate) -> Result<Self, BirthDateError> {
        if crate::trim(raw).is_empty() {
            return Err(BirthDateError::Empty);
        }
        let date = parse_iso_date(raw).ok_or(BirthDateError::NotADate)?;
        Self::new(date, as_of)
    }

    /// Check a date against `as_of`.
    pub fn new(date: NaiveDate, as_of: NaiveDate) -> Result<Self, BirthDateError> {
        if date < EARLIEST_BIRTH_DATE {
            Err(BirthDateError::Before1900)
        } else if date > as_of {
            Err(BirthDateError::AfterAsOf { as_of })
        } else {
            Ok(Self(date))
        }
    }

    /// The date.
    pub const fn date(self) -> NaiveDate {
        self.0
    }

    /// Age in whole years on `on` (DOMAIN §4), 0 if `on` is before the birth date.
    ///
    /// Someone born on 29 February turns a year older on 1 March in common years (the
    /// month-and-day comparison that chrono's `years_since` makes).
    pub fn age_on(self, on: NaiveDate) -> u32 {
        on.years_since(self.0).unwrap_or(0)
    }
}

impl fmt::Debug for BirthDate {
    /// Birth dates are PHI: `Debug` shows only the year.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BirthDate({}-**-**)", self.0.year())
    }
}

impl TryFrom<NaiveDate> for BirthDate {
    type Error = BirthDateError;
    /// Without an `as_of` only the 1900 bound can be checked; [`BirthDate::new`] checks both.
    fn try_from(d: NaiveDate) -> Result<Self, Self::Error> {
        Self::new(d, NaiveDate::MAX)
    }
}

impl From<BirthDate> for NaiveDate {
    fn from(b: BirthDate) -> Self {
        b.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_dates_are_strict() {
        assert_eq!(parse_iso_date("2024-02-29"), Some(d(2024, 2, 29)));
        assert_eq!(parse_iso_date(" 2024-02-29 "), Some(d(2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "2024/02/29",
            "24-02-29",
            "2024-13-01",
            "2024-00-10",
            "",
            "２０２４-02-29",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn s1_birth_date_bounds() {
        let as_of = d(2026, 11, 25);
        assert!(BirthDate::parse("1900-01-01", as_of).is_ok());
        assert_eq!(BirthDate::parse("1899-12-31", as_of), Err(BirthDateError::Before1900));
        assert!(BirthDate::parse("2026-11-25", as_of).is_ok());
        assert_eq!(
            BirthDate::parse("2026-11-26", as_of),
            Err(BirthDateError::AfterAsOf { as_of })
        );
        assert_eq!(BirthDate::parse("2023-02-29", as_of), Err(BirthDateError::NotADate));
        assert_eq!(BirthDate::parse("  ", as_of), Err(BirthDateError::Empty));
    }

    #[test]
    fn s4_age_on_birthdays_and_leap_days() {
        let b = BirthDate::parse("2000-02-29", d(2026, 1, 1)).unwrap();
        assert_eq!(b.age_on(d(2001, 2, 28)), 0);
        assert_eq!(b.age_on(d(2001, 3, 1)), 1);
        assert_eq!(b.age_on(d(2004, 2, 28)), 3);
        assert_eq!(b.age_on(d(2004, 2, 29)), 4);
        assert_eq!(b.age_on(d(1999, 1, 1)), 0);
        let b = BirthDate::parse("1951-11-25", d(2026, 11, 25)).unwrap();
        assert_eq!(b.age_on(d(2026, 11, 24)), 74);
        assert_eq!(b.age_on(d(2026, 11, 25)), 75);
    }

    #[test]
    fn debug_hides_day_and_month() {
        let b = BirthDate::parse("1980-07-14", d(2026, 1, 1)).unwrap();
        assert_eq!(format!("{b:?}"), "BirthDate(1980-**-**)");
    }
}
