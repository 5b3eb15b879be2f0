//! `shelfcast predictions prune`: the server's log retention from a script (or cron) — the
//! predictions `serve` logged, older than an age, deleted from the store. A thin face over
//! `RunStore::prune_predictions`; the age reads as `serve --log-retention` reads it.

use anyhow::bail;
use chrono::{SecondsFormat, Utc};
use clap::Subcommand;
use serde_json::json;

use crate::project::Project;
use crate::store::{Retention, parse_retention};

#[derive(Debug, Subcommand)]
pub enum PredictionsCommand {
    /// Delete logged predictions older than an age (what `serve --log-retention` does hourly).
    Prune {
        /// 12h, 7d, 30d, 2w.
        #[arg(long, default_value = "30d", value_name = "AGE", value_parser = parse_retention)]
        older_than: Retention,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(project: &Project, what: PredictionsCommand) -> anyhow::Result<()> {
    match what {
        PredictionsCommand::Prune { older_than, json } => prune(project, older_than, json),
    }
}

fn prune(project: &Project, older_than: Retention, json: bool) -> anyhow::Result<()> {
    let Some(before) = older_than.cutoff(Utc::now()) else {
        bail!("--older-than {older_than} would prune nothing; give an age such as 30d or 12h");
    };
    let mut store = project.open_store()?;
    let deleted = store.prune_predictions(before)?;
    let before = before.to_rfc3339_opts(SecondsFormat::Millis, true);
    if json {
        let report = json!({
            "deleted": deleted,
            "older_than": older_than.to_string(),
            "before": before,
        });
        say!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        say!(
            "deleted {deleted} logged prediction(s) from before {before} (older than {older_than})"
        );
    }
    Ok(())
}
