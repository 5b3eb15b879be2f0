//! The forecast: for every series of a lag model (its group keys), the next H periods after the
//! series' last date in the history. Future rows are the series' last row moved to each future
//! date (so the calendar's date parts are the model's own); covariates known in advance come
//! from a future file by keys and date, or are carried forward when asked. Lags come from the
//! history, then from the forecast itself, by the same walk validation makes
//! (`forecast::predict_recursively`). Each value has the interval of its step.

use std::collections::HashMap;

use polars::prelude::*;

use super::MlError;
use super::artifact::LoadedModel;
use super::conform::conform_frame;
use super::forecast::predict_recursively;
use super::frame::day_numbers;
use super::lags::{LagSpec, group_keys, most_common_gap};
use super::predict::predict_frame;

/// How future covariates are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covariates {
    /// From the future file only: a series and date it lacks is an error.
    FromFuture,
    /// From the future file where it has them, else each series' last known values.
    CarryForward,
}

/// One forecast value.
#[derive(Clone, Debug, PartialEq)]
pub struct Forecasted {
    /// The group key values, in the lag spec's order.
    pub keys: Vec<String>,
    /// Days since 1970-01-01.
    pub day: i32,
    pub step: usize,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

/// Changes to the future rows once their covariates are known (a promotion plan): the rows and
/// each row's step.
pub type AdjustFuture<'a> = &'a dyn Fn(DataFrame, &[usize]) -> Result<DataFrame, MlError>;

/// The next `horizon` periods of every series in `history` (a frame of the model's training
/// columns), with covariates from `future`.
pub fn forecast(
    loaded: &LoadedModel,
    history: DataFrame,
    future: Option<DataFrame>,
    horizon: usize,
    covariates: Covariates,
) -> Result<Vec<Forecasted>, MlError> {
    forecast_adjusted(
        loaded,
        history,
        future,
        horizon,
        covariates,
        None,
        &|_, _| {},
    )
}

/// `forecast`, with the future rows changed by `adjust` before the walk, and `progress` told
/// (periods done, horizon) as each period is forecast.
pub fn forecast_adjusted(
    loaded: &LoadedModel,
    history: DataFrame,
    future: Option<DataFrame>,
    horizon: usize,
    covariates: Covariates,
    adjust: Option<AdjustFuture<'_>>,
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<Forecasted>, MlError> {
    let signature = &loaded.signature;
    let lags = signature
        .derived
        .clone()
        .ok_or_else(|| MlError::BadFeature {
            column: signature.target.clone(),
            why:
                "the model has no lags, so no series to forecast; train it with --lags and --group"
                    .to_string(),
        })?;
    if horizon == 0 {
        return Err(MlError::Model(
            "a forecast needs a horizon of 1 or more".into(),
        ));
    }
    let columns = needed_columns(&loaded.signature, &lags);
    let history = known_rows(loaded, history, &columns, "the history")?;
    let days = day_numbers(&history, &lags.date)?;
    let keys = group_keys(&history, &lags.groups)?;

    // Each series: its rows (in date order), its last day and its period.
    let mut series: HashMap<&str, Vec<usize>> = HashMap::new();
    for (row, key) in keys.iter().enumerate() {
        series.entry(key.as_str()).or_default().push(row);
    }
    // Covariates carry from each series' last ordinary row (`history::ordinary_rows`): one
    // holiday or promotion week at the end is not repeated over the whole forecast.
    let flags = super::history::flag_values(&history, &super::history::event_flags(signature))?;
    let mut names: Vec<&str> = series.keys().copied().collect();
    names.sort_unstable();
    let mut last_rows: Vec<IdxSize> = Vec::new();
    let mut future_days: Vec<i32> = Vec::new();
    let mut steps: Vec<usize> = Vec::new();
    for name in &names {
        let Some(rows) = series.get_mut(name) else {
            continue;
        };
        rows.sort_by_key(|&r| days[r]);
        let series_days: Vec<i32> = rows.iter().map(|&r| days[r]).collect();
        let period = most_common_gap(&series_days);
        let last_day = *series_days.last().unwrap_or(&0);
        let ordinary = super::history::ordinary_rows(&flags, rows);
        let Some(carried) = super::history::carried_row(rows, &ordinary) else {
            continue;
        };
        for h in 1..=horizon {
            last_rows.push(carried as IdxSize);
            future_days.push(last_day + period * h as i32);
            steps.push(h);
        }
    }
    let mut future_rows = history.take(&IdxCa::from_vec("rows".into(), last_rows))?;
    let date_type = history.column(&lags.date)?.dtype().clone();
    let dates = Column::new(lags.date.as_str().into(), future_days.clone())
        .cast(&DataType::Date)?
        .cast(&date_type)?;
    future_rows.with_column(dates)?;
    future_rows.with_column(Column::full_null(
        lags.value.as_str().into(),
        future_rows.height(),
        &DataType::Float64,
    ))?;
    let future_keys = group_keys(&future_rows, &lags.groups)?;
    fill_covariates(
        loaded,
        &lags,
        &mut future_rows,
        (&future_keys, &future_days),
        future,
        &columns,
        covariates,
    )?;

    if let Some(adjust) = adjust {
        future_rows = adjust(future_rows, &steps)?;
    }
    let known = history.height();
    let mut all = history.vstack(&future_rows)?;
    all.align_chunks();
    let unknown: Vec<usize> = (known..all.height()).collect();
    let mut done = 0;
    let run = predict_recursively(&all, &unknown, &lags, &mut |rows| {
        done += 1;
        progress(done, horizon);
        Ok(predict_frame(loaded, rows)?
            .into_iter()
            .map(|p| p.0)
            .collect())
    })?;
    let key_values = key_texts(&future_rows, &lags.groups)?;
    let mut out = Vec::with_capacity(unknown.len());
    for (i, row) in unknown.iter().enumerate() {
        let value = run.predicted_of.get(row).copied().unwrap_or(f64::NAN);
        let step = steps[i];
        let interval = step_interval(loaded, value, step);
        out.push(Forecasted {
            keys: key_values[i].clone(),
            day: future_days[i],
            step,
            value,
            interval,
        });
    }
    Ok(out)
}

/// The interval of a forecast `step` periods out: the conformal half-width of that step (from
/// validation or a backtest; the last step's beyond them), else the model's one, cut at the
/// target's floor (sales are never negative).
pub(crate) fn step_interval(loaded: &LoadedModel, value: f64, step: usize) -> Option<(f64, f64)> {
    let by_step = loaded.metrics.horizon.as_ref().map(|h| &h.by_step);
    let half_width = by_step
        .and_then(|steps| {
            steps
                .iter()
                .find(|s| s.step == step)
                .or(steps.last())
                .and_then(|s| s.half_width)
        })
        .or(loaded.metrics.conformal.as_ref().map(|c| c.half_width))?;
    let floor = loaded.signature.target_range.map(|(low, _)| low.min(0.0));
    let low = value - half_width;
    Some((floor.map_or(low, |f| low.max(f)), value + half_width))
}

/// The columns a forecast reads: the inputs, the target, and the lag spec's date and groups (the
/// columns the bundled history keeps, too).
pub(crate) fn needed_columns(
    signature: &super::signature::Signature,
    lags: &LagSpec,
) -> Vec<String> {
    let mut columns: Vec<String> = signature.inputs.iter().map(|i| i.name.clone()).collect();
    for name in lags.groups.iter().chain([&lags.date, &lags.value]) {
        if !columns.contains(name) {
            columns.push(name.clone());
        }
    }
    columns
}

/// `frame` checked against the signature (the same value rule as any batch), cut to `columns`,
/// with the target as numbers.
fn known_rows(
    loaded: &LoadedModel,
    frame: DataFrame,
    columns: &[String],
    what: &str,
) -> Result<DataFrame, MlError> {
    let (frame, issues) = conform_frame(&loaded.signature, frame)?;
    if let Some(first) = issues.first() {
        return Err(MlError::Model(format!(
            "{what}: {first} ({} problem(s) in all)",
            issues.len()
        )));
    }
    let mut frame = frame.select(columns.iter().map(|c| c.as_str()))?;
    let target = &loaded.signature.target;
    let numbers = frame.column(target)?.cast(&DataType::Float64)?;
    frame.with_column(numbers)?;
    Ok(frame)
}

/// Each row's group values as text, in the lag spec's order.
fn key_texts(frame: &DataFrame, groups: &[String]) -> Result<Vec<Vec<String>>, MlError> {
    let mut out = vec![Vec::with_capacity(groups.len()); frame.height()];
    for name in groups {
        let text = frame.column(name)?.cast(&DataType::String)?;
        for (row, value) in text.as_materialized_series().str()?.iter().enumerate() {
            out[row].push(value.unwrap_or_default().to_string());
        }
    }
    Ok(out)
}

/// The covariates of the future rows: from `future` by series and date; where it has none, the
/// series' last values when carrying forward, else an error naming the series and the date.
fn fill_covariates(
    loaded: &LoadedModel,
    lags: &LagSpec,
    rows: &mut DataFrame,
    (keys, days): (&[String], &[i32]),
    future: Option<DataFrame>,
    columns: &[String],
    covariates: Covariates,
) -> Result<(), MlError> {
    let fixed: Vec<&String> = lags
        .groups
        .iter()
        .chain([&lags.date, &lags.value])
        .collect();
    let covariate_names: Vec<&String> = columns.iter().filter(|c| !fixed.contains(c)).collect();
    if covariate_names.is_empty() {
        return Ok(());
    }
    let Some(future) = future else {
        return match covariates {
            Covariates::CarryForward => Ok(()),
            Covariates::FromFuture => Err(MlError::Model(format!(
                "the covariates {} are not known for the future: give --future FILE with them \
                 by {} and {}, or --carry-forward to repeat each series' last values",
                covariate_names
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                lags.groups.join(", "),
                lags.date
            ))),
        };
    };
    let mut with_target = future;
    if with_target.column(&lags.value).is_err() {
        let height = with_target.height();
        with_target.with_column(Column::full_null(
            lags.value.as_str().into(),
            height,
            &DataType::Float64,
        ))?;
    }
    let future = known_rows(loaded, with_target, columns, "the future file")?;
    let future_days = day_numbers(&future, &lags.date)?;
    let future_keys = group_keys(&future, &lags.groups)?;
    let mut at: HashMap<(&str, i32), IdxSize> = HashMap::new();
    for (row, (key, day)) in future_keys.iter().zip(&future_days).enumerate() {
        at.insert((key.as_str(), *day), row as IdxSize);
    }
    let found: Vec<Option<IdxSize>> = keys
        .iter()
        .zip(days)
        .map(|(k, d)| at.get(&(k.as_str(), *d)).copied())
        .collect();
    if covariates == Covariates::FromFuture
        && let Some(missing) = found.iter().position(Option::is_none)
    {
        let texts = key_texts(rows, &lags.groups)?;
        let date = crate::data::profile::day_text(days[missing]);
        return Err(MlError::Model(format!(
            "the future file has no row for {} on {date}: every series needs its covariates \
             for every forecast date (or --carry-forward)",
            lags.groups
                .iter()
                .zip(&texts[missing])
                .map(|(g, v)| format!("{g} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let take = IdxCa::from_iter_options("rows".into(), found.iter().copied());
    for name in covariate_names {
        let carried = rows.column(name)?;
        let given = future.column(name)?.take(&take)?.cast(carried.dtype())?;
        // Where the future file has the row its value wins, else the series' last value.
        let mask =
            BooleanChunked::from_iter_values("given".into(), found.iter().map(Option::is_some));
        let merged = given
            .as_materialized_series()
            .zip_with(&mask, carried.as_materialized_series())?;
        rows.with_column(merged.with_name(name.as_str().into()).into_column())?;
    }
    Ok(())
}
