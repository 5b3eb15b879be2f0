//! `forecast --score FILE`: a forecast just made scored against a file of actuals found by the
//! series keys and the date, with the monitor's one score (`Score`).

use std::collections::HashMap;

use polars::prelude::*;

use super::MonitorError;
use super::score::Score;
use crate::ml::forecast_future::Forecasted;
use crate::ml::lags::LagSpec;

/// The forecast's error against the actuals it has.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastScore {
    pub matched: usize,
    /// Actual rows no forecast row has (a new store or item, a date past the horizon).
    pub unforecast: usize,
    pub score: Score,
}

fn input(e: impl std::fmt::Display) -> MonitorError {
    MonitorError::Input(format!("--score: {e}"))
}

pub fn score_against(
    rows: &[Forecasted],
    lags: &LagSpec,
    target: &str,
    actuals: &DataFrame,
) -> Result<ForecastScore, MonitorError> {
    let mut text: Vec<Vec<String>> = vec![Vec::new(); actuals.height()];
    for name in lags.groups.iter().chain([&lags.date]) {
        let column = actuals
            .column(name)
            .map_err(|_| input(format!("the actuals have no column '{name}'")))?
            .cast(&DataType::String)
            .map_err(input)?;
        let column = column
            .as_materialized_series()
            .str()
            .map_err(input)?
            .clone();
        for (row, value) in column.iter().enumerate() {
            text[row].push(value.unwrap_or_default().to_string());
        }
    }
    let values = actuals
        .column(target)
        .map_err(|_| input(format!("the actuals have no target column '{target}'")))?
        .cast(&DataType::Float64)
        .map_err(input)?;
    let values: Vec<Option<f64>> = values
        .as_materialized_series()
        .f64()
        .map_err(input)?
        .iter()
        .collect();
    let at: HashMap<Vec<String>, f64> = text
        .into_iter()
        .zip(values)
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    let mut pairs = Vec::new();
    for row in rows {
        let mut key = row.keys.clone();
        key.push(crate::data::profile::day_text(row.day));
        if let Some(actual) = at.get(&key) {
            pairs.push((row.value, *actual));
        }
    }
    let score = Score::of(pairs);
    if score.count == 0 || score.wape.is_none() {
        return Err(input(format!(
            "no actual matches a forecast row by {} and {}",
            lags.groups.join(", "),
            lags.date
        )));
    }
    Ok(ForecastScore {
        matched: score.count,
        unforecast: at.len() - score.count,
        score,
    })
}
