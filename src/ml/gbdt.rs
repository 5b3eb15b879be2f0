//! Gradient-boosted trees behind Shelfcast's own types, so the backend (hessboost, pinned) can be
//! swapped without touching training, the worker or the registry.
//!
//! Hyper-parameters are typed, have defaults and valid ranges, and an out-of-range value is
//! refused before a run starts, naming the parameter and its range. Every boosting round reports
//! its training and validation loss through a callback that can also stop training (a cancel).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::MlError;
use super::boost::{self, BoostConfig, Ensemble, Loss};
use super::features::{Matrix, Task};
use super::models::StepEvent;
use super::params::{ParamInfo, ParamSetter};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GbdtObjective {
    /// Mean squared error.
    SquaredError,
    /// Poisson deviance: unit sales are counts.
    Poisson,
    /// Tweedie deviance (power 1.5): counts with many zeros, such as closed-store days.
    Tweedie,
    /// Binary classification.
    Logistic,
}

impl GbdtObjective {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "squared_error" | "regression" | "rmse" => GbdtObjective::SquaredError,
            "poisson" => GbdtObjective::Poisson,
            "tweedie" => GbdtObjective::Tweedie,
            "logistic" | "binary" => GbdtObjective::Logistic,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            GbdtObjective::SquaredError => "squared_error",
            GbdtObjective::Poisson => "poisson",
            GbdtObjective::Tweedie => "tweedie",
            GbdtObjective::Logistic => "logistic",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GbdtParams {
    pub rounds: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    /// 0: depth-wise trees, `max_depth` deep. Above 0: leaf-wise trees of at most this many
    /// leaves and no depth limit, as LightGBM grows them (its `num_leaves`, `max_depth = -1`).
    #[serde(default)]
    pub num_leaves: usize,
    pub min_child_weight: f64,
    pub subsample: f64,
    pub colsample_bytree: f64,
    pub lambda: f64,
    /// 0: off. Above 0: stop once the validation loss has not improved for this many rounds;
    /// the model keeps the rounds up to its best.
    #[serde(default)]
    pub early_stopping_rounds: usize,
    pub objective: GbdtObjective,
    pub seed: u64,
    /// 0: every core.
    pub threads: usize,
}

pub const GBDT_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "rounds",
        range: "1 to 100000",
        description: "boosting rounds (trees)",
        search: None,
    },
    ParamInfo {
        name: "learning_rate",
        range: "above 0, at most 1",
        description: "shrinkage of each tree",
        search: Some("log:0.01..0.3"),
    },
    ParamInfo {
        name: "max_depth",
        range: "1 to 32",
        description: "depth of each depth-wise tree (num_leaves 0)",
        search: Some("int:3..10"),
    },
    ParamInfo {
        name: "num_leaves",
        range: "0 (depth-wise trees) or 2 to 131072",
        description: "leaves of each leaf-wise tree, as LightGBM's num_leaves (no depth limit)",
        search: None,
    },
    ParamInfo {
        name: "min_child_weight",
        range: "0 or more",
        description: "minimum hessian in a leaf",
        search: Some("log:0.5..50"),
    },
    ParamInfo {
        name: "subsample",
        range: "above 0, at most 1",
        description: "share of rows each tree sees",
        search: Some("0.5..1"),
    },
    ParamInfo {
        name: "colsample_bytree",
        range: "above 0, at most 1",
        description: "share of features each tree sees",
        search: Some("0.5..1"),
    },
    ParamInfo {
        name: "lambda",
        range: "0 or more",
        description: "L2 penalty on leaf weights",
        search: Some("log:0.01..10"),
    },
    ParamInfo {
        name: "early_stopping",
        range: "0 (off) to 100000",
        description: "stop after this many rounds without a better validation loss; keep the best",
        search: None,
    },
    ParamInfo {
        name: "objective",
        range: "squared_error, poisson, tweedie (regression); logistic (binary)",
        description: "the loss",
        search: None,
    },
    ParamInfo {
        name: "seed",
        range: "a whole number",
        description: "random seed",
        search: None,
    },
    ParamInfo {
        name: "threads",
        range: "0 (all cores) to 1024",
        description: "training threads",
        search: None,
    },
];

impl GbdtParams {
    pub fn defaults(task: Task) -> Self {
        Self {
            rounds: 300,
            learning_rate: 0.1,
            max_depth: 6,
            num_leaves: 0,
            min_child_weight: 1.0,
            subsample: 1.0,
            colsample_bytree: 1.0,
            lambda: 1.0,
            early_stopping_rounds: 0,
            objective: match task {
                Task::Regression => GbdtObjective::SquaredError,
                Task::BinaryClassification => GbdtObjective::Logistic,
            },
            seed: 0,
            threads: 0,
        }
    }

