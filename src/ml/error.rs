//! Errors of the ml layer.

#[derive(Debug, thiserror::Error)]
pub enum MlError {
    #[error("{what}: {actual} actual values but {predicted} predictions; expected one each")]
    LengthMismatch {
        what: &'static str,
        actual: usize,
        predicted: usize,
    },
    #[error("{0}: no values to evaluate")]
    Empty(&'static str),
    #[error("{what}: probability {value} at row {row} is not between 0 and 1")]
    NotAProbability {
        what: &'static str,
        row: usize,
        value: f64,
    },
    #[error("{what}: value {value} at row {row} is not a finite number")]
    NotFinite {
        what: &'static str,
        row: usize,
        value: f64,
    },
    #[error("split '{spec}': {why}")]
    BadSplit { spec: String, why: String },
    #[error("no column '{column}' in the data; the columns are: {available}")]
    NoSuchColumn { column: String, available: String },
    #[error("column '{column}' holds {dtype} values; a time split needs a date column")]
    NotADateColumn { column: String, dtype: String },
    #[error(
        "column '{column}' has {rows} row(s) without a date; a time split needs every row dated"
    )]
    MissingDates { column: String, rows: usize },
    #[error("reading the data: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("target '{column}' cannot be used: {why}")]
    BadTarget { column: String, why: String },
    #[error("feature '{column}' cannot be used: {why}")]
    BadFeature { column: String, why: String },
    #[error("parameter {name} = '{value}' is not allowed; expected {expected}")]
    BadParam {
        name: String,
        value: String,
        expected: String,
    },
    #[error("the data lacks the model's input column(s) {missing}; expected {expected}")]
    MissingInputs { missing: String, expected: String },
    #[error("model: {0}")]
    Model(String),
}
