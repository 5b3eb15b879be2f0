//! The worker process: `shelfcast worker --run ID` trains one queued run and writes everything
//! about it to the store, in short transactions other processes read while it goes.
//!
//! - It claims the run (queued -> running, with its pid), so two workers never train one run.
//! - Step metrics are batched: one transaction per `FLUSH_EVERY` (at most four a second), never
//!   one per point. Each flush also reads the cancel flag, so a cancel stops training within a
//!   quarter of a second at the next step boundary.
//! - The bytes it trains on must be the bytes validated at launch (the dataset fingerprint).
//! - Every way out sets a final status: finished, killed (cancelled, with the partial model
//!   saved) or failed with the reason. A panic is caught and reported as a failure; a `kill -9`
//!   is noticed by the next process that opens the store (its pid is gone).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use super::launch::JobError;
pub(super) use super::outcome::{horizon_line, save_outcome};
use super::sysmetrics::SystemSampler;
use super::warm::WarmData;
use crate::data::changed_since;
use crate::ml::models::StepEvent;
use crate::ml::train::{TrainSpec, Trained, prepare, train};
use crate::project::Project;
use crate::store::{HEARTBEAT_EVERY, MetricPoint, RunId, RunStatus, RunStore};

/// The longest a step waits in memory before its batch is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Metric keys of the per-step series.
pub const TRAIN_LOSS: &str = "train_loss";
pub const VALID_LOSS: &str = "valid_loss";

/// Step points held until the next flush.
struct MetricBatcher<'a> {
    store: &'a mut RunStore,
    run: RunId,
    pending: Vec<MetricPoint>,
    last_flush: Instant,
    cancelled: bool,
    transactions: usize,
    error: Option<JobError>,
}

impl<'a> MetricBatcher<'a> {
    fn new(store: &'a mut RunStore, run: RunId) -> Self {
        Self {
            store,
            run,
            pending: Vec::new(),
            last_flush: Instant::now(),
            cancelled: false,
            transactions: 0,
            error: None,
        }
    }

    /// Queues a step's points; returns `false` when training should stop (a cancel, or the
    /// store failing).
    fn push(&mut self, event: &StepEvent) -> bool {
        let step = event.step as i64;
        if let Some(v) = event.train_loss.filter(|v| v.is_finite()) {
            self.pending.push(MetricPoint::now(TRAIN_LOSS, step, v));
        }
        if let Some(v) = event.valid_loss.filter(|v| v.is_finite()) {
            self.pending.push(MetricPoint::now(VALID_LOSS, step, v));
        }
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush();
        }
        !self.cancelled && self.error.is_none()
    }

    fn flush(&mut self) {
        self.last_flush = Instant::now();
        if !self.pending.is_empty() {
            match self.store.log_metrics(self.run, &self.pending) {
                Ok(()) => {
                    self.pending.clear();
                    self.transactions += 1;
                }
                Err(error) => {
                    self.error = Some(error.into());
                    return;
                }
            }
        }
        match self.store.cancel_requested(self.run) {
            Ok(flag) => self.cancelled |= flag,
            Err(error) => self.error = Some(error.into()),
        }
    }
}

/// What the worker did, for its log and its exit code.
#[derive(Debug)]
pub struct WorkerReport {
    pub status: RunStatus,
    pub steps: usize,
    pub metric_transactions: usize,
}

/// A line of the worker's log (its stderr, appended to `worker.log`). A log that cannot be
/// written (a full disk) is skipped: `eprintln!` would panic, and the run's status matters more.
pub(super) fn log_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "{} {text}",
        chrono::Local::now().format("%H:%M:%S")
    );
}

/// Records the run's end, retrying: on a full disk the first write can fail until the worker's
/// partial files are gone or another process frees space. The run must not stay `running`.
pub(super) fn record_end(
    store: &mut RunStore,
    run: RunId,
    status: RunStatus,
    reason: Option<&str>,
) -> Result<(), JobError> {
    let mut attempt = 0;
    loop {
        match store.set_status(run, status, reason) {
            Ok(()) => return Ok(()),
            Err(error) if attempt >= END_RETRIES => return Err(error.into()),
            Err(error) => {
                attempt += 1;
                log_line(&format!(
                    "recording the run's end failed ({error}); retry {attempt} of {END_RETRIES}"
                ));
                std::thread::sleep(Duration::from_millis(500 * attempt as u64));
            }
        }
    }
}

/// Retries of the final status write (about 7 s in all).
const END_RETRIES: usize = 5;

