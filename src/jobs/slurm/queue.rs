//! A Slurm job as the scheduler tells it: queue states from `squeue`, how a job ended from
//! `sacct` or `scontrol`, `scancel`; and what that means for runs (`reconcile`, `cancel_run`).

use std::path::Path;
use std::process::Command;

use super::super::launch::JobError;
use crate::project::Project;
use crate::store::{RunId, RunStatus, RunStore, StoreError};

/// Where a job is, by the scheduler's word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueState {
    /// Waiting, with Slurm's reason (`Resources`, `Priority`, `QOSMaxJobsPerUserLimit`…).
    Pending {
        reason: String,
    },
    Running {
        node: String,
    },
    /// Over: Slurm's final state (`COMPLETED`, `TIMEOUT`, `OUT_OF_MEMORY`, `NODE_FAIL`,
    /// `CANCELLED`, `FAILED`…) and its reason.
    Ended {
        state: String,
        reason: String,
    },
    /// Slurm no longer knows the job.
    Gone,
}

impl QueueState {
    /// The Runs tab's words for it.
    pub fn describe(&self) -> String {
        match self {
            QueueState::Pending { reason } => format!("PENDING ({reason})"),
            QueueState::Running { node } => format!("RUNNING on {node}"),
            QueueState::Ended { state, reason } if reason.is_empty() || reason == "None" => {
                state.clone()
            }
            QueueState::Ended { state, reason } => format!("{state} ({reason})"),
            QueueState::Gone => "no longer known to Slurm".into(),
        }
    }

    /// An end that is not the worker's own: the run never got to say why.
    pub fn ended_badly(&self) -> bool {
        matches!(self, QueueState::Ended { state, .. } if state != "COMPLETED")
    }
}

/// One `squeue -h -o %T|%r|%N` line.
pub fn parse_squeue(line: &str) -> Option<QueueState> {
    let mut fields = line.trim().split('|');
    let state = fields.next()?.trim();
    let reason = fields.next().unwrap_or("").trim().to_string();
    let node = fields.next().unwrap_or("").trim().to_string();
    match state {
        "" => None,
        "PENDING" | "CONFIGURING" | "REQUEUED" | "RESV_DEL_HOLD" | "REQUEUE_HOLD" => {
            Some(QueueState::Pending { reason })
        }
        "RUNNING" | "COMPLETING" | "SUSPENDED" | "STOPPED" | "RESIZING" | "SIGNALING" => {
            Some(QueueState::Running { node })
        }
        ended => Some(QueueState::Ended {
            state: ended.to_string(),
            reason,
        }),
    }
}

/// `sacct -n -P -X -o State,Reason`'s first line (`CANCELLED by 0` → `CANCELLED`).
pub fn parse_sacct(text: &str) -> Option<QueueState> {
    let line = text.lines().find(|l| !l.trim().is_empty())?;
    let (state, reason) = line.split_once('|').unwrap_or((line, ""));
    let state = state.split_whitespace().next()?.to_string();
    Some(QueueState::Ended {
        state,
        reason: reason.trim().to_string(),
    })
}

/// `scontrol show job ID`'s `JobState=` and `Reason=` (and `NodeList=`).
pub fn parse_scontrol(text: &str) -> Option<QueueState> {
    let field = |name: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(name))
            .map(str::to_string)
    };
    let state = field("JobState=")?;
    let reason = field("Reason=").unwrap_or_default();
    let line = format!(
        "{state}|{reason}|{}",
        field("NodeList=").unwrap_or_default()
    );
    parse_squeue(&line)
}

