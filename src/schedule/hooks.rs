//! Notifications: a command of the user's run when a job run fails, when a drift job finds
//! drift, when a challenge promotes, or when a monitor raises an alert. It runs through `sh -c` with environment variables
//! naming the job (`SHELFCAST_SCHEDULE`, `SHELFCAST_JOB_RUN`, `SHELFCAST_JOB`, `SHELFCAST_STATE`,
//! `SHELFCAST_REASON`, `SHELFCAST_REPORT`, `SHELFCAST_DECISION`, `SHELFCAST_ALERTS`), is killed after `HOOK_TIMEOUT`,
//! and its exit status is returned for the daemon's log.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::job::Produced;
use crate::store::{JobRunRow, JobState};

/// The longest a notification command may run.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hooks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_drift: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_promote: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_alert: Option<String>,
}

impl Hooks {
    pub fn is_empty(&self) -> bool {
        self.on_failure.is_none()
            && self.on_drift.is_none()
            && self.on_promote.is_none()
            && self.on_alert.is_none()
    }

    /// The hooks an ended job run calls, with the event's name.
    pub fn due(&self, run: &JobRunRow, produced: Option<&Produced>) -> Vec<(&'static str, &str)> {
        let mut due = Vec::new();
        if run.state == JobState::Failed
            && let Some(cmd) = &self.on_failure
        {
            due.push(("failure", cmd.as_str()));
        }
        if produced.and_then(|p| p.drifted) == Some(true)
            && let Some(cmd) = &self.on_drift
        {
            due.push(("drift", cmd.as_str()));
        }
        let promoted = produced
            .and_then(|p| p.decision.as_deref())
            .is_some_and(|d| d.starts_with("promoted") || d.starts_with("no champion yet: the"));
        if promoted && let Some(cmd) = &self.on_promote {
            due.push(("promote", cmd.as_str()));
        }
        let alerted = produced
            .and_then(|p| p.alerts.as_ref())
            .is_some_and(|a| !a.is_empty());
        if alerted && let Some(cmd) = &self.on_alert {
            due.push(("alert", cmd.as_str()));
        }
        due
    }
}

/// Runs `command` for `event` of `run`; its exit status in words.
pub fn run_hook(
    event: &str,
    command: &str,
    run: &JobRunRow,
    produced: Option<&Produced>,
) -> String {
    let mut child = match Command::new("sh")
        .args(["-c", command])
        .env("SHELFCAST_EVENT", event)
        .env(
            "SHELFCAST_SCHEDULE",
            run.schedule_name.as_deref().unwrap_or(""),
        )
        .env("SHELFCAST_JOB_RUN", run.id.to_string())
        .env("SHELFCAST_JOB", &run.kind)
        .env("SHELFCAST_STATE", run.state.as_str())
        .env("SHELFCAST_REASON", run.reason.as_deref().unwrap_or(""))
        .env(
            "SHELFCAST_REPORT",
            produced
                .and_then(|p| p.reports.first())
                .map_or("", String::as_str),
        )
        .env(
            "SHELFCAST_ALERTS",
            produced
                .and_then(|p| p.alerts.as_ref())
                .map_or(String::new(), |a| a.join("\n")),
        )
        .env(
            "SHELFCAST_DECISION",
            produced.and_then(|p| p.decision.as_deref()).unwrap_or(""),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => return format!("could not start: {e}"),
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return format!("exited with {status}"),
            Ok(None) if started.elapsed() > HOOK_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return format!("killed after {} s", HOOK_TIMEOUT.as_secs());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return format!("could not be waited for: {e}"),
        }
    }
}
