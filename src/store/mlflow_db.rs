//! Reading a team's MLflow tracking store (its SQLite backend, `mlflow.db`) for `shelfcast import
//! mlflow`: experiments, runs, params, tags, every metric point, registered models, their
//! versions and aliases. Read only; the file is never written. The schema is checked before
//! anything is read: every table and column read here must be there, and a store that lacks one
//! is refused naming it and the store's Alembic revision.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::StoreError;

/// The Alembic revisions of MLflow releases this reader was run against (the newest last).
/// Another revision is read when every table and column is there, and said.
pub const TESTED_MLFLOW_REVISIONS: &[(&str, &str)] = &[("dc11669786a5", "MLflow 3.17")];

/// The tables and columns read, and what a store must have.
const NEEDED: &[(&str, &[&str])] = &[
    (
        "experiments",
        &[
            "experiment_id",
            "name",
            "artifact_location",
            "lifecycle_stage",
            "creation_time",
        ],
    ),
    (
        "runs",
        &[
            "run_uuid",
            "name",
            "status",
            "start_time",
            "end_time",
            "lifecycle_stage",
            "artifact_uri",
            "experiment_id",
            "user_id",
        ],
    ),
    ("params", &["key", "value", "run_uuid"]),
    ("tags", &["key", "value", "run_uuid"]),
    (
        "metrics",
        &["key", "value", "timestamp", "run_uuid", "step", "is_nan"],
    ),
    (
        "registered_models",
        &["name", "creation_time", "description"],
    ),
    (
        "model_versions",
        &[
            "name",
            "version",
            "creation_time",
            "source",
            "run_id",
            "status",
            "description",
        ],
    ),
    ("registered_model_aliases", &["alias", "version", "name"]),
];

#[derive(Clone, Debug, PartialEq)]
pub struct MlflowExperiment {
    pub id: String,
    pub name: String,
    pub artifact_location: Option<String>,
    pub deleted: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MlflowRun {
    pub uuid: String,
    pub name: Option<String>,
    pub experiment_id: String,
    /// SCHEDULED, RUNNING, FINISHED, FAILED or KILLED.
    pub status: String,
    pub start_time_ms: Option<i64>,
    pub end_time_ms: Option<i64>,
    pub deleted: bool,
    pub artifact_uri: Option<String>,
    pub user: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MlflowMetric {
    pub key: String,
    pub value: f64,
    pub timestamp_ms: i64,
    pub step: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MlflowModelVersion {
    pub name: String,
    pub version: i64,
    pub creation_time_ms: Option<i64>,
    pub source: Option<String>,
    pub run_uuid: Option<String>,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MlflowAlias {
    pub model: String,
    pub alias: String,
    pub version: i64,
}

/// An MLflow SQLite store, open for reading.
pub struct MlflowDb {
    conn: Connection,
    path: PathBuf,
    /// Its Alembic revision (`alembic_version`), when it has one.
    pub revision: Option<String>,
}

fn refused(path: &Path, what: String) -> StoreError {
    StoreError::Refused(format!("{}: {what}", path.display()))
}

impl MlflowDb {
    /// Opens `path` read only and checks its schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "{}: no such file (an MLflow SQLite store, mlflow.db, or an mlruns/ folder)",
                path.display()
            )));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        let is_sqlite: Result<i64, _> =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0));
        if is_sqlite.is_err() {
            return Err(refused(
                path,
                "not an SQLite file: expected an MLflow SQLite store (mlflow.db)".into(),
            ));
        }
        let has_alembic: bool = conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
                [],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        let revision = if has_alembic {
            conn.query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
                .optional()?
        } else {
            None
        };
        let db = Self {
            conn,
            path: path.to_path_buf(),
            revision,
        };
        db.check_schema()?;
        Ok(db)
    }

    fn check_schema(&self) -> Result<(), StoreError> {
        let revision = self.revision.as_deref().unwrap_or("none");
        for (table, columns) in NEEDED {
            let mut stmt = self
                .conn
                .prepare("SELECT name FROM pragma_table_info(?1)")?;
            let present: Vec<String> = stmt
                .query_map([table], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if present.is_empty() {
                return Err(refused(
                    &self.path,
                    format!(
                        "not an MLflow store this build knows: it has no table '{table}' \
                         (Alembic revision {revision}; read: {})",
                        tested()
                    ),
                ));
            }
            if let Some(missing) = columns.iter().find(|c| !present.iter().any(|p| p == *c)) {
                return Err(refused(
                    &self.path,
                    format!(
                        "an MLflow schema this build does not know: table '{table}' has no \
                         column '{missing}' (Alembic revision {revision}; read: {})",
                        tested()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether the store's revision is one this reader was run against.
    pub fn revision_tested(&self) -> bool {
        self.revision
            .as_deref()
            .is_some_and(|r| TESTED_MLFLOW_REVISIONS.iter().any(|(t, _)| *t == r))
    }

    pub fn experiments(&self) -> Result<Vec<MlflowExperiment>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT experiment_id, name, artifact_location, lifecycle_stage FROM experiments \
             ORDER BY experiment_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MlflowExperiment {
                id: r.get::<_, i64>(0)?.to_string(),
                name: r.get(1)?,
                artifact_location: r.get(2)?,
                deleted: r.get::<_, Option<String>>(3)?.as_deref() == Some("deleted"),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<MlflowRun>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT run_uuid, name, experiment_id, status, start_time, end_time, \
             lifecycle_stage, artifact_uri, user_id FROM runs ORDER BY start_time, run_uuid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MlflowRun {
                uuid: r.get(0)?,
                name: r.get(1)?,
                experiment_id: r.get::<_, i64>(2)?.to_string(),
                status: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                start_time_ms: r.get(4)?,
                end_time_ms: r.get(5)?,
                deleted: r.get::<_, Option<String>>(6)?.as_deref() == Some("deleted"),
                artifact_uri: r.get(7)?,
                user: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn pairs(&self, sql: &str, run: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([run], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn params(&self, run: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.pairs(
            "SELECT key, value FROM params WHERE run_uuid = ?1 ORDER BY key",
            run,
        )
    }

    pub fn tags(&self, run: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.pairs(
            "SELECT key, value FROM tags WHERE run_uuid = ?1 ORDER BY key",
            run,
        )
    }

    /// Every metric point of `run` (a NaN point as NaN), by key, step and time.
    pub fn metrics(&self, run: &str) -> Result<Vec<MlflowMetric>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ?1 \
             ORDER BY key, step, timestamp",
        )?;
        let rows = stmt.query_map([run], |r| {
            let is_nan: bool = r.get(4)?;
            Ok(MlflowMetric {
                key: r.get(0)?,
                value: if is_nan { f64::NAN } else { r.get(1)? },
                timestamp_ms: r.get(2)?,
                step: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn model_versions(&self) -> Result<Vec<MlflowModelVersion>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, version, creation_time, source, run_id, description FROM \
             model_versions ORDER BY name, version",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MlflowModelVersion {
                name: r.get(0)?,
                version: r.get(1)?,
                creation_time_ms: r.get(2)?,
                source: r.get(3)?,
                run_uuid: r.get(4)?,
                description: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn aliases(&self) -> Result<Vec<MlflowAlias>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, alias, version FROM registered_model_aliases ORDER BY name, alias",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(MlflowAlias {
                model: r.get(0)?,
                alias: r.get(1)?,
                version: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn tested() -> String {
    TESTED_MLFLOW_REVISIONS
        .iter()
        .map(|(r, release)| format!("{r} ({release})"))
        .collect::<Vec<_>>()
        .join(", ")
}
