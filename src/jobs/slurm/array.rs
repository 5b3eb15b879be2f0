//! A study's trials on Slurm as one job array, `%P` of its tasks at once (`--parallel P`).
//!
//! The study still proposes each trial when a slot opens (TPE learns from the trials before
//! it), so a task cannot be told its trial when the array is submitted: each task, once Slurm
//! starts it, claims the study's oldest queued trial in the same atomic claim any worker makes
//! (recording itself, `ARRAY_TASK`, as the trial's job) and trains that one trial. One trial a
//! task keeps Slurm's accounting the trial's own: its time limit, its memory, its `sacct` line
//! (a TIMEOUT or OUT_OF_MEMORY is that trial's). A queued trial carries the array's id until a
//! task takes it, so the scheduler's word on the array keeps it alive and `reconcile` fails it
//! when the array ended before any task took it.

use std::time::{Duration, Instant};

use super::super::launch::JobError;
use super::super::worker::{WorkerReport, log_line, run_claimed};
use super::{BatchJob, QueueState, SlurmOptions, queue_state};
use crate::project::Project;
use crate::store::{RunId, RunStatus, RunStore};

/// The tag on a study's run naming its job array.
pub const ARRAY_TAG: &str = "slurm.array_job";

/// The tag on a study's run holding its `--on slurm` options (JSON), so `tune --resume`
/// dispatches as the study was started.
pub const OPTIONS_TAG: &str = "slurm.options";

/// How long a started task waits for a trial to claim: the study queues the next trial as soon
/// as a slot opens, so only a study that is over (or whose runner died) keeps a task waiting.
const WAIT_FOR_TRIAL: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(100);

/// How often the study asks Slurm about its array (each ask is an `squeue` per trial).
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// A study's job array, as the study runner holds it.
pub struct StudyArray {
    pub job: String,
    last_check: Instant,
}

impl StudyArray {
    /// The study's array: the one recorded on its run while Slurm still holds it, else a new
    /// one of `tasks` tasks, `parallel` at once. `None` when there is nothing left to train.
    pub fn ensure(
        project: &Project,
        store: &mut RunStore,
        study_run: RunId,
        tasks: usize,
        parallel: usize,
        options: &SlurmOptions,
    ) -> Result<Option<StudyArray>, JobError> {
        let recorded = store
            .tags(study_run)?
            .into_iter()
            .find(|(key, _)| key == ARRAY_TAG)
            .map(|(_, job)| job);
        if let Some(job) = recorded
            && matches!(
                queue_state(&job),
                Ok(QueueState::Pending { .. } | QueueState::Running { .. })
            )
        {
            return Ok(Some(StudyArray::held(job)));
        }
        if tasks == 0 {
            return Ok(None);
        }
        let job = BatchJob {
            name: format!("shelfcast-study-{study_run}"),
            worker_args: format!("worker --next-trial-of {study_run}"),
        };
        let dir = project.run_dir(study_run);
        let extra = [
            array_flag(tasks, parallel),
            format!("--output={}", dir.join("slurm-%A_%a.log").display()),
        ];
        let id = job.submit(
            project,
            study_run,
            &dir.join("slurm-array.sh"),
            options,
            &extra,
        )?;
        store.set_tags(study_run, &[(ARRAY_TAG, &id)])?;
        Ok(Some(StudyArray::held(id)))
    }

    fn held(job: String) -> StudyArray {
        StudyArray {
            job,
            // The first check comes one period after the start, not at once.
            last_check: Instant::now(),
        }
    }

    /// Every `CHECK_EVERY`, ends the study's trials whose tasks Slurm ended badly (over the
    /// time limit, out of memory, the node lost) or that the array ended without taking.
    pub fn check(&mut self, project: &Project, store: &mut RunStore) -> Result<(), JobError> {
        if self.last_check.elapsed() < CHECK_EVERY {
            return Ok(());
        }
        self.last_check = Instant::now();
        super::reconcile(project, store)?;
        Ok(())
    }