/// Trains run `run` to the end and records the outcome. Errors are returned only when the store
/// itself cannot be written; anything wrong with the run ends as its `failed` status. A study's
/// trial worker then stays for the study's next trials (`warm`), training them on the data it
/// has already read.
pub fn run_worker(project: &Project, run: RunId) -> Result<WorkerReport, JobError> {
    let mut store = project.open_store()?;
    if !store.claim_run(run, std::process::id())? {
        let record = store.get_run(run)?;
        if record.status == RunStatus::Running
            && record.pid.is_some_and(crate::store::is_shelfcast_alive)
        {
            // A study's warm worker took the trial first: nothing left to do.
            log_line(&format!(
                "run {run} is being trained by worker {}",
                record.pid.unwrap_or_default()
            ));
            return Ok(WorkerReport {
                status: RunStatus::Running,
                steps: 0,
                metric_transactions: 0,
            });
        }
        return Err(JobError::Run {
            run,
            what: format!(
                "it is {}, not queued; a worker only starts a queued run",
                record.status.as_str()
            ),
        });
    }
    let mut cache = None;
    let report = run_claimed(project, &mut store, run, &mut cache)?;
    // A Slurm job is one run's: its time limit and accounting are that run's alone.
    if std::env::var_os("SLURM_JOB_ID").is_none() {
        super::warm::train_next_trials(project, &mut store, run, &mut cache)?;
    }
    Ok(report)
}

/// Trains a run this worker has claimed. `cache` holds the data of the worker's last run and
/// is left holding this one's.
pub(super) fn run_claimed(
    project: &Project,
    store: &mut RunStore,
    run: RunId,
    cache: &mut Option<WarmData>,
) -> Result<WorkerReport, JobError> {
    log_line(&format!("worker {} took run {run}", std::process::id()));
    if store.cancel_requested(run)? {
        store.set_status(run, RunStatus::Killed, Some("cancelled before it started"))?;
        return Ok(WorkerReport {
            status: RunStatus::Killed,
            steps: 0,
            metric_transactions: 0,
        });
    }
    let heartbeat = Heartbeat::start(project, run);
    let outcome = catch_unwind(AssertUnwindSafe(|| train_run(project, store, run, cache)));
    heartbeat.stop();
    let result = match outcome {
        Ok(result) => result,
        Err(panic) => {
            *cache = None;
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(JobError::Run {
                run,
                what: format!("the worker panicked: {what}"),
            })
        }
    };
    match result {
        Ok(report) => Ok(report),
        Err(error) => {
            let reason = error.to_string();
            log_line(&format!("failed: {reason}"));
            record_end(store, run, RunStatus::Failed, Some(&reason))?;
            Ok(WorkerReport {
                status: RunStatus::Failed,
                steps: 0,
                metric_transactions: 0,
            })
        }
    }
}

