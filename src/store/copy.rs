//! `store copy`: a project's whole history from one store into another, either way between
//! SQLite and PostgreSQL — every table, every row with its own ids, values as stored — in one
//! transaction of the destination, so a copy that fails leaves the destination as it was. The
//! destination must be empty: merging two histories would renumber runs, which is not a copy.

use rusqlite::types::{ToSql, Value};

use super::db::Db;
use super::{RunStore, StoreError};

/// Every table of the schema, parents before children (foreign keys are checked row by row).
pub const COPY_ORDER: [&str; 23] = [
    "experiments",
    "datasets",
    "dataset_profiles",
    "runs",
    "params",
    "tags",
    "artifacts",
    "metric_series",
    "metric_points",
    "model_versions",
    "model_aliases",
    "model_alias_history",
    "predictions",
    "drift_reports",
    "forecasts",
    "forecast_values",
    "schedules",
    "job_runs",
    "promotion_decisions",
    "actuals",
    "saved_forms",
    "studies",
    "study_trials",
];

/// The columns that order each table's rows as they were written (children's parents first).
fn order_of(table: &str) -> &'static str {
    match table {
        "dataset_profiles" => "sha256, profile_version",
        "params" | "tags" => "run_id, key",
        "metric_points" => "series_id, step, timestamp_ms",
        "model_aliases" => "model_name, alias",
        "forecast_values" => "forecast_id, series_key, target_date",
        "actuals" => "model_name, series_key, target_date",
        "study_trials" => "study_id, number",
        _ => "id",
    }
}

/// Parameters per insert statement at most (SQLite allows 32,766; PostgreSQL 65,535).
const PARAMS_PER_INSERT: usize = 8_000;

/// Where a copy is: rows of `table` copied so far, and over every table.
#[derive(Clone, Copy, Debug)]
pub struct CopyProgress<'a> {
    pub table: &'a str,
    pub table_rows: u64,
    pub table_total: u64,
    pub rows: u64,
    pub total: u64,
}

/// What a copy moved: rows per table, in copy order.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CopyReport {
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
}

impl RunStore {
    /// Copies everything in this store into `to`, which must be empty.
    pub fn copy_into(
        &self,
        to: &mut RunStore,
        progress: &mut dyn FnMut(CopyProgress<'_>),
    ) -> Result<CopyReport, StoreError> {
        if to.read_only {
            return Err(StoreError::Refused(format!(
                "{}: opened read-only; nothing was copied",
                to.path.display()
            )));
        }
        let mut counts = Vec::with_capacity(COPY_ORDER.len());
        for table in COPY_ORDER {
            counts.push(count(&self.db, table)?);
            let there = count(&to.db, table)?;
            if there > 0 {
                return Err(StoreError::Refused(format!(
                    "{} already holds {there} row(s) of {table}; store copy fills an empty store \
                     only (nothing was copied)",
                    to.path.display()
                )));
            }
        }
        let total: u64 = counts.iter().sum();
        let from = &self.db;
        to.db.write(|dest| {
            let mut rows = 0;
            let mut tables = Vec::new();
            for (table, table_total) in COPY_ORDER.into_iter().zip(counts.iter().copied()) {
                let columns = from.columns(table)?;
                let theirs = dest.columns(table)?;
                if columns != theirs {
                    return Err(StoreError::Corrupt {
                        what: format!("the columns of {table}"),
                        detail: format!(
                            "the stores disagree ({} against {}); both should be at schema \
                             version {}",
                            columns.join(", "),
                            theirs.join(", "),
                            super::latest_version()
                        ),
                    });
                }
                let mut batch = Batch::new(table, &columns);
                let mut table_rows = 0;
                let select = format!(
                    "SELECT {} FROM {table} ORDER BY {}",
                    columns.join(", "),
                    order_of(table)
                );
                from.for_each_row(&select, &[], |row| {
                    for i in 0..columns.len() {
                        batch.values.push(row.get::<_, Value>(i)?);
                    }
                    if batch.is_full() {
                        table_rows += batch.flush(dest)?;
                        progress(CopyProgress {
                            table,
                            table_rows,
                            table_total,
                            rows: rows + table_rows,
                            total,
                        });
                    }
                    Ok(())
                })?;
                table_rows += batch.flush(dest)?;
                if columns.iter().any(|c| c == "id") {
                    dest.ids_written(table)?;
                }
                let written = count(dest, table)?;
                if written != table_total {
                    return Err(StoreError::Corrupt {
                        what: format!("the copy of {table}"),
                        detail: format!("{table_total} row(s) read, {written} written"),
                    });
                }
                rows += table_rows;
                progress(CopyProgress {
                    table,
                    table_rows,
                    table_total,
                    rows,
                    total,
                });
                tables.push((table.to_string(), table_rows));
            }
            Ok(CopyReport { tables, rows })
        })
    }
}

fn count(db: &Db, table: &str) -> Result<u64, StoreError> {
    let n: i64 = db.query_row(&format!("SELECT count(*) FROM {table}"), &[], |row| {
        row.get(0)
    })?;
    Ok(n as u64)
}

/// Rows of one table waiting to go in as one multi-row insert.
struct Batch {
    insert_head: String,
    columns: usize,
    rows_per_insert: usize,
    values: Vec<Value>,
}

impl Batch {
    fn new(table: &str, columns: &[String]) -> Self {
        Self {
            insert_head: format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")),
            columns: columns.len(),
            rows_per_insert: (PARAMS_PER_INSERT / columns.len().max(1)).max(1),
            values: Vec::new(),
        }
    }

    fn is_full(&self) -> bool {
        self.values.len() >= self.rows_per_insert * self.columns
    }

    /// Writes the waiting rows; how many.
    fn flush(&mut self, dest: &Db) -> Result<u64, StoreError> {
        let rows = self.values.len() / self.columns.max(1);
        if rows == 0 {
            return Ok(0);
        }
        let one = format!("({})", vec!["?"; self.columns].join(","));
        let sql = format!("{}{}", self.insert_head, vec![one; rows].join(","));
        let args: Vec<&dyn ToSql> = self.values.iter().map(|v| v as &dyn ToSql).collect();
        dest.execute(&sql, &args)?;
        self.values.clear();
        Ok(rows as u64)
    }
}
