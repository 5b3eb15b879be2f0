//! A lag model's recursive validation, row by row (series, date, step, actual, predicted), saved
//! in its bundle as `validation.parquet`: the reference period monitoring compares live errors
//! with (NannyML's reference chunks), cut into the same periods and segments as the live ones.

use std::path::Path;

use polars::prelude::*;

use super::artifact::{ArtifactError, Manifest};
use super::forecast::Residuals;

pub const VALIDATION_FILE: &str = "validation.parquet";
pub const VALIDATION_KIND: &str = "validation";

/// The rows as a frame: `series_key`, `date`, `step`, `actual`, `predicted`; `None` when the
/// residuals carry no series and dates (nothing to cut into periods).
pub fn validation_frame(residuals: &Residuals) -> Option<DataFrame> {
    let n = residuals.actual.len();
    if n == 0 || residuals.series.len() != n || residuals.day.len() != n {
        return None;
    }
    let date = Series::new("date".into(), &residuals.day)
        .cast(&DataType::Date)
        .ok()?;
    DataFrame::new(
        n,
        vec![
            Column::new("series_key".into(), &residuals.series),
            date.into(),
            Column::new(
                "step".into(),
                residuals.step.iter().map(|&s| s as u32).collect::<Vec<_>>(),
            ),
            Column::new("actual".into(), &residuals.actual),
            Column::new("predicted".into(), &residuals.predicted),
        ],
    )
    .ok()
}

/// One validation row.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationRow {
    pub series_key: String,
    pub day: i32,
    pub step: usize,
    pub actual: f64,
    pub predicted: f64,
}

/// The bundle's validation rows (checked by the manifest's sha256 like every file of it), or
/// `None` for a bundle without them (no lags, or saved before they were kept).
pub fn load_validation(
    dir: &Path,
    manifest: &Manifest,
) -> Result<Option<Vec<ValidationRow>>, ArtifactError> {
    if !manifest.files.iter().any(|f| f.kind == VALIDATION_KIND) {
        return Ok(None);
    }
    let path = dir.join(VALIDATION_FILE);
    let invalid = |what: String| ArtifactError::Invalid {
        path: path.clone(),
        what,
    };
    let file = std::fs::File::open(&path).map_err(|source| ArtifactError::Io {
        path: path.clone(),
        source,
    })?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|e| invalid(format!("the validation rows do not read: {e}")))?;
    let read = || -> PolarsResult<Vec<ValidationRow>> {
        let keys = frame.column("series_key")?.str()?.clone();
        let days = frame.column("date")?.date()?.physical().clone();
        let steps = frame.column("step")?.u32()?.clone();
        let actual = frame.column("actual")?.f64()?.clone();
        let predicted = frame.column("predicted")?.f64()?.clone();
        Ok((0..frame.height())
            .filter_map(|i| {
                Some(ValidationRow {
                    series_key: keys.get(i)?.to_string(),
                    day: days.get(i)?,
                    step: steps.get(i)? as usize,
                    actual: actual.get(i)?,
                    predicted: predicted.get(i)?,
                })
            })
            .collect())
    };
    read()
        .map(Some)
        .map_err(|e| invalid(format!("the validation rows do not read: {e}")))
}
