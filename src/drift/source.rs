//! Where the two samples of a drift check come from: a file (`data/x.csv`), a period of a file by
//! its date column (`data/x.csv@2016`, `@2016-03`, `@2016-01..2016-06`), a model's training data
//! (found by the fingerprint the registry kept: the bytes must be the ones it was trained on),
//! or the records the HTTP endpoint logged for a model over a time window.

use std::path::Path;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use serde_json::Value;

use super::DriftError;
use crate::data::{DataError, changed_since, read_dataset};
use crate::ml::signature::{FieldKind, Signature};
use crate::project::Project;
use crate::registry::{ModelRef, resolve};
use crate::store::{ModelVersion, RunStore};

/// One side of a drift check.
pub struct Sample {
    pub frame: DataFrame,
    pub label: String,
}

/// An inclusive range of days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

fn period_bounds(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let number = |s: &str| s.parse::<u32>().ok();
    match parts.as_slice() {
        [year] if year.len() == 4 => {
            let y = number(year)? as i32;
            Some((
                NaiveDate::from_ymd_opt(y, 1, 1)?,
                NaiveDate::from_ymd_opt(y, 12, 31)?,
            ))
        }
        [year, month] => {
            let (y, m) = (number(year)? as i32, number(month)?);
            let first = NaiveDate::from_ymd_opt(y, m, 1)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            Some((first, next.pred_opt()?))
        }
        [_, _, _] => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
            Some((day, day))
        }
        _ => None,
    }
}

impl Period {
    /// `2016`, `2016-03`, `2016-03-01`, or two of these joined by `..`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "'{text}' is not a period; expected YYYY, YYYY-MM, YYYY-MM-DD or FROM..TO \
                 (e.g. 2016, 2016-01..2016-06)"
            )
        };
        let (first, last) = match text.split_once("..") {
            Some((a, b)) => (
                period_bounds(a).ok_or_else(bad)?.0,
                period_bounds(b).ok_or_else(bad)?.1,
            ),
            None => period_bounds(text).ok_or_else(bad)?,
        };
        if last < first {
            return Err(format!("'{text}': the period ends before it starts"));
        }
        Ok(Self { first, last })
    }

    fn days(&self) -> (i32, i32) {
        let epoch = NaiveDate::default();
        (
            self.first.signed_duration_since(epoch).num_days() as i32,
            self.last.signed_duration_since(epoch).num_days() as i32,
        )
    }
}

/// Splits `FILE@PERIOD` (the period only when it parses as one: a file may contain `@`).
pub fn split_spec(spec: &str) -> Result<(&str, Option<Period>), String> {
    if let Some((file, period)) = spec.rsplit_once('@')
        && period.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        return Ok((file, Some(Period::parse(period)?)));
    }
    Ok((spec, None))
}

/// A side's file, read the one way every dataset is read (missing-value tokens included).
fn read_frame(project: &Project, path: &Path) -> Result<DataFrame, DriftError> {
    let options = project.read_options().map_err(DataError::from)?;
    Ok(read_dataset(path, &options)?.frame)
}

/// The date column a period filters on: the one named, or the file's only / first date column.
fn date_column(frame: &DataFrame, named: Option<&str>, file: &str) -> Result<String, DriftError> {
    let dates: Vec<String> = frame
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Date | DataType::Datetime(..)))
        .map(|c| c.name().to_string())
        .collect();
    match named {
        Some(name) if dates.iter().any(|d| d == name) => Ok(name.to_string()),
        Some(name) => Err(DriftError::Source(format!(
            "{file}: column '{name}' is not a date column; date columns: {}",
            if dates.is_empty() {
                "none".into()
            } else {
                dates.join(", ")
            }
        ))),
        None => dates.into_iter().next().ok_or_else(|| {
            DriftError::Source(format!(
                "{file}: a period needs a date column, and it has none"
            ))
        }),
    }
}

/// Rows of `frame` whose `column` falls in `period`.
pub fn filter_period(
    frame: &DataFrame,
    column: &str,
    period: Period,
) -> Result<DataFrame, DriftError> {
    let days = frame.column(column)?.cast(&DataType::Date)?;
    let days = days.date()?.physical().clone();
    let (first, last) = period.days();
    let mask: BooleanChunked = days
        .iter()
        .map(|d| d.is_some_and(|d| d >= first && d <= last))
        .collect();
    Ok(frame.filter(&mask)?)
}

