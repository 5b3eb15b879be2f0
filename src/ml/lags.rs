//! Lag and rolling-mean features by group for time series ("units of the same store and item 1,
//! 2, 4 and 52 weeks back; their mean over the last 4 and 13 weeks"), computed from the past only.
//!
//! Lags are taken by date, not by row position: the period of each group is its most common gap
//! between consecutive dates (7 days for weekly data), and lag k is the value exactly k periods
//! earlier, or missing when that date has no row (a store closed for refurbishment leaves gaps).
//! A rolling mean over w periods averages the values found in the w periods before the row; the
//! row's own value is never used, so no feature sees the target it helps predict.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;
use super::frame::{column, day_numbers};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagSpec {
    pub date: String,
    pub groups: Vec<String>,
    pub value: String,
    pub lags: Vec<usize>,
    pub rolling_means: Vec<usize>,
}

impl LagSpec {
    pub fn output_names(&self) -> Vec<String> {
        let lags = self.lags.iter().map(|k| format!("{}__lag_{k}", self.value));
        let means = self
            .rolling_means
            .iter()
            .map(|w| format!("{}__mean_{w}", self.value));
        lags.chain(means).collect()
    }
}

/// `df` with one Float64 column per lag and rolling mean (missing where the past is not there),
/// in the original row order.
pub fn add_lag_features(df: &DataFrame, spec: &LagSpec) -> Result<DataFrame, MlError> {
    let days = day_numbers(df, &spec.date)?;
    let values = numbers(df, &spec.value)?;
    let groups = group_keys(df, &spec.groups)?;
    let rows = df.height();

    // Rows ordered by (group, date): each group is then one contiguous, date-sorted run.
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by(|&a, &b| groups[a].cmp(&groups[b]).then(days[a].cmp(&days[b])));
    let outputs = spec.output_names();
    let mut columns: Vec<Vec<Option<f64>>> = vec![vec![None; rows]; outputs.len()];

    let mut start = 0;
    while start < rows {
        let mut end = start + 1;
        while end < rows && groups[order[end]] == groups[order[start]] {
            end += 1;
        }
        let run = &order[start..end];
        let run_days: Vec<i32> = run.iter().map(|&r| days[r]).collect();
        if let Some(duplicate) = run_days.windows(2).find(|w| w[0] == w[1]) {
            let day = crate::data::profile::day_text(duplicate[0]);
            return Err(MlError::BadFeature {
                column: spec.value.clone(),
                why: if spec.groups.is_empty() {
                    format!(
                        "two rows share the date {day}; lags need one row per date, or the \
                         columns of one series (--group, e.g. store,item)"
                    )
                } else {
                    format!(
                        "two rows of the same {} share the date {day}; lags need one row per \
                         group and date",
                        spec.groups.join(" + ")
                    )
                },
            });
        }
        let period = most_common_gap(&run_days);
        // Prefix sums over present values, for rolling means in O(log n) per row.
        let mut sum = vec![0.0; run.len() + 1];
        let mut count = vec![0usize; run.len() + 1];
        for (i, &r) in run.iter().enumerate() {
            let v = values[r];
            sum[i + 1] = sum[i] + v.unwrap_or(0.0);
            count[i + 1] = count[i] + usize::from(v.is_some());
        }
        for (i, &row) in run.iter().enumerate() {
            let day = run_days[i];
            // In i64: a lag of many periods reaches before any date an i32 day can hold, and
            // finds nothing, rather than overflowing.
            let back = |periods: usize| i64::from(day) - i64::from(period) * periods as i64;
            for (slot, &k) in spec.lags.iter().enumerate() {
                let wanted = back(k);
                columns[slot][row] = run_days[..i]
                    .binary_search_by(|d| i64::from(*d).cmp(&wanted))
                    .ok()
                    .and_then(|j| values[run[j]]);
            }
            for (n, &w) in spec.rolling_means.iter().enumerate() {
                // Rows dated in [day - w * period, day - 1]: strictly before this row.
                let from = run_days[..i].partition_point(|&d| i64::from(d) < back(w));
                let present = count[i] - count[from];
                columns[spec.lags.len() + n][row] =
                    (present > 0).then(|| (sum[i] - sum[from]) / present as f64);
            }
        }
        start = end;
    }

    let mut out = df.clone();
    for (name, values) in outputs.iter().zip(columns) {
        let series = Float64Chunked::from_iter_options(name.into(), values.into_iter());
        out.with_column(series.into_series().into_column())?;
    }
    Ok(out)
}

