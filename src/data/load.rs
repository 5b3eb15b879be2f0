//! Reading a dataset file into a polars `DataFrame`, with the type inference an analyst expects:
//! ISO date strings become dates, and a text column that only holds numbers and blanks (Telco's
//! `TotalCharges`) becomes a number column with the blanks missing.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use super::read::ReadOptions;
use super::{DataError, DataFormat};

/// Rows polars looks at to guess column types (see `read_csv` for a wrong guess).
const INFER_ROWS: usize = 10_000;

#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// What the loader changed while reading, for the profile's notes.
    pub notes: Vec<String>,
    /// Texts the loader itself turned into missing values, per column (`""` for blanks).
    pub tokens: BTreeMap<String, BTreeMap<String, u64>>,
}

/// polars alone: callers go through `read::read_dataset`, which checks the structure first.
pub(crate) fn load(
    path: &Path,
    format: DataFormat,
    options: &ReadOptions,
    cr_only: bool,
) -> Result<(DataFrame, LoadReport), DataError> {
    let mut report = LoadReport::default();
    let mut df = match format {
        DataFormat::Csv => {
            let mut df = read_csv(path, None, options, cr_only)?;
            unescape_header(&mut df).map_err(|e| DataError::polars(path, &e))?;
            df
        }
        DataFormat::Parquet => read_parquet(path)?,
    };
    numbers_with_blanks(path, &mut df, &mut report)?;
    missing_tokens_to_null(path, &mut df, options, &mut report)?;
    Ok((df, report))
}

fn csv_options(options: &ReadOptions, cr_only: bool) -> CsvReadOptions {
    let null_values: Vec<PlSmallStr> = options
        .na_values
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| t.as_str().into())
        .collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .map_parse_options(|parse| {
            let parse = parse
                .with_null_values(
                    (!null_values.is_empty()).then(|| NullValues::AllColumns(null_values.clone())),
                )
                .with_missing_is_null(true);
            if cr_only {
                parse.with_eol_char(b'\r')
            } else {
                parse
            }
        })
}

/// Reads a CSV with polars. Types are inferred from the first `INFER_ROWS` rows; when a value
/// further down does not fit (Rossmann's `StateHoliday` is `0` for thousands of rows, then `a`),
/// the column polars names is re-typed — Float64 for a number, String otherwise — and the read
/// retried, as an analyst would with `schema_overrides`. Inferring from the whole file instead
/// costs about ten times the read itself; it stays as the fallback when the error cannot be read.
pub fn read_csv(
    path: &Path,
    n_rows: Option<usize>,
    options: &ReadOptions,
    cr_only: bool,
) -> Result<DataFrame, DataError> {
    let attempt = |infer: Option<usize>, overrides: &Schema| {
        csv_options(options, cr_only)
            .with_infer_schema_length(infer)
            .with_n_rows(n_rows)
            .with_schema_overwrite((!overrides.is_empty()).then(|| Arc::new(overrides.clone())))
            .map_parse_options(|parse| parse.with_try_parse_dates(true))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|reader| reader.finish())
    };
    let mut overrides = Schema::default();
    for _ in 0..MAX_RETYPES {
        match attempt(Some(INFER_ROWS), &overrides) {
            Ok(df) => return Ok(df),
            Err(PolarsError::ComputeError(message)) => {
                let Some((value, column)) = unparsable_value(&message) else {
                    break;
                };
                let wider = if value.trim().parse::<f64>().is_ok() {
                    DataType::Float64
                } else {
                    DataType::String
                };
                // A column already widened to this type that still fails: give up retyping.
                if overrides.get(column) == Some(&wider) {
                    break;
                }
                overrides.insert(column.into(), wider);
            }
            Err(source) => return Err(DataError::polars(path, &source)),
        }
    }
    attempt(None, &Schema::default()).map_err(|source| DataError::polars(path, &source))
}

/// Every column of a CSV as plain text, no missing-value tokens applied.
pub(crate) fn read_csv_all_text(path: &Path, cr_only: bool) -> Result<DataFrame, DataError> {
    let plain = ReadOptions {
        na_values: Vec::new(),
    };
    csv_options(&plain, cr_only)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish())
        .map_err(|source| DataError::polars(path, &source))
}

/// `columns` of a CSV as plain text, no missing-value tokens applied: how missing was written.
pub(crate) fn read_csv_as_text(
    path: &Path,
    columns: &[usize],
    cr_only: bool,
) -> Result<DataFrame, DataError> {
    let plain = ReadOptions {
        na_values: Vec::new(),
    };
    csv_options(&plain, cr_only)
        .with_infer_schema_length(Some(0))
        .with_projection(Some(Arc::new(columns.to_vec())))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish())
        .map_err(|source| DataError::polars(path, &source))
}

/// Columns re-typed one by one before falling back to whole-file inference.
const MAX_RETYPES: usize = 8;

