//! Starting a training run: validate the request against its data, record the run as queued
//! (row, params, tags, spec and the dataset fingerprint in one transaction), then start
//! `shelfcast worker --run ID` as a detached process that outlives the terminal.
//!
//! Detached means: its own session (`setsid`), so closing the terminal, a dropped SSH link or a
//! killed tmux server sends it no SIGHUP; stdin from /dev/null; stdout and stderr appended to
//! `models/runs/<id>/worker.log`, which the Run pane tails.

use std::fs::{self, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::slurm::Dispatch;
use crate::data::{DataError, DatasetFile, profile_dataset};
use crate::ml::train::{Prepared, TrainError, TrainSpec, prepare};
use crate::project::Project;
use crate::store::{NewRun, QueuedRun, RunId, RunStatus, RunStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("run {run}: {what}")]
    Run { run: RunId, what: String },
    #[error("study {study}: {what}")]
    Study { study: String, what: String },
}

/// A training request from a face (CLI flags or the Train form).
#[derive(Clone, Debug)]
pub struct LaunchRequest {
    pub spec: TrainSpec,
    pub experiment: String,
    /// `None`: named after the model and the dataset.
    pub name: Option<String>,
    pub tags: Vec<(String, String)>,
    /// A study's trial is a child run of the study's run.
    pub parent_run_id: Option<RunId>,
}

/// A run that was queued and handed to a worker.
#[derive(Clone, Debug)]
pub struct Launched {
    pub run_id: RunId,
    /// The worker's pid, when it runs here; `None` when it went to Slurm.
    pub pid: Option<u32>,
    /// The Slurm job the worker was submitted as (`--on slurm`).
    pub slurm_job: Option<String>,
    pub log_path: PathBuf,
    pub train_rows: usize,
    pub valid_rows: usize,
    /// What the checks found worth saying (lookup matches, casts).
    pub notes: Vec<String>,
}

/// Records `file` in the store (fingerprint and profile, cached) and returns its dataset id.
pub fn record_dataset_file(
    project: &Project,
    store: &mut RunStore,
    path: &Path,
) -> Result<(i64, String), JobError> {
    let file = DatasetFile::from_path(path, &project.data_dir())?;
    let options = project.read_options().map_err(DataError::from)?;
    let outcome = profile_dataset(store, &file, &options, true, &|_| {})?;
    Ok((outcome.dataset.id, outcome.dataset.sha256))
}

/// Validates `request` completely, then records the run as queued. Nothing is written to the
/// store unless every check passed. Returns the run and what `prepare` found.
pub fn queue_run(
    project: &Project,
    store: &mut RunStore,
    request: &LaunchRequest,
) -> Result<(RunId, Prepared), JobError> {
    // The project's way of reading files (its config, or --na-values) travels with the spec, so
    // the worker reads exactly what was checked here.
    let mut spec = request.spec.clone();
    spec.read = project.read_options().map_err(DataError::from)?;
    let prepared = prepare(&project.root, &spec)?;
    if let Some(backtest) = &spec.backtest {
        check_backtest(&project.root, &spec, &prepared, backtest)?;
    }
    let run_id = record_queued(project, store, request, &spec, &prepared)?;
    Ok((run_id, prepared))
}

/// Records a checked request as a queued run: its dataset files, tags, name and spec.
fn record_queued(
    project: &Project,
    store: &mut RunStore,
    request: &LaunchRequest,
    spec: &TrainSpec,
    prepared: &Prepared,
) -> Result<RunId, JobError> {
    let data_path = project.resolve(&request.spec.data);
    let (dataset_id, sha256) = record_dataset_file(project, store, &data_path)?;
    let mut tags: Vec<(String, String)> = vec![
        ("dataset.path".into(), data_path.display().to_string()),
        ("dataset.sha256".into(), sha256),
    ];
    for (i, lookup) in spec.lookups.iter().enumerate() {
        let path = project.resolve(&lookup.path);
        let (lookup_id, lookup_sha) = record_dataset_file(project, store, &path)?;
        let prefix = if i == 0 {
            "lookup".to_string()
        } else {
            format!("lookup{}", i + 1)
        };
        tags.push((format!("{prefix}.path"), path.display().to_string()));
        tags.push((format!("{prefix}.keys"), lookup.keys.join(",")));
        tags.push((format!("{prefix}.dataset_id"), lookup_id.to_string()));
        tags.push((format!("{prefix}.sha256"), lookup_sha));
    }
    tags.extend(request.tags.iter().cloned());
    let stem = data_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = request.name.clone().unwrap_or_else(|| {
        format!(
            "{}-{stem}-{}",
            prepared.model.kind,
            chrono::Local::now().format("%H%M%S")
        )
    });
    let spec_json = serde_json::to_string(&spec).map_err(StoreError::from)?;
    let run_id = store.create_queued_run(&QueuedRun {
        run: &NewRun {
            experiment: request.experiment.clone(),
            name,
            model_kind: prepared.model.kind.as_str().to_string(),
            task: prepared.task().as_str().to_string(),
            dataset_id: Some(dataset_id),
            parent_run_id: request.parent_run_id,
        },
        params: &prepared.params(),
        tags: &tags,
        spec_json: Some(&spec_json),
    })?;
    Ok(run_id)
}

