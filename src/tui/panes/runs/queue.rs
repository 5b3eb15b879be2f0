//! The Runs tab's word from Slurm: where each run on the scheduler waits or runs (PENDING with
//! Slurm's reason, the node), asked off the UI task every few seconds while such runs are not
//! over. The same ask ends the runs whose jobs ended badly (over their time, out of memory),
//! which the store's change notice then shows.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::jobs::slurm::{QueueState, QueueSurvey};
use crate::store::{Run, RunId, RunRow, RunStatus};
use crate::tui::action::{Action, Job};

/// How often Slurm is asked while runs on it are in flight: one `squeue` a run.
const ASK_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct SlurmQueue {
    states: HashMap<RunId, QueueState>,
    asked_at: Option<Instant>,
    /// An ask is out and not answered yet.
    waiting: bool,
    pub error: Option<String>,
}

impl SlurmQueue {
    /// The ask to send now, when runs on Slurm are in flight and the last answer is old.
    pub fn ask(&mut self, rows: &[RunRow]) -> Option<Action> {
        let on_slurm = rows
            .iter()
            .any(|r| r.run.slurm_job_id.is_some() && !r.run.status.is_terminal());
        if !on_slurm {
            self.states.clear();
            return None;
        }
        if self.waiting || self.asked_at.is_some_and(|at| at.elapsed() < ASK_EVERY) {
            return None;
        }
        self.waiting = true;
        self.asked_at = Some(Instant::now());
        Some(Action::Run(Job::SlurmQueue))
    }

    /// Takes Slurm's answer; whether runs ended (the table must be re-read).
    pub fn answer(&mut self, answer: &Result<QueueSurvey, String>) -> bool {
        self.waiting = false;
        match answer {
            Ok(survey) => {
                self.error = None;
                self.states = survey.in_flight.iter().cloned().collect();
                !survey.ended.is_empty()
            }
            Err(why) => {
                self.error = Some(why.clone());
                false
            }
        }
    }

    /// What the status column adds for `run`: `PENDING (Resources)`, `on node07`, or that a
    /// study's trial waits for a task of the study's array.
    pub fn describe(&self, run: &Run) -> Option<String> {
        if run.status.is_terminal() {
            return None;
        }
        match self.states.get(&run.id)? {
            QueueState::Pending { reason } => Some(format!("PENDING ({reason})")),
            QueueState::Running { .. } if run.status == RunStatus::Queued => {
                Some("waiting for an array task".into())
            }
            QueueState::Running { node } => Some(format!("on {node}")),
            QueueState::Ended { .. } | QueueState::Gone => None,
        }
    }
}
