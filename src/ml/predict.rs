//! Predicting with a saved model: records checked against its signature, encoded by its own
//! pipeline, answered with the prediction, the split-conformal interval saved with the model,
//! and — when the model has a promotion flag — the what-if uplift with the promotion off and on.
//!
//! Records arrive as JSON objects (forms, the HTTP endpoint) or as a polars frame (batch files).
//! A value of the wrong type, a date that does not parse or a missing input is an error naming
//! the field; a number outside the training range or a category never seen in training is a
//! warning: the model still answers, and says it is extrapolating.

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use super::MlError;
use super::artifact::LoadedModel;
use super::features::{Matrix, Task};
use super::lookup_table::join_for_prediction;
use super::signature::{FieldKind, InputField, Signature};
use super::train::predict_target;
use super::whatif::promotion_predictions;
pub use super::whatif::{promotion_columns, uplift_depths};

/// A problem with one field of one record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldIssue {
    /// 1-based record (row) number in a batch; 1 for a single record.
    pub row: usize,
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row, self.field, self.reason
        )
    }
}

/// The model's answer for one record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Prediction {
    /// Expected value (regression) or the positive class's probability.
    pub value: f64,
    /// The interval at `interval_level`, when the model has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<(f64, f64)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_level: Option<f64>,
    /// Promotion what-if: (depth %, prediction) with the promotion off (depth 0) and on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uplift: Vec<UpliftPoint>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpliftPoint {
    pub promotion: bool,
    /// The depth the promotion runs at (`None`: off, or a model without a depth column).
    pub depth_pct: Option<f64>,
    pub prediction: f64,
    /// Against the promotion off.
    pub uplift: f64,
    pub uplift_pct: Option<f64>,
}

/// One field's value once checked against its input.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// Absent, where training saw gaps too.
    Missing,
    Number(f64),
    Boolean(bool),
    Category(String),
    Date(NaiveDate),
}

