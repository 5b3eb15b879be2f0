//! A model's figures on held-out rows: regression (RMSE, MAE, MAPE, WAPE, R², bias) or
//! classification (ROC AUC, PR AUC, log loss, accuracy, precision, recall, F1), with the headline
//! figure each table and alias decision shows first.

use serde::{Deserialize, Serialize};

use super::MlError;
use super::features::{FeaturePipeline, Matrix, Task};
use super::metrics::{
    ClassificationMetrics, RegressionMetrics, classification_metrics, regression_metrics,
};
use super::models::Model;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Evaluation {
    Regression(RegressionMetrics),
    BinaryClassification(ClassificationMetrics),
}

impl Evaluation {
    /// The figures as (name, value) pairs, for metric points and tables.
    pub fn pairs(&self) -> Vec<(&'static str, f64)> {
        let mut pairs = Vec::new();
        match self {
            Evaluation::Regression(m) => {
                pairs.push(("rmse", m.rmse));
                pairs.push(("mae", m.mae));
                if let Some(v) = m.mape {
                    pairs.push(("mape", v));
                }
                if let Some(v) = m.wape {
                    pairs.push(("wape", v));
                }
                if let Some(v) = m.r2 {
                    pairs.push(("r2", v));
                }
                pairs.push(("bias", m.bias));
            }
            Evaluation::BinaryClassification(m) => {
                if let Some(v) = m.roc_auc {
                    pairs.push(("roc_auc", v));
                }
                if let Some(v) = m.pr_auc {
                    pairs.push(("pr_auc", v));
                }
                pairs.push(("log_loss", m.log_loss));
                pairs.push(("accuracy", m.accuracy));
                pairs.push(("precision", m.precision));
                pairs.push(("recall", m.recall));
                pairs.push(("f1", m.f1));
            }
        }
        pairs
    }

    /// The headline figure: RMSE for regression, ROC AUC (or log loss) for classification.
    pub fn headline(&self) -> (&'static str, f64) {
        match self {
            Evaluation::Regression(m) => ("rmse", m.rmse),
            Evaluation::BinaryClassification(m) => match m.roc_auc {
                Some(auc) => ("roc_auc", auc),
                None => ("log_loss", m.log_loss),
            },
        }
    }
}

/// Targets in their own scale (log1p undone).
pub(super) fn target_scale(pipeline: &FeaturePipeline, y: &[f64]) -> Vec<f64> {
    if pipeline.target.log1p {
        y.iter().map(|v| v.exp_m1()).collect()
    } else {
        y.to_vec()
    }
}

/// Predictions in the target's own scale (log1p undone).
pub fn predict_target(
    pipeline: &FeaturePipeline,
    model: &dyn Model,
    x: &Matrix,
) -> Result<Vec<f64>, MlError> {
    Ok(target_from_model(pipeline, model.predict(x)?))
}

/// A model's predictions in the target's scale (log1p undone).
pub fn target_from_model(pipeline: &FeaturePipeline, raw: Vec<f64>) -> Vec<f64> {
    if pipeline.target.log1p {
        raw.into_iter().map(f64::exp_m1).collect()
    } else {
        raw
    }
}

/// The metrics of `model` on encoded rows `x` against targets `y` (in the pipeline's target
/// scale, log1p undone).
pub fn evaluate(
    pipeline: &FeaturePipeline,
    model: &dyn Model,
    x: &Matrix,
    y: &[f64],
) -> Result<Evaluation, MlError> {
    score(pipeline, &predict_target(pipeline, model, x)?, y)
}

/// The metrics of predictions already made (`predict_target`'s) against targets `y`: a caller
/// that needs the predictions too (validation's intervals) predicts once.
pub fn score(
    pipeline: &FeaturePipeline,
    predicted: &[f64],
    y: &[f64],
) -> Result<Evaluation, MlError> {
    Ok(match pipeline.target.task {
        Task::Regression => {
            Evaluation::Regression(regression_metrics(&target_scale(pipeline, y), predicted)?)
        }
        Task::BinaryClassification => {
            let labels: Vec<bool> = y.iter().map(|&v| v > 0.5).collect();
            let probabilities: Vec<f64> = predicted.iter().map(|p| p.clamp(0.0, 1.0)).collect();
            Evaluation::BinaryClassification(classification_metrics(&labels, &probabilities)?)
        }
    })
}
