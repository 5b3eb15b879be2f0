//! The checks a training spec passes before any data is read, in one home for every face: the
//! CLI's flags and the Train form build a `TrainSpec` and ask `TrainSpec::validate`; the worker
//! asks again through `prepare`. The split parses, lags and rolling means are bounded (a huge
//! period would overflow the day arithmetic of `lags`), lags have a date column, and log1p is
//! only for a regression target.

use super::MlError;
use super::features::Task;
use super::lags::LagSpec;
use super::models::{ModelKind, ModelSpec};
use super::split::SplitSpec;
use super::train::TrainSpec;

/// The largest lag or rolling window, in periods: 10,000 weeks is two centuries.
pub const MAX_PERIODS: usize = 10_000;

/// "1, 2, 4,52" as periods, each checked against `MAX_PERIODS`; empty text is no periods.
pub fn parse_periods(text: &str) -> Result<Vec<usize>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<usize>()
                .ok()
                .filter(|v| (1..=MAX_PERIODS).contains(v))
                .ok_or_else(|| period_error(p))
        })
        .collect()
}

fn period_error(period: &str) -> String {
    format!("'{period}' is not a whole number of periods from 1 to {MAX_PERIODS}")
}

/// The date column of a time split (`time:COLUMN:…`), which lags use by default.
pub fn split_date_column(split: &str) -> Option<String> {
    match SplitSpec::parse(split, 0).ok()? {
        SplitSpec::LastDates { column, .. } | SplitSpec::FromDate { column, .. } => Some(column),
        SplitSpec::Random { .. } => None,
    }
}

/// The lag spec the faces describe: `date` given, or the time split's column; always one for a
/// baseline model.
pub fn lag_spec(
    split: &str,
    date: Option<&str>,
    target: &str,
    groups: Vec<String>,
    lags: Vec<usize>,
    rolling_means: Vec<usize>,
    model: ModelKind,
) -> Result<Option<LagSpec>, MlError> {
    // A baseline derives its own lag or window (`ml::baseline`) but needs the series and dates.
    if lags.is_empty() && rolling_means.is_empty() && model.baseline().is_none() {
        return Ok(None);
    }
    let date = match date {
        Some(date) => date.to_string(),
        None => split_date_column(split).ok_or_else(|| MlError::BadParam {
            name: "split".to_string(),
            value: split.to_string(),
            expected: format!(
                "a time split (time:COLUMN:N) or --date COLUMN: lags, rolling means and baselines \
                 of '{target}' need a date column"
            ),
        })?,
    };
    Ok(Some(LagSpec {
        date,
        groups,
        value: target.to_string(),
        lags,
        rolling_means,
    }))
}

impl TrainSpec {
    /// Every check that needs no data: the split, the lag bounds, the model's parameters (when
    /// the task is known) and log1p against the task. The first problem, in the user's words.
    pub fn validate(&self) -> Result<(), MlError> {
        SplitSpec::parse(&self.split, self.seed)?;
        if let Some(lags) = &self.lags {
            for (what, periods) in [("lag", &lags.lags), ("rolling mean", &lags.rolling_means)] {
                if let Some(bad) = periods.iter().find(|p| !(1..=MAX_PERIODS).contains(*p)) {
                    return Err(MlError::BadFeature {
                        column: lags.value.clone(),
                        why: format!("{what} {}", period_error(&bad.to_string())),
                    });
                }
            }
            if let Some(twice) = lags
                .groups
                .iter()
                .enumerate()
                .find(|(i, g)| lags.groups[..*i].contains(g))
                .map(|(_, g)| g)
            {
                return Err(MlError::BadFeature {
                    column: twice.clone(),
                    why: "it is named twice among the series' columns (--group)".to_string(),
                });
            }
            if lags.date.trim().is_empty() {
                return Err(MlError::BadFeature {
                    column: lags.value.clone(),
                    why: "lags need a date column".to_string(),
                });
            }
        }
        if let Some(task) = self.task {
            ModelSpec::build(self.model, task, self.seed, &self.params)?;
            if self.log1p && task != Task::Regression {
                return Err(MlError::BadTarget {
                    column: self.target.clone(),
                    why: "log1p transforms a regression target; this one is a classification \
                          target"
                        .to_string(),
                });
            }
        }
        Ok(())
    }
}

impl super::train::TrainSpec {
    /// Whether `other` asks for the same data, features, split and model as this spec, with
    /// other parameters at most (and files read the same way or by the project's default).
    pub fn params_free_eq(&self, other: &super::train::TrainSpec) -> bool {
        let bare = |spec: &super::train::TrainSpec| super::train::TrainSpec {
            params: Vec::new(),
            read: Default::default(),
            ..spec.clone()
        };
        bare(self) == bare(other)
    }
}
