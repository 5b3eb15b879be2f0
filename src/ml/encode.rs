//! How one value becomes the numbers a model sees: the one rule behind `FeaturePipeline::
//! transform` (whole frames: training, batches) and `FeaturePipeline::encode_record` (one
//! record, straight from its parsed fields: the HTTP endpoint and the Predict form, which would
//! otherwise build a polars frame per request). Both call `encode_value`, so they cannot
//! disagree; a test holds them equal bit for bit on the sample.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use super::MlError;
use super::features::{ColumnEncoder, FeaturePipeline, Matrix};

/// One value as it enters an encoder, whatever it was read from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EncoderInput<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
    /// Days since 1970-01-01.
    Day(i32),
}

/// The levels of a categorical encoder by position, built once per loaded model (not per row
/// or per request). Not saved: it is rebuilt from the levels.
#[derive(Default)]
pub struct LevelIndex(OnceLock<HashMap<String, usize>>);

impl LevelIndex {
    pub fn get(&self, levels: &[String]) -> &HashMap<String, usize> {
        self.0.get_or_init(|| {
            levels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.clone(), i))
                .collect()
        })
    }
}

impl Clone for LevelIndex {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for LevelIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LevelIndex")
    }
}

impl PartialEq for LevelIndex {
    /// A cache: two encoders with the same levels are equal whatever they have cached.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Appends `input`'s encoding under `encoder` to `out` (`output_names().len()` values).
pub fn encode_value(encoder: &ColumnEncoder, input: EncoderInput<'_>, out: &mut Vec<f64>) {
    match encoder {
        ColumnEncoder::Numeric {
            median,
            missing_indicator,
            ..
        } => {
            let v = match input {
                EncoderInput::Number(v) => v,
                _ => f64::NAN,
            };
            out.push(if v.is_nan() { *median } else { v });
            if *missing_indicator {
                out.push(f64::from(u8::from(v.is_nan())));
            }
        }
        ColumnEncoder::Boolean { .. } => out.push(match input {
            EncoderInput::Number(v) if !v.is_nan() => v,
            _ => 0.0,
        }),
        ColumnEncoder::OneHot { levels, index, .. } => {
            let start = out.len();
            out.resize(start + levels.len(), 0.0);
            if let EncoderInput::Text(text) = input
                && let Some(&i) = index.get(levels).get(text)
            {
                out[start + i] = 1.0;
            }
        }
        ColumnEncoder::Codes { levels, index, .. } => out.push(match input {
            EncoderInput::Text(text) => {
                index.get(levels).get(text).map_or(0.0, |&i| (i + 1) as f64)
            }
            _ => 0.0,
        }),
        ColumnEncoder::DateParts { .. } => {
            let date = match input {
                EncoderInput::Day(d) => {
                    NaiveDate::default().checked_add_signed(chrono::Duration::days(i64::from(d)))
                }
                _ => None,
            };
            match date {
                Some(date) => out.extend([
                    f64::from(date.year()),
                    f64::from(date.month()),
                    f64::from(date.iso_week().week()),
                    f64::from(date.weekday().number_from_monday()),
                    f64::from(date.ordinal()),
                ]),
                // A missing date gives NaN parts: tree models route them, linear ones are
                // refused by their own input check.
                None => out.extend([f64::NAN; 5]),
            }
        }
    }
}

/// The encoder's output for every row of `series`, row-major.
pub fn encode_series(encoder: &ColumnEncoder, series: &Series) -> Result<Vec<f64>, MlError> {
    let width = encoder.output_names().len();
    let mut out = Vec::with_capacity(series.len() * width);
    match encoder {
        ColumnEncoder::Numeric { .. } | ColumnEncoder::Boolean { .. } => {
            let numbers = series.cast(&DataType::Float64)?;
            for v in numbers.f64()?.iter() {
                let input = v.map_or(EncoderInput::Missing, EncoderInput::Number);
                encode_value(encoder, input, &mut out);
            }
        }
        ColumnEncoder::OneHot { .. } | ColumnEncoder::Codes { .. } => {
            let text = series.cast(&DataType::String)?;
            for v in text.str()?.iter() {
                let input = v.map_or(EncoderInput::Missing, EncoderInput::Text);
                encode_value(encoder, input, &mut out);
            }
        }
        ColumnEncoder::DateParts { .. } => {
            let dates = series.cast(&DataType::Date)?;
            for d in dates.date()?.physical().iter() {
                let input = d.map_or(EncoderInput::Missing, EncoderInput::Day);
                encode_value(encoder, input, &mut out);
            }
        }
    }
    Ok(out)
}

impl FeaturePipeline {
    /// One record's row, from each encoder's input (absent: missing). What `transform` gives
    /// for a one-row frame of the same values.
    pub fn encode_record<'v>(&self, input: impl Fn(&str) -> EncoderInput<'v>) -> Matrix {
        let mut values = Vec::with_capacity(self.feature_names.len());
        for encoder in &self.encoders {
            encode_value(encoder, input(encoder.column()), &mut values);
        }
        Matrix {
            rows: 1,
            names: self.feature_names.clone(),
            values,
        }
    }
}
