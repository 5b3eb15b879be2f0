//! All blocking work of the TUI: profiling a file, launching a run (reading and checking the
//! whole dataset), a drift check, loading a model (checksums), registering a run (copying its
//! model's files), a forecast and its export. The event loop hands each
//! `Job` to `spawn` (tokio's blocking pool); tests call `run` inline. Every job opens its own
//! store connection and answers only with actions — progress as it goes, the outcome last.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, Job, ModelLoad};
use crate::data::{self, DatasetFile};
use crate::jobs::launch_run;
use crate::project::Project;
use crate::registry::{self, ModelRef};
use crate::store::StoreLocation;

/// What a job needs besides its own input.
#[derive(Clone, Debug)]
pub struct JobContext {
    pub project: Project,
    pub store: StoreLocation,
}

/// Runs `job` on the blocking pool, off the UI task.
pub fn spawn(job: Job, ctx: &JobContext, tx: &UnboundedSender<Action>) {
    let ctx = ctx.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || run(job, &ctx, &tx));
}

/// Runs `job` here and now, sending its actions on `tx`.
pub fn run(job: Job, ctx: &JobContext, tx: &UnboundedSender<Action>) {
    match job {
        Job::Profile {
            file,
            options,
            use_cache,
        } => profile(&ctx.store, file, &options, use_cache, tx),
        Job::Launch { request, dispatch } => {
            let project = ctx.project.clone().with_dispatch(dispatch);
            let result = launch_run(&project, &request).map_err(|e| e.to_string());
            let _ = tx.send(Action::Launched(result));
        }
        Job::Drift(request) => {
            let result = ctx
                .store
                .open()
                .map_err(|e| e.to_string())
                .and_then(|mut store| {
                    crate::drift::run::run_drift(
                        &ctx.project,
                        &mut store,
                        &request,
                        &|done, total, column| {
                            let _ = tx.send(Action::DriftProgress {
                                done,
                                total,
                                column: column.to_string(),
                            });
                        },
                    )
                    .map_err(|e| e.to_string())
                });
            let _ = tx.send(Action::DriftDone(Box::new(result)));
        }
        Job::LoadModel(reference) => {
            let load = load_model(&ctx.project, &ctx.store, reference);
            let _ = tx.send(Action::ModelLoaded(load));
        }
        Job::Forecast { model, request } => {
            let progress = |done, total| {
                let _ = tx.send(Action::ForecastProgress { done, total });
            };
            let result = crate::ml::forecast_view::forecast_view(&model.0, &request, &progress)
                .map_err(|e| e.to_string());
            let _ = tx.send(Action::ForecastDone {
                request,
                result: Box::new(result),
            });
        }
        Job::StartDaemon => {
            let text = match crate::jobs::daemon::start_detached(&ctx.project) {
                Ok(pid) => format!("daemon started (pid {pid})"),
                Err(e) => format!("the daemon did not start: {e}"),
            };
            let _ = tx.send(Action::Status(text));
        }
        Job::StartStudy {
            name,
            config,
            dispatch,
        } => {
            let project = ctx.project.clone().with_dispatch(dispatch);
            let result = crate::jobs::study::start_detached(&project, &name, &config)
                .map(|run| (name, run))
                .map_err(|e| e.to_string());
            let _ = tx.send(Action::StudyStarted(result));
        }
        Job::Monitor { request, html } => {
            let result = monitor_report(&ctx.project, &ctx.store, &request, html.as_deref());
            let _ = tx.send(Action::MonitorDone {
                request,
                result: Box::new(result),
            });
        }
        Job::SlurmQueue => {
            let result = ctx
                .store
                .open()
                .and_then(|mut store| crate::jobs::slurm::survey(&ctx.project, &mut store))
                .map_err(|e| format!("asking Slurm about its runs: {e}"));
            let _ = tx.send(Action::SlurmQueue(result));
        }
        Job::ExportForecast { view, stem, title } => {
            let result = view.export(&stem, &title).map_err(|e| e.to_string());
            let _ = tx.send(Action::ForecastExported(result));
        }
        Job::Write { write, asked_by } => {
            let result = ctx
                .store
                .open()
                .map_err(|e| format!("could not change the store: {e}"))
                .and_then(|mut store| super::writes::apply(&write, &ctx.project, &mut store));
            let _ = tx.send(Action::Written {
                write,
                asked_by,
                result,
            });
        }
    }
}

/// Profiles one file with its own store connection.
fn profile(
    store: &StoreLocation,
    file: DatasetFile,
    options: &data::ReadOptions,
    use_cache: bool,
    tx: &UnboundedSender<Action>,
) {
    let path = file.path.clone();
    let result = store
        .open()
        .map_err(data::DataError::from)
        .and_then(|mut store| {
            data::profile_dataset(&mut store, &file, options, use_cache, &|stage| {
                let _ = tx.send(Action::ProfileProgress {
                    path: path.clone(),
                    stage,
                });
            })
        });
    let _ = tx.send(Action::ProfileDone {
        file,
        result: result.map(Box::new).map_err(|e| e.to_string()),
    });
}

/// Loads `reference` with its own store connection, every file's checksum verified.
pub fn load_model(project: &Project, store: &StoreLocation, reference: ModelRef) -> ModelLoad {
    let result = store
        .open()
        .map_err(registry::RegistryError::from)
        .and_then(|store| registry::load_version(project, &store, &reference))
        .map(|(version, loaded)| (version, Arc::new(loaded)))
        .map_err(|e| e.to_string());
    ModelLoad { reference, result }
}

/// The monitor's report with its own store connection, and its HTML file when asked for.
fn monitor_report(
    project: &Project,
    store: &StoreLocation,
    request: &crate::monitor::MonitorRequest,
    html: Option<&Path>,
) -> Result<(crate::monitor::MonitorReport, Option<String>), String> {
    let store = store.open().map_err(|e| e.to_string())?;
    let report = crate::monitor::monitor(project, &store, request).map_err(|e| e.to_string())?;
    let written = match html {
        Some(path) => {
            crate::monitor::html::write_report(&report, path).map_err(|e| e.to_string())?;
            Some(path.display().to_string())
        }
        None => None,
    };
    Ok((report, written))
}