    /// Takes the array's tasks that never got a trial out of the queue (the study is over).
    pub fn release(&self) {
        if matches!(
            queue_state(&self.job),
            Ok(QueueState::Pending { .. } | QueueState::Running { .. })
        ) && let Err(why) = super::cancel(&self.job)
        {
            log_line(&format!("the job array {} stays queued: {why}", self.job));
        }
    }
}

/// `--array=0-N%P`: `tasks` tasks, at most `parallel` of them at once.
pub fn array_flag(tasks: usize, parallel: usize) -> String {
    format!("--array=0-{}%{}", tasks.saturating_sub(1), parallel.max(1))
}

/// This task's job id as Slurm names it, `ARRAY_TASK`, from the environment Slurm gives it.
fn task_job_id() -> Result<String, String> {
    let var = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| format!("{name} is not set: `worker --next-trial-of` runs as a task of a study's Slurm job array"))
    };
    Ok(format!(
        "{}_{}",
        var("SLURM_ARRAY_JOB_ID")?,
        var("SLURM_ARRAY_TASK_ID")?
    ))
}

/// One task of a study's job array: claims the study's oldest queued trial and trains it.
/// `None` when no trial came (the study is over, or its runner stopped).
pub fn run_array_task(
    project: &Project,
    study_run: RunId,
) -> Result<Option<WorkerReport>, JobError> {
    let job = task_job_id().map_err(|what| JobError::Run {
        run: study_run,
        what,
    })?;
    let mut store = project.open_store()?;
    let deadline = Instant::now() + WAIT_FOR_TRIAL;
    loop {
        if let Some(trial) = store.next_queued_child(study_run)? {
            if !store.claim_run_for_job(trial, std::process::id(), &job)? {
                continue;
            }
            // Said in the task's own output file, then in the trial's log, which the Run
            // pane tails.
            let took = format!("Slurm task {job} took trial run {trial}");
            log_line(&format!(
                "{took}; its log is {}",
                project.worker_log_path(trial).display()
            ));
            super::super::warm::log_to(project, trial)?;
            log_line(&took);
            return run_claimed(project, &mut store, trial, &mut None).map(Some);
        }
        let study = store.get_run(study_run)?;
        if study.status != RunStatus::Running {
            log_line(&format!(
                "Slurm task {job}: study run {study_run} is {}, no trial left for this task",
                study.status.as_str()
            ));
            return Ok(None);
        }
        if Instant::now() >= deadline {
            log_line(&format!(
                "Slurm task {job}: no trial of study run {study_run} came within {} s; is its \
                 runner (`shelfcast tune`) still going?",
                WAIT_FOR_TRIAL.as_secs()
            ));
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Whether the Slurm job of `run` is a study's job array that other trials share (a queued
/// trial waiting for a task): cancelling the trial must not cancel the array.
pub fn is_shared_array(store: &RunStore, run: RunId, job: &str) -> Result<bool, JobError> {
    let Some(parent) = store.get_run(run)?.parent_run_id else {
        return Ok(false);
    };
    Ok(store
        .tags(parent)?
        .iter()
        .any(|(key, value)| key == ARRAY_TAG && value == job))
}

/// The `--on slurm` options study run `study_run` was started with, if it was.
pub fn study_options(store: &RunStore, study_run: RunId) -> Result<Option<SlurmOptions>, JobError> {
    let Some((_, json)) = store
        .tags(study_run)?
        .into_iter()
        .find(|(key, _)| key == OPTIONS_TAG)
    else {
        return Ok(None);
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| JobError::Run {
            run: study_run,
            what: format!("its {OPTIONS_TAG} tag is not Slurm options Shelfcast wrote: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_of_six_tasks_two_at_once() {
        assert_eq!(array_flag(6, 2), "--array=0-5%2");
        assert_eq!(array_flag(1, 0), "--array=0-0%1");
    }
}
