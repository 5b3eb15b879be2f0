//! Comparing runs side by side: their params (which differ), their final metrics (the best per
//! row, knowing which metrics are better lower and which higher), their curves of one metric
//! (downsampled for display), and their feature importances. Core: the TUI's Compare pane, the
//! CLI's `compare` and the exports all read this one structure.
//!
//! Deleted runs compare like any other; a run still training compares with the points it has
//! logged so far.

use serde::Serialize;

pub mod chart;
pub mod export;

pub use export::{ExportError, ExportFiles, export_comparison};

use crate::ml::artifact::MetricsFile;
use crate::project::Project;
use crate::store::{Curve, Run, RunId, RunStore, StoreError};

pub use crate::store::higher_is_better;

/// How a metric's best is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Best {
    Lowest,
    Highest,
    /// Bias and the like: nearest zero.
    NearestZero,
}

impl Best {
    pub fn of(key: &str) -> Self {
        match higher_is_better(key) {
            Some(true) => Best::Highest,
            Some(false) => Best::Lowest,
            None => Best::NearestZero,
        }
    }

    /// The index of the best of `values` (missing ones never win).
    pub fn pick(self, values: &[Option<f64>]) -> Option<usize> {
        let score = |v: f64| match self {
            Best::Lowest => v,
            Best::Highest => -v,
            Best::NearestZero => v.abs(),
        };
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i, score(v))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }
}

/// A metric a comparison says in words rather than as a number: the skill against seasonal
/// naive ("beats seasonal naive by 43.8%").
pub fn metric_words(key: &str, value: f64) -> Option<String> {
    if key != "skill_vs_seasonal_naive" || !value.is_finite() {
        return None;
    }
    let percent = 100.0 * value.abs();
    Some(if percent < 0.05 {
        "scores as seasonal naive does".to_string()
    } else if value > 0.0 {
        format!("beats seasonal naive by {percent:.1}%")
    } else {
        format!("{percent:.1}% worse than seasonal naive")
    })
}

/// `train_rmse`, `train_loss`…: measured on the rows the model trained on.
pub fn is_training_metric(key: &str) -> bool {
    key.starts_with("train_")
}

/// Figures that are no score of the run's own model: counts (the horizon, the windows) and the
/// seasonal naive baseline's error, which a comparison shows but never ranks.
pub fn is_unranked(key: &str) -> bool {
    matches!(key, "horizon" | "windows")
        || key.contains("seasonal_naive_wape")
        // What a run cost the box at its last sample is no score; its peak memory is ranked
        // (lower is better: which run used less memory).
        || (key.starts_with("sys.") && key != crate::jobs::sysmetrics::PEAK_RSS_MB)
}

