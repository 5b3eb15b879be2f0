//! Schedules and job runs, as the daemon keeps them. A schedule is its trigger and its job as
//! JSON (the `schedule` module owns their meaning), its catch-up rule, retries and pause flag,
//! and the last slot it accounted for. A job run is one firing: queued, running, then succeeded
//! or failed, or skipped with why (a slot missed while the daemon was down, under the catch-up
//! rule). Times are milliseconds since the epoch, UTC.

use rusqlite::params;
use serde::Serialize;

use super::db::{Db, Row};
use super::{RunStore, StoreError};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduleRow {
    pub id: i64,
    pub name: String,
    pub trigger_json: String,
    pub job_json: String,
    pub catch_up: String,
    pub retries: u32,
    pub timeout_s: Option<u64>,
    pub paused: bool,
    pub created_ms: i64,
    pub last_slot_ms: Option<i64>,
    /// The commands run on failure, drift and promotion (`schedule::hooks`).
    pub hooks_json: Option<String>,
}

/// A schedule to add.
#[derive(Clone, Debug)]
pub struct NewSchedule<'a> {
    pub name: &'a str,
    pub trigger_json: &'a str,
    pub job_json: &'a str,
    pub catch_up: &'a str,
    pub retries: u32,
    pub timeout_s: Option<u64>,
    pub created_ms: i64,
    pub hooks_json: Option<&'a str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Skipped => "skipped",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            "failed" => JobState::Failed,
            "skipped" => JobState::Skipped,
            _ => JobState::Queued,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobRunRow {
    pub id: i64,
    pub schedule_id: Option<i64>,
    pub schedule_name: Option<String>,
    pub kind: String,
    pub job_json: String,
    pub slot_ms: Option<i64>,
    pub state: JobState,
    pub reason: Option<String>,
    pub attempt: u32,
    pub not_before_ms: Option<i64>,
    pub input_path: Option<String>,
    pub pid: Option<i64>,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    pub produced_json: Option<String>,
}

/// A job run to record.
#[derive(Clone, Debug)]
pub struct NewJobRun<'a> {
    pub schedule_id: Option<i64>,
    pub schedule_name: Option<&'a str>,
    pub kind: &'a str,
    pub job_json: &'a str,
    pub slot_ms: Option<i64>,
    pub state: JobState,
    pub reason: Option<&'a str>,
    pub attempt: u32,
    pub not_before_ms: Option<i64>,
    pub input_path: Option<&'a str>,
    pub created_ms: i64,
}

const SCHEDULE_COLUMNS: &str = "id, name, trigger_json, job_json, catch_up, retries, timeout_s, \
                                paused, created_ms, last_slot_ms, hooks_json";
const JOB_COLUMNS: &str = "id, schedule_id, schedule_name, kind, job_json, slot_ms, state, \
                           reason, attempt, not_before_ms, input_path, pid, created_ms, \
                           started_ms, ended_ms, produced_json";

fn schedule_row(row: &Row<'_>) -> rusqlite::Result<ScheduleRow> {
    Ok(ScheduleRow {
        id: row.get(0)?,
        name: row.get(1)?,
        trigger_json: row.get(2)?,
        job_json: row.get(3)?,
        catch_up: row.get(4)?,
        retries: row.get::<_, i64>(5)?.max(0) as u32,
        timeout_s: row.get::<_, Option<i64>>(6)?.map(|t| t.max(0) as u64),
        paused: row.get::<_, i64>(7)? != 0,
        created_ms: row.get(8)?,
        last_slot_ms: row.get(9)?,
        hooks_json: row.get(10)?,
    })
}

fn job_row(row: &Row<'_>) -> rusqlite::Result<JobRunRow> {
    Ok(JobRunRow {
        id: row.get(0)?,
        schedule_id: row.get(1)?,
        schedule_name: row.get(2)?,
        kind: row.get(3)?,
        job_json: row.get(4)?,
        slot_ms: row.get(5)?,
        state: JobState::parse(&row.get::<_, String>(6)?),
        reason: row.get(7)?,
        attempt: row.get::<_, i64>(8)?.max(1) as u32,
        not_before_ms: row.get(9)?,
        input_path: row.get(10)?,
        pid: row.get(11)?,
        created_ms: row.get(12)?,
        started_ms: row.get(13)?,
        ended_ms: row.get(14)?,
        produced_json: row.get(15)?,
    })
}

