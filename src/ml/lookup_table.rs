//! A bundled lookup table as a loaded model holds it, with an index from key values to its
//! row, built once (on the first prediction): a record's looked-up columns are then a hash
//! probe and a row gather, not a polars join over the whole table for every request (a
//! store-by-week covariates table has a million rows).

use std::collections::HashMap;
use std::sync::OnceLock;

use polars::prelude::*;

use super::lookup::{BundledLookup, cast_key, key_text};

/// A key of one record that no row of a lookup table holds: (0-based row, message).
pub type LookupMiss = (usize, String);

pub struct LookupTable {
    pub frame: DataFrame,
    index: OnceLock<Result<HashMap<String, IdxSize>, String>>,
}

impl LookupTable {
    pub fn new(frame: DataFrame) -> Self {
        Self {
            frame,
            index: OnceLock::new(),
        }
    }

    fn index(&self, keys: &[String]) -> Result<&HashMap<String, IdxSize>, String> {
        self.index
            .get_or_init(|| {
                let columns = key_columns(&self.frame, keys)?;
                let mut index = HashMap::with_capacity(self.frame.height());
                for row in 0..self.frame.height() {
                    index.insert(row_key(&columns, row), row as IdxSize);
                }
                Ok(index)
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn key_columns<'a>(frame: &'a DataFrame, keys: &[String]) -> Result<Vec<&'a Column>, String> {
    keys.iter()
        .map(|k| frame.column(k).map_err(|_| format!("no key column '{k}'")))
        .collect()
}

/// The key values of `row` as one text (unit separators between them). Both sides have the
/// same types when it is called, so equal keys give equal texts.
fn row_key(columns: &[&Column], row: usize) -> String {
    let mut key = String::new();
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            key.push('\u{1f}');
        }
        match column.get(row) {
            Ok(AnyValue::String(s)) => key.push_str(s),
            Ok(AnyValue::StringOwned(s)) => key.push_str(&s),
            Ok(AnyValue::Null) | Err(_) => key.push('\u{0}'),
            Ok(other) => key.push_str(&other.to_string()),
        }
    }
    key
}

/// `frame` (records as parsed from a signature) with a bundled table's columns joined. The
/// records' keys are cast to the table's types (a form's numbers are floats, the table's store
/// ids integers); a record whose keys the table lacks is a miss, named with its key values.
pub fn join_for_prediction(
    frame: &DataFrame,
    lookup: &BundledLookup,
    table: &LookupTable,
) -> Result<DataFrame, Vec<LookupMiss>> {
    let internal = |e: String| vec![(0, format!("lookup {}: {e}", lookup.source))];
    let mut records = frame.clone();
    for key in &lookup.keys {
        let (Ok(ours), Ok(theirs)) = (records.column(key), table.frame.column(key)) else {
            return Err(internal(format!("no key column '{key}'")));
        };
        if ours.dtype() != theirs.dtype() {
            // The issue names the key field; the reason need not say it again.
            let cast = cast_key(ours.as_materialized_series(), theirs.dtype())
                .map_err(|e| vec![(0, e)])?;
            records
                .replace(key, cast.into_column())
                .map_err(|e| internal(e.to_string()))?;
        }
    }
    let index = table.index(&lookup.keys).map_err(internal)?;
    let columns = key_columns(&records, &lookup.keys).map_err(internal)?;
    let mut rows = Vec::with_capacity(records.height());
    let mut misses = Vec::new();
    for row in 0..records.height() {
        match index.get(&row_key(&columns, row)) {
            Some(&found) => rows.push(found),
            None => misses.push((
                row,
                format!(
                    "no row of the lookup {} has {}",
                    lookup.source,
                    key_text(&records, &lookup.keys, row)
                ),
            )),
        }
    }
    if !misses.is_empty() {
        return Err(misses);
    }
    let gathered = table
        .frame
        .select(lookup.columns.iter().map(String::as_str))
        .and_then(|provided| provided.take(&IdxCa::from_vec("rows".into(), rows)))
        .map_err(|e| internal(e.to_string()))?;
    // The records keep their own key types, as the pipeline was fitted on the training frame's.
    frame
        .hstack(gathered.columns())
        .map_err(|e| internal(e.to_string()))
}
