//! History-filled predictions. The bundle of a lag model keeps the tail of every series that its
//! lags and windows reach (`history.parquet`, checksummed with the rest), so a record needs only
//! its series keys and its date:
//! - the lags and rolling means are looked up in the series' history; for a date past its end
//!   the periods between are forecast first (the recursive walk `forecast` makes), and the lags
//!   reach into those forecasts;
//! - an input the record leaves out is carried forward from the series' last row, as `forecast
//!   --carry-forward` does, and the answer says so.
//!
//! A record for a date one period past the history is then the forecast's step 1 to the bit, and
//! h periods past is its step h (with covariates carried forward). Lag fields given in a record
//! still win (an override); a series the history does not hold answers with its lags missing and
//! a warning that says so.

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::*;
use serde_json::{Map, Value};

use super::MlError;
use super::artifact::LoadedModel;
use super::forecast::features_at;
use super::forecast_future::{Covariates, forecast};
use super::frame::day_numbers;
use super::lags::{LagSpec, group_keys, most_common_gap, numbers};
use super::predict::{FieldIssue, PredictError};
use crate::data::profile::day_text;

/// The bundle's file of series tails.
pub const HISTORY_FILE: &str = "history.parquet";

mod batch;
mod carry;

pub use batch::{BatchFill, fill_batch};
pub use carry::event_flags;
pub(crate) use carry::{carried_row, flag_values, ordinary_rows};

/// Periods of history every series keeps at least, whatever its lags reach: what the Forecast
/// tab charts before the forecast (a year of weekly data).
pub const CHART_PERIODS: usize = 52;

/// The rows of `frame` each series' lags and windows reach from its last date (at least
/// `CHART_PERIODS`), cut to `columns`.
pub fn series_tails(
    frame: &DataFrame,
    lags: &LagSpec,
    columns: &[String],
) -> Result<DataFrame, MlError> {
    let reach = lags
        .lags
        .iter()
        .chain(&lags.rolling_means)
        .copied()
        .chain(std::iter::once(CHART_PERIODS))
        .max()
        .unwrap_or(CHART_PERIODS) as i64;
    let days = day_numbers(frame, &lags.date)?;
    let keys = group_keys(frame, &lags.groups)?;
    let mut by_series: HashMap<&str, Vec<i32>> = HashMap::new();
    for (key, day) in keys.iter().zip(&days) {
        by_series.entry(key.as_str()).or_default().push(*day);
    }
    let mut first_kept: HashMap<&str, i64> = HashMap::new();
    for (key, series_days) in &mut by_series {
        series_days.sort_unstable();
        let period = i64::from(most_common_gap(series_days));
        let last = i64::from(*series_days.last().unwrap_or(&0));
        first_kept.insert(key, last - reach * period);
    }
    let keep: BooleanChunked = keys
        .iter()
        .zip(&days)
        .map(|(key, day)| {
            first_kept
                .get(key.as_str())
                .is_some_and(|f| i64::from(*day) >= *f)
        })
        .collect();
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    Ok(frame.select(names)?.filter(&keep)?)
}

/// One series of the history: its rows by date.
struct SeriesRows {
    /// The group values, in the lag spec's order.
    parts: Vec<String>,
    /// The columns whose value changes along the series (a price; not its region).
    varying: Vec<String>,
    /// Per row: no event flag away from the series' usual value (`ordinary_rows`).
    ordinary: Vec<bool>,
    rows: Vec<IdxSize>,
    days: Vec<i32>,
    values: Vec<Option<f64>>,
    period: i32,
}

/// The bundled history, indexed by series.
pub struct History {
    frame: DataFrame,
    series: HashMap<String, SeriesRows>,
}

