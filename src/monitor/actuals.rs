//! `actuals add`: a file of what happened, matched to what a model predicted for the same series
//! and date. Keys, date and target default to the model's signature (its lag spec). Every row
//! that cannot be scored is counted by why — a bad target or date (row and value named), a series
//! the model never predicted, a date it never predicted for a known series, a repeat within the
//! file — and the matched rows are stored in one transaction: a failure stores none, and the same
//! file again changes nothing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::Serialize;

use super::MonitorError;
use crate::data::{ReadOptions, read_dataset};
use crate::store::{AddedActuals, NewActual, RunStore};

/// What to read.
#[derive(Clone, Debug)]
pub struct ActualsRequest {
    pub model: String,
    pub file: PathBuf,
    pub keys: Option<Vec<String>>,
    pub date: Option<String>,
    pub target: Option<String>,
    /// Replace actuals already stored with other values (a corrected file).
    pub replace: bool,
}

/// How many rows of each kind, with a few examples of each kind that was not scored.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActualsReport {
    pub file: String,
    pub rows: usize,
    pub matched: usize,
    pub stored: AddedActuals,
    pub bad_rows: usize,
    pub unknown_series: usize,
    pub dates_never_predicted: usize,
    pub duplicates: usize,
    /// Up to a few examples per kind: `row 12: units_sold 'lots' is not a number`.
    pub examples: Vec<String>,
}

const EXAMPLES_PER_KIND: usize = 3;

/// The key, date and target columns of `model` (the newest version's signature), each overridden
/// when given.
pub fn columns_of(
    store: &RunStore,
    request: &ActualsRequest,
) -> Result<(Vec<String>, String, String), MonitorError> {
    let version = crate::registry::resolve(
        store,
        &crate::registry::ModelRef::Latest(request.model.clone()),
    )?;
    let signature: crate::ml::signature::Signature = serde_json::from_str(&version.signature_json)
        .map_err(|e| {
            MonitorError::Input(format!(
                "model {}'s signature does not read: {e}",
                request.model
            ))
        })?;
    let lags = signature.derived.as_ref();
    let keys = match (&request.keys, lags) {
        (Some(keys), _) => keys.clone(),
        (None, Some(lags)) => lags.groups.clone(),
        (None, None) => Vec::new(),
    };
    let date = match (&request.date, lags) {
        (Some(date), _) => date.clone(),
        (None, Some(lags)) => lags.date.clone(),
        (None, None) => {
            return Err(MonitorError::Input(format!(
                "model {} has no date column in its signature (no lags): give --date COLUMN and \
                 --keys A,B",
                request.model
            )));
        }
    };
    let target = request.target.clone().unwrap_or(signature.target.clone());
    Ok((keys, date, target))
}

fn text_column(
    frame: &DataFrame,
    name: &str,
    file: &Path,
) -> Result<Vec<Option<String>>, MonitorError> {
    let column = frame.column(name).map_err(|_| {
        MonitorError::Input(format!(
            "{}: no column '{name}'; the file has {}",
            file.display(),
            frame
                .get_column_names()
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let text = column
        .cast(&DataType::String)
        .map_err(|e| MonitorError::Input(format!("{}: column '{name}': {e}", file.display())))?;
    let text = text
        .as_materialized_series()
        .str()
        .map_err(|e| MonitorError::Input(format!("{}: column '{name}': {e}", file.display())))?
        .clone();
    Ok(text.iter().map(|v| v.map(str::to_string)).collect())
}

/// Reads, matches and stores the actuals of `request`.
pub fn add_actuals(
    store: &mut RunStore,
    request: &ActualsRequest,
    options: &ReadOptions,
) -> Result<ActualsReport, MonitorError> {
    let (keys, date, target) = columns_of(store, request)?;
    let file = &request.file;
    let frame = read_dataset(file, options)
        .map_err(|e| MonitorError::Input(e.to_string()))?
        .frame;
    let key_text: Vec<Vec<Option<String>>> = keys
        .iter()
        .map(|k| text_column(&frame, k, file))
        .collect::<Result<_, _>>()?;
    let dates = text_column(&frame, &date, file)?;
    let targets = text_column(&frame, &target, file)?;
    let predicted = store.predicted_keys(&request.model)?;
    let known_series: HashSet<&str> = predicted.iter().map(|(s, _)| s.as_str()).collect();
    let mut report = ActualsReport {
        file: file.display().to_string(),
        rows: frame.height(),
        ..ActualsReport::default()
    };
    let mut examples: HashMap<&'static str, usize> = HashMap::new();
    let mut example = |report: &mut ActualsReport, kind: &'static str, text: String| {
        let seen = examples.entry(kind).or_insert(0);
        if *seen < EXAMPLES_PER_KIND {
            report.examples.push(text);
        }
        *seen += 1;
    };
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut matched = Vec::new();
    for row in 0..frame.height() {
        // Row numbers as an editor shows them: the header is line 1.
        let line = row + 2;
        let Some(day) = dates[row]
            .as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok())
        else {
            report.bad_rows += 1;
            let why = match dates[row].as_deref() {
                None => format!("row {line}: {date} is missing"),
                Some(shown) => format!("row {line}: {date} '{shown}' is not a date (YYYY-MM-DD)"),
            };
            example(&mut report, "date", why);
            continue;
        };
        let Some(value) = targets[row]
            .as_deref()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
        else {
            report.bad_rows += 1;
            let why = match targets[row].as_deref() {
                None => format!("row {line}: {target} is missing"),
                Some(shown) => format!("row {line}: {target} '{shown}' is not a number"),
            };
            example(&mut report, "target", why);
            continue;
        };
        let series: Vec<String> = key_text
            .iter()
            .map(|column| column[row].clone().unwrap_or_default())
            .collect();
        let series = series.join("|");
        let day = day.format("%Y-%m-%d").to_string();
        let pair = (series, day);
        if !seen.insert(pair.clone()) {
            report.duplicates += 1;
            example(
                &mut report,
                "duplicate",
                format!(
                    "row {line}: {} on {} repeats an earlier row (the first is kept)",
                    pair.0, pair.1
                ),
            );
            continue;
        }
        if !predicted.contains(&pair) {
            if known_series.contains(pair.0.as_str()) {
                report.dates_never_predicted += 1;
                example(
                    &mut report,
                    "date never",
                    format!("row {line}: {} was never predicted for {}", pair.0, pair.1),
                );
            } else {
                report.unknown_series += 1;
                example(
                    &mut report,
                    "unknown",
                    format!(
                        "row {line}: series {} was never predicted by {}",
                        pair.0, request.model
                    ),
                );
            }
            continue;
        }
        matched.push(NewActual {
            series_key: pair.0,
            target_date: pair.1,
            actual: value,
        });
    }
    report.matched = matched.len();
    let source = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if report.matched == 0 && report.rows > 0 {
        return Err(MonitorError::Input(format!(
            "{}: no row matches a prediction of {} ({} bad, {} of series never predicted, {} of \
             dates never predicted, {} repeated){}; nothing stored",
            file.display(),
            request.model,
            report.bad_rows,
            report.unknown_series,
            report.dates_never_predicted,
            report.duplicates,
            report
                .examples
                .first()
                .map_or(String::new(), |e| format!(": {e}"))
        )));
    }
    report.stored = store.add_actuals(&request.model, &matched, &source, request.replace)?;
    Ok(report)
}