/// Where job `job` is: the queue while it is there, then its accounting (or `scontrol`).
pub fn queue_state(job: &str) -> Result<QueueState, String> {
    let squeue = slurm_command("squeue", &["-h", "-j", job, "-o", "%T|%r|%N"])?;
    if let Some(state) = squeue.lines().find_map(parse_squeue) {
        return Ok(state);
    }
    if let Ok(text) = slurm_command(
        "sacct",
        &["-n", "-P", "-X", "-j", job, "-o", "State,Reason"],
    ) && let Some(state) = parse_sacct(&text)
    {
        return Ok(state);
    }
    // No accounting database: the controller remembers ended jobs for MinJobAge.
    match slurm_command("scontrol", &["show", "job", job]) {
        Ok(text) => Ok(parse_scontrol(&text).unwrap_or(QueueState::Gone)),
        Err(_) => Ok(QueueState::Gone),
    }
}

/// Cancels job `job` (`scancel`).
pub fn cancel(job: &str) -> Result<(), String> {
    slurm_command("scancel", &[job]).map(|_| ())
}

/// What the scheduler said of the runs on Slurm that were not over: those it ended here, and
/// where the others' jobs are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueSurvey {
    pub ended: Vec<RunId>,
    /// Runs whose jobs are still queued or running, and where (PENDING with its reason, the
    /// node).
    pub in_flight: Vec<(RunId, QueueState)>,
}

/// Turns every run on Slurm whose job ended without its worker finishing the run (over its
/// `--time`, out of memory, its node lost, cancelled from outside, never started) into a
/// `failed` run with Slurm's reason — `killed` when a cancel had been asked for. The runs it
/// ended. Runs whose jobs are still queued or running are left as they are.
pub fn reconcile(project: &Project, store: &mut RunStore) -> Result<Vec<RunId>, StoreError> {
    Ok(survey(project, store)?.ended)
}

/// `reconcile`, keeping the queue state of the runs still in flight (the Runs tab shows it).
pub fn survey(project: &Project, store: &mut RunStore) -> Result<QueueSurvey, StoreError> {
    let mut survey = QueueSurvey::default();
    for (run, job, cancelled) in store.slurm_runs_in_flight()? {
        let Ok(state) = queue_state(&job) else {
            continue;
        };
        let why = match &state {
            QueueState::Pending { .. } | QueueState::Running { .. } => {
                survey.in_flight.push((run, state));
                continue;
            }
            QueueState::Ended { .. } if store.get_run(run)?.status == RunStatus::Queued => {
                // A study's trial waiting for a task of the study's array, which is over.
                format!("the Slurm job {job} ended before any of its tasks took the run")
            }
            QueueState::Ended { state, .. } if state == "COMPLETED" => {
                // The job ended well but the run is not over: its worker never recorded the
                // end (a crash after the last step); say so rather than wait forever.
                format!("the Slurm job {job} completed without the worker finishing the run")
            }
            QueueState::Ended { state, reason } => {
                let exit = if state == "FAILED" {
                    last_words(&project.worker_log_path(run), &project.root)
                } else {
                    String::new()
                };
                let reason = if reason.is_empty() || reason == "None" {
                    String::new()
                } else {
                    format!(" ({reason})")
                };
                format!(
                    "the Slurm job {job} ended {state}{reason}{exit}{}",
                    memory_hint(state, &exit)
                )
            }
            QueueState::Gone => format!("the Slurm job {job} is no longer known to Slurm"),
        };
        let status = if cancelled {
            RunStatus::Killed
        } else {
            RunStatus::Failed
        };
        if store.end_unfinished_run(run, status, &why)? {
            survey.ended.push(run);
        }
    }
    Ok(survey)
}

/// What a job killed over its memory means, in words: Slurm says OUT_OF_MEMORY where it
/// watches memory through cgroups, and FAILED with slurmstepd's "Exceeded job memory limit"
/// where it polls it (`JobAcctGatherParams=OverMemoryKill`).
fn memory_hint(state: &str, last_words: &str) -> &'static str {
    if state == "OUT_OF_MEMORY" || last_words.contains("Exceeded job memory limit") {
        ": out of memory, the run needs more than its --mem gives"
    } else {
        ""
    }
}

