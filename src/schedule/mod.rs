//! The weekly loop that runs itself: schedules (a cron pattern in a time zone, an interval, a
//! file appearing), the catch-up rule for slots missed while nothing watched, the jobs a firing
//! runs, and the tick that turns the clock into recorded job runs. Core module: no screen code;
//! the daemon process (`jobs::daemon`), the CLI and the TUI drive it.
//!
//! - `trigger`: when a schedule fires (croner for cron, with its DST rule);
//! - `catchup`: skip / once / backfill:N, every missed slot recorded;
//! - `clock`: the injectable clock (a simulated one for tests);
//! - `job`: what a firing does (retrain like a run, a drift check) and how it is run;
//! - `tick`: one pass of the scheduler over the store.

pub mod catchup;
pub mod challenge;
pub mod clock;
pub mod dm_test;
pub mod hooks;
pub mod job;
pub mod job_spec;
pub mod tick;
pub mod trigger;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// What the user typed does not hold (the text names the flag and what was expected).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a stored schedule does not read: {0}")]
    Stored(#[from] serde_json::Error),
}

/// What pausing did to the schedule's queued job runs, as the tail of the "paused" message.
pub fn skipped_queued_text(skipped: usize) -> String {
    match skipped {
        0 => String::new(),
        1 => "; its queued job run was skipped".into(),
        n => format!("; its {n} queued job runs were skipped"),
    }
}
