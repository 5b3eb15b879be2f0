//! Runs and what hangs off them: params, metric points, tags, artifacts.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::db::{Db, Row};
use super::{RunStore, StoreError, now_text};

pub type RunId = i64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Finished,
    Failed,
    Killed,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Killed => "killed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "finished" => RunStatus::Finished,
            "failed" => RunStatus::Failed,
            "killed" => RunStatus::Killed,
            _ => return None,
        })
    }

    /// Finished, failed and killed runs never change status again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Finished | RunStatus::Failed | RunStatus::Killed
        )
    }
}

#[derive(Clone, Debug)]
pub struct NewRun {
    pub experiment: String,
    pub name: String,
    pub model_kind: String,
    pub task: String,
    pub dataset_id: Option<i64>,
    pub parent_run_id: Option<RunId>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub id: RunId,
    pub experiment: String,
    pub name: String,
    pub status: RunStatus,
    pub model_kind: String,
    pub task: String,
    pub dataset_id: Option<i64>,
    pub parent_run_id: Option<RunId>,
    pub pid: Option<i64>,
    pub cancel_requested: bool,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub error: Option<String>,
    pub note: Option<String>,
    /// Set when the run was deleted (softly: it stays until purged).
    pub deleted_at: Option<String>,
    /// The OS user and the host that launched the run (none for runs from before they were
    /// recorded, or imported without them).
    pub launched_by: Option<String>,
    pub launched_on: Option<String>,
    /// The Slurm job its worker was submitted as (`--on slurm`).
    pub slurm_job_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub experiment: Option<String>,
    pub status: Option<RunStatus>,
    pub parent_run_id: Option<RunId>,
    pub include_deleted: bool,
}

#[derive(Clone, Debug)]
pub struct NewArtifact {
    pub path: String,
    pub kind: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Artifact {
    pub id: i64,
    pub run_id: RunId,
    pub path: String,
    pub kind: String,
    pub sha256: String,
    pub bytes: u64,
    pub created_at: String,
}

pub(super) const RUN_COLUMNS: &str = "r.id, e.name, r.name, r.status, r.model_kind, r.task, \
     r.dataset_id, r.parent_run_id, r.pid, r.cancel_requested, r.created_at, r.started_at, \
     r.ended_at, r.error, r.note, r.deleted_at, r.launched_by, r.launched_on, r.slurm_job_id";

pub(super) fn run_from_row(row: &Row<'_>) -> rusqlite::Result<(Run, String)> {
    let status_text: String = row.get(3)?;
    Ok((
        Run {
            id: row.get(0)?,
            experiment: row.get(1)?,
            name: row.get(2)?,
            status: RunStatus::Queued,
            model_kind: row.get(4)?,
            task: row.get(5)?,
            dataset_id: row.get(6)?,
            parent_run_id: row.get(7)?,
            pid: row.get(8)?,
            cancel_requested: row.get::<_, i64>(9)? != 0,
            created_at: row.get(10)?,
            started_at: row.get(11)?,
            ended_at: row.get(12)?,
            error: row.get(13)?,
            note: row.get(14)?,
            deleted_at: row.get(15)?,
            launched_by: row.get(16)?,
            launched_on: row.get(17)?,
            slurm_job_id: row.get(18)?,
        },
        status_text,
    ))
}

pub(super) fn with_status((mut run, status_text): (Run, String)) -> Result<Run, StoreError> {
    run.status = RunStatus::parse(&status_text).ok_or_else(|| StoreError::Corrupt {
        what: format!("status of run {}", run.id),
        detail: format!("unknown status '{status_text}'"),
    })?;
    Ok(run)
}

impl RunStore {
    /// Returns the id of the named experiment, creating it on first use.
    pub fn experiment_id(&mut self, name: &str) -> Result<i64, StoreError> {
        self.write(|tx| experiment_id_in(tx, name))
    }

    /// Records a new run as `queued`, with its experiment created on first use.
    pub fn create_run(&mut self, new: &NewRun) -> Result<RunId, StoreError> {
        self.create_queued_run(&super::QueuedRun {
            run: new,
            params: &[],
            tags: &[],
            spec_json: None,
        })
    }