/// The worker log's last line, when the job failed before the worker could record why (the
/// executable missing on the node…): `: LINE`. An empty log means the node could not even write
/// it: the project folder is not on its filesystem.
fn last_words(log: &Path, root: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(": {}", crate::data::printable::printable(line.trim())),
        None => format!(
            "; its worker wrote nothing to {}: does the node see the project folder {}? It \
             must be on a filesystem the nodes share",
            log.display(),
            root.display()
        ),
    }
}

/// Asks run `run` to stop (see `RunStore::request_cancel`); a run on Slurm whose job still
/// waits in the queue is also taken out of it (`scancel`), so it never starts.
pub fn cancel_run(store: &mut RunStore, run: RunId) -> Result<(), JobError> {
    store.request_cancel(run)?;
    let record = store.get_run(run)?;
    if let Some(job) = &record.slurm_job_id
        && matches!(record.status, RunStatus::Killed | RunStatus::Queued)
        && !super::is_shared_array(store, run, job)?
    {
        cancel(job).map_err(|what| JobError::Run { run, what })?;
    }
    Ok(())
}

fn slurm_command(program: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program} could not run: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{program}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::super::parse_job_id;
    use super::*;

    #[test]
    fn the_scheduler_s_words_are_read_back() {
        assert_eq!(parse_job_id("123\n"), Some("123".into()));
        assert_eq!(parse_job_id("77;cluster\n"), Some("77".into()));
        assert_eq!(parse_job_id("Submitted batch job 5"), None);
        assert_eq!(
            parse_squeue("PENDING|Resources|"),
            Some(QueueState::Pending {
                reason: "Resources".into()
            })
        );
        assert_eq!(
            parse_squeue("RUNNING|None|node07"),
            Some(QueueState::Running {
                node: "node07".into()
            })
        );
        assert_eq!(
            parse_sacct("CANCELLED by 0|None\n"),
            Some(QueueState::Ended {
                state: "CANCELLED".into(),
                reason: "None".into()
            })
        );
        let shown = "JobId=2 JobName=wrap\n   JobState=TIMEOUT Reason=TimeLimit Dependency=(null)\n   NodeList=vm";
        let state = parse_scontrol(shown).expect("a state");
        assert!(state.ended_badly());
        assert_eq!(state.describe(), "TIMEOUT (TimeLimit)");
        assert!(
            !parse_scontrol("JobState=COMPLETED Reason=None")
                .expect("state")
                .ended_badly()
        );
    }

    #[test]
    fn a_job_killed_over_its_memory_says_so_either_way_slurm_tells_it() {
        let oom = parse_scontrol("JobState=OUT_OF_MEMORY Reason=OutOfMemory NodeList=n1")
            .expect("a state");
        assert_eq!(oom.describe(), "OUT_OF_MEMORY (OutOfMemory)");
        assert!(oom.ended_badly());
        assert!(memory_hint("OUT_OF_MEMORY", "").contains("out of memory"));
        assert!(
            memory_hint(
                "FAILED",
                ": slurmstepd-n1: error: Exceeded job memory limit"
            )
            .contains("--mem")
        );
        assert_eq!(memory_hint("FAILED", ": error: no such file"), "");
        let lost = parse_sacct("NODE_FAIL|None\n").expect("a state");
        assert!(lost.ended_badly());
        assert_eq!(lost.describe(), "NODE_FAIL");
    }

    #[test]
    fn a_failed_job_says_what_its_log_said_or_where_the_log_should_have_been() {
        let dir = tempfile::tempdir().expect("temp");
        let log = dir.path().join("worker.log");
        let said = last_words(&log, Path::new("/shared/shop"));
        assert!(
            said.contains("does the node see the project folder /shared/shop?"),
            "{said}"
        );
        std::fs::write(&log, "04:00 started\nerror: no such file data/x.csv\n\n").expect("log");
        assert_eq!(
            last_words(&log, Path::new("/shared/shop")),
            ": error: no such file data/x.csv"
        );
    }
}
