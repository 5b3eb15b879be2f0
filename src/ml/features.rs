//! From a polars frame to the numeric matrix models train on, fitted on the training rows only
//! and saved with the model so prediction encodes new rows exactly as training did.
//!
//! - numbers: missing values imputed with the training median, plus a missing-indicator column
//!   when the training rows had any missing;
//! - categories: one-hot up to `ONE_HOT_MAX_LEVELS` levels, otherwise codes ordered by training
//!   frequency; a level unseen in training (or missing) encodes as all zeros / code 0;
//! - dates: year, month, ISO week, day of week (Monday 1) and day of year;
//! - booleans: 0 / 1.
//!
//! The task is inferred from the target (two distinct values: binary classification; numbers:
//! regression) and can be overridden. Regression targets can be trained on log1p.

use std::collections::HashMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;
use super::encode::{LevelIndex, encode_series};
use super::frame::column;

pub const ONE_HOT_MAX_LEVELS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Regression,
    BinaryClassification,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Regression => "regression",
            Task::BinaryClassification => "binary_classification",
        }
    }

    /// A task as the faces and the store write it (`binary` is short for the classification).
    pub fn parse(text: &str) -> Option<Task> {
        match text {
            "regression" => Some(Task::Regression),
            "binary" | "classification" | "binary_classification" => {
                Some(Task::BinaryClassification)
            }
            _ => None,
        }
    }
}

/// The task and, for classification, which target value counts as positive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetSpec {
    pub column: String,
    pub task: Task,
    /// The positive class's value as text (`1`, `Yes`, `true`).
    pub positive: Option<String>,
    pub log1p: bool,
}

/// Infers (or checks an override of) the task for `target`, refusing targets nothing can be
/// learned from.
pub fn target_spec(
    df: &DataFrame,
    target: &str,
    task_override: Option<Task>,
) -> Result<TargetSpec, MlError> {
    let column = column(df, target)?;
    let series = column.as_materialized_series();
    let values = distinct_text(series)?;
    if values.len() < 2 {
        return Err(MlError::BadTarget {
            column: target.to_string(),
            why: match values.first() {
                Some(v) => format!("it holds a single value ('{v}'); there is nothing to learn"),
                None => "it holds no values".to_string(),
            },
        });
    }
    let numeric = series.dtype().is_primitive_numeric() || series.dtype() == &DataType::Boolean;
    let task = match task_override {
        Some(task) => task,
        None if values.len() == 2 => Task::BinaryClassification,
        None if numeric => Task::Regression,
        None => {
            return Err(MlError::BadTarget {
                column: target.to_string(),
                why: format!(
                    "it is text with {} distinct values; expected numbers (regression) or two \
                     classes (binary classification)",
                    values.len()
                ),
            });
        }
    };
    match task {
        Task::Regression if !numeric || series.dtype() == &DataType::Boolean => {
            Err(MlError::BadTarget {
                column: target.to_string(),
                why: format!(
                    "regression needs a numeric target, and this one holds {} values such as '{}'",
                    series.dtype(),
                    values[0]
                ),
            })
        }
        Task::Regression => Ok(TargetSpec {
            column: target.to_string(),
            task,
            positive: None,
            log1p: false,
        }),
        Task::BinaryClassification if values.len() != 2 => Err(MlError::BadTarget {
            column: target.to_string(),
            why: format!(
                "binary classification needs exactly two classes, and this target has {}",
                values.len()
            ),
        }),
        Task::BinaryClassification => Ok(TargetSpec {
            column: target.to_string(),
            task,
            positive: Some(positive_class(&values)),
            log1p: false,
        }),
    }
}

/// `1`, `true`, `yes` or `y` (any case) when present; otherwise the later value in sort order.
fn positive_class(values: &[String]) -> String {
    values
        .iter()
        .find(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "y"))
        .cloned()
        .unwrap_or_else(|| values[values.len() - 1].clone())
}

