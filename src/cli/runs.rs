//! `shelfcast runs`, `run show`, `tag`, `rename`, `note`, `delete`: the runs table from a
//! script. A thin face over `store::query_runs` and friends.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use clap::Subcommand;
use serde_json::{Map, Value, json};

use crate::ml::artifact::MetricsFile;
use crate::project::Project;
use crate::store::{
    MetricValue, RunId, RunQuery, RunRow, RunSort, RunStore, SortKey, parse_filter,
};

use super::train::metric_text;
use crate::compare::export::csv_field;

/// Metric columns shown when none are asked for (those present).
const DEFAULT_METRICS: [&str; 4] = ["rmse", "r2", "roc_auc", "log_loss"];

#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// A filter: metrics.rmse < 900 and params.model = "gbdt" or (tags.team = 'fresh') ...
    #[arg(long, short)]
    pub filter: Option<String>,
    /// Sort by id, name, status, model, experiment, created, duration, metrics.KEY or
    /// params.KEY; add " desc" or start with '-' for descending.
    #[arg(long, short, default_value = "-id")]
    pub sort: String,
    /// Metric columns, comma-separated (default: rmse, r2, roc_auc, log_loss where present).
    #[arg(long, value_delimiter = ',')]
    pub metrics: Vec<String>,
    /// Param columns, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub params: Vec<String>,
    /// Metric columns show each run's best value (lowest loss, highest AUC) instead of the last.
    #[arg(long, conflicts_with = "step")]
    pub best: bool,
    /// Metric columns show the value logged at this step.
    #[arg(long, value_name = "N")]
    pub step: Option<i64>,
    #[arg(long)]
    pub experiment: Option<String>,
    /// Include deleted runs.
    #[arg(long)]
    pub deleted: bool,
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Subcommand)]
pub enum RunCommand {
    /// Everything about one run: status, params, tags, metrics, artifacts, importances.
    Show {
        run: RunId,
        #[arg(long)]
        json: bool,
    },
}

/// Parses a sort key as typed: `metrics.rmse`, `-metrics.rmse`, `metrics.rmse desc`.
pub fn parse_sort(text: &str) -> anyhow::Result<RunSort> {
    let text = text.trim();
    let (text, mut descending) = match text.strip_prefix('-') {
        Some(rest) => (rest.trim(), true),
        None => (text, false),
    };
    let mut words = text.split_whitespace();
    let key = words.next().unwrap_or("id");
    match words.next().map(str::to_ascii_lowercase).as_deref() {
        Some("desc") => descending = true,
        Some("asc") => descending = false,
        Some(other) => bail!("sort '{text}': '{other}' is neither asc nor desc"),
        None => {}
    }
    let lower = key.to_ascii_lowercase();
    let key = if let Some(metric) = lower.strip_prefix("metrics.") {
        SortKey::Metric(key[key.len() - metric.len()..].to_string())
    } else if let Some(param) = lower.strip_prefix("params.") {
        SortKey::Param(key[key.len() - param.len()..].to_string())
    } else {
        match lower.as_str() {
            "id" => SortKey::Id,
            "name" => SortKey::Name,
            "status" => SortKey::Status,
            "model" => SortKey::Model,
            "experiment" => SortKey::Experiment,
            "created" | "start" => SortKey::Created,
            "duration" => SortKey::Duration,
            other => bail!(
                "sort key '{other}': expected id, name, status, model, experiment, created, \
                 duration, metrics.KEY or params.KEY"
            ),
        }
    };
    Ok(RunSort { key, descending })
}

/// The store for reading, with the runs whose Slurm jobs ended badly ended first (when the
/// store can be written), so what is listed is what the scheduler says.
fn open_with_slurm_news(project: &Project) -> anyhow::Result<crate::store::RunStore> {
    let (mut store, _) = project.open_store_for_reading()?;
    if !store.is_read_only() {
        crate::jobs::slurm::reconcile(project, &mut store)?;
    }
    Ok(store)
}

pub fn list(project: &Project, args: &RunsArgs) -> anyhow::Result<()> {
    let store = open_with_slurm_news(project)?;
    let filter = match &args.filter {
        Some(text) => parse_filter(text).map_err(|e| {
            // Point at the mistake under the filter as typed.
            anyhow::anyhow!(
                "filter: {e}\n  {text}\n  {}^",
                " ".repeat(e.column.saturating_sub(1))
            )
        })?,
        None => None,
    };
    if let Some(filter) = &filter {
        for unknown in store.unknown_filter_keys(filter)? {
            say_err!("warning: {unknown}");
        }
    }
    let metrics = if args.metrics.is_empty() {
        let known = store.metric_key_names()?;
        DEFAULT_METRICS
            .iter()
            .filter(|m| known.iter().any(|k| k == *m))
            .map(|m| m.to_string())
            .collect()
    } else {
        args.metrics.clone()
    };
    let rows = store.query_runs(&RunQuery {
        filter,
        experiment: args.experiment.clone(),
        include_deleted: args.deleted,
        sort: parse_sort(&args.sort)?,
        metrics: metrics.clone(),
        metric_value: match (args.best, args.step) {
            (_, Some(step)) => MetricValue::AtStep(step),
            (true, None) => MetricValue::Best,
            (false, None) => MetricValue::Last,
        },
        params: args.params.clone(),
    })?;
    if args.json {
        let out: Vec<Value> = rows
            .iter()
            .map(|r| row_json(r, &metrics, &args.params))
            .collect();
        say!("{}", serde_json::to_string_pretty(&out)?);
    } else if args.csv {
        print_csv(&rows, &metrics, &args.params)?;
    } else {
        print_table(&rows, &metrics, &args.params);
    }
    Ok(())
}

