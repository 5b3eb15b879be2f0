//! `shelfcast train`, `worker`, `cancel`: launching runs, the detached worker's entry point, and
//! stopping a run. A thin face over `jobs`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;

use crate::jobs::slurm::{Dispatch, SlurmOptions};
use crate::jobs::worker::{TRAIN_LOSS, VALID_LOSS, run_worker};
use crate::jobs::{LaunchRequest, launch_run};
use crate::ml::features::Task;
use crate::ml::lookup::LookupSpec;
use crate::ml::models::ModelKind;
use crate::ml::spec_check::lag_spec;
use crate::ml::train::TrainSpec;
use crate::project::Project;
use crate::store::{RunId, RunStatus};
use crate::text::{Precision, format_number};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The dataset (CSV or Parquet).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long, value_name = "COLUMN")]
    pub target: String,
    /// regression or binary (default: inferred from the target).
    #[arg(long, value_parser = parse_task)]
    pub task: Option<Task>,
    /// Feature columns, comma-separated or repeated (default: every other column).
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub features: Vec<String>,
    /// gbdt, linear, ridge, lasso, elastic_net, logistic, decision_tree, random_forest, or a
    /// baseline: naive, seasonal_naive, window_average, series_mean.
    #[arg(long, default_value = "gbdt")]
    pub model: String,
    /// A hyper-parameter, KEY=VALUE; repeat for more.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// random:FRACTION, time:COLUMN:LAST_N or time:COLUMN:YYYY-MM-DD.
    #[arg(long, default_value = "random:0.2")]
    pub split: String,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Train on log1p of the target (skewed sales); predictions are transformed back.
    #[arg(long)]
    pub log1p: bool,
    /// Lags of the target, in periods of the date column, comma-separated (e.g. 1,2,4,52).
    #[arg(long, value_delimiter = ',', value_name = "PERIODS")]
    pub lags: Vec<usize>,
    /// Rolling means of the target over the last N periods, comma-separated (e.g. 4,13).
    #[arg(long, value_delimiter = ',', value_name = "PERIODS")]
    pub rolling: Vec<usize>,
    /// The columns identifying one series for lags (e.g. store,item).
    #[arg(long = "group", value_delimiter = ',', value_name = "COLUMNS")]
    pub groups: Vec<String>,
    /// The date column for lags (default: the time split's column).
    #[arg(long, value_name = "COLUMN")]
    pub date: Option<String>,
    /// A lookup table joined before training, FILE:KEY or FILE:KEY1,KEY2 (e.g. stores.csv:Store,
    /// covariates.csv:Store,Date); repeat for more. The model keeps the tables.
    #[arg(long = "lookup", value_name = "FILE:KEYS")]
    pub lookups: Vec<String>,
    #[arg(long, default_value = "default")]
    pub experiment: String,
    #[arg(long)]
    pub name: Option<String>,
    /// A tag, KEY=VALUE; repeat for more.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Follow the run with a progress bar and print its final metrics.
    #[arg(long)]
    pub wait: bool,
    // Where the worker runs: `--on slurm` and what to ask the scheduler (each over
    // shelfcast.toml's `[slurm]` defaults). Plain fields with no default value: `tune` takes
    // these options as an optional group, which clap neither sees through a nested flattened
    // struct nor leaves absent when a flag has a default.
    /// local (a detached process here, the default) or slurm (a batch job on the cluster).
    #[arg(long, value_name = "WHERE", value_parser = ["local", "slurm"])]
    pub on: Option<String>,
    /// The Slurm partition (with --on slurm).
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// The job's wall-time limit, HH:MM:SS (with --on slurm).
    #[arg(long, value_name = "HH:MM:SS")]
    pub time: Option<String>,
    /// CPUs per task (with --on slurm).
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// Memory per node, 500M or 4G (with --on slurm).
    #[arg(long, value_name = "SIZE")]
    pub mem: Option<String>,
    /// The Slurm account to charge (with --on slurm).
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
}

