//! Model versions and their aliases in the store: versions numbered per model, `champion` and
//! `challenger` pointing at one version each, every move of an alias kept with its reason.
//! The files of a version live under `models/<model>/<version>/` (see `registry`).

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::params;
use serde::Serialize;

use super::db::{Db, Row};
use super::runs::RunId;
use super::{RunStore, StoreError, now_text};

/// Rows one prune transaction deletes at most.
const PRUNE_CHUNK: i64 = 10_000;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelVersion {
    pub id: i64,
    pub model_name: String,
    pub version: i64,
    pub run_id: RunId,
    /// `active` or `archived`.
    pub status: String,
    pub created_at: String,
    pub metrics_json: String,
    pub signature_json: String,
    /// The version's folder, relative to the project.
    pub artifact_path: String,
    pub dataset_id: Option<i64>,
    pub description: Option<String>,
    /// The aliases pointing at this version.
    pub aliases: Vec<String>,
}

/// One prediction to log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoggedPrediction {
    pub input: String,
    pub output: String,
    pub series_key: Option<String>,
    pub target_date: Option<String>,
    pub prediction: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct NewModelVersion<'a> {
    pub model_name: &'a str,
    pub run_id: RunId,
    pub metrics_json: &'a str,
    pub signature_json: &'a str,
    pub artifact_path: &'a str,
    pub dataset_id: Option<i64>,
    pub description: Option<&'a str>,
}

/// A version folder found without its row, to be recorded as it is.
#[derive(Clone, Debug)]
pub struct AdoptedVersion {
    pub version: i64,
    pub run_id: RunId,
    pub metrics_json: String,
    pub signature_json: String,
    pub artifact_path: String,
    pub dataset_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AliasMove {
    pub model_name: String,
    pub alias: String,
    /// `None`: the alias was removed.
    pub version: Option<i64>,
    pub previous_version: Option<i64>,
    pub moved_at: String,
    pub reason: String,
}

const VERSION_COLUMNS: &str = "v.id, v.model_name, v.version, v.run_id, v.status, v.created_at, \
     v.metrics_json, v.signature_json, v.artifact_path, v.dataset_id, v.description, \
     (SELECT string_agg(a.alias, ',') FROM model_aliases a WHERE a.version_id = v.id)";

fn version_from_row(row: &Row<'_>) -> rusqlite::Result<ModelVersion> {
    let aliases: Option<String> = row.get(11)?;
    let mut aliases: Vec<String> = aliases
        .map(|a| a.split(',').map(String::from).collect())
        .unwrap_or_default();
    aliases.sort();
    Ok(ModelVersion {
        id: row.get(0)?,
        model_name: row.get(1)?,
        version: row.get(2)?,
        run_id: row.get(3)?,
        status: row.get(4)?,
        created_at: row.get(5)?,
        metrics_json: row.get(6)?,
        signature_json: row.get(7)?,
        artifact_path: row.get(8)?,
        dataset_id: row.get(9)?,
        description: row.get(10)?,
        aliases,
    })
}

/// The one INSERT of a version row; the new row's id.
fn insert_version(tx: &Db, version: i64, new: &NewModelVersion<'_>) -> Result<i64, StoreError> {
    tx.insert(
        "INSERT INTO model_versions (model_name, version, run_id, created_at, \
         metrics_json, signature_json, artifact_path, dataset_id, description) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            new.model_name,
            version,
            new.run_id,
            now_text(),
            new.metrics_json,
            new.signature_json,
            new.artifact_path,
            new.dataset_id,
            new.description
        ],
    )
}

impl RunStore {
    /// The next version number of `model` (1 for a new model).
    pub fn next_model_version(&self, model: &str) -> Result<i64, StoreError> {
        self.db.query_row(
            "SELECT COALESCE(max(version), 0) + 1 FROM model_versions WHERE model_name = ?1",
            params![model],
            |row| row.get(0),
        )
    }

    /// Records the next version of `new.model_name`, numbered under the store's write lock so
    /// that concurrent registers of one model get distinct versions. `place_files(version)`
    /// puts the version's files in place while the lock is held and returns their path
    /// (relative to the project); when it fails nothing is recorded. When the process dies
    /// between the files and the commit, the files are there without a row: the registry
    /// adopts them at its next open.
    pub fn add_next_model_version<E: From<StoreError>>(
        &mut self,
        new: &NewModelVersion<'_>,
        place_files: impl FnOnce(i64) -> Result<String, E>,
    ) -> Result<ModelVersion, E> {
        let id = self.db.write(|tx| -> Result<i64, E> {
            let version: i64 = tx.query_row(
                "SELECT COALESCE(max(version), 0) + 1 FROM model_versions WHERE model_name = ?1",
                params![new.model_name],
                |row| row.get(0),
            )?;
            let artifact_path = place_files(version)?;
            let placed = NewModelVersion {
                artifact_path: &artifact_path,
                ..new.clone()
            };
            let id = insert_version(tx, version, &placed)?;
            crate::files::failpoint("register:before-commit");
            Ok(id)
        })?;
        Ok(self.model_version_by_id(id)?)
    }

