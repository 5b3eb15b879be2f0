//! One run's live view data: its curves, planned steps, worker log tail, and the metrics and
//! importances its saved model carries. Loaded from the store and the run's folder.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::jobs::worker::{TRAIN_LOSS, VALID_LOSS};
use crate::compare::chart::RunSeries;
use crate::ml::artifact::MetricsFile;
use crate::ml::models::ModelSpec;
use crate::project::Project;
use crate::store::{Run, RunId, RunStore, StoreError};

/// How much of the end of a worker log is read for the tail.
const LOG_TAIL_BYTES: u64 = 16 * 1024;

/// Everything the run view draws.
#[derive(Clone, Debug, Default)]
pub struct RunDetail {
    pub run: Option<Run>,
    pub params: Vec<(String, String)>,
    pub loss_name: String,
    /// Steps logged so far (the validation loss's last step), and the last losses.
    pub steps_done: usize,
    pub last_train: Option<f64>,
    pub last_valid: Option<f64>,
    pub planned_steps: Option<usize>,
    /// Milliseconds between the first and last logged step, for the ETA.
    pub step_span_ms: Option<i64>,
    pub log_tail: Vec<String>,
    pub metrics: Option<MetricsFile>,
    pub load_error: Option<String>,
    /// The study, when the run is a study's.
    pub study: Option<StudyDetail>,
    /// An imported run's metrics (no Shelfcast model, so no metrics file): key and last value.
    pub imported_metrics: Vec<(String, f64)>,
}

/// A study's run opened: its trials, and the per-round validation loss of the newest ones.
#[derive(Clone, Debug, Default)]
pub struct StudyDetail {
    pub name: String,
    pub metric: String,
    pub maximize: bool,
    pub budget: usize,
    pub space: String,
    pub trials: Vec<crate::store::TrialRow>,
    /// The newest `STUDY_CURVES` trials' curves.
    pub curves: Vec<TrialCurve>,
    /// Each parameter's importance, most important first (from 10 complete trials).
    pub importances: Vec<(String, f64)>,
    /// The charts' points: best so far, parallel coordinates, slices.
    pub plot: crate::tune::plot::StudyPlot,
}

impl StudyDetail {
    /// Whether `a` is a better value than `b` in the study's direction.
    pub fn better(&self, a: f64, b: f64) -> bool {
        if self.maximize { a > b } else { a < b }
    }

    /// The best complete trial: its number, value and run.
    pub fn best(&self) -> Option<(i64, f64, Option<i64>)> {
        let mut best: Option<(i64, f64, Option<i64>)> = None;
        for t in &self.trials {
            if let (crate::store::TrialState::Complete, Some(v)) = (t.state, t.value)
                && best.is_none_or(|(_, b, _)| self.better(v, b))
            {
                best = Some((t.number, v, t.run_id));
            }
        }
        best
    }
}

/// A trial's number, state and (step, validation loss) points.
pub type TrialCurve = (i64, crate::store::TrialState, Vec<(f64, f64)>);

/// Trials whose intermediate values the study view draws (the newest, running ones included).
const STUDY_CURVES: usize = 40;
/// Points per drawn curve at most.
const CURVE_POINTS: usize = 200;

fn load_study(store: &RunStore, study: crate::store::StudyRow) -> Result<StudyDetail, StoreError> {
    let config: Option<crate::tune::study::StudyConfig> = serde_json::from_str(&study.config_json).ok();
    let trials = store.trials(study.id)?;
    let mut curves = Vec::new();
    for trial in trials.iter().rev().take(STUDY_CURVES) {
        let Some(run) = trial.run_id else { continue };
        let curve = store.curve(run, VALID_LOSS, None, None, CURVE_POINTS)?;
        let points = curve.steps.iter().copied().zip(curve.values.iter().copied()).collect();
        curves.push((trial.number, trial.state, points));
    }
    let importances = config
        .as_ref()
        .and_then(|c| c.importances(&trials))
        .unwrap_or_default();
    let maximize = study.direction == "maximize";
    let plot = config
        .as_ref()
        .map(|c| crate::tune::plot::StudyPlot::new(&c.space, &trials, maximize, &study.metric))
        .unwrap_or_default();
    Ok(StudyDetail {
        importances,
        plot,
        name: study.name,
        metric: study.metric,
        maximize,
        budget: config.as_ref().map_or(0, |c| c.trials),
        space: config.map_or(String::new(), |c| c.space.describe()),
        trials,
        curves,
    })
}

