//! `shelfcast actuals add FILE` and `shelfcast monitor --model NAME`: a thin face over `monitor`.
//! Under `--fail-on-alert` an alert exits with code 4 (`main`), after the report is printed and
//! written.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::monitor::actuals::{ActualsRequest, add_actuals};
use crate::monitor::score::{Period, Watched};
use crate::monitor::{MonitorRequest, monitor};
use crate::project::Project;
use crate::text::{Precision, format_number};

#[derive(Debug, Subcommand)]
pub enum ActualsCommand {
    /// Match a file of actuals to what the model predicted for the same series and dates.
    Add(ActualsArgs),
}

#[derive(Debug, Args)]
pub struct ActualsArgs {
    pub file: PathBuf,
    /// The model whose predictions they score (default: the only registered model).
    #[arg(long)]
    pub model: Option<String>,
    /// The series key columns (default: the model's).
    #[arg(long, value_delimiter = ',')]
    pub keys: Option<Vec<String>>,
    /// The date column (default: the model's).
    #[arg(long)]
    pub date: Option<String>,
    /// The actual value's column (default: the model's target).
    #[arg(long)]
    pub target: Option<String>,
    /// Replace actuals already stored with the file's different values (a corrected file);
    /// without it they are kept and the differences reported.
    #[arg(long)]
    pub replace: bool,
    /// Print the counts and examples as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// NAME (every version's predictions), NAME@champion or NAME:VERSION (that version's);
    /// default: the only registered model.
    #[arg(long)]
    pub model: Option<String>,
    /// Periods: day, week (Monday to Sunday) or month.
    #[arg(long, default_value = "week")]
    pub by: String,
    /// A series key column (store_id): scores per value, worst first.
    #[arg(long)]
    pub segment: Option<String>,
    /// Only this value of --segment.
    #[arg(long, requires = "segment")]
    pub value: Option<String>,
    /// The first target date scored (YYYY-MM-DD).
    #[arg(long)]
    pub since: Option<String>,
    /// The score the band and alerts watch: wape, mae or rmse.
    #[arg(long, default_value = "wape")]
    pub metric: String,
    /// The band's half width in standard deviations of the reference periods.
    #[arg(long, default_value_t = 3.0, allow_hyphen_values = true)]
    pub sigma: f64,
    /// Periods in a row above the band that raise an alert.
    #[arg(long, default_value = "2", allow_hyphen_values = true)]
    pub consecutive: String,
    /// An alert when the live WAPE is worse than the validation's by more than this, in percent.
    #[arg(long, default_value_t = 25.0, allow_hyphen_values = true)]
    pub degrade: f64,
    /// Print the whole report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the standalone HTML report here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Exit with code 4 when an alert is raised.
    #[arg(long)]
    pub fail_on_alert: bool,
}

/// An alert under `--fail-on-alert`: `main` turns it into exit code 4.
#[derive(Debug, thiserror::Error)]
#[error("{count} alert(s) on {model}: {first}")]
pub struct AlertRaised {
    pub model: String,
    pub count: usize,
    pub first: String,
}

/// The model named, or the only registered one.
fn model_name(project: &Project, given: Option<&str>) -> anyhow::Result<String> {
    if let Some(name) = given {
        return Ok(name.to_string());
    }
    let store = project.open_store()?;
    let mut names: Vec<String> = store
        .model_versions(None)?
        .into_iter()
        .map(|v| v.model_name)
        .collect();
    names.sort();
    names.dedup();
    match names.as_slice() {
        [only] => Ok(only.clone()),
        [] => anyhow::bail!("no registered model: `shelfcast register RUN --model NAME` makes one"),
        many => anyhow::bail!("--model NAME: which model? there are {}", many.join(", ")),
    }
}

