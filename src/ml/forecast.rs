//! Horizon-aware validation: a time-split run with lag or rolling features is scored the way its
//! forecast will be made. From the cut-off, the validation dates are predicted in order; a lag or
//! a rolling mean that reaches past the cut-off takes the model's own earlier predictions, never
//! the actuals (which a forecast cannot know). The error at each step h = 1..H is kept, and so is
//! the seasonal naive baseline's on the same rows, so a run says how much it beats "the same week
//! last year".
//!
//! The lag arithmetic is `lags`' own (period per series = its most common gap between dates), so
//! the features of a recursive step are the features training saw, but for where they come from.

use std::collections::HashMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;
use super::conformal::{INTERVAL_LEVEL, conformal_half_width};
use super::features::{FeaturePipeline, Task};
use super::frame::day_numbers;
use super::lags::{LagSpec, group_keys, most_common_gap, numbers};
use super::metrics::{RegressionMetrics, regression_metrics};
use super::models::Model;
use super::split::{Split, SplitSpec};
use super::train::predict_target;

/// The error of the predictions made `step` periods after the cut-off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepError {
    pub step: usize,
    pub rows: usize,
    pub mae: f64,
    pub rmse: f64,
    pub wape: Option<f64>,
    /// The split-conformal half-width at this step (the interval a forecast this far out gets).
    #[serde(default)]
    pub half_width: Option<f64>,
}

/// The seasonal naive baseline on the validation rows it can forecast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Periods in a season (52 for weekly data, 7 for daily, 12 for monthly).
    pub season: usize,
    pub rows: usize,
    pub wape: Option<f64>,
    /// The model's WAPE on the same rows.
    pub model_wape: Option<f64>,
    /// 1 − model WAPE / baseline WAPE: 0.2 is "20% better than seasonal naive".
    pub skill: Option<f64>,
}

/// What a run keeps of its horizon-aware validation (in `metrics.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HorizonReport {
    pub horizon: usize,
    pub shortest_lag: usize,
    pub by_step: Vec<StepError>,
    pub baseline: Option<Baseline>,
}

/// Validation as the forecast will be made.
#[derive(Clone, Debug)]
pub struct HorizonScores {
    /// The periods from the cut-off to the last validation date.
    pub horizon: usize,
    /// The shortest lag or window, in periods.
    pub shortest_lag: usize,
    /// The recursive predictions, in the order of the split's validation rows.
    pub predicted: Vec<f64>,
    pub metrics: RegressionMetrics,
    pub by_step: Vec<StepError>,
    pub baseline: Option<Baseline>,
    /// Each validation row's actual, prediction, step and seasonal naive value, for pooling
    /// windows of a backtest.
    pub residuals: Residuals,
}

/// The validation rows of a recursive run, row by row.
#[derive(Clone, Debug, Default)]
pub struct Residuals {
    /// The row's series, its key values joined by '|' as forecasts record them.
    pub series: Vec<String>,
    /// The row's date (days since the epoch).
    pub day: Vec<i32>,
    pub step: Vec<usize>,
    pub actual: Vec<f64>,
    pub predicted: Vec<f64>,
    /// The seasonal naive forecast of the row, where the series reaches back a season.
    pub baseline: Vec<Option<f64>>,
}

/// One series: its rows by date, each with its value (actual before the cut-off, predicted after).
struct Series {
    days: Vec<i32>,
    rows: Vec<usize>,
    values: Vec<Option<f64>>,
    period: i32,
}

/// The lags and rolling means (in `LagSpec::output_names` order) of a series at `day`, from its
/// values by date (`days` sorted): lag k is the value exactly k periods back, a mean over w
/// periods averages the values present in [day - w * period, day). The walk of validation and
/// forecasting and a history-filled record all read their features here.
pub(crate) fn features_at(
    days: &[i32],
    values: &[Option<f64>],
    period: i32,
    lags: &LagSpec,
    day: i32,
) -> Vec<Option<f64>> {
    let value_at = |wanted: i64| {
        days.binary_search_by(|d| i64::from(*d).cmp(&wanted))
            .ok()
            .and_then(|i| values[i])
    };
    let mean_before = |periods: usize| {
        let from = i64::from(day) - i64::from(period) * periods as i64;
        let start = days.partition_point(|&d| i64::from(d) < from);
        let end = days.partition_point(|&d| d < day);
        let (sum, count) = values[start..end]
            .iter()
            .flatten()
            .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
        (count > 0).then(|| sum / count as f64)
    };
    let lagged = lags
        .lags
        .iter()
        .map(|&k| value_at(i64::from(day) - i64::from(period) * k as i64));
    let means = lags.rolling_means.iter().map(|&w| mean_before(w));
    lagged.chain(means).collect()
}