#[derive(Clone, Debug, Serialize)]
pub struct ParamRow {
    pub key: String,
    /// One per run (missing when the run does not have the param).
    pub values: Vec<Option<String>>,
    pub differs: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetricRow {
    pub key: String,
    /// The last value per run.
    pub values: Vec<Option<f64>>,
    pub best: Best,
    /// The run holding the best value.
    pub best_run: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImportanceRow {
    pub feature: String,
    /// Share per run (missing when the run has no saved importances or not this feature).
    pub shares: Vec<Option<f64>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub runs: Vec<Run>,
    pub params: Vec<ParamRow>,
    pub metrics: Vec<MetricRow>,
    pub importances: Vec<ImportanceRow>,
}

impl Comparison {
    /// Params that differ between the runs (the "only differences" view).
    pub fn differing_params(&self) -> impl Iterator<Item = &ParamRow> {
        self.params.iter().filter(|p| p.differs)
    }
}

/// The step series every run logs while training, drawn by default.
pub const DEFAULT_CURVE: &str = "valid_loss";

/// Params, final metrics and importances of `ids`, in that order. Deleted runs are included.
pub fn compare_runs(
    project: &Project,
    store: &RunStore,
    ids: &[RunId],
) -> Result<Comparison, StoreError> {
    let mut runs = Vec::with_capacity(ids.len());
    let mut params = Vec::with_capacity(ids.len());
    let mut summaries = Vec::with_capacity(ids.len());
    let mut importances = Vec::with_capacity(ids.len());
    for &id in ids {
        runs.push(store.get_run(id)?);
        params.push(store.params(id)?);
        summaries.push(store.metric_summaries(id)?);
        let saved: Option<MetricsFile> =
            std::fs::read(project.run_model_dir(id).join("metrics.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        importances.push(saved.map(|m| m.importance).unwrap_or_default());
    }
    let mut param_keys: Vec<String> = params
        .iter()
        .flat_map(|p| p.iter().map(|(k, _)| k.clone()))
        .collect();
    param_keys.sort();
    param_keys.dedup();
    let param_rows = param_keys
        .into_iter()
        .map(|key| {
            let values: Vec<Option<String>> = params
                .iter()
                .map(|p| p.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))
                .collect();
            let differs = values.windows(2).any(|w| w[0] != w[1]);
            ParamRow {
                key,
                values,
                differs,
            }
        })
        .collect();
    let mut metric_keys: Vec<String> = summaries
        .iter()
        .flat_map(|s| s.iter().map(|m| m.key.clone()))
        .collect();
    metric_keys.sort();
    metric_keys.dedup();
    let metric_rows = metric_keys
        .into_iter()
        .map(|key| {
            let values: Vec<Option<f64>> = summaries
                .iter()
                .map(|s| s.iter().find(|m| m.key == key).and_then(|m| m.last_value))
                .collect();
            let best = Best::of(&key);
            // A score on the training rows says how well a model memorised them, not which
            // model to pick: no best is marked there.
            let best_run = if is_training_metric(&key) || is_unranked(&key) {
                None
            } else {
                best.pick(&values)
            };
            MetricRow {
                best_run,
                key,
                values,
                best,
            }
        })
        .collect();
    // Features ordered by their largest share in any run.
    let mut features: Vec<(String, f64)> = Vec::new();
    for run in &importances {
        for (feature, share) in run {
            match features.iter_mut().find(|(f, _)| f == feature) {
                Some((_, top)) => *top = top.max(*share),
                None => features.push((feature.clone(), *share)),
            }
        }
    }
    features.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let importance_rows = features
        .into_iter()
        .map(|(feature, _)| ImportanceRow {
            shares: importances
                .iter()
                .map(|run| run.iter().find(|(f, _)| *f == feature).map(|(_, s)| *s))
                .collect(),
            feature,
        })
        .collect();
    Ok(Comparison {
        runs,
        params: param_rows,
        metrics: metric_rows,
        importances: importance_rows,
    })
}

/// One curve per run of metric `key` within the step range, downsampled to `max_points`.
pub fn compare_curves(
    store: &RunStore,
    ids: &[RunId],
    key: &str,
    steps: (Option<i64>, Option<i64>),
    max_points: usize,
) -> Result<Vec<Curve>, StoreError> {
    ids.iter()
        .map(|&id| store.curve(id, key, steps.0, steps.1, max_points))
        .collect()
}

/// An exponential moving average with weight `alpha` on the newest point (TensorBoard's
/// smoothing), for noisy curves.
pub fn smooth(values: &[f64], alpha: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    let mut last: Option<f64> = None;
    for &v in values {
        let next = match last {
            Some(previous) => previous + alpha * (v - previous),
            None => v,
        };
        out.push(next);
        last = Some(next);
    }
    out
}

/// A value against the pinned baseline's: `Δ +0.12, +3.9%` (no percentage against a zero).
pub fn delta_text(value: f64, base: f64) -> String {
    let delta = value - base;
    let sign = if delta > 0.0 { "+" } else { "" };
    let percent = if base != 0.0 && base.is_finite() {
        format!(", {:+.1}%", 100.0 * delta / base.abs())
    } else {
        String::new()
    };
    format!("Δ {sign}{}{percent}", crate::text::num_text(delta))
}
