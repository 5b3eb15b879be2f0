//! Column profiles: what an analyst reads before choosing a target and features. The profile is
//! plain data (serde) so the store can cache it and the faces can show it without polars.

use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::read::MissingTokens;
pub use super::sample_rows::{day_text, number_text, sample_rows};

/// Bumped whenever the profile's shape or meaning changes, so cached profiles are recomputed.
pub const PROFILE_VERSION: i64 = 2;
pub const HISTOGRAM_BINS: usize = 20;
pub const TOP_VALUES: usize = 10;
pub const SAMPLE_ROWS: usize = 100;
/// A text column with more distinct values than this share of its rows (and more than 50) is free
/// text or an identifier, not a category.
const TEXT_DISTINCT_SHARE: f64 = 0.5;
/// Number columns with at most this many distinct values also get their top values listed
/// (flags, store numbers, day of week).
const NUMERIC_TOP_MAX_DISTINCT: u64 = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Numeric,
    Categorical,
    Boolean,
    Date,
    Datetime,
    Text,
}

impl ColumnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Boolean => "boolean",
            ColumnKind::Date => "date",
            ColumnKind::Datetime => "datetime",
            ColumnKind::Text => "text",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumericSummary {
    pub min: f64,
    pub mean: f64,
    /// Sample standard deviation (n - 1), as pandas' describe.
    pub std: f64,
    pub q25: f64,
    pub median: f64,
    pub q75: f64,
    pub max: f64,
    pub zeros: u64,
}

