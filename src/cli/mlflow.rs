//! `shelfcast import mlflow SOURCE`: a team's MLflow store (an SQLite `mlflow.db` or an
//! `mlruns/` folder) into this project's `runs.db`, with a progress bar on stderr.

use std::io::IsTerminal;

use crate::mlflow::{ImportOptions, import_mlflow, open_source};
use crate::project::Project;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// An MLflow tracking store: experiments, runs, params, every metric point, tags,
    /// registered models with their versions and aliases. Importing again changes nothing
    /// unless MLflow's runs changed.
    Mlflow {
        /// mlflow.db (or sqlite:///PATH), or an mlruns/ folder.
        source: String,
        /// Copy each run's local artifacts into its run folder (default: kept by path).
        #[arg(long)]
        copy_artifacts: bool,
        /// Print the counts as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn import(project: &Project, what: &ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Mlflow {
        source,
        copy_artifacts,
        json,
    } = what;
    let opened = open_source(source)?;
    let started = std::time::Instant::now();
    let draw = std::io::stderr().is_terminal();
    let mut last_drawn = std::time::Instant::now();
    let report = import_mlflow(
        project,
        opened.as_ref(),
        &ImportOptions {
            copy_artifacts: *copy_artifacts,
        },
        &mut |done, total| {
            if draw && (done == total || last_drawn.elapsed().as_millis() >= 100) {
                last_drawn = std::time::Instant::now();
                let width = 30;
                let filled = (done * width).checked_div(total).unwrap_or(width);
                eprint!(
                    "\r[{}{}] {done}/{total} runs",
                    "#".repeat(filled),
                    "-".repeat(width - filled)
                );
                if done == total {
                    eprintln!();
                }
            }
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if *json {
        say!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "source": report.source,
                "experiments": report.experiments,
                "runs_created": report.created,
                "runs_updated": report.updated,
                "runs_unchanged": report.unchanged,
                "deleted_skipped": report.deleted_skipped,
                "params": report.params,
                "tags": report.tags,
                "points": report.points,
                "nan_points_left_out": report.nan_points,
                "versions_added": report.versions_added,
                "versions_present": report.versions_present,
                "aliases_moved": report.aliases_moved,
                "artifacts_copied": report.artifacts_copied,
                "seconds": seconds,
                "notes": report.notes,
            }))?
        );
        return Ok(());
    }
    say!("{}", report.source);
    say!(
        "{} run(s) imported, {} updated, {} unchanged ({} experiment(s)); read {} params, {} \
         tags, {} metric points",
        report.created,
        report.updated,
        report.unchanged,
        report.experiments,
        report.params,
        report.tags,
        report.points
    );
    let runs = report.created + report.updated + report.unchanged;
    if seconds > 0.0 {
        say!(
            "{:.1} s: {:.0} runs/s, {:.0} points/s",
            seconds,
            runs as f64 / seconds,
            report.points as f64 / seconds
        );
    }
    say!(
        "model versions: {} added, {} already there; {} alias move(s)",
        report.versions_added,
        report.versions_present,
        report.aliases_moved
    );
    if report.deleted_skipped > 0 {
        say!(
            "{} run(s) deleted in MLflow were left out",
            report.deleted_skipped
        );
    }
    if report.nan_points > 0 {
        say!(
            "{} NaN metric point(s) were left out: runs.db keeps numbers only",
            report.nan_points
        );
    }
    if *copy_artifacts {
        say!("{} artifact file(s) copied", report.artifacts_copied);
    }
    for note in &report.notes {
        say!("note: {note}");
    }
    Ok(())
}
