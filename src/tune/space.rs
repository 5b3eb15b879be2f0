//! A study's search space from text: `learning_rate=log:0.01..0.3,max_depth=int:3..10,
//! subsample=0.5..1,objective=cat:squared_error|poisson`. A range is `LOW..HIGH` (floats), with
//! `log:` sampled on a log scale and `int:` (or `int log:`, written `intlog:`) as whole numbers;
//! `cat:A|B|C` is a choice. A mistake is refused at its column with the rule it broke.

use serde::{Deserialize, Serialize};

/// One parameter's range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Range {
    Float { low: f64, high: f64, log: bool },
    Int { low: i64, high: i64, log: bool },
    Categorical { choices: Vec<String> },
}

/// A named parameter and its range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dimension {
    pub name: String,
    pub range: Range,
}

/// The whole space, in the order written.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Space {
    pub dimensions: Vec<Dimension>,
}

/// A value a trial takes for one parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(f64),
    Choice(String),
}

impl Value {
    /// As a model parameter's text (a whole number without a point).
    pub fn text(&self, range: &Range) -> String {
        match (self, range) {
            (Value::Number(v), Range::Int { .. }) => format!("{}", v.round() as i64),
            (Value::Number(v), _) => format!("{v}"),
            (Value::Choice(c), _) => c.clone(),
        }
    }
}

/// A refusal: the column (from 1) where it starts, and what was expected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("--space, column {column}: {what}")]
pub struct SpaceError {
    pub column: usize,
    pub what: String,
}

const RULE: &str = "expected NAME=LOW..HIGH, NAME=log:LOW..HIGH, NAME=int:LOW..HIGH, \
                    NAME=intlog:LOW..HIGH or NAME=cat:A|B";

/// Whether a parameter's text is a range to search (`0.5..1`, `log:0.01..0.3`, `cat:a|b`)
/// rather than one value: how the Train form tells a study's parameters from fixed ones.
pub fn is_range(text: &str) -> bool {
    let text = text.trim();
    text.contains("..") || text.starts_with("cat:")
}

impl Space {
    /// The space of the named ranges, in order: `(name, range text)` as the Train form's
    /// parameter fields hold them.
    pub fn from_ranges(ranges: &[(&str, &str)]) -> Result<Space, SpaceError> {
        let text: Vec<String> = ranges
            .iter()
            .map(|(name, range)| format!("{name}={}", range.trim()))
            .collect();
        Space::parse(&text.join(","))
    }

    pub fn parse(text: &str) -> Result<Space, SpaceError> {
        let mut dimensions: Vec<Dimension> = Vec::new();
        let mut column = 1;
        for part in text.split(',') {
            let start = column + (part.len() - part.trim_start().len());
            column += part.chars().count() + 1;
            let part = part.trim();
            if part.is_empty() {
                return Err(SpaceError {
                    column: start,
                    what: format!("an empty entry; {RULE}"),
                });
            }
            let Some((name, spec)) = part.split_once('=') else {
                return Err(SpaceError {
                    column: start,
                    what: format!("'{part}' has no '='; {RULE}"),
                });
            };
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(SpaceError {
                    column: start,
                    what: format!("'{name}' is not a parameter name (letters, digits and _)"),
                });
            }
            if dimensions.iter().any(|d| d.name == name) {
                return Err(SpaceError {
                    column: start,
                    what: format!("'{name}' is given twice"),
                });
            }
            let at = start + part.find('=').unwrap_or(0) + 1;
            let range = parse_range(spec.trim(), at)?;
            dimensions.push(Dimension {
                name: name.to_string(),
                range,
            });
        }
        Ok(Space { dimensions })
    }

    /// The text it was parsed from, normalised.
    pub fn describe(&self) -> String {
        self.dimensions
            .iter()
            .map(|d| {
                let spec = match &d.range {
                    Range::Float { low, high, log } => {
                        format!("{}{low}..{high}", if *log { "log:" } else { "" })
                    }
                    Range::Int { low, high, log } => {
                        format!("{}{low}..{high}", if *log { "intlog:" } else { "int:" })
                    }
                    Range::Categorical { choices } => format!("cat:{}", choices.join("|")),
                };
                format!("{}={spec}", d.name)
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn parse_range(spec: &str, column: usize) -> Result<Range, SpaceError> {
    let fail = |what: String| SpaceError { column, what };
    let (kind, rest) = match spec.split_once(':') {
        Some((kind, rest)) => (kind.trim(), rest.trim()),
        None => ("", spec),
    };
    if kind == "cat" {
        let choices: Vec<String> = rest.split('|').map(|c| c.trim().to_string()).collect();
        if choices.iter().any(String::is_empty) || choices.len() < 2 {
            return Err(fail(format!(
                "cat:{rest}: expected two or more choices, A|B, none empty"
            )));
        }
        return Ok(Range::Categorical { choices });
    }
    let (log, int) = match kind {
        "" => (false, false),
        "log" => (true, false),
        "int" => (false, true),
        "intlog" => (true, true),
        other => return Err(fail(format!("'{other}:' is not a kind; {RULE}"))),
    };
    let Some((low, high)) = rest.split_once("..") else {
        return Err(fail(format!("'{rest}' has no '..'; {RULE}")));
    };
    let number = |text: &str| -> Result<f64, SpaceError> {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| fail(format!("'{}' is not a number", text.trim())))
    };
    let (low, high) = (number(low)?, number(high)?);
    if low >= high {
        return Err(fail(format!("{low}..{high}: LOW must be below HIGH")));
    }
    if log && low <= 0.0 {
        return Err(fail(format!(
            "log:{low}..{high}: a log range must be above 0"
        )));
    }
    if int {
        if low.fract() != 0.0 || high.fract() != 0.0 {
            return Err(fail(format!("int:{low}..{high}: whole numbers expected")));
        }
        return Ok(Range::Int {
            low: low as i64,
            high: high as i64,
            log,
        });
    }
    Ok(Range::Float { low, high, log })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_reads_every_kind_and_refuses_at_the_column() {
        let space = Space::parse(
            "learning_rate=log:0.01..0.3,max_depth=int:3..10,subsample=0.5..1,objective=cat:squared_error|poisson",
        )
        .expect("space");
        assert_eq!(space.dimensions.len(), 4);
        assert_eq!(
            space.dimensions[1].range,
            Range::Int {
                low: 3,
                high: 10,
                log: false
            }
        );
        let bad = Space::parse("a=0..1,b=log:0..1").expect_err("log of 0");
        assert_eq!(bad.column, 10);
        assert!(bad.what.contains("above 0"), "{bad}");
        let bad = Space::parse("a=1..0").expect_err("reversed");
        assert_eq!(bad.column, 3);
        let bad = Space::parse("a=0..1, b=cat:x").expect_err("one choice");
        assert_eq!(bad.column, 11);
        let bad = Space::parse("a=0..1,b").expect_err("no =");
        assert_eq!(bad.column, 8);
    }
}
