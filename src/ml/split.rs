//! Train / validation splits. A forecasting model must be validated on its future, so besides a
//! seeded random split there is a split by time on a date column: the last N distinct dates, or
//! every row from a cut-off date on, is the validation set.
//!
//! Specs come from the command line and the Train pane as text: `random:0.2`,
//! `time:week_start:26` (last 26 dates) or `time:week_start:2023-07-03` (from that date on).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;
use super::frame::day_numbers;
use crate::data::sample::SampleRng;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SplitSpec {
    Random { validation_fraction: f64, seed: u64 },
    LastDates { column: String, dates: usize },
    FromDate { column: String, cutoff: NaiveDate },
}

impl SplitSpec {
    /// Parses `random:F`, `time:COLUMN:N` or `time:COLUMN:YYYY-MM-DD`; `seed` is the run's seed.
    pub fn parse(text: &str, seed: u64) -> Result<Self, MlError> {
        let bad = |why: &str| MlError::BadSplit {
            spec: text.to_string(),
            why: why.to_string(),
        };
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("random"), Some(fraction), None) => {
                let validation_fraction: f64 = fraction
                    .parse()
                    .map_err(|_| bad("the fraction is not a number (e.g. random:0.2)"))?;
                if !(validation_fraction > 0.0 && validation_fraction < 1.0) {
                    return Err(bad(
                        "the validation fraction must be between 0 and 1, exclusive",
                    ));
                }
                Ok(SplitSpec::Random {
                    validation_fraction,
                    seed,
                })
            }
            (Some("time"), Some(column), Some(last)) if !column.is_empty() => {
                if let Ok(dates) = last.parse::<usize>() {
                    if dates == 0 {
                        return Err(bad("at least one date must be held out"));
                    }
                    return Ok(SplitSpec::LastDates {
                        column: column.to_string(),
                        dates,
                    });
                }
                let cutoff = NaiveDate::parse_from_str(last, "%Y-%m-%d").map_err(|_| {
                    bad("after the column comes a count of dates (26) or a cut-off date (2023-07-03)")
                })?;
                Ok(SplitSpec::FromDate {
                    column: column.to_string(),
                    cutoff,
                })
            }
            _ => Err(bad(
                "expected random:FRACTION, time:COLUMN:LAST_N or time:COLUMN:YYYY-MM-DD",
            )),
        }
    }
}

impl fmt::Display for SplitSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitSpec::Random {
                validation_fraction,
                ..
            } => write!(f, "random:{validation_fraction}"),
            SplitSpec::LastDates { column, dates } => write!(f, "time:{column}:{dates}"),
            SplitSpec::FromDate { column, cutoff } => write!(f, "time:{column}:{cutoff}"),
        }
    }
}

impl FromStr for SplitSpec {
    type Err = MlError;

    /// Parses with seed 0; use `SplitSpec::parse` to give the run's seed.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        SplitSpec::parse(text, 0)
    }
}

/// Row numbers of each side, ascending, and what a run records about the split.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Vec<IdxSize>,
    pub validation: Vec<IdxSize>,
    /// For time splits: the first validation date and the last training date.
    pub validation_from: Option<NaiveDate>,
    pub train_until: Option<NaiveDate>,
}

pub fn split(df: &DataFrame, spec: &SplitSpec) -> Result<Split, MlError> {
    let rows = df.height();
    let split = match spec {
        SplitSpec::Random {
            validation_fraction,
            seed,
        } => random_split(rows, *validation_fraction, *seed),
        SplitSpec::LastDates { column, dates } => {
            let days = day_numbers(df, column)?;
            let mut distinct: Vec<i32> = days.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if *dates >= distinct.len() {
                return Err(MlError::BadSplit {
                    spec: spec.to_string(),
                    why: format!(
                        "column '{column}' has {} distinct dates; holding out {dates} leaves \
                         nothing to train on",
                        distinct.len()
                    ),
                });
            }
            time_split(&days, distinct[distinct.len() - dates])
        }
        SplitSpec::FromDate { column, cutoff } => {
            let days = day_numbers(df, column)?;
            time_split(&days, day_number(*cutoff))
        }
    };
    if split.train.is_empty() || split.validation.is_empty() {
        return Err(MlError::BadSplit {
            spec: spec.to_string(),
            why: format!(
                "it leaves {} training and {} validation rows; both need at least one",
                split.train.len(),
                split.validation.len()
            ),
        });
    }
    Ok(split)
}

fn random_split(rows: usize, fraction: f64, seed: u64) -> Split {
    let mut order: Vec<IdxSize> = (0..rows as IdxSize).collect();
    let mut rng = SampleRng::new(seed);
    // Fisher-Yates with the project's own seeded generator: the same seed, the same split,
    // whatever the version of any random-number crate.
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let held_out = ((rows as f64) * fraction).round() as usize;
    let mut validation = order[..held_out.min(rows)].to_vec();
    let mut train = order[held_out.min(rows)..].to_vec();
    validation.sort_unstable();
    train.sort_unstable();
    Split {
        train,
        validation,
        validation_from: None,
        train_until: None,
    }
}

fn time_split(days: &[i32], first_validation_day: i32) -> Split {
    let mut train = Vec::new();
    let mut validation = Vec::new();
    let mut train_until = None::<i32>;
    let mut validation_from = None::<i32>;
    for (row, &day) in days.iter().enumerate() {
        if day >= first_validation_day {
            validation.push(row as IdxSize);
            validation_from = Some(validation_from.map_or(day, |d| d.min(day)));
        } else {
            train.push(row as IdxSize);
            train_until = Some(train_until.map_or(day, |d| d.max(day)));
        }
    }
    Split {
        train,
        validation,
        validation_from: validation_from.and_then(date_of),
        train_until: train_until.and_then(date_of),
    }
}

/// Day zero of polars' Date type (chrono's default date is the same 1970-01-01).
fn epoch() -> NaiveDate {
    NaiveDate::default()
}

fn day_number(date: NaiveDate) -> i32 {
    date.signed_duration_since(epoch()).num_days() as i32
}

fn date_of(day: i32) -> Option<NaiveDate> {
    epoch().checked_add_signed(chrono::Duration::days(i64::from(day)))
}
