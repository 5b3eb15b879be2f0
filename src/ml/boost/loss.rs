//! The losses the booster minimises: each one's gradient and hessian on the raw score, its link
//! back to the target's scale, its starting score and the metric every round reports.
//!
//! Scores are raw (the log of the mean for Poisson and Tweedie, the log-odds for logistic), as in
//! XGBoost and LightGBM; the metric names are XGBoost's, so curves read the same as theirs.

use crate::drift::special::ln_gamma;

/// LightGBM's and XGBoost's `max_delta_step` for Poisson: the hessian is taken at a score raised
/// by this much, which damps the first steps where exp(score) is far from the counts.
const POISSON_MAX_DELTA_STEP: f64 = 0.7;
/// The Tweedie variance power (compound Poisson-gamma), as XGBoost's default.
pub const TWEEDIE_POWER: f64 = 1.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    SquaredError,
    Poisson,
    Tweedie,
    Logistic,
}

impl Loss {
    pub fn code(self) -> u8 {
        match self {
            Loss::SquaredError => 0,
            Loss::Poisson => 1,
            Loss::Tweedie => 2,
            Loss::Logistic => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Loss::SquaredError,
            1 => Loss::Poisson,
            2 => Loss::Tweedie,
            3 => Loss::Logistic,
            _ => return None,
        })
    }

    /// The metric each round reports, by XGBoost's name.
    pub fn metric_name(self) -> &'static str {
        match self {
            Loss::SquaredError => "rmse",
            Loss::Poisson => "poisson-nloglik",
            Loss::Tweedie => "tweedie-nloglik@1.5",
            Loss::Logistic => "logloss",
        }
    }

    /// The labels this loss accepts, or what is wrong with the first one it refuses.
    pub fn check_labels(self, y: &[f64]) -> Result<(), String> {
        let bad = |i: usize, v: f64, expected: &str| {
            Err(format!(
                "training row {}: label {v}, expected {expected}",
                i + 1
            ))
        };
        for (i, &v) in y.iter().enumerate() {
            if !v.is_finite() {
                return bad(i, v, "a finite number");
            }
            match self {
                Loss::Poisson | Loss::Tweedie if v < 0.0 => {
                    return bad(i, v, "a count or amount of 0 or more");
                }
                Loss::Logistic if v != 0.0 && v != 1.0 => return bad(i, v, "0 or 1"),
                _ => {}
            }
        }
        Ok(())
    }

    /// The constant score the first tree starts from: the mean in the link's scale.
    pub fn base_score(self, y: &[f64]) -> f64 {
        let mean = y.iter().sum::<f64>() / y.len().max(1) as f64;
        match self {
            Loss::SquaredError => mean,
            Loss::Poisson | Loss::Tweedie => mean.max(1e-12).ln(),
            Loss::Logistic => {
                let p = mean.clamp(1e-6, 1.0 - 1e-6);
                (p / (1.0 - p)).ln()
            }
        }
    }

    /// The gradient and hessian of the loss of `label` at raw `score`.
    #[inline]
    pub fn gradient(self, score: f64, label: f64) -> (f64, f64) {
        match self {
            Loss::SquaredError => (score - label, 1.0),
            Loss::Poisson => (score.exp() - label, (score + POISSON_MAX_DELTA_STEP).exp()),
            Loss::Tweedie => {
                let rho = TWEEDIE_POWER;
                let a = ((1.0 - rho) * score).exp();
                let b = ((2.0 - rho) * score).exp();
                (-label * a + b, -label * (1.0 - rho) * a + (2.0 - rho) * b)
            }
            Loss::Logistic => {
                let p = sigmoid(score);
                (p - label, (p * (1.0 - p)).max(1e-16))
            }
        }
    }

    /// A raw score in the target's scale: the mean, or the positive class's probability.
    #[inline]
    pub fn transform(self, score: f64) -> f64 {
        match self {
            Loss::SquaredError => score,
            Loss::Poisson | Loss::Tweedie => score.exp(),
            Loss::Logistic => sigmoid(score),
        }
    }

    /// The part of the round's metric that depends on the labels alone, computed once per set:
    /// the mean lgamma(y + 1) of Poisson's log-likelihood (0 for the other losses).
    pub fn metric_constant(self, labels: &[f64]) -> f64 {
        match self {
            Loss::Poisson => {
                labels.iter().map(|&y| ln_gamma(y + 1.0)).sum::<f64>() / labels.len().max(1) as f64
            }
            _ => 0.0,
        }
    }

    /// The round's metric of raw `scores` against `labels` (lower is better for every loss);
    /// `constant` is `metric_constant(labels)`.
    pub fn metric(self, scores: &[f64], labels: &[f64], constant: f64) -> f64 {
        let n = scores.len().max(1) as f64;
        let total: f64 = scores
            .iter()
            .zip(labels)
            .map(|(&s, &y)| match self {
                Loss::SquaredError => (s - y) * (s - y),
                // XGBoost's poisson-nloglik, its lgamma term added from `constant`.
                Loss::Poisson => s.exp() - y * s,
                Loss::Tweedie => {
                    let rho = TWEEDIE_POWER;
                    -y * ((1.0 - rho) * s).exp() / (1.0 - rho)
                        + ((2.0 - rho) * s).exp() / (2.0 - rho)
                }
                Loss::Logistic => {
                    let p = sigmoid(s).clamp(1e-15, 1.0 - 1e-15);
                    -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
                }
            })
            .sum();
        match self {
            Loss::SquaredError => (total / n).sqrt(),
            _ => total / n + constant,
        }
    }
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
