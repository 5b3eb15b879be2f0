//! `shelfcast import mlflow SOURCE` (a team's MLflow store, an SQLite `mlflow.db` or an `mlruns/`
//! folder, into this project's `runs.db`) and `shelfcast export mlflow --tracking-uri URI` (this
//! project's runs and registry onto an MLflow server), with a progress bar on stderr.

use crate::mlflow::{ExportOptions, ImportOptions, export_mlflow, import_mlflow, open_source};
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

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// Runs (and with --models the registry) onto an MLflow tracking server over its REST API.
    /// Exporting again updates, never duplicates. Authenticates as MLflow's client does
    /// (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD;
    /// MLFLOW_TRACKING_SERVER_CERT_PATH for a custom CA).
    Mlflow {
        /// The server, http(s)://HOST:PORT (default: MLFLOW_TRACKING_URI).
        #[arg(long)]
        tracking_uri: Option<String>,
        /// Every run into this experiment (default: each run's own experiment).
        #[arg(long)]
        experiment: Option<String>,
        /// Only the runs this filter keeps (the Runs tab's language).
        #[arg(long)]
        filter: Option<String>,
        /// Registered models too: versions with their files, and the aliases.
        #[arg(long)]
        models: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn export(project: &Project, what: &ExportCommand) -> anyhow::Result<()> {
    let ExportCommand::Mlflow {
        tracking_uri,
        experiment,
        filter,
        models,
        json,
    } = what;
    let uri = tracking_uri
        .clone()
        .or_else(|| std::env::var("MLFLOW_TRACKING_URI").ok())
        .ok_or_else(|| {
            anyhow::anyhow!("--tracking-uri http(s)://HOST:PORT (or MLFLOW_TRACKING_URI)")
        })?;
    let filter = match filter {
        Some(text) => {
            crate::store::parse_filter(text).map_err(|e| anyhow::anyhow!("--filter: {e}"))?
        }
        None => None,
    };
    let started = std::time::Instant::now();
    let report = export_mlflow(
        project,
        &ExportOptions {
            tracking_uri: uri.clone(),
            experiment: experiment.clone(),
            filter,
            models: *models,
        },
        &mut super::progress::bar("runs"),
    )?;
    let seconds = started.elapsed().as_secs_f64();
    if *json {
        say!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "tracking_uri": uri,
                "runs_created": report.created,
                "runs_updated": report.updated,
                "runs_unchanged": report.unchanged,
                "params": report.params,
                "tags": report.tags,
                "points": report.points,
                "calls": report.calls,
                "versions_created": report.versions_created,
                "versions_present": report.versions_present,
                "aliases_set": report.aliases_set,
                "files_uploaded": report.files_uploaded,
                "seconds": seconds,
                "notes": report.notes,
            }))?
        );
        return Ok(());
    }
    say!(
        "{uri}: {} run(s) created, {} updated, {} unchanged; {} params, {} metric points, {} calls \
         in {seconds:.1} s",
        report.created,
        report.updated,
        report.unchanged,
        report.params,
        report.points,
        report.calls
    );
    if *models {
        say!(
            "model versions: {} created ({} files uploaded), {} already there; {} alias(es) set",
            report.versions_created,
            report.files_uploaded,
            report.versions_present,
            report.aliases_set
        );
    }
    for note in &report.notes {
        say!("note: {note}");
    }
    Ok(())
}

pub fn import(project: &Project, what: &ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Mlflow {
        source,
        copy_artifacts,
        json,
    } = what;
    let opened = open_source(source)?;
    let started = std::time::Instant::now();
    let report = import_mlflow(
        project,
        opened.as_ref(),
        &ImportOptions {
            copy_artifacts: *copy_artifacts,
        },
        &mut super::progress::bar("runs"),
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
