//! The Predict pane's form, generated from a model's signature: one field per input (numbers and
//! dates typed, categories and flags chosen from the values seen in training) and, for a model
//! with lag features, optional history fields. Each field is checked as it changes by the same
//! `parse_field` / `parse_derived` that records, batch files (`ml::conform`) and the HTTP
//! endpoint go through, so the four faces agree.

use serde_json::{Map, Value};

use crate::ml::predict::{FieldValue, parse_derived, parse_field};
use crate::ml::signature::{FieldKind, InputField, Signature};

/// What the form says about a field's current value.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldCheck {
    /// Usable; the note says how it was read (a date's weekday, "missing").
    Ok(String),
    /// Usable, but the model extrapolates (outside the training range, a level never seen).
    Warning(String),
    /// Not usable: why.
    Error(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FormField {
    pub input: InputField,
    /// The value as typed or chosen; empty is missing.
    pub value: String,
    /// A lag or rolling mean the model derives from history: optional, empty means none (or,
    /// with a bundled history, looked up).
    pub derived: bool,
    /// The model keeps its series' history and this is neither a key nor the date: empty takes
    /// the series' last value.
    pub from_history: bool,
    pub check: FieldCheck,
}

impl FormField {
    fn new(input: InputField, value: String, derived: bool, from_history: bool) -> Self {
        let mut field = Self {
            input,
            value,
            derived,
            from_history,
            check: FieldCheck::Ok(String::new()),
        };
        field.recheck();
        field
    }

    /// Whether the value is typed (numbers, dates) rather than chosen (categories, flags).
    pub fn is_text(&self) -> bool {
        matches!(self.input.kind, FieldKind::Number | FieldKind::Date)
    }

    /// Whether `e` types the value: everything but a flag (a level can be typed rather than
    /// stepped to among fifty; one never seen is warned about).
    pub fn is_typeable(&self) -> bool {
        self.input.kind != FieldKind::Boolean
    }

    /// What the field takes, for the hint beside it: the training range or the level count.
    pub fn hint(&self) -> String {
        let text = |v: &Option<Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => crate::text::num_text(n.as_f64().unwrap_or(f64::NAN)),
            _ => String::new(),
        };
        if self.derived && self.from_history {
            return "empty = from the series' history".into();
        }
        if self.derived {
            return "history; empty = none".into();
        }
        if self.from_history && self.value.trim().is_empty() {
            return "empty = the series' last value".into();
        }
        match self.input.kind {
            FieldKind::Number | FieldKind::Date if self.input.min.is_some() => {
                format!("{} … {}", text(&self.input.min), text(&self.input.max))
            }
            FieldKind::Number => "a number".into(),
            FieldKind::Date => "YYYY-MM-DD".into(),
            FieldKind::Boolean => "true / false".into(),
            FieldKind::Category => {
                let at = self
                    .input
                    .categories
                    .iter()
                    .position(|c| *c == self.value)
                    .map_or("-".to_string(), |i| (i + 1).to_string());
                format!("{at} of {} levels", self.input.categories.len())
            }
        }
    }

    pub fn recheck(&mut self) {
        self.check = if self.from_history && self.value.trim().is_empty() {
            FieldCheck::Ok("from history".into())
        } else if self.derived {
            match parse_derived(&Value::String(self.value.clone())) {
                Ok(None) => FieldCheck::Ok("no history".into()),
                Ok(Some(_)) => FieldCheck::Ok(String::new()),
                Err(reason) => FieldCheck::Error(reason),
            }
        } else {
            match parse_field(&self.input, &Value::String(self.value.clone())) {
                // The range is in the hint; the form says it briefly.
                Ok((_, Some(_))) => FieldCheck::Warning(match self.input.kind {
                    FieldKind::Number | FieldKind::Date => {
                        format!("outside training range {}", self.hint())
                    }
                    FieldKind::Category | FieldKind::Boolean => {
                        "never seen in training: treated as unknown".into()
                    }
                }),
                Ok((FieldValue::Missing, None)) => FieldCheck::Ok("missing".into()),
                Ok((FieldValue::Date(date), None)) => {
                    FieldCheck::Ok(date.format("%a %-d %b %Y").to_string())
                }
                Ok(_) => FieldCheck::Ok(String::new()),
                Err(reason) => FieldCheck::Error(reason),
            }
        };
    }

    /// The values ← → step through: the levels seen (most frequent first) or false/true, with
    /// "missing" first when training had gaps here.
    fn choices(&self) -> Vec<String> {
        let mut choices: Vec<String> = match self.input.kind {
            FieldKind::Category => self.input.categories.clone(),
            FieldKind::Boolean => vec!["false".into(), "true".into()],
            FieldKind::Number | FieldKind::Date => return Vec::new(),
        };
        if self.input.missing_seen {
            choices.insert(0, String::new());
        }
        choices
    }

    /// Steps a choice field to the next (or previous) value; false for a typed field.
    pub fn cycle(&mut self, forward: bool) -> bool {
        let choices = self.choices();
        if choices.is_empty() {
            return false;
        }
        let n = choices.len();
        let next = match choices.iter().position(|c| *c == self.value) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => 0,
        };
        self.value = choices[next].clone();
        self.recheck();
        true
    }
}

