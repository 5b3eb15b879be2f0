//! What every model's hyper-parameters share: a table describing each one (for forms, errors and
//! help) and parsing of a typed value from text that refuses anything outside the range, naming
//! the parameter and the range.

use super::MlError;

/// A parameter's name, the values it accepts and what it means.
#[derive(Debug)]
pub struct ParamInfo {
    pub name: &'static str,
    pub range: &'static str,
    pub description: &'static str,
    /// The range a tuning study searches by default, in `--space` syntax (`log:0.01..0.3`);
    /// `None` for a parameter not worth tuning (the seed, the threads, the rounds).
    pub search: Option<&'static str>,
}

/// One `key = value` being set against a model's parameter table.
pub struct ParamSetter<'a> {
    key: &'a str,
    value: &'a str,
    info: &'static ParamInfo,
}

impl<'a> ParamSetter<'a> {
    /// Refuses a name the table does not hold, listing the ones it does.
    pub fn new(table: &'static [ParamInfo], key: &'a str, value: &'a str) -> Result<Self, MlError> {
        let info = table
            .iter()
            .find(|p| p.name == key)
            .ok_or_else(|| MlError::BadParam {
                name: key.to_string(),
                value: value.to_string(),
                expected: if table.is_empty() {
                    "no parameters: this model has none".to_string()
                } else {
                    format!(
                        "a parameter of this model: {}",
                        table.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
                    )
                },
            })?;
        Ok(Self { key, value, info })
    }

    /// The value refused, with the parameter's range as what was expected.
    pub fn bad(&self) -> MlError {
        MlError::BadParam {
            name: self.key.to_string(),
            value: self.value.to_string(),
            expected: self.info.range.to_string(),
        }
    }

    /// For a name in the table that the model's `set` does not handle (a programming slip).
    pub fn unknown(&self) -> MlError {
        self.bad()
    }

    pub fn int(&self, low: usize, high: usize) -> Result<usize, MlError> {
        self.value
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|v| (low..=high).contains(v))
            .ok_or_else(|| self.bad())
    }

    pub fn whole(&self) -> Result<u64, MlError> {
        self.value.trim().parse().map_err(|_| self.bad())
    }

    fn number(&self) -> Option<f64> {
        self.value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }

    /// Above 0, at most 1 (rates and shares).
    pub fn unit(&self) -> Result<f64, MlError> {
        self.number()
            .filter(|v| *v > 0.0 && *v <= 1.0)
            .ok_or_else(|| self.bad())
    }

    /// `low` to `high` inclusive.
    pub fn between(&self, low: f64, high: f64) -> Result<f64, MlError> {
        self.number()
            .filter(|v| (low..=high).contains(v))
            .ok_or_else(|| self.bad())
    }

    /// Above `low`, at most `high`.
    pub fn above(&self, low: f64, high: f64) -> Result<f64, MlError> {
        self.number()
            .filter(|v| *v > low && *v <= high)
            .ok_or_else(|| self.bad())
    }

    pub fn text(&self) -> &str {
        self.value.trim()
    }
}
