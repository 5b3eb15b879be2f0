//! The one reading path for every dataset Shelfcast opens: profile, train, lookups, batch
//! predict and drift all come through `read_dataset`, so a file reads the same everywhere.
//!
//! In order: the structural scan (UTF-8, quoting, fields per row, line endings) runs beside the
//! polars read, and its error wins because it names the line; then missing-value tokens (`NA`,
//! `NULL`, `#N/A`… as pandas reads them) become missing values; blank lines are dropped and the
//! row count is checked against the scan. polars' own error text never reaches the user as is.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::scan::{ScanSummary, scan_file, sniff_cr_only};
use super::{DataError, DataFormat, load};

/// pandas' default `na_values` (`pandas._libs.parsers.STR_NA_VALUES`), the empty field included:
/// what a file written by R, Excel or a database export means by "missing".
pub const PANDAS_NA_VALUES: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// How a project reads its files: which cell texts mean "missing". Set per project in
/// `shelfcast.toml` (`[data] na_values = [...]`) or per command with `--na-values`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOptions {
    pub na_values: Vec<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            na_values: PANDAS_NA_VALUES.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl ReadOptions {
    /// A comma-separated list as typed after `--na-values` (`NA,-,missing`). The empty field
    /// always stays missing.
    pub fn from_list(text: &str) -> Self {
        Self::from_tokens(text.split(',').map(|t| t.trim().to_string()))
    }

    /// Exactly these tokens (a config file's list), with the empty field.
    pub fn from_tokens(tokens: impl IntoIterator<Item = String>) -> Self {
        let mut na_values: Vec<String> = vec![String::new()];
        for token in tokens {
            if !na_values.contains(&token) {
                na_values.push(token);
            }
        }
        Self { na_values }
    }

    pub fn is_missing(&self, text: &str) -> bool {
        self.na_values.iter().any(|t| t == text)
    }
}

/// How the missing values of one column were written, most frequent first (`""` for blank).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingTokens(pub Vec<(String, u64)>);

impl MissingTokens {
    /// "NA", "blank", or "NA (1,203), blank (40)".
    pub fn describe(&self) -> Option<String> {
        let name = |t: &str| {
            if t.trim().is_empty() {
                "blank".to_string()
            } else {
                t.to_string()
            }
        };
        match self.0.as_slice() {
            [] => None,
            [(token, _)] => Some(name(token)),
            many => Some(
                many.iter()
                    .map(|(t, n)| format!("{} ({n})", name(t)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }
}

/// A dataset read and checked.
pub struct ReadDataset {
    pub frame: DataFrame,
    pub scan: ScanSummary,
    /// What the reader changed while reading, for the profile's notes.
    pub notes: Vec<String>,
    /// Per column with missing values: how they were written (only when asked for).
    pub missing_written: BTreeMap<String, MissingTokens>,
}

/// What a caller wants beyond the frame.
#[derive(Default)]
pub struct ReadExtras<'a> {
    /// Count how each column's missing values were written (a second, narrow read).
    pub missing_tokens: bool,
    /// (bytes done, bytes total) of the structural scan.
    pub on_scan: Option<&'a (dyn Fn(u64, u64) + Sync)>,
    /// Called when the scan is done and polars is still reading.
    pub on_reading: Option<&'a (dyn Fn() + Sync)>,
}

/// Reads `path` (CSV or Parquet) the one way Shelfcast reads data.
pub fn read_dataset(path: &Path, options: &ReadOptions) -> Result<ReadDataset, DataError> {
    read_dataset_with(path, options, &ReadExtras::default())
}

pub fn read_dataset_with(
    path: &Path,
    options: &ReadOptions,
    extras: &ReadExtras<'_>,
) -> Result<ReadDataset, DataError> {
    let format = DataFormat::from_path(path).ok_or_else(|| DataError::Unsupported {
        path: path.to_path_buf(),
    })?;
    if !path.is_file() {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
        });
    }
    let cr_only = match format {
        DataFormat::Csv => sniff_cr_only(path).map_err(|e| DataError::io(path, e))?,
        DataFormat::Parquet => false,
    };
    let (scan, read) = std::thread::scope(|scope| {
        let scanner = scope.spawn(|| {
            scan_file(path, format, &|done, total| {
                if let Some(on_scan) = extras.on_scan {
                    on_scan(done, total);
                }
            })
        });
        let reader = scope.spawn(|| load::load(path, format, options, cr_only));
        let scan = scanner.join();
        if let Some(on_reading) = extras.on_reading {
            on_reading();
        }
        (scan, reader.join())
    });
    // The scan names the line of a structural problem, so its error wins over polars'.
    let scan = scan.map_err(|_| panicked(path, "scanning"))??;
    let (mut frame, report) = read.map_err(|_| panicked(path, "reading"))??;
    let polars = |source: PolarsError| DataError::polars(path, &source);
    if let Some(rows) = scan.csv_rows
        && scan.csv_blank_lines > 0
        && frame.height() as u64 == rows + scan.csv_blank_lines
    {
        frame = load::drop_empty_rows(&frame).map_err(polars)?;
    }
    if let Some(rows) = scan.csv_rows
        && rows != frame.height() as u64
    {
        return Err(DataError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "the file has {rows} data rows but only {} could be read",
                frame.height()
            ),
        });
    }
    if frame.height() == 0 {
        return Err(match format {
            DataFormat::Csv => DataError::HeaderOnly {
                path: path.to_path_buf(),
            },
            DataFormat::Parquet => DataError::Invalid {
                path: path.to_path_buf(),
                what: "the Parquet file holds no rows".into(),
            },
        });
    }
    let missing_written = if extras.missing_tokens {
        missing_tokens(path, format, &frame, &report.tokens, options, cr_only)?
    } else {
        BTreeMap::new()
    };
    Ok(ReadDataset {
        frame,
        scan,
        notes: report.notes,
        missing_written,
    })
}