impl RunStore {
    /// Adds a schedule; a name already taken is refused by name.
    pub fn add_schedule(&mut self, new: &NewSchedule<'_>) -> Result<i64, StoreError> {
        self.write(|tx| {
            let taken: Option<i64> = tx.query_opt(
                "SELECT id FROM schedules WHERE name = ?1",
                params![new.name],
                |r| r.get(0),
            )?;
            if taken.is_some() {
                return Err(StoreError::Refused(format!(
                    "a schedule named '{}' exists; remove it first or choose another name",
                    new.name
                )));
            }
            tx.insert(
                "INSERT INTO schedules (name, trigger_json, job_json, catch_up, retries, \
                 timeout_s, paused, created_ms, hooks_json) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)",
                params![
                    new.name,
                    new.trigger_json,
                    new.job_json,
                    new.catch_up,
                    i64::from(new.retries),
                    new.timeout_s.map(|t| t as i64),
                    new.created_ms,
                    new.hooks_json
                ],
            )
        })
    }

    pub fn schedules(&self) -> Result<Vec<ScheduleRow>, StoreError> {
        self.db.query_map(
            &format!("SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY name"),
            &[],
            schedule_row,
        )
    }

    /// The schedule named `name`, or an error that lists the names there are.
    pub fn schedule(&self, name: &str) -> Result<ScheduleRow, StoreError> {
        let found = self.db.query_opt(
            &format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE name = ?1"),
            params![name],
            schedule_row,
        )?;
        match found {
            Some(row) => Ok(row),
            None => {
                let names: Vec<String> = self.schedules()?.into_iter().map(|s| s.name).collect();
                Err(StoreError::NotFound(if names.is_empty() {
                    format!("no schedule named '{name}': there is none yet")
                } else {
                    format!("no schedule named '{name}'; there are {}", names.join(", "))
                }))
            }
        }
    }

    /// Pauses or resumes a schedule. Pausing also skips its job runs still queued (a slot the
    /// clock reached just before, a retry waiting its delay): a paused schedule runs nothing more
    /// until it is resumed. How many were skipped.
    pub fn set_schedule_paused(
        &mut self,
        name: &str,
        paused: bool,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        let id = self.schedule(name)?.id;
        self.write(|tx| {
            tx.execute(
                "UPDATE schedules SET paused = ?2 WHERE id = ?1",
                params![id, i64::from(paused)],
            )?;
            if !paused {
                return Ok(0);
            }
            tx.execute(
                "UPDATE job_runs SET state = 'skipped', reason = 'its schedule was paused', \
                 ended_ms = ?2 WHERE schedule_id = ?1 AND state = 'queued'",
                params![id, now_ms],
            )
        })
    }

    /// Removes a schedule; its job runs stay, with its name.
    pub fn remove_schedule(&mut self, name: &str) -> Result<(), StoreError> {
        let id = self.schedule(name)?.id;
        self.write(|tx| {
            tx.execute("DELETE FROM schedules WHERE id = ?1", params![id])?;
            Ok(())
        })
    }

