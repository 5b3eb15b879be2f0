//! Lookup tables joined to a dataset on one or more key columns (Rossmann's store table on
//! `Store`, a covariates table on `Store,Date`), in training and again when predicting.
//!
//! One join for both: key types are reconciled the same way (an integer key against a text key
//! is cast when every value converts, refused otherwise), the table must hold one row per key,
//! and rows without a match are counted. A model keeps the tables it trained with in its bundle,
//! so a record needs only the main file's columns; at prediction a key with no row in a table is
//! an error of that record.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;

/// A lookup as asked for: `FILE:KEY[,KEY…]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "LookupSpecOnDisk")]
pub struct LookupSpec {
    pub path: PathBuf,
    pub keys: Vec<String>,
}

/// Specs saved before lookups took several keys had one `key`.
#[derive(Deserialize)]
struct LookupSpecOnDisk {
    path: PathBuf,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
}

impl From<LookupSpecOnDisk> for LookupSpec {
    fn from(disk: LookupSpecOnDisk) -> Self {
        let mut keys = disk.keys;
        if let Some(key) = disk.key
            && !keys.contains(&key)
        {
            keys.insert(0, key);
        }
        LookupSpec {
            path: disk.path,
            keys,
        }
    }
}

impl LookupSpec {
    /// `stores.csv:Store` or `covariates.csv:Store,Date`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (file, keys) = text.rsplit_once(':').ok_or_else(|| {
            format!("'{text}': expected FILE:KEY or FILE:KEY1,KEY2 (e.g. stores.csv:Store)")
        })?;
        let keys: Vec<String> = keys
            .split(',')
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        if file.trim().is_empty() || keys.is_empty() {
            return Err(format!(
                "'{text}': expected FILE:KEY or FILE:KEY1,KEY2 (e.g. stores.csv:Store)"
            ));
        }
        if let Some(twice) = keys
            .iter()
            .enumerate()
            .find(|(i, k)| keys[..*i].contains(k))
        {
            return Err(format!("'{text}': the key '{}' is named twice", twice.1));
        }
        Ok(LookupSpec {
            path: PathBuf::from(file.trim()),
            keys,
        })
    }
}

impl std::fmt::Display for LookupSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.keys.join(","))
    }
}

/// What a join did, for the run's log and the launch message.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinReport {
    pub rows: usize,
    /// Rows of the dataset whose keys have no row in the table.
    pub unmatched: usize,
    /// The first unmatched key, as `Store=99, Date=2015-08-01`.
    pub first_unmatched: Option<String>,
    /// The columns the table added.
    pub columns: Vec<String>,
    /// Key columns cast to match the dataset's type.
    pub casts: Vec<String>,
}

impl JoinReport {
    pub fn describe(&self, table: &Path) -> String {
        let mut text = format!(
            "lookup {}: {} column(s) joined",
            table.display(),
            self.columns.len()
        );
        if self.unmatched > 0 {
            text.push_str(&format!(
                "; {} of {} rows have no match (first: {}) and get missing values",
                self.unmatched,
                self.rows,
                self.first_unmatched.as_deref().unwrap_or("?")
            ));
        } else {
            text.push_str(&format!("; all {} rows matched", self.rows));
        }
        for cast in &self.casts {
            text.push_str(&format!("; {cast}"));
        }
        text
    }
}

