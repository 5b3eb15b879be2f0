//! Decision trees and random forests (smartcore), for regression and binary classification.
//!
//! smartcore fits a forest in one call and reports nothing on the way, so a forest of `trees`
//! is grown in chunks of `FOREST_CHUNK` trees, each chunk a smartcore forest with its own seed;
//! after each chunk the forest so far (the tree-count-weighted mean of the chunks, which is
//! exactly a forest of all their trees) is scored on the validation rows and reported as a step,
//! and a cancel stops between chunks.
//!
//! Classification grows regression trees on the 0/1 target: a leaf's mean is the share of
//! positives among its training rows, so the forest's mean is a probability (smartcore's
//! classifier only returns labels). With 0/1 targets the squared-error split criterion ranks
//! splits as the Gini criterion does.

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::tree::decision_tree_regressor::{
    DecisionTreeRegressor, DecisionTreeRegressorParameters,
};

use super::MlError;
use super::features::{Matrix, Task};
use super::models::{loss_name, step_loss};
use super::params::{ParamInfo, ParamSetter};

/// Trees grown between two progress steps (and cancel checks).
pub const FOREST_CHUNK: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeParams {
    /// 1 for a single decision tree (no bootstrap, every feature).
    pub trees: usize,
    /// 0: unlimited.
    pub max_depth: usize,
    pub min_samples_leaf: usize,
    pub min_samples_split: usize,
    /// Features tried at each split; 0: a third of them (regression) or their square root
    /// (classification), as is customary.
    pub max_features: usize,
    pub seed: u64,
}

pub const FOREST_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "trees",
        range: "1 to 5000",
        description: "trees in the forest",
        search: None,
    },
    ParamInfo {
        name: "max_depth",
        range: "0 (unlimited) to 64",
        description: "depth of each tree",
        search: Some("int:4..24"),
    },
    ParamInfo {
        name: "min_samples_leaf",
        range: "1 to 100000",
        description: "fewest training rows in a leaf",
        search: Some("intlog:1..50"),
    },
    ParamInfo {
        name: "min_samples_split",
        range: "2 to 100000",
        description: "fewest rows a node needs to split",
        search: None,
    },
    ParamInfo {
        name: "max_features",
        range: "0 (automatic) to 100000",
        description: "features tried at each split",
        search: Some("int:1..12"),
    },
    ParamInfo {
        name: "seed",
        range: "a whole number",
        description: "random seed",
        search: None,
    },
];

/// A single tree's parameters: the forest's without trees, max_features and seed.
pub fn tree_params() -> &'static [ParamInfo] {
    &FOREST_PARAMS[1..4]
}

impl TreeParams {
    pub fn decision_tree() -> Self {
        Self {
            trees: 1,
            max_depth: 12,
            min_samples_leaf: 5,
            min_samples_split: 10,
            max_features: 0,
            seed: 0,
        }
    }

    pub fn random_forest() -> Self {
        Self {
            trees: 100,
            max_depth: 16,
            min_samples_leaf: 2,
            min_samples_split: 4,
            max_features: 0,
            seed: 0,
        }
    }

    pub fn set(&mut self, key: &str, value: &str, forest: bool) -> Result<(), MlError> {
        let table = if forest { FOREST_PARAMS } else { tree_params() };
        let setter = ParamSetter::new(table, key, value)?;
        match key {
            "trees" => self.trees = setter.int(1, 5000)?,
            "max_depth" => self.max_depth = setter.int(0, 64)?,
            "min_samples_leaf" => self.min_samples_leaf = setter.int(1, 100_000)?,
            "min_samples_split" => self.min_samples_split = setter.int(2, 100_000)?,
            "max_features" => self.max_features = setter.int(0, 100_000)?,
            "seed" => self.seed = setter.whole()?,
            _ => return Err(setter.unknown()),
        }
        Ok(())
    }