impl History {
    /// The history of `frame`, its event flags being `flags` (`event_flags`).
    pub fn new(frame: DataFrame, lags: &LagSpec, flags: &[String]) -> Result<Self, MlError> {
        let days = day_numbers(&frame, &lags.date)?;
        let values = numbers(&frame, &lags.value)?;
        let keys = group_keys(&frame, &lags.groups)?;
        let mut texts = Vec::with_capacity(lags.groups.len());
        for group in &lags.groups {
            let text = frame.column(group)?.cast(&DataType::String)?;
            let values: Vec<String> = text
                .as_materialized_series()
                .str()?
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect();
            texts.push(values);
        }
        let mut order: Vec<usize> = (0..frame.height()).collect();
        order.sort_by_key(|&r| days[r]);
        let mut series: HashMap<String, SeriesRows> = HashMap::new();
        for row in order {
            let s = series
                .entry(keys[row].clone())
                .or_insert_with(|| SeriesRows {
                    parts: texts.iter().map(|t| t[row].clone()).collect(),
                    varying: Vec::new(),
                    ordinary: Vec::new(),
                    rows: Vec::new(),
                    days: Vec::new(),
                    values: Vec::new(),
                    period: 1,
                });
            s.rows.push(row as IdxSize);
            s.days.push(days[row]);
            s.values.push(values[row]);
        }
        let flags = flag_values(&frame, flags)?;
        for s in series.values_mut() {
            s.period = most_common_gap(&s.days);
            let rows: Vec<usize> = s.rows.iter().map(|&r| r as usize).collect();
            s.ordinary = ordinary_rows(&flags, &rows);
        }
        // Which columns vary along each series, found once here rather than per record.
        for column in frame.columns() {
            let values = column.as_materialized_series();
            for s in series.values_mut() {
                let first = s
                    .rows
                    .first()
                    .map(|&r| values.get(r as usize))
                    .transpose()?;
                for &row in s.rows.iter().skip(1) {
                    if Some(values.get(row as usize)?) != first {
                        s.varying.push(column.name().to_string());
                        break;
                    }
                }
            }
        }
        Ok(Self { frame, series })
    }

    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// The history's rows of the series whose group values match every (group index, value)
    /// of `wanted` (all series when it is empty), and how many series that is.
    pub fn rows_matching(&self, wanted: &[(usize, String)]) -> (Vec<IdxSize>, usize) {
        let mut rows = Vec::new();
        let mut count = 0;
        for s in self.series.values() {
            if wanted.iter().all(|(i, v)| s.parts.get(*i) == Some(v)) {
                rows.extend_from_slice(&s.rows);
                count += 1;
            }
        }
        rows.sort_unstable();
        (rows, count)
    }

    /// Every series' group values, sorted (for pickers and error messages).
    pub fn series_keys(&self) -> Vec<Vec<String>> {
        let mut keys: Vec<Vec<String>> = self.series.values().map(|s| s.parts.clone()).collect();
        keys.sort();
        keys
    }

    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    /// The last date of a series given as its key values in the lag spec's order.
    pub fn last_day(&self, keys: &[String]) -> Option<i32> {
        let key: String = keys.iter().map(|k| format!("{k}|")).collect();
        self.series.get(&key).and_then(|s| s.days.last().copied())
    }
}

/// A record completed from the history.
pub struct Completed {
    pub record: Map<String, Value>,
    pub warnings: Vec<String>,
    /// Periods past the history's end (1 = the next period), for a date after it.
    pub step: Option<usize>,
}