fn row_json(row: &RunRow, metrics: &[String], params: &[String]) -> Value {
    let mut value = serde_json::to_value(&row.run).unwrap_or(Value::Null);
    let mut metric_map = Map::new();
    for (key, v) in metrics.iter().zip(&row.metrics) {
        metric_map.insert(key.clone(), v.map_or(Value::Null, Value::from));
    }
    let mut param_map = Map::new();
    for (key, v) in params.iter().zip(&row.params) {
        param_map.insert(key.clone(), v.clone().map_or(Value::Null, Value::from));
    }
    if let Value::Object(map) = &mut value {
        map.insert("metrics".into(), Value::Object(metric_map));
        map.insert("params".into(), Value::Object(param_map));
        map.insert("last_step".into(), json!(row.last_step));
        map.insert("dataset".into(), json!(row.dataset));
    }
    value
}

fn print_csv(rows: &[RunRow], metrics: &[String], params: &[String]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut header = vec![
        "id".to_string(),
        "experiment".into(),
        "name".into(),
        "status".into(),
        "model".into(),
        "created".into(),
        "started".into(),
        "ended".into(),
    ];
    header.extend(metrics.iter().map(|m| format!("metrics.{m}")));
    header.extend(params.iter().map(|p| format!("params.{p}")));
    // CSV is for scripts, but it reaches terminals too: no control byte from the data passes.
    let safe = crate::data::printable::terminal_safe;
    writeln!(
        out,
        "{}",
        safe(
            &header
                .iter()
                .map(|h| csv_field(h))
                .collect::<Vec<_>>()
                .join(",")
        )
    )?;
    for row in rows {
        let run = &row.run;
        let mut fields = vec![
            run.id.to_string(),
            run.experiment.clone(),
            run.name.clone(),
            run.status.as_str().to_string(),
            run.model_kind.clone(),
            run.created_at.clone(),
            run.started_at.clone().unwrap_or_default(),
            run.ended_at.clone().unwrap_or_default(),
        ];
        fields.extend(
            row.metrics
                .iter()
                .map(|v| v.map(|v| v.to_string()).unwrap_or_default()),
        );
        fields.extend(row.params.iter().map(|v| v.clone().unwrap_or_default()));
        writeln!(
            out,
            "{}",
            safe(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        )?;
    }
    Ok(())
}

fn print_table(rows: &[RunRow], metrics: &[String], params: &[String]) {
    let mut header = format!(
        "{:>6}  {:<9} {:<14} {:<28} {:<14}",
        "id", "status", "experiment", "name", "model"
    );
    for m in metrics {
        header.push_str(&format!(" {m:>12}"));
    }
    for p in params {
        header.push_str(&format!(" {p:>14}"));
    }
    say!("{header}");
    for row in rows {
        let run = &row.run;
        let mut line = format!(
            "{:>6}  {:<9} {:<14} {:<28} {:<14}",
            run.id,
            run.status.as_str(),
            clip(&run.experiment, 14),
            clip(&run.name, 28),
            clip(&run.model_kind, 14)
        );
        for v in &row.metrics {
            line.push_str(&format!(" {:>12}", v.map_or("-".to_string(), metric_text)));
        }
        for v in &row.params {
            line.push_str(&format!(" {:>14}", clip(v.as_deref().unwrap_or("-"), 14)));
        }
        if run.deleted_at.is_some() {
            line.push_str("  (deleted)");
        }
        say!("{line}");
    }
    say_err!("{} run(s)", rows.len());
}

fn clip(text: &str, width: usize) -> String {
    crate::data::printable::printable_capped(text, width)
}

/// One run as JSON: the run, params, tags, metric summaries, artifacts and saved metrics.
pub fn run_json(project: &Project, store: &RunStore, id: RunId) -> anyhow::Result<Value> {
    let run = store.get_run(id)?;
    let pairs = |pairs: Vec<(String, String)>| {
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect(),
        )
    };
    let saved: Option<MetricsFile> = std::fs::read(project.run_model_dir(id).join("metrics.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    Ok(json!({
        "run": run,
        "params": pairs(store.params(id)?),
        "tags": pairs(store.tags(id)?),
        "metrics": store.metric_summaries(id)?,
        "artifacts": store.artifacts(id)?,
        "evaluation": saved,
    }))
}

