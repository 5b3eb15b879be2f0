//! What a firing does, stored as JSON with its schedule: train again like a run (on a named
//! file, or the file a trigger passed), or check drift of a file against a model's training
//! data. Each job is run by the core functions the CLI and the TUI use (`jobs::launch_run`,
//! `drift::run::run_drift`) and says what it produced (runs, reports), for the job run's record.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::drift::run::{DriftRequest, run_drift};
use crate::jobs::{LaunchRequest, launch_run};
use crate::ml::train::TrainSpec;
use crate::project::Project;
use crate::store::RunStatus;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobSpec {
    /// Train again as run `like` was trained, on `data` (or the file a trigger passed, or the
    /// run's own file).
    Retrain {
        like: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<PathBuf>,
    },
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
            JobSpec::Drift { .. } => "drift",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            JobSpec::Retrain { like, data } => match data {
                Some(data) => format!("retrain like run {like} on {}", data.display()),
                None => format!("retrain like run {like}"),
            },
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
        JobSpec::Retrain { like, data } => {
            let mut store = project.open_store().map_err(|e| e.to_string())?;
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
            let request = LaunchRequest {
                spec,
                experiment: run.experiment,
                name: None,
                tags: vec![
                    ("launched_from".into(), "daemon".into()),
                    ("retrained_like".into(), like.to_string()),
                ],
            };
            let launched = launch_run(project, &request).map_err(|e| e.to_string())?;
            let id = launched.run_id;
            loop {
                store.reap_dead_runs().map_err(|e| e.to_string())?;
                let run = store.get_run(id).map_err(|e| e.to_string())?;
                if run.status.is_terminal() {
                    return match run.status {
                        RunStatus::Finished => Ok(Produced {
                            runs: vec![id],
                            ..Produced::default()
                        }),
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
