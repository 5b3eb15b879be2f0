//! The runs table at scale: one query lists runs matching a filter, sorted by any column, with
//! the chosen metrics' last values read from the series summaries (never from the points); plus
//! what the table lets an analyst change: rename, note, soft delete, restore and purge.

use rusqlite::params;
use rusqlite::types::Value;
use serde::Serialize;

use super::db::value_args;
use super::dialect::Dialect;
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

/// The ORDER BY of `sort`, its values appended to `values`.
fn sort_sql(sort: &RunSort, dialect: Dialect, values: &mut Vec<Value>) -> String {
    let direction = if sort.descending { "DESC" } else { "ASC" };
    let lookup = |select: &str, table: &str| {
        format!("(SELECT {select} FROM {table} x WHERE x.run_id = r.id AND x.key = ?)")
    };
    let (terms, key): (Vec<String>, Option<&String>) = match &sort.key {
        SortKey::Id => (vec!["r.id".into()], None),
        SortKey::Name => (vec!["lower(r.name)".into()], None),
        SortKey::Status => (vec!["r.status".into()], None),
        SortKey::Model => (vec!["r.model_kind".into()], None),
        SortKey::Experiment => (vec!["lower(e.name)".into()], None),
        SortKey::Created => (vec!["r.created_at".into()], None),
        SortKey::Duration => (
            vec![dialect.days_between("r.started_at", "r.ended_at")],
            None,
        ),
        SortKey::Metric(key) => (vec![lookup("x.last_value", "metric_series")], Some(key)),
        // Numbers sort as numbers, before text. SQLite orders a column of both so; PostgreSQL
        // is told: text or not first, then the number, then the text.
        SortKey::Param(key) => match dialect {
            Dialect::Sqlite => (
                vec![lookup(
                    "CASE WHEN x.value GLOB '[-+0-9.]*' THEN CAST(x.value AS REAL) \
                     ELSE x.value END",
                    "params",
                )],
                Some(key),
            ),
            Dialect::Postgres => {
                let number = dialect.number_or_null("x.value");
                (
                    vec![
                        lookup(&format!("{number} IS NULL"), "params"),
                        lookup(&number, "params"),
                        lookup("x.value", "params"),
                    ],
                    Some(key),
                )
            }
        },
    };
    // Runs without the value go last whichever the direction; ties keep newest first.
    let mut order = format!("{} IS NULL", terms[0]);
    for term in &terms {
        order.push_str(&format!(", {term} {direction}"));
    }
    order.push_str(", r.id DESC");
    if let Some(key) = key {
        for _ in 0..Dialect::placeholders(&order) {
            values.push(Value::Text(key.clone()));
        }
    }
    order
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
        let dialect = self.db.dialect();
        let mut conditions = vec!["1 = 1".to_string()];
        if !query.include_deleted {
            conditions.push("r.deleted_at IS NULL".into());
        }
        if let Some(experiment) = &query.experiment {
            conditions.push("e.name = ?".into());
            values.push(Value::Text(experiment.clone()));
        }
        if let Some(filter) = &query.filter {
            conditions.push(filter.to_sql(dialect, &mut values));
        }
        let where_sql = conditions.join(" AND ");
        let order = sort_sql(&query.sort, dialect, &mut values);
        let sql = format!(
            "SELECT {RUN_COLUMNS}{columns} FROM runs r JOIN experiments e ON e.id = r.experiment_id \
             WHERE {where_sql} ORDER BY {order}"
        );
        let base = RUN_COLUMNS.split(',').count();
        let metric_count = query.metrics.len();
        let param_count = query.params.len();
        let rows = self.db.query_map(&sql, &value_args(&values), |row| {
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
        rows.into_iter()
            .map(|(run, metrics, params, last_step, dataset)| {
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
        self.db.query_map(
            "SELECT key, last_step, last_value, min_value, max_value, points FROM metric_series \
             WHERE run_id = ?1 ORDER BY key",
            params![id],
            |row| {
                Ok(MetricSummary {
                    key: row.get(0)?,
                    last_step: row.get(1)?,
                    last_value: row.get(2)?,
                    min_value: row.get(3)?,
                    max_value: row.get(4)?,
                    points: row.get(5)?,
                })
            },
        )
    }

    /// Every metric key any run has logged (through the `(key, run_id)` index).
    pub fn metric_key_names(&self) -> Result<Vec<String>, StoreError> {
        self.db.query_map(
            "SELECT DISTINCT key FROM metric_series ORDER BY key",
            &[],
            |row| row.get(0),
        )
    }

    /// Every experiment's name, alphabetically.
    pub fn experiment_names(&self) -> Result<Vec<String>, StoreError> {
        self.db.query_map(
            "SELECT name FROM experiments ORDER BY lower(name)",
            &[],
            |row| row.get(0),
        )
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
            "UPDATE runs SET deleted_at = NULL WHERE id = ?1 AND CAST(?2 AS TEXT) IS NULL",
            None,
        )
    }

    /// Removes deleted runs for good, with their params, tags, metrics and artifact records
    /// (not registered model versions: a run that backs one is kept). Returns the purged ids.
    pub fn purge_deleted(&mut self) -> Result<Vec<RunId>, StoreError> {
        self.write(|tx| {
            let ids: Vec<RunId> = tx.query_map(
                "SELECT id FROM runs WHERE deleted_at IS NOT NULL AND id NOT IN \
                 (SELECT run_id FROM model_versions) AND id NOT IN \
                 (SELECT parent_run_id FROM runs WHERE parent_run_id IS NOT NULL)",
                &[],
                |row| row.get(0),
            )?;
            for id in &ids {
                tx.execute(
                    "DELETE FROM metric_points WHERE series_id IN \
                     (SELECT id FROM metric_series WHERE run_id = ?1)",
                    params![id],
                )?;
                for table in ["metric_series", "params", "tags", "artifacts"] {
                    tx.execute(
                        &format!("DELETE FROM {table} WHERE run_id = ?1"),
                        params![id],
                    )?;
                }
                tx.execute("DELETE FROM runs WHERE id = ?1", params![id])?;
            }
            Ok(ids)
        })
    }

    fn update_run(&mut self, id: RunId, sql: &str, value: Option<&str>) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: bool = tx.query_row(
                "SELECT count(*) > 0 FROM runs WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )?;
            if !exists {
                return Err(StoreError::RunNotFound(id));
            }
            tx.execute(sql, params![id, value])?;
            Ok(())
        })
    }
}
