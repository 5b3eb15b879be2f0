//! A batch of records (a frame read from a file) checked against a model's signature by the
//! same per-value rule as one JSON record (`predict::parse_field`, `predict::parse_derived`),
//! column by column. A file and a record are refused for the same reasons in the same words:
//! "2" is not a boolean, "NaN" is not a number, text in a lag field is not history.
//!
//! Columns already in the type the input wants are checked in place (finite, in range, 0/1);
//! text columns are parsed value by value, each distinct text once.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;
use serde_json::Value;

use super::MlError;
use super::lags::LagSpec;
use super::predict::{FieldIssue, FieldValue, parse_derived, parse_field};
use super::signature::{FieldKind, InputField, Signature};

/// The frame with every signature input in the type the pipeline expects (and each lag field
/// the model derives, given or missing), and every value that cannot be used, by 1-based row.
/// A column the signature needs and the frame lacks fails the whole batch.
pub fn conform_frame(
    signature: &Signature,
    frame: DataFrame,
) -> Result<(DataFrame, Vec<FieldIssue>), MlError> {
    let mut frame = frame;
    let missing: Vec<&str> = signature
        .inputs
        .iter()
        .filter(|i| frame.column(&i.name).is_err())
        .map(|i| i.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(MlError::MissingInputs {
            missing: missing.join(", "),
            expected: signature
                .inputs
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut issues = Vec::new();
    for input in &signature.inputs {
        let column = frame.column(&input.name)?.as_materialized_series().clone();
        let converted = conform_input(input, &column, &mut issues)?;
        frame.with_column(converted)?;
    }
    let derived = signature
        .derived
        .as_ref()
        .map(LagSpec::output_names)
        .unwrap_or_default();
    for name in derived {
        let column = match frame.column(&name) {
            Ok(given) => {
                let given = given.as_materialized_series().clone();
                conform_derived(&name, &given, &mut issues)?
            }
            Err(_) => Column::full_null(name.as_str().into(), frame.height(), &DataType::Float64),
        };
        frame.with_column(column)?;
    }
    issues.sort_by(|a, b| a.row.cmp(&b.row).then_with(|| a.field.cmp(&b.field)));
    Ok((frame, issues))
}

/// One input column in the pipeline's type, its bad values added to `issues`.
fn conform_input(
    input: &InputField,
    column: &Series,
    issues: &mut Vec<FieldIssue>,
) -> Result<Column, MlError> {
    let name: PlSmallStr = input.name.as_str().into();
    let mut report = |row: usize, reason: String| {
        issues.push(FieldIssue {
            row: row + 1,
            field: input.name.clone(),
            reason,
        })
    };
    let native = match (input.kind, column.dtype()) {
        (FieldKind::Number, dtype) if dtype.is_primitive_numeric() => true,
        (FieldKind::Boolean, DataType::Boolean) => true,
        (FieldKind::Boolean, dtype) if dtype.is_integer() => true,
        (FieldKind::Date, DataType::Date | DataType::Datetime(_, _)) => true,
        _ => false,
    };
    if native {
        // Values in the right type still pass the record rule: finite numbers within range,
        // 0/1 for a flag, and missing only where training saw gaps.
        // Only the values that could fail are handed to the rule, in the form a JSON record
        // would carry them.
        let values = column.cast(&DataType::Float64)?;
        let flag = input.kind == FieldKind::Boolean;
        for (row, value) in values.f64()?.iter().enumerate() {
            let json = match value {
                None => Value::Null,
                Some(v) if v.is_finite() && v.abs() <= f64::from(f32::MAX) => {
                    if !flag || v == 0.0 || v == 1.0 {
                        continue;
                    }
                    if v.fract() == 0.0 {
                        Value::from(v as i64)
                    } else {
                        Value::from(v)
                    }
                }
                // As a JSON record would write it: 1e39, not forty digits.
                Some(v) => Value::String(format!("{v:e}")),
            };
            if let Err(reason) = check_native(input, &json) {
                report(row, reason);
            }
        }
        return Ok(match input.kind {
            FieldKind::Boolean if column.dtype() != &DataType::Boolean => {
                column.cast(&DataType::Boolean)?.into_column()
            }
            _ => column.clone().into_column(),
        });
    }
    let text = column.cast(&DataType::String)?;
    let mut seen: HashMap<&str, Result<FieldValue, String>> = HashMap::new();
    let mut values: Vec<Option<FieldValue>> = Vec::with_capacity(text.len());
    for (row, cell) in text.str()?.iter().enumerate() {
        let parsed = match cell {
            None => parse_field(input, &Value::Null).map(|(v, _)| v),
            Some(cell) => seen
                .entry(cell)
                .or_insert_with(|| {
                    parse_field(input, &Value::String(cell.to_string())).map(|(v, _)| v)
                })
                .clone(),
        };
        match parsed {
            Ok(value) => values.push(Some(value)),
            Err(reason) => {
                report(row, reason);
                values.push(None);
            }
        }
    }
    Ok(match input.kind {
        FieldKind::Number => {
            let numbers: Vec<Option<f64>> = values
                .iter()
                .map(|v| match v {
                    Some(FieldValue::Number(n)) => Some(*n),
                    _ => None,
                })
                .collect();
            Column::new(name, numbers)
        }
        FieldKind::Boolean => {
            let flags: Vec<Option<bool>> = values
                .iter()
                .map(|v| match v {
                    Some(FieldValue::Boolean(b)) => Some(*b),
                    _ => None,
                })
                .collect();
            Column::new(name, flags)
        }
        FieldKind::Category => text.into_column(),
        FieldKind::Date => {
            let days: Vec<Option<i32>> = values
                .iter()
                .map(|v| match v {
                    Some(FieldValue::Date(date)) => {
                        Some(date.signed_duration_since(NaiveDate::default()).num_days() as i32)
                    }
                    _ => None,
                })
                .collect();
            Column::new(name, days).cast(&DataType::Date)?
        }
    })
}

/// The record rule for a value already in the column type the input wants.
fn check_native(input: &InputField, value: &Value) -> Result<(), String> {
    match (input.kind, value) {
        // A date column's values are dates; only a gap needs the rule.
        (FieldKind::Date, Value::Null) => parse_field(input, value).map(|_| ()),
        (FieldKind::Date, _) => Ok(()),
        _ => parse_field(input, value).map(|_| ()),
    }
}

/// A lag or rolling-mean column the file gives: numbers, or blanks for "no history".
fn conform_derived(
    name: &str,
    column: &Series,
    issues: &mut Vec<FieldIssue>,
) -> Result<Column, MlError> {
    let text = column.cast(&DataType::String)?;
    let mut values = Vec::with_capacity(text.len());
    for (row, cell) in text.str()?.iter().enumerate() {
        let value = cell.map_or(Value::Null, |c| Value::String(c.to_string()));
        match parse_derived(&value) {
            Ok(number) => values.push(number),
            Err(reason) => {
                issues.push(FieldIssue {
                    row: row + 1,
                    field: name.to_string(),
                    reason,
                });
                values.push(None);
            }
        }
    }
    Ok(Column::new(name.into(), values))
}