impl TrainArgs {
    /// `project`, dispatching its workers as `--on` and its flags (and the config's defaults)
    /// say.
    pub fn dispatching(&self, project: &Project) -> anyhow::Result<Project> {
        let on = OnArgs {
            on: self.on.clone(),
            partition: self.partition.clone(),
            time: self.time.clone(),
            cpus: self.cpus,
            mem: self.mem.clone(),
            account: self.account.clone(),
        };
        Ok(match on.slurm(project)? {
            Some(options) => project.clone().with_dispatch(Dispatch::Slurm(options)),
            None => project.clone(),
        })
    }
}

/// Where a worker runs, `--on` and the scheduler flags: the daemon's training jobs take them
/// as a group (stored with the schedule); `TrainArgs` holds the same flags as plain fields.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct OnArgs {
    /// local (a detached process here, the default) or slurm (a batch job on the cluster).
    #[arg(long, value_name = "WHERE", value_parser = ["local", "slurm"])]
    pub on: Option<String>,
    /// The Slurm partition (with --on slurm).
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
    /// The job's wall-time limit, HH:MM:SS (with --on slurm).
    #[arg(long, value_name = "HH:MM:SS")]
    pub time: Option<String>,
    /// CPUs per task (with --on slurm).
    #[arg(long, value_name = "N")]
    pub cpus: Option<u32>,
    /// Memory per node, 500M or 4G (with --on slurm).
    #[arg(long, value_name = "SIZE")]
    pub mem: Option<String>,
    /// The Slurm account to charge (with --on slurm).
    #[arg(long, value_name = "A")]
    pub account: Option<String>,
}

impl OnArgs {
    pub fn slurm(&self, project: &Project) -> anyhow::Result<Option<SlurmOptions>> {
        let asked = SlurmOptions {
            partition: self.partition.clone(),
            time: self.time.clone(),
            cpus: self.cpus,
            mem: self.mem.clone(),
            account: self.account.clone(),
        };
        slurm_options(project, self.on.as_deref(), asked)
    }
}

/// `--on WHERE` and the scheduler flags `asked` (over shelfcast.toml's `[slurm]` defaults),
/// checked: the Slurm options, or `None` to run here. The one reading of these flags, for
/// `train`, `tune`, `backtest` and the daemon's training jobs.
fn slurm_options(
    project: &Project,
    on: Option<&str>,
    asked: SlurmOptions,
) -> anyhow::Result<Option<SlurmOptions>> {
    if on != Some("slurm") {
        if asked != SlurmOptions::default() {
            bail!("--partition, --time, --cpus, --mem and --account need --on slurm");
        }
        return Ok(None);
    }
    let options = asked.or(&project.config()?.slurm);
    options.check().map_err(|e| anyhow::anyhow!(e))?;
    Ok(Some(options))
}

fn parse_task(text: &str) -> Result<Task, String> {
    Task::parse(text).ok_or_else(|| format!("'{text}': expected regression or binary"))
}

fn pair(text: &str, what: &str) -> anyhow::Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => bail!("{what} '{text}': expected KEY=VALUE"),
    }
}

