//! One record answered straight from its parsed fields, with no polars frame (the HTTP
//! endpoint's and the Predict form's path), and the warnings for fields a model does not read.
//! The field checks are `predict::parse_field` and the encoders `encode::encode_value`, the
//! same as the frame path's, which a test holds equal to the bit.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::MlError;
use super::artifact::LoadedModel;
use super::encode::EncoderInput;
use super::lags::LagSpec;
use super::predict::{
    FieldIssue, FieldValue, PredictError, Prediction, parse_derived, parse_field, predictions_of,
};
use super::signature::Signature;

/// Warnings for the fields of `record` the model does not read: a misspelt input (with the
/// input it most likely meant), or a column its lookup tables provide. They are ignored, and
/// the answer says so rather than quietly predicting as if the field were not given.
pub(super) fn unused_field_warnings(
    signature: &Signature,
    record: &Map<String, Value>,
) -> Vec<String> {
    let derived = signature
        .derived
        .as_ref()
        .map(LagSpec::output_names)
        .unwrap_or_default();
    let inputs = || signature.inputs.iter().map(|i| i.name.as_str());
    let mut warnings = Vec::new();
    for name in record.keys() {
        if inputs().any(|i| i == name) || derived.iter().any(|d| d == name) {
            continue;
        }
        if let Some(lookup) = signature
            .lookups
            .iter()
            .find(|l| l.columns.iter().any(|c| c == name))
        {
            warnings.push(format!(
                "{name}: comes from the model's lookup table {}; the value given is not used",
                lookup.source
            ));
            continue;
        }
        warnings.push(match crate::text::nearest(name, inputs()) {
            Some(meant) => {
                format!("{name}: not an input of this model (did you mean {meant}?); it is ignored")
            }
            None => format!("{name}: not an input of this model; it is ignored"),
        });
    }
    warnings
}

/// One record answered straight from its parsed fields, with no polars frame: the same field
/// checks (`parse_field`) and the same encoders (`encode_value`) as the frame path, at a
/// fraction of its cost per request. Used when there is no lookup table to join and no what-if.
pub(super) fn predict_record_direct(
    loaded: &LoadedModel,
    record: &Map<String, Value>,
) -> Result<Prediction, PredictError> {
    let signature = &loaded.signature;
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    let mut parsed: Vec<(&str, FieldValue)> = Vec::with_capacity(signature.inputs.len());
    for input in &signature.inputs {
        let value = record.get(&input.name).unwrap_or(&Value::Null);
        match parse_field(input, value) {
            Ok((value, warning)) => {
                warnings.extend(warning);
                parsed.push((input.name.as_str(), value));
            }
            Err(reason) => issues.push(FieldIssue {
                row: 1,
                field: input.name.clone(),
                reason,
            }),
        }
    }
    let derived_names = signature
        .derived
        .as_ref()
        .map(LagSpec::output_names)
        .unwrap_or_default();
    let mut derived = Vec::with_capacity(derived_names.len());
    for name in derived_names {
        match parse_derived(record.get(&name).unwrap_or(&Value::Null)) {
            Ok(value) => derived.push((name, value)),
            Err(reason) => issues.push(FieldIssue {
                row: 1,
                field: name,
                reason,
            }),
        }
    }
    if !issues.is_empty() {
        return Err(PredictError::Invalid(issues));
    }
    warnings.extend(unused_field_warnings(signature, record));
    let inputs: Vec<(&str, EncoderInput<'_>)> = parsed
        .iter()
        .map(|(name, value)| {
            let input = match value {
                FieldValue::Missing => EncoderInput::Missing,
                FieldValue::Number(n) => EncoderInput::Number(*n),
                FieldValue::Boolean(b) => EncoderInput::Number(f64::from(u8::from(*b))),
                FieldValue::Category(text) => EncoderInput::Text(text.as_str()),
                FieldValue::Date(date) => EncoderInput::Day(
                    date.signed_duration_since(NaiveDate::default()).num_days() as i32,
                ),
            };
            (*name, input)
        })
        .collect();
    let x = loaded.pipeline.encode_record(|name| {
        match inputs.iter().find(|(n, _)| *n == name) {
            Some((_, input)) => *input,
            // A lag or rolling feature the model derives from history: given, or missing.
            None => derived
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, value)| *value)
                .map_or(EncoderInput::Missing, EncoderInput::Number),
        }
    });
    let (value, interval) = predictions_of(loaded, &x)?
        .into_iter()
        .next()
        .ok_or(MlError::Empty("prediction"))?;
    Ok(Prediction {
        value,
        interval,
        interval_level: loaded.metrics.conformal.as_ref().map(|c| c.level),
        uplift: Vec::new(),
        warnings,
    })
}
