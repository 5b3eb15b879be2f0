//! The carry-forward rule, the one home of what an input left out (a record's, or a future
//! row's) takes: the series' last *ordinary* row, every event flag at its usual value.

use polars::prelude::*;
use serde_json::Value;

use crate::ml::MlError;
use crate::ml::signature::{FieldKind, Signature};

/// The inputs that mark an event: flags (true / false, or numbers that were only 0 and 1 in
/// training: a promotion, a display, a holiday).
pub fn event_flags(signature: &Signature) -> Vec<String> {
    let number = |v: &Option<Value>| v.as_ref().and_then(Value::as_f64);
    signature
        .inputs
        .iter()
        .filter(|i| match i.kind {
            FieldKind::Boolean => true,
            FieldKind::Number => number(&i.min) == Some(0.0) && number(&i.max) == Some(1.0),
            FieldKind::Category | FieldKind::Date => false,
        })
        .map(|i| i.name.clone())
        .collect()
}

/// Each flag column of `frame` as numbers (true = 1), for `ordinary_rows`.
pub(crate) fn flag_values(
    frame: &DataFrame,
    flags: &[String],
) -> Result<Vec<Vec<Option<f64>>>, MlError> {
    flags
        .iter()
        .map(|name| {
            let column = frame.column(name)?.cast(&DataType::Float64)?;
            Ok(column.as_materialized_series().f64()?.iter().collect())
        })
        .collect()
}

/// The carry-forward rule: of one series' `rows` (in date order), which are ordinary, every event
/// flag at the series' most common value (no promotion, no holiday where those are rare).
/// Covariates are carried forward from the last ordinary row, so one Christmas week or one
/// promotion week at the end of the history is not repeated over the whole forecast, and the
/// price and depth carried agree with the flags.
pub(crate) fn ordinary_rows(flags: &[Vec<Option<f64>>], rows: &[usize]) -> Vec<bool> {
    let usual: Vec<Option<f64>> = flags
        .iter()
        .map(|values| {
            let mut counts: Vec<(f64, usize)> = Vec::new();
            for v in rows.iter().filter_map(|&r| values[r]) {
                match counts.iter_mut().find(|(x, _)| *x == v) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((v, 1)),
                }
            }
            counts.into_iter().max_by_key(|(_, n)| *n).map(|(v, _)| v)
        })
        .collect();
    rows.iter()
        .map(|&r| {
            flags
                .iter()
                .zip(&usual)
                .all(|(values, usual)| usual.is_none() || values[r] == *usual)
        })
        .collect()
}

/// The row covariates are carried from: the last ordinary one of `rows` (date order), else the
/// last.
pub(crate) fn carried_row(rows: &[usize], ordinary: &[bool]) -> Option<usize> {
    rows.iter()
        .zip(ordinary)
        .rev()
        .find(|(_, o)| **o)
        .map(|(r, _)| *r)
        .or_else(|| rows.last().copied())
}
