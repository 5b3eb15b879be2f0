//! `shelfcast bench`: figures measured side by side with their anchor in the same run. Build with
//! `--release`; debug builds are an order of magnitude slower and say so.
//!
//! A face of its own over the core. What it measures of another face (the Runs tab's first
//! frame, the HTTP server) is handed in by the dispatcher as `Faces`, so no face imports
//! another.

mod charts;
mod daemon;
mod drift;
mod forecast;
mod metrics;
mod mlflow;
pub mod mlflow_server;
mod monitor;
mod profile;
mod serve;
mod store;
mod train;
mod tune;
mod tune_study;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clap::Subcommand;

use crate::project::Project;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Profile a file cold and from the cache, beside polars' own read of the same file.
    Profile {
        file: PathBuf,
        /// Repetitions of each cold measurement (the median is reported).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Metric points logged per second into runs.db while another process reads the curves,
    /// beside MLflow's log_batch into its SQLite store (when mlflow is installed).
    Metrics {
        /// Points to log.
        #[arg(long, default_value_t = 2_000_000)]
        points: usize,
        /// Points per transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Points MLflow logs (it is far slower; its rate is what is compared).
        #[arg(long, default_value_t = 50_000)]
        mlflow_points: usize,
    },
    /// Gradient boosting on store-item demand (date and lag features) and Telco churn, beside
    /// Python LightGBM on the identical feature matrix and split (when lightgbm is installed).
    Train(train::TrainBench),
    /// Store-item demand (500 daily series): fit and a recursive forecast of the last days,
    /// beside mlforecast with LightGBM on the same lags, rolling means, date features and
    /// threads (when mlforecast is installed); WAPE, SMAPE, RMSE and seasonal naive's.
    Forecast {
        #[command(flatten)]
        gbdt: train::TrainBench,
        /// Days forecast from the cut-off.
        #[arg(long, default_value_t = 90)]
        horizon: usize,
    },
    /// A synthetic store of many runs and points: first frame of the Runs tab, a filter over all
    /// runs, ten long curves downsampled; beside MLflow's search_runs when mlflow is installed.
    /// With `--store postgres://…` (an empty database) the same runs are copied there and timed
    /// beside SQLite's, and MLflow's PostgreSQL backend store beside that.
    Store {
        #[arg(long, default_value_t = 10_000)]
        runs: usize,
        #[arg(long, default_value_t = 10_000_000)]
        points: usize,
        /// Runs in the MLflow store searched beside (creating them is slow).
        #[arg(long, default_value_t = 10_000)]
        mlflow_runs: usize,
    },
    /// The daemon's resident memory and CPU idle, then how late schedules every second start
    /// (p50, p99) and its CPU while they run.
    Daemon {
        /// Seconds idle (no schedule).
        #[arg(long, default_value_t = 60)]
        idle: u64,
        /// Seconds with the schedules firing.
        #[arg(long, default_value_t = 60)]
        busy: u64,
        /// Schedules, each every second.
        #[arg(long, default_value_t = 4)]
        schedules: usize,
    },
    /// POST /predict over loopback with keep-alive connections for a fixed time: requests/s and
    /// p50/p99, beside FastAPI + uvicorn serving the same sample model (when installed).
    Serve {
        #[arg(long, default_value_t = 16)]
        connections: usize,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
    },
    /// Drift of one period of a shared dataset against another (Rossmann 2014 against 2013, its
    /// 2015 against 2013-2014, store-item demand 2017 against 2016), beside Evidently's
    /// data-drift preset on the same rows (SHELFCAST_EVIDENTLY_PYTHON names its interpreter).
    Drift {
        #[arg(long, default_value = "../shared/data", value_name = "DIR")]
        data_dir: PathBuf,
        /// Repetitions of Shelfcast's check (the median is reported).
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// The monitor on the sample's drifted half-year beside NannyML's realized performance on
    /// the same predictions and weekly chunks (SHELFCAST_NANNYML_PYTHON names its interpreter).
    Monitor,
    /// The run view's metrics grid on a live 25,000-step run of 20 series: the frame time of
    /// each way of drawing it and of a live update (target: under 20 ms).
    Charts {
        #[arg(long, default_value_t = 25_000)]
        steps: usize,
    },
    /// A study's bookkeeping per trial (TPE and runs.db) on a trivial objective, beside Optuna's
    /// TPE with SQLite storage and in memory; then a real 50-trial study of gradient boosting on
    /// 200,000 Rossmann rows beside Optuna + LightGBM (when they are installed).
    Tune {
        #[arg(long, default_value_t = 1000)]
        trials: usize,
        #[command(flatten)]
        study: tune_study::StudyBench,
    },
    /// The MLflow bridge: import and export rates beside MLflow's own client logging the same
    /// runs with log_batch (SHELFCAST_MLFLOW_PYTHON names its interpreter).
    Mlflow {
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// The reading process of `bench metrics` (started by it).
    #[command(hide = true)]
    MetricsReader {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        run: i64,
        #[arg(long)]
        points: usize,
        /// Pause between full reads of the curves, in milliseconds (0: read without pause).
        #[arg(long)]
        every_ms: u64,
    },
}

/// A server started on `addr` that calls back with the address it bound, then serves until the
/// process ends.
pub type StartServer =
    fn(Project, SocketAddr, usize, Box<dyn FnOnce(SocketAddr) + Send>) -> anyhow::Result<()>;

/// A study view's open and first frame, and the median redraw of each of its charts.
pub type RunViewFrames = fn(
    &Project,
    crate::store::RunId,
    usize,
    &mut dyn FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<ChartFrames>;

/// The open and first frame, the charts a 4 × 4 grid holds, and each way of drawing (its name
/// and its frame times, sorted).
pub type ChartFrames = (Duration, usize, Vec<(&'static str, Vec<Duration>)>);

pub type StudyViewFrames =
    fn(&Project, crate::store::RunId, usize) -> anyhow::Result<(Duration, Vec<Duration>)>;

/// The other faces' entry points the benchmarks time, given by the dispatcher.
#[derive(Clone, Copy)]
pub struct Faces {
    /// Opens the TUI on `project`'s store, shows the Runs tab and draws one 160×45 frame, as
    /// the TUI does at start; returns how many runs the table lists.
    pub runs_first_frame: fn(&Project) -> anyhow::Result<usize>,
    /// Opens a study's run in the Runs tab on a 160×45 screen: the open and first frame, and
    /// the median redraw of each of its charts (redrawn N times).
    pub study_view_frames: StudyViewFrames,
    /// Opens a run in the run view on a 160×45 screen and times its metrics grid's frames.
    pub run_view_frames: RunViewFrames,
    /// `shelfcast serve --model sales@champion` with its default settings.
    pub serve_model: StartServer,
    /// The same stack answering a fixed body with no model (the project is not used).
    pub serve_floor: StartServer,
}

pub fn run(project: &Project, what: BenchCommand, faces: &Faces) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        say_err!("warning: this is a debug build; run `cargo run --release -- bench ...`");
    }
    match what {
        BenchCommand::Profile { file, repeat } => profile::bench_profile(&file, repeat.max(1)),
        BenchCommand::Metrics {
            points,
            batch,
            mlflow_points,
        } => metrics::bench_metrics(points, batch.max(1), mlflow_points),
        BenchCommand::Train(bench) => train::bench_train(&bench.checked()),
        BenchCommand::Store {
            runs,
            points,
            mlflow_runs,
        } => {
            let postgres = match project.store_location()? {
                crate::store::StoreLocation::Postgres(url) => Some(url),
                crate::store::StoreLocation::Sqlite(_) => None,
            };
            store::bench_store(
                runs.max(11),
                points,
                mlflow_runs,
                postgres.as_deref(),
                faces,
            )
        }
        BenchCommand::Forecast { gbdt, horizon } => {
            forecast::bench_forecast(&forecast::ForecastBench {
                gbdt: gbdt.checked(),
                horizon: horizon.max(1),
            })
        }
        BenchCommand::Daemon {
            idle,
            busy,
            schedules,
        } => daemon::bench_daemon(idle, busy, schedules.max(1)),
        BenchCommand::Serve {
            connections,
            seconds,
        } => serve::bench_serve(connections.max(1), seconds.max(1), faces),
        BenchCommand::Drift { data_dir, repeat } => drift::bench_drift(&data_dir, repeat.max(1)),
        BenchCommand::Monitor => monitor::bench_monitor(),
        BenchCommand::Charts { steps } => charts::bench_charts(steps.max(10), faces),
        BenchCommand::Tune { trials, study } => {
            tune::bench_tune(trials.max(1), faces)?;
            tune_study::bench_study(&study)
        }
        BenchCommand::Mlflow { runs } => mlflow::bench_mlflow(runs.max(1)),
        BenchCommand::MetricsReader {
            db,
            run,
            points,
            every_ms,
        } => metrics::reader(&db, run, points, every_ms),
    }
}

pub(super) fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

pub(super) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub(super) fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("shelfcast-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// An anchor's figure as a number (NaN when it printed none).
pub(super) fn figure(figures: &HashMap<String, String>, key: &str) -> f64 {
    figures
        .get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Peak resident set size (VmHWM) on Linux.
pub fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `benches/` of this checkout (benchmarks are run from a clone, with cargo).
pub(super) fn benches_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches")
}

/// Runs an anchor script with python3 and returns its `key=value` lines, or why it could not
/// measure: a `SKIP reason` line (the library is not installed), or no figures at all.
pub(super) fn run_python(script: &Path, args: &[&str]) -> Result<HashMap<String, String>, String> {
    run_python_with("python3", script, args)
}

/// `run_python` with another interpreter (a virtualenv's, for an anchor that needs one).
pub(super) fn run_python_with(
    python: &str,
    script: &Path,
    args: &[&str],
) -> Result<HashMap<String, String>, String> {
    let output = Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .map_err(|e| format!("{python} could not run: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(line) = stdout.lines().find(|l| l.starts_with("SKIP")) {
        return Err(line.trim_start_matches("SKIP").trim().to_string());
    }
    let figures: HashMap<String, String> = stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if figures.is_empty() || !output.status.success() {
        return Err(format!(
            "{} printed no figures:\n{stdout}{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(figures)
}
