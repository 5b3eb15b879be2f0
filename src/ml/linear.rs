//! Linear models fitted by smartcore on standardised features: regression (ordinary, ridge, lasso,
//! elastic net) and logistic regression for binary classification.
//!
//! The fitted model is kept as plain numbers: the intercept and one coefficient per standardised
//! feature, read back by predicting the zero vector and each unit vector (exact for a linear
//! model). So the model saves as JSON, predicts without the fitting library, and its importances
//! are |coefficient| on standardised features, comparable across features.
//!
//! smartcore's logistic regression predicts labels only; its fitted coefficients are public, so
//! the probability is computed here as sigmoid(intercept + z . coefficients), which is exactly
//! the model it fitted (its label is that probability above one half).

use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::elastic_net::{ElasticNet, ElasticNetParameters};
use smartcore::linear::lasso::{Lasso, LassoParameters};
use smartcore::linear::linear_regression::{LinearRegression, LinearRegressionParameters};
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};

use super::MlError;
use super::features::Matrix;
use super::params::{ParamInfo, ParamSetter};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearKind {
    Linear,
    Ridge,
    Lasso,
    ElasticNet,
    /// Binary classification: the positive class's probability.
    Logistic,
}

impl LinearKind {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "linear" => LinearKind::Linear,
            "ridge" => LinearKind::Ridge,
            "lasso" => LinearKind::Lasso,
            "elastic_net" | "elasticnet" => LinearKind::ElasticNet,
            "logistic" => LinearKind::Logistic,
            _ => return None,
        })
    }
}

const LINEAR_PARAMS: &[ParamInfo] = &[
    ParamInfo {
        name: "alpha",
        range: "above 0, at most 1000000",
        description: "penalty strength",
        search: Some("log:0.0001..100"),
    },
    ParamInfo {
        name: "l1_ratio",
        range: "0 to 1",
        description: "share of L1 in the penalty",
        search: Some("0..1"),
    },
];

const LOGISTIC_PARAMS: &[ParamInfo] = &[ParamInfo {
    name: "alpha",
    range: "0 to 1000000",
    description: "L2 penalty strength",
    search: Some("log:0.0001..100"),
}];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearParams {
    pub kind: LinearKind,
    /// Penalty strength (ridge, lasso, elastic net).
    pub alpha: f64,
    /// Share of L1 in the elastic net penalty.
    pub l1_ratio: f64,
}

impl LinearParams {
    pub fn defaults(kind: LinearKind) -> Self {
        Self {
            kind,
            // Logistic: a light L2 penalty keeps separable one-hot columns finite.
            alpha: if kind == LinearKind::Logistic {
                0.01
            } else {
                1.0
            },
            l1_ratio: 0.5,
        }
    }

    /// The parameters this kind of linear model takes.
    pub fn info(&self) -> &'static [ParamInfo] {
        match self.kind {
            LinearKind::Linear => &[],
            LinearKind::Ridge | LinearKind::Lasso => &LINEAR_PARAMS[..1],
            LinearKind::ElasticNet => LINEAR_PARAMS,
            LinearKind::Logistic => LOGISTIC_PARAMS,
        }
    }

    /// Sets `key` from text, refusing unknown names and values outside the range.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), MlError> {
        let setter = ParamSetter::new(self.info(), key, value)?;
        match key {
            "alpha" if self.kind == LinearKind::Logistic => {
                self.alpha = setter.between(0.0, 1e6)?
            }
            "alpha" => self.alpha = setter.above(0.0, 1e6)?,
            "l1_ratio" => self.l1_ratio = setter.between(0.0, 1.0)?,
            _ => return Err(setter.unknown()),
        }
        Ok(())
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            LinearKind::Linear => Vec::new(),
            LinearKind::Ridge | LinearKind::Lasso | LinearKind::Logistic => {
                vec![("alpha", self.alpha.to_string())]
            }
            LinearKind::ElasticNet => vec![
                ("alpha", self.alpha.to_string()),
                ("l1_ratio", self.l1_ratio.to_string()),
            ],
        }
    }
}

