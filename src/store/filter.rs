//! The run filter language, MLflow's with `or` and parentheses:
//!
//! ```text
//! metrics.rmse < 900 and params.model = "gbdt" and (tags.team = 'fresh' or status = "killed")
//! params.`model.objective` in ("poisson", "tweedie") and name like "%promo%"
//! ```
//!
//! - fields: `metrics.KEY` (the run's last value of that metric), `params.KEY`, `tags.KEY`, and
//!   the attributes `id`, `name`, `status`, `model`, `task`, `experiment`, `created` (also
//!   written `attributes.NAME`, as MLflow does). A key runs to the next space or operator and may
//!   hold dots (`params.model.rounds`); backquotes take anything (`` metrics.`val loss` ``);
//! - comparisons `=`, `!=`, `<`, `<=`, `>`, `>=`; `like` / `ilike` with `%` and `_` (SQLite's
//!   LIKE, which ignores ASCII case); `in (...)` and `not in (...)`;
//! - `and`, `or`, `not`, parentheses; words are case-insensitive.
//!
//! A numeric value compares params and tags as numbers (`params.model.rounds > 100`). A run
//! without the metric, param or tag never matches a comparison on it, as in MLflow. Errors say
//! the 1-based column where the parse failed and what was expected there.
//!
//! The parsed expression compiles to an SQL condition over `runs r JOIN experiments e`, with
//! values bound as parameters (never spliced into the SQL text).

use std::fmt;

use rusqlite::types::Value;

use super::dialect::Dialect;

use super::filter_lex::{Token, tokenize};

#[derive(Clone, Debug, PartialEq)]
pub struct FilterError {
    /// 1-based column in the filter text.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for FilterError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    Id,
    Name,
    Status,
    Model,
    Task,
    Experiment,
    Created,
    LaunchedBy,
    LaunchedOn,
}

