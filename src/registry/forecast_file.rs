//! A registered version's forecast written to a file and recorded: the one flow behind
//! `shelfcast forecast` and the daemon's forecast job. The history is the version's training
//! data (refused when its bytes changed since) unless another is given; covariates come from a
//! future file or are carried forward; the file (CSV or Parquet by extension) is written
//! atomically; the forecast is recorded in the store with every value, to be scored when the
//! actuals arrive.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::{ModelRef, RegistryError, load_version};
use crate::data::{DataFormat, ReadOptions, changed_since, read_dataset};
use crate::ml::artifact::LoadedModel;
use crate::ml::forecast_future::{Covariates, Forecasted, forecast};
use crate::project::Project;
use crate::store::{ForecastValue, ModelVersion, NewForecast, RunStore};

/// What to forecast and where.
#[derive(Clone, Debug)]
pub struct ForecastFile {
    pub model: ModelRef,
    pub horizon: usize,
    /// `None`: the version's training data.
    pub history: Option<PathBuf>,
    pub future: Option<PathBuf>,
    pub covariates: Covariates,
    pub output: PathBuf,
}

/// What was written.
pub struct Written {
    pub version: ModelVersion,
    pub loaded: LoadedModel,
    pub rows: Vec<Forecasted>,
    pub series: usize,
    pub forecast_id: i64,
}

fn failed(text: String) -> RegistryError {
    RegistryError::NotFound(text)
}

/// Forecasts, writes and records `request`.
pub fn write_forecast(
    project: &Project,
    store: &mut RunStore,
    request: &ForecastFile,
    options: &ReadOptions,
) -> Result<Written, RegistryError> {
    let format = DataFormat::from_path(&request.output).ok_or_else(|| {
        failed(format!(
            "{}: expected a .csv or .parquet output",
            request.output.display()
        ))
    })?;
    let (version, loaded) = load_version(project, store, &request.model)?;
    let history_path = match &request.history {
        Some(path) => project.locate(path),
        None => training_data(project, store, &version)?,
    };
    let read = |path: &Path| {
        read_dataset(path, options)
            .map(|d| d.frame)
            .map_err(|e| failed(e.to_string()))
    };
    let history = read(&history_path)?;
    let future = match &request.future {
        Some(path) => Some(read(&project.locate(path))?),
        None => None,
    };
    let rows = forecast(
        &loaded,
        history,
        future,
        request.horizon,
        request.covariates,
    )
    .map_err(|e| failed(e.to_string()))?;
    let lags = loaded
        .signature
        .derived
        .as_ref()
        .ok_or_else(|| failed("the model has no lags".into()))?;
    let mut frame = rows_frame(&rows, lags, &version).map_err(|e| failed(e.to_string()))?;
    crate::data::write_frame(&mut frame, &request.output, format).map_err(failed)?;
    // Recorded so it can be scored when the actuals arrive: the origin is the day before the
    // earliest step-1 date of any series (the history's end).
    let day = crate::data::profile::day_text;
    let origin = rows
        .iter()
        .filter(|r| r.step == 1)
        .map(|r| r.day)
        .min()
        .map_or(String::new(), |d| day(d - 1));
    let values: Vec<ForecastValue> = rows
        .iter()
        .map(|r| ForecastValue {
            series_key: r.keys.join("|"),
            target_date: day(r.day),
            step: r.step,
            value: r.value,
            lower: r.interval.map(|i| i.0),
            upper: r.interval.map(|i| i.1),
        })
        .collect();
    let series = rows.len() / request.horizon.max(1);
    let forecast_id = store.record_forecast(
        &NewForecast {
            model_version_id: version.id,
            origin: &origin,
            horizon: request.horizon,
            series,
            output_path: &request.output.display().to_string(),
        },
        &values,
    )?;
    Ok(Written {
        version,
        loaded,
        rows,
        series,
        forecast_id,
    })
}

/// The version's training data, refused when its bytes changed since it was trained.
fn training_data(
    project: &Project,
    store: &RunStore,
    version: &ModelVersion,
) -> Result<PathBuf, RegistryError> {
    let Some(dataset) = version
        .dataset_id
        .map(|id| store.dataset(id))
        .transpose()?
        .flatten()
    else {
        return Err(failed(format!(
            "{} version {} has no recorded training data; give --history FILE",
            version.model_name, version.version
        )));
    };
    let path = project.locate(Path::new(&dataset.path));
    if let Some(changed) = changed_since(&path, &dataset).map_err(|e| failed(e.to_string()))? {
        return Err(failed(format!(
            "{}: the training data changed since {} version {} was trained (sha256 {} then, {} \
             now); give --history FILE",
            dataset.path, version.model_name, version.version, changed.then, changed.now
        )));
    }
    Ok(path)
}

/// The forecast as the file holds it: keys, date, step, forecast, lower, upper, model, version.
fn rows_frame(
    rows: &[Forecasted],
    lags: &crate::ml::lags::LagSpec,
    version: &ModelVersion,
) -> PolarsResult<DataFrame> {
    let mut columns: Vec<Column> = Vec::new();
    for (i, group) in lags.groups.iter().enumerate() {
        let values: Vec<&str> = rows.iter().map(|r| r.keys[i].as_str()).collect();
        columns.push(Column::new(group.as_str().into(), values));
    }
    let days: Vec<i32> = rows.iter().map(|r| r.day).collect();
    columns.push(Column::new(lags.date.as_str().into(), days).cast(&DataType::Date)?);
    let steps: Vec<u32> = rows.iter().map(|r| r.step as u32).collect();
    columns.push(Column::new("step".into(), steps));
    let values: Vec<f64> = rows.iter().map(|r| r.value).collect();
    columns.push(Column::new("forecast".into(), values));
    let lower: Vec<Option<f64>> = rows.iter().map(|r| r.interval.map(|i| i.0)).collect();
    let upper: Vec<Option<f64>> = rows.iter().map(|r| r.interval.map(|i| i.1)).collect();
    columns.push(Column::new("lower".into(), lower));
    columns.push(Column::new("upper".into(), upper));
    let n = rows.len();
    columns.push(Column::new(
        "model".into(),
        vec![version.model_name.as_str(); n],
    ));
    columns.push(Column::new("version".into(), vec![version.version; n]));
    DataFrame::new(n, columns)
}
