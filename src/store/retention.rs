//! How long logged predictions are kept: `--log-retention` on `serve` and `--older-than` on
//! `predictions prune` read the same ages (`12h`, `7d`, `30d`, `2w`; `0` or `keep`: forever).
//! This module only turns an age into a cutoff time; the store deletes the rows.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;
/// A century: longer is surely a typo, and chrono could not count that far back anyway.
const LONGEST: u64 = 36_525 * DAY;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// Nothing is ever pruned.
    Forever,
    /// Records older than this are pruned.
    For(Duration),
}

#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(
        "'{0}' is not an age: give a whole number with h, d or w (12h, 7d, 30d, 2w), or 0 / keep \
         to keep every logged prediction"
    )]
    Unreadable(String),
    #[error("'{0}' is longer than a century; give an age such as 365d, or keep")]
    TooLong(String),
}

/// Reads an age as the command line gives it (`30d`); clap calls it as a value parser.
pub fn parse_retention(text: &str) -> Result<Retention, RetentionError> {
    let trimmed = text.trim();
    if trimmed == "0" || trimmed.eq_ignore_ascii_case("keep") {
        return Ok(Retention::Forever);
    }
    let unreadable = || RetentionError::Unreadable(text.to_string());
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(digits_end);
    let count: u64 = digits.parse().map_err(|_| unreadable())?;
    let unit_seconds = match unit.trim().to_ascii_lowercase().as_str() {
        "h" => HOUR,
        "d" => DAY,
        "w" => WEEK,
        _ => return Err(unreadable()),
    };
    if count == 0 {
        // `0d` reads as `0`: keep forever, never "prune everything".
        return Ok(Retention::Forever);
    }
    let seconds = count
        .checked_mul(unit_seconds)
        .filter(|s| *s <= LONGEST)
        .ok_or_else(|| RetentionError::TooLong(text.to_string()))?;
    Ok(Retention::For(Duration::from_secs(seconds)))
}

impl std::str::FromStr for Retention {
    type Err = RetentionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_retention(text)
    }
}

impl Retention {
    /// Records made before this time are past the retention; `None` keeps everything.
    pub fn cutoff(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Retention::Forever => None,
            Retention::For(age) => TimeDelta::from_std(*age)
                .ok()
                .and_then(|age| now.checked_sub_signed(age)),
        }
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retention::Forever => write!(f, "keep"),
            Retention::For(age) if age.as_secs() % DAY == 0 => {
                write!(f, "{}d", age.as_secs() / DAY)
            }
            Retention::For(age) => write!(f, "{}h", age.as_secs() / HOUR),
        }
    }
}