impl HorizonScores {
    pub fn report(&self) -> HorizonReport {
        HorizonReport {
            horizon: self.horizon,
            shortest_lag: self.shortest_lag,
            by_step: self.by_step.clone(),
            baseline: self.baseline.clone(),
        }
    }
}

/// The recursive validation of a fitted time-split regression with lags, or `None` when the run
/// has no lags, is not split by time, or is a classification.
pub fn horizon_scores(
    frame: &DataFrame,
    split: &Split,
    lags: Option<&LagSpec>,
    time_split: bool,
    pipeline: &FeaturePipeline,
    model: &dyn Model,
) -> Result<Option<HorizonScores>, MlError> {
    let Some(lags) = lags else {
        return Ok(None);
    };
    if !time_split || pipeline.target.task != Task::Regression || split.validation.is_empty() {
        return Ok(None);
    }
    let unknown: Vec<usize> = split.validation.iter().map(|&r| r as usize).collect();
    let run = predict_recursively(frame, &unknown, lags, &mut |rows| {
        let x = pipeline.transform(rows)?;
        predict_target(pipeline, model, &x)
    })?;
    let RecursiveRun {
        series,
        series_of,
        place,
        actual,
        is_unknown: is_validation,
        predicted_of,
        step_of,
        dates,
    } = run;
    let rows: Vec<usize> = split.validation.iter().map(|&r| r as usize).collect();
    let mut truth = Vec::with_capacity(rows.len());
    let mut predicted = Vec::with_capacity(rows.len());
    for &row in &rows {
        truth.push(actual[row].unwrap_or(f64::NAN));
        predicted.push(predicted_of.get(&row).copied().unwrap_or(f64::NAN));
    }
    let metrics = regression_metrics(&truth, &predicted)?;
    let shortest_lag = shortest_reach(lags).unwrap_or(0);
    let known = Known {
        series: &series,
        series_of: &series_of,
        place: &place,
        actual: &actual,
        is_validation: &is_validation,
    };
    let baseline_values = seasonal_naive_values(&known, &rows);
    let season = rows
        .iter()
        .map(|&r| season_length(series[series_of[r]].period))
        .max()
        .unwrap_or(1);
    let keys = super::lags::group_keys(frame, &lags.groups)?;
    let days = super::frame::day_numbers(frame, &lags.date)?;
    let residuals = Residuals {
        series: rows
            .iter()
            .map(|&r| keys[r].trim_end_matches('|').to_string())
            .collect(),
        day: rows.iter().map(|&r| days[r]).collect(),
        step: rows
            .iter()
            .map(|r| step_of.get(r).copied().unwrap_or(0))
            .collect(),
        actual: truth,
        predicted: predicted.clone(),
        baseline: baseline_values,
    };
    let baseline = residuals.baseline_score(season);
    let by_step = residuals.by_step()?;
    Ok(Some(HorizonScores {
        horizon: dates.len(),
        shortest_lag,
        predicted,
        metrics,
        by_step,
        baseline,
        residuals,
    }))
}

/// The series as the recursion left them, for the baseline.
struct Known<'a> {
    series: &'a [Series],
    series_of: &'a [usize],
    place: &'a [usize],
    actual: &'a [Option<f64>],
    is_validation: &'a [bool],
}

/// The rows of `frame` predicted recursively, date by date, each lag and window over the known
/// values (the rows not in `unknown`) and the predictions made so far: validation from a cut-off
/// and a forecast past the history are the same walk.
pub(crate) struct RecursiveRun {
    series: Vec<Series>,
    series_of: Vec<usize>,
    place: Vec<usize>,
    actual: Vec<Option<f64>>,
    is_unknown: Vec<bool>,
    pub(crate) predicted_of: HashMap<usize, f64>,
    pub(crate) step_of: HashMap<usize, usize>,
    dates: Vec<i32>,
}