/// A thread with its own store connection that writes the run's heartbeat every
/// `HEARTBEAT_EVERY`, so a watcher tells a worker busy in a long step (reading a large file,
/// one slow boosting round) from a vanished one; with each beat, the run's system metrics.
pub(super) struct Heartbeat {
    stop: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    pub(super) fn start(project: &Project, run: RunId) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let project = project.clone();
        let thread = std::thread::spawn(move || {
            let Ok(mut store) = project.open_store() else {
                return;
            };
            // The run's system series ride on the beat, in its transaction: no write of their
            // own (a run shorter than a beat has only its peak memory, a final metric).
            let mut sampler = super::sysmetrics::enabled().then(SystemSampler::start);
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(HEARTBEAT_EVERY)
            {
                let points = sampler.as_mut().map(|s| s.sample()).unwrap_or_default();
                // A failed beat (a locked or full disk) is retried at the next one; watchers
                // only give up after `HEARTBEAT_STALE`. Its lost samples are a gap in a chart.
                let _ = store.heartbeat_with(run, &points);
            }
            // The peak logged with the outcome is the peak until then; saving the model can
            // grow the process after it. Whatever came after is added as the peak's last value.
            if sampler.is_some() {
                record_later_peak(&mut store, run);
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    pub(super) fn stop(mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Logs the process's peak memory again when it grew past the one the outcome logged.
fn record_later_peak(store: &mut RunStore, run: RunId) {
    use super::sysmetrics::{PEAK_RSS_MB, peak_rss_mb};
    let Some(peak) = peak_rss_mb() else { return };
    let logged = store.metric_summaries(run).ok().and_then(|summaries| {
        summaries
            .into_iter()
            .find(|s| s.key == PEAK_RSS_MB)
            .map(|s| (s.last_step.unwrap_or(0), s.last_value.unwrap_or(0.0)))
    });
    // Only a run that finished has its peak logged; a megabyte is noise.
    if let Some((step, value)) = logged
        && peak > value + 1.0
    {
        let _ = store.log_metrics(run, &[MetricPoint::now(PEAK_RSS_MB, step, peak)]);
    }
}

fn train_run(
    project: &Project,
    store: &mut RunStore,
    run: RunId,
    cache: &mut Option<WarmData>,
) -> Result<WorkerReport, JobError> {
    let spec_json = store.run_spec(run)?.ok_or_else(|| JobError::Run {
        run,
        what: "it has no training spec (it was not queued by `shelfcast train`)".to_string(),
    })?;
    let spec: TrainSpec = serde_json::from_str(&spec_json).map_err(|e| JobError::Run {
        run,
        what: format!("its training spec cannot be read: {e}"),
    })?;
    check_fingerprint(project, store, run, &spec)?;
    if let Some(backtest) = &spec.backtest {
        log_line(&format!("loading {}", spec.data.display()));
        return super::backtest::run_backtest(project, store, run, &spec, backtest);
    }
    // The data held are used again only when this run was queued on the very same bytes: the
    // same files by their fingerprints (a file changed mid-study is read afresh).
    let fingerprints = super::warm::data_fingerprints(store, run)?;
    let reused = match cache.take() {
        Some(held) if held.fingerprints == fingerprints && held.prepared.spec.read == spec.read => {
            let mut cached = held.prepared;
            cached.reuse_for(&spec)?.then_some(cached)
        }
        _ => None,
    };
    let prepared = match reused {
        Some(cached) => {
            log_line("the data are those of this worker's last trial, already read and checked");
            cached
        }
        None => {
            log_line(&format!("loading {}", spec.data.display()));
            prepare(&project.root, &spec)?
        }
    };
    let result = train_prepared(project, store, run, &prepared);
    *cache = Some(WarmData {
        prepared,
        fingerprints,
    });
    Ok(result?.0)
}

/// Trains a prepared run, saves its outcome and records its end; the report and what was
/// trained (a backtest pools its windows').
pub(super) fn train_prepared(
    project: &Project,
    store: &mut RunStore,
    run: RunId,
    prepared: &crate::ml::train::Prepared,
) -> Result<(WorkerReport, Trained), JobError> {
    for note in &prepared.notes {
        log_line(note);
    }
    let planned = prepared.model.planned_steps();
    let mut batcher = MetricBatcher::new(store, run);
    let started = Instant::now();
    let mut last_log = Instant::now();
    let mut on_step = |event: &StepEvent| {
        if last_log.elapsed() >= Duration::from_secs(2) || event.step == 0 {
            last_log = Instant::now();
            log_line(&format!(
                "step {}/{planned}  {} train {}  valid {}  ({:.1}s)",
                event.step + 1,
                event.metric,
                loss_text(event.train_loss),
                loss_text(event.valid_loss),
                started.elapsed().as_secs_f64()
            ));
        }
        batcher.push(event)
    };
    let trained = train(prepared, &mut on_step, &mut |line| log_line(line))?;
    batcher.flush();
    let transactions = batcher.transactions;
    let cancelled = batcher.cancelled;
    if let Some(error) = batcher.error.take() {
        return Err(error);
    }
    log_line(&format!(
        "trained {} step(s) in {:.1}s, {transactions} metric transaction(s)",
        trained.steps,
        started.elapsed().as_secs_f64()
    ));
    save_outcome(project, store, run, &trained)?;
    let status = if cancelled || trained.stopped {
        let reason = format!(
            "cancelled at step {} of {planned}; the model of those steps is saved",
            trained.steps
        );
        record_end(store, run, RunStatus::Killed, Some(&reason))?;
        log_line(&reason);
        RunStatus::Killed
    } else {
        record_end(store, run, RunStatus::Finished, None)?;
        let (name, value) = trained.valid_metrics.headline();
        log_line(&format!("finished: validation {name} {value:.6}"));
        if let Some(line) = horizon_line(&trained) {
            log_line(&line);
        }
        RunStatus::Finished
    };
    Ok((
        WorkerReport {
            status,
            steps: trained.steps,
            metric_transactions: transactions,
        },
        trained,
    ))
}

fn loss_text(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.5}"))
}

/// Refuses to train when the dataset file no longer holds the bytes validated at launch.
fn check_fingerprint(
    project: &Project,
    store: &RunStore,
    run: RunId,
    spec: &TrainSpec,
) -> Result<(), JobError> {
    let Some(dataset_id) = store.get_run(run)?.dataset_id else {
        return Ok(());
    };
    let Some(recorded) = store.dataset(dataset_id)? else {
        return Ok(());
    };
    let path = project.resolve(&spec.data);
    if let Some(changed) = changed_since(&path, &recorded)? {
        return Err(JobError::Run {
            run,
            what: format!(
                "{} changed after the run was queued (sha256 {} at launch, {} now); queue the \
                 run again to train on the new data",
                path.display(),
                changed.then,
                changed.now
            ),
        });
    }
    Ok(())
}
