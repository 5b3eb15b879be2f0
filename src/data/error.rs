//! Errors of the data layer. Each names the file and, where the problem has a place, the line
//! (1-based, the header is line 1) and column (1-based, in characters), and says what was expected.

use std::path::PathBuf;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    // The io error is part of the message, not a `source`: a chain printer would say it twice.
    #[error("{path}: cannot read: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: no such file; expected a CSV or Parquet dataset")]
    Missing { path: PathBuf },
    #[error("{path}: the file is empty; expected a header line and at least one data row")]
    Empty { path: PathBuf },
    #[error("{path}: the file has a header line but no data rows")]
    HeaderOnly { path: PathBuf },
    #[error(
        "{path}: line {line}, column {column}: invalid UTF-8 (byte 0x{byte:02x}); expected UTF-8 \
         text — re-save the file as UTF-8"
    )]
    InvalidUtf8 {
        path: PathBuf,
        line: u64,
        column: u64,
        byte: u8,
    },
    #[error("{path}: line {line}: expected {expected} fields (as in the header), found {found}")]
    RaggedRow {
        path: PathBuf,
        line: u64,
        expected: usize,
        found: usize,
    },
    #[error(
        "{path}: line {line}, column {column}: a quoted field opens here and is never closed; \
         expected a closing '\"' before the end of the file"
    )]
    UnclosedQuote {
        path: PathBuf,
        line: u64,
        column: u64,
    },
    #[error(
        "{path}: line {line}, column {column}: '\"' inside an unquoted field; expected the whole \
         field in quotes with inner quotes doubled (\"\")"
    )]
    StrayQuote {
        path: PathBuf,
        line: u64,
        column: u64,
    },
    #[error(
        "{path}: line {line}, column {column}: unexpected character after a closing quote; \
         expected ',' or the end of the line"
    )]
    TextAfterQuote {
        path: PathBuf,
        line: u64,
        column: u64,
    },
    #[error("{path}: line {line}: the header's field {column} is empty; expected a column name")]
    EmptyHeaderName {
        path: PathBuf,
        line: u64,
        column: usize,
    },
    #[error(
        "{path}: line {line}: column name '{name}' appears twice (fields {first} and {second}); \
         expected unique column names"
    )]
    DuplicateHeader {
        path: PathBuf,
        line: u64,
        name: String,
        first: usize,
        second: usize,
    },
    #[error("{path}: not a readable Parquet file: {reason}")]
    Parquet { path: PathBuf, reason: String },
    #[error("{path}: unsupported file type; expected .csv or .parquet")]
    Unsupported { path: PathBuf },
    /// What polars could not read, in its first sentence only (see `polars`).
    #[error("{path}: {reason}")]
    Polars { path: PathBuf, reason: String },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] crate::project::ConfigError),
}

impl DataError {
    pub(crate) fn io(path: &std::path::Path, error: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            error,
        }
    }

    /// A polars failure in plain words: the first paragraph of its text, without polars'
    /// advice on reader options (`infer_schema_length`…) that a Shelfcast user cannot set.
    pub(crate) fn polars(path: &std::path::Path, error: &polars::error::PolarsError) -> Self {
        DataError::Polars {
            path: path.to_path_buf(),
            reason: polars_reason(&error.to_string()),
        }
    }
}

/// The first paragraph of a polars message, its hints and offsets dropped.
pub(crate) fn polars_reason(text: &str) -> String {
    let first = text.split("\n\n").next().unwrap_or(text);
    let first = first
        .lines()
        .filter(|line| !line.contains("infer_schema_length") && !line.contains("You might want"))
        .collect::<Vec<_>>()
        .join(" ");
    let trimmed = first.trim();
    if trimmed.is_empty() {
        "the file could not be read".to_string()
    } else {
        trimmed.to_string()
    }
}
