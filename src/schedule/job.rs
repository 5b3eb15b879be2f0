//! What a firing does, stored as JSON with its schedule: train again like a run (on a named
//! file, or the file a trigger passed), or check drift of a file against a model's training
//! data. Each job is run by the core functions the CLI and the TUI use (`jobs::launch_run`,
//! `drift::run::run_drift`) and says what it produced (runs, reports), for the job run's record.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::drift::run::{DriftRequest, run_drift};
use crate::jobs::{LaunchRequest, launch_run};
use crate::ml::train::TrainSpec;
use crate::project::Project;
use crate::store::RunStatus;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobSpec {
    /// Train again as run `like` was trained, on `data` (or the file a trigger passed, or the
    /// run's own file).
    Retrain {
        like: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<PathBuf>,
        /// Train like this model's champion's run, as it is when the job runs (`like` unused).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        like_champion_of: Option<String>,
    },
    /// Train a challenger of `model` on `data` (or the file a trigger passed) and promote it by
    /// `schedule::challenge`'s policy.
    Challenge {
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<PathBuf>,
        margin: f64,
        #[serde(default)]
        diebold_mariano: bool,
    },
    /// `model`'s forecast of the next `horizon` periods from its history (or the file a trigger
    /// passed), covariates carried forward, written to `output` (`{date}` is the day it runs).
    Forecast {
        model: String,
        horizon: usize,
        output: String,
    },
    /// Every record of `input` (or the file a trigger passed) through `model`, written to
    /// `output` (`{date}` the day it runs, `{name}` the input's file name without extension).
    Predict {
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Option<PathBuf>,
        output: String,
        #[serde(default)]
        skip_invalid: bool,
    },
    /// Add `file` (or the file a trigger passed) as actuals of `model`.
    Actuals {
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<PathBuf>,
    },
    /// Score `model` against its actuals (after adding the file a trigger passed, or `actuals`,
    /// as actuals), writing the HTML report to `html` (`{date}` the day it runs); its alerts
    /// call `--on-alert`.
    Monitor {
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        actuals: Option<PathBuf>,
        by: crate::monitor::score::Period,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        segment: Option<String>,
        html: String,
    },
    /// A command of the user's (`sh -c`), with the file a trigger passed as `SHELFCAST_FILE`;
    /// fails when it exits non-zero.
    Command { run: String },
    /// Check `current` (or the file a trigger passed) against `model`'s training data.
    Drift {
        model: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<PathBuf>,
    },
}

impl JobSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            JobSpec::Retrain { .. } => "retrain",
            JobSpec::Challenge { .. } => "challenge",
            JobSpec::Command { .. } => "command",
            JobSpec::Forecast { .. } => "forecast",
            JobSpec::Predict { .. } => "predict",
            JobSpec::Actuals { .. } => "actuals",
            JobSpec::Monitor { .. } => "monitor",
            JobSpec::Drift { .. } => "drift",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            JobSpec::Retrain {
                like,
                data,
                like_champion_of,
            } => {
                let recipe = match like_champion_of {
                    Some(model) => format!("{model}'s champion's run"),
                    None => format!("run {like}"),
                };
                match data {
                    Some(data) => format!("retrain like {recipe} on {}", data.display()),
                    None => format!("retrain like {recipe}"),
                }
            }
            JobSpec::Challenge {
                model,
                data,
                margin,
                ..
            } => format!(
                "challenge {model}'s champion{} (margin {:.1}%)",
                data.as_ref()
                    .map_or(String::new(), |d| format!(" on {}", d.display())),
                100.0 * margin
            ),
            JobSpec::Command { run } => format!("run `{run}`"),
            JobSpec::Actuals { model, file } => format!(
                "add {} as actuals of {model}",
                file.as_ref()
                    .map_or("the triggering file".to_string(), |f| f
                        .display()
                        .to_string())
            ),
            JobSpec::Monitor { model, actuals, .. } => match actuals {
                Some(file) => format!("monitor {model} after adding {}", file.display()),
                None => format!("monitor {model} (after adding a triggering file's actuals)"),
            },
            JobSpec::Forecast {
                model,
                horizon,
                output,
            } => format!("forecast {horizon} periods of {model} to {output}"),
            JobSpec::Predict {
                model,
                input,
                output,
                ..
            } => format!(
                "predict {} with {model} to {output}",
                input
                    .as_ref()
                    .map_or("the triggering file".to_string(), |i| i
                        .display()
                        .to_string())
            ),
            JobSpec::Drift { model, current } => match current {
                Some(current) => format!("drift of {} against {model}", current.display()),
                None => format!("drift of the triggering file against {model}"),
            },
        }
    }
}

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
        } => {
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
        } => {
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
            let created = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
            let page =
                crate::monitor::html::report_html(&report, &created).map_err(|e| e.to_string())?;
            let path = project.root.join(&shown);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            crate::files::write_bytes_atomically(&path, page.as_bytes())
                .map_err(|e| format!("{}: {e}", path.display()))?;
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
    };
    let launched = launch_run(project, &request).map_err(|e| e.to_string())?;
    let id = launched.run_id;
    let mut store = project.open_store().map_err(|e| e.to_string())?;
    loop {
        store.reap_dead_runs().map_err(|e| e.to_string())?;
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
    };
    let report = crate::monitor::actuals::add_actuals(&mut store, &request, &options)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "{}: {} rows, {} matched to {model}'s predictions ({} new), {} bad, {} of series never          predicted, {} of dates never predicted, {} duplicates",
        report.file,
        report.rows,
        report.matched,
        report.stored.inserted,
        report.bad_rows,
        report.unknown_series,
        report.dates_never_predicted,
        report.duplicates
    );
    Ok(())
}