/// Launches the trials of one study. Trials differ from each other in their model's parameters
/// alone, so the data are loaded, joined and checked for the first trial only; each later one
/// has its parameters checked, and its worker prepares the data as any run's does. Without this
/// the study process read the whole dataset once more per trial, in series with the trials.
#[derive(Default)]
pub struct TrialLauncher {
    checked: Option<Prepared>,
}

impl TrialLauncher {
    /// Queues the trial and starts its worker (here, or as its own Slurm job).
    pub fn launch(
        &mut self,
        project: &Project,
        request: &LaunchRequest,
    ) -> Result<Launched, JobError> {
        let mut store = project.open_store()?;
        let (run_id, prepared) = self.queue(project, &mut store, request)?;
        started(project, &mut store, run_id, prepared)
    }

    /// Queues the trial for a worker that is already there or coming (a task of the study's
    /// Slurm job array); the run.
    pub fn queue_only(
        &mut self,
        project: &Project,
        request: &LaunchRequest,
    ) -> Result<RunId, JobError> {
        let mut store = project.open_store()?;
        Ok(self.queue(project, &mut store, request)?.0)
    }

    fn queue(
        &mut self,
        project: &Project,
        store: &mut RunStore,
        request: &LaunchRequest,
    ) -> Result<(RunId, &Prepared), JobError> {
        let reused = match self.checked.as_mut() {
            Some(prepared) => prepared.reuse_for(&request.spec)?,
            None => false,
        };
        if !reused {
            let (run_id, prepared) = queue_run(project, store, request)?;
            let prepared = self.checked.insert(prepared);
            return Ok((run_id, prepared));
        }
        // `reused` is only true of data checked before.
        let prepared = self.checked.as_ref().ok_or_else(|| {
            JobError::Train(TrainError::Input(
                "the study's trial data were never checked".into(),
            ))
        })?;
        let spec = prepared.spec.clone();
        let run_id = record_queued(project, store, request, &spec, prepared)?;
        Ok((run_id, prepared))
    }
}

fn started(
    project: &Project,
    store: &mut RunStore,
    run_id: RunId,
    prepared: &Prepared,
) -> Result<Launched, JobError> {
    let (pid, slurm_job) = match spawn_worker(project, store, run_id)? {
        Dispatched::Here(pid) => (Some(pid), None),
        Dispatched::Slurm(job) => (None, Some(job)),
    };
    Ok(Launched {
        run_id,
        pid,
        slurm_job,
        log_path: project.worker_log_path(run_id),
        train_rows: prepared.split.train.len(),
        valid_rows: prepared.split.validation.len(),
        notes: prepared.notes.clone(),
    })
}

