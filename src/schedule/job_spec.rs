//! What a firing does, as stored with its schedule (JSON), and its description in words.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::jobs::slurm::SlurmOptions;

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
        /// The worker goes to Slurm with these options (`--on slurm`); unset: it runs here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slurm: Option<SlurmOptions>,
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
        /// The challenger's worker goes to Slurm with these options; unset: it runs here.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slurm: Option<SlurmOptions>,
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
                slurm,
            } => {
                let recipe = match like_champion_of {
                    Some(model) => format!("{model}'s champion's run"),
                    None => format!("run {like}"),
                };
                let on = data
                    .as_ref()
                    .map_or(String::new(), |d| format!(" on {}", d.display()));
                format!("retrain like {recipe}{on}{}", on_slurm(slurm))
            }
            JobSpec::Challenge {
                model,
                data,
                margin,
                slurm,
                ..
            } => format!(
                "challenge {model}'s champion{} (margin {:.1}%){}",
                data.as_ref()
                    .map_or(String::new(), |d| format!(" on {}", d.display())),
                100.0 * margin,
                on_slurm(slurm)
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

/// `, on Slurm` (with its partition and time, when set) for a job whose worker goes there.
fn on_slurm(slurm: &Option<SlurmOptions>) -> String {
    let Some(options) = slurm else {
        return String::new();
    };
    let mut asked = Vec::new();
    if let Some(partition) = &options.partition {
        asked.push(format!("partition {partition}"));
    }
    if let Some(time) = &options.time {
        asked.push(format!("time {time}"));
    }
    if asked.is_empty() {
        ", on Slurm".to_string()
    } else {
        format!(", on Slurm ({})", asked.join(", "))
    }
}