/// Counts in `counts.len()` equal-width bins from `min` to `max` (the last bin includes `max`).
/// Dates are binned by day number (days since 1970-01-01).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub min: f64,
    pub max: f64,
    pub counts: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopValue {
    pub value: String,
    pub count: u64,
    /// Share of all rows (missing ones included).
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DateRange {
    pub min: String,
    pub max: String,
    pub days: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub kind: ColumnKind,
    pub dtype: String,
    pub missing: u64,
    pub missing_pct: f64,
    /// How the missing values were written in the file (`NA`, blank…), most frequent first.
    #[serde(default)]
    pub missing_written: MissingTokens,
    /// Distinct non-missing values.
    pub distinct: u64,
    pub numeric: Option<NumericSummary>,
    pub top: Vec<TopValue>,
    pub histogram: Option<Histogram>,
    pub date_range: Option<DateRange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowSample {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetProfile {
    pub path: String,
    pub format: String,
    pub sha256: String,
    pub bytes: u64,
    pub rows: u64,
    pub columns: Vec<ColumnProfile>,
    pub sample: RowSample,
    pub notes: Vec<String>,
    /// The cell texts read as missing (the project's `na_values`).
    #[serde(default)]
    pub na_values: Vec<String>,
}

impl ColumnProfile {
    /// "50.8% missing, written NA" (or "no missing values"): the one wording of every face.
    pub fn missing_text(&self) -> String {
        if self.missing == 0 {
            return "no missing values".to_string();
        }
        match self.missing_written.describe() {
            Some(written) => format!("{:.1}% missing, written {written}", self.missing_pct),
            None => format!("{:.1}% missing", self.missing_pct),
        }
    }
}

/// Profiles every column of `df`, spreading columns over the available cores. `on_column` is
/// called after each column with (columns done, columns total).
pub fn profile_columns(
    df: &DataFrame,
    on_column: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<ColumnProfile>, PolarsError> {
    let columns = df.columns();
    let total = columns.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, total.max(1));
    let results: Vec<Vec<(usize, Result<ColumnProfile, PolarsError>)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            if index >= total {
                                break;
                            }
                            let series = columns[index].as_materialized_series();
                            mine.push((index, profile_series(series)));
                            on_column(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                        }
                        mine
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
    let mut ordered: Vec<Option<ColumnProfile>> = vec![None; total];
    for (index, result) in results.into_iter().flatten() {
        ordered[index] = Some(result?);
    }
    ordered
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            p.ok_or_else(|| {
                PolarsError::ComputeError(format!("profiling column {i} did not finish").into())
            })
        })
        .collect()
}

pub fn profile_series(series: &Series) -> Result<ColumnProfile, PolarsError> {
    let rows = series.len() as u64;
    let missing = series.null_count() as u64;
    let missing_pct = if rows == 0 {
        0.0
    } else {
        missing as f64 * 100.0 / rows as f64
    };
    let dtype = series.dtype().clone();
    let mut profile = ColumnProfile {
        name: series.name().to_string(),
        kind: ColumnKind::Numeric,
        dtype: dtype.to_string(),
        missing,
        missing_pct,
        missing_written: MissingTokens::default(),
        distinct: 0,
        numeric: None,
        top: Vec::new(),
        histogram: None,
        date_range: None,
    };
    match dtype {
        DataType::Boolean => {
            profile.kind = ColumnKind::Boolean;
            let ca = series.bool()?;
            let trues = ca.sum().unwrap_or(0) as u64;
            let falses = rows - missing - trues;
            let mut top = vec![("true".to_string(), trues), ("false".to_string(), falses)];
            top.retain(|(_, c)| *c > 0);
            profile.distinct = top.len() as u64;
            profile.top = top_values(top, rows);
        }
        DataType::String => {
            let ca = series.str()?;
            let mut counts: PlHashMap<&str, u64> = PlHashMap::default();
            for value in ca.iter().flatten() {
                *counts.entry(value).or_default() += 1;
            }
            profile.distinct = counts.len() as u64;
            let non_missing = rows - missing;
            profile.kind = if profile.distinct > 50
                && profile.distinct as f64 > TEXT_DISTINCT_SHARE * non_missing as f64
            {
                ColumnKind::Text
            } else {
                ColumnKind::Categorical
            };
            profile.top = top_values(
                counts
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
                rows,
            );
        }
        DataType::Date | DataType::Datetime(_, _) => {
            profile.kind = if dtype == DataType::Date {
                ColumnKind::Date
            } else {
                ColumnKind::Datetime
            };
            let as_date = series.cast(&DataType::Date)?;
            let days: Vec<f64> = as_date
                .date()?
                .physical()
                .iter()
                .flatten()
                .map(f64::from)
                .collect();
            profile.distinct = match small_integer_distinct(&days) {
                Some(n) => n,
                None => distinct_non_null(series)?,
            };
            if let (Some(min), Some(max)) = (min_of(&days), max_of(&days)) {
                profile.date_range = Some(DateRange {
                    min: day_text(min as i32),
                    max: day_text(max as i32),
                    days: (max - min) as i64 + 1,
                });
                profile.histogram = Some(histogram(&days, min, max));
            }
        }
        ref other if other.is_primitive_numeric() => {
            profile.kind = ColumnKind::Numeric;
            let as_f64 = series.cast(&DataType::Float64)?;
            let values: Vec<f64> = as_f64.f64()?.iter().flatten().collect();
            profile.distinct = match small_integer_distinct(&values) {
                Some(n) => n,
                None => distinct_non_null(series)?,
            };
            profile.numeric = numeric_summary(&values);
            if let Some(summary) = &profile.numeric {
                profile.histogram = Some(histogram(&values, summary.min, summary.max));
            }
            if profile.distinct <= NUMERIC_TOP_MAX_DISTINCT {
                profile.top = top_values(few_distinct_counts(&values), rows);
            }
        }
        _ => {
            profile.kind = ColumnKind::Text;
            profile.distinct = distinct_non_null(series)?;
        }
    }
    Ok(profile)
}

/// Integer values spanning at most this many numbers are counted with a bitmap.
const BITMAP_SPAN: f64 = 16_000_000.0;

/// Distinct count of whole numbers in a modest range (store ids, unit sales, day numbers) with a
/// bitmap: one pass, no hashing. `None` when the values are not all such numbers.
fn small_integer_distinct(values: &[f64]) -> Option<u64> {
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values {
        if v.fract() != 0.0 {
            return None;
        }
        min = min.min(v);
        max = max.max(v);
    }
    if values.is_empty() {
        return Some(0);
    }
    // NaN and infinities were refused above (their fract() is not 0).
    if max - min > BITMAP_SPAN {
        return None;
    }
    let mut seen = vec![0u64; ((max - min) as usize) / 64 + 1];
    for &v in values {
        let offset = (v - min) as usize;
        seen[offset / 64] |= 1 << (offset % 64);
    }
    Some(seen.iter().map(|w| u64::from(w.count_ones())).sum())
}

fn distinct_non_null(series: &Series) -> Result<u64, PolarsError> {
    let n = series.n_unique()? as u64;
    Ok(if series.null_count() > 0 {
        n.saturating_sub(1)
    } else {
        n
    })
}

/// Counts of a column known to hold few distinct values: a short list searched from its most
/// recent hit beats hashing a million numbers.
fn few_distinct_counts(values: &[f64]) -> Vec<(String, u64)> {
    let mut counts: Vec<(u64, f64, u64)> = Vec::new();
    let mut last = 0;
    for &v in values {
        let bits = v.to_bits();
        if counts.get(last).is_some_and(|c| c.0 == bits) {
            counts[last].2 += 1;
            continue;
        }
        match counts.iter().position(|c| c.0 == bits) {
            Some(i) => {
                counts[i].2 += 1;
                last = i;
            }
            None => {
                counts.push((bits, v, 1));
                last = counts.len() - 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|(_, v, c)| (number_text(v), c))
        .collect()
}

/// Most frequent first; ties by value so the order is the same on every run.
fn top_values(mut counts: Vec<(String, u64)>, rows: u64) -> Vec<TopValue> {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
        .into_iter()
        .take(TOP_VALUES)
        .map(|(value, count)| TopValue {
            value,
            count,
            share: if rows == 0 {
                0.0
            } else {
                count as f64 / rows as f64
            },
        })
        .collect()
}

fn min_of(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::min)
}

fn max_of(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::max)
}

pub fn numeric_summary(values: &[f64]) -> Option<NumericSummary> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    let mut sum = 0.0;
    let mut zeros = 0u64;
    for &v in values {
        min = min.min(v);
        max = max.max(v);
        sum += v;
        if v == 0.0 {
            zeros += 1;
        }
    }
    let mean = sum / n as f64;
    // Two passes: the textbook sum-of-squares formula loses precision on large sales figures.
    let std = if n > 1 {
        let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        (ss / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let mut scratch = values.to_vec();
    let [q25, median, q75] = quartiles(&mut scratch);
    Some(NumericSummary {
        min,
        mean,
        std,
        q25,
        median,
        q75,
        max,
        zeros,
    })
}

/// The q-quantile with linear interpolation between order statistics (numpy's and polars'
/// default), found by selection in O(n) rather than a full sort.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    let n = values.len();
    quantile_of_smallest(values, q, n)
}

/// The quartiles, each selection working on what the previous one left below it: after the
/// q75 selection the smallest three quarters sit in front, so the median needs only those, and
/// the q25 only the smallest half. About half the work of three full selections.
pub fn quartiles(values: &mut [f64]) -> [f64; 3] {
    let n = values.len();
    if n < 64 {
        return [0.25, 0.5, 0.75].map(|q| quantile(values, q));
    }
    let rank = |q: f64| (q * (n - 1) as f64).floor() as usize;
    let q75 = quantile_of_smallest(values, 0.75, n);
    // values[..=rank(0.75)] now holds the rank(0.75)+1 smallest values; the median needs ranks
    // rank(0.5) and rank(0.5)+1, both inside it for n >= 64.
    let median = quantile_of_smallest(&mut values[..=rank(0.75)], 0.5, n);
    let q25 = quantile_of_smallest(&mut values[..=rank(0.5)], 0.25, n);
    [q25, median, q75]
}

/// The q-quantile of `n` values, given a slice holding at least their smallest ranks up to the
/// one after the quantile's position.
fn quantile_of_smallest(values: &mut [f64], q: f64, n: usize) -> f64 {
    if n == 0 || values.is_empty() {
        return f64::NAN;
    }
    let position = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lower = position.floor() as usize;
    if lower >= values.len() {
        return f64::NAN;
    }
    let fraction = position - lower as f64;
    let (_, &mut low, right) = values.select_nth_unstable_by(lower, f64::total_cmp);
    if fraction == 0.0 || right.is_empty() {
        return low;
    }
    let high = right.iter().copied().fold(f64::INFINITY, f64::min);
    low + fraction * (high - low)
}

pub fn histogram(values: &[f64], min: f64, max: f64) -> Histogram {
    let mut counts = vec![0u64; HISTOGRAM_BINS];
    let width = (max - min) / HISTOGRAM_BINS as f64;
    for &v in values {
        let bin = if width > 0.0 {
            (((v - min) / width) as usize).min(HISTOGRAM_BINS - 1)
        } else {
            0
        };
        counts[bin] += 1;
    }
    Histogram { min, max, counts }
}