/// A field's value checked against its input: the parsed value and a warning (outside the
/// training range, a level never seen), or why it cannot be used. Forms call this as the
/// analyst types; records and batches go through it too, so every face says the same thing.
pub fn parse_field(
    input: &InputField,
    value: &Value,
) -> Result<(FieldValue, Option<String>), String> {
    let blank =
        matches!(value, Value::Null) || matches!(value, Value::String(s) if s.trim().is_empty());
    if blank {
        return if input.missing_seen {
            Ok((FieldValue::Missing, None))
        } else {
            Err(format!("missing; expected {}", expected(input)))
        };
    }
    match input.kind {
        FieldKind::Number => {
            let number = match value {
                // JSON true is not 1: a boolean where a number belongs is a caller's mistake.
                Value::Bool(b) => return Err(format!("'{b}' is a boolean; expected a number")),
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match number {
                Some(n) if n.is_nan() => Err(format!("'{}' is not a number", text_of(value))),
                // Gradient boosting works in f32, where anything larger is infinite and the
                // booster refuses the whole request; no sales feature comes near this.
                Some(n) if !n.is_finite() || n.abs() > f64::from(f32::MAX) => Err(format!(
                    "'{}' is out of range: a number must be finite and at most 3.4e38 in size",
                    text_of(value)
                )),
                Some(n) => Ok((FieldValue::Number(n), range_warning(input, n))),
                None => Err(format!("'{}' is not a number", text_of(value))),
            }
        }
        FieldKind::Boolean => boolean_of(value)
            .map(|b| (FieldValue::Boolean(b), None))
            .ok_or_else(|| format!("'{}' is not true/false or 1/0", text_of(value))),
        FieldKind::Category => {
            let text = text_of(value);
            let warning =
                (!input.categories.is_empty() && !input.categories.contains(&text)).then(|| {
                    format!(
                        "{}: '{text}' was never seen in training; it is treated as unknown",
                        input.name
                    )
                });
            Ok((FieldValue::Category(text), warning))
        }
        FieldKind::Date => {
            let text = text_of(value);
            let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map_err(|_| format!("'{text}' is not a date; expected YYYY-MM-DD"))?;
            Ok((FieldValue::Date(date), date_warning(input, date)))
        }
    }
}

/// Parses one JSON record into a one-row frame with the signature's columns, or the issues.
pub fn record_frame(
    signature: &Signature,
    record: &Map<String, Value>,
    row: usize,
) -> Result<(DataFrame, Vec<String>), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    let mut columns = Vec::new();
    let issue = |field: &str, reason: String| FieldIssue {
        row,
        field: field.to_string(),
        reason,
    };
    for input in &signature.inputs {
        let value = record.get(&input.name).unwrap_or(&Value::Null);
        let name: PlSmallStr = input.name.as_str().into();
        let parsed = match parse_field(input, value) {
            Ok((parsed, warning)) => {
                warnings.extend(warning);
                parsed
            }
            Err(reason) => {
                issues.push(issue(&input.name, reason));
                continue;
            }
        };
        let column = match (input.kind, parsed) {
            (FieldKind::Number, FieldValue::Number(n)) => Column::new(name, [Some(n)]),
            (FieldKind::Number, _) => Column::new(name, [None::<f64>]),
            (FieldKind::Boolean, FieldValue::Boolean(b)) => Column::new(name, [Some(b)]),
            (FieldKind::Boolean, _) => Column::new(name, [None::<bool>]),
            (FieldKind::Category, FieldValue::Category(text)) => Column::new(name, [Some(text)]),
            (FieldKind::Category, _) => Column::new(name, [None::<String>]),
            (FieldKind::Date, parsed) => {
                let days = match parsed {
                    FieldValue::Date(date) => {
                        Some(date.signed_duration_since(NaiveDate::default()).num_days() as i32)
                    }
                    _ => None,
                };
                match Column::new(name, [days]).cast(&DataType::Date) {
                    Ok(column) => column,
                    Err(e) => {
                        issues.push(issue(&input.name, e.to_string()));
                        continue;
                    }
                }
            }
        };
        columns.push(column);
    }
    // Lag and rolling features the model computed from history: a caller may give them;
    // otherwise they are missing, as for a series without history.
    if let Some(lags) = &signature.derived {
        for derived in lags.output_names() {
            match parse_derived(record.get(&derived).unwrap_or(&Value::Null)) {
                Ok(value) => columns.push(Column::new(derived.as_str().into(), [value])),
                Err(reason) => issues.push(issue(&derived, reason)),
            }
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    warnings.extend(super::predict_direct::unused_field_warnings(
        signature, record,
    ));
    match DataFrame::new(1, columns) {
        Ok(frame) => Ok((frame, warnings)),
        Err(e) => Err(vec![issue("record", e.to_string())]),
    }
}

/// A lag or rolling-mean field's value: optional (absent or blank is "no history"), and a
/// finite number when given. Text or a boolean there is refused, as for any number input.
pub fn parse_derived(value: &Value) -> Result<Option<f64>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::Bool(b) => Err(format!("'{b}' is a boolean; expected a number")),
        Value::Number(_) | Value::String(_) => match number_of(value) {
            Some(n) if n.abs() <= f64::from(f32::MAX) => Ok(Some(n)),
            Some(_) => Err(format!(
                "'{}' is out of range: a number must be finite and at most 3.4e38 in size",
                text_of(value)
            )),
            None => Err(format!("'{}' is not a number", text_of(value))),
        },
        other => Err(format!("'{other}' is not a number")),
    }
}

pub fn expected(input: &InputField) -> String {
    match input.kind {
        FieldKind::Number => "a number".into(),
        FieldKind::Boolean => "true or false".into(),
        FieldKind::Category if input.categories.len() <= 8 => {
            format!("one of {}", input.categories.join(", "))
        }
        FieldKind::Category => format!(
            "a category such as {}",
            input.categories[..3.min(input.categories.len())].join(", ")
        ),
        FieldKind::Date => "a date, YYYY-MM-DD".into(),
    }
}