/// Per-feature mean and standard deviation of the training rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Standardizer {
    pub fn fit(x: &Matrix) -> Self {
        let cols = x.cols();
        let mut mean = vec![0.0; cols];
        let mut std = vec![1.0; cols];
        for j in 0..cols {
            let present: Vec<f64> = (0..x.rows)
                .map(|i| x.values[i * cols + j])
                .filter(|v| !v.is_nan())
                .collect();
            if present.is_empty() {
                continue;
            }
            let m = present.iter().sum::<f64>() / present.len() as f64;
            let var = present.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / present.len() as f64;
            mean[j] = m;
            // A constant column stays constant (0) rather than dividing by zero.
            std[j] = if var > 0.0 { var.sqrt() } else { 1.0 };
        }
        Self { mean, std }
    }

    /// Standardised values, row-major; a missing value becomes 0 (the training mean).
    pub fn transform(&self, x: &Matrix) -> Vec<f64> {
        let cols = x.cols();
        x.values
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                let j = k % cols;
                if v.is_nan() {
                    0.0
                } else {
                    (v - self.mean[j]) / self.std[j]
                }
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub params: LinearParams,
    pub feature_names: Vec<String>,
    pub standardizer: Standardizer,
    pub intercept: f64,
    /// One per standardised feature.
    pub coefficients: Vec<f64>,
}

fn fit_error(error: smartcore::error::Failed) -> MlError {
    MlError::Model(error.to_string())
}

/// Fits the linear model `params.kind` on (`x`, `y`); for `Logistic`, `y` holds 1 for the
/// positive class and 0 otherwise.
pub fn train_linear(params: &LinearParams, x: &Matrix, y: &[f64]) -> Result<LinearModel, MlError> {
    if x.rows != y.len() {
        return Err(MlError::LengthMismatch {
            what: "training rows",
            actual: y.len(),
            predicted: x.rows,
        });
    }
    if x.rows <= x.cols() && params.kind == LinearKind::Linear {
        return Err(MlError::Model(format!(
            "{} rows for {} features: ordinary least squares needs more rows than features \
             (ridge or lasso do not)",
            x.rows,
            x.cols()
        )));
    }
    let standardizer = Standardizer::fit(x);
    // Columns constant in training carry nothing, and smartcore refuses to rescale them: fit on
    // the others and give the constant ones a zero coefficient.
    let active: Vec<usize> = (0..x.cols())
        .filter(|&j| {
            let first = if x.rows == 0 { 0.0 } else { x.values[j] };
            (0..x.rows).any(|i| {
                let v = x.values[i * x.cols() + j];
                v != first && !(v.is_nan() && first.is_nan())
            })
        })
        .collect();
    if active.is_empty() {
        return Err(MlError::Model(
            "every feature is constant in the training rows; there is nothing to fit".to_string(),
        ));
    }
    let standardized = standardizer.transform(x);
    let mut active_values = Vec::with_capacity(x.rows * active.len());
    for i in 0..x.rows {
        active_values.extend(active.iter().map(|&j| standardized[i * x.cols() + j]));
    }
    let z = DenseMatrix::new(x.rows, active.len(), active_values, false).map_err(fit_error)?;
    let spread = |fitted: Vec<f64>| {
        let mut all = vec![0.0; x.cols()];
        for (&j, c) in active.iter().zip(fitted) {
            all[j] = c;
        }
        all
    };
    if params.kind == LinearKind::Logistic {
        let (intercept, fitted) = train_logistic(params, &z, y)?;
        return finite_model(params, x, standardizer, intercept, spread(fitted));
    }
    let y = y.to_vec();
    // Probe rows: the zero vector, then each unit vector.
    let cols = active.len();
    let mut probe = vec![0.0; (cols + 1) * cols];
    for j in 0..cols {
        probe[(j + 1) * cols + j] = 1.0;
    }
    let probe = DenseMatrix::new(cols + 1, cols, probe, false).map_err(fit_error)?;
    let answers: Vec<f64> = match params.kind {
        LinearKind::Linear => LinearRegression::fit(&z, &y, LinearRegressionParameters::default())
            .and_then(|m| m.predict(&probe)),
        LinearKind::Ridge => RidgeRegression::fit(
            &z,
            &y,
            RidgeRegressionParameters::default().with_alpha(params.alpha),
        )
        .and_then(|m| m.predict(&probe)),
        LinearKind::Lasso => {
            Lasso::fit(&z, &y, LassoParameters::default().with_alpha(params.alpha))
                .and_then(|m| m.predict(&probe))
        }
        // Logistic regression returned above; the arm only keeps the match whole.
        LinearKind::ElasticNet | LinearKind::Logistic => ElasticNet::fit(
            &z,
            &y,
            ElasticNetParameters::default()
                .with_alpha(params.alpha)
                .with_l1_ratio(params.l1_ratio),
        )
        .and_then(|m| m.predict(&probe)),
    }
    .map_err(fit_error)?;
    let intercept = answers[0];
    let coefficients: Vec<f64> = answers[1..].iter().map(|a| a - intercept).collect();
    finite_model(params, x, standardizer, intercept, spread(coefficients))
}