/// A file, or a period of it (`FILE@PERIOD`), relative to the project.
pub fn load_sample(
    project: &Project,
    spec: &str,
    date: Option<&str>,
) -> Result<Sample, DriftError> {
    let (file, period) = split_spec(spec).map_err(DriftError::Source)?;
    let frame = read_frame(project, &project.locate(std::path::Path::new(file)))?;
    let Some(period) = period else {
        return Ok(Sample {
            frame,
            label: file.to_string(),
        });
    };
    let column = date_column(&frame, date, file)?;
    let rows = filter_period(&frame, &column, period)?;
    if rows.height() == 0 {
        let days = frame.column(&column)?.cast(&DataType::Date)?;
        let days = days.date()?.physical().clone();
        let text = |d: Option<i32>| d.map_or("?".into(), crate::data::profile::day_text);
        return Err(DriftError::Source(format!(
            "{file}: no rows with {column} in {} … {}; its dates run {} … {}",
            period.first,
            period.last,
            text(days.min()),
            text(days.max())
        )));
    }
    let label = if period.first.ordinal() == 1
        && period.last.month() == 12
        && period.last.day() == 31
        && period.first.year() == period.last.year()
    {
        format!("{file} @ {}", period.first.year())
    } else {
        format!("{file} @ {} … {}", period.first, period.last)
    };
    Ok(Sample { frame: rows, label })
}

/// The columns a model reads (its inputs) and predicts (its target).
pub fn model_columns(signature: &Signature) -> Vec<String> {
    let mut columns: Vec<String> = signature.inputs.iter().map(|i| i.name.clone()).collect();
    columns.push(signature.target.clone());
    columns
}

/// A model version's training data, refused when the file's bytes are no longer the ones it
/// was trained on.
pub fn training_data(
    project: &Project,
    store: &RunStore,
    reference: &ModelRef,
) -> Result<(Sample, ModelVersion, Signature), DriftError> {
    let version = resolve(store, reference)?;
    let signature: Signature = serde_json::from_str(&version.signature_json).map_err(|e| {
        DriftError::Source(format!("{reference}: its signature does not parse: {e}"))
    })?;
    let dataset = version
        .dataset_id
        .map(|id| store.dataset(id))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            DriftError::Source(format!(
                "{} version {} has no recorded training data; give --reference FILE",
                version.model_name, version.version
            ))
        })?;
    let path = project.locate(std::path::Path::new(&dataset.path));
    if let Some(changed) = changed_since(&path, &dataset)? {
        return Err(DriftError::Source(format!(
            "{}: the file changed since {} version {} was trained on it (sha256 {} then, {} \
             now); give --reference FILE to compare against it as it is",
            dataset.path, version.model_name, version.version, changed.then, changed.now
        )));
    }
    let frame = read_frame(project, &path)?;
    let label = format!(
        "{} (training data of {} version {})",
        dataset.path, version.model_name, version.version
    );
    Ok((Sample { frame, label }, version, signature))
}

/// The records the HTTP endpoint logged for `versions` since `since` (UTC text, or all), as a
/// frame with the signature's columns.
pub fn logged_records(
    store: &RunStore,
    signature: &Signature,
    versions: &[i64],
    since: Option<&str>,
    label: String,
) -> Result<Sample, DriftError> {
    let records = store.logged_inputs(versions, since)?;
    let parsed: Vec<serde_json::Map<String, Value>> = records
        .iter()
        .filter_map(|json| match serde_json::from_str(json) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        })
        .collect();
    let mut columns = Vec::new();
    for input in &signature.inputs {
        let values = parsed
            .iter()
            .map(|r| r.get(&input.name).unwrap_or(&Value::Null));
        let name: PlSmallStr = input.name.as_str().into();
        let column = match input.kind {
            FieldKind::Number => Column::new(name, values.map(json_number).collect::<Vec<_>>()),
            FieldKind::Boolean => Column::new(
                name,
                values
                    .map(|v| json_number(v).map(|n| n != 0.0))
                    .collect::<Vec<_>>(),
            ),
            FieldKind::Category => Column::new(
                name,
                values
                    .map(|v| match v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        other => Some(other.to_string()),
                    })
                    .collect::<Vec<_>>(),
            ),
            FieldKind::Date => {
                let epoch = NaiveDate::default();
                let days: Vec<Option<i32>> = values
                    .map(|v| {
                        v.as_str()
                            .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
                            .map(|d| d.signed_duration_since(epoch).num_days() as i32)
                    })
                    .collect();
                Column::new(name, days).cast(&DataType::Date)?
            }
        };
        columns.push(column);
    }
    let frame = DataFrame::new(parsed.len(), columns)?;
    Ok(Sample { frame, label })
}

fn json_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}