pub fn actuals(project: &Project, command: &ActualsCommand) -> anyhow::Result<()> {
    let ActualsCommand::Add(args) = command;
    let mut store = project.open_store()?;
    // Actuals belong to the model, whichever version predicted: NAME@champion means NAME.
    let named = model_name(project, args.model.as_deref())?;
    let request = ActualsRequest {
        model: crate::registry::ModelRef::parse(&named)?
            .model()
            .to_string(),
        file: project.locate(&args.file),
        keys: args.keys.clone(),
        date: args.date.clone(),
        target: args.target.clone(),
        replace: args.replace,
    };
    let options = project.read_options()?;
    let report = add_actuals(&mut store, &request, &options)?;
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    say!(
        "{}: {} rows, {} matched to {}'s predictions ({} new, {} unchanged, {} corrected, {} kept \
         against a different value)",
        report.file,
        report.rows,
        report.matched,
        request.model,
        report.stored.inserted,
        report.stored.unchanged,
        report.stored.corrected,
        report.stored.conflicting
    );
    let not_scored = [
        (report.bad_rows, "bad row(s)"),
        (report.unknown_series, "row(s) of series never predicted"),
        (
            report.dates_never_predicted,
            "row(s) of dates never predicted",
        ),
        (report.duplicates, "duplicate row(s)"),
    ];
    for (count, what) in not_scored {
        if count > 0 {
            say_err!("  {count} {what}");
        }
    }
    for example in &report.examples {
        say_err!("  {example}");
    }
    if report.stored.conflicting > 0 {
        say_err!(
            "  {} actual(s) already stored with another value were kept (--replace takes the \
             file's):",
            report.stored.conflicting
        );
    }
    for (series, date, stored, given) in &report.stored.differences {
        say_err!("  {series} on {date}: stored {stored}, the file has {given}");
    }
    Ok(())
}

fn number(value: f64) -> String {
    format_number(value, Precision::Score)
}

pub fn monitor_command(project: &Project, args: &MonitorArgs) -> anyhow::Result<()> {
    let store = project.open_store()?;
    let named = model_name(project, args.model.as_deref())?;
    let (model, version) = match crate::registry::ModelRef::parse(&named)? {
        crate::registry::ModelRef::Latest(name) => (name, None),
        reference => {
            let version = crate::registry::resolve(&store, &reference)?;
            (version.model_name, Some(version.version))
        }
    };
    let consecutive = args
        .consecutive
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|k| *k >= 1)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--consecutive {}: expected a whole number of periods, 1 or more",
                args.consecutive
            )
        })?;
    if !args.degrade.is_finite() || args.degrade < 0.0 {
        anyhow::bail!(
            "--degrade {}: expected a percentage, 0 or more",
            args.degrade
        );
    }
    if let Some(path) = &args.html
        && path.is_dir()
    {
        anyhow::bail!(
            "--html {}: a folder; give the report's file name (report.html)",
            path.display()
        );
    }
    if let Some(since) = &args.since
        && chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d").is_err()
    {
        anyhow::bail!("--since {since}: expected a date, YYYY-MM-DD");
    }
    if !args.sigma.is_finite() || args.sigma <= 0.0 {
        anyhow::bail!("--sigma {}: expected a positive number", args.sigma);
    }
    let request = MonitorRequest {
        by: Period::parse(&args.by).map_err(anyhow::Error::msg)?,
        segment: args.segment.clone(),
        segment_value: args.value.clone(),
        since: args.since.clone(),
        metric: Watched::parse(&args.metric).map_err(anyhow::Error::msg)?,
        sigma: args.sigma,
        consecutive,
        version,
        degrade_pct: args.degrade,
        ..MonitorRequest::new(&model)
    };
    let report = monitor(project, &store, &request)?;
    if let Some(path) = &args.html {
        crate::monitor::html::write_report(&report, path)?;
        say_err!("report {}", path.display());
    }
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if args.fail_on_alert && !report.alerts.is_empty() {
        return Err(AlertRaised {
            model: named,
            count: report.alerts.len(),
            first: report.alerts[0].why.clone(),
        }
        .into());
    }
    Ok(())
}