    pub fn pairs(&self, forest: bool) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if forest {
            pairs.push(("trees", self.trees.to_string()));
        }
        pairs.push(("max_depth", self.max_depth.to_string()));
        pairs.push(("min_samples_leaf", self.min_samples_leaf.to_string()));
        pairs.push(("min_samples_split", self.min_samples_split.to_string()));
        if forest {
            pairs.push(("max_features", self.max_features.to_string()));
            pairs.push(("seed", self.seed.to_string()));
        }
        pairs
    }

    fn max_features_for(&self, task: Task, cols: usize) -> usize {
        if self.max_features > 0 {
            return self.max_features.min(cols).max(1);
        }
        let automatic = match task {
            Task::Regression => cols as f64 / 3.0,
            Task::BinaryClassification => (cols as f64).sqrt(),
        };
        (automatic.floor() as usize).clamp(1, cols.max(1))
    }
}

type Forest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;
type Tree = DecisionTreeRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

#[derive(Debug, Serialize, Deserialize)]
enum Grown {
    Tree(Box<Tree>),
    /// Chunks of (trees, forest).
    Forest(Vec<(usize, Forest)>),
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ForestModel {
    pub params: TreeParams,
    pub task: Task,
    /// A random forest (even one stopped after its first chunk) rather than a single tree.
    pub forest: bool,
    pub feature_names: Vec<String>,
    grown: Grown,
}

/// The validation loss of the forest so far: RMSE (regression) or log loss (classification).
#[derive(Clone, Debug, PartialEq)]
pub struct ForestStep {
    pub trees: usize,
    pub metric: &'static str,
    pub valid_loss: Option<f64>,
}

fn fit_error(error: smartcore::error::Failed) -> MlError {
    MlError::Model(error.to_string())
}

fn dense(x: &Matrix) -> Result<DenseMatrix<f64>, MlError> {
    // The pipeline imputes every missing value; any NaN left would poison smartcore's splits.
    let values = x
        .values
        .iter()
        .map(|v| if v.is_nan() { 0.0 } else { *v })
        .collect();
    DenseMatrix::new(x.rows, x.cols(), values, false).map_err(fit_error)
}

/// Grows a decision tree (`forest` false) or a random forest, reporting each chunk to
/// `on_step`, which returns `false` to stop (the forest keeps the trees grown).
pub fn train_forest(
    params: &TreeParams,
    forest: bool,
    task: Task,
    x: &Matrix,
    y: &[f64],
    valid: Option<(&Matrix, &[f64])>,
    on_step: &mut dyn FnMut(&ForestStep) -> bool,
) -> Result<ForestModel, MlError> {
    if x.rows != y.len() {
        return Err(MlError::LengthMismatch {
            what: "training rows",
            actual: y.len(),
            predicted: x.rows,
        });
    }
    if x.rows < 2 || x.cols() == 0 {
        return Err(MlError::Model(format!(
            "{} rows and {} features: a tree needs at least two rows and one feature",
            x.rows,
            x.cols()
        )));
    }
    let dx = dense(x)?;
    let y = y.to_vec();
    let valid_dense = match valid {
        Some((vx, vy)) => Some((dense(vx)?, vy)),
        None => None,
    };
    let mut model = ForestModel {
        params: params.clone(),
        task,
        forest,
        feature_names: x.names.clone(),
        grown: Grown::Forest(Vec::new()),
    };
    let depth = u16::try_from(params.max_depth).unwrap_or(u16::MAX);
    if !forest {
        let mut tree_params = DecisionTreeRegressorParameters::default()
            .with_min_samples_leaf(params.min_samples_leaf)
            .with_min_samples_split(params.min_samples_split);
        if depth > 0 {
            tree_params = tree_params.with_max_depth(depth);
        }
        let tree = Tree::fit(&dx, &y, tree_params).map_err(fit_error)?;
        model.grown = Grown::Tree(Box::new(tree));
        let valid_loss = score(&model, valid_dense.as_ref())?;
        on_step(&ForestStep {
            trees: 1,
            metric: loss_name(task),
            valid_loss,
        });
        return Ok(model);
    }
    let m = params.max_features_for(task, x.cols());
    let mut grown = 0;
    let mut chunk_index = 0u64;
    while grown < params.trees {
        let size = FOREST_CHUNK.min(params.trees - grown);
        let mut forest_params = RandomForestRegressorParameters::default()
            .with_n_trees(size)
            .with_m(m)
            .with_min_samples_leaf(params.min_samples_leaf)
            .with_min_samples_split(params.min_samples_split)
            .with_seed(
                params
                    .seed
                    .wrapping_mul(1_000_003)
                    .wrapping_add(chunk_index),
            );
        if depth > 0 {
            forest_params = forest_params.with_max_depth(depth);
        }
        let chunk = Forest::fit(&dx, &y, forest_params).map_err(fit_error)?;
        if let Grown::Forest(chunks) = &mut model.grown {
            chunks.push((size, chunk));
        }
        grown += size;
        chunk_index += 1;
        let valid_loss = score(&model, valid_dense.as_ref())?;
        let go_on = on_step(&ForestStep {
            trees: grown,
            metric: loss_name(task),
            valid_loss,
        });
        if !go_on {
            break;
        }
    }
    Ok(model)
}

fn score(
    model: &ForestModel,
    valid: Option<&(DenseMatrix<f64>, &[f64])>,
) -> Result<Option<f64>, MlError> {
    let Some((vx, vy)) = valid else {
        return Ok(None);
    };
    Ok(Some(step_loss(model.task, &model.predict_dense(vx)?, vy)))
}

impl ForestModel {
    pub fn trees(&self) -> usize {
        match &self.grown {
            Grown::Tree(_) => 1,
            Grown::Forest(chunks) => chunks.iter().map(|(n, _)| n).sum(),
        }
    }

