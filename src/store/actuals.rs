//! Actuals and the predictions they score: each actual is stored once per model, series and date;
//! the pairs join every recorded forecast value (and every logged prediction with a series and a
//! date) of the model's versions to its actual.

use std::collections::HashSet;

use rusqlite::params;
use serde::Serialize;

use super::{RunStore, StoreError, now_text};

/// One actual to add.
#[derive(Clone, Debug, PartialEq)]
pub struct NewActual {
    pub series_key: String,
    pub target_date: String,
    pub actual: f64,
}

/// What adding did.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AddedActuals {
    /// New (series, date) values.
    pub inserted: usize,
    /// Present already with the same value (the same file again).
    pub unchanged: usize,
    /// Present with another value, now replaced (a corrected file, with `replace`).
    pub corrected: usize,
    /// Present with another value and kept, since `replace` was not asked for.
    pub conflicting: usize,
    /// A few conflicts or corrections: (series, date, stored, given).
    pub differences: Vec<(String, String, f64, f64)>,
}

/// A prediction with its actual.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredPair {
    pub version: i64,
    /// `forecast` (with its id, origin and step) or `prediction` (served or typed).
    pub source: &'static str,
    pub forecast_id: Option<i64>,
    pub origin: Option<String>,
    pub step: Option<usize>,
    pub series_key: String,
    pub target_date: String,
    pub predicted: f64,
    pub actual: f64,
}

impl RunStore {
    /// Adds `rows` as actuals of `model`, all in one transaction. A value already stored with
    /// another value is replaced only when `replace` is set, else kept and counted as a
    /// conflict: a wrong column never overwrites what is known silently.
    pub fn add_actuals(
        &mut self,
        model: &str,
        rows: &[NewActual],
        source: &str,
        replace: bool,
    ) -> Result<AddedActuals, StoreError> {
        self.write(|tx| {
            let mut done = AddedActuals::default();
            let now = now_text();
            for row in rows {
                let before: Option<f64> = tx.query_opt(
                    "SELECT actual FROM actuals WHERE model_name = ?1 AND series_key = ?2 \
                     AND target_date = ?3",
                    params![model, row.series_key, row.target_date],
                    |r| r.get(0),
                )?;
                match before {
                    Some(value) if value == row.actual => {
                        done.unchanged += 1;
                        continue;
                    }
                    Some(value) => {
                        if done.differences.len() < 3 {
                            done.differences.push((
                                row.series_key.clone(),
                                row.target_date.clone(),
                                value,
                                row.actual,
                            ));
                        }
                        if !replace {
                            done.conflicting += 1;
                            continue;
                        }
                        done.corrected += 1;
                    }
                    None => done.inserted += 1,
                }
                tx.execute(
                    "INSERT INTO actuals (model_name, series_key, target_date, actual, source, \
                     added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                     ON CONFLICT (model_name, series_key, target_date) DO UPDATE SET \
                     actual = excluded.actual, source = excluded.source, \
                     added_at = excluded.added_at",
                    params![
                        model,
                        row.series_key,
                        row.target_date,
                        row.actual,
                        source,
                        now
                    ],
                )?;
            }
            Ok(done)
        })
    }

    /// The (series, date) pairs `model`'s versions predicted (forecasts and logged predictions).
    pub fn predicted_keys(&self, model: &str) -> Result<HashSet<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = self.db.query_map(
            "SELECT DISTINCT v.series_key, v.target_date FROM forecast_values v \
             JOIN forecasts f ON f.id = v.forecast_id \
             JOIN model_versions m ON m.id = f.model_version_id WHERE m.model_name = ?1 \
             UNION SELECT p.series_key, p.target_date FROM predictions p \
             JOIN model_versions m ON m.id = p.model_version_id \
             WHERE m.model_name = ?1 AND p.series_key IS NOT NULL AND p.target_date IS NOT NULL",
            params![model],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(rows.into_iter().collect())
    }

    /// Every prediction of `model` that has its actual, on or after `since` (a date, `YYYY-MM-DD`).
    /// A forecast made again from the same origin by the same version counts once (the newest),
    /// as does a series and date predicted again by the same version.
    pub fn scored_pairs(
        &self,
        model: &str,
        since: Option<&str>,
    ) -> Result<Vec<ScoredPair>, StoreError> {
        let since = since.unwrap_or("");
        let mut pairs = self.db.query_map(
            "SELECT m.version, f.id, f.origin, v.step, v.series_key, v.target_date, v.value, \
             a.actual FROM forecast_values v \
             JOIN forecasts f ON f.id = v.forecast_id \
             JOIN model_versions m ON m.id = f.model_version_id \
             JOIN actuals a ON a.model_name = m.model_name AND a.series_key = v.series_key \
             AND a.target_date = v.target_date \
             WHERE m.model_name = ?1 AND v.target_date >= ?2 \
             AND f.id = (SELECT MAX(g.id) FROM forecasts g \
                         WHERE g.model_version_id = f.model_version_id AND g.origin = f.origin) \
             ORDER BY v.target_date, f.id, v.series_key",
            params![model, since],
            |row| {
                Ok(ScoredPair {
                    version: row.get(0)?,
                    source: "forecast",
                    forecast_id: Some(row.get(1)?),
                    origin: Some(row.get(2)?),
                    step: Some(row.get::<_, i64>(3)?.max(0) as usize),
                    series_key: row.get(4)?,
                    target_date: row.get(5)?,
                    predicted: row.get(6)?,
                    actual: row.get(7)?,
                })
            },
        )?;
        let logged = self.db.query_map(
            "SELECT m.version, p.series_key, p.target_date, p.prediction, a.actual \
             FROM predictions p JOIN model_versions m ON m.id = p.model_version_id \
             JOIN actuals a ON a.model_name = m.model_name AND a.series_key = p.series_key \
             AND a.target_date = p.target_date \
             WHERE m.model_name = ?1 AND p.target_date >= ?2 AND p.prediction IS NOT NULL \
             AND p.id = (SELECT MAX(q.id) FROM predictions q \
                         WHERE q.model_version_id = p.model_version_id \
                         AND q.series_key = p.series_key AND q.target_date = p.target_date) \
             ORDER BY p.target_date, p.id",
            params![model, since],
            |row| {
                Ok(ScoredPair {
                    version: row.get(0)?,
                    source: "prediction",
                    forecast_id: None,
                    origin: None,
                    step: None,
                    series_key: row.get(1)?,
                    target_date: row.get(2)?,
                    predicted: row.get(3)?,
                    actual: row.get(4)?,
                })
            },
        )?;
        pairs.extend(logged);
        Ok(pairs)
    }
}