fn print_report(report: &crate::monitor::MonitorReport) {
    let metric = report.metric;
    if report.pairs == 0 {
        say!(
            "{}: no prediction has its actual yet{}: `shelfcast actuals add FILE` matches a file \
             of actuals to its forecasts and logged predictions",
            report.model,
            if report.periods.is_empty() {
                ""
            } else {
                " in this range"
            }
        );
        return;
    }
    let shown_model = match (&report.segment, &report.segment_value) {
        (Some(segment), Some(value)) => format!("{} ({segment} = {value})", report.model),
        _ => report.model.clone(),
    };
    say!(
        "{}: {} predictions with actuals; {} {} overall (WAPE {}%, MAE {}, bias {})",
        shown_model,
        report.pairs,
        metric.as_str(),
        metric.of(&report.overall).map_or("-".into(), number),
        report.overall.wape.map_or("-".into(), number),
        number(report.overall.mae),
        number(report.overall.bias)
    );
    match &report.band {
        Some(b) => say!(
            "reference band ({} validation periods): mean {} ± {} (σ {}) → {} to {} (validation \
             {} {})",
            b.periods,
            number(b.mean),
            number(b.upper - b.mean),
            number(b.std),
            number(b.lower),
            number(b.upper),
            metric.as_str(),
            metric.of(&b.overall).map_or("-".into(), number)
        ),
        None => say!(
            "{}",
            report
                .band_missing
                .as_deref()
                .unwrap_or("no reference band")
        ),
    }
    say!(
        "{:<12} {:>7} {:>10} {:>10} {:>8} {:>9} {:>8}",
        report.by.as_str(),
        "count",
        "MAE",
        "RMSE",
        "WAPE %",
        "bias",
        "MAPE %"
    );
    for p in &report.periods {
        let s = &p.score;
        say!(
            "{:<12} {:>7} {:>10} {:>10} {:>8} {:>9} {:>8} {}",
            p.period,
            s.count,
            number(s.mae),
            number(s.rmse),
            s.wape.map_or("-".into(), number),
            number(s.bias),
            s.mape.map_or("-".into(), number),
            if p.alerted {
                "ALERT"
            } else if p.above {
                "above the band"
            } else {
                ""
            }
        );
    }
    if report.by_version.len() > 1 {
        let versions: Vec<String> = report
            .by_version
            .iter()
            .map(|(v, s)| {
                format!(
                    "v{v} {} ({})",
                    metric.of(s).map_or("-".into(), number),
                    s.count
                )
            })
            .collect();
        say!("by version: {}", versions.join(", "));
    }
    if !report.by_step.is_empty() {
        let steps: Vec<String> = report
            .by_step
            .iter()
            .map(|(h, s)| format!("h{h} {}", metric.of(s).map_or("-".into(), number)))
            .collect();
        say!(
            "by forecast step ({}): {}",
            metric.as_str(),
            steps.join(", ")
        );
    }
    if !report.segments.is_empty() {
        say!(
            "by {}, worst first (live {m} − reference {m}):",
            report.segment.as_deref().unwrap_or(""),
            m = metric.as_str()
        );
        const SHOWN: usize = 10;
        for row in report.segments.iter().take(SHOWN) {
            say!(
                "  {:<10} {:>7} rows  {} → {}  ({})",
                row.value,
                row.live.count,
                row.reference
                    .as_ref()
                    .and_then(|r| metric.of(r))
                    .map_or("-".into(), number),
                metric.of(&row.live).map_or("-".into(), number),
                row.change.map_or("-".into(), |c| format!("{c:+.2}"))
            );
        }
        if report.segments.len() > SHOWN {
            say!(
                "  … and {} more (--json or --html lists every one)",
                report.segments.len() - SHOWN
            );
        }
    }
    if report.alerts.is_empty() {
        say!("no alert");
    }
    for alert in &report.alerts {
        say!("ALERT ({}): {}", alert.kind, alert.why);
    }
}
