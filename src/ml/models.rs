//! The model zoo behind one trait, so training, the worker, the registry and prediction never
//! name a backend: gradient-boosted trees (`boost`), linear and logistic models and trees /
//! forests (smartcore). Swapping a backend touches its own file and this one only.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::MlError;
use super::baseline::{BaselineKind, BaselineModel, BaselineParams};
use super::features::{Matrix, Task};
use super::forest::{FOREST_PARAMS, ForestModel, TreeParams, train_forest, tree_params};
use super::gbdt::{GBDT_PARAMS, GbdtModel, GbdtParams, train_gbdt_binned};
use super::linear::{LinearKind, LinearModel, LinearParams, train_linear};
use super::model_impls::from_json;
use super::params::ParamInfo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Gbdt,
    Linear,
    Ridge,
    Lasso,
    ElasticNet,
    Logistic,
    DecisionTree,
    RandomForest,
    Naive,
    SeasonalNaive,
    WindowAverage,
    SeriesMean,
}

impl ModelKind {
    pub const ALL: [ModelKind; 12] = [
        ModelKind::Gbdt,
        ModelKind::Linear,
        ModelKind::Ridge,
        ModelKind::Lasso,
        ModelKind::ElasticNet,
        ModelKind::Logistic,
        ModelKind::DecisionTree,
        ModelKind::RandomForest,
        ModelKind::Naive,
        ModelKind::SeasonalNaive,
        ModelKind::WindowAverage,
        ModelKind::SeriesMean,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Gbdt => "gbdt",
            ModelKind::Linear => "linear",
            ModelKind::Ridge => "ridge",
            ModelKind::Lasso => "lasso",
            ModelKind::ElasticNet => "elastic_net",
            ModelKind::Logistic => "logistic",
            ModelKind::DecisionTree => "decision_tree",
            ModelKind::RandomForest => "random_forest",
            ModelKind::Naive => "naive",
            ModelKind::SeasonalNaive => "seasonal_naive",
            ModelKind::WindowAverage => "window_average",
            ModelKind::SeriesMean => "series_mean",
        }
    }

    pub fn parse(text: &str) -> Result<Self, MlError> {
        let text = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .or(match text.as_str() {
                "gradient_boosting" | "lightgbm" | "xgboost" => Some(ModelKind::Gbdt),
                "linear_regression" => Some(ModelKind::Linear),
                "logistic_regression" => Some(ModelKind::Logistic),
                "tree" => Some(ModelKind::DecisionTree),
                "forest" | "rf" => Some(ModelKind::RandomForest),
                "snaive" => Some(ModelKind::SeasonalNaive),
                "historic_average" | "mean" => Some(ModelKind::SeriesMean),
                _ => None,
            })
            .ok_or_else(|| MlError::BadParam {
                name: "model".into(),
                value: text.clone(),
                expected: format!("one of {}", Self::ALL.map(ModelKind::as_str).join(", ")),
            })
    }

    pub fn supports(self, task: Task) -> bool {
        match self {
            ModelKind::Gbdt | ModelKind::DecisionTree | ModelKind::RandomForest => true,
            ModelKind::Linear
            | ModelKind::Ridge
            | ModelKind::Lasso
            | ModelKind::ElasticNet
            | ModelKind::Naive
            | ModelKind::SeasonalNaive
            | ModelKind::WindowAverage
            | ModelKind::SeriesMean => task == Task::Regression,
            ModelKind::Logistic => task == Task::BinaryClassification,
        }
    }

    /// The models that fit `task`, for forms and error messages.
    pub fn for_task(task: Task) -> Vec<ModelKind> {
        Self::ALL.into_iter().filter(|k| k.supports(task)).collect()
    }

    /// Refuses a model that cannot learn `task`, naming those that can.
    pub fn check(self, task: Task) -> Result<(), MlError> {
        if self.supports(task) {
            return Ok(());
        }
        Err(MlError::BadParam {
            name: "model".into(),
            value: self.as_str().into(),
            expected: format!(
                "a model for {}: {}",
                task.as_str().replace('_', " "),
                Self::for_task(task)
                    .into_iter()
                    .map(ModelKind::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    /// The forecasting baseline this kind is, if it is one.
    pub fn baseline(self) -> Option<BaselineKind> {
        Some(match self {
            ModelKind::Naive => BaselineKind::Naive,
            ModelKind::SeasonalNaive => BaselineKind::SeasonalNaive,
            ModelKind::WindowAverage => BaselineKind::WindowAverage,
            ModelKind::SeriesMean => BaselineKind::SeriesMean,
            _ => return None,
        })
    }

    fn linear_kind(self) -> Option<LinearKind> {
        Some(match self {
            ModelKind::Linear => LinearKind::Linear,
            ModelKind::Ridge => LinearKind::Ridge,
            ModelKind::Lasso => LinearKind::Lasso,
            ModelKind::ElasticNet => LinearKind::ElasticNet,
            ModelKind::Logistic => LinearKind::Logistic,
            _ => return None,
        })
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model kind with its typed hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ModelParams {
    Gbdt(GbdtParams),
    Linear(LinearParams),
    Trees(TreeParams),
    Baseline(BaselineParams),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub kind: ModelKind,
    pub params: ModelParams,
}

impl ModelSpec {
    /// The kind's defaults for `task`; `seed` seeds every model that draws random numbers.
    pub fn defaults(kind: ModelKind, task: Task, seed: u64) -> Self {
        let params = match kind {
            ModelKind::Gbdt => ModelParams::Gbdt(GbdtParams {
                seed,
                ..GbdtParams::defaults(task)
            }),
            ModelKind::DecisionTree => ModelParams::Trees(TreeParams::decision_tree()),
            ModelKind::RandomForest => ModelParams::Trees(TreeParams {
                seed,
                ..TreeParams::random_forest()
            }),
            other => match other.baseline() {
                Some(baseline) => ModelParams::Baseline(BaselineParams::defaults(baseline)),
                None => ModelParams::Linear(LinearParams::defaults(
                    other.linear_kind().unwrap_or(LinearKind::Linear),
                )),
            },
        };
        Self { kind, params }
    }

    /// Defaults overridden by `pairs` (`key`, `value` text), checked against `task`: the first
    /// unknown name, bad value or objective that does not fit the task is refused.
    pub fn build(
        kind: ModelKind,
        task: Task,
        seed: u64,
        pairs: &[(String, String)],
    ) -> Result<Self, MlError> {
        kind.check(task)?;
        let mut spec = Self::defaults(kind, task, seed);
        for (key, value) in pairs {
            spec.set(key, value)?;
        }
        if let ModelParams::Gbdt(params) = &spec.params {
            params.check(task)?;
        }
        Ok(spec)
    }

    pub fn set(&mut self, key: &str, value: &str) -> Result<(), MlError> {
        let forest = self.kind == ModelKind::RandomForest;
        match &mut self.params {
            ModelParams::Gbdt(p) => p.set(key, value),
            ModelParams::Linear(p) => p.set(key, value),
            ModelParams::Trees(p) => p.set(key, value, forest),
            ModelParams::Baseline(p) => p.set(key, value),
        }
    }

    /// Every parameter as (name, value) text, for the run's params.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        match &self.params {
            ModelParams::Gbdt(p) => p.pairs(),
            ModelParams::Linear(p) => p.pairs(),
            ModelParams::Trees(p) => p.pairs(self.kind == ModelKind::RandomForest),
            ModelParams::Baseline(p) => p.pairs(),
        }
    }

    /// The parameters of this kind, described, in form order.
    pub fn info(&self) -> &'static [ParamInfo] {
        match (&self.params, self.kind) {
            (ModelParams::Gbdt(_), _) => GBDT_PARAMS,
            (ModelParams::Linear(p), _) => p.info(),
            (ModelParams::Trees(_), ModelKind::RandomForest) => FOREST_PARAMS,
            (ModelParams::Trees(_), _) => tree_params(),
            (ModelParams::Baseline(p), _) => p.info(),
        }
    }

    /// The spec a run trained with, rebuilt from the params the store recorded for it
    /// (`model`, `task`, `seed`, `model.*`); `None` for a run recorded before these.
    pub fn from_run_params(params: &[(String, String)]) -> Option<ModelSpec> {
        let value = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let kind = ModelKind::parse(value("model")?).ok()?;
        let task = Task::parse(value("task").unwrap_or("regression"))?;
        let seed = value("seed").and_then(|s| s.parse().ok()).unwrap_or(0);
        let model_params: Vec<(String, String)> = params
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("model.")?.to_string(), v.clone())))
            .collect();
        ModelSpec::build(kind, task, seed, &model_params).ok()
    }

    /// How many steps training reports when it runs to the end (for progress and ETA): the
    /// worker's count, and the one the run view and `train --wait` show.
    pub fn planned_steps(&self) -> usize {
        match &self.params {
            ModelParams::Gbdt(p) => p.rounds,
            ModelParams::Linear(_) => 1,
            ModelParams::Trees(p) if self.kind == ModelKind::RandomForest => {
                p.trees.div_ceil(super::forest::FOREST_CHUNK)
            }
            ModelParams::Trees(_) | ModelParams::Baseline(_) => 1,
        }
    }
}

