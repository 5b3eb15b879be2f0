//! Linear regression models (ordinary, ridge, lasso, elastic net), fitted by smartcore on
//! standardised features.
//!
//! The fitted model is kept as plain numbers: the intercept and one coefficient per standardised
//! feature, read back by predicting the zero vector and each unit vector (exact for a linear
//! model). So the model saves as JSON, predicts without the fitting library, and its importances
//! are |coefficient| on standardised features, comparable across features.

use serde::{Deserialize, Serialize};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::elastic_net::{ElasticNet, ElasticNetParameters};
use smartcore::linear::lasso::{Lasso, LassoParameters};
use smartcore::linear::linear_regression::{LinearRegression, LinearRegressionParameters};
use smartcore::linear::ridge_regression::{RidgeRegression, RidgeRegressionParameters};

use super::MlError;
use super::features::Matrix;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearKind {
    Linear,
    Ridge,
    Lasso,
    ElasticNet,
}

impl LinearKind {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "linear" => LinearKind::Linear,
            "ridge" => LinearKind::Ridge,
            "lasso" => LinearKind::Lasso,
            "elastic_net" | "elasticnet" => LinearKind::ElasticNet,
            _ => return None,
        })
    }
}

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
            alpha: 1.0,
            l1_ratio: 0.5,
        }
    }

    /// Sets `key` from text, refusing unknown names and values outside the range.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), MlError> {
        let bad = |expected: &str| MlError::BadParam {
            name: key.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        };
        let number = value.parse::<f64>().ok().filter(|v| v.is_finite());
        match key {
            "alpha" => {
                self.alpha = number
                    .filter(|v| *v > 0.0 && *v <= 1e6)
                    .ok_or_else(|| bad("above 0, at most 1000000"))?;
            }
            "l1_ratio" => {
                self.l1_ratio = number
                    .filter(|v| (0.0..=1.0).contains(v))
                    .ok_or_else(|| bad("0 to 1"))?;
            }
            _ => return Err(bad("one of alpha, l1_ratio")),
        }
        Ok(())
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            LinearKind::Linear => Vec::new(),
            LinearKind::Ridge | LinearKind::Lasso => vec![("alpha", self.alpha.to_string())],
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
    let z =
        DenseMatrix::new(x.rows, x.cols(), standardizer.transform(x), false).map_err(fit_error)?;
    let y = y.to_vec();
    // Probe rows: the zero vector, then each unit vector.
    let cols = x.cols();
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
        LinearKind::ElasticNet => ElasticNet::fit(
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
    if !intercept.is_finite() || coefficients.iter().any(|c| !c.is_finite()) {
        return Err(MlError::Model(
            "the fit did not converge to finite coefficients (collinear features?); try ridge"
                .to_string(),
        ));
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
        Ok((0..x.rows)
            .map(|i| {
                self.intercept
                    + z[i * cols..(i + 1) * cols]
                        .iter()
                        .zip(&self.coefficients)
                        .map(|(v, c)| v * c)
                        .sum::<f64>()
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
