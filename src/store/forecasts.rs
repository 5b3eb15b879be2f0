//! Forecasts as they were made: the model version, the origin (the last date of the history),
//! the horizon and every value by series and target date, so that the monitoring issue can score
//! them when the actuals arrive.

use rusqlite::params;
use serde::Serialize;

use super::{RunStore, StoreError, now_text};

/// A forecast to record.
#[derive(Clone, Debug)]
pub struct NewForecast<'a> {
    pub model_version_id: i64,
    pub origin: &'a str,
    pub horizon: usize,
    pub series: usize,
    pub output_path: &'a str,
}

/// One forecast value: the series (its key values joined by '|'), the date, the step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForecastValue {
    pub series_key: String,
    pub target_date: String,
    pub step: usize,
    pub value: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// A recorded forecast, without its values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForecastRecord {
    pub id: i64,
    pub created_at: String,
    pub model_version_id: i64,
    pub origin: String,
    pub horizon: usize,
    pub series: usize,
    pub output_path: String,
    pub values: usize,
}

impl RunStore {
    /// Records a forecast and all its values in one transaction; its id.
    pub fn record_forecast(
        &mut self,
        forecast: &NewForecast<'_>,
        values: &[ForecastValue],
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            let id = tx.insert(
                "INSERT INTO forecasts (created_at, model_version_id, origin, horizon, series, \
                 output_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    now_text(),
                    forecast.model_version_id,
                    forecast.origin,
                    forecast.horizon as i64,
                    forecast.series as i64,
                    forecast.output_path
                ],
            )?;
            for v in values {
                tx.execute(
                    "INSERT INTO forecast_values (forecast_id, series_key, target_date, step, \
                     value, lower, upper) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        id,
                        v.series_key,
                        v.target_date,
                        v.step as i64,
                        v.value,
                        v.lower,
                        v.upper
                    ],
                )?;
            }
            Ok(id)
        })
    }

    /// The recorded forecasts, newest first, with how many values each holds.
    pub fn forecasts(&self, limit: usize) -> Result<Vec<ForecastRecord>, StoreError> {
        self.db.query_map(
            "SELECT f.id, f.created_at, f.model_version_id, f.origin, f.horizon, f.series, \
             f.output_path, (SELECT COUNT(*) FROM forecast_values v WHERE v.forecast_id = f.id) \
             FROM forecasts f ORDER BY f.id DESC LIMIT ?1",
            params![limit as i64],
            |row| {
                Ok(ForecastRecord {
                    id: row.get(0)?,
                    created_at: row.get(1)?,
                    model_version_id: row.get(2)?,
                    origin: row.get(3)?,
                    horizon: row.get::<_, i64>(4)? as usize,
                    series: row.get::<_, i64>(5)? as usize,
                    output_path: row.get(6)?,
                    values: row.get::<_, i64>(7)? as usize,
                })
            },
        )
    }
}