    /// Sets `key` from text, refusing unknown names and values outside the range.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), MlError> {
        let setter = ParamSetter::new(GBDT_PARAMS, key, value)?;
        match key {
            "rounds" => self.rounds = setter.int(1, 100_000)?,
            "learning_rate" => self.learning_rate = setter.unit()?,
            "max_depth" => self.max_depth = setter.int(1, 32)?,
            "num_leaves" => {
                self.num_leaves = setter
                    .int(0, 131_072)
                    .ok()
                    .filter(|n| *n != 1)
                    .ok_or_else(|| setter.bad())?
            }
            "min_child_weight" => self.min_child_weight = setter.between(0.0, f64::MAX)?,
            "subsample" => self.subsample = setter.unit()?,
            "colsample_bytree" => self.colsample_bytree = setter.unit()?,
            "lambda" => self.lambda = setter.between(0.0, f64::MAX)?,
            "early_stopping" => self.early_stopping_rounds = setter.int(0, 100_000)?,
            "objective" => {
                self.objective = GbdtObjective::parse(setter.text()).ok_or_else(|| setter.bad())?
            }
            "seed" => self.seed = setter.whole()?,
            "threads" => self.threads = setter.int(0, 1024)?,
            _ => return Err(setter.unknown()),
        }
        Ok(())
    }

    /// Refuses an objective that does not fit the task.
    pub fn check(&self, task: Task) -> Result<(), MlError> {
        let fits = matches!(
            (task, self.objective),
            (Task::BinaryClassification, GbdtObjective::Logistic)
                | (
                    Task::Regression,
                    GbdtObjective::SquaredError | GbdtObjective::Poisson | GbdtObjective::Tweedie
                )
        );
        if fits {
            Ok(())
        } else {
            Err(MlError::BadParam {
                name: "objective".into(),
                value: self.objective.as_str().into(),
                expected: match task {
                    Task::Regression => "squared_error, poisson or tweedie for regression".into(),
                    Task::BinaryClassification => "logistic for binary classification".into(),
                },
            })
        }
    }

    /// Every parameter as (name, value) text, for the run's params.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("rounds", self.rounds.to_string()),
            ("learning_rate", self.learning_rate.to_string()),
            ("max_depth", self.max_depth.to_string()),
            ("num_leaves", self.num_leaves.to_string()),
            ("min_child_weight", self.min_child_weight.to_string()),
            ("subsample", self.subsample.to_string()),
            ("colsample_bytree", self.colsample_bytree.to_string()),
            ("lambda", self.lambda.to_string()),
            ("early_stopping", self.early_stopping_rounds.to_string()),
            ("objective", self.objective.as_str().to_string()),
            ("seed", self.seed.to_string()),
            ("threads", self.threads.to_string()),
        ]
    }

    fn config(&self) -> BoostConfig {
        BoostConfig {
            rounds: self.rounds,
            learning_rate: self.learning_rate,
            // Leaf-wise trees have no depth limit, as LightGBM's num_leaves with max_depth -1.
            max_depth: if self.num_leaves > 0 {
                0
            } else {
                self.max_depth
            },
            max_leaves: self.num_leaves,
            min_child_weight: self.min_child_weight,
            lambda: self.lambda,
            subsample: self.subsample,
            colsample_bytree: self.colsample_bytree,
            early_stopping_rounds: self.early_stopping_rounds,
            loss: match self.objective {
                GbdtObjective::SquaredError => Loss::SquaredError,
                GbdtObjective::Poisson => Loss::Poisson,
                GbdtObjective::Tweedie => Loss::Tweedie,
                GbdtObjective::Logistic => Loss::Logistic,
            },
            seed: self.seed,
            threads: self.threads,
        }
    }
}

/// The trees: Shelfcast's own booster, or a model the earlier backend (hessboost, pinned) saved,
/// which still loads and predicts so registered models keep serving.
enum Trees {
    Native(Ensemble),
    Hessboost(Box<hessboost::prelude::BoostedModel>),
}

pub struct GbdtModel {
    trees: Trees,
    pub feature_names: Vec<String>,
    pub task: Task,
    /// The predictions of the training and validation rows the model was fitted on, in the
    /// target's scale, which training computed anyway; `take_fitted` hands them to evaluation.
    fitted: Option<(Vec<f64>, Option<Vec<f64>>)>,
}

fn hessboost_error(error: hessboost::prelude::HessboostError) -> MlError {
    MlError::Model(error.to_string())
}

/// Trains on (`x`, `y`), watching `valid` when given. `on_step` sees every round and returns
/// `false` to stop (the model keeps the rounds done).
pub fn train_gbdt(
    params: &GbdtParams,
    task: Task,
    x: &Matrix,
    y: &[f64],
    valid: Option<(&Matrix, &[f64])>,
    on_step: &mut (dyn FnMut(&StepEvent) -> bool + Send),
) -> Result<GbdtModel, MlError> {
    train_gbdt_binned(params, task, x, y, valid, &OnceLock::new(), on_step)
}

