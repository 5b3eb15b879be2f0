//! Each job run of the daemon runs in a child process (`shelfcast daemon job --run ID`), so its
//! schedule's timeout is a real one whatever the job does: past it the child's whole process
//! group (a command's shell and what it started) gets SIGTERM, then SIGKILL, and the training
//! runs the job launched are asked to stop. A job that crashes or leaks memory ends its child,
//! not the daemon. The child dies with the daemon (`PR_SET_PDEATHSIG`), so a daemon killed with
//! `kill -9` leaves its job run `running` under a dead pid, to be failed and retried on restart.
//!
//! The child prints one line of JSON on stdout, its outcome; everything else it says (and a
//! command job's output) goes to stderr, the daemon's log.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::project::Project;
use crate::schedule::job::{JobSpec, Produced, run_job};
use crate::store::{RunFilter, RunStatus, RunStore};

/// After SIGTERM a timed-out or interrupted job has this long to end before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// How often the wait for a job looks whether the daemon was asked to stop.
const STOP_SLICE: Duration = Duration::from_millis(200);

/// Why a job was ended before it finished.
#[derive(Clone, Copy)]
enum Interrupted {
    TimedOut,
    DaemonStopped,
}

/// What the child prints.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Ok(Produced),
    Error(String),
}

/// The child's side: runs job run `id` (already marked running by the daemon) and returns the
/// outcome to print.
pub fn run_job_here(project: &Project, id: i64) -> JobOutcome {
    let outcome = (|| {
        let store = project.open_store().map_err(|e| e.to_string())?;
        let run = store.job_run(id).map_err(|e| e.to_string())?;
        let job: JobSpec = serde_json::from_str(&run.job_json)
            .map_err(|e| format!("job run {id}'s job does not read: {e}"))?;
        drop(store);
        let input = run.input_path.as_deref().map(std::path::Path::new);
        run_job(project, &job, input, Duration::from_millis(250))
    })();
    match outcome {
        Ok(produced) => JobOutcome::Ok(produced),
        Err(why) => JobOutcome::Error(why),
    }
}

/// The daemon's side: runs job run `id` in a child and waits for it, at most `timeout` and
/// until `stop` is set (SIGTERM to the daemon).
pub fn run_in_child(
    project: &Project,
    id: i64,
    timeout: Option<Duration>,
    stop: &AtomicBool,
) -> Result<Produced, String> {
    let exe = std::env::current_exe().map_err(|e| format!("the shelfcast executable: {e}"))?;
    let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    let mut command = Command::new(&exe);
    command
        .arg("--root")
        .arg(&root)
        .args(["daemon", "job", "--run", &id.to_string()])
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(url) = project.store_override() {
        command.env(crate::project::STORE_ENV, url);
    }
    // SAFETY: setpgid and prctl are async-signal-safe and touch no memory of the parent; they
    // are the only calls made between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setpgid(0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("the job process could not start: {e}"))?;
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_string(&mut text);
        }
        text
    });
    let group = child.id() as i32;
    // A waiting thread owns the child, so its end is heard at once (no polling delay).
    let (ended, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = ended.send(child.wait());
    });
    let signal = |sig: libc::c_int| {
        // SAFETY: signals the process group this process created; no memory is involved.
        unsafe { libc::kill(-group, sig) };
    };
    let stopped_by = |why: Interrupted| {
        signal(libc::SIGTERM);
        let status = match wait.recv_timeout(TERM_GRACE) {
            Ok(status) => Some(status),
            Err(_) => {
                signal(libc::SIGKILL);
                wait.recv().ok()
            }
        };
        (status, Some(why))
    };
    // Woken every slice to hear a stop asked of the daemon: `daemon stop` ends the job in
    // flight (within the grace) rather than waiting out a long training.
    let (waited, interrupted) = loop {
        let left = timeout.map(|limit| limit.saturating_sub(started.elapsed()));
        match wait.recv_timeout(left.map_or(STOP_SLICE, |l| l.min(STOP_SLICE))) {
            Ok(status) => break (Some(status), None),
            Err(RecvTimeoutError::Disconnected) => break (None, None),
            Err(RecvTimeoutError::Timeout) if stop.load(Ordering::SeqCst) => {
                break stopped_by(Interrupted::DaemonStopped);
            }
            Err(RecvTimeoutError::Timeout) if left.is_some_and(|l| l.is_zero()) => {
                break stopped_by(Interrupted::TimedOut);
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    };
    let status = match waited {
        Some(Ok(status)) => status,
        Some(Err(e)) => return Err(format!("waiting for the job process: {e}")),
        None => return Err("the job process's waiter ended without its status".into()),
    };
    let text = reader.join().unwrap_or_default();
    if let Some(why) = interrupted {
        let stopped = stop_daemon_runs(project);
        let runs = if stopped.is_empty() {
            String::new()
        } else {
            format!(
                " and run(s) {} asked to stop",
                stopped
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(match why {
            Interrupted::TimedOut => format!(
                "timed out after {}: the job was stopped{runs}",
                crate::schedule::trigger::duration_text(timeout.map_or(0, |l| l.as_secs()))
            ),
            Interrupted::DaemonStopped => format!(
                "the daemon was stopped {} into the job: the job was ended{runs}",
                crate::schedule::trigger::duration_text(started.elapsed().as_secs())
            ),
        });
    }
    match text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
    {
        Some(JobOutcome::Ok(produced)) => Ok(produced),
        Some(JobOutcome::Error(why)) => Err(why),
        None => Err(format!(
            "the job process ended ({status}) without an outcome: it crashed or was killed; \
             see the daemon log"
        )),
    }
}

/// Asks every unfinished run the daemon launched to stop (the daemon runs one job at a time, so
/// they are the timed-out job's); their ids.
fn stop_daemon_runs(project: &Project) -> Vec<i64> {
    let Ok(mut store) = project.open_store() else {
        return Vec::new();
    };
    let mut stopped = Vec::new();
    for status in [RunStatus::Queued, RunStatus::Running] {
        let filter = RunFilter {
            status: Some(status),
            ..RunFilter::default()
        };
        for run in store.list_runs(&filter).unwrap_or_default() {
            if launched_by_daemon(&store, run.id)
                && crate::jobs::slurm::cancel_run(&mut store, run.id).is_ok()
            {
                stopped.push(run.id);
            }
        }
    }
    stopped
}

fn launched_by_daemon(store: &RunStore, id: i64) -> bool {
    store.tags(id).is_ok_and(|tags| {
        tags.iter()
            .any(|(k, v)| k == "launched_from" && v == "daemon")
    })
}
