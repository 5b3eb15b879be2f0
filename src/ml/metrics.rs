//! Evaluation metrics, as forecasters and the model registry read them.
//!
//! Regression: RMSE, MAE, MAPE (zero targets skipped, and counted so the report can say so),
//! WAPE, R² and bias. Binary classification: ROC AUC, PR AUC (average precision), log loss, and
//! accuracy / precision / recall / F1 with the confusion matrix at a 0.5 threshold. Definitions
//! follow scikit-learn's, so figures can be compared with a Python notebook.

use serde::{Deserialize, Serialize};

use super::MlError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    pub rows: usize,
    pub rmse: f64,
    pub mae: f64,
    /// Mean absolute percentage error over rows whose actual value is not zero; `None` when all
    /// are zero.
    pub mape: Option<f64>,
    /// Rows left out of MAPE because their actual value is zero (closed stores, no sales).
    pub mape_zero_targets_skipped: usize,
    /// Weighted absolute percentage error: total absolute error over total actual, in percent.
    /// `None` when every actual value is zero.
    pub wape: Option<f64>,
    /// Coefficient of determination; `None` when the actual values are all the same.
    pub r2: Option<f64>,
    /// Mean of prediction minus actual: positive means over-forecasting.
    pub bias: f64,
}

pub fn regression_metrics(actual: &[f64], predicted: &[f64]) -> Result<RegressionMetrics, MlError> {
    check_pairs("regression metrics", actual, predicted)?;
    let n = actual.len() as f64;
    let mut squared = 0.0;
    let mut absolute = 0.0;
    let mut signed = 0.0;
    let mut ape_sum = 0.0;
    let mut ape_rows = 0usize;
    let mut actual_abs = 0.0;
    for (&y, &p) in actual.iter().zip(predicted) {
        let error = p - y;
        squared += error * error;
        absolute += error.abs();
        signed += error;
        actual_abs += y.abs();
        if y != 0.0 {
            ape_sum += (error / y).abs();
            ape_rows += 1;
        }
    }
    let mean = actual.iter().sum::<f64>() / n;
    let total: f64 = actual.iter().map(|y| (y - mean) * (y - mean)).sum();
    Ok(RegressionMetrics {
        rows: actual.len(),
        rmse: (squared / n).sqrt(),
        mae: absolute / n,
        mape: (ape_rows > 0).then(|| 100.0 * ape_sum / ape_rows as f64),
        mape_zero_targets_skipped: actual.len() - ape_rows,
        wape: (actual_abs > 0.0).then(|| 100.0 * absolute / actual_abs),
        r2: (total > 0.0).then(|| 1.0 - squared / total),
        bias: signed / n,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    pub true_positive: u64,
    pub false_positive: u64,
    pub true_negative: u64,
    pub false_negative: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    pub rows: usize,
    pub positives: usize,
    /// `None` when only one class is present (the ranking is undefined).
    pub roc_auc: Option<f64>,
    /// Average precision; `None` without positives.
    pub pr_auc: Option<f64>,
    pub log_loss: f64,
    pub threshold: f64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub confusion: ConfusionMatrix,
}

/// Probabilities are clipped to [1e-15, 1 - 1e-15] for log loss, as scikit-learn does.
const LOG_LOSS_EPS: f64 = 1e-15;
pub const DEFAULT_THRESHOLD: f64 = 0.5;

pub fn classification_metrics(
    labels: &[bool],
    probabilities: &[f64],
) -> Result<ClassificationMetrics, MlError> {
    const WHAT: &str = "classification metrics";
    if labels.len() != probabilities.len() {
        return Err(MlError::LengthMismatch {
            what: WHAT,
            actual: labels.len(),
            predicted: probabilities.len(),
        });
    }
    if labels.is_empty() {
        return Err(MlError::Empty(WHAT));
    }
    for (row, &p) in probabilities.iter().enumerate() {
        if !(0.0..=1.0).contains(&p) {
            return Err(MlError::NotAProbability {
                what: WHAT,
                row,
                value: p,
            });
        }
    }
    let n = labels.len();
    let positives = labels.iter().filter(|&&l| l).count();
    let log_loss = labels
        .iter()
        .zip(probabilities)
        .map(|(&l, &p)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if l { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / n as f64;
    let mut confusion = ConfusionMatrix {
        true_positive: 0,
        false_positive: 0,
        true_negative: 0,
        false_negative: 0,
    };
    for (&l, &p) in labels.iter().zip(probabilities) {
        match (l, p >= DEFAULT_THRESHOLD) {
            (true, true) => confusion.true_positive += 1,
            (false, true) => confusion.false_positive += 1,
            (false, false) => confusion.true_negative += 1,
            (true, false) => confusion.false_negative += 1,
        }
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(
        confusion.true_positive,
        confusion.true_positive + confusion.false_positive,
    );
    let recall = ratio(
        confusion.true_positive,
        confusion.true_positive + confusion.false_negative,
    );
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Ok(ClassificationMetrics {
        rows: n,
        positives,
        roc_auc: roc_auc(labels, probabilities),
        pr_auc: average_precision(labels, probabilities),
        log_loss,
        threshold: DEFAULT_THRESHOLD,
        accuracy: ratio(confusion.true_positive + confusion.true_negative, n as u64),
        precision,
        recall,
        f1,
        confusion,
    })
}

/// Rows sorted by score, highest first (ties kept together by the caller's grouping).
fn by_score_descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// ROC AUC as the Mann-Whitney statistic: the chance that a random positive scores above a
/// random negative, ties counting one half. O(n log n).
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let order = by_score_descending(scores);
    // Walk groups of equal scores from the top: each positive beats every negative below it.
    let mut wins = 0.0;
    let mut negatives_below = negatives;
    let mut i = 0;
    while i < order.len() {
        let score = scores[order[i]];
        let (mut group_pos, mut group_neg) = (0.0, 0.0);
        while i < order.len() && scores[order[i]] == score {
            if labels[order[i]] {
                group_pos += 1.0;
            } else {
                group_neg += 1.0;
            }
            i += 1;
        }
        negatives_below -= group_neg;
        wins += group_pos * (negatives_below + 0.5 * group_neg);
    }
    Some(wins / (positives * negatives))
}

/// Average precision (scikit-learn's `average_precision_score`): the precision at each
/// distinct score threshold, weighted by the recall it adds.
pub fn average_precision(labels: &[bool], scores: &[f64]) -> Option<f64> {
    let positives = labels.iter().filter(|&&l| l).count() as f64;
    if positives == 0.0 {
        return None;
    }
    let order = by_score_descending(scores);
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut previous_recall = 0.0;
    let mut ap = 0.0;
    let mut i = 0;
    while i < order.len() {
        let score = scores[order[i]];
        while i < order.len() && scores[order[i]] == score {
            if labels[order[i]] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        let recall = tp / positives;
        ap += (recall - previous_recall) * tp / (tp + fp);
        previous_recall = recall;
    }
    Some(ap)
}

fn check_pairs(what: &'static str, actual: &[f64], predicted: &[f64]) -> Result<(), MlError> {
    if actual.len() != predicted.len() {
        return Err(MlError::LengthMismatch {
            what,
            actual: actual.len(),
            predicted: predicted.len(),
        });
    }
    if actual.is_empty() {
        return Err(MlError::Empty(what));
    }
    for (row, &value) in actual.iter().chain(predicted).enumerate() {
        if !value.is_finite() {
            return Err(MlError::NotFinite {
                what,
                row: row % actual.len(),
                value,
            });
        }
    }
    Ok(())
}