/// The value and column of polars' "could not parse `V` as dtype `T` at column 'C' (column
/// number N)" error.
fn unparsable_value(message: &str) -> Option<(&str, &str)> {
    let rest = message.split_once("could not parse `")?.1;
    let (value, rest) = rest.split_once("` as dtype `")?;
    let rest = rest.split_once("` at column '")?.1;
    let (column, _) = rest.split_once("' (column number")?;
    Some((value, column))
}

pub fn read_parquet(path: &Path) -> Result<DataFrame, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|source| DataError::Parquet {
            path: path.to_path_buf(),
            reason: source.to_string(),
        })
}

/// `df` without the rows in which every value is missing (what polars makes of blank lines).
pub fn drop_empty_rows(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut keep = BooleanChunked::full("keep".into(), false, df.height());
    for column in df.columns() {
        keep = &keep | &column.as_materialized_series().is_not_null();
    }
    df.filter(&keep)
}

/// The positions of `df`'s text columns.
fn text_columns(df: &DataFrame) -> Vec<usize> {
    df.columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.dtype() == &DataType::String)
        .map(|(i, _)| i)
        .collect()
}

/// polars keeps a quoted header name's doubled quotes (`"a""b"` stays `a""b`); a name cannot
/// hold `""` otherwise (a stray quote is a structural error), so they are undone here.
fn unescape_header(df: &mut DataFrame) -> PolarsResult<()> {
    let renames: Vec<(PlSmallStr, String)> = df
        .get_column_names()
        .iter()
        .filter(|n| n.contains("\"\""))
        .map(|n| ((*n).clone(), n.replace("\"\"", "\"")))
        .collect();
    for (old, new) in renames {
        df.rename(&old, new.into())?;
    }
    Ok(())
}

/// Text cells that spell a missing value become missing: the tokens of a Parquet file's text
/// columns (`NA`, `NULL`…; polars already read a CSV's as missing), and the quoted empty cell
/// (`""`) of either, which polars reads as an empty text. The counts are kept for the profile's
/// "written as" (Parquet; a CSV's come from reading it as text).
fn missing_tokens_to_null(
    path: &Path,
    df: &mut DataFrame,
    options: &ReadOptions,
    report: &mut LoadReport,
) -> Result<(), DataError> {
    for index in text_columns(df) {
        let column = &df.columns()[index];
        let Ok(text) = column.as_materialized_series().str() else {
            continue;
        };
        let mut tally: BTreeMap<String, u64> = BTreeMap::new();
        let cleaned: StringChunked = text
            .iter()
            .map(|value| match value {
                Some(v) if v.is_empty() || options.is_missing(v) => {
                    *tally.entry(v.to_string()).or_default() += 1;
                    None
                }
                other => other,
            })
            .collect();
        if tally.is_empty() {
            continue;
        }
        let name = column.name().clone();
        df.replace_column(
            index,
            cleaned.with_name(name.clone()).into_series().into_column(),
        )
        .map_err(|source| DataError::polars(path, &source))?;
        report
            .tokens
            .entry(name.to_string())
            .or_default()
            .extend(tally);
    }
    Ok(())
}

/// Converts text columns whose every non-blank value is a number into Float64, blanks missing.
fn numbers_with_blanks(
    path: &Path,
    df: &mut DataFrame,
    report: &mut LoadReport,
) -> Result<(), DataError> {
    for index in text_columns(df) {
        let column = &df.columns()[index];
        let Ok(text) = column.as_materialized_series().str() else {
            continue;
        };
        let mut values: Vec<Option<f64>> = Vec::with_capacity(text.len());
        let mut blanks = 0usize;
        let mut numbers = 0usize;
        let mut all_numeric = true;
        for value in text.iter() {
            match value.map(str::trim) {
                None => values.push(None),
                Some("") => {
                    blanks += 1;
                    values.push(None);
                }
                Some(s) => match s.parse::<f64>() {
                    Ok(x) if x.is_finite() => {
                        numbers += 1;
                        values.push(Some(x));
                    }
                    _ => {
                        all_numeric = false;
                        break;
                    }
                },
            }
        }
        if !all_numeric || numbers == 0 {
            continue;
        }
        let name = column.name().clone();
        let converted = Float64Chunked::from_iter_options(name.clone(), values.into_iter());
        df.replace_column(index, converted.into_series().into_column())
            .map_err(|source| DataError::polars(path, &source))?;
        report.notes.push(format!(
            "column '{name}' holds numbers and {blanks} blank value(s): read as numbers, blanks \
             as missing"
        ));
        *report
            .tokens
            .entry(name.to_string())
            .or_default()
            .entry(String::new())
            .or_default() += blanks as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::unparsable_value;

    #[test]
    fn reads_the_column_out_of_a_polars_parse_error() {
        let message = "could not parse `a` as dtype `i64` at column 'StateHoliday' (column number \
                       8)\n\nThe current offset in the file is 1234 bytes.";
        assert_eq!(unparsable_value(message), Some(("a", "StateHoliday")));
        assert_eq!(unparsable_value("something else"), None);
    }
}
