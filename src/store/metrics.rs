//! Metric points: batches written in one transaction with each series' summary kept current,
//! whole curves read through the (series, step) key, and the last point of a series.

use std::collections::HashMap;

use rusqlite::params;
use rusqlite::types::ToSql;
use serde::{Deserialize, Serialize};

use super::db::Db;
use super::runs::RunId;
use super::{RunStore, StoreError, now_ms};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    pub key: String,
    pub step: i64,
    pub value: f64,
    pub timestamp_ms: i64,
}

impl MetricPoint {
    /// A point stamped with the current time.
    pub fn now(key: &str, step: i64, value: f64) -> Self {
        Self {
            key: key.to_string(),
            step,
            value,
            timestamp_ms: now_ms(),
        }
    }
}

impl RunStore {
    /// Logs a batch of metric points in one transaction: a batch of 10,000 points is one commit.
    /// Rows go in `METRIC_ROWS_PER_INSERT` at a time: one statement step per row is what costs,
    /// not the bytes.
    pub fn log_metrics(&mut self, id: RunId, points: &[MetricPoint]) -> Result<(), StoreError> {
        if points.is_empty() {
            return Ok(());
        }
        self.write(|tx| write_metrics(tx, id, points))
    }

    /// Every point of one metric of one run, in step order.
    pub fn metric_history(&self, id: RunId, key: &str) -> Result<Vec<MetricPoint>, StoreError> {
        self.db.query_map(
            "SELECT p.step, p.value, p.timestamp_ms FROM metric_series s \
             JOIN metric_points p ON p.series_id = s.id \
             WHERE s.run_id = ?1 AND s.key = ?2 ORDER BY p.step, p.timestamp_ms",
            params![id, key],
            |row| point_from_row(key, row),
        )
    }

    /// The point with the highest step of one metric of one run: one index seek, however long
    /// the curve.
    pub fn last_metric(&self, id: RunId, key: &str) -> Result<Option<MetricPoint>, StoreError> {
        self.db.query_opt(
            "SELECT p.step, p.value, p.timestamp_ms FROM metric_series s \
             JOIN metric_points p ON p.series_id = s.id \
             WHERE s.run_id = ?1 AND s.key = ?2 ORDER BY p.step DESC, p.timestamp_ms DESC LIMIT 1",
            params![id, key],
            |row| point_from_row(key, row),
        )
    }

    /// The names of the metrics a run has logged.
    pub fn metric_keys(&self, id: RunId) -> Result<Vec<String>, StoreError> {
        self.db.query_map(
            "SELECT key FROM metric_series WHERE run_id = ?1 ORDER BY key",
            params![id],
            |row| row.get(0),
        )
    }
}

/// A `step, value, timestamp_ms` row as a point of metric `key`.
fn point_from_row(key: &str, row: &super::db::Row<'_>) -> rusqlite::Result<MetricPoint> {
    Ok(MetricPoint {
        key: key.to_string(),
        step: row.get(0)?,
        value: row.get(1)?,
        timestamp_ms: row.get(2)?,
    })
}

/// Writes `points` of run `id` inside `tx`: the series, the points and their summaries. A point
/// logged twice (same key, step and time) keeps its last value, within a batch as across them.
pub(super) fn write_metrics(tx: &Db, id: RunId, points: &[MetricPoint]) -> Result<(), StoreError> {
    if points.is_empty() {
        return Ok(());
    }
    let series = series_ids(tx, id, points)?;
    let series_of = |point: &MetricPoint| {
        series
            .iter()
            .find(|(key, _)| *key == point.key)
            .map_or(0, |(_, series_id)| *series_id)
    };
    let rows = distinct_rows(points, series_of);
    let mut chunks = rows.chunks_exact(METRIC_ROWS_PER_INSERT);
    let wide = metric_insert_sql(METRIC_ROWS_PER_INSERT);
    for chunk in &mut chunks {
        tx.execute(&wide, &row_args(chunk))?;
    }
    let narrow = metric_insert_sql(1);
    for row in chunks.remainder() {
        tx.execute(&narrow, &row_args(std::slice::from_ref(row)))?;
    }
    update_summaries(tx, &series, &rows)?;
    Ok(())
}

