//! Runs and model versions recorded from another tracker (`shelfcast import mlflow`). An imported
//! run keeps the source's id in a tag (`mlflow.run_id`), so importing again finds it: a run whose
//! content is unchanged (the same fingerprint) is left alone, a changed one is rewritten whole,
//! in one transaction, never duplicated.

use std::collections::HashMap;

use rusqlite::{ToSql, params};

use super::metrics::write_metrics;
use super::runs::{RunId, RunStatus, experiment_id_in};
use super::{MetricPoint, RunStore, StoreError};

/// A run as another tracker recorded it.
pub struct ImportedRun<'a> {
    /// The tag holding the source's run id (`mlflow.run_id`), and that id.
    pub id_tag: &'a str,
    pub source_id: &'a str,
    /// Changes when anything in the source run changed (its status, end, counts).
    pub fingerprint: &'a str,
    pub experiment: &'a str,
    pub name: &'a str,
    pub model_kind: &'a str,
    pub status: RunStatus,
    pub error: Option<&'a str>,
    pub created_at: &'a str,
    pub started_at: Option<&'a str>,
    pub ended_at: Option<&'a str>,
    pub params: &'a [(String, String)],
    pub tags: &'a [(String, String)],
    pub metrics: &'a [MetricPoint],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Created(RunId),
    Updated(RunId),
    Unchanged(RunId),
}

impl ImportOutcome {
    pub fn run(self) -> RunId {
        match self {
            ImportOutcome::Created(id)
            | ImportOutcome::Updated(id)
            | ImportOutcome::Unchanged(id) => id,
        }
    }
}

/// The tag an import writes its fingerprint under.
pub const FINGERPRINT_TAG: &str = "import.fingerprint";

impl RunStore {
    /// Every run carrying tag `key`, by its value: the runs a source's ids name.
    pub fn runs_by_tag(&self, key: &str) -> Result<HashMap<String, RunId>, StoreError> {
        let rows: Vec<(String, RunId)> = self.db.query_map(
            "SELECT value, run_id FROM tags WHERE key = ?1",
            params![key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.into_iter().collect())
    }

    /// Records `run`, or finds it recorded (`existing`, from `runs_by_tag`) and rewrites it only
    /// when its fingerprint changed.
    pub fn import_run(
        &mut self,
        run: &ImportedRun<'_>,
        existing: Option<RunId>,
    ) -> Result<ImportOutcome, StoreError> {
        if let Some(id) = existing {
            let stored: Option<String> = self.db.query_opt(
                "SELECT value FROM tags WHERE run_id = ?1 AND key = ?2",
                params![id, FINGERPRINT_TAG],
                |r| r.get(0),
            )?;
            if stored.as_deref() == Some(run.fingerprint) {
                return Ok(ImportOutcome::Unchanged(id));
            }
        }
        self.write(|tx| {
            let experiment_id = experiment_id_in(tx, run.experiment)?;
            let status = run.status.as_str();
            // Who logged the run, as the other tracker recorded it (MLflow's run owner, kept as
            // the `mlflow.user_id` tag; else its `mlflow.user` tag).
            let tag = |key: &str| {
                run.tags
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
            };
            let user = tag("mlflow.user_id").or_else(|| tag("mlflow.user"));
            let fields: [&dyn ToSql; 9] = [
                &experiment_id,
                &run.name,
                &status,
                &run.model_kind,
                &run.error,
                &run.created_at,
                &run.started_at,
                &run.ended_at,
                &user,
            ];
            let id = match existing {
                Some(id) => {
                    let mut update_args: Vec<&dyn ToSql> = fields.to_vec();
                    update_args.push(&id);
                    tx.execute(
                        "UPDATE runs SET experiment_id = ?1, name = ?2, status = ?3, \
                         model_kind = ?4, error = ?5, created_at = ?6, started_at = ?7, \
                         ended_at = ?8, launched_by = ?9 WHERE id = ?10",
                        &update_args,
                    )?;
                    for table in ["params", "tags"] {
                        tx.execute(
                            &format!("DELETE FROM {table} WHERE run_id = ?1"),
                            params![id],
                        )?;
                    }
                    tx.execute(
                        "DELETE FROM metric_points WHERE series_id IN \
                         (SELECT id FROM metric_series WHERE run_id = ?1)",
                        params![id],
                    )?;
                    tx.execute("DELETE FROM metric_series WHERE run_id = ?1", params![id])?;
                    id
                }
                None => tx.insert(
                    "INSERT INTO runs (experiment_id, name, status, model_kind, error, \
                     created_at, started_at, ended_at, launched_by, task) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'imported')",
                    &fields,
                )?,
            };
            let mut tags: Vec<(&str, &str)> = run
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            tags.push((run.id_tag, run.source_id));
            tags.push((FINGERPRINT_TAG, run.fingerprint));
            for (table, pairs) in [
                (
                    "params",
                    run.params
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                ),
                ("tags", tags),
            ] {
                let sql = format!(
                    "INSERT INTO {table} (run_id, key, value) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value"
                );
                for (key, value) in pairs {
                    tx.execute(&sql, params![id, key, value])?;
                }
            }
            write_metrics(tx, id, run.metrics)?;
            Ok(match existing {
                Some(_) => ImportOutcome::Updated(id),
                None => ImportOutcome::Created(id),
            })
        })
    }

    /// Records version `version` of `model` for imported run `run` pointing at `artifact_path`
    /// (the source's model files), unless it is there already. `Ok(false)`: it was.
    pub fn import_model_version(
        &mut self,
        model: &str,
        version: i64,
        run: RunId,
        artifact_path: &str,
        created_at: &str,
        description: Option<&str>,
    ) -> Result<bool, StoreError> {
        let present: Option<RunId> = self.db.query_opt(
            "SELECT run_id FROM model_versions WHERE model_name = ?1 AND version = ?2",
            params![model, version],
            |r| r.get(0),
        )?;
        match present {
            Some(existing) if existing == run => return Ok(false),
            Some(existing) => {
                return Err(StoreError::Refused(format!(
                    "{model} version {version} is already in runs.db (run {existing}, not an \
                     import of this MLflow version): it is left as it is"
                )));
            }
            None => {}
        }
        self.write(|tx| {
            tx.execute(
                "INSERT INTO model_versions (model_name, version, run_id, created_at, \
                 metrics_json, signature_json, artifact_path, description) \
                 VALUES (?1, ?2, ?3, ?4, '{}', '{}', ?5, ?6)",
                params![model, version, run, created_at, artifact_path, description],
            )?;
            Ok(true)
        })
    }
}
