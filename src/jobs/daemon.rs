//! The daemon: one small process per project that runs the schedules. `daemon start` launches
//! `shelfcast daemon run` detached like a worker (its own session, so a dropped SSH link or a
//! closed terminal leaves it running), logging to `models/daemon.log` (rotated past 5 MB).
//!
//! One daemon per project: `models/daemon.lock` holds the running daemon's pid and start time.
//! A second start is refused with that pid; a lock whose pid is no live Shelfcast process (a
//! daemon killed with `kill -9`) is taken over. Each tick the daemon fails the job runs a dead
//! daemon left running (and retries them by their policy), accounts for every slot the clock
//! reached, fires file triggers whose file appeared or changed and has kept its size for a few
//! seconds (`file_trigger`: woken by file events, polled as the fallback), and runs the first due
//! job, in a child process that its schedule's timeout bounds (`job_process`). SIGTERM
//! (`daemon stop`) ends it: between jobs at once, during one after ending the job (it fails with
//! the reason, and its schedule's retries apply).

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::file_trigger::FileWatch;
use super::launch::JobError;
use crate::project::Project;
use crate::schedule::clock::Clock;
use crate::schedule::tick::{account_due_slots, recover_orphans, run_next_job};
use crate::schedule::trigger::Trigger;
use crate::store::{RunStore, is_shelfcast_alive};

/// The daemon's log is rotated to `daemon.log.1` past this size.
const LOG_ROTATE_BYTES: u64 = 5 * 1024 * 1024;

/// What `models/daemon.lock` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonLock {
    pub pid: u32,
    pub started_ms: i64,
}

pub fn lock_path(project: &Project) -> PathBuf {
    project.models_dir().join("daemon.lock")
}

pub fn log_path(project: &Project) -> PathBuf {
    project.models_dir().join("daemon.log")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JobError + '_ {
    move |source| JobError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The running daemon, if one holds the lock (a lock of a dead process is not one).
pub fn running(project: &Project) -> Option<DaemonLock> {
    let text = fs::read_to_string(lock_path(project)).ok()?;
    let lock: DaemonLock = serde_json::from_str(&text).ok()?;
    is_shelfcast_alive(i64::from(lock.pid)).then_some(lock)
}

/// Takes the project's lock for this process: refused while another daemon runs; a stale lock is
/// taken over (said in the returned note).
pub fn acquire(project: &Project, now_ms: i64) -> Result<(DaemonLock, Option<String>), JobError> {
    let path = lock_path(project);
    fs::create_dir_all(project.models_dir()).map_err(io(&project.models_dir()))?;
    let lock = DaemonLock {
        pid: std::process::id(),
        started_ms: now_ms,
    };
    let text = serde_json::to_string(&lock).map_err(crate::store::StoreError::from)?;
    let mut note = None;
    loop {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(text.as_bytes()).map_err(io(&path))?;
                return Ok((lock, note));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Some(holder) = running(project)
                    && holder.pid != lock.pid
                {
                    return Err(JobError::Run {
                        run: 0,
                        what: format!(
                            "a daemon already runs for this project (pid {}, since {}); \
                             `shelfcast daemon stop` ends it",
                            holder.pid,
                            crate::schedule::trigger::local_text(holder.started_ms, "UTC")
                        ),
                    });
                }
                let stale = fs::read_to_string(&path).unwrap_or_default();
                note = Some(format!(
                    "took over a stale daemon lock ({}): its process is gone",
                    stale.trim()
                ));
                fs::remove_file(&path).map_err(io(&path))?;
            }
            Err(e) => return Err(io(&path)(e)),
        }
    }
}

/// Removes the lock if this process holds it.
pub fn release(project: &Project) {
    let path = lock_path(project);
    if let Ok(text) = fs::read_to_string(&path)
        && let Ok(lock) = serde_json::from_str::<DaemonLock>(&text)
        && lock.pid == std::process::id()
    {
        let _ = fs::remove_file(path);
    }
}