    /// Records the job runs (queued or skipped) a schedule's slots up to `last_slot_ms` make, and
    /// moves its last slot there, in one transaction: a slot is accounted for exactly once.
    pub fn account_slots(
        &mut self,
        schedule_id: i64,
        last_slot_ms: i64,
        runs: &[NewJobRun<'_>],
    ) -> Result<Vec<i64>, StoreError> {
        self.write(|tx| {
            let mut ids = Vec::with_capacity(runs.len());
            for run in runs {
                ids.push(insert_job_run(tx, run)?);
            }
            tx.execute(
                "UPDATE schedules SET last_slot_ms = ?2 WHERE id = ?1",
                params![schedule_id, last_slot_ms],
            )?;
            Ok(ids)
        })
    }

    /// Records one job run (a run asked for now, or a retry); its id.
    pub fn add_job_run(&mut self, run: &NewJobRun<'_>) -> Result<i64, StoreError> {
        self.write(|tx| insert_job_run(tx, run))
    }

    /// Job runs, newest first (of one schedule when given).
    pub fn job_runs(
        &self,
        schedule_id: Option<i64>,
        limit: usize,
    ) -> Result<Vec<JobRunRow>, StoreError> {
        self.db.query_map(
            &format!(
                "SELECT {JOB_COLUMNS} FROM job_runs WHERE (CAST(?1 AS BIGINT) IS NULL OR schedule_id = ?1) \
                 ORDER BY id DESC LIMIT ?2"
            ),
            params![schedule_id, limit as i64],
            job_row,
        )
    }

    pub fn job_run(&self, id: i64) -> Result<JobRunRow, StoreError> {
        self.db
            .query_opt(
                &format!("SELECT {JOB_COLUMNS} FROM job_runs WHERE id = ?1"),
                params![id],
                job_row,
            )?
            .ok_or_else(|| StoreError::NotFound(format!("no job run {id}")))
    }

    /// The queued job run that is due first at `now_ms`, if any.
    pub fn next_due_job(&self, now_ms: i64) -> Result<Option<JobRunRow>, StoreError> {
        self.db.query_opt(
            &format!(
                "SELECT {JOB_COLUMNS} FROM job_runs WHERE state = 'queued' AND \
                 (not_before_ms IS NULL OR not_before_ms <= ?1) ORDER BY id LIMIT 1"
            ),
            params![now_ms],
            job_row,
        )
    }

    /// Takes a queued job run for process `pid`; false when another took it first.
    pub fn start_job_run(&mut self, id: i64, pid: u32, now_ms: i64) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE job_runs SET state = 'running', pid = ?2, started_ms = ?3 \
                 WHERE id = ?1 AND state = 'queued'",
                params![id, i64::from(pid), now_ms],
            )?;
            Ok(changed == 1)
        })
    }

    /// Ends a running job run: succeeded (with what it produced) or failed (with why).
    pub fn end_job_run(
        &mut self,
        id: i64,
        state: JobState,
        reason: Option<&str>,
        produced_json: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE job_runs SET state = ?2, reason = ?3, produced_json = ?4, ended_ms = ?5 \
                 WHERE id = ?1",
                params![id, state.as_str(), reason, produced_json, now_ms],
            )?;
            Ok(())
        })
    }

    /// Job runs left `running` by a process that is gone (a daemon killed mid-job): failed,
    /// with that reason. Returns them, so the caller can retry them by their policy.
    pub fn fail_orphaned_jobs(
        &mut self,
        alive: &dyn Fn(i64) -> bool,
        now_ms: i64,
    ) -> Result<Vec<JobRunRow>, StoreError> {
        let running: Vec<JobRunRow> = self.db.query_map(
            &format!("SELECT {JOB_COLUMNS} FROM job_runs WHERE state = 'running'"),
            &[],
            job_row,
        )?;
        let mut orphaned = Vec::new();
        for run in running {
            if run.pid.is_some_and(alive) {
                continue;
            }
            let reason = format!(
                "the process running it ({}) ended before the job did: the daemon was killed or \
                 crashed",
                run.pid.map_or("no pid".to_string(), |p| format!("pid {p}"))
            );
            self.end_job_run(run.id, JobState::Failed, Some(&reason), None, now_ms)?;
            orphaned.push(JobRunRow {
                state: JobState::Failed,
                reason: Some(reason),
                ..run
            });
        }
        Ok(orphaned)
    }
}

fn insert_job_run(tx: &Db, run: &NewJobRun<'_>) -> Result<i64, StoreError> {
    let ended = matches!(run.state, JobState::Skipped).then_some(run.created_ms);
    tx.insert(
        "INSERT INTO job_runs (schedule_id, schedule_name, kind, job_json, slot_ms, state, \
         reason, attempt, not_before_ms, input_path, created_ms, ended_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            run.schedule_id,
            run.schedule_name,
            run.kind,
            run.job_json,
            run.slot_ms,
            run.state.as_str(),
            run.reason,
            i64::from(run.attempt),
            run.not_before_ms,
            run.input_path,
            run.created_ms,
            ended
        ],
    )
}