impl TrainArgs {
    pub fn request(&self, project: &Project) -> anyhow::Result<LaunchRequest> {
        let lags = lag_spec(
            &self.split,
            self.date.as_deref(),
            &self.target,
            self.groups.clone(),
            self.lags.clone(),
            self.rolling.clone(),
            ModelKind::parse(&self.model)?,
        )?;
        let mut lookups = Vec::new();
        for text in &self.lookups {
            let mut lookup =
                LookupSpec::parse(text).map_err(|e| anyhow::anyhow!("--lookup {e}"))?;
            lookup.path = project.spec_path(&lookup.path)?;
            lookups.push(lookup);
        }
        let spec = TrainSpec {
            data: project.spec_path(&self.data)?,
            lookups,
            read: project.read_options()?,
            target: self.target.clone(),
            task: self.task,
            features: self.features.clone(),
            lags,
            log1p: self.log1p,
            model: ModelKind::parse(&self.model)?,
            params: self
                .params
                .iter()
                .map(|p| pair(p, "--param"))
                .collect::<anyhow::Result<_>>()?,
            split: self.split.clone(),
            seed: self.seed,
            until: None,
            backtest: None,
        };
        spec.validate()?;
        Ok(LaunchRequest {
            spec,
            experiment: self.experiment.clone(),
            name: self.name.clone(),
            tags: self
                .tags
                .iter()
                .map(|t| pair(t, "--tag"))
                .collect::<anyhow::Result<_>>()?,
            parent_run_id: None,
        })
    }
}

pub fn train(project: &Project, args: &TrainArgs) -> anyhow::Result<()> {
    let project = &args.dispatching(project)?;
    let request = args.request(project)?;
    let launched = launch_run(project, &request)?;
    let what = format!(
        "{} training and {} validation rows",
        launched.train_rows, launched.valid_rows
    );
    announce(project, &launched, "run", &what, args.wait)
}

/// Prints a launched run's id (stdout) and what was queued (stderr), then follows it with
/// `--wait`.
pub(super) fn announce(
    project: &Project,
    launched: &crate::jobs::Launched,
    kind: &str,
    what: &str,
    wait: bool,
) -> anyhow::Result<()> {
    say!("{}", launched.run_id);
    let worker = match (&launched.slurm_job, launched.pid) {
        (Some(job), _) => format!("Slurm job {job}"),
        (None, Some(pid)) => format!("worker pid {pid}"),
        (None, None) => "worker".to_string(),
    };
    say_err!(
        "{kind} {} queued: {what}; {worker}, log {}",
        launched.run_id,
        launched.log_path.display()
    );
    for note in &launched.notes {
        say_err!("{note}");
    }
    if wait {
        follow(project, launched.run_id)?;
    }
    Ok(())
}

