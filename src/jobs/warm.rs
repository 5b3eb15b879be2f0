//! A study's trial worker stays for the next trials. Trials differ in their model's parameters
//! alone, yet a worker per trial read the CSV, joined its lookups and encoded the features
//! again each time — a fifth of a 2-second Rossmann trial. After its trial the worker waits a
//! moment for the study's next queued trial, claims it (the same atomic claim any worker makes,
//! so the worker the study also starts for it finds it taken and leaves), and trains it on the
//! data already in memory once the dataset's fingerprint is checked again.
//!
//! Nothing is shared between trials but the prepared data: each trial is its own run with its
//! own log, heartbeat and status, and a `kill -9` of the worker loses only the trial it holds
//! (the study marks it failed, `--resume` goes on).

use std::fs::OpenOptions;
use std::time::{Duration, Instant};

use super::launch::JobError;
use super::worker::run_claimed;
use crate::ml::train::Prepared;
use crate::project::Project;
use crate::store::{RunId, RunStatus, RunStore};

/// The data a worker holds from its last run, and the fingerprints of the files they were read
/// from as that run recorded them.
pub(super) struct WarmData {
    pub prepared: Prepared,
    pub fingerprints: Vec<(String, String)>,
}

/// The sha256 tags a run was queued with: its dataset's and each lookup table's.
pub(super) fn data_fingerprints(
    store: &RunStore,
    run: RunId,
) -> Result<Vec<(String, String)>, JobError> {
    let mut tags: Vec<(String, String)> = store
        .tags(run)?
        .into_iter()
        .filter(|(key, _)| key.ends_with(".sha256"))
        .collect();
    tags.sort();
    Ok(tags)
}

/// How long a worker waits for the study's next trial: the study queues it within
/// milliseconds of the last one's end, unless the study is done or stopped.
const WAIT_FOR_NEXT: Duration = Duration::from_millis(1500);
const POLL: Duration = Duration::from_millis(3);

/// After run `first`, trains the queued sibling trials of its study for as long as they come,
/// reusing `cache` (the data of the last trial) when their specs allow.
pub(super) fn train_next_trials(
    project: &Project,
    store: &mut RunStore,
    first: RunId,
    cache: &mut Option<WarmData>,
) -> Result<(), JobError> {
    let Some(study_run) = store.get_run(first)?.parent_run_id else {
        return Ok(());
    };
    while cache.is_some() {
        let Some(next) = wait_for_trial(store, study_run)? else {
            return Ok(());
        };
        if !store.claim_run(next, std::process::id())? {
            continue;
        }
        log_to(project, next)?;
        run_claimed(project, store, next, cache)?;
    }
    Ok(())
}

/// The study's next queued trial, once there is one; `None` when none comes in time or the
/// study's run is no longer running.
fn wait_for_trial(store: &RunStore, study_run: RunId) -> Result<Option<RunId>, JobError> {
    let deadline = Instant::now() + WAIT_FOR_NEXT;
    loop {
        if let Some(next) = store.next_queued_child(study_run)? {
            return Ok(Some(next));
        }
        if Instant::now() >= deadline || store.get_run(study_run)?.status != RunStatus::Running {
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Points the worker's stdout and stderr at run `run`'s log, as the launcher does for a fresh
/// worker, so the Run pane tails the trial it shows.
pub(super) fn log_to(project: &Project, run: RunId) -> Result<(), JobError> {
    use std::os::fd::AsRawFd;
    let dir = project.run_dir(run);
    let path = project.worker_log_path(run);
    let io = |source| JobError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    for target in [libc::STDOUT_FILENO, libc::STDERR_FILENO] {
        // SAFETY: dup2 on two descriptors this process owns; `log` stays open until the call
        // returns and the duplicate outlives it.
        if unsafe { libc::dup2(log.as_raw_fd(), target) } == -1 {
            return Err(io(std::io::Error::last_os_error()));
        }
    }
    Ok(())
}
