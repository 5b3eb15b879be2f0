//! Drift between a reference and a current dataset: a statistical test per column, a verdict
//! per column, and the dataset verdict. Core module: no screen code.
//!
//! The default test of a column follows Evidently's data-drift preset, so its users get the same
//! verdicts (each rule is also written into every report):
//!
//! | reference rows (non-missing) | column | test | drift when |
//! | --- | --- | --- | --- |
//! | at most 1,000 | numeric, more than 5 distinct values | Kolmogorov–Smirnov | p ≤ 0.05 |
//! | at most 1,000 | categorical, or numeric with 3–5 values | chi-square | p < 0.05 |
//! | at most 1,000 | two values (binary) | Z-test of proportions | p < 0.05 |
//! | more than 1,000 | numeric, more than 5 distinct values | Wasserstein distance / std | ≥ 0.1 |
//! | more than 1,000 | categorical, or numeric with at most 5 values | Jensen–Shannon distance | ≥ 0.1 |
//!
//! Distinct values are counted over both samples. Columns are typed as Evidently infers them:
//! floats are numeric; integers are numeric unless they take at most 10 distinct values in the
//! reference (then categorical); text and flags are categorical; text that is mostly unique (an
//! identifier, free text) and dates are not tested, and the report says so. Any column or type
//! can be given another test (`DriftTest`, PSI included) and threshold. The dataset drifts when
//! the share of drifted columns reaches `share_threshold` (0.5).

mod charts;
mod columns;
pub mod html;
mod plan;
pub mod run;
pub mod source;
pub mod special;
pub mod stats;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use columns::{check_drift, column_kinds};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftTest {
    KolmogorovSmirnov,
    Wasserstein,
    Psi,
    ChiSquare,
    ZTest,
    JensenShannon,
}

impl DriftTest {
    pub const ALL: [DriftTest; 6] = [
        DriftTest::KolmogorovSmirnov,
        DriftTest::Wasserstein,
        DriftTest::Psi,
        DriftTest::ChiSquare,
        DriftTest::ZTest,
        DriftTest::JensenShannon,
    ];

    /// The short name (Evidently's): ks, wasserstein, psi, chisquare, z, jensenshannon.
    pub fn name(self) -> &'static str {
        match self {
            DriftTest::KolmogorovSmirnov => "ks",
            DriftTest::Wasserstein => "wasserstein",
            DriftTest::Psi => "psi",
            DriftTest::ChiSquare => "chisquare",
            DriftTest::ZTest => "z",
            DriftTest::JensenShannon => "jensenshannon",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DriftTest::KolmogorovSmirnov => "Kolmogorov–Smirnov",
            DriftTest::Wasserstein => "Wasserstein (normed)",
            DriftTest::Psi => "PSI",
            DriftTest::ChiSquare => "chi-square",
            DriftTest::ZTest => "Z-test",
            DriftTest::JensenShannon => "Jensen–Shannon",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == text.trim())
    }

    /// Whether the test gives a p-value (drift below the threshold) or a distance (drift at or
    /// above it).
    pub fn is_p_value(self) -> bool {
        matches!(
            self,
            DriftTest::KolmogorovSmirnov | DriftTest::ChiSquare | DriftTest::ZTest
        )
    }

    pub fn default_threshold(self) -> f64 {
        if self.is_p_value() { 0.05 } else { 0.1 }
    }

    /// KS and Wasserstein need numbers; the others take levels (numbers become levels).
    pub fn needs_numbers(self) -> bool {
        matches!(self, DriftTest::KolmogorovSmirnov | DriftTest::Wasserstein)
    }

    /// The verdict for `score` (a p-value or a distance) at `threshold`, as Evidently decides:
    /// KS drifts at p ≤ threshold, chi-square and Z at p < threshold, distances at ≥.
    pub fn drifted(self, score: f64, threshold: f64) -> bool {
        match self {
            DriftTest::KolmogorovSmirnov => score <= threshold,
            DriftTest::ChiSquare | DriftTest::ZTest => score < threshold,
            DriftTest::Wasserstein | DriftTest::Psi | DriftTest::JensenShannon => {
                score >= threshold
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

impl ColumnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
        }
    }
}