    /// Reconciles `model`'s folders with its rows under the write lock, so no register is
    /// committing meanwhile: `decide` sees the version numbers recorded now and returns the
    /// folders to adopt as versions (it may move others aside); they are recorded in the same
    /// transaction.
    pub fn reconcile_model_versions<E: From<StoreError>>(
        &mut self,
        model: &str,
        decide: impl FnOnce(&[i64]) -> Result<Vec<AdoptedVersion>, E>,
    ) -> Result<Vec<i64>, E> {
        self.db.write(|tx| -> Result<Vec<i64>, E> {
            let known: Vec<i64> = tx.query_map(
                "SELECT version FROM model_versions WHERE model_name = ?1",
                params![model],
                |row| row.get(0),
            )?;
            let adopted = decide(&known)?;
            let mut versions = Vec::new();
            for version in adopted {
                let new = NewModelVersion {
                    model_name: model,
                    run_id: version.run_id,
                    metrics_json: &version.metrics_json,
                    signature_json: &version.signature_json,
                    artifact_path: &version.artifact_path,
                    dataset_id: version.dataset_id,
                    description: None,
                };
                insert_version(tx, version.version, &new)?;
                versions.push(version.version);
            }
            Ok(versions)
        })
    }

    /// Records version `version` of a model (its files are already in place).
    pub fn add_model_version(
        &mut self,
        version: i64,
        new: &NewModelVersion<'_>,
    ) -> Result<ModelVersion, StoreError> {
        let id = self.write(|tx| insert_version(tx, version, new))?;
        self.model_version_by_id(id)
    }

    fn model_version_by_id(&self, id: i64) -> Result<ModelVersion, StoreError> {
        let sql = format!("SELECT {VERSION_COLUMNS} FROM model_versions v WHERE v.id = ?1");
        self.db
            .query_opt(&sql, params![id], version_from_row)?
            .ok_or_else(|| StoreError::Corrupt {
                what: format!("model version {id}"),
                detail: "it is not in the store".into(),
            })
    }