/// The run's planned steps, from its params: the worker's own count (`ModelSpec`).
pub fn planned_steps(params: &[(String, String)]) -> Option<usize> {
    ModelSpec::from_run_params(params).map(|spec| spec.planned_steps())
}

impl RunDetail {
    /// The progress the gauge and the "so far" lines show, from the run's series.
    pub fn follow(&mut self, series: &RunSeries) {
        let valid = series.series.get(VALID_LOSS);
        // A run imported from another tracker logs its own names: its furthest step.
        let furthest = || {
            series
                .series
                .iter()
                .filter(|(key, _)| !crate::compare::chart::is_sampled(key))
                .filter_map(|(_, c)| c.steps.last().copied())
                .reduce(f64::max)
        };
        self.steps_done = valid
            .and_then(|c| c.steps.last().copied())
            .or_else(furthest)
            .map_or(0, |s| s as usize + 1);
        self.step_span_ms = valid.and_then(|c| match (c.timestamps_ms.first(), c.timestamps_ms.last()) {
            (Some(a), Some(b)) if c.timestamps_ms.len() > 1 => Some(b - a),
            _ => None,
        });
        self.last_train = series.last(TRAIN_LOSS);
        self.last_valid = series.last(VALID_LOSS);
    }
}

pub fn load_detail(project: &Project, store: &RunStore, id: RunId) -> RunDetail {
    let mut detail = RunDetail::default();
    let result = (|| -> Result<(), StoreError> {
        let run = store.get_run(id)?;
        detail.params = store.params(id)?;
        detail.planned_steps = planned_steps(&detail.params);
        detail.loss_name = loss_name(&detail.params);
        if run.task == "imported" {
            detail.planned_steps = None;
            detail.loss_name = String::new();
            detail.imported_metrics = store
                .metric_summaries(id)?
                .iter()
                .filter_map(|m| Some((m.key.clone(), m.last_value?)))
                .collect();
        }
        if run.status.is_terminal() {
            detail.metrics = read_metrics(&project.run_model_dir(id).join("metrics.json"));
        }
        detail.run = Some(run);
        if let Some(study) = store.study_of_run(id)? {
            detail.study = Some(load_study(store, study)?);
        }
        Ok(())
    })();
    if let Err(e) = result {
        detail.load_error = Some(e.to_string());
    }
    detail.log_tail = log_tail(&project.run_dir(id).join("worker.log"));
    detail
}

fn loss_name(params: &[(String, String)]) -> String {
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match (get("task"), get("model.objective")) {
        (_, Some("poisson")) => "Poisson negative log-likelihood".into(),
        (_, Some("tweedie")) => "Tweedie negative log-likelihood".into(),
        (Some("binary_classification"), _) => "log loss".into(),
        _ => "RMSE".into(),
    }
}

fn read_metrics(path: &Path) -> Option<MetricsFile> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The last lines of a log file, reading at most its last `LOG_TAIL_BYTES`.
pub fn log_tail(path: &Path) -> Vec<String> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = length.saturating_sub(LOG_TAIL_BYTES);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return Vec::new();
    }
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut lines: Vec<String> = text.lines().map(crate::text::clean).collect();
    if start > 0 && !lines.is_empty() {
        // The first line was cut by the window.
        lines.remove(0);
    }
    let keep = lines.len().saturating_sub(50);
    lines.split_off(keep)
}