    fn predict_dense(&self, x: &DenseMatrix<f64>) -> Result<Vec<f64>, MlError> {
        let mut out = match &self.grown {
            Grown::Tree(tree) => tree.predict(x).map_err(fit_error)?,
            Grown::Forest(chunks) => {
                let total = self.trees().max(1) as f64;
                let mut sum: Option<Vec<f64>> = None;
                for (n, forest) in chunks {
                    let part = forest.predict(x).map_err(fit_error)?;
                    let weight = *n as f64 / total;
                    match &mut sum {
                        Some(sum) => sum
                            .iter_mut()
                            .zip(&part)
                            .for_each(|(s, p)| *s += weight * p),
                        None => sum = Some(part.iter().map(|p| weight * p).collect()),
                    }
                }
                sum.unwrap_or_default()
            }
        };
        if self.task == Task::BinaryClassification {
            out.iter_mut().for_each(|p| *p = p.clamp(0.0, 1.0));
        }
        Ok(out)
    }

    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        if x.names != self.feature_names {
            return Err(MlError::Model(format!(
                "the rows have features {:?}, the model was trained on {:?}",
                x.names, self.feature_names
            )));
        }
        self.predict_dense(&dense(x)?)
    }

    /// Impurity decrease per feature (smartcore's, normalised per tree), as shares summing to
    /// 1, largest first.
    pub fn importance(&self) -> Vec<(String, f64)> {
        let mut totals = vec![0.0; self.feature_names.len()];
        match &self.grown {
            Grown::Tree(tree) => {
                if let Ok(values) = tree.compute_feature_importances(true) {
                    totals.iter_mut().zip(values).for_each(|(t, v)| *t += v);
                }
            }
            Grown::Forest(chunks) => {
                for (n, forest) in chunks {
                    if let Ok(values) = forest.compute_feature_importances() {
                        totals
                            .iter_mut()
                            .zip(values)
                            .for_each(|(t, v)| *t += v * *n as f64);
                    }
                }
            }
        }
        let sum: f64 = totals.iter().sum();
        let mut shares: Vec<(String, f64)> = self
            .feature_names
            .iter()
            .zip(totals)
            .map(|(n, t)| (n.clone(), if sum > 0.0 { t / sum } else { 0.0 }))
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        shares
    }
}
