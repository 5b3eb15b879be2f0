//! The runs table at scale: one query lists runs matching a filter, sorted by any column, with
//! the chosen metrics' last values read from the series summaries (never from the points); plus
//! what the table lets an analyst change: rename, note, soft delete, restore and purge.

use rusqlite::params_from_iter;
use rusqlite::types::Value;
use serde::Serialize;

use super::filter::Filter;
use super::runs::{RUN_COLUMNS, Run, RunId, run_from_row, with_status};
use super::{RunStore, StoreError, now_text};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    Status,
    Model,
    Experiment,
    Created,
    /// Wall time from start to end (running runs last).
    Duration,
    /// The last value of a metric (runs without it last).
    Metric(String),
    /// A param's value (numbers as numbers).
    Param(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for RunSort {
    fn default() -> Self {
        Self {
            key: SortKey::Id,
            descending: true,
        }
    }
}

/// Which value of each metric column a query reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetricValue {
    /// The value at the highest step (final metrics, the latest loss).
    #[default]
    Last,
    /// The best value logged: the maximum for metrics that are better higher (AUC, R²), the
    /// minimum otherwise (see `higher_is_better`).
    Best,
    /// The value logged at this step (missing when the run has no point there).
    AtStep(i64),
}

/// Metrics better higher than lower, by name (the rest are taken as losses and errors).
pub fn higher_is_better(key: &str) -> Option<bool> {
    // The same score measured another way (on training rows, one step ahead, per step or per
    // backtest window) ranks as the score does.
    let key = ["train_", "one_step_", "h_step_", "backtest_"]
        .iter()
        .find_map(|p| key.strip_prefix(p))
        .unwrap_or(key);
    match key {
        "r2" | "roc_auc" | "pr_auc" | "accuracy" | "precision" | "recall" | "f1" => Some(true),
        "rmse" | "mae" | "mape" | "wape" | "log_loss" | "logloss" => Some(false),
        // The forecasting scores: errors per step, of a baseline, one step ahead, per window.
        k if k.starts_with("skill") => Some(true),
        k if ["rmse", "mae", "mape", "wape", "smape"]
            .iter()
            .any(|m| k.ends_with(&format!("_{m}"))) =>
        {
            Some(false)
        }
        k if k.ends_with("loss") || k.ends_with("error") => Some(false),
        k if k.ends_with("auc") || k.ends_with("accuracy") => Some(true),
        _ => None,
    }
}

#[derive(Clone, Debug, Default)]
pub struct RunQuery {
    pub filter: Option<Filter>,
    pub experiment: Option<String>,
    pub include_deleted: bool,
    pub sort: RunSort,
    /// Metrics to read per run, in column order.
    pub metrics: Vec<String>,
    /// Which value of them.
    pub metric_value: MetricValue,
    /// Params to read per run, in column order.
    pub params: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub run: Run,
    /// The last value of each requested metric, in `RunQuery::metrics` order.
    pub metrics: Vec<Option<f64>>,
    /// Each requested param, in `RunQuery::params` order.
    pub params: Vec<Option<String>>,
    /// The highest step logged by any of the run's metrics.
    pub last_step: Option<i64>,
    /// The file name of the dataset the run trained on.
    pub dataset: Option<String>,
}

/// A metric series' summary, kept current with every batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricSummary {
    pub key: String,
    pub last_step: Option<i64>,
    pub last_value: Option<f64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub points: i64,
}

