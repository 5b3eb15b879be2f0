//! Preparing a baseline run: the past value it repeats is derived like any lag, so the season is
//! resolved from the data here and the lag or window added to the run's lag spec.

use polars::prelude::*;

use super::MlError;
use super::baseline::BaselineParams;
use super::forecast::season_length;
use super::frame::day_numbers;
use super::lags::{LagSpec, most_common_gap};
use super::models::ModelSpec;
use super::train::{TrainError, TrainSpec};

/// Sets `spec.lags` to the baseline's one lag or window and records the resolved season in
/// `model`; the derived column's name, and a note when lags given are dropped. A baseline needs
/// the series and their dates.
pub(super) fn derive_past_value(
    frame: &DataFrame,
    spec: &mut TrainSpec,
    params: BaselineParams,
    model: &mut ModelSpec,
) -> Result<(String, Option<String>), TrainError> {
    if spec.log1p {
        return Err(TrainError::Input(format!(
            "{} repeats past values of '{}'; log1p changes nothing for it, so train it without \
             --log1p",
            model.kind, spec.target
        )));
    }
    let Some(lags) = spec.lags.as_mut() else {
        return Err(TrainError::Input(format!(
            "{} forecasts each series from its own past: name the series columns (--group, e.g. \
             store,item) and the date (a time split time:COLUMN:N, or --date COLUMN)",
            model.kind
        )));
    };
    let period = data_period(frame, &lags.date)?;
    let past = params.past_value(season_length(period));
    // A baseline reads its one past value: other lags would only be derived, and would make the
    // launch speak of lags it never uses.
    let mut note = None;
    if !lags.lags.is_empty() || !lags.rolling_means.is_empty() {
        note = Some(format!(
            "{} uses only {}; the lags and rolling means given are not used",
            model.kind,
            past.column(&lags.value)
        ));
        lags.lags.clear();
        lags.rolling_means.clear();
    }
    if let (super::baseline::PastValue::Lag(season), true) = (past, params.season == 0)
        && params.info().iter().any(|p| p.name == "season")
    {
        model.set("season", &season.to_string())?;
    }
    match past {
        super::baseline::PastValue::Lag(k) if !lags.lags.contains(&k) => lags.lags.push(k),
        super::baseline::PastValue::Mean(w) if !lags.rolling_means.contains(&w) => {
            lags.rolling_means.push(w)
        }
        _ => {}
    }
    Ok((past.column(&lags.value), note))
}

/// The columns a baseline's record holds: its series keys and date.
pub(super) fn record_columns(lags: &LagSpec) -> Vec<String> {
    lags.groups
        .iter()
        .cloned()
        .chain(std::iter::once(lags.date.clone()))
        .collect()
}

/// The most common gap in days between the dates of the file (7 for weekly data).
fn data_period(frame: &DataFrame, date: &str) -> Result<i32, MlError> {
    let mut days = day_numbers(frame, date)?;
    days.sort_unstable();
    days.dedup();
    Ok(most_common_gap(&days))
}
