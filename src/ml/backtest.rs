//! Rolling-origin backtests, as mlforecast's `cross_validation` makes them: K refits at
//! successive cut-offs, each validated over the H periods after its cut-off the way the forecast
//! will be made (recursively), the windows `step` periods apart and the last one ending at the
//! data's last date. Each window is a run of its own; the backtest pools their rows into one
//! score, the error per step over every window, and the per-step conformal half-widths a
//! forecast's intervals come from (far more residuals per step than one validation has).
//!
//! A window trains on the rows dated up to its last validation date only (`TrainSpec::until`),
//! so no feature, lag or encoder of a window sees a later row.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;
use super::evaluation::Evaluation;
use super::forecast::{HorizonReport, Residuals};
use super::frame::day_numbers;
use super::metrics::regression_metrics;
use super::spec_check::split_date_column;
use super::train::{TrainError, TrainSpec};
use crate::data::profile::day_text;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacktestSpec {
    pub windows: usize,
    pub horizon: usize,
    /// Periods between successive cut-offs (mlforecast's `step_size`; the horizon by default).
    pub step: usize,
}

/// The most windows a backtest makes: each is a full training.
pub const MAX_WINDOWS: usize = 100;

impl BacktestSpec {
    /// Checks the numbers before any data is read.
    pub fn check(&self) -> Result<(), MlError> {
        let bad = |name: &str, value: usize, expected: &str| MlError::BadParam {
            name: name.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        };
        if !(1..=MAX_WINDOWS).contains(&self.windows) {
            return Err(bad("windows", self.windows, "1 to 100 windows"));
        }
        if !(1..=super::spec_check::MAX_PERIODS).contains(&self.horizon) {
            return Err(bad("horizon", self.horizon, "1 to 10000 periods"));
        }
        if !(1..=super::spec_check::MAX_PERIODS).contains(&self.step) {
            return Err(bad("step", self.step, "1 to 10000 periods"));
        }
        Ok(())
    }
}

/// One window: its place and the dates it validates on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// From 1, oldest first.
    pub index: usize,
    /// The last training date (the forecast's origin), `YYYY-MM-DD`.
    pub cutoff: String,
    /// The last validation date.
    pub until: String,
}

/// The date column a spec's rows are ordered by: its lags' date, else its time split's column.
pub fn date_column(spec: &TrainSpec) -> Option<String> {
    spec.lags
        .as_ref()
        .map(|l| l.date.clone())
        .or_else(|| split_date_column(&spec.split))
}

/// `frame` without the rows dated after `until`.
pub(super) fn rows_until(
    frame: DataFrame,
    spec: &TrainSpec,
    until: &str,
) -> Result<DataFrame, TrainError> {
    let column = date_column(spec).ok_or_else(|| {
        TrainError::Input(format!(
            "training until {until} needs a date column: a time split or lags"
        ))
    })?;
    let limit = parse_day(until)?;
    let days = day_numbers(&frame, &column)?;
    let keep: BooleanChunked = days.iter().map(|&d| d <= limit).collect();
    Ok(frame.filter(&keep).map_err(MlError::from)?)
}

fn parse_day(text: &str) -> Result<i32, TrainError> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| TrainError::Input(format!("'{text}' is not a date; expected YYYY-MM-DD")))?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok((date - epoch).num_days() as i32)
}

/// The windows of `backtest` over the dates of `frame`'s `column`: the last one ends at the last
/// date; each window validates `horizon` dates. Refused when the oldest window would leave fewer
/// training dates than it validates.
pub fn windows(
    frame: &DataFrame,
    column: &str,
    backtest: &BacktestSpec,
) -> Result<Vec<Window>, MlError> {
    let mut dates = day_numbers(frame, column)?;
    dates.sort_unstable();
    dates.dedup();
    let span = backtest.horizon + (backtest.windows - 1) * backtest.step;
    let training = dates.len().saturating_sub(span);
    if training < backtest.horizon.max(2) {
        return Err(MlError::BadParam {
            name: "windows".to_string(),
            value: backtest.windows.to_string(),
            expected: format!(
                "windows that leave the oldest one at least {} training dates: {} windows of \
                 {} periods, {} apart, span {span} of the {} dates in '{column}'",
                backtest.horizon.max(2),
                backtest.windows,
                backtest.horizon,
                backtest.step,
                dates.len()
            ),
        });
    }
    Ok((0..backtest.windows)
        .map(|k| {
            let end = dates.len() - 1 - (backtest.windows - 1 - k) * backtest.step;
            Window {
                index: k + 1,
                cutoff: day_text(dates[end - backtest.horizon]),
                until: day_text(dates[end]),
            }
        })
        .collect())
}

/// The spec of one window: the backtest's, trained until the window's end and validated on its
/// last `horizon` dates.
pub fn window_spec(spec: &TrainSpec, column: &str, window: &Window) -> TrainSpec {
    let horizon = spec.backtest.as_ref().map_or(1, |b| b.horizon);
    TrainSpec {
        until: Some(window.until.clone()),
        split: format!("time:{column}:{horizon}"),
        backtest: None,
        ..spec.clone()
    }
}

/// What one window scored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowScore {
    pub window: Window,
    pub run_id: i64,
    pub rows: usize,
    pub wape: Option<f64>,
    pub rmse: f64,
    pub seasonal_naive_wape: Option<f64>,
}

/// The pooled outcome of a backtest.
#[derive(Clone, Debug)]
pub struct Pooled {
    pub validation: Evaluation,
    pub horizon: HorizonReport,
}

/// Every window's rows as one validation: the metrics, the error and half-width per step, and
/// seasonal naive on the same rows.
pub fn pool(
    residuals: &Residuals,
    horizon: usize,
    shortest_lag: usize,
    season: usize,
) -> Result<Pooled, MlError> {
    let metrics = regression_metrics(&residuals.actual, &residuals.predicted)?;
    Ok(Pooled {
        validation: Evaluation::Regression(metrics),
        horizon: HorizonReport {
            horizon,
            shortest_lag,
            by_step: residuals.by_step()?,
            baseline: residuals.baseline_score(season),
        },
    })
}