    /// Version `version` of `model`, if there is one.
    pub fn model_version(
        &self,
        model: &str,
        version: i64,
    ) -> Result<Option<ModelVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM model_versions v \
             WHERE v.model_name = ?1 AND v.version = ?2"
        );
        self.db
            .query_opt(&sql, params![model, version], version_from_row)
    }

    /// The version `alias` points at, if any.
    pub fn model_version_by_alias(
        &self,
        model: &str,
        alias: &str,
    ) -> Result<Option<ModelVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM model_versions v JOIN model_aliases a \
             ON a.version_id = v.id WHERE a.model_name = ?1 AND a.alias = ?2"
        );
        self.db
            .query_opt(&sql, params![model, alias], version_from_row)
    }

    /// Every version of every model (or of `model`), by model then version.
    pub fn model_versions(&self, model: Option<&str>) -> Result<Vec<ModelVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM model_versions v \
             WHERE (CAST(?1 AS TEXT) IS NULL OR v.model_name = ?1) ORDER BY v.model_name, v.version"
        );
        self.db.query_map(&sql, params![model], version_from_row)
    }

    /// Points `alias` of `model` at `version` (or removes it with `None`), keeping the move and
    /// its reason; an alias leaves the version it pointed at before. A version holds at most
    /// one of champion / challenger: giving it one takes the other away.
    pub fn move_alias(
        &mut self,
        model: &str,
        alias: &str,
        version: Option<i64>,
        reason: &str,
    ) -> Result<Option<i64>, StoreError> {
        self.write(|tx| {
            let previous: Option<(i64, i64)> = tx.query_opt(
                "SELECT v.id, v.version FROM model_aliases a JOIN model_versions v \
                 ON v.id = a.version_id WHERE a.model_name = ?1 AND a.alias = ?2",
                params![model, alias],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let target: Option<i64> = match version {
                Some(version) => Some(
                    tx.query_opt(
                        "SELECT id FROM model_versions WHERE model_name = ?1 AND version = ?2",
                        params![model, version],
                        |row| row.get(0),
                    )?
                    .ok_or_else(|| {
                        StoreError::NotFound(format!("model {model} has no version {version}"))
                    })?,
                ),
                None => None,
            };
            let now = now_text();
            match target {
                Some(version_id) => {
                    // The version gives up any other alias it held.
                    let others: Vec<String> = tx.query_map(
                        "SELECT alias FROM model_aliases WHERE version_id = ?1 AND alias != ?2",
                        params![version_id, alias],
                        |row| row.get(0),
                    )?;
                    for other in others {
                        tx.execute(
                            "DELETE FROM model_aliases WHERE model_name = ?1 AND alias = ?2",
                            params![model, other],
                        )?;
                        tx.execute(
                            "INSERT INTO model_alias_history (model_name, alias, version_id, \
                             previous_version_id, moved_at, reason) VALUES (?1, ?2, NULL, ?3, ?4, ?5)",
                            params![
                                model,
                                other,
                                version_id,
                                now,
                                format!("the version became {alias}")
                            ],
                        )?;
                    }
                    tx.execute(
                        "INSERT INTO model_aliases (model_name, alias, version_id, updated_at) \
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (model_name, alias) DO UPDATE \
                         SET version_id = excluded.version_id, updated_at = excluded.updated_at",
                        params![model, alias, version_id, now],
                    )?;
                }
                None => {
                    tx.execute(
                        "DELETE FROM model_aliases WHERE model_name = ?1 AND alias = ?2",
                        params![model, alias],
                    )?;
                }
            }
            tx.execute(
                "INSERT INTO model_alias_history (model_name, alias, version_id, \
                 previous_version_id, moved_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![model, alias, target, previous.map(|p| p.0), now, reason],
            )?;
            Ok(previous.map(|p| p.1))
        })
    }

    /// Every alias move of `model`, oldest first.
    pub fn alias_history(&self, model: &str) -> Result<Vec<AliasMove>, StoreError> {
        self.db.query_map(
            "SELECT h.model_name, h.alias, v.version, p.version, h.moved_at, h.reason \
             FROM model_alias_history h \
             LEFT JOIN model_versions v ON v.id = h.version_id \
             LEFT JOIN model_versions p ON p.id = h.previous_version_id \
             WHERE h.model_name = ?1 ORDER BY h.id",
            params![model],
            |row| {
                Ok(AliasMove {
                    model_name: row.get(0)?,
                    alias: row.get(1)?,
                    version: row.get(2)?,
                    previous_version: row.get(3)?,
                    moved_at: row.get(4)?,
                    reason: row.get(5)?,
                })
            },
        )
    }

    /// Marks a version archived (or active again).
    pub fn set_version_status(
        &mut self,
        model: &str,
        version: i64,
        archived: bool,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE model_versions SET status = ?3 WHERE model_name = ?1 AND version = ?2",
                params![model, version, if archived { "archived" } else { "active" }],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound(format!(
                    "model {model} has no version {version}"
                )));
            }
            Ok(())
        })
    }
}

impl RunStore {
    /// Logs predictions of one model version in one transaction: the input and output JSON,
    /// and for a lag model the series and target date with the value, so actuals score them.
    pub fn log_predictions(
        &mut self,
        version_id: i64,
        rows: &[LoggedPrediction],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            let now = now_text();
            for row in rows {
                tx.execute(
                    "INSERT INTO predictions (model_version_id, created_at, input_json, \
                     output_json, series_key, target_date, prediction) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        version_id,
                        now,
                        row.input,
                        row.output,
                        row.series_key,
                        row.target_date,
                        row.prediction
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Deletes the predictions logged before `before`, of every version; returns how many. It
    /// deletes in chunks, each its own short transaction, so a server logging meanwhile waits
    /// milliseconds for the write lock rather than the whole of a large prune.
    pub fn prune_predictions(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        // The same text as `now_text` writes, so text order is time order.
        let before = before.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut deleted = 0;
        loop {
            let chunk = self.write(|tx| {
                tx.execute(
                    "DELETE FROM predictions WHERE id IN \
                     (SELECT id FROM predictions WHERE created_at < ?1 LIMIT ?2)",
                    params![before, PRUNE_CHUNK],
                )
            })?;
            deleted += chunk;
            if (chunk as i64) < PRUNE_CHUNK {
                return Ok(deleted);
            }
        }
    }

    /// The inputs (JSON text) the HTTP endpoint logged for `versions`, since `since` (UTC text
    /// as the store writes it) or all, oldest first.
    pub fn logged_inputs(
        &self,
        versions: &[i64],
        since: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let mut inputs = Vec::new();
        for version in versions {
            inputs.extend(self.db.query_map(
                "SELECT input_json FROM predictions WHERE model_version_id = ?1 \
                 AND created_at >= ?2 ORDER BY id",
                params![version, since.unwrap_or("")],
                |row| row.get::<_, String>(0),
            )?);
        }
        Ok(inputs)
    }

    /// How many predictions were logged for a model version.
    pub fn prediction_count(&self, version_id: i64) -> Result<i64, StoreError> {
        self.db.query_row(
            "SELECT count(*) FROM predictions WHERE model_version_id = ?1",
            params![version_id],
            |row| row.get(0),
        )
    }
}
