//! A whole drift check as the CLI and the TUI run it: the two samples found (files, periods, a
//! model's training data, logged predictions), the columns tested, the HTML report written
//! under `reports/` (temporary name, then renamed) and the report recorded in the store.

use std::path::PathBuf;

use super::html::report_html;
use super::source::{Sample, load_sample, logged_records, model_columns, training_data};
use super::{DriftError, DriftOptions, DriftReport, check_drift};
use crate::project::Project;
use crate::registry::{ModelRef, resolve};
use crate::store::{NewDriftReport, RunStore};

#[derive(Clone, Debug, Default)]
pub struct DriftRequest {
    /// `FILE` or `FILE@PERIOD`; `None` with a model: the model's training data.
    pub reference: Option<String>,
    /// `FILE`, `FILE@PERIOD`, or `logged` / `logged:SINCE` (the model's logged predictions;
    /// SINCE is `24h`, `7d` or a date).
    pub current: String,
    /// `NAME@champion` etc.: test the model's columns; its training data is the default
    /// reference.
    pub model: Option<String>,
    /// The date column periods filter on (the first date column when `None`).
    pub date_column: Option<String>,
    pub options: DriftOptions,
    /// Where to write the HTML report (`reports/drift-<time>.html` when `None`).
    pub html: Option<PathBuf>,
}

#[derive(Debug)]
pub struct DriftOutcome {
    pub report: DriftReport,
    pub html: PathBuf,
    /// `html` as shown: relative to the project when it is inside it.
    pub html_shown: String,
    pub report_id: i64,
}

/// `24h`, `7d`, or a date / time as the store writes it: the UTC text predictions are kept
/// from.
fn since_text(text: &str) -> Result<String, DriftError> {
    let now = chrono::Utc::now();
    let ago = |d: chrono::Duration| (now - d).format("%Y-%m-%dT%H:%M:%S").to_string();
    let number = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
    if let Some(hours) = text.strip_suffix('h').and_then(number) {
        return Ok(ago(chrono::Duration::hours(hours)));
    }
    if let Some(days) = text.strip_suffix('d').and_then(number) {
        return Ok(ago(chrono::Duration::days(days)));
    }
    if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() {
        return Ok(text.to_string());
    }
    Err(DriftError::Source(format!(
        "logged:{text}: expected a window such as 24h or 7d, or a date YYYY-MM-DD"
    )))
}

/// Runs the check; `progress(done, total, column)` hears of each column.
pub fn run_drift(
    project: &Project,
    store: &mut RunStore,
    request: &DriftRequest,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<DriftOutcome, DriftError> {
    let date = request.date_column.as_deref();
    let mut options = request.options.clone();
    let mut model_label = None;
    let mut model_version_id = None;
    let (reference, current) = match &request.model {
        Some(model) => {
            let reference_ref = ModelRef::parse(model)?;
            let (training, version, signature) = training_data(project, store, &reference_ref)?;
            model_label = Some(format!(
                "{} version {}",
                version.model_name, version.version
            ));
            model_version_id = Some(version.id);
            let reference = match &request.reference {
                Some(spec) => load_sample(project, spec, date)?,
                None => training,
            };
            let current = match request.current.strip_prefix("logged") {
                Some(rest) => {
                    let since = match rest.strip_prefix(':') {
                        Some(window) => Some(since_text(window)?),
                        None if rest.is_empty() => None,
                        None => {
                            return Err(DriftError::Source(format!(
                                "'{}': expected logged or logged:SINCE",
                                request.current
                            )));
                        }
                    };
                    // Every version the alias has named logs under its own id; the checked
                    // version's log is what it served.
                    let served = resolve(store, &reference_ref)?;
                    let label = format!(
                        "predictions logged for {} version {}{}",
                        served.model_name,
                        served.version,
                        since
                            .as_ref()
                            .map_or(String::new(), |s| format!(" since {s}"))
                    );
                    logged_records(store, &signature, &[served.id], since.as_deref(), label)?
                }
                None => load_sample(project, &request.current, date)?,
            };
            if options.columns.is_none() {
                // The model's inputs, and its target where the current data has it.
                let columns: Vec<String> = model_columns(&signature)
                    .into_iter()
                    .filter(|c| current.frame.column(c).is_ok() || *c != signature.target)
                    .collect();
                options.columns = Some(columns);
            }
            (reference, current)
        }
        None => {
            let Some(spec) = &request.reference else {
                return Err(DriftError::Source(
                    "give --reference FILE, or --model NAME to compare against its training data"
                        .into(),
                ));
            };
            if request.current.starts_with("logged") {
                return Err(DriftError::Source(
                    "logged predictions belong to a model: give --model NAME@champion".into(),
                ));
            }
            (
                load_sample(project, spec, date)?,
                load_sample(project, &request.current, date)?,
            )
        }
    };
    let Sample {
        frame: reference_frame,
        label: reference_label,
    } = reference;
    let Sample {
        frame: current_frame,
        label: current_label,
    } = current;
    let mut report = check_drift(
        (&reference_frame, &reference_label),
        (&current_frame, &current_label),
        &options,
        progress,
    )?;
    report.model = model_label;
    let created = chrono::Utc::now();
    let html_path = request.html.clone().unwrap_or_else(|| {
        project.reports_dir().join(format!(
            "drift-{}.html",
            created.format("%Y%m%d-%H%M%S-%3f")
        ))
    });
    let html = report_html(&report, &created.format("%Y-%m-%d %H:%M:%S").to_string())?;
    write_atomically(&html_path, html.as_bytes())?;
    let json = serde_json::to_string(&report)
        .map_err(|e| DriftError::Source(format!("the report does not serialize: {e}")))?;
    let shown_path = html_path
        .strip_prefix(&project.root)
        .unwrap_or(&html_path)
        .to_string_lossy()
        .into_owned();
    let report_id = store.add_drift_report(&NewDriftReport {
        reference_label: &report.reference.label,
        current_label: &report.current.label,
        model_version_id,
        dataset_drift: report.dataset_drift,
        drifted_columns: report.drifted_columns,
        tested_columns: report.columns.len(),
        report_json: &json,
        html_path: Some(&shown_path),
    })?;
    Ok(DriftOutcome {
        report,
        html: html_path,
        html_shown: shown_path,
        report_id,
    })
}

fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), DriftError> {
    let io = |e: std::io::Error| DriftError::Source(format!("{}: {e}", path.display()));
    crate::files::write_bytes_atomically(path, bytes).map_err(io)
}
