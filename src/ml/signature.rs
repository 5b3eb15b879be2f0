//! A model's signature: the input it expects (ordered columns, their kinds, the categories and
//! ranges seen in training), what it predicts, and which features it derives itself. Saved with
//! every model; prediction forms, batch validation and the HTTP endpoint are generated from it.

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::MlError;
use super::features::{ColumnEncoder, FeaturePipeline, Task};
use super::frame::column;
use super::lags::LagSpec;
use super::lookup::BundledLookup;
use super::models::ModelKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Number,
    Boolean,
    Category,
    Date,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputField {
    pub name: String,
    pub kind: FieldKind,
    /// Levels seen in training, most frequent first (categories only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// The training rows' smallest and largest value (numbers), or first and last date as
    /// `YYYY-MM-DD` text (dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Value>,
    /// A typical training value, where a form starts: the median (numbers), the last date, the
    /// most frequent level or flag. Absent in signatures saved before forms used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typical: Option<serde_json::Value>,
    /// Whether training rows had missing values here (the model then knows what to do with one).
    pub missing_seen: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    pub model: ModelKind,
    pub task: Task,
    pub target: String,
    /// Classification: the target value predicted as probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_class: Option<String>,
    pub log1p_target: bool,
    /// The columns a caller supplies, in order.
    pub inputs: Vec<InputField>,
    /// Features the model computes from history (lags, rolling means), not supplied per record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<LagSpec>,
    /// The encoded columns the model itself sees, in order.
    pub feature_names: Vec<String>,
    /// The smallest and largest target in training (regression): an interval never reaches
    /// below a floor the target never crossed (sales are never negative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_range: Option<(f64, f64)>,
    /// Lookup tables saved in the bundle, joined on their keys before the model sees a record:
    /// the columns they provide are not inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookups: Vec<BundledLookup>,
}

/// The signature of `pipeline` fitted on the rows `train` of `df`.
pub fn signature(
    model: ModelKind,
    pipeline: &FeaturePipeline,
    lags: Option<&LagSpec>,
    lookups: &[BundledLookup],
    df: &DataFrame,
    train: &[IdxSize],
) -> Result<Signature, MlError> {
    let derived_names = lags.map(LagSpec::output_names).unwrap_or_default();
    let looked_up = |name: &str| lookups.iter().any(|l| l.columns.iter().any(|c| c == name));
    let idx = IdxCa::from_vec("rows".into(), train.to_vec());
    let mut inputs = Vec::new();
    for encoder in &pipeline.encoders {
        let name = encoder.column();
        if derived_names.iter().any(|d| d == name) || looked_up(name) {
            continue;
        }
        let values = column(df, name)?.as_materialized_series().take(&idx)?;
        let (kind, categories) = match encoder {
            ColumnEncoder::Numeric { .. } => (FieldKind::Number, Vec::new()),
            ColumnEncoder::Boolean { .. } => (FieldKind::Boolean, Vec::new()),
            ColumnEncoder::OneHot { levels, .. } | ColumnEncoder::Codes { levels, .. } => {
                (FieldKind::Category, levels.clone())
            }
            ColumnEncoder::DateParts { .. } => (FieldKind::Date, Vec::new()),
        };
        inputs.push(input_field(name, kind, categories, &values)?);
    }
    // A lookup's keys come with every record even when the model does not use them itself.
    for key in lookups.iter().flat_map(|l| &l.keys) {
        if inputs.iter().any(|i| &i.name == key) {
            continue;
        }
        let values = column(df, key)?.as_materialized_series().take(&idx)?;
        let (kind, categories) = kind_of_values(&values)?;
        inputs.push(input_field(key, kind, categories, &values)?);
    }
    let target_range = match pipeline.target.task {
        super::features::Task::Regression => {
            let values = column(df, &pipeline.target.column)?
                .as_materialized_series()
                .take(&idx)?
                .cast(&DataType::Float64)?;
            let values = values.f64()?;
            values.min().zip(values.max())
        }
        super::features::Task::BinaryClassification => None,
    };
    Ok(Signature {
        target_range,
        model,
        task: pipeline.target.task,
        target: pipeline.target.column.clone(),
        positive_class: pipeline.target.positive.clone(),
        log1p_target: pipeline.target.log1p,
        inputs,
        derived: lags.cloned(),
        feature_names: pipeline.feature_names.clone(),
        lookups: lookups.to_vec(),
    })
}

/// The field kind of a column no encoder describes (a lookup key), from its values.
fn kind_of_values(values: &Series) -> Result<(FieldKind, Vec<String>), MlError> {
    Ok(match values.dtype() {
        DataType::Boolean => (FieldKind::Boolean, Vec::new()),
        DataType::Date | DataType::Datetime(..) => (FieldKind::Date, Vec::new()),
        d if d.is_primitive_numeric() => (FieldKind::Number, Vec::new()),
        _ => {
            let counts =
                values
                    .cast(&DataType::String)?
                    .value_counts(true, false, "count".into(), false)?;
            let levels = counts
                .column(values.name().as_str())?
                .str()?
                .iter()
                .flatten()
                .map(str::to_string)
                .collect();
            (FieldKind::Category, levels)
        }
    })
}

/// One input's description from its training values.
fn input_field(
    name: &str,
    kind: FieldKind,
    categories: Vec<String>,
    values: &Series,
) -> Result<InputField, MlError> {
    let missing_seen = values.null_count() > 0;
    let (min, max, typical) = match kind {
        FieldKind::Number => {
            let numbers = values.cast(&DataType::Float64)?;
            let numbers = numbers.f64()?;
            let value = |v: Option<f64>| v.map(serde_json::Value::from);
            (
                value(numbers.min()),
                value(numbers.max()),
                value(numbers.median()),
            )
        }
        FieldKind::Date => {
            let days = values.cast(&DataType::Date)?;
            let days = days.date()?.physical().clone();
            let text = |d: Option<i32>| {
                d.map(|d| serde_json::Value::from(crate::data::profile::day_text(d)))
            };
            (text(days.min()), text(days.max()), text(days.max()))
        }
        FieldKind::Boolean => {
            let flags = values.cast(&DataType::Boolean)?;
            let flags = flags.bool()?;
            let typical = (flags.len() > flags.null_count()).then(|| {
                serde_json::Value::from(
                    2 * flags.sum().unwrap_or(0) as usize > flags.len() - flags.null_count(),
                )
            });
            (None, None, typical)
        }
        FieldKind::Category => (
            None,
            None,
            categories.first().cloned().map(serde_json::Value::from),
        ),
    };
    Ok(InputField {
        name: name.to_string(),
        kind,
        categories,
        min,
        max,
        typical,
        missing_seen,
    })
}