/// `train_gbdt` keeping the binned rows in `bins` for the next fit on the same matrices (a
/// study's next trial).
pub fn train_gbdt_binned(
    params: &GbdtParams,
    task: Task,
    x: &Matrix,
    y: &[f64],
    valid: Option<(&Matrix, &[f64])>,
    bins: &OnceLock<boost::Binned>,
    on_step: &mut (dyn FnMut(&StepEvent) -> bool + Send),
) -> Result<GbdtModel, MlError> {
    params.check(task)?;
    if x.rows != y.len() {
        return Err(MlError::LengthMismatch {
            what: "training rows",
            actual: y.len(),
            predicted: x.rows,
        });
    }
    let config = params.config();
    let fitted = boost::fit(&config, x, y, valid, bins, &mut |round| {
        on_step(&StepEvent {
            step: round.round,
            metric: round.metric.to_string(),
            train_loss: Some(round.train),
            valid_loss: round.valid,
        })
    })
    .map_err(MlError::Model)?;
    let scale = |scores: Vec<f64>| -> Vec<f64> {
        scores
            .into_iter()
            .map(|s| config.loss.transform(s))
            .collect()
    };
    let train = scale(fitted.train_scores);
    let valid = fitted.valid_scores.map(scale);
    Ok(GbdtModel {
        trees: Trees::Native(fitted.ensemble),
        feature_names: x.names.clone(),
        task,
        fitted: Some((train, valid)),
    })
}

impl GbdtModel {
    pub fn rounds(&self) -> usize {
        match &self.trees {
            Trees::Native(e) => e.trees.len(),
            Trees::Hessboost(m) => m.num_boost_rounds(),
        }
    }

    /// The predictions of the rows the model was just fitted on, once: (training, validation).
    pub fn take_fitted(&mut self) -> Option<(Vec<f64>, Option<Vec<f64>>)> {
        self.fitted.take()
    }

    /// Predictions in the target's scale: expected values for regression, the positive class's
    /// probability for classification.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        if x.names != self.feature_names {
            return Err(MlError::Model(format!(
                "the rows have features {:?}, the model was trained on {:?}",
                x.names, self.feature_names
            )));
        }
        match &self.trees {
            Trees::Native(e) => Ok(e
                .raw_scores(&x.values)
                .into_iter()
                .map(|s| e.loss.transform(s))
                .collect()),
            Trees::Hessboost(model) => {
                use hessboost::prelude::{DMatrix, Iterations};
                // The booster works in f32; NaN marks a missing value.
                let values: Vec<f32> = x.values.iter().map(|&v| v as f32).collect();
                let rows =
                    DMatrix::from_dense_vec(values, x.rows, x.cols()).map_err(hessboost_error)?;
                let predictions = model
                    .predict(&rows, Iterations::Best)
                    .map_err(hessboost_error)?;
                Ok(predictions
                    .as_slice()
                    .iter()
                    .map(|&v| f64::from(v))
                    .collect())
            }
        }
    }

    /// Total gain per feature, as shares summing to 1, largest first.
    pub fn importance(&self) -> Vec<(String, f64)> {
        let gains: Vec<(usize, f64)> = match &self.trees {
            Trees::Native(e) => e.gains().into_iter().enumerate().collect(),
            Trees::Hessboost(m) => m
                .feature_importance(hessboost::prelude::ImportanceType::TotalGain)
                .into_iter()
                .collect(),
        };
        let total: f64 = gains.iter().map(|(_, g)| g).sum();
        let mut shares: Vec<(String, f64)> = gains
            .into_iter()
            .filter(|(_, g)| *g > 0.0)
            .filter_map(|(i, g)| {
                let name = self.feature_names.get(i)?.clone();
                Some((name, if total > 0.0 { g / total } else { 0.0 }))
            })
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        shares
    }

    /// The file name and bytes of the model, for the run's artifact.
    pub fn encode(&self) -> Result<(&'static str, Vec<u8>), MlError> {
        match &self.trees {
            Trees::Native(e) => Ok(("model.gbdt", e.encode())),
            Trees::Hessboost(m) => Ok((
                "model.hessboost",
                m.encode(hessboost::prelude::ModelFormat::Binary)
                    .map_err(hessboost_error)?,
            )),
        }
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, MlError> {
        Ok(self.encode()?.1)
    }

    /// Reads a model this booster saved, or one the earlier backend saved (told apart by the
    /// first bytes).
    pub fn from_bytes(
        bytes: &[u8],
        feature_names: Vec<String>,
        task: Task,
    ) -> Result<Self, MlError> {
        let trees = if bytes.starts_with(boost::MAGIC) {
            let ensemble = Ensemble::decode(bytes).map_err(MlError::Model)?;
            if ensemble.features != feature_names.len() {
                return Err(MlError::Model(format!(
                    "the model has {} features, its pipeline names {}",
                    ensemble.features,
                    feature_names.len()
                )));
            }
            Trees::Native(ensemble)
        } else {
            use hessboost::prelude::{BoostedModel, ModelFormat};
            Trees::Hessboost(Box::new(
                BoostedModel::decode(bytes, ModelFormat::Binary).map_err(hessboost_error)?,
            ))
        };
        Ok(Self {
            trees,
            feature_names,
            task,
            fitted: None,
        })
    }
}

#[cfg(test)]
#[path = "gbdt_tests.rs"]
mod tests;