const METRIC_ROWS_PER_INSERT: usize = 256;

/// One point as its row: series id, step, time, value.
type PointRow = (i64, i64, i64, f64);

/// The rows of `points`, a repeated (series, step, time) keeping its last value: one statement
/// may not change a row twice on PostgreSQL, and the last write is what SQLite would keep.
fn distinct_rows(points: &[MetricPoint], series_of: impl Fn(&MetricPoint) -> i64) -> Vec<PointRow> {
    let mut rows: Vec<PointRow> = Vec::with_capacity(points.len());
    let mut at: HashMap<(i64, i64, i64), usize> = HashMap::with_capacity(points.len());
    for point in points {
        let row = (
            series_of(point),
            point.step,
            point.timestamp_ms,
            point.value,
        );
        match at.entry((row.0, row.1, row.2)) {
            std::collections::hash_map::Entry::Occupied(seen) => rows[*seen.get()] = row,
            std::collections::hash_map::Entry::Vacant(free) => {
                free.insert(rows.len());
                rows.push(row);
            }
        }
    }
    rows
}

fn row_args(rows: &[PointRow]) -> Vec<&dyn ToSql> {
    let mut args: Vec<&dyn ToSql> = Vec::with_capacity(rows.len() * 4);
    for (series, step, time, value) in rows {
        args.extend([series as &dyn ToSql, step, time, value]);
    }
    args
}

fn metric_insert_sql(rows: usize) -> String {
    let mut sql =
        String::from("INSERT INTO metric_points (series_id, step, timestamp_ms, value) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?)");
    }
    sql.push_str(
        " ON CONFLICT (series_id, step, timestamp_ms) DO UPDATE SET value = excluded.value",
    );
    sql
}

/// The series id of every key in `points`, creating series on first use. A run logs a handful
/// of keys, so a short list beats a map.
fn series_ids(
    tx: &Db,
    id: RunId,
    points: &[MetricPoint],
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut ids: Vec<(String, i64)> = Vec::new();
    for point in points {
        if ids.iter().any(|(key, _)| *key == point.key) {
            continue;
        }
        tx.execute(
            "INSERT INTO metric_series (run_id, key) VALUES (?1, ?2) ON CONFLICT (run_id, key) \
             DO NOTHING",
            params![id, point.key],
        )?;
        let series_id: i64 = tx.query_row(
            "SELECT id FROM metric_series WHERE run_id = ?1 AND key = ?2",
            params![id, point.key],
            |row| row.get(0),
        )?;
        ids.push((point.key.clone(), series_id));
    }
    Ok(ids)
}

/// Folds a batch's distinct rows into each series' summary (last, min, max, count): a point
/// the batch repeats counts once, with the value it keeps. SQLite and PostgreSQL both evaluate
/// every SET expression on the old row, so `last_value` is compared with the old `last_step`.
fn update_summaries(
    tx: &Db,
    series: &[(String, i64)],
    rows: &[PointRow],
) -> Result<(), StoreError> {
    let update = "UPDATE metric_series SET \
           points = points + ?2, \
           min_value = CASE WHEN min_value IS NULL OR ?3 < min_value THEN ?3 ELSE min_value END, \
           max_value = CASE WHEN max_value IS NULL OR ?4 > max_value THEN ?4 ELSE max_value END, \
           last_value = CASE WHEN last_step IS NULL OR ?5 >= last_step THEN ?6 ELSE last_value END, \
           last_step = CASE WHEN last_step IS NULL OR ?5 >= last_step THEN ?5 ELSE last_step END \
         WHERE id = ?1";
    for (_, series_id) in series {
        let mut count = 0i64;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        let mut last: Option<&PointRow> = None;
        for row in rows.iter().filter(|r| r.0 == *series_id) {
            count += 1;
            min = min.min(row.3);
            max = max.max(row.3);
            if last.is_none_or(|l| (row.1, row.2) >= (l.1, l.2)) {
                last = Some(row);
            }
        }
        if let Some(&(_, step, _, value)) = last {
            tx.execute(update, params![series_id, count, min, max, step, value])?;
        }
    }
    Ok(())
}