/// (intercept, coefficients) of a logistic regression on standardised `z`.
fn train_logistic(
    params: &LinearParams,
    z: &DenseMatrix<f64>,
    y: &[f64],
) -> Result<(f64, Vec<f64>), MlError> {
    let labels: Vec<i32> = y.iter().map(|&v| i32::from(v > 0.5)).collect();
    let positives = labels.iter().filter(|&&l| l == 1).count();
    if positives == 0 || positives == labels.len() {
        return Err(MlError::Model(
            "logistic regression needs both classes among the training rows".to_string(),
        ));
    }
    let fitted = LogisticRegression::fit(
        z,
        &labels,
        LogisticRegressionParameters::default().with_alpha(params.alpha),
    )
    .map_err(fit_error)?;
    // Classes are sorted, so with labels {0, 1} the fitted direction is towards class 1.
    let coefficients: Vec<f64> = fitted.coefficients().iterator(0).copied().collect();
    let intercept = fitted
        .intercept()
        .iterator(0)
        .copied()
        .next()
        .unwrap_or(0.0);
    Ok((intercept, coefficients))
}

fn finite_model(
    params: &LinearParams,
    x: &Matrix,
    standardizer: Standardizer,
    intercept: f64,
    coefficients: Vec<f64>,
) -> Result<LinearModel, MlError> {
    if !intercept.is_finite() || coefficients.iter().any(|c| !c.is_finite()) {
        return Err(MlError::Model(
            "the fit did not converge to finite coefficients (collinear features?); try ridge"
                .to_string(),
        ));
    }
    if coefficients.len() != x.cols() {
        return Err(MlError::Model(format!(
            "the fit returned {} coefficients for {} features",
            coefficients.len(),
            x.cols()
        )));
    }
    Ok(LinearModel {
        params: params.clone(),
        feature_names: x.names.clone(),
        standardizer,
        intercept,
        coefficients,
    })
}

impl LinearModel {
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, MlError> {
        if x.names != self.feature_names {
            return Err(MlError::Model(format!(
                "the rows have features {:?}, the model was trained on {:?}",
                x.names, self.feature_names
            )));
        }
        let z = self.standardizer.transform(x);
        let cols = x.cols();
        let logistic = self.params.kind == LinearKind::Logistic;
        Ok((0..x.rows)
            .map(|i| {
                let linear = self.intercept
                    + z[i * cols..(i + 1) * cols]
                        .iter()
                        .zip(&self.coefficients)
                        .map(|(v, c)| v * c)
                        .sum::<f64>();
                if logistic {
                    1.0 / (1.0 + (-linear).exp())
                } else {
                    linear
                }
            })
            .collect())
    }

    /// |coefficient| on standardised features, as shares summing to 1, largest first.
    pub fn importance(&self) -> Vec<(String, f64)> {
        let total: f64 = self.coefficients.iter().map(|c| c.abs()).sum();
        let mut shares: Vec<(String, f64)> = self
            .feature_names
            .iter()
            .zip(&self.coefficients)
            .map(|(n, c)| (n.clone(), if total > 0.0 { c.abs() / total } else { 0.0 }))
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        shares
    }
}