pub(super) fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
    .filter(|v: &f64| v.is_finite())
}

fn boolean_of(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn date_warning(input: &InputField, date: NaiveDate) -> Option<String> {
    let bound = |v: &Option<Value>| {
        v.as_ref()
            .and_then(Value::as_str)
            .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
    };
    let (first, last) = (bound(&input.min)?, bound(&input.max)?);
    (date < first || date > last).then(|| {
        format!(
            "{}: {date} is outside the training dates {first} to {last}; the model extrapolates",
            input.name
        )
    })
}

fn range_warning(input: &InputField, value: f64) -> Option<String> {
    let min = input.min.as_ref().and_then(Value::as_f64)?;
    let max = input.max.as_ref().and_then(Value::as_f64)?;
    (value < min || value > max).then(|| {
        format!(
            "{}: {value} is outside the training range {min} to {max}; the model extrapolates",
            input.name
        )
    })
}

/// Predictions for every row of `frame` (which holds the signature's columns), in the target's
/// scale, with the interval when the model has one.
/// A prediction and its interval (low, high), when the model has one.
pub type Predicted = (f64, Option<(f64, f64)>);

pub fn predict_frame(loaded: &LoadedModel, frame: &DataFrame) -> Result<Vec<Predicted>, MlError> {
    // Callers that report misses per record join first; a frame still without the looked-up
    // columns is joined here, a miss then failing the whole call.
    let joined;
    let frame = if needs_lookups(loaded, frame) {
        joined = with_lookups(loaded, frame, 1).map_err(|issues| {
            MlError::Model(
                issues
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        &joined
    } else {
        frame
    };
    let x = loaded.pipeline.transform(frame)?;
    predictions_of(loaded, &x)
}

/// The model's answers for encoded rows, in the target's scale, with the interval.
pub(super) fn predictions_of(loaded: &LoadedModel, x: &Matrix) -> Result<Vec<Predicted>, MlError> {
    let values = predict_target(&loaded.pipeline, loaded.model.as_ref(), x)?;
    let half_width = loaded.metrics.conformal.as_ref().map(|c| c.half_width);
    let regression = loaded.signature.task == Task::Regression;
    Ok(values
        .into_iter()
        .map(|v| {
            let interval = half_width.filter(|_| regression).map(|h| {
                // Sales are never negative: the interval is cut at zero when the target is.
                let low = v - h;
                (
                    if loaded.pipeline.target.log1p {
                        low.max(0.0)
                    } else {
                        low
                    },
                    v + h,
                )
            });
            (v, interval)
        })
        .collect())
}

fn needs_lookups(loaded: &LoadedModel, frame: &DataFrame) -> bool {
    loaded
        .signature
        .lookups
        .iter()
        .any(|l| l.columns.iter().any(|c| frame.column(c).is_err()))
}

/// `frame` (records parsed against the signature) with the columns of the model's lookup
/// tables joined on their keys. A record whose keys a table lacks is an issue of that record
/// (rows numbered from `first_row`).
pub fn with_lookups(
    loaded: &LoadedModel,
    frame: &DataFrame,
    first_row: usize,
) -> Result<DataFrame, Vec<FieldIssue>> {
    let mut joined = frame.clone();
    for (lookup, table) in loaded.signature.lookups.iter().zip(&loaded.lookups) {
        joined = join_for_prediction(&joined, lookup, table).map_err(|misses| {
            misses
                .into_iter()
                .map(|(row, reason)| FieldIssue {
                    row: first_row + row,
                    field: lookup.keys.join(","),
                    reason,
                })
                .collect::<Vec<_>>()
        })?;
    }
    Ok(joined)
}

/// The answer for one JSON record, with the what-if uplift when `uplift` and the model has a
/// promotion flag.
pub fn predict_record(
    loaded: &LoadedModel,
    record: &Map<String, Value>,
    uplift: bool,
) -> Result<Prediction, PredictError> {
    // A lag model fills the lags and the inputs left out from its series' history.
    let Some(completed) = super::history::complete_record(loaded, record)? else {
        return predict_checked_record(loaded, record, uplift);
    };
    let mut prediction = predict_checked_record(loaded, &completed.record, uplift)?;
    // A forecaster's dates lie past its history by design: within the periods validation scored
    // from the cut-off, that is no extrapolation worth a warning on every answer.
    let validated = loaded.metrics.horizon.as_ref().map_or(0, |h| h.horizon);
    let within = completed.step.is_some_and(|h| h <= validated);
    if let (true, Some(lags)) = (within, &loaded.signature.derived) {
        let date_warning = format!("{}: ", lags.date);
        prediction.warnings.retain(|w| {
            !(w.starts_with(&date_warning) && w.contains("outside the training dates"))
        });
    }
    let mut warnings = completed.warnings;
    warnings.append(&mut prediction.warnings);
    prediction.warnings = warnings;
    if let Some(step) = completed.step
        && loaded.signature.task == Task::Regression
    {
        prediction.interval = super::forecast_future::step_interval(loaded, prediction.value, step);
    }
    Ok(prediction)
}

/// The answer for a record whose fields are all there is to it.
fn predict_checked_record(
    loaded: &LoadedModel,
    record: &Map<String, Value>,
    uplift: bool,
) -> Result<Prediction, PredictError> {
    if !uplift && loaded.signature.lookups.is_empty() {
        return super::predict_direct::predict_record_direct(loaded, record);
    }
    let (frame, warnings) =
        record_frame(&loaded.signature, record, 1).map_err(PredictError::Invalid)?;
    let frame = with_lookups(loaded, &frame, 1).map_err(PredictError::Invalid)?;
    let (value, interval) = predict_frame(loaded, &frame)?
        .into_iter()
        .next()
        .ok_or(MlError::Empty("prediction"))?;
    let mut points = Vec::new();
    if uplift && let Some(promotion) = promotion_columns(&loaded.signature) {
        let mut depths = uplift_depths(&loaded.signature, &promotion);
        // The depth the record itself gives (a promotion being planned) is tried as well.
        let own_depth = promotion
            .depth_pct
            .as_ref()
            .and_then(|d| record.get(d))
            .and_then(number_of)
            .filter(|d| *d > 0.0);
        if let Some(own) = own_depth
            && !depths.contains(&Some(own))
        {
            depths.push(Some(own));
            depths.sort_by(|a, b| a.unwrap_or(0.0).total_cmp(&b.unwrap_or(0.0)));
        }
        let (off, on) = promotion_predictions(loaded, &frame, &promotion, &depths)?;
        let off = off.first().copied().unwrap_or(f64::NAN);
        points.push(UpliftPoint {
            promotion: false,
            depth_pct: None,
            prediction: off,
            uplift: 0.0,
            uplift_pct: Some(0.0),
        });
        for (depth, on) in depths.into_iter().zip(on) {
            let on = on.first().copied().unwrap_or(f64::NAN);
            points.push(UpliftPoint {
                promotion: true,
                depth_pct: depth,
                prediction: on,
                uplift: on - off,
                uplift_pct: (off != 0.0).then(|| 100.0 * (on - off) / off),
            });
        }
    }
    Ok(Prediction {
        value,
        interval,
        interval_level: loaded.metrics.conformal.as_ref().map(|c| c.level),
        uplift: points,
        warnings,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    #[error("{} invalid field(s): {}", .0.len(), .0.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldIssue>),
    #[error(transparent)]
    Ml(#[from] MlError),
}