fn sort_sql(sort: &RunSort, values: &mut Vec<Value>) -> String {
    let direction = if sort.descending { "DESC" } else { "ASC" };
    let expression = match &sort.key {
        SortKey::Id => "r.id".to_string(),
        SortKey::Name => "r.name COLLATE NOCASE".to_string(),
        SortKey::Status => "r.status".to_string(),
        SortKey::Model => "r.model_kind".to_string(),
        SortKey::Experiment => "e.name COLLATE NOCASE".to_string(),
        SortKey::Created => "r.created_at".to_string(),
        SortKey::Duration => "(julianday(r.ended_at) - julianday(r.started_at))".to_string(),
        SortKey::Metric(key) => {
            values.push(Value::Text(key.clone()));
            "(SELECT x.last_value FROM metric_series x WHERE x.run_id = r.id AND x.key = ?)"
                .to_string()
        }
        SortKey::Param(key) => {
            values.push(Value::Text(key.clone()));
            // Numbers sort as numbers, before text.
            "(SELECT CASE WHEN x.value GLOB '[-+0-9.]*' THEN CAST(x.value AS REAL) \
             ELSE x.value END FROM params x WHERE x.run_id = r.id AND x.key = ?)"
                .to_string()
        }
    };
    // Runs without the value go last whichever the direction; ties keep newest first.
    format!("{expression} IS NULL, {expression} {direction}, r.id DESC")
}