/// A backtest is refused at launch when its windows do not fit the data or its model makes no
/// forecast from a cut-off, so the worker never starts one that cannot finish.
fn check_backtest(
    root: &Path,
    spec: &TrainSpec,
    prepared: &Prepared,
    backtest: &crate::ml::backtest::BacktestSpec,
) -> Result<(), JobError> {
    backtest.check().map_err(TrainError::from)?;
    if spec.lags.is_none() {
        return Err(TrainError::Input(
            "a backtest scores forecasts made from each cut-off: give lags or rolling means \
             with the series' columns (the Train form's Lags and Lag groups, or --lags / \
             --rolling with --group), or a baseline model"
                .to_string(),
        )
        .into());
    }
    let column = crate::ml::backtest::date_column(spec).unwrap_or_default();
    let windows = crate::ml::backtest::windows(&prepared.frame, &column, backtest)
        .map_err(TrainError::from)?;
    // The oldest window trains on the least history: its lags must still find values there.
    if let Some(oldest) = windows.first() {
        let window = crate::ml::backtest::window_spec(spec, &column, oldest);
        prepare(root, &window).map_err(|e| {
            TrainError::Input(format!(
                "the oldest window (trained until {}) cannot be trained: {e}",
                oldest.until
            ))
        })?;
    }
    Ok(())
}

/// Where a queued run's worker went: a pid here, or a Slurm job.
pub enum Dispatched {
    Here(u32),
    Slurm(String),
}

/// Starts the worker for a queued run (a detached process here, or a Slurm batch job, as the
/// project dispatches) and records its pid or job. When it cannot be started the run is marked
/// failed with the reason, never left queued.
pub fn spawn_worker(
    project: &Project,
    store: &mut RunStore,
    run: RunId,
) -> Result<Dispatched, JobError> {
    let dispatch = project.dispatch().map_err(|e| JobError::Run {
        run,
        what: e.to_string(),
    })?;
    let result = match &dispatch {
        Dispatch::Local => start_detached(project, run).map(Dispatched::Here),
        Dispatch::Slurm(options) => {
            super::slurm::submit(project, run, options).map(Dispatched::Slurm)
        }
    };
    match result {
        Ok(Dispatched::Here(pid)) => {
            // Only while queued: a study's warm worker may have taken the run already, and its
            // pid is the one a watcher must check.
            store.set_queued_pid(run, pid)?;
            Ok(Dispatched::Here(pid))
        }
        Ok(Dispatched::Slurm(job)) => {
            store.set_slurm_job(run, &job)?;
            Ok(Dispatched::Slurm(job))
        }
        Err(error) => {
            store.set_status(
                run,
                RunStatus::Failed,
                Some(&format!("the worker could not be started: {error}")),
            )?;
            Err(error)
        }
    }
}

fn start_detached(project: &Project, run: RunId) -> Result<u32, JobError> {
    let dir = project.run_dir(run);
    fs::create_dir_all(&dir).map_err(|source| JobError::Io {
        path: dir.clone(),
        source,
    })?;
    let id = run.to_string();
    spawn_detached(
        project,
        &["worker", "--run", id.as_str()],
        &project.worker_log_path(run),
    )
}

/// Starts `shelfcast --root ROOT ARGS…` detached: its own session (so closing the terminal, a
/// dropped SSH link or a killed tmux server sends it no SIGHUP), stdin from /dev/null, stdout and
/// stderr appended to `log`. Its pid. The one way workers and the daemon are started.
pub fn spawn_detached(project: &Project, args: &[&str], log: &Path) -> Result<u32, JobError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| JobError::Io { path, source }
    };
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(io(log))?;
    let err = out.try_clone().map_err(io(log))?;
    let exe = std::env::current_exe().map_err(io(Path::new("the shelfcast executable")))?;
    let root = fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    let mut command = Command::new(&exe);
    command
        .arg("--root")
        .arg(&root)
        .args(args)
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    if let Some(url) = project.store_override() {
        command.env(crate::project::STORE_ENV, url);
    }
    if let Ok(Some((name, value))) = project.dispatch().map(|d| d.to_env()) {
        command.env(name, value);
    }
    // SAFETY: setsid() is async-signal-safe and touches no memory of the parent; it is the only
    // call made between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(io(&exe))?;
    let pid = child.id();
    // Reap the child when it ends so it never lingers as a zombie of a long-lived TUI; the
    // thread dies with a short-lived CLI, and init reaps the child then.
    std::thread::spawn(move || child.wait());
    Ok(pid)
}

/// Validates, queues and starts a run.
pub fn launch_run(project: &Project, request: &LaunchRequest) -> Result<Launched, JobError> {
    let mut store = project.open_store()?;
    let (run_id, prepared) = queue_run(project, &mut store, request)?;
    started(project, &mut store, run_id, &prepared)
}