/// `null`, one lookup object (specs saved before several lookups) or a list.
pub(super) fn one_or_many<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<LookupSpec>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(LookupSpec),
        Many(Vec<LookupSpec>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// A lookup table as joined for training: kept so the model's bundle can carry it.
pub struct PreparedLookup {
    pub spec: LookupSpec,
    /// The table with its keys cast to the dataset's types.
    pub table: DataFrame,
    pub report: JoinReport,
}

/// Why a lookup cannot be joined: the user's input, or polars.
#[derive(Debug)]
pub enum LookupError {
    Input(String),
    Ml(MlError),
}

/// Checks and joins `table` (read from `path`) to `frame` for training, keeping the conformed
/// table for the model's bundle. `data` is the dataset's path, for messages.
pub fn prepare_lookup(
    data: &Path,
    frame: DataFrame,
    lookup: &LookupSpec,
    path: &Path,
    table: &DataFrame,
) -> Result<(DataFrame, PreparedLookup), LookupError> {
    let what = path.display().to_string();
    let data = data.display().to_string();
    let (table, casts) =
        conform_table(&frame, table, &lookup.keys, &what, &data).map_err(LookupError::Input)?;
    let (joined, mut report) = join_table(&frame, &table, &lookup.keys).map_err(LookupError::Ml)?;
    if report.rows > 0 && report.unmatched == report.rows {
        return Err(LookupError::Input(format!(
            "{what}: no row of {data} matches the lookup on {} (the dataset's first key is {}, \
             the lookup's first is {}); check that the keys mean the same thing",
            lookup.keys.join(","),
            report.first_unmatched.as_deref().unwrap_or("?"),
            key_text(&table, &lookup.keys, 0)
        )));
    }
    report.casts = casts;
    Ok((
        joined,
        PreparedLookup {
            spec: lookup.clone(),
            table,
            report,
        },
    ))
}

const ROW: &str = "__shelfcast_row";
const MATCHED: &str = "__shelfcast_matched";

/// Checks `table` as a lookup for `frame` on `keys` and returns it with its keys cast to the
/// dataset's types. `what` names the table in messages; `data` names the dataset.
pub fn conform_table(
    frame: &DataFrame,
    table: &DataFrame,
    keys: &[String],
    what: &str,
    data: &str,
) -> Result<(DataFrame, Vec<String>), String> {
    let mut table = table.clone();
    let mut casts = Vec::new();
    for key in keys {
        let Ok(ours) = frame.column(key) else {
            return Err(format!("{data}: no column '{key}' to join {what} on"));
        };
        let Ok(theirs) = table.column(key) else {
            return Err(format!(
                "{what}: the lookup has no column '{key}' to join on"
            ));
        };
        if ours.dtype() == theirs.dtype() {
            continue;
        }
        let cast = cast_key(theirs.as_materialized_series(), ours.dtype()).map_err(|example| {
            format!(
                "{what}: the key '{key}' is {} in the lookup and {} in {data}; {example}",
                kind_name(theirs.dtype()),
                kind_name(ours.dtype()),
            )
        })?;
        casts.push(format!(
            "key '{key}' read as {} (it is {} in the lookup)",
            kind_name(ours.dtype()),
            kind_name(theirs.dtype())
        ));
        table
            .replace(key, cast.into_column())
            .map_err(|e| format!("{what}: {e}"))?;
    }
    let distinct = table
        .clone()
        .lazy()
        .select(keys.iter().map(|k| col(k.as_str())).collect::<Vec<_>>())
        .unique(None, UniqueKeepStrategy::Any)
        .collect()
        .map_err(|e| format!("{what}: {e}"))?
        .height();
    if distinct != table.height() {
        return Err(format!(
            "{what}: the lookup key {} repeats ({} rows, {distinct} distinct keys); a lookup \
             needs one row per key or the join would duplicate rows",
            keys.join(","),
            table.height()
        ));
    }
    let clash: Vec<String> = table
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .filter(|n| !keys.contains(n) && frame.column(n).is_ok())
        .collect();
    if !clash.is_empty() {
        return Err(format!(
            "{what}: the lookup's columns {} are already in {data} or an earlier lookup; rename \
             them",
            clash.join(", ")
        ));
    }
    Ok((table, casts))
}

/// `frame` with `table`'s columns joined on `keys`, row order kept. `table` comes from
/// `conform_table`.
pub fn join_table(
    frame: &DataFrame,
    table: &DataFrame,
    keys: &[String],
) -> Result<(DataFrame, JoinReport), MlError> {
    let rows = frame.height();
    let mut left = frame.clone();
    left.with_column(Column::new(
        ROW.into(),
        (0..rows as u64).collect::<Vec<u64>>(),
    ))?;
    let mut right = table.clone();
    right.with_column(Column::new(MATCHED.into(), vec![true; table.height()]))?;
    let joined = left
        .left_join(&right, keys, keys)?
        .sort([ROW], SortMultipleOptions::default())?;
    let matched = joined.column(MATCHED)?.as_materialized_series().clone();
    let unmatched = matched.null_count();
    let first_unmatched = if unmatched == 0 {
        None
    } else {
        let mask = matched.is_null();
        let first = mask.iter().position(|m| m == Some(true)).unwrap_or(0);
        Some(key_text(&joined, keys, first))
    };
    let joined = joined.drop(ROW)?.drop(MATCHED)?;
    let columns = table
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .filter(|n| !keys.contains(n))
        .collect();
    Ok((
        joined,
        JoinReport {
            rows,
            unmatched,
            first_unmatched,
            columns,
            casts: Vec::new(),
        },
    ))
}

/// `Store=99, Date=2015-08-01` for row `row` of `frame`.
pub fn key_text(frame: &DataFrame, keys: &[String], row: usize) -> String {
    keys.iter()
        .map(|k| {
            let value = frame
                .column(k)
                .ok()
                .and_then(|c| c.get(row).ok())
                .map(|v| match v {
                    AnyValue::String(s) => s.to_string(),
                    AnyValue::StringOwned(s) => s.to_string(),
                    AnyValue::Null => "missing".to_string(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| "?".into());
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `series` as `target`, or the first value that does not convert.
pub(super) fn cast_key(series: &Series, target: &DataType) -> Result<Series, String> {
    let numeric = |d: &DataType| d.is_primitive_numeric();
    let source = series.dtype();
    let cast = if numeric(source) && numeric(target) {
        // Integers and floats: an integer key read as float elsewhere (1 against 1.0) matches.
        let as_float = series.cast(&DataType::Float64).map_err(|e| e.to_string())?;
        let back = as_float.cast(target).map_err(|e| e.to_string())?;
        let same = back
            .cast(&DataType::Float64)
            .map_err(|e| e.to_string())?
            .equal_missing(&as_float)
            .map_err(|e| e.to_string())?;
        if let Some(bad) = same.iter().position(|s| s != Some(true)) {
            return Err(format!(
                "its value {} has no exact {} equivalent",
                value_text(series, bad),
                kind_name(target)
            ));
        }
        back
    } else if source == &DataType::String || target == &DataType::String {
        let cast = series.cast(target).map_err(|e| e.to_string())?;
        // A text value that does not parse becomes missing in a lenient cast: find it.
        let lost = series
            .is_not_null()
            .iter()
            .zip(cast.is_null().iter())
            .position(|(had, lost)| had == Some(true) && lost == Some(true));
        if let Some(bad) = lost {
            return Err(format!(
                "its value {} is not {}; the keys cannot be matched",
                value_text(series, bad),
                article(target)
            ));
        }
        cast
    } else {
        return Err("the keys cannot be matched".to_string());
    };
    Ok(cast)
}

fn value_text(series: &Series, row: usize) -> String {
    match series.get(row) {
        Ok(AnyValue::String(s)) => format!("'{s}'"),
        Ok(v) => v.to_string(),
        Err(_) => "?".into(),
    }
}

fn kind_name(dtype: &DataType) -> &'static str {
    match dtype {
        d if d.is_integer() => "integer",
        d if d.is_float() => "a number",
        DataType::String => "text",
        DataType::Date | DataType::Datetime(..) => "a date",
        DataType::Boolean => "a flag",
        _ => "another type",
    }
}

fn article(dtype: &DataType) -> &'static str {
    match dtype {
        d if d.is_integer() => "an integer",
        d if d.is_float() => "a number",
        DataType::Date | DataType::Datetime(..) => "a date (YYYY-MM-DD)",
        DataType::Boolean => "true or false",
        _ => "of the dataset's type",
    }
}

/// A lookup table as a model keeps it: a file of its bundle, the keys it joins on and the
/// columns it provides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundledLookup {
    /// The file's name inside the bundle (`lookup-1.parquet`).
    pub file: String,
    /// Where the table came from, for messages.
    pub source: String,
    pub keys: Vec<String>,
    pub columns: Vec<String>,
}