pub(crate) fn predict_recursively(
    frame: &DataFrame,
    unknown: &[usize],
    lags: &LagSpec,
    predict: &mut dyn FnMut(&DataFrame) -> Result<Vec<f64>, MlError>,
) -> Result<RecursiveRun, MlError> {
    let days = day_numbers(frame, &lags.date)?;
    let actual = numbers(frame, &lags.value)?;
    let keys = group_keys(frame, &lags.groups)?;
    let is_unknown = {
        let mut flags = vec![false; frame.height()];
        for &row in unknown {
            flags[row] = true;
        }
        flags
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut series: Vec<Series> = Vec::new();
    let mut order: Vec<usize> = (0..frame.height()).collect();
    order.sort_by_key(|&r| days[r]);
    let mut series_of = vec![0usize; frame.height()];
    let mut place = vec![0usize; frame.height()];
    for &row in &order {
        let next = series.len();
        let s = *index.entry(keys[row].as_str()).or_insert(next);
        if s == series.len() {
            series.push(Series {
                days: Vec::new(),
                rows: Vec::new(),
                values: Vec::new(),
                period: 1,
            });
        }
        series_of[row] = s;
        place[row] = series[s].days.len();
        series[s].days.push(days[row]);
        series[s].rows.push(row);
        // Past the known rows nothing is known until the model predicts it.
        series[s]
            .values
            .push(if is_unknown[row] { None } else { actual[row] });
    }
    for s in &mut series {
        s.period = most_common_gap(&s.days);
    }

    // The dates to predict in order: step h is the h-th date after the last known one.
    let mut dates: Vec<i32> = unknown.iter().map(|&r| days[r]).collect();
    dates.sort_unstable();
    dates.dedup();
    let names = lags.output_names();
    let mut predicted_of: HashMap<usize, f64> = HashMap::new();
    let mut step_of: HashMap<usize, usize> = HashMap::new();
    for (h, &date) in dates.iter().enumerate() {
        let rows: Vec<usize> = unknown
            .iter()
            .copied()
            .filter(|&r| days[r] == date)
            .collect();
        let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(rows.len()); names.len()];
        for &row in &rows {
            let s = &series[series_of[row]];
            for (slot, value) in features_at(&s.days, &s.values, s.period, lags, date)
                .into_iter()
                .enumerate()
            {
                columns[slot].push(value);
            }
        }
        let take = IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
        let mut step_frame = frame.take(&take)?;
        for (name, values) in names.iter().zip(columns) {
            let series = Float64Chunked::from_iter_options(name.into(), values.into_iter());
            step_frame.with_column(series.into_series().into_column())?;
        }
        let values = predict(&step_frame)?;
        for (&row, value) in rows.iter().zip(values) {
            series[series_of[row]].values[place[row]] = Some(value);
            predicted_of.insert(row, value);
            step_of.insert(row, h + 1);
        }
    }

    Ok(RecursiveRun {
        series,
        series_of,
        place,
        actual,
        is_unknown,
        predicted_of,
        step_of,
        dates,
    })
}

/// What a run with lags shorter than its validation horizon is told at launch: its validation
/// predicts recursively, so the score is the forecast's, not a one-step one.
pub fn horizon_note(
    frame: &DataFrame,
    split: &Split,
    lags: Option<&LagSpec>,
    split_spec: &SplitSpec,
) -> Result<Option<String>, MlError> {
    let Some(lags) = lags else {
        return Ok(None);
    };
    if matches!(split_spec, SplitSpec::Random { .. }) {
        return Ok(Some(
            "lags with a random split validate one step ahead (each lag from the actuals); a \
             time split (time:COLUMN:N) validates as the forecast will be made"
                .to_string(),
        ));
    }
    let days = day_numbers(frame, &lags.date)?;
    let mut dates: Vec<i32> = split.validation.iter().map(|&r| days[r as usize]).collect();
    dates.sort_unstable();
    dates.dedup();
    let shortest = shortest_reach(lags);
    Ok(match shortest {
        Some(k) if k < dates.len() => Some(format!(
            "the shortest lag ({k}) is below the {}-period horizon: validation predicts those \
             periods recursively from the cut-off, each lag past it from the model's own \
             forecast (the one-step score is kept as one_step_*)",
            dates.len()
        )),
        _ => None,
    })
}

