//! The command line: a thin face over the core. Output meant for scripts (`--json`) is stable
//! JSON on stdout; errors go to stderr with a non-zero exit code.

mod backtest;
mod challenge;
mod compare;
mod daemon;
mod datasets;
mod drift;
mod forecast;
mod mlflow;
mod models;
mod monitor;
mod predict;
mod predictions;
mod progress;
mod runs;
mod schedule;
mod schedule_job;
mod store;
mod train;
mod tune;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::project::Project;

#[derive(Debug, Parser)]
#[command(
    name = "shelfcast",
    version,
    about = "Train, watch, compare, register, serve and monitor sales-forecasting models.",
    long_about = None
)]
pub struct Cli {
    /// The project folder (holds data/, models/ and runs.db).
    #[arg(long, global = true, default_value = ".", value_name = "DIR")]
    pub root: PathBuf,
    /// Cell texts read as missing, comma-separated (default: shelfcast.toml's [data] na_values,
    /// else pandas' list: NA, N/A, NULL, null, NaN, #N/A, …). The empty cell is always missing.
    #[arg(long, global = true, value_name = "TOKENS")]
    pub na_values: Option<String>,
    /// The run store: postgres://user@host/database (one shared by a team) or sqlite:PATH
    /// (default: $SHELFCAST_STORE, else shelfcast.toml's [store] url, else DIR/runs.db).
    #[arg(long, global = true, value_name = "URL")]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal UI (the default).
    Tui,
    /// The TUI's keys: every action of every tab with its default keys, and whether the
    /// overrides file (`$SHELFCAST_KEYS`, else ~/.config/shelfcast/keys.toml) reads. Copy the
    /// lines to change into that file: `[runs]` then `filter = ["/", "f"]`.
    Keys {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// List the datasets in data/ with their shape (profiling them if needed).
    Datasets {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Profile one CSV or Parquet file: schema, missing values, statistics, top values.
    Profile {
        file: PathBuf,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
        /// Recompute even if runs.db holds a profile of these bytes.
        #[arg(long)]
        no_cache: bool,
    },
    /// Write the deterministic sample datasets.
    SampleData {
        /// Where to write (default: the project's data/ folder).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = crate::data::sample::DEFAULT_SEED)]
        seed: u64,
    },
    /// Validate and launch a training run in a detached worker; prints the run id.
    Train(Box<train::TrainArgs>),
    /// A rolling-origin backtest: K refits at successive cut-offs, each a child run scored over
    /// the H periods after it; the backtest pools them (per-step errors and intervals).
    Backtest(Box<backtest::BacktestArgs>),
    /// A tuning study: the train options with --space, --trials, --parallel, --sampler,
    /// --pruner; each trial a child run; --resume STUDY goes on after a stop.
    Tune(Box<tune::TuneArgs>),
    /// Every tuning study (budget, trials by state, best); with a name, its trials.
    Studies {
        name: Option<String>,
        #[arg(long)]
        json: bool,
        /// With a study's name: write its charts (best so far, parallel coordinates, a slice
        /// per parameter) to this SVG file.
        #[arg(long, value_name = "FILE", requires = "name")]
        svg: Option<std::path::PathBuf>,
    },
    /// The schedules the daemon runs: add (cron, interval or file trigger, and a job), list,
    /// pause, resume, remove, run now, history.
    Schedule {
        #[command(subcommand)]
        what: schedule::ScheduleCommand,
    },
    /// Train a challenger like NAME's champion on new data and promote it only if it wins on
    /// the same hold-out by the margin (and, with --dm, a Diebold-Mariano test).
    Challenge {
        name: String,
        #[arg(long, value_name = "FILE")]
        data: std::path::PathBuf,
        /// The relative WAPE improvement required, in percent.
        #[arg(long, default_value_t = 2.0)]
        margin: f64,
        #[arg(long)]
        dm: bool,
        #[arg(long)]
        json: bool,
    },
    /// Bring another tracker's history in: `import mlflow SOURCE`.
    Import {
        #[command(subcommand)]
        what: mlflow::ImportCommand,
    },
    /// Send this project's history to another tracker: `export mlflow --tracking-uri URI`.
    Export {
        #[command(subcommand)]
        what: mlflow::ExportCommand,
    },
    /// What happened: match a file of actuals to what a model predicted.
    Actuals {
        #[command(subcommand)]
        what: monitor::ActualsCommand,
    },
    /// A model's error per period (and version, step, segment) against the actuals, beside the
    /// reference band from its validation, with alerts. Exit code 4 on an alert with
    /// --fail-on-alert.
    Monitor(Box<monitor::MonitorArgs>),
    /// The run store itself: `store copy --from URL --to URL` moves a history between SQLite
    /// and PostgreSQL.
    Store {
        #[command(subcommand)]
        what: store::StoreCommand,
    },
    /// The project's daemon: start, stop, status, run (foreground), install (systemd).
    Daemon {
        #[command(subcommand)]
        what: daemon::DaemonCommand,
    },
    /// Ask a queued or running run to stop at its next step.
    Cancel { run: i64 },
    /// Follow a run until it ends and print its final metrics.
    Wait { run: i64 },
    /// Train one queued run (started detached by `train` and the TUI).
    #[command(hide = true)]
    Worker {
        #[arg(long, required_unless_present = "next_trial_of")]
        run: Option<i64>,
        /// As a task of study run N's Slurm job array: train the study's next queued trial.
        #[arg(long, conflicts_with = "run")]
        next_trial_of: Option<i64>,
    },
    /// List runs: filter, sort, metric and param columns; a table, --json or --csv.
    Runs(Box<runs::RunsArgs>),
    /// One run in detail.
    Run {
        #[command(subcommand)]
        what: runs::RunCommand,
    },
    /// Compare runs: params that differ, metrics with the best marked, importances, curves.
    Compare(Box<compare::CompareArgs>),
    /// Set tags on a run: KEY=VALUE ...
    Tag {
        run: i64,
        #[arg(required = true, value_name = "KEY=VALUE")]
        pairs: Vec<String>,
    },
    /// Rename a run.
    Rename { run: i64, name: String },
    /// Set a run's note (an empty text clears it).
    Note { run: i64, text: String },
    /// Delete runs (softly: `restore` brings them back until `--purge`). Asks first.
    Delete {
        runs: Vec<i64>,
        /// Do not ask (for scripts).
        #[arg(long)]
        yes: bool,
        /// Remove every deleted run for good, with its files.
        #[arg(long)]
        purge: bool,
    },
    /// Bring back a deleted run.
    Restore { run: i64 },
    /// The registered models: versions, aliases, metrics (--json adds the alias history).
    Models {
        #[arg(long)]
        json: bool,
    },
    /// Register a finished run's model as the next version of a named model.
    Register {
        run: i64,
        #[arg(long)]
        model: String,
        /// Give the new version this alias (champion or challenger).
        #[arg(long)]
        alias: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Point an alias (champion, challenger) at a version: promotion or rollback.
    Alias {
        model: String,
        alias: String,
        version: i64,
        /// Why, kept in the alias history.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Archive a version (it stays listed but takes no alias).
    Archive { model: String, version: i64 },
    /// Predict with a registered model: one --record JSON, or --input FILE --output FILE.
    Predict(Box<predict::PredictArgs>),
    /// The next H periods of every series of a lag model, with an interval per step, written
    /// to a CSV or Parquet file.
    Forecast(Box<forecast::ForecastArgs>),
    /// Serve a model over HTTP: POST /predict, GET /health, /models, /openapi.json.
    Serve {
        /// NAME@champion (default), NAME@challenger, NAME:VERSION or NAME.
        #[arg(long)]
        model: String,
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Bind an address other than loopback (exposes the model to the network).
        #[arg(long)]
        allow_remote: bool,
        /// Largest request body, in bytes.
        #[arg(long, default_value_t = 1_048_576)]
        body_limit: usize,
        /// Delete logged predictions older than this, at startup and hourly: 12h, 7d, 30d, 2w;
        /// 0 or keep keeps them all.
        #[arg(
            long,
            default_value = "30d",
            value_name = "AGE",
            value_parser = crate::store::parse_retention
        )]
        log_retention: crate::store::Retention,
    },
    /// The predictions the HTTP endpoint logged: prune old ones.
    Predictions {
        #[command(subcommand)]
        what: predictions::PredictionsCommand,
    },
    /// Drift between a reference and a current dataset: a test per column, the dataset verdict,
    /// an HTML report under reports/. Exit code 3 on dataset drift with --fail-on-drift.
    Drift(Box<drift::DriftArgs>),
    /// Load a model (NAME, NAME@champion, NAME:3) with every checksum checked.
    CheckModel { model: String },
    /// Measure Shelfcast against its anchors and print the figures.
    Bench {
        #[command(subcommand)]
        what: crate::bench::BenchCommand,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.downcast_ref::<drift::DatasetDrift>().is_some() => {
            say_err!("{error}");
            ExitCode::from(3)
        }
        Err(error) if error.downcast_ref::<monitor::AlertRaised>().is_some() => {
            say_err!("{error}");
            ExitCode::from(4)
        }
        Err(error) => {
            say_err!("error: {}", error_text(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: a cause whose text the message already holds (an
/// error that prints its source inside its own message) is not repeated.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // A mistyped --root must not quietly become a new project full of sample data.
    if !cli.root.is_dir() {
        anyhow::bail!(
            "the project folder {} does not exist; create it or pass --root with an existing \
             folder",
            cli.root.display()
        );
    }
    let mut project = Project::new(&cli.root);
    if let Some(tokens) = &cli.na_values {
        project = project.with_read_options(crate::data::ReadOptions::from_list(tokens));
    }
    if let Some(url) = &cli.store {
        project = project.with_store(url);
    }
    match cli.command.unwrap_or(Command::Tui) {
        Command::Tui => crate::tui::run(project),
        Command::Keys { json } => crate::tui::print_keys(json),
        Command::Datasets { json } => datasets::list(&project, json),
        Command::Profile {
            file,
            json,
            no_cache,
        } => datasets::profile(&project, &file, json, !no_cache),
        Command::SampleData { out, seed } => datasets::sample_data(&project, out, seed),
        Command::Train(args) => train::train(&project, &args),
        Command::Backtest(args) => backtest::backtest(&project, &args),
        Command::Tune(args) => tune::tune(&project, &args),
        Command::Studies { name, json, svg } => {
            tune::studies(&project, name.as_deref(), json, svg.as_deref())
        }
        Command::Schedule { what } => schedule::schedule(&project, &what),
        Command::Challenge {
            name,
            data,
            margin,
            dm,
            json,
        } => challenge::challenge(&project, &name, &data, margin, dm, json),
        Command::Daemon { what } => daemon::daemon(&project, &what),
        Command::Store { what } => store::store(&project, &what),
        Command::Import { what } => mlflow::import(&project, &what),
        Command::Export { what } => mlflow::export(&project, &what),
        Command::Actuals { what } => monitor::actuals(&project, &what),
        Command::Monitor(args) => monitor::monitor_command(&project, &args),
        Command::Cancel { run } => train::cancel(&project, run),
        Command::Wait { run } => train::follow(&project, run),
        Command::Worker { run, next_trial_of } => match (run, next_trial_of) {
            (_, Some(study_run)) => train::array_task(&project, study_run),
            (Some(run), None) => train::worker(&project, run),
            (None, None) => anyhow::bail!("give --run ID or --next-trial-of STUDY_RUN"),
        },
        Command::Runs(args) => runs::list(&project, &args),
        Command::Run { what } => runs::run_command(&project, what),
        Command::Compare(args) => compare::compare(&project, &args),
        Command::Tag { run, pairs } => runs::tag(&project, run, &pairs),
        Command::Rename { run, name } => runs::rename(&project, run, &name),
        Command::Note { run, text } => runs::note(&project, run, &text),
        Command::Delete { runs, yes, purge } => {
            if runs.is_empty() && !purge {
                anyhow::bail!("name the runs to delete (or --purge to remove deleted runs)");
            }
            runs::delete(&project, &runs, yes, purge)
        }
        Command::Restore { run } => runs::restore(&project, run),
        Command::Models { json } => models::list(&project, json),
        Command::Register {
            run,
            model,
            alias,
            description,
        } => models::register(
            &project,
            run,
            &model,
            alias.as_deref(),
            description.as_deref(),
        ),
        Command::Alias {
            model,
            alias,
            version,
            reason,
        } => models::alias(&project, &model, &alias, version, reason.as_deref()),
        Command::Archive { model, version } => models::archive(&project, &model, version),
        Command::CheckModel { model } => models::check(&project, &model),
        Command::Predict(args) => predict::predict(&project, &args),
        Command::Forecast(args) => forecast::forecast(&project, &args),
        Command::Drift(args) => drift::drift(&project, &args),
        Command::Serve {
            model,
            addr,
            allow_remote,
            body_limit,
            log_retention,
        } => serve(
            project,
            crate::serve::ServeOptions {
                model: parse_served(&model)?,
                addr,
                allow_remote,
                body_limit,
                log_retention,
            },
        ),
        Command::Predictions { what } => predictions::run(&project, what),
        Command::Bench { what } => crate::bench::run(&project, what, &bench_faces()),
    }
}

/// `--model` as `serve` reads it: a bare NAME means NAME@champion.
fn parse_served(model: &str) -> anyhow::Result<crate::registry::ModelRef> {
    Ok(if model.contains('@') || model.contains(':') {
        crate::registry::ModelRef::parse(model)?
    } else {
        crate::registry::ModelRef::parse(&format!("{model}@champion"))?
    })
}

fn serve(project: Project, options: crate::serve::ServeOptions) -> anyhow::Result<()> {
    let reference = options.model.clone();
    let retention = options.log_retention;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(crate::serve::serve(project, options, |bound| {
        // The first line is the address, for scripts and tests that asked for port 0.
        say!("listening on http://{bound}");
        say_err!("serving {reference}; POST /predict, GET /health, /models, /openapi.json");
        match retention {
            crate::store::Retention::Forever => {
                say_err!("logged predictions are kept forever (--log-retention keep)");
            }
            crate::store::Retention::For(_) => {
                say_err!("logged predictions older than {retention} are pruned hourly");
            }
        }
    }))?;
    Ok(())
}

/// The entry points of the TUI and the server that the benchmarks time: the dispatcher is the
/// one place that names every face.
fn bench_faces() -> crate::bench::Faces {
    crate::bench::Faces {
        runs_first_frame: crate::tui::timing::runs_first_frame,
        study_view_frames: crate::tui::timing::study_view_frames,
        run_view_frames: crate::tui::timing::run_view_frames,
        serve_model: |project, addr, body_limit, on_ready| {
            let options = crate::serve::ServeOptions {
                model: crate::registry::ModelRef::Alias("sales".into(), "champion".into()),
                addr,
                allow_remote: false,
                body_limit,
                // As `shelfcast serve` runs by default: 30 days.
                log_retention: crate::store::Retention::For(std::time::Duration::from_secs(
                    30 * 24 * 3600,
                )),
            };
            Ok(crate::serve::serve_blocking(project, options, on_ready)?)
        },
        serve_floor: |_, addr, body_limit, on_ready| {
            Ok(crate::serve::serve_floor_blocking(
                addr, body_limit, on_ready,
            )?)
        },
    }
}
