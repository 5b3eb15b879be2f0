//! A backtest run in the worker: each window of `ml::backtest` is trained as a child run of the
//! backtest (its own params, curves, per-step errors and model), one after the other in this
//! process; the backtest run then records the pooled score over every window, the per-window
//! scores as series, and a model: the latest window's, with the intervals of the pooled
//! per-step residuals. So registering a backtest registers a model whose intervals are as wide
//! as K windows of history say they should be.

use crate::ml::backtest::{BacktestSpec, WindowScore, date_column, pool, window_spec, windows};
use crate::ml::conformal::{INTERVAL_LEVEL, conformal_half_width};
use crate::ml::evaluation::Evaluation;
use crate::ml::forecast::{Residuals, season_length};
use crate::ml::train::{TrainError, TrainSpec, prepare};
use crate::project::Project;
use crate::store::{MetricPoint, NewRun, QueuedRun, RunId, RunStatus, RunStore};

use super::launch::JobError;
use super::worker::{
    Heartbeat, WorkerReport, horizon_line, log_line, record_end, save_outcome, train_prepared,
};

/// Trains every window of `backtest` as a child of `parent`, then records the pooled outcome.
pub(super) fn run_backtest(
    project: &Project,
    store: &mut RunStore,
    parent: RunId,
    spec: &TrainSpec,
    backtest: &BacktestSpec,
) -> Result<WorkerReport, JobError> {
    let fail = |what: String| JobError::Run { run: parent, what };
    let column = date_column(spec)
        .ok_or_else(|| fail("a backtest needs a date column: a time split or lags".into()))?;
    let whole = prepare(
        &project.root,
        &TrainSpec {
            backtest: None,
            ..spec.clone()
        },
    )?;
    let windows = windows(&whole.frame, &column, backtest).map_err(TrainError::from)?;
    drop(whole);
    log_line(&format!(
        "backtest: {} window(s) of {} period(s), {} apart, the last ending {}",
        windows.len(),
        backtest.horizon,
        backtest.step,
        windows.last().map_or("-", |w| w.until.as_str())
    ));
    let run = store.get_run(parent)?;
    let tags = store.tags(parent)?;
    let mut pooled = Residuals::default();
    let mut scores: Vec<WindowScore> = Vec::new();
    let mut last = None;
    for window in &windows {
        if store.cancel_requested(parent)? {
            let reason = format!(
                "cancelled after {} of {} windows",
                scores.len(),
                windows.len()
            );
            record_end(store, parent, RunStatus::Killed, Some(&reason))?;
            log_line(&reason);
            return Ok(WorkerReport {
                status: RunStatus::Killed,
                steps: scores.len(),
                metric_transactions: 0,
            });
        }
        let child_spec = window_spec(spec, &column, window);
        let prepared = prepare(&project.root, &child_spec)?;
        let mut params = prepared.params();
        params.push(("backtest.window".into(), window.index.to_string()));
        params.push(("backtest.cutoff".into(), window.cutoff.clone()));
        let mut child_tags = tags.clone();
        child_tags.push(("backtest.parent".into(), parent.to_string()));
        let spec_json =
            serde_json::to_string(&child_spec).map_err(crate::store::StoreError::from)?;
        let child = store.create_queued_run(&QueuedRun {
            run: &NewRun {
                experiment: run.experiment.clone(),
                name: format!("{} window {}/{}", run.name, window.index, windows.len()),
                model_kind: run.model_kind.clone(),
                task: run.task.clone(),
                dataset_id: run.dataset_id,
                parent_run_id: Some(parent),
            },
            params: &params,
            tags: &child_tags,
            spec_json: Some(&spec_json),
        })?;
        store.claim_run(child, std::process::id())?;
        log_line(&format!(
            "window {}/{} (run {child}): trained until {}, validated on the {} period(s) after {}",
            window.index,
            windows.len(),
            window.until,
            backtest.horizon,
            window.cutoff
        ));
        let heartbeat = Heartbeat::start(project, child);
        let outcome = train_prepared(project, store, child, &prepared);
        heartbeat.stop();
        let (report, trained) = match outcome {
            Ok(done) => done,
            Err(error) => {
                let reason = error.to_string();
                record_end(store, child, RunStatus::Failed, Some(&reason))?;
                return Err(fail(format!(
                    "window {} (run {child}) failed: {reason}",
                    window.index
                )));
            }
        };
        if report.status != RunStatus::Finished {
            return Err(fail(format!(
                "window {} (run {child}) ended {}",
                window.index,
                report.status.as_str()
            )));
        }
        let residuals = trained.residuals.clone().ok_or_else(|| {
            fail(
                "a backtest scores forecasts from each cut-off: it needs a regression with lags, \
                 rolling means or a baseline model"
                    .into(),
            )
        })?;
        let (rows, wape, rmse) = match &trained.valid_metrics {
            Evaluation::Regression(m) => (residuals.actual.len(), m.wape, m.rmse),
            Evaluation::BinaryClassification(_) => (0, None, f64::NAN),
        };
        scores.push(WindowScore {
            window: window.clone(),
            run_id: child,
            rows,
            wape,
            rmse,
            seasonal_naive_wape: trained
                .horizon
                .as_ref()
                .and_then(|h| h.baseline.as_ref())
                .and_then(|b| b.wape),
        });
        // Logged as each window ends: the Runs tab and `--wait` follow the backtest by them.
        store.log_metrics(parent, &window_points(scores.last()))?;
        pooled.extend(&residuals);
        last = Some(trained);
    }
    let Some(mut trained) = last else {
        return Err(fail("a backtest of no windows".into()));
    };
    let shortest_lag = trained.horizon.as_ref().map_or(0, |h| h.shortest_lag);
    let season = trained
        .horizon
        .as_ref()
        .and_then(|h| h.baseline.as_ref())
        .map_or(season_length(7), |b| b.season);
    let outcome =
        pool(&pooled, backtest.horizon, shortest_lag, season).map_err(TrainError::from)?;
    trained.valid_metrics = outcome.validation;
    trained.one_step = None;
    trained.horizon = Some(outcome.horizon);
    trained.conformal = conformal_half_width(
        pooled
            .actual
            .iter()
            .zip(&pooled.predicted)
            .map(|(a, p)| (a - p).abs())
            .collect(),
        INTERVAL_LEVEL,
    );
    trained.residuals = Some(pooled);
    store.log_metrics(
        parent,
        &[MetricPoint::now("windows", 0, scores.len() as f64)],
    )?;
    save_outcome(project, store, parent, &trained)?;
    let windows_json = serde_json::to_string(&scores).map_err(crate::store::StoreError::from)?;
    store.set_tags(parent, &[("backtest.windows", windows_json.as_str())])?;
    record_end(store, parent, RunStatus::Finished, None)?;
    if let Some(line) = horizon_line(&trained) {
        log_line(&format!(
            "backtest pooled over {} windows: {line}",
            scores.len()
        ));
    }
    Ok(WorkerReport {
        status: RunStatus::Finished,
        steps: scores.len(),
        metric_transactions: scores.len(),
    })
}

/// A window's scores as points of the backtest's series, at the window's index.
fn window_points(score: Option<&WindowScore>) -> Vec<MetricPoint> {
    let Some(s) = score else {
        return Vec::new();
    };
    let step = s.window.index as i64;
    let mut points = vec![MetricPoint::now(BACKTEST_RMSE, step, s.rmse)];
    if let Some(wape) = s.wape {
        points.push(MetricPoint::now(BACKTEST_WAPE, step, wape));
    }
    if let Some(wape) = s.seasonal_naive_wape {
        points.push(MetricPoint::now("backtest_seasonal_naive_wape", step, wape));
    }
    points.retain(|p| p.value.is_finite());
    points
}

/// The series a backtest logs per window (step = the window, from 1).
pub const BACKTEST_WAPE: &str = "backtest_wape";
const BACKTEST_RMSE: &str = "backtest_rmse";
