//! A model's figures on held-out rows: regression (RMSE, MAE, MAPE, WAPE, R², bias) or
//! classification (ROC AUC, PR AUC, log loss, accuracy, precision, recall, F1), with the headline
//! figure each table and alias decision shows first.

use serde::{Deserialize, Serialize};

use super::metrics::{ClassificationMetrics, RegressionMetrics};

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