/// How each column's missing values were written. For CSV the columns with missing values are
/// read once more as plain text (narrow, and cheap next to the profile that asks for it); for
/// Parquet, whose nulls are real, `seen` holds the text tokens the loader replaced.
fn missing_tokens(
    path: &Path,
    format: DataFormat,
    frame: &DataFrame,
    seen: &BTreeMap<String, BTreeMap<String, u64>>,
    options: &ReadOptions,
    cr_only: bool,
) -> Result<BTreeMap<String, MissingTokens>, DataError> {
    // By position: the text read sees the names as polars does (quoted ones still escaped).
    let with_missing: Vec<(usize, String)> = frame
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.null_count() > 0)
        .map(|(i, c)| (i, c.name().to_string()))
        .collect();
    let counts: BTreeMap<String, BTreeMap<String, u64>> = match format {
        DataFormat::Parquet => seen.clone(),
        DataFormat::Csv if with_missing.is_empty() => BTreeMap::new(),
        DataFormat::Csv => {
            let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            let positions: Vec<usize> = with_missing.iter().map(|(i, _)| *i).collect();
            let text = load::read_csv_as_text(path, &positions, cr_only)?;
            for (column, (_, name)) in text.columns().iter().zip(&with_missing) {
                let Ok(values) = column.as_materialized_series().str().cloned() else {
                    continue;
                };
                let tally = counts.entry(name.clone()).or_default();
                for value in values.iter() {
                    let token = match value {
                        None => "",
                        Some(v) if v.trim().is_empty() => "",
                        Some(v) if options.is_missing(v) => v,
                        Some(_) => continue,
                    };
                    *tally.entry(token.to_string()).or_default() += 1;
                }
            }
            counts
        }
    };
    let with_missing: Vec<String> = with_missing.into_iter().map(|(_, n)| n).collect();
    Ok(counts
        .into_iter()
        .filter(|(column, _)| with_missing.contains(column))
        .map(|(column, tally)| {
            let mut tokens: Vec<(String, u64)> =
                tally.into_iter().filter(|(_, n)| *n > 0).collect();
            tokens.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            (column, MissingTokens(tokens))
        })
        .collect())
}

fn panicked(path: &Path, stage: &str) -> DataError {
    DataError::Invalid {
        path: path.to_path_buf(),
        what: format!("internal error while {stage} the file"),
    }
}

/// The file's cells exactly as written, every column text (Parquet: as stored), with the rows
/// `read_dataset` keeps: what a batch prediction copies to its output beside the predictions,
/// so `FALSE` stays `FALSE` and `007` stays `007`.
pub fn read_as_written(path: &Path) -> Result<DataFrame, DataError> {
    let format = DataFormat::from_path(path).ok_or_else(|| DataError::Unsupported {
        path: path.to_path_buf(),
    })?;
    match format {
        DataFormat::Parquet => load::read_parquet(path),
        DataFormat::Csv => {
            let cr_only = sniff_cr_only(path).map_err(|e| DataError::io(path, e))?;
            let text = load::read_csv_all_text(path, cr_only)?;
            load::drop_empty_rows(&text).map_err(|e| DataError::polars(path, &e))
        }
    }
}