pub fn run_command(project: &Project, command: RunCommand) -> anyhow::Result<()> {
    match command {
        RunCommand::Show { run, json } => {
            let store = open_with_slurm_news(project)?;
            let value = run_json(project, &store, run)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(());
            }
            let record = store.get_run(run)?;
            say!(
                "run {} {} — {} ({} · {} · experiment {})",
                record.id,
                record.name,
                record.status.as_str(),
                record.model_kind,
                record.task,
                record.experiment
            );
            for (label, value) in [
                ("created", Some(record.created_at.clone())),
                ("started", record.started_at.clone()),
                ("ended", record.ended_at.clone()),
                ("error", record.error.clone()),
                ("note", record.note.clone()),
                ("deleted", record.deleted_at.clone()),
                (
                    "slurm",
                    record.slurm_job_id.as_ref().map(|job| {
                        if record.status.is_terminal() {
                            format!("job {job}")
                        } else {
                            match crate::jobs::slurm::queue_state(job) {
                                Ok(state) => format!("job {job}: {}", state.describe()),
                                Err(why) => format!("job {job}: {why}"),
                            }
                        }
                    }),
                ),
                (
                    "by",
                    crate::store::Launcher::describe(
                        record.launched_by.as_deref(),
                        record.launched_on.as_deref(),
                    ),
                ),
            ] {
                if let Some(value) = value {
                    say!("  {label:<8} {value}");
                }
            }
            say!("params");
            for (k, v) in store.params(run)? {
                say!("  {k:<24} {v}");
            }
            say!("tags");
            for (k, v) in store.tags(run)? {
                say!("  {k:<24} {v}");
            }
            say!("metrics (last / min / max over points)");
            for s in store.metric_summaries(run)? {
                let text = |v: Option<f64>| v.map_or("-".into(), metric_text);
                say!(
                    "  {:<18} {:>12} {:>12} {:>12}  {} point(s) to step {}",
                    s.key,
                    text(s.last_value),
                    text(s.min_value),
                    text(s.max_value),
                    s.points,
                    s.last_step.map_or("-".into(), |v| v.to_string())
                );
            }
            say!("artifacts");
            for a in store.artifacts(run)? {
                say!("  {:<48} {:>10} B  sha256 {}", a.path, a.bytes, a.sha256);
            }
            Ok(())
        }
    }
}

pub fn tag(project: &Project, run: RunId, pairs: &[String]) -> anyhow::Result<()> {
    let mut parsed = Vec::new();
    for text in pairs {
        match text.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => parsed.push((k.trim(), v.trim())),
            _ => bail!("tag '{text}': expected KEY=VALUE"),
        }
    }
    let mut store = project.open_store()?;
    store.get_run(run)?;
    store.set_tags(run, &parsed)?;
    say!("run {run}: {} tag(s) set", parsed.len());
    Ok(())
}

pub fn rename(project: &Project, run: RunId, name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() {
        bail!("a run name cannot be empty");
    }
    project.open_store()?.rename_run(run, name.trim())?;
    say!("run {run} is now '{}'", name.trim());
    Ok(())
}

pub fn note(project: &Project, run: RunId, text: &str) -> anyhow::Result<()> {
    let text = text.trim();
    project
        .open_store()?
        .set_note(run, (!text.is_empty()).then_some(text))?;
    say!(
        "run {run}: note {}",
        if text.is_empty() { "cleared" } else { "set" }
    );
    Ok(())
}

/// Asks on the terminal; `yes` answers for scripts. Without a terminal and without `yes`, it
/// refuses rather than guess.
fn confirm(question: &str, yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!("{question} needs a yes: run in a terminal to be asked, or pass --yes");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the answer")?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Deletes softly after asking (or with `yes`); `purge` then removes every deleted run for
/// good, after asking again.
pub fn delete(project: &Project, runs: &[RunId], yes: bool, purge: bool) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    for &run in runs {
        let record = store.get_run(run)?;
        if !record.status.is_terminal() {
            bail!(
                "run {run} is {}; cancel it first (shelfcast cancel {run})",
                record.status.as_str()
            );
        }
    }
    if !runs.is_empty() {
        if !confirm(
            &format!("delete run(s) {runs:?} (recoverable until purged)?"),
            yes,
        )? {
            say!("nothing deleted");
            return Ok(());
        }
        for &run in runs {
            store.delete_run(run)?;
            say!("run {run} deleted (restore it with `shelfcast restore {run}`)");
        }
    }
    if purge {
        if !confirm(
            "purge every deleted run for good (params, metrics, files)?",
            yes,
        )? {
            say!("nothing purged");
            return Ok(());
        }
        let purged = store.purge_deleted()?;
        for run in &purged {
            let dir = project.run_dir(*run);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("removing {}", dir.display()))?;
            }
        }
        say!("{} deleted run(s) purged", purged.len());
    }
    Ok(())
}

pub fn restore(project: &Project, run: RunId) -> anyhow::Result<()> {
    project.open_store()?.restore_run(run)?;
    say!("run {run} restored");
    Ok(())
}