/// A test chosen for a column or a type, and its threshold (the test's default if `None`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestChoice {
    pub test: DriftTest,
    pub threshold: Option<f64>,
}

impl TestChoice {
    /// `ks`, `psi:0.2`: a test name and an optional threshold.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, threshold) = match text.split_once(':') {
            Some((n, t)) => (n, Some(t)),
            None => (text, None),
        };
        let test = DriftTest::parse(name).ok_or_else(|| {
            let names: Vec<&str> = DriftTest::ALL.iter().map(|t| t.name()).collect();
            format!(
                "'{name}' is not a drift test; expected one of {}",
                names.join(", ")
            )
        })?;
        let threshold = match threshold {
            None => None,
            Some(t) => Some(
                t.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| format!("threshold '{t}': expected a number ≥ 0"))?,
            ),
        };
        Ok(Self { test, threshold })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftOptions {
    /// The share of drifted columns at which the dataset drifts.
    pub share_threshold: f64,
    pub per_column: BTreeMap<String, TestChoice>,
    pub numeric: Option<TestChoice>,
    pub categorical: Option<TestChoice>,
    /// Only these columns (all common columns when `None`).
    pub columns: Option<Vec<String>>,
    /// A column one side lacks is an error, not a note.
    pub strict: bool,
}

impl Default for DriftOptions {
    fn default() -> Self {
        Self {
            share_threshold: 0.5,
            per_column: BTreeMap::new(),
            numeric: None,
            categorical: None,
            columns: None,
            strict: false,
        }
    }
}

/// What a column's two samples look like, for the overlaid chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Distribution {
    /// Shares per equal-width bin (`edges` has one more entry than the shares).
    Histogram {
        edges: Vec<f64>,
        reference: Vec<f64>,
        current: Vec<f64>,
    },
    /// Shares of the most common levels (the rest summed into "other").
    Levels {
        levels: Vec<String>,
        reference: Vec<f64>,
        current: Vec<f64>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    pub column: String,
    pub kind: ColumnKind,
    pub test: DriftTest,
    /// The test's score: the p-value of a p-value test, the distance of a distance test.
    pub score: f64,
    /// The test statistic behind a p-value (D, chi-square, z).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    pub threshold: f64,
    pub drifted: bool,
    /// Why this test: the preset's rule, or "set for the column".
    pub rule: String,
    pub reference_rows: usize,
    pub current_rows: usize,
    pub reference_missing: usize,
    pub current_missing: usize,
    pub distribution: Distribution,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SkippedColumn {
    pub column: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleInfo {
    /// Where the rows came from ("data/sales.csv", "data/x.csv @ 2016").
    pub label: String,
    pub rows: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub reference: SampleInfo,
    pub current: SampleInfo,
    pub columns: Vec<ColumnDrift>,
    pub skipped: Vec<SkippedColumn>,
    pub drifted_columns: usize,
    pub drifted_share: f64,
    pub share_threshold: f64,
    pub dataset_drift: bool,
    /// The model whose training data was the reference, if any (`NAME:VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub elapsed_ms: f64,
}

impl DriftReport {
    pub fn drifted(&self) -> impl Iterator<Item = &ColumnDrift> {
        self.columns.iter().filter(|c| c.drifted)
    }
}

/// A column whose two sides cannot be compared.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemaIssue {
    pub column: String,
    pub problem: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("the two datasets differ in {} column(s):\n{}", .0.len(),
        .0.iter().map(|i| format!("  {}: {}", i.column, i.problem)).collect::<Vec<_>>().join("\n"))]
    Schema(Vec<SchemaIssue>),
    #[error("the {side} dataset ({label}) has no rows; a drift check needs rows on both sides")]
    Empty { side: &'static str, label: String },
    #[error("no column to test: {0}")]
    NoColumns(String),
    #[error("column '{column}': {message}")]
    BadChoice { column: String, message: String },
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Polars(#[from] polars::prelude::PolarsError),
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Source(String),
}