fn distinct_text(series: &Series) -> Result<Vec<String>, MlError> {
    let mut values: Vec<String> = text_of(series)?.into_iter().flatten().collect();
    values.sort_unstable();
    values.dedup();
    Ok(values)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ColumnEncoder {
    Numeric {
        column: String,
        median: f64,
        missing_indicator: bool,
    },
    Boolean {
        column: String,
    },
    OneHot {
        column: String,
        levels: Vec<String>,
        #[serde(skip)]
        index: LevelIndex,
    },
    /// Code i + 1 for `levels[i]` (most frequent in training first); 0 for unseen or missing.
    Codes {
        column: String,
        levels: Vec<String>,
        #[serde(skip)]
        index: LevelIndex,
    },
    DateParts {
        column: String,
    },
}

impl ColumnEncoder {
    pub fn column(&self) -> &str {
        match self {
            ColumnEncoder::Numeric { column, .. }
            | ColumnEncoder::Boolean { column }
            | ColumnEncoder::OneHot { column, .. }
            | ColumnEncoder::Codes { column, .. }
            | ColumnEncoder::DateParts { column } => column,
        }
    }

    pub fn output_names(&self) -> Vec<String> {
        match self {
            ColumnEncoder::Numeric {
                column,
                missing_indicator,
                ..
            } => {
                let mut names = vec![column.clone()];
                if *missing_indicator {
                    names.push(format!("{column}__missing"));
                }
                names
            }
            ColumnEncoder::Boolean { column } | ColumnEncoder::Codes { column, .. } => {
                vec![column.clone()]
            }
            ColumnEncoder::OneHot { column, levels, .. } => {
                levels.iter().map(|l| format!("{column}={l}")).collect()
            }
            ColumnEncoder::DateParts { column } => ["year", "month", "week", "weekday", "yearday"]
                .iter()
                .map(|part| format!("{column}__{part}"))
                .collect(),
        }
    }
}

/// A dense row-major matrix with named columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub names: Vec<String>,
    pub values: Vec<f64>,
}

impl Matrix {
    pub fn cols(&self) -> usize {
        self.names.len()
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.cols()..(i + 1) * self.cols()]
    }

    /// The rows `rows` (in that order) as a new matrix.
    pub fn select_rows(&self, rows: &[IdxSize]) -> Matrix {
        let cols = self.cols();
        let mut values = Vec::with_capacity(rows.len() * cols);
        for &row in rows {
            values.extend_from_slice(self.row(row as usize));
        }
        Matrix {
            rows: rows.len(),
            names: self.names.clone(),
            values,
        }
    }

    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let j = self.names.iter().position(|n| n == name)?;
        Some(
            (0..self.rows)
                .map(|i| self.values[i * self.cols() + j])
                .collect(),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    pub target: TargetSpec,
    pub encoders: Vec<ColumnEncoder>,
    pub feature_names: Vec<String>,
}

impl FeaturePipeline {
    /// Fits encoders for `features` on the rows `train` of `df` only.
    pub fn fit(
        df: &DataFrame,
        train: &[IdxSize],
        target: TargetSpec,
        features: &[String],
    ) -> Result<Self, MlError> {
        if features.contains(&target.column) {
            return Err(MlError::BadFeature {
                column: target.column.clone(),
                why: "it is the target".to_string(),
            });
        }
        let idx = IdxCa::from_vec("rows".into(), train.to_vec());
        let mut encoders = Vec::with_capacity(features.len());
        for name in features {
            let values = column(df, name)?.as_materialized_series().take(&idx)?;
            encoders.push(fit_encoder(name, &values)?);
        }
        let feature_names = encoders.iter().flat_map(|e| e.output_names()).collect();
        Ok(Self {
            target,
            encoders,
            feature_names,
        })
    }

    /// Encodes every row of `df` (which must hold the fitted feature columns).
    pub fn transform(&self, df: &DataFrame) -> Result<Matrix, MlError> {
        let rows = df.height();
        let cols = self.feature_names.len();
        let mut values = vec![0.0; rows * cols];
        let mut offset = 0;
        for encoder in &self.encoders {
            let series = column(df, encoder.column())?
                .as_materialized_series()
                .clone();
            let width = encoder.output_names().len();
            let encoded = encode_series(encoder, &series)?;
            for (row, chunk) in encoded.chunks_exact(width).enumerate() {
                let start = row * cols + offset;
                values[start..start + width].copy_from_slice(chunk);
            }
            offset += width;
        }
        Ok(Matrix {
            rows,
            names: self.feature_names.clone(),
            values,
        })
    }