/// `record` with its lags and missing inputs filled from the bundled history; `None` when the
/// model keeps no history. A record of a history model that lacks its series keys or date, or
/// has a malformed date, is refused naming those fields only.
pub fn complete_record(
    loaded: &LoadedModel,
    record: &Map<String, Value>,
) -> Result<Option<Completed>, PredictError> {
    let (Some(history), Some(lags)) = (&loaded.history, &loaded.signature.derived) else {
        return Ok(None);
    };
    // The series and the date are what such a record is: their absence is the one problem
    // named (the other inputs would come from the history).
    let identity = "missing; a record of this model names its series and its date, and the rest \
                    comes from the series' history";
    let issue = |field: &str, reason: String| FieldIssue {
        row: 1,
        field: field.to_string(),
        reason,
    };
    let mut issues = Vec::new();
    let mut key = String::new();
    let mut shown = Vec::new();
    for group in &lags.groups {
        let Some(value) = record.get(group).filter(|v| !is_blank(v)) else {
            issues.push(issue(group, identity.to_string()));
            continue;
        };
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        key.push_str(&text);
        key.push('|');
        shown.push(format!("{group} {text}"));
    }
    let day = match record.get(&lags.date).filter(|v| !is_blank(v)) {
        None => {
            issues.push(issue(&lags.date, identity.to_string()));
            None
        }
        Some(value) => {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let parsed = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(|d| (d - NaiveDate::default()).num_days() as i32);
            if parsed.is_err() {
                issues.push(issue(
                    &lags.date,
                    format!("'{text}' is not a date; expected YYYY-MM-DD"),
                ));
            }
            parsed.ok()
        }
    };
    let Some(day) = day.filter(|_| issues.is_empty()) else {
        return Err(PredictError::Invalid(issues));
    };
    let series_name = shown.join(" / ");
    let derived = lags.output_names();
    let mut record = record.clone();
    let mut warnings = Vec::new();
    let Some(series) = history.series.get(&key) else {
        if derived.iter().any(|d| record.get(d).is_none_or(is_blank)) {
            warnings.push(format!(
                "no history for {series_name}: lags missing; the model answers as for a series \
                 it has never seen"
            ));
        }
        return Ok(Some(Completed {
            record,
            warnings,
            step: None,
        }));
    };

    // Inputs left out: the series' row at that date, or the last ordinary one before it (the
    // carry-forward rule the forecast follows).
    let until = series.days.partition_point(|&d| d <= day).max(1);
    let base = match series.days.get(until - 1) {
        Some(&d) if d == day => until - 1,
        _ => (0..until)
            .rev()
            .find(|&i| series.ordinary[i])
            .unwrap_or(until - 1),
    };
    let base_row = series.rows[base] as usize;
    let mut carried = Vec::new();
    for input in &loaded.signature.inputs {
        if record.get(&input.name).is_some_and(|v| !is_blank(v)) {
            continue;
        }
        let column = history.frame.column(&input.name).map_err(MlError::from)?;
        let value = json_of(column.get(base_row).map_err(MlError::from)?);
        if value.is_null() {
            continue;
        }
        record.insert(input.name.clone(), value);
        // A value the series never changes (its region, its category) is the series' own; only
        // a carried value that varies (a price, a promotion) is worth a warning.
        if series.varying.contains(&input.name) {
            carried.push(input.name.clone());
        }
    }
    if !carried.is_empty() {
        let which = if series.days[base] == day || base + 1 == until {
            String::new()
        } else {
            " (its last without an event such as a promotion or a holiday)".to_string()
        };
        warnings.push(format!(
            "{}: not given; carried forward from {series_name}'s row of {}{which}",
            carried.join(", "),
            day_text(series.days[base])
        ));
    }

    if derived
        .iter()
        .all(|d| record.get(d).is_some_and(|v| !is_blank(v)))
    {
        return Ok(Some(Completed {
            record,
            warnings,
            step: None,
        }));
    }
    let last = *series.days.last().unwrap_or(&day);
    let (mut days, mut values) = (series.days.clone(), series.values.clone());
    let mut step = None;
    if day > last {
        let gap = i64::from(day) - i64::from(last);
        let period = i64::from(series.period);
        if gap % period != 0 {
            return Err(PredictError::Invalid(vec![FieldIssue {
                row: 1,
                field: lags.date.clone(),
                reason: format!(
                    "{} is not a date of {series_name}: its dates are {} day(s) apart, the last \
                     {}",
                    day_text(day),
                    series.period,
                    day_text(last)
                ),
            }]));
        }
        let h = (gap / period) as usize;
        if h > super::spec_check::MAX_PERIODS {
            return Err(PredictError::Invalid(vec![FieldIssue {
                row: 1,
                field: lags.date.clone(),
                reason: format!(
                    "{} is {h} periods past the history's end ({}); at most {} are forecast",
                    day_text(day),
                    day_text(last),
                    super::spec_check::MAX_PERIODS
                ),
            }]));
        }
        if h > 1 {
            // The periods between, forecast as `forecast` does with covariates carried forward.
            let rows = IdxCa::from_vec("rows".into(), series.rows.clone());
            let tail = history.frame.take(&rows).map_err(MlError::from)?;
            for f in forecast(loaded, tail, None, h - 1, Covariates::CarryForward)? {
                days.push(f.day);
                values.push(Some(f.value));
            }
            warnings.push(format!(
                "{} is {h} periods past {series_name}'s history (last {}): its lags reach the \
                 model's own forecasts of the periods between",
                day_text(day),
                day_text(last)
            ));
        }
        step = Some(h);
    }
    for (name, value) in derived
        .iter()
        .zip(features_at(&days, &values, series.period, lags, day))
    {
        if record.get(name).is_none_or(is_blank) {
            record.insert(name.clone(), value.map_or(Value::Null, Value::from));
        }
    }
    Ok(Some(Completed {
        record,
        warnings,
        step,
    }))
}

fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A history cell as the JSON a record would carry.
fn json_of(value: AnyValue<'_>) -> Value {
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Date(days) => Value::String(day_text(days)),
        AnyValue::Int8(v) => Value::from(v),
        AnyValue::Int16(v) => Value::from(v),
        AnyValue::Int32(v) => Value::from(v),
        AnyValue::Int64(v) => Value::from(v),
        AnyValue::UInt8(v) => Value::from(v),
        AnyValue::UInt16(v) => Value::from(v),
        AnyValue::UInt32(v) => Value::from(v),
        AnyValue::UInt64(v) => Value::from(v),
        AnyValue::Float32(v) => Value::from(f64::from(v)),
        AnyValue::Float64(v) => Value::from(v),
        other => Value::String(other.to_string()),
    }
}