    pub fn get_run(&self, id: RunId) -> Result<Run, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id \
             WHERE r.id = ?1"
        );
        let row = self
            .db
            .query_opt(&sql, params![id], run_from_row)?
            .ok_or(StoreError::RunNotFound(id))?;
        with_status(row)
    }

    /// Runs matching `filter`, newest first.
    pub fn list_runs(&self, filter: &RunFilter) -> Result<Vec<Run>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN experiments e ON e.id = r.experiment_id \
             WHERE (CAST(?1 AS TEXT) IS NULL OR e.name = ?1) \
             AND (CAST(?2 AS TEXT) IS NULL OR r.status = ?2) \
             AND (CAST(?3 AS BIGINT) IS NULL OR r.parent_run_id = ?3) \
             AND (?4 OR r.deleted_at IS NULL) \
             ORDER BY r.id DESC"
        );
        let rows = self.db.query_map(
            &sql,
            params![
                filter.experiment,
                filter.status.map(RunStatus::as_str),
                filter.parent_run_id,
                filter.include_deleted
            ],
            run_from_row,
        )?;
        rows.into_iter().map(with_status).collect()
    }

    /// Moves a run to `status`. Entering `running` stamps the start time and the worker's pid;
    /// entering a terminal status stamps the end time and keeps `error` as the reason.
    pub fn set_status(
        &mut self,
        id: RunId,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let now = now_text();
            let changed = match status {
                RunStatus::Running => tx.execute(
                    "UPDATE runs SET status = 'running', started_at = COALESCE(started_at, ?2) \
                     WHERE id = ?1",
                    params![id, now],
                )?,
                RunStatus::Queued => tx.execute(
                    "UPDATE runs SET status = 'queued' WHERE id = ?1",
                    params![id],
                )?,
                terminal => tx.execute(
                    "UPDATE runs SET status = ?2, ended_at = ?3, error = ?4 WHERE id = ?1",
                    params![id, terminal.as_str(), now, error],
                )?,
            };
            if changed == 0 {
                return Err(StoreError::RunNotFound(id));
            }
            Ok(())
        })
    }

    pub fn set_pid(&mut self, id: RunId, pid: u32) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE runs SET pid = ?2, worker_host = ?3 WHERE id = ?1",
                params![id, i64::from(pid), super::Launcher::current().host],
            )?;
            Ok(())
        })
    }

    /// Records the pid of the worker started for a queued run; a run some worker has claimed
    /// already keeps its claimer's pid.
    pub fn set_queued_pid(&mut self, id: RunId, pid: u32) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE runs SET pid = ?2, worker_host = ?3 WHERE id = ?1 AND status = 'queued'",
                params![id, i64::from(pid), super::Launcher::current().host],
            )?;
            Ok(())
        })
    }

    /// Records the Slurm job run `id`'s worker was submitted as (or, for a study's trial, the
    /// job array one of whose tasks will take it). A job already recorded by a worker that took
    /// the run meanwhile (an array's task names itself when it claims) is kept.
    pub fn set_slurm_job(&mut self, id: RunId, job: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            let exists: Option<i64> =
                tx.query_opt("SELECT id FROM runs WHERE id = ?1", params![id], |row| {
                    row.get(0)
                })?;
            if exists.is_none() {
                return Err(StoreError::RunNotFound(id));
            }
            tx.execute(
                "UPDATE runs SET slurm_job_id = ?2 \
                 WHERE id = ?1 AND (status = 'queued' OR slurm_job_id IS NULL)",
                params![id, job],
            )?;
            Ok(())
        })
    }

    /// Ends run `id` as `status` with `reason` unless it is over already (its worker may have
    /// finished meanwhile); whether it was ended here.
    pub fn end_unfinished_run(
        &mut self,
        id: RunId,
        status: RunStatus,
        reason: &str,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE runs SET status = ?2, ended_at = ?3, error = ?4 \
                 WHERE id = ?1 AND status IN ('queued', 'running')",
                params![id, status.as_str(), now_text(), reason],
            )?;
            Ok(changed > 0)
        })
    }

    /// Runs on Slurm that are not over yet: id, job id, whether a cancel was asked for.
    pub fn slurm_runs_in_flight(&self) -> Result<Vec<(RunId, String, bool)>, StoreError> {
        self.db.query_map(
            "SELECT id, slurm_job_id, cancel_requested FROM runs \
             WHERE slurm_job_id IS NOT NULL AND status IN ('queued', 'running') ORDER BY id",
            &[],
            |row| Ok((row.get(0)?, row.get(1)?, row.get::<_, i64>(2)? != 0)),
        )
    }

    /// The oldest queued child run of `parent` (a study's next trial), if any.
    pub fn next_queued_child(&self, parent: RunId) -> Result<Option<RunId>, StoreError> {
        let id: Option<i64> = self.db.query_opt(
            "SELECT id FROM runs WHERE parent_run_id = ?1 AND status = 'queued' \
             AND deleted_at IS NULL ORDER BY id LIMIT 1",
            params![parent],
            |row| row.get(0),
        )?;
        Ok(id)
    }

    /// Asks the run's worker to stop at its next step boundary. A queued run that no live
    /// worker holds (its launcher died, or its worker has not started) is killed at once, since
    /// nobody would ever read the request.
    pub fn request_cancel(&mut self, id: RunId) -> Result<(), StoreError> {
        self.write(|tx| {
            let row: Option<(String, Option<i64>, Option<String>)> = tx.query_opt(
                "SELECT status, pid, worker_host FROM runs WHERE id = ?1",
                params![id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            let Some((status, pid, host)) = row else {
                return Err(StoreError::RunNotFound(id));
            };
            tx.execute(
                "UPDATE runs SET cancel_requested = 1 WHERE id = ?1",
                params![id],
            )?;
            let held =
                pid.is_some_and(|pid| super::liveness::worker_may_live(pid, host.as_deref()));
            if status == "queued" && !held {
                tx.execute(
                    "UPDATE runs SET status = 'killed', ended_at = ?2, \
                     error = 'cancelled before a worker started it' \
                     WHERE id = ?1 AND status = 'queued'",
                    params![id, now_text()],
                )?;
            }
            Ok(())
        })
    }

    /// Logs (or overwrites) parameters, all in one transaction.
    pub fn log_params(&mut self, id: RunId, params: &[(&str, &str)]) -> Result<(), StoreError> {
        self.write_pairs(PairTable::Params, id, params)
    }

    pub fn params(&self, id: RunId) -> Result<Vec<(String, String)>, StoreError> {
        self.read_pairs(PairTable::Params, id)
    }

    pub fn set_tags(&mut self, id: RunId, tags: &[(&str, &str)]) -> Result<(), StoreError> {
        self.write_pairs(PairTable::Tags, id, tags)
    }

    pub fn tags(&self, id: RunId) -> Result<Vec<(String, String)>, StoreError> {
        self.read_pairs(PairTable::Tags, id)
    }

    fn write_pairs(
        &mut self,
        table: PairTable,
        id: RunId,
        pairs: &[(&str, &str)],
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let sql = format!(
                "INSERT INTO {} (run_id, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                table.name()
            );
            for (key, value) in pairs {
                tx.execute(&sql, params![id, key, value])?;
            }
            Ok(())
        })
    }

    fn read_pairs(&self, table: PairTable, id: RunId) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!(
            "SELECT key, value FROM {} WHERE run_id = ?1 ORDER BY key",
            table.name()
        );
        self.db
            .query_map(&sql, params![id], |row| Ok((row.get(0)?, row.get(1)?)))
    }

    pub fn add_artifact(&mut self, id: RunId, artifact: &NewArtifact) -> Result<i64, StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO artifacts (run_id, path, kind, sha256, bytes, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (run_id, path) DO UPDATE SET \
                 kind = excluded.kind, sha256 = excluded.sha256, bytes = excluded.bytes",
                params![
                    id,
                    artifact.path,
                    artifact.kind,
                    artifact.sha256,
                    artifact.bytes as i64,
                    now_text()
                ],
            )?;
            tx.query_row(
                "SELECT id FROM artifacts WHERE run_id = ?1 AND path = ?2",
                params![id, artifact.path],
                |row| row.get(0),
            )
        })
    }

    pub fn artifacts(&self, id: RunId) -> Result<Vec<Artifact>, StoreError> {
        self.db.query_map(
            "SELECT id, run_id, path, kind, sha256, bytes, created_at FROM artifacts \
             WHERE run_id = ?1 ORDER BY path",
            params![id],
            |row| {
                Ok(Artifact {
                    id: row.get(0)?,
                    run_id: row.get(1)?,
                    path: row.get(2)?,
                    kind: row.get(3)?,
                    sha256: row.get(4)?,
                    bytes: row.get::<_, i64>(5)? as u64,
                    created_at: row.get(6)?,
                })
            },
        )
    }
}

/// The run tables that hold key/value pairs. A closed set, so table names in SQL text never come
/// from input.
#[derive(Clone, Copy)]
enum PairTable {
    Params,
    Tags,
}

impl PairTable {
    fn name(self) -> &'static str {
        match self {
            PairTable::Params => "params",
            PairTable::Tags => "tags",
        }
    }
}

pub(super) fn experiment_id_in(tx: &Db, name: &str) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO experiments (name, created_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, now_text()],
    )?;
    tx.query_row(
        "SELECT id FROM experiments WHERE name = ?1",
        params![name],
        |row| row.get(0),
    )
}
