//! A run's life from the outside: created whole (row, params, tags and spec in one
//! transaction, so a run is never half-made), claimed by exactly one worker, and asked to stop.

use rusqlite::params;

use super::runs::{NewRun, RunId, experiment_id_in};
use super::{RunStore, StoreError, now_text};

/// A run as queued by `train`: its row, every param and tag, and the spec the worker reads.
pub struct QueuedRun<'a> {
    pub run: &'a NewRun,
    pub params: &'a [(String, String)],
    pub tags: &'a [(String, String)],
    /// `None` for runs logged some other way than `shelfcast train` (benchmarks, imports).
    pub spec_json: Option<&'a str>,
}

impl RunStore {
    /// Records a queued run with its params, tags and spec, all or nothing.
    pub fn create_queued_run(&mut self, queued: &QueuedRun<'_>) -> Result<RunId, StoreError> {
        let launcher = super::Launcher::current();
        self.write(|tx| {
            let new = queued.run;
            let experiment_id = experiment_id_in(tx, &new.experiment)?;
            let id = tx.insert(
                "INSERT INTO runs (experiment_id, name, status, model_kind, task, dataset_id, \
                 parent_run_id, created_at, spec_json, launched_by, launched_on) \
                 VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    experiment_id,
                    new.name,
                    new.model_kind,
                    new.task,
                    new.dataset_id,
                    new.parent_run_id,
                    now_text(),
                    queued.spec_json,
                    launcher.user,
                    launcher.host
                ],
            )?;
            for (table, pairs) in [("params", queued.params), ("tags", queued.tags)] {
                let sql = format!(
                    "INSERT INTO {table} (run_id, key, value) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value"
                );
                for (key, value) in pairs {
                    tx.execute(&sql, params![id, key, value])?;
                }
            }
            Ok(id)
        })
    }

    /// The spec JSON a run was queued with (`None` for runs logged some other way).
    pub fn run_spec(&self, id: RunId) -> Result<Option<String>, StoreError> {
        let spec: Option<Option<String>> = self.db.query_opt(
            "SELECT spec_json FROM runs WHERE id = ?1",
            params![id],
            |row| row.get(0),
        )?;
        spec.ok_or(StoreError::RunNotFound(id))
    }

    /// Moves a queued run to `running` under worker `pid`. Returns `false` when the run is not
    /// queued any more (another worker took it, or it was cancelled before it started).
    pub fn claim_run(&mut self, id: RunId, pid: u32) -> Result<bool, StoreError> {
        self.claim(id, pid, None)
    }

    /// Claims a queued run as `claim_run` does, for the Slurm job `job` (a job array's task,
    /// `ARRAY_TASK`), in the same statement: the run is never running under the array's id.
    pub fn claim_run_for_job(
        &mut self,
        id: RunId,
        pid: u32,
        job: &str,
    ) -> Result<bool, StoreError> {
        self.claim(id, pid, Some(job))
    }

    fn claim(&mut self, id: RunId, pid: u32, job: Option<&str>) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE runs SET status = 'running', pid = ?2, started_at = ?3, heartbeat_ms = ?4, \
                 worker_host = ?5, slurm_job_id = COALESCE(?6, slurm_job_id) \
                 WHERE id = ?1 AND status = 'queued'",
                params![
                    id,
                    i64::from(pid),
                    now_text(),
                    super::now_ms(),
                    super::Launcher::current().host,
                    job
                ],
            )?;
            Ok(changed == 1)
        })
    }

    /// Whether someone asked the run to stop: one indexed read, cheap enough for every batch.
    pub fn cancel_requested(&self, id: RunId) -> Result<bool, StoreError> {
        let flag: Option<i64> = self.db.query_opt(
            "SELECT cancel_requested FROM runs WHERE id = ?1",
            params![id],
            |row| row.get(0),
        )?;
        flag.map(|f| f != 0).ok_or(StoreError::RunNotFound(id))
    }
}