/// Polls the store until the run ends, drawing a progress bar on a terminal, then prints the
/// final metrics. Interrupting only stops following: the worker is in its own session.
pub fn follow(project: &Project, run: RunId) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    let params = store.params(run)?;
    // A backtest goes window by window; a run step by step.
    let windows = params
        .iter()
        .find(|(k, _)| k == "backtest.windows")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let (planned, progress_key, offset) = match windows {
        Some(windows) => (Some(windows), crate::jobs::backtest::BACKTEST_WAPE, 0),
        None => (
            crate::ml::models::ModelSpec::from_run_params(&params).map(|s| s.planned_steps()),
            VALID_LOSS,
            1,
        ),
    };
    let tty = std::io::stderr().is_terminal();
    if tty {
        say_err!("following run {run} (Ctrl-C stops following; the run goes on)");
    }
    let started = Instant::now();
    let mut last_step = -1;
    loop {
        // A worker that vanished (kill -9, the box's OOM killer) is noticed here, not only by
        // the next process that opens the store.
        store.reap_dead_runs()?;
        crate::jobs::slurm::reconcile(project, &mut store)?;
        let status = store.get_run(run)?.status;
        let last = store.last_metric(run, progress_key)?;
        if let Some(point) = last.as_ref().filter(|p| p.step != last_step && tty) {
            last_step = point.step;
            let done = (point.step + offset) as usize;
            let bar = progress_bar(done, planned, started.elapsed());
            eprint!("\r{bar}  {progress_key} {:.5}   ", point.value);
            let _ = std::io::stderr().flush();
        }
        if status.is_terminal() {
            if tty {
                say_err!();
            }
            return report(project, run);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn progress_bar(done: usize, planned: Option<usize>, elapsed: Duration) -> String {
    const WIDTH: usize = 30;
    match planned {
        Some(total) if total > 0 => {
            let fraction = (done as f64 / total as f64).min(1.0);
            let filled = (fraction * WIDTH as f64).round() as usize;
            let eta = if done > 0 {
                let per = elapsed.as_secs_f64() / done as f64;
                format!("ETA {:.0}s", per * total.saturating_sub(done) as f64)
            } else {
                String::new()
            };
            format!(
                "[{}{}] {done}/{total} {eta}",
                "#".repeat(filled),
                "-".repeat(WIDTH - filled)
            )
        }
        _ => format!("step {done}"),
    }
}

/// Prints a finished run's outcome: status, reason and final metrics.
pub fn report(project: &Project, run: RunId) -> anyhow::Result<()> {
    let store = project.open_store()?;
    let record = store.get_run(run)?;
    say!("run {run} {}: {}", record.name, record.status.as_str());
    if let Some(error) = &record.error {
        say!("  {error}");
    }
    for key in store.metric_keys(run)? {
        if key == TRAIN_LOSS || key == VALID_LOSS {
            continue;
        }
        if let Some(point) = store.last_metric(run, &key)? {
            // A series over steps or windows shows its last point: say which it is.
            let at = if key.starts_with("h_step_") {
                format!("  (at step {})", point.step)
            } else if key.starts_with("backtest_") {
                format!("  (window {})", point.step)
            } else {
                String::new()
            };
            say!("  {key:<18} {}{at}", metric_text(point.value));
            if let Some(words) = crate::compare::metric_words(&key, point.value) {
                say!("  {:<18} {words}", "");
            }
        }
    }
    let metrics_path = project.run_model_dir(run).join("metrics.json");
    if let Ok(bytes) = std::fs::read(&metrics_path)
        && let Ok(metrics) = serde_json::from_slice::<crate::ml::artifact::MetricsFile>(&bytes)
    {
        if let crate::ml::train::Evaluation::Regression(m) = &metrics.validation
            && m.mape_zero_targets_skipped > 0
        {
            say!(
                "  (mape leaves out {} validation row(s) whose actual value is zero)",
                m.mape_zero_targets_skipped
            );
        }
        let top: Vec<String> = metrics
            .importance
            .iter()
            .take(5)
            .map(|(name, share)| format!("{name} {:.0}%", share * 100.0))
            .collect();
        if !top.is_empty() {
            say!(
                "  importance ({}): {}",
                metrics.importance_kind,
                top.join(", ")
            );
        }
    }
    if record.status == RunStatus::Failed {
        bail!("run {run} failed");
    }
    Ok(())
}

/// Six significant digits: enough to compare runs, short enough to read.
pub fn metric_text(value: f64) -> String {
    format_number(value, Precision::Significant(6))
}

pub fn worker(project: &Project, run: RunId) -> anyhow::Result<()> {
    let report = run_worker(project, run)?;
    if report.status == RunStatus::Failed {
        bail!("run {run} failed; its reason is in the store");
    }
    Ok(())
}

/// One task of a study's Slurm job array (see `jobs::slurm::run_array_task`).
pub fn array_task(project: &Project, study_run: RunId) -> anyhow::Result<()> {
    match crate::jobs::slurm::run_array_task(project, study_run)? {
        Some(report) if report.status == RunStatus::Failed => {
            bail!("the trial failed; its reason is in the store")
        }
        _ => Ok(()),
    }
}

pub fn cancel(project: &Project, run: RunId) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    let record = store.get_run(run)?;
    if record.status.is_terminal() {
        bail!("run {run} is already {}", record.status.as_str());
    }
    crate::jobs::slurm::cancel_run(&mut store, run)?;
    match store.get_run(run)?.status {
        RunStatus::Killed => say!("run {run} was still queued: killed before it started"),
        _ => say!("asked run {run} to stop; it stops at its next step"),
    }
    Ok(())
}