/// Starts `shelfcast daemon run` detached; its pid. Refused while a daemon runs.
pub fn start_detached(project: &Project) -> Result<u32, JobError> {
    if let Some(holder) = running(project) {
        return Err(JobError::Run {
            run: 0,
            what: format!(
                "a daemon already runs for this project (pid {})",
                holder.pid
            ),
        });
    }
    fs::create_dir_all(project.models_dir()).map_err(io(&project.models_dir()))?;
    let log = log_path(project);
    rotate(&log);
    super::launch::spawn_detached(project, &["daemon", "run"], &log)
}

/// Asks the running daemon to stop (SIGTERM) and waits up to `wait` for it to go; its pid.
pub fn stop(project: &Project, wait: Duration) -> Result<Option<u32>, JobError> {
    let Some(holder) = running(project) else {
        return Ok(None);
    };
    // SAFETY: kill(2) with a pid read from our own lock file and a plain signal number.
    unsafe {
        libc::kill(holder.pid as libc::pid_t, libc::SIGTERM);
    }
    let started = Instant::now();
    while started.elapsed() < wait {
        if running(project).is_none() {
            return Ok(Some(holder.pid));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(JobError::Run {
        run: 0,
        what: format!(
            "the daemon (pid {}) did not stop within {} s; it may be in a long job",
            holder.pid,
            wait.as_secs()
        ),
    })
}

fn rotate(log: &Path) {
    if fs::metadata(log).is_ok_and(|m| m.len() > LOG_ROTATE_BYTES) {
        let _ = fs::rename(log, log.with_extension("log.1"));
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_term(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

pub(super) fn log_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{} {text}",
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
    );
}

/// The daemon's loop, until SIGTERM (or `stop` is set): a tick every `every`.
pub fn run_daemon(project: &Project, clock: &dyn Clock, every: Duration) -> Result<(), JobError> {
    let (lock, note) = acquire(project, clock.now_ms())?;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_term as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_term as *const () as libc::sighandler_t);
    }
    log_line(&format!(
        "daemon {} started for {}",
        lock.pid,
        project.root.display()
    ));
    if let Some(note) = note {
        log_line(&note);
    }
    let result = daemon_loop(project, clock, every);
    release(project);
    match &result {
        Ok(()) => log_line("daemon stopped"),
        Err(e) => log_line(&format!("daemon failed: {e}")),
    }
    result
}

fn daemon_loop(project: &Project, clock: &dyn Clock, every: Duration) -> Result<(), JobError> {
    let mut store = project.open_store()?;
    let (wake, woken) = std::sync::mpsc::channel();
    let mut files = FileWatch::new(wake);
    let pid = std::process::id();
    while !STOP.load(Ordering::SeqCst) {
        // A failed pass (a locked or full disk) is logged and tried again at the next tick.
        if let Err(e) = tick(project, &mut store, &mut files, clock, pid) {
            log_line(&format!("tick failed: {e}"));
        }
        rotate(&log_path(project));
        // Sleep until the next slot of a clock schedule (so it fires within milliseconds of its
        // time), or a tick at most: file triggers and queued runs are looked at every tick.
        let mut wait = next_slot_in(&store, clock.now_ms()).map_or(every, |ms| {
            Duration::from_millis(ms.max(1) as u64).min(every)
        });
        if let Some(settles) = files.settles_in() {
            wait = wait.min(settles + Duration::from_millis(20));
        }
        // A file event ends the wait at once; a burst of them (one file copied in) is one wake.
        if woken.recv_timeout(wait).is_ok() {
            std::thread::sleep(Duration::from_millis(50));
            while woken.try_recv().is_ok() {}
        }
    }
    Ok(())
}

/// Milliseconds until the earliest next slot of the unpaused clock schedules.
fn next_slot_in(store: &RunStore, now: i64) -> Option<i64> {
    let mut earliest: Option<i64> = None;
    for s in store.schedules().ok()? {
        if s.paused {
            continue;
        }
        let Ok(trigger) = serde_json::from_str::<Trigger>(&s.trigger_json) else {
            continue;
        };
        let after = s.last_slot_ms.unwrap_or(s.created_ms);
        if let Ok(Some(next)) = trigger.next_after(after, s.created_ms) {
            earliest = Some(earliest.map_or(next, |e| e.min(next)));
        }
    }
    earliest.map(|e| (e - now).max(0))
}

/// One pass: orphans, clock slots, file triggers, then the first due job.
pub fn tick(
    project: &Project,
    store: &mut RunStore,
    files: &mut FileWatch,
    clock: &dyn Clock,
    pid: u32,
) -> Result<(), crate::schedule::ScheduleError> {
    let now = clock.now_ms();
    for id in recover_orphans(store, now, &|p| {
        p != i64::from(pid) && is_shelfcast_alive(p)
    })? {
        log_line(&format!(
            "job run {id} was left running by a dead process: failed"
        ));
    }
    let accounted = account_due_slots(store, now)?;
    if accounted.queued + accounted.skipped > 0 {
        log_line(&format!(
            "{} job run(s) queued, {} slot(s) skipped",
            accounted.queued, accounted.skipped
        ));
    }
    files.fire(project, store, now)?;
    let schedules = store.schedules()?;
    let mut execute = |run: &crate::store::JobRunRow, job: &crate::schedule::job::JobSpec| {
        log_line(&format!(
            "job run {} ({}, attempt {}): {}",
            run.id,
            run.schedule_name.as_deref().unwrap_or("-"),
            run.attempt,
            job.describe()
        ));
        let timeout = run
            .schedule_id
            .and_then(|id| schedules.iter().find(|s| s.id == id))
            .and_then(|s| s.timeout_s)
            .map(Duration::from_secs);
        super::job_process::run_in_child(project, run.id, timeout, &STOP)
    };
    // Every due job, one after another; slots reached meanwhile are accounted between them.
    while let Some((id, state)) = run_next_job(store, clock.now_ms(), pid, &mut execute, clock)? {
        let run = store.job_run(id)?;
        log_line(&format!(
            "job run {id} {}{}",
            state.as_str(),
            run.reason
                .as_deref()
                .map_or(String::new(), |r| format!(": {r}"))
        ));
        notify(store, &run)?;
        account_due_slots(store, clock.now_ms())?;
        if STOP.load(Ordering::SeqCst) {
            break;
        }
    }
    Ok(())
}

/// Runs the schedule's notification commands the ended job run calls for, logging each status.
fn notify(
    store: &RunStore,
    run: &crate::store::JobRunRow,
) -> Result<(), crate::schedule::ScheduleError> {
    let Some(schedule_id) = run.schedule_id else {
        return Ok(());
    };
    let Some(schedule) = store.schedules()?.into_iter().find(|s| s.id == schedule_id) else {
        return Ok(());
    };
    let Some(json) = &schedule.hooks_json else {
        return Ok(());
    };
    let hooks: crate::schedule::hooks::Hooks = serde_json::from_str(json)?;
    let produced: Option<crate::schedule::job::Produced> = run
        .produced_json
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    for (event, command) in hooks.due(run, produced.as_ref()) {
        let status = crate::schedule::hooks::run_hook(event, command, run, produced.as_ref());
        log_line(&format!(
            "on-{event} for job run {}: `{command}` {status}",
            run.id
        ));
    }
    Ok(())
}

/// The systemd user unit that keeps the daemon running (restarted on failure).
pub fn systemd_unit(project: &Project, exe: &Path) -> String {
    let root = fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    format!(
        "[Unit]\nDescription=Shelfcast daemon for {root}\n\n[Service]\nType=simple\n\
         ExecStart={exe} --root {root} daemon run\nRestart=on-failure\nRestartSec=5\n\n\
         [Install]\nWantedBy=default.target\n",
        root = root.display(),
        exe = exe.display()
    )
}