/// The most frequent gap (in days) between consecutive dates; 1 for a single date.
pub(super) fn most_common_gap(days: &[i32]) -> i32 {
    let mut gaps: Vec<i32> = days.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let mut best = (1, 0usize);
    let mut i = 0;
    while i < gaps.len() {
        let mut j = i;
        while j < gaps.len() && gaps[j] == gaps[i] {
            j += 1;
        }
        if j - i > best.1 {
            best = (gaps[i], j - i);
        }
        i = j;
    }
    best.0.max(1)
}

pub(super) fn numbers(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>, MlError> {
    let column = column(df, name)?;
    if !column.dtype().is_primitive_numeric() {
        return Err(MlError::BadFeature {
            column: name.to_string(),
            why: format!("lags need numbers, and it holds {} values", column.dtype()),
        });
    }
    let cast = column.cast(&DataType::Float64)?;
    Ok(cast.as_materialized_series().f64()?.iter().collect())
}

/// Each row's group as text ("S01|I003"); one group for all rows when `groups` is empty.
/// Each row's series key (the group values joined by '|', as forecasts record them) and date
/// (days since the epoch).
pub fn series_and_days(df: &DataFrame, lags: &LagSpec) -> Result<(Vec<String>, Vec<i32>), MlError> {
    let keys = group_keys(df, &lags.groups)?
        .into_iter()
        .map(|k| k.trim_end_matches('|').to_string())
        .collect();
    Ok((keys, super::frame::day_numbers(df, &lags.date)?))
}

pub(super) fn group_keys(df: &DataFrame, groups: &[String]) -> Result<Vec<String>, MlError> {
    let mut keys = vec![String::new(); df.height()];
    for name in groups {
        let text = column(df, name)?.cast(&DataType::String)?;
        let text = text.as_materialized_series().str()?.clone();
        for (key, value) in keys.iter_mut().zip(text.iter()) {
            key.push_str(value.unwrap_or("\u{0}missing"));
            key.push('|');
        }
    }
    Ok(keys)
}

/// Refuses a lag or window that finds no value in any training row (one that reaches back
/// further than the series' training history), naming it and the history's length, before a
/// run is recorded: the model could not learn from an empty feature.
pub fn check_reach(
    frame: &DataFrame,
    spec: &LagSpec,
    features: &[String],
    train: &[IdxSize],
) -> Result<(), MlError> {
    let periods = spec.lags.iter().chain(&spec.rolling_means);
    for (name, periods) in spec.output_names().iter().zip(periods) {
        if !features.contains(name) {
            continue;
        }
        let values = column(frame, name)?;
        let idx = IdxCa::from_vec("rows".into(), train.to_vec());
        if values.as_materialized_series().take(&idx)?.null_count() < train.len() {
            continue;
        }
        let days = day_numbers(frame, &spec.date)?;
        let mut train_days: Vec<i32> = train.iter().map(|&r| days[r as usize]).collect();
        train_days.sort_unstable();
        train_days.dedup();
        return Err(MlError::BadFeature {
            column: name.clone(),
            why: format!(
                "it looks {periods} periods back, and the training rows span {} dates: no \
                 training row has that much history; choose a shorter lag, window or season, or \
                 train on more of the past",
                train_days.len()
            ),
        });
    }
    Ok(())
}
