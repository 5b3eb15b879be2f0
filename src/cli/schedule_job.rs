//! The jobs `schedule add` takes (the last word of its command line) and the checked `JobSpec`
//! each becomes.

use std::path::PathBuf;

use clap::Subcommand;

use crate::project::Project;
use crate::schedule::job::JobSpec;

#[derive(Debug, Subcommand)]
pub enum JobArgs {
    /// Train again like a run (its data, features, model and parameters).
    Retrain {
        #[arg(long, value_name = "RUN", required_unless_present = "like_champion")]
        like: Option<i64>,
        /// Train like this model's champion's run, whichever it is when the job runs.
        #[arg(long, value_name = "MODEL", conflicts_with = "like")]
        like_champion: Option<String>,
        /// Train on this file instead (default: the file a trigger passed, or the run's own).
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        #[command(flatten)]
        on: super::train::OnArgs,
    },
    /// Train a challenger like the champion on new data and promote it by the policy.
    Challenge {
        #[arg(long, value_name = "NAME")]
        model: String,
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        /// The relative improvement required, in percent.
        #[arg(long, default_value_t = 2.0)]
        margin: f64,
        /// Also require a one-sided Diebold-Mariano p < 0.05.
        #[arg(long)]
        dm: bool,
        #[command(flatten)]
        on: super::train::OnArgs,
    },
    /// Forecast a model's next periods (covariates carried forward) to a file; `{date}` in the
    /// path is the day it runs.
    Forecast {
        #[arg(long, value_name = "NAME@ALIAS")]
        model: String,
        #[arg(long)]
        horizon: usize,
        #[arg(
            long,
            value_name = "PATH",
            default_value = "reports/forecast-{date}.csv"
        )]
        output: String,
    },
    /// Predict every record of a file (default: the one a trigger passed) to an output file;
    /// `{date}` in the path is the day it runs, `{name}` the input's name.
    Predict {
        #[arg(long, value_name = "NAME@ALIAS")]
        model: String,
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        #[arg(
            long,
            value_name = "PATH",
            default_value = "reports/predictions-{name}-{date}.csv"
        )]
        output: String,
        /// Drop the rows that fail the checks (each reported in the log) instead of failing.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Add a file (default: the one a trigger passed) as actuals of a model.
    Actuals {
        #[arg(long, value_name = "NAME")]
        model: String,
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Score a model against its actuals (adding a triggering file's first) and write the
    /// HTML report; --on-alert hears its alerts.
    Monitor {
        #[arg(long, value_name = "NAME")]
        model: String,
        /// Add this file as actuals first (a file trigger's file is added anyway).
        #[arg(long, value_name = "FILE")]
        actuals: Option<PathBuf>,
        #[arg(long, default_value = "week")]
        by: String,
        #[arg(long, value_name = "COLUMN")]
        segment: Option<String>,
        #[arg(
            long,
            value_name = "PATH",
            default_value = "reports/monitor-{date}.html"
        )]
        html: String,
    },
    /// Run a command (sh -c, in the project folder; SHELFCAST_FILE names a triggering file).
    Command {
        #[arg(long, value_name = "CMD")]
        run: String,
    },
    /// Check a file (default: the one a trigger passed) against a model's training data.
    Drift {
        #[arg(long, value_name = "NAME@ALIAS")]
        model: String,
        #[arg(long, value_name = "FILE")]
        current: Option<PathBuf>,
    },
}

/// `job` checked and turned into what the daemon stores; `triggered` when a file trigger passes
/// the job its file.
pub fn job_spec(project: &Project, job: &JobArgs, triggered: bool) -> anyhow::Result<JobSpec> {
    Ok(match job {
        JobArgs::Retrain {
            like,
            like_champion,
            data,
            on,
        } => {
            let store = project.open_store()?;
            let run = match (like, like_champion) {
                (Some(run), _) => *run,
                (None, Some(model)) => {
                    crate::registry::resolve(
                        &store,
                        &crate::registry::ModelRef::Alias(model.clone(), "champion".into()),
                    )?
                    .run_id
                }
                (None, None) => anyhow::bail!("give --like RUN or --like-champion MODEL"),
            };
            store.get_run(run)?;
            if store.run_spec(run)?.is_none() {
                anyhow::bail!(
                    "run {run} has no training spec to train like (it was not launched by train)"
                );
            }
            JobSpec::Retrain {
                like: run,
                data: data.clone(),
                like_champion_of: like_champion.clone(),
                slurm: on.slurm(project)?,
            }
        }
        JobArgs::Challenge {
            model,
            data,
            margin,
            dm,
            on,
        } => {
            crate::registry::check_name(model)?;
            JobSpec::Challenge {
                model: model.clone(),
                data: data.clone(),
                margin: super::challenge::margin_fraction(*margin)?,
                diebold_mariano: *dm,
                slurm: on.slurm(project)?,
            }
        }
        JobArgs::Command { run } => JobSpec::Command { run: run.clone() },
        JobArgs::Actuals { model, file } => {
            if file.is_none() && !triggered {
                anyhow::bail!("an actuals job needs its file: --file FILE, or --on-file GLOB");
            }
            JobSpec::Actuals {
                model: model.clone(),
                file: file.clone(),
            }
        }
        JobArgs::Monitor {
            model,
            actuals,
            by,
            segment,
            html,
        } => JobSpec::Monitor {
            model: model.clone(),
            actuals: actuals.clone(),
            by: crate::monitor::score::Period::parse(by).map_err(anyhow::Error::msg)?,
            segment: segment.clone(),
            html: html.clone(),
        },
        JobArgs::Predict {
            model,
            input,
            output,
            skip_invalid,
        } => {
            crate::registry::ModelRef::parse(model)?;
            if crate::data::DataFormat::from_path(std::path::Path::new(output)).is_none() {
                anyhow::bail!("--output {output}: expected a .csv or .parquet path");
            }
            if input.is_none() && !triggered {
                anyhow::bail!("a predict job needs its records: --input FILE, or --on-file GLOB");
            }
            JobSpec::Predict {
                model: model.clone(),
                input: input.clone(),
                output: output.clone(),
                skip_invalid: *skip_invalid,
            }
        }
        JobArgs::Forecast {
            model,
            horizon,
            output,
        } => {
            crate::registry::ModelRef::parse(model)?;
            if *horizon == 0 {
                anyhow::bail!("--horizon 0: a forecast needs one period or more");
            }
            if crate::data::DataFormat::from_path(std::path::Path::new(output)).is_none() {
                anyhow::bail!("--output {output}: expected a .csv or .parquet path");
            }
            JobSpec::Forecast {
                model: model.clone(),
                horizon: *horizon,
                output: output.clone(),
            }
        }
        JobArgs::Drift { model, current } => {
            crate::registry::ModelRef::parse(model)?;
            JobSpec::Drift {
                model: model.clone(),
                current: current.clone(),
            }
        }
    })
}
