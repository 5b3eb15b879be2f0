//! Running what a firing does (`job_spec`): retrain, challenge, drift, forecast, predict a
//! batch file, add actuals, monitor, or a command; each by the core functions the CLI and the
//! TUI use (`jobs::launch_run`, `drift::run::run_drift`, `registry::forecast_file`,
//! `registry::predict_file`, `monitor`), saying what it produced (runs, reports, a forecast, a
//! decision, alerts) for the job run's record.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::drift::run::{DriftRequest, run_drift};
use crate::jobs::{LaunchRequest, launch_run};
use crate::ml::train::TrainSpec;
use crate::project::Project;
use crate::store::RunStatus;

pub use super::job_spec::JobSpec;

/// What a job made, for its record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Produced {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drifted: Option<bool>,
    /// The recorded forecast's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<i64>,
    /// A monitor's alerts, in words (empty: it raised none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<String>>,
    /// A challenge's decision, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

/// Runs `job` to its end: `input` is the file a trigger passed. A retrain waits for its worker
/// (checking every `poll`), and fails when the run does.
pub fn run_job(
    project: &Project,
    job: &JobSpec,
    input: Option<&std::path::Path>,
    poll: Duration,
) -> Result<Produced, String> {
    match job {
        JobSpec::Retrain {
            like,
            data,
            like_champion_of,
            slurm,
        } => {
            let project = &dispatched(project, slurm);
            let store = project.open_store().map_err(|e| e.to_string())?;
            let like = &match like_champion_of {
                Some(model) => {
                    crate::registry::resolve(
                        &store,
                        &crate::registry::ModelRef::Alias(model.clone(), "champion".into()),
                    )
                    .map_err(|e| e.to_string())?
                    .run_id
                }
                None => *like,
            };
            let spec_json = store
                .run_spec(*like)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("run {like} has no training spec to train like"))?;
            let mut spec: TrainSpec = serde_json::from_str(&spec_json)
                .map_err(|e| format!("run {like}'s spec does not read: {e}"))?;
            if let Some(file) = data.as_deref().or(input) {
                spec.data = project.spec_path(file).map_err(|e| e.to_string())?;
            }
            let run = store.get_run(*like).map_err(|e| e.to_string())?;
            let tags = vec![("retrained_like".to_string(), like.to_string())];
            let id = train_and_wait(project, spec, &run.experiment, tags, poll)?;
            Ok(Produced {
                runs: vec![id],
                ..Produced::default()
            })
        }
        JobSpec::Challenge {
            model,
            data,
            margin,
            diebold_mariano,
            slurm,
        } => {
            let project = &dispatched(project, slurm);
            let file = data
                .as_deref()
                .or(input)
                .ok_or("a challenge needs the new data: --data FILE, or a file trigger")?;
            let policy = super::challenge::Policy {
                margin: *margin,
                diebold_mariano: *diebold_mariano,
            };
            let decision = super::challenge::challenge(project, model, file, &policy, poll)?;
            Ok(Produced {
                runs: vec![decision.challenger_run],
                decision: Some(decision.why),
                ..Produced::default()
            })
        }
        JobSpec::Forecast {
            model,
            horizon,
            output,
        } => {
            let mut store = project.open_store().map_err(|e| e.to_string())?;
            let options = project.read_options().map_err(|e| e.to_string())?;
            let output = project.root.join(output_path(output, None));
            let request = crate::registry::forecast_file::ForecastFile {
                model: crate::registry::ModelRef::parse(model).map_err(|e| e.to_string())?,
                horizon: *horizon,
                history: input.map(Path::to_path_buf),
                future: None,
                covariates: crate::ml::forecast_future::Covariates::CarryForward,
                output: output.clone(),
            };
            let written = crate::registry::forecast_file::write_forecast(
                project, &mut store, &request, &options,
            )
            .map_err(|e| e.to_string())?;
            let shown = output
                .strip_prefix(&project.root)
                .unwrap_or(&output)
                .display()
                .to_string();
            Ok(Produced {
                reports: vec![shown],
                forecast: Some(written.forecast_id),
                ..Produced::default()
            })
        }
        JobSpec::Predict {
            model,
            input: named,
            output,
            skip_invalid,
        } => {
            let file = named
                .as_deref()
                .or(input)
                .ok_or("a predict job needs its records: --input FILE, or a file trigger")?;
            let file = project.locate(file);
            let mut store = project.open_store().map_err(|e| e.to_string())?;
            let options = project.read_options().map_err(|e| e.to_string())?;
            let reference = crate::registry::ModelRef::parse(model).map_err(|e| e.to_string())?;
            let (version, loaded) = crate::registry::load_version(project, &store, &reference)
                .map_err(|e| e.to_string())?;
            let shown = output_path(output, Some(&file));
            let request = crate::registry::predict_file::PredictFile {
                input: file,
                output: project.root.join(&shown),
                uplift: false,
                skip_invalid: *skip_invalid,
            };
            let done = crate::registry::predict_file::predict_to_file(
                &loaded,
                &request,
                &options,
                &|_, _| {},
            )
            .map_err(|e| match e {
                // The log says which rows, as far as three of them.
                crate::registry::RegistryError::BadRows { ref problems, .. } => {
                    format!("{e}: {}", problems[..problems.len().min(3)].join("; "))
                }
                other => other.to_string(),
            })?;
            crate::registry::predict_file::log_scorable(
                &mut store,
                version.id,
                &request.input,
                &done,
            )
            .map_err(|e| e.to_string())?;
            eprintln!(
                "{} rows predicted by {model} to {shown}{}",
                done.rows,
                if done.skipped_rows > 0 {
                    format!(", {} bad row(s) skipped", done.skipped_rows)
                } else {
                    String::new()
                }
            );
            Ok(Produced {
                reports: vec![shown],
                ..Produced::default()
            })
        }
        JobSpec::Actuals { model, file } => {
            let file = file
                .as_deref()
                .or(input)
                .ok_or("an actuals job needs its file: --file FILE, or a file trigger")?;
            add_actuals(project, model, file)?;
            Ok(Produced::default())
        }
        JobSpec::Monitor {
            model,
            actuals,
            by,
            segment,
            html,
        } => {
            let file = actuals.as_deref().or(input);
            if let Some(file) = file {
                add_actuals(project, model, file)?;
            }
            let store = project.open_store().map_err(|e| e.to_string())?;
            let request = crate::monitor::MonitorRequest {
                by: *by,
                segment: segment.clone(),
                ..crate::monitor::MonitorRequest::new(model)
            };
            let report =
                crate::monitor::monitor(project, &store, &request).map_err(|e| e.to_string())?;
            let shown = output_path(html, file);
            crate::monitor::html::write_report(&report, &project.root.join(&shown))
                .map_err(|e| e.to_string())?;
            eprintln!(
                "{model}: {} predictions scored, {} alert(s)",
                report.pairs,
                report.alerts.len()
            );
            Ok(Produced {
                reports: vec![shown],
                alerts: Some(report.alerts.iter().map(|a| a.why.clone()).collect()),
                ..Produced::default()
            })
        }
        JobSpec::Command { run } => {
            let status = std::process::Command::new("sh")
                .args(["-c", run])
                .current_dir(&project.root)
                .env(
                    "SHELFCAST_FILE",
                    input.map(|p| p.display().to_string()).unwrap_or_default(),
                )
                .stdin(std::process::Stdio::null())
                .stdout(to_stderr())
                .status()
                .map_err(|e| format!("`{run}` could not start: {e}"))?;
            if status.success() {
                Ok(Produced::default())
            } else {
                Err(format!("`{run}` {status}"))
            }
        }
        JobSpec::Drift { model, current } => {
            let file = current
                .as_deref()
                .or(input)
                .ok_or("a drift job needs a current file: --current FILE, or a file trigger")?;
            let mut store = project.open_store().map_err(|e| e.to_string())?;
            let request = DriftRequest {
                reference: None,
                current: file.display().to_string(),
                model: Some(model.clone()),
                ..DriftRequest::default()
            };
            let outcome = run_drift(project, &mut store, &request, &|_, _, _| {})
                .map_err(|e| e.to_string())?;
            Ok(Produced {
                reports: vec![outcome.html_shown],
                drifted: Some(outcome.report.dataset_drift),
                ..Produced::default()
            })
        }
    }
}