impl Attribute {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "id" | "run_id" => Attribute::Id,
            "name" | "run_name" => Attribute::Name,
            "status" => Attribute::Status,
            "model" | "model_kind" => Attribute::Model,
            "task" => Attribute::Task,
            "experiment" => Attribute::Experiment,
            "created" | "start_time" | "created_at" => Attribute::Created,
            "user" | "launched_by" => Attribute::LaunchedBy,
            "host" | "launched_on" => Attribute::LaunchedOn,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Attribute::Id => "r.id",
            Attribute::Name => "r.name",
            Attribute::Status => "r.status",
            Attribute::Model => "r.model_kind",
            Attribute::Task => "r.task",
            Attribute::Experiment => "e.name",
            Attribute::Created => "r.created_at",
            Attribute::LaunchedBy => "r.launched_by",
            Attribute::LaunchedOn => "r.launched_on",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Metric(String),
    Param(String),
    Tag(String),
    Attribute(Attribute),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Compare(Field, Op, Literal),
    Like {
        field: Field,
        pattern: String,
        negated: bool,
    },
    In {
        field: Field,
        values: Vec<Literal>,
        negated: bool,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    position: usize,
    end_column: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position).map(|(t, _)| t)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.position)
            .map_or(self.end_column, |(_, c)| *c)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, FilterError> {
        let found = match self.peek() {
            None => "the end of the filter".to_string(),
            Some(Token::Word(w)) => format!("'{w}'"),
            Some(Token::Quoted(q)) => format!("\"{q}\""),
            Some(Token::Number(n)) => format!("{n}"),
            Some(Token::Op(op)) => format!("'{}'", op.sql()),
            Some(Token::Open) => "'('".into(),
            Some(Token::Close) => "')'".into(),
            Some(Token::Comma) => "','".into(),
        };
        Err(FilterError {
            column: self.column(),
            message: format!("{}, found {found}", message.into()),
        })
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.position += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            self.position += 1;
            let right = self.not()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Filter, FilterError> {
        if self.keyword("not") {
            self.position += 1;
            return Ok(Filter::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, FilterError> {
        if self.peek() == Some(&Token::Open) {
            self.position += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Token::Close) {
                return self.error("expected ')' to close the parenthesis");
            }
            self.position += 1;
            return Ok(inner);
        }
        let field = self.field()?;
        let negated = self.keyword("not");
        if negated {
            self.position += 1;
        }
        if self.keyword("like") || self.keyword("ilike") {
            self.position += 1;
            return match self.peek().cloned() {
                Some(Token::Quoted(pattern)) => {
                    self.position += 1;
                    Ok(Filter::Like {
                        field,
                        pattern,
                        negated,
                    })
                }
                _ => self.error("expected a quoted pattern after like (\"%promo%\")"),
            };
        }
        if self.keyword("in") {
            self.position += 1;
            if self.peek() != Some(&Token::Open) {
                return self.error("expected '(' after in");
            }
            self.position += 1;
            let mut values = vec![self.literal()?];
            while self.peek() == Some(&Token::Comma) {
                self.position += 1;
                values.push(self.literal()?);
            }
            if self.peek() != Some(&Token::Close) {
                return self.error("expected ',' or ')' in the list of values");
            }
            self.position += 1;
            return Ok(Filter::In {
                field,
                values,
                negated,
            });
        }
        if negated {
            return self.error("expected like or in after not");
        }
        let op = match self.peek() {
            Some(Token::Op(op)) => *op,
            _ => return self.error("expected an operator (= != < <= > >=), like or in"),
        };
        self.position += 1;
        let value = self.literal()?;
        if let (Field::Metric(_), Literal::Text(_)) = (&field, &value) {
            self.position -= 1;
            return self.error("metrics compare with numbers");
        }
        Ok(Filter::Compare(field, op, value))
    }

    fn field(&mut self) -> Result<Field, FilterError> {
        let Some(Token::Word(word)) = self.peek().cloned() else {
            return self.error(
                "expected a field: metrics.NAME, params.NAME, tags.NAME, or status, name, model, \
                 task, experiment, id, created",
            );
        };
        let lower = word.to_ascii_lowercase();
        let split = |prefix: &str| {
            lower
                .starts_with(prefix)
                .then(|| word[prefix.len()..].to_string())
        };
        let field = if let Some(key) = split("metrics.").or_else(|| split("metric.")) {
            Field::Metric(key)
        } else if let Some(key) = split("params.").or_else(|| split("param.")) {
            Field::Param(key)
        } else if let Some(key) = split("tags.").or_else(|| split("tag.")) {
            Field::Tag(key)
        } else {
            let name = split("attributes.")
                .or_else(|| split("attribute."))
                .unwrap_or_else(|| word.clone());
            match Attribute::parse(&name) {
                Some(attribute) => Field::Attribute(attribute),
                None => {
                    return self.error(format!(
                        "unknown field '{word}'; expected metrics.NAME, params.NAME, tags.NAME, \
                         or status, name, model, task, experiment, id, created, user, host"
                    ))
                    .map_err(|mut e| {
                        // Say what is unknown, not what was found (the same word).
                        e.message = e.message.split(", found").next().unwrap_or("").to_string();
                        e
                    });
                }
            }
        };
        if let Field::Metric(k) | Field::Param(k) | Field::Tag(k) = &field
            && k.is_empty()
        {
            return self.error("expected a name after the dot");
        }
        self.position += 1;
        Ok(field)
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        let literal = match self.peek() {
            Some(Token::Number(n)) => Literal::Number(*n),
            Some(Token::Quoted(q)) => Literal::Text(q.clone()),
            _ => return self.error("expected a value: a number or a quoted string"),
        };
        self.position += 1;
        Ok(literal)
    }
}

/// Parses `text`; empty text is no filter.
pub fn parse_filter(text: &str) -> Result<Option<Filter>, FilterError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut parser = Parser {
        tokens,
        position: 0,
        end_column: text.chars().count() + 1,
    };
    let filter = parser.or()?;
    if parser.position < parser.tokens.len() {
        return parser.error("expected and, or, or the end of the filter");
    }
    Ok(Some(filter))
}

impl Filter {
    /// An SQL condition over `runs r JOIN experiments e` in `dialect`, appending its values to
    /// `values`.
    pub fn to_sql(&self, dialect: Dialect, values: &mut Vec<Value>) -> String {
        match self {
            Filter::And(a, b) => format!(
                "({} AND {})",
                a.to_sql(dialect, values),
                b.to_sql(dialect, values)
            ),
            Filter::Or(a, b) => format!(
                "({} OR {})",
                a.to_sql(dialect, values),
                b.to_sql(dialect, values)
            ),
            Filter::Not(inner) => format!("NOT ({})", inner.to_sql(dialect, values)),
            Filter::Compare(field, op, literal) => exists(field, values, |column, values| {
                values.push(literal_value(literal));
                let text_column = matches!(field, Field::Param(_) | Field::Tag(_));
                if text_column && matches!(literal, Literal::Number(_)) {
                    // Params and tags are text: compare as numbers only those that look like one.
                    format!("{} {} ?", dialect.number_or_null(column), op.sql())
                } else {
                    format!("{column} {} ?", op.sql())
                }
            }),
            Filter::Like {
                field,
                pattern,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                exists(field, values, |column, values| {
                    values.push(Value::Text(pattern.clone()));
                    // Case is ignored on both backends (SQLite's LIKE ignores ASCII case,
                    // PostgreSQL's does not).
                    format!("lower({column}) {not}LIKE lower(?)")
                })
            }
            Filter::In {
                field,
                values: list,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                exists(field, values, |column, values| {
                    let marks = vec!["?"; list.len()].join(", ");
                    values.extend(list.iter().map(literal_value));
                    format!("{column} {not}IN ({marks})")
                })
            }
        }
    }
}

fn literal_value(literal: &Literal) -> Value {
    match literal {
        Literal::Number(n) => Value::Real(*n),
        Literal::Text(t) => Value::Text(t.clone()),
    }
}

/// The condition on `field`'s column: inline for attributes, inside an EXISTS over the run's
/// metric summaries, params or tags otherwise (each keyed by run and key, so one index seek).
fn exists(
    field: &Field,
    values: &mut Vec<Value>,
    condition: impl FnOnce(&str, &mut Vec<Value>) -> String,
) -> String {
    let (table, column, key) = match field {
        Field::Attribute(attribute) => return condition(attribute.sql(), values),
        Field::Metric(key) => ("metric_series", "x.last_value", key),
        Field::Param(key) => ("params", "x.value", key),
        Field::Tag(key) => ("tags", "x.value", key),
    };
    values.push(Value::Text(key.clone()));
    let inner = condition(column, values);
    format!("EXISTS (SELECT 1 FROM {table} x WHERE x.run_id = r.id AND x.key = ? AND {inner})")
}
