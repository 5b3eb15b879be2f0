//! The command line: a thin face over the core. Output meant for scripts (`--json`) is stable
//! JSON on stdout; errors go to stderr with a non-zero exit code.

mod bench;
mod datasets;
mod train;

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
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal UI (the default).
    Tui,
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
    /// Ask a queued or running run to stop at its next step.
    Cancel { run: i64 },
    /// Follow a run until it ends and print its final metrics.
    Wait { run: i64 },
    /// Train one queued run (started detached by `train` and the TUI).
    #[command(hide = true)]
    Worker {
        #[arg(long)]
        run: i64,
    },
    /// Measure Shelfcast against its anchors and print the figures.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
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
    let project = Project::new(&cli.root);
    match cli.command.unwrap_or(Command::Tui) {
        Command::Tui => crate::tui::run(project),
        Command::Datasets { json } => datasets::list(&project, json),
        Command::Profile {
            file,
            json,
            no_cache,
        } => datasets::profile(&project, &file, json, !no_cache),
        Command::SampleData { out, seed } => datasets::sample_data(&project, out, seed),
        Command::Train(args) => train::train(&project, &args),
        Command::Cancel { run } => train::cancel(&project, run),
        Command::Wait { run } => train::follow(&project, run),
        Command::Worker { run } => train::worker(&project, run),
        Command::Bench { what } => bench::run(&project, what),
    }
}