    /// The target as model input: numbers (log1p when asked) for regression, 1 / 0 for
    /// classification. Rows without a target are refused with their count.
    pub fn target_values(&self, df: &DataFrame) -> Result<Vec<f64>, MlError> {
        let series = column(df, &self.target.column)?
            .as_materialized_series()
            .clone();
        if series.null_count() > 0 {
            return Err(MlError::BadTarget {
                column: self.target.column.clone(),
                why: format!("{} row(s) have no target value", series.null_count()),
            });
        }
        match self.target.task {
            Task::Regression => {
                let numbers = as_f64(&series)?;
                if self.target.log1p {
                    if let Some((row, v)) = first_outside_log1p(numbers.iter().map(|v| Some(*v))) {
                        return Err(MlError::BadTarget {
                            column: self.target.column.clone(),
                            why: format!("log1p needs values above -1; row {row} holds {v}"),
                        });
                    }
                    Ok(numbers.into_iter().map(f64::ln_1p).collect())
                } else {
                    Ok(numbers)
                }
            }
            Task::BinaryClassification => {
                let positive = self.target.positive.clone().unwrap_or_default();
                let text = series.cast(&DataType::String)?;
                Ok(text
                    .str()?
                    .iter()
                    .map(|v| f64::from(u8::from(v == Some(positive.as_str()))))
                    .collect())
            }
        }
    }
}

fn as_f64(series: &Series) -> Result<Vec<f64>, MlError> {
    let cast = series.cast(&DataType::Float64)?;
    Ok(cast.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

fn fit_encoder(name: &str, train: &Series) -> Result<ColumnEncoder, MlError> {
    let dtype = train.dtype().clone();
    if dtype == DataType::Boolean {
        return Ok(ColumnEncoder::Boolean {
            column: name.to_string(),
        });
    }
    if matches!(dtype, DataType::Date | DataType::Datetime(_, _)) {
        return Ok(ColumnEncoder::DateParts {
            column: name.to_string(),
        });
    }
    if dtype.is_primitive_numeric() {
        let mut present: Vec<f64> = as_f64(train)?.into_iter().filter(|v| !v.is_nan()).collect();
        if present.is_empty() {
            return Err(MlError::BadFeature {
                column: name.to_string(),
                why: "it has no values in the training rows".to_string(),
            });
        }
        let median = crate::data::profile::quantile(&mut present, 0.5);
        return Ok(ColumnEncoder::Numeric {
            column: name.to_string(),
            median,
            missing_indicator: train.null_count() > 0,
        });
    }
    if dtype == DataType::String {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        let text = train.str()?;
        for value in text.iter().flatten() {
            *counts.entry(value).or_default() += 1;
        }
        let mut levels: Vec<(&str, u64)> = counts.into_iter().collect();
        levels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let levels: Vec<String> = levels.into_iter().map(|(l, _)| l.to_string()).collect();
        if levels.is_empty() {
            return Err(MlError::BadFeature {
                column: name.to_string(),
                why: "it has no values in the training rows".to_string(),
            });
        }
        return Ok(if levels.len() <= ONE_HOT_MAX_LEVELS {
            ColumnEncoder::OneHot {
                column: name.to_string(),
                levels,
                index: LevelIndex::default(),
            }
        } else {
            ColumnEncoder::Codes {
                column: name.to_string(),
                levels,
                index: LevelIndex::default(),
            }
        });
    }
    Err(MlError::BadFeature {
        column: name.to_string(),
        why: format!("its values are {dtype}, which Shelfcast cannot encode"),
    })
}

fn text_of(series: &Series) -> Result<Vec<Option<String>>, MlError> {
    let text = series.cast(&DataType::String)?;
    Ok(text.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// The first value log1p cannot take (it is defined above -1 only), with its 0-based row: the
/// one rule behind the launch check and the pipeline's own.
pub fn first_outside_log1p(values: impl Iterator<Item = Option<f64>>) -> Option<(usize, f64)> {
    values
        .enumerate()
        .find_map(|(i, v)| v.filter(|v| *v <= -1.0).map(|v| (i, v)))
}