/// One step of training: a boosting round, a chunk of forest trees, or a linear fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepEvent {
    /// From 0.
    pub step: usize,
    /// The loss's name (`rmse`, `logloss`, `poisson-nloglik`).
    pub metric: String,
    pub train_loss: Option<f64>,
    pub valid_loss: Option<f64>,
}

/// What every fitted model can do, whatever its backend.
pub trait Model: Send + Sync {
    fn kind(&self) -> ModelKind;
    /// Expected values (regression) or the positive class's probability (classification).
    fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError>;
    /// (feature, share) summing to 1, largest first.
    fn importance(&self) -> Vec<(String, f64)>;
    /// What the importance measures, for tables and reports.
    fn importance_kind(&self) -> &'static str;
    /// The fitted model as bytes, and the file name it is saved under.
    fn encode(&self) -> Result<(&'static str, Vec<u8>), MlError>;
    /// The predictions of the training and validation rows the model was just fitted on, when
    /// fitting computed them anyway (gradient boosting keeps every row's score), handed over
    /// once so evaluation does not predict the same rows again.
    fn take_fitted(&mut self) -> Option<(Vec<f64>, Option<Vec<f64>>)> {
        None
    }
}

/// What a fit can keep for the next fit on the same matrices: gradient boosting's binned rows.
#[derive(Default)]
pub struct FitReuse {
    gbdt_bins: std::sync::OnceLock<super::boost::Binned>,
}

/// Fits `spec` on (`x`, `y`), watching `valid`. `on_step` sees every step and returns `false`
/// to stop early (a cancel); the model keeps what it learned so far. A baseline repeats the
/// encoded column `baseline_column` (the past value training derived for it). `reuse` keeps
/// what the next fit on the same matrices can use again (a fresh one for other matrices).
#[allow(clippy::too_many_arguments)]
pub fn fit_model(
    spec: &ModelSpec,
    task: Task,
    x: &Matrix,
    y: &[f64],
    valid: Option<(&Matrix, &[f64])>,
    baseline_column: Option<&str>,
    reuse: &FitReuse,
    on_step: &mut (dyn FnMut(&StepEvent) -> bool + Send),
) -> Result<Box<dyn Model>, MlError> {
    spec.kind.check(task)?;
    match &spec.params {
        ModelParams::Gbdt(params) => Ok(Box::new(train_gbdt_binned(
            params,
            task,
            x,
            y,
            valid,
            &reuse.gbdt_bins,
            on_step,
        )?)),
        ModelParams::Linear(params) => {
            let model = train_linear(params, x, y)?;
            report_one_step(task, x, y, valid, on_step, &|mx| model.predict(mx))?;
            Ok(Box::new(model))
        }
        ModelParams::Baseline(params) => {
            let column = baseline_column.ok_or_else(|| {
                MlError::Model(format!(
                    "{} repeats a past value of the series, and training derived none",
                    spec.kind
                ))
            })?;
            let model = BaselineModel::fit(params.kind, column.to_string(), x)?;
            report_one_step(task, x, y, valid, on_step, &|mx| model.predict(mx))?;
            Ok(Box::new(model))
        }
        ModelParams::Trees(params) => {
            let forest = spec.kind == ModelKind::RandomForest;
            let mut step = 0;
            let model = train_forest(params, forest, task, x, y, valid, &mut |event| {
                let go_on = on_step(&StepEvent {
                    step,
                    metric: event.metric.to_string(),
                    train_loss: None,
                    valid_loss: event.valid_loss,
                });
                step += 1;
                go_on
            })?;
            Ok(Box::new(model))
        }
    }
}

/// The one step of a model fitted at once: its training and validation loss.
fn report_one_step(
    task: Task,
    x: &Matrix,
    y: &[f64],
    valid: Option<(&Matrix, &[f64])>,
    on_step: &mut (dyn FnMut(&StepEvent) -> bool + Send),
    predict: &dyn Fn(&Matrix) -> Result<Vec<f64>, MlError>,
) -> Result<(), MlError> {
    let loss = |mx: &Matrix, my: &[f64]| -> Result<f64, MlError> {
        Ok(step_loss(task, &predict(mx)?, my))
    };
    let train_loss = Some(loss(x, y)?);
    let valid_loss = match valid {
        Some((vx, vy)) => Some(loss(vx, vy)?),
        None => None,
    };
    on_step(&StepEvent {
        step: 0,
        metric: loss_name(task).to_string(),
        train_loss,
        valid_loss,
    });
    Ok(())
}

/// Reads a model saved by `Model::encode`.
pub fn decode_model(
    kind: ModelKind,
    bytes: &[u8],
    feature_names: Vec<String>,
    task: Task,
) -> Result<Box<dyn Model>, MlError> {
    Ok(match kind {
        ModelKind::Gbdt => Box::new(GbdtModel::from_bytes(bytes, feature_names, task)?),
        ModelKind::DecisionTree | ModelKind::RandomForest => {
            Box::new(from_json::<ForestModel>(bytes)?)
        }
        ModelKind::Naive
        | ModelKind::SeasonalNaive
        | ModelKind::WindowAverage
        | ModelKind::SeriesMean => Box::new(from_json::<BaselineModel>(bytes)?),
        _ => Box::new(from_json::<LinearModel>(bytes)?),
    })
}

pub(crate) fn loss_name(task: Task) -> &'static str {
    match task {
        Task::Regression => "rmse",
        Task::BinaryClassification => "logloss",
    }
}

/// RMSE (regression) or log loss (classification) of `predicted` against `actual`.
pub fn step_loss(task: Task, predicted: &[f64], actual: &[f64]) -> f64 {
    let n = predicted.len().max(1) as f64;
    match task {
        Task::Regression => (predicted
            .iter()
            .zip(actual)
            .map(|(p, a)| (p - a) * (p - a))
            .sum::<f64>()
            / n)
            .sqrt(),
        Task::BinaryClassification => {
            let eps = 1e-15;
            -predicted
                .iter()
                .zip(actual)
                .map(|(p, a)| {
                    let p = p.clamp(eps, 1.0 - eps);
                    if *a > 0.5 { p.ln() } else { (1.0 - p).ln() }
                })
                .sum::<f64>()
                / n
        }
    }
}