/// `project`, its workers sent to Slurm when the job says so.
fn dispatched(project: &Project, slurm: &Option<crate::jobs::slurm::SlurmOptions>) -> Project {
    match slurm {
        Some(options) => project
            .clone()
            .with_dispatch(crate::jobs::slurm::Dispatch::Slurm(options.clone())),
        None => project.clone(),
    }
}

/// How often a job waiting for a run on Slurm asks the scheduler how it goes.
const SLURM_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Launches a run of `spec` (tagged as the daemon's) and waits for it to finish; its id, or why
/// it did not finish.
pub fn train_and_wait(
    project: &Project,
    spec: TrainSpec,
    experiment: &str,
    mut tags: Vec<(String, String)>,
    poll: Duration,
) -> Result<i64, String> {
    tags.push(("launched_from".into(), "daemon".into()));
    let request = LaunchRequest {
        spec,
        experiment: experiment.to_string(),
        name: None,
        tags,
        parent_run_id: None,
    };
    let launched = launch_run(project, &request).map_err(|e| e.to_string())?;
    let id = launched.run_id;
    let mut store = project.open_store().map_err(|e| e.to_string())?;
    let mut slurm_checked = std::time::Instant::now();
    loop {
        store.reap_dead_runs().map_err(|e| e.to_string())?;
        // A run on Slurm that its job ended (over its time, out of memory) ends by the
        // scheduler's word, not by a pid.
        if launched.slurm_job.is_some() && slurm_checked.elapsed() >= SLURM_CHECK_EVERY {
            slurm_checked = std::time::Instant::now();
            crate::jobs::slurm::reconcile(project, &mut store).map_err(|e| e.to_string())?;
        }
        let run = store.get_run(id).map_err(|e| e.to_string())?;
        if run.status.is_terminal() {
            return match run.status {
                RunStatus::Finished => Ok(id),
                other => Err(format!(
                    "run {id} ended {}: {}",
                    other.as_str(),
                    run.error.unwrap_or_default()
                )),
            };
        }
        std::thread::sleep(poll);
    }
}

/// The process's stderr as a child's stdout: a command job's output goes to the log, and the
/// job process's stdout carries only its outcome.
fn to_stderr() -> std::process::Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => std::process::Stdio::from(fd),
        Err(_) => std::process::Stdio::null(),
    }
}

/// A job's output path from its template: `{date}` is the day it runs (UTC), `{name}` the input
/// file's name without its extension.
pub fn output_path(template: &str, input: Option<&Path>) -> String {
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let name = input
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    template.replace("{date}", &date).replace("{name}", &name)
}

/// Adds `file` as actuals of `model`, saying what matched in the log.
fn add_actuals(project: &Project, model: &str, file: &Path) -> Result<(), String> {
    let mut store = project.open_store().map_err(|e| e.to_string())?;
    let options = project.read_options().map_err(|e| e.to_string())?;
    let request = crate::monitor::actuals::ActualsRequest {
        model: model.to_string(),
        file: project.locate(file),
        keys: None,
        date: None,
        target: None,
        replace: false,
    };
    let report = crate::monitor::actuals::add_actuals(&mut store, &request, &options)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "{}: {} rows, {} matched to {model}'s predictions ({} new, {} kept against a \
         different value), {} bad, {} of series never predicted, {} of dates never predicted, \
         {} duplicates",
        report.file,
        report.rows,
        report.matched,
        report.stored.inserted,
        report.stored.conflicting,
        report.bad_rows,
        report.unknown_series,
        report.dates_never_predicted,
        report.duplicates
    );
    Ok(())
}
