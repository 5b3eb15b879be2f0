//! `shelfcast drift`: a drift check between a reference and a current dataset (files, periods of
//! a file, a model's training data, its logged predictions), printed as a table or JSON, with
//! the HTML report written under `reports/` and recorded in the store. With `--fail-on-drift`,
//! dataset drift exits with code 3 (scripts and schedules tell it from an error, code 1).

use crate::text::{Precision, format_number};
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;

use crate::drift::run::{DriftRequest, run_drift};
use crate::drift::{DriftOptions, TestChoice};
use crate::project::Project;

#[derive(Debug, clap::Args)]
pub struct DriftArgs {
    /// FILE, or FILE@PERIOD (2016, 2016-03, 2016-01..2016-06) on its date column. With --model
    /// and no --reference: the model's training data.
    #[arg(long)]
    pub reference: Option<String>,
    /// FILE, FILE@PERIOD, or (with --model) `logged` / `logged:24h` / `logged:7d` /
    /// `logged:2026-11-01`: the records the HTTP endpoint logged.
    #[arg(long)]
    pub current: String,
    /// NAME@champion, NAME@challenger or NAME:VERSION: test the model's columns.
    #[arg(long)]
    pub model: Option<String>,
    /// The date column a period filters on (default: the first date column).
    #[arg(long)]
    pub date: Option<String>,
    /// Where to write the HTML report (default: reports/drift-<time>.html).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Print the whole report as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Exit with code 3 when the dataset drifts.
    #[arg(long)]
    pub fail_on_drift: bool,
    /// A test for one column: COLUMN=TEST or COLUMN=TEST:THRESHOLD (tests: ks, wasserstein,
    /// psi, chisquare, z, jensenshannon). Repeatable.
    #[arg(long = "test", value_name = "COLUMN=TEST[:THRESHOLD]")]
    pub tests: Vec<String>,
    /// The test for every numeric column (TEST or TEST:THRESHOLD).
    #[arg(long)]
    pub numeric_test: Option<String>,
    /// The test for every categorical column.
    #[arg(long)]
    pub categorical_test: Option<String>,
    /// The share of drifted columns at which the dataset drifts.
    #[arg(long, default_value_t = 0.5)]
    pub share: f64,
    /// Only these columns (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// A column one side lacks is an error (by default it is listed and the common columns
    /// are checked).
    #[arg(long)]
    pub strict: bool,
}

/// Dataset drift under `--fail-on-drift`: `main` turns it into exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("dataset drift: {drifted} of {tested} columns drifted (report: {html})")]
pub struct DatasetDrift {
    pub drifted: usize,
    pub tested: usize,
    pub html: String,
}

fn options(args: &DriftArgs) -> anyhow::Result<DriftOptions> {
    let mut options = DriftOptions {
        share_threshold: args.share,
        columns: args.columns.clone(),
        strict: args.strict,
        ..DriftOptions::default()
    };
    if !(args.share > 0.0 && args.share <= 1.0) {
        anyhow::bail!(
            "--share {}: expected a share above 0, at most 1",
            args.share
        );
    }
    for test in &args.tests {
        let (column, choice) = test
            .split_once('=')
            .with_context(|| format!("--test {test}: expected COLUMN=TEST[:THRESHOLD]"))?;
        let choice =
            TestChoice::parse(choice).map_err(|e| anyhow::anyhow!("--test {test}: {e}"))?;
        options.per_column.insert(column.to_string(), choice);
    }
    let by_kind = |flag: &str, value: &Option<String>| -> anyhow::Result<Option<TestChoice>> {
        value
            .as_deref()
            .map(|v| TestChoice::parse(v).map_err(|e| anyhow::anyhow!("--{flag} {v}: {e}")))
            .transpose()
    };
    options.numeric = by_kind("numeric-test", &args.numeric_test)?;
    options.categorical = by_kind("categorical-test", &args.categorical_test)?;
    Ok(options)
}

pub fn drift(project: &Project, args: &DriftArgs) -> anyhow::Result<()> {
    let mut store = project.open_store()?;
    let request = DriftRequest {
        reference: args.reference.clone(),
        current: args.current.clone(),
        model: args.model.clone(),
        date_column: args.date.clone(),
        options: options(args)?,
        html: args.html.clone(),
    };
    let interactive = std::io::stderr().is_terminal() && !args.json;
    let outcome = run_drift(project, &mut store, &request, &|done, total, column| {
        if interactive {
            eprint!(
                "\r\x1b[Kchecking {done}/{total} columns ({})",
                crate::data::printable::printable_capped(column, 40)
            );
        }
    })?;
    if interactive {
        eprint!("\r\x1b[K");
    }
    let report = &outcome.report;
    let html = outcome
        .html
        .strip_prefix(&project.root)
        .unwrap_or(&outcome.html)
        .display()
        .to_string();
    if args.json {
        say!("{}", serde_json::to_string_pretty(report)?);
    } else {
        say!(
            "reference  {} ({} rows)",
            report.reference.label,
            report.reference.rows
        );
        say!(
            "current    {} ({} rows)",
            report.current.label,
            report.current.rows
        );
        if let Some(model) = &report.model {
            say!("model      {model}");
        }
        say!(
            "\n{:<22} {:<12} {:<22} {:>12} {:>9}  {:<8} {:>15}  why",
            "column",
            "type",
            "test",
            "score",
            "threshold",
            "drift",
            "missing ref/cur"
        );
        for c in &report.columns {
            let score = if c.test.is_p_value() {
                format!("p {}", short(c.score))
            } else {
                short(c.score)
            };
            say!(
                "{:<22} {:<12} {:<22} {:>12} {:>9}  {:<8} {:>15}  {}",
                crate::data::printable::printable_capped(&c.column, 22),
                c.kind.as_str(),
                c.test.title(),
                score,
                short(c.threshold),
                if c.drifted { "DRIFT" } else { "-" },
                format!("{} / {}", c.reference_missing, c.current_missing),
                c.rule
            );
        }
        for s in &report.skipped {
            say!("{:<22} not tested: {}", s.column, s.reason);
        }
        say!(
            "\n{}: {} of {} columns drifted ({:.0}%; the dataset drifts at {:.0}%) in {:.0} ms",
            if report.dataset_drift {
                "DATASET DRIFT"
            } else {
                "no dataset drift"
            },
            report.drifted_columns,
            report.columns.len(),
            100.0 * report.drifted_share,
            100.0 * report.share_threshold,
            report.elapsed_ms
        );
        say!(
            "report {html} (drift report {} in runs.db)",
            outcome.report_id
        );
    }
    if args.fail_on_drift && report.dataset_drift {
        return Err(DatasetDrift {
            drifted: report.drifted_columns,
            tested: report.columns.len(),
            html,
        }
        .into());
    }
    Ok(())
}

fn short(value: f64) -> String {
    format_number(value, Precision::Score)
}