/// A starting value: the typical training value the signature keeps, or the middle of the range.
fn typical_text(input: &InputField) -> String {
    let value = input.typical.clone().or_else(|| match input.kind {
        FieldKind::Category => input.categories.first().cloned().map(Value::from),
        FieldKind::Boolean => Some(Value::from(false)),
        FieldKind::Date => input.max.clone(),
        FieldKind::Number => {
            let min = input.min.as_ref().and_then(Value::as_f64)?;
            let max = input.max.as_ref().and_then(Value::as_f64)?;
            Some(Value::from((min + max) / 2.0))
        }
    });
    match value {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(0.0);
            if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{}", x as i64)
            } else {
                format!("{}", (x * 100.0).round() / 100.0)
            }
        }
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// The form for `signature`: each field keeps the value it had in `previous` (same name), so
/// switching between champion and challenger keeps the scenario; otherwise a typical value, or
/// empty (the series' own) for a model that keeps its history (`with_history`), whose records
/// need only the series keys and the date.
pub fn build_form(
    signature: &Signature,
    previous: &[FormField],
    with_history: bool,
) -> Vec<FormField> {
    let history_lags = signature.derived.as_ref().filter(|_| with_history);
    let from_history = |name: &str| {
        history_lags.is_some_and(|l| l.date != name && !l.groups.iter().any(|g| g == name))
    };
    let kept = |name: &str| {
        previous
            .iter()
            .find(|f| f.input.name == name)
            .map(|f| f.value.clone())
    };
    let mut fields: Vec<FormField> = signature
        .inputs
        .iter()
        .map(|input| {
            let own = from_history(&input.name);
            let value = kept(&input.name).unwrap_or_else(|| {
                if own {
                    String::new()
                } else {
                    typical_text(input)
                }
            });
            FormField::new(input.clone(), value, false, own)
        })
        .collect();
    if let Some(lags) = &signature.derived {
        for name in lags.output_names() {
            let input = InputField {
                name: name.clone(),
                kind: FieldKind::Number,
                categories: Vec::new(),
                min: None,
                max: None,
                typical: None,
                missing_seen: true,
            };
            let value = kept(&name).unwrap_or_default();
            fields.push(FormField::new(input, value, true, with_history));
        }
    }
    fields
}

/// The form's values as a record: empty fields are missing (JSON null).
pub fn form_record(fields: &[FormField]) -> Map<String, Value> {
    fields
        .iter()
        .map(|f| {
            let value = if f.value.trim().is_empty() {
                Value::Null
            } else {
                Value::String(f.value.clone())
            };
            (f.input.name.clone(), value)
        })
        .collect()
}

/// Fills the form from a saved record; returns the names it had that this form lacks.
pub fn fill_form(fields: &mut [FormField], record: &Map<String, Value>) -> Vec<String> {
    for field in fields.iter_mut() {
        if let Some(value) = record.get(&field.input.name) {
            field.value = match value {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            field.recheck();
        }
    }
    record
        .keys()
        .filter(|k| !fields.iter().any(|f| &f.input.name == *k))
        .cloned()
        .collect()
}

/// Resets every field to its typical value (empty where the series' history gives it).
pub fn reset_form(fields: &mut [FormField]) {
    for field in fields.iter_mut() {
        field.value = if field.derived || field.from_history {
            String::new()
        } else {
            typical_text(&field.input)
        };
        field.recheck();
    }
}