/// The fewest periods back any derived feature reads: its shortest lag, or 1 for a rolling
/// mean (a mean over the last w periods includes the last one).
pub fn shortest_reach(lags: &LagSpec) -> Option<usize> {
    let means = (!lags.rolling_means.is_empty()).then_some(1);
    lags.lags.iter().copied().chain(means).min()
}

/// Periods in a season for a series whose dates are `period` days apart.
pub fn season_length(period: i32) -> usize {
    match period {
        1 => 7,
        7 => 52,
        28..=31 => 12,
        _ => 1,
    }
}

/// Seasonal naive from the cut-off: each validation row gets the last actual value at the same
/// point of the season before the cut-off (one season back, or two when the horizon is longer).
fn seasonal_naive_values(known: &Known<'_>, rows: &[usize]) -> Vec<Option<f64>> {
    let Known {
        series,
        series_of,
        place,
        actual,
        is_validation,
    } = known;
    rows.iter()
        .map(|&row| {
            let s = &series[series_of[row]];
            let day = i64::from(s.days[place[row]]);
            let step = i64::from(s.period) * season_length(s.period) as i64;
            let first = i64::from(*s.days.first()?);
            let mut back = day - step;
            while back >= first {
                match s.days.binary_search_by(|d| i64::from(*d).cmp(&back)) {
                    Ok(j) if !is_validation[s.rows[j]] => return actual[s.rows[j]],
                    _ => back -= step,
                }
            }
            None
        })
        .collect()
}

impl Residuals {
    /// The seasonal naive baseline's WAPE on the rows it can forecast, beside the model's.
    pub fn baseline_score(&self, season: usize) -> Option<Baseline> {
        let (mut base_err, mut model_err, mut total) = (0.0, 0.0, 0.0);
        let mut count = 0;
        for ((actual, predicted), baseline) in
            self.actual.iter().zip(&self.predicted).zip(&self.baseline)
        {
            let Some(value) = baseline else { continue };
            if !actual.is_finite() {
                continue;
            }
            base_err += (value - actual).abs();
            model_err += (predicted - actual).abs();
            total += actual.abs();
            count += 1;
        }
        if count == 0 {
            return None;
        }
        let wape = (total > 0.0).then(|| 100.0 * base_err / total);
        let model_wape = (total > 0.0).then(|| 100.0 * model_err / total);
        let skill = match (wape, model_wape) {
            (Some(b), Some(m)) if b > 0.0 => Some(1.0 - m / b),
            _ => None,
        };
        Some(Baseline {
            season,
            rows: count,
            wape,
            model_wape,
            skill,
        })
    }

    /// The error and conformal half-width at each step h = 1..H.
    pub fn by_step(&self) -> Result<Vec<StepError>, MlError> {
        let horizon = self.step.iter().copied().max().unwrap_or(0);
        let mut out = Vec::with_capacity(horizon);
        for h in 1..=horizon {
            let (a, p): (Vec<f64>, Vec<f64>) = self
                .step
                .iter()
                .zip(self.actual.iter().zip(&self.predicted))
                .filter(|(s, _)| **s == h)
                .map(|(_, (a, p))| (*a, *p))
                .unzip();
            if a.is_empty() {
                continue;
            }
            let m = regression_metrics(&a, &p)?;
            let residuals = a.iter().zip(&p).map(|(a, p)| (a - p).abs()).collect();
            out.push(StepError {
                step: h,
                rows: a.len(),
                mae: m.mae,
                rmse: m.rmse,
                wape: m.wape,
                half_width: conformal_half_width(residuals, INTERVAL_LEVEL).map(|c| c.half_width),
            });
        }
        Ok(out)
    }

    /// Appends another window's rows.
    pub fn extend(&mut self, other: &Residuals) {
        self.series.extend_from_slice(&other.series);
        self.day.extend_from_slice(&other.day);
        self.step.extend_from_slice(&other.step);
        self.actual.extend_from_slice(&other.actual);
        self.predicted.extend_from_slice(&other.predicted);
        self.baseline.extend_from_slice(&other.baseline);
    }
}