impl RunStore {
    /// The runs matching `query`, sorted, with the requested metric and param columns.
    pub fn query_runs(&self, query: &RunQuery) -> Result<Vec<RunRow>, StoreError> {
        let mut values: Vec<Value> = Vec::new();
        let mut columns = String::new();
        for key in &query.metrics {
            let column = match query.metric_value {
                MetricValue::Last => "x.last_value",
                MetricValue::Best if higher_is_better(key) == Some(true) => "x.max_value",
                MetricValue::Best => "x.min_value",
                MetricValue::AtStep(_) => "",
            };
            values.push(Value::Text(key.clone()));
            if let MetricValue::AtStep(step) = query.metric_value {
                columns.push_str(
                    ", (SELECT p.value FROM metric_series x JOIN metric_points p \
                     ON p.series_id = x.id WHERE x.run_id = r.id AND x.key = ? AND p.step = ? \
                     ORDER BY p.timestamp_ms DESC LIMIT 1)",
                );
                values.push(Value::Integer(step));
            } else {
                columns.push_str(&format!(
                    ", (SELECT {column} FROM metric_series x WHERE x.run_id = r.id AND x.key = ?)"
                ));
            }
        }
        for key in &query.params {
            columns
                .push_str(", (SELECT x.value FROM params x WHERE x.run_id = r.id AND x.key = ?)");
            values.push(Value::Text(key.clone()));
        }
        columns.push_str(", (SELECT max(x.last_step) FROM metric_series x WHERE x.run_id = r.id)");
        columns.push_str(", (SELECT d.path FROM datasets d WHERE d.id = r.dataset_id)");
        let mut conditions = vec!["1".to_string()];
        if !query.include_deleted {
            conditions.push("r.deleted_at IS NULL".into());
        }
        if let Some(experiment) = &query.experiment {
            conditions.push("e.name = ?".into());
            values.push(Value::Text(experiment.clone()));
        }
        if let Some(filter) = &query.filter {
            conditions.push(filter.to_sql(&mut values));
        }
        let where_sql = conditions.join(" AND ");
        // The sort expression appears twice (IS NULL, then the value): bind its key twice.
        let mut sort_values = Vec::new();
        let order = sort_sql(&query.sort, &mut sort_values);
        for value in &sort_values {
            values.push(value.clone());
            values.push(value.clone());
        }
        let sql = format!(
            "SELECT {RUN_COLUMNS}{columns} FROM runs r JOIN experiments e ON e.id = r.experiment_id \
             WHERE {where_sql} ORDER BY {order}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let base = RUN_COLUMNS.split(',').count();
        let metric_count = query.metrics.len();
        let param_count = query.params.len();
        let rows = stmt.query_map(params_from_iter(values.iter()), |row| {
            let run = run_from_row(row)?;
            let mut metrics = Vec::with_capacity(metric_count);
            for i in 0..metric_count {
                metrics.push(row.get::<_, Option<f64>>(base + i)?);
            }
            let mut params = Vec::with_capacity(param_count);
            for i in 0..param_count {
                params.push(row.get::<_, Option<String>>(base + metric_count + i)?);
            }
            let last_step = row.get::<_, Option<i64>>(base + metric_count + param_count)?;
            let dataset = row
                .get::<_, Option<String>>(base + metric_count + param_count + 1)?
                .map(|path| {
                    std::path::Path::new(&path)
                        .file_name()
                        .map_or(path.clone(), |n| n.to_string_lossy().into_owned())
                });
            Ok((run, metrics, params, last_step, dataset))
        })?;
        rows.map(|row| {
            let (run, metrics, params, last_step, dataset) = row?;
            Ok(RunRow {
                run: with_status(run)?,
                metrics,
                params,
                last_step,
                dataset,
            })
        })
        .collect()
    }

    /// Every metric series of a run with its summary, by key.
    pub fn metric_summaries(&self, id: RunId) -> Result<Vec<MetricSummary>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key, last_step, last_value, min_value, max_value, points FROM metric_series \
             WHERE run_id = ?1 ORDER BY key",
        )?;
        let rows = stmt.query_map([id], |row| {
            Ok(MetricSummary {
                key: row.get(0)?,
                last_step: row.get(1)?,
                last_value: row.get(2)?,
                min_value: row.get(3)?,
                max_value: row.get(4)?,
                points: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every metric key any run has logged (through the `(key, run_id)` index).
    pub fn metric_key_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT key FROM metric_series ORDER BY key")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every experiment's name, alphabetically.
    pub fn experiment_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name FROM experiments ORDER BY name COLLATE NOCASE")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn rename_run(&mut self, id: RunId, name: &str) -> Result<(), StoreError> {
        self.update_run(id, "UPDATE runs SET name = ?2 WHERE id = ?1", Some(name))
    }

    /// Sets (or with `None`, clears) the run's note.
    pub fn set_note(&mut self, id: RunId, note: Option<&str>) -> Result<(), StoreError> {
        self.update_run(id, "UPDATE runs SET note = ?2 WHERE id = ?1", note)
    }

    /// Hides the run from lists and filters; everything it logged stays until `purge_deleted`.
    pub fn delete_run(&mut self, id: RunId) -> Result<(), StoreError> {
        let now = now_text();
        self.update_run(
            id,
            "UPDATE runs SET deleted_at = COALESCE(deleted_at, ?2) WHERE id = ?1",
            Some(&now),
        )
    }

    pub fn restore_run(&mut self, id: RunId) -> Result<(), StoreError> {
        self.update_run(
            id,
            "UPDATE runs SET deleted_at = NULL WHERE id = ?1 AND ?2 IS NULL",
            None,
        )
    }

    /// Removes deleted runs for good, with their params, tags, metrics and artifact records
    /// (not registered model versions: a run that backs one is kept). Returns the purged ids.
    pub fn purge_deleted(&mut self) -> Result<Vec<RunId>, StoreError> {
        self.write(|tx| {
            let ids: Vec<RunId> = {
                let mut stmt = tx.prepare(
                    "SELECT id FROM runs WHERE deleted_at IS NOT NULL AND id NOT IN \
                     (SELECT run_id FROM model_versions) AND id NOT IN \
                     (SELECT parent_run_id FROM runs WHERE parent_run_id IS NOT NULL)",
                )?;
                let rows = stmt.query_map([], |row| row.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            for id in &ids {
                tx.execute(
                    "DELETE FROM metric_points WHERE series_id IN \
                     (SELECT id FROM metric_series WHERE run_id = ?1)",
                    [id],
                )?;
                for table in ["metric_series", "params", "tags", "artifacts"] {
                    tx.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [id])?;
                }
                tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
            }
            Ok(ids)
        })
    }

    fn update_run(&mut self, id: RunId, sql: &str, value: Option<&str>) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: bool =
                tx.query_row("SELECT count(*) > 0 FROM runs WHERE id = ?1", [id], |row| {
                    row.get(0)
                })?;
            if !exists {
                return Err(StoreError::RunNotFound(id));
            }
            tx.execute(sql, rusqlite::params![id, value])?;
            Ok(())
        })
    }
}
