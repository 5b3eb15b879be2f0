//! Reading a dataset file into a polars `DataFrame`, with the type inference an analyst expects:
//! ISO date strings become dates, and a text column that only holds numbers and blanks (Telco's
//! `TotalCharges`) becomes a number column with the blanks missing.

use std::path::Path;

use polars::prelude::*;

use super::{DataError, DataFormat};

/// Rows polars looks at to guess column types (see `read_csv` for a wrong guess).
const INFER_ROWS: usize = 10_000;

#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// What the loader changed while reading, for the profile's notes.
    pub notes: Vec<String>,
}

pub fn load(path: &Path, format: DataFormat) -> Result<(DataFrame, LoadReport), DataError> {
    let mut df = match format {
        DataFormat::Csv => read_csv(path, None)?,
        DataFormat::Parquet => read_parquet(path)?,
    };
    let mut report = LoadReport::default();
    numbers_with_blanks(path, &mut df, &mut report)?;
    Ok((df, report))
}

/// Reads a CSV with polars. Types are inferred from the first `INFER_ROWS` rows; when a value
/// further down does not fit (Rossmann's `StateHoliday` is `0` for thousands of rows, then `a`),
/// the column polars names is re-typed — Float64 for a number, String otherwise — and the read
/// retried, as an analyst would with `schema_overrides`. Inferring from the whole file instead
/// costs about ten times the read itself; it stays as the fallback when the error cannot be read.
pub fn read_csv(path: &Path, n_rows: Option<usize>) -> Result<DataFrame, DataError> {
    let attempt = |infer: Option<usize>, overrides: &Schema| {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(infer)
            .with_n_rows(n_rows)
            .with_schema_overwrite((!overrides.is_empty()).then(|| Arc::new(overrides.clone())))
            .map_parse_options(|options| options.with_try_parse_dates(true))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|reader| reader.finish())
    };
    let polars_error = |source| DataError::Polars {
        path: path.to_path_buf(),
        source,
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
            Err(source) => return Err(polars_error(source)),
        }
    }
    attempt(None, &Schema::default()).map_err(polars_error)
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

/// Converts text columns whose every non-blank value is a number into Float64, blanks missing.
fn numbers_with_blanks(
    path: &Path,
    df: &mut DataFrame,
    report: &mut LoadReport,
) -> Result<(), DataError> {
    let text_columns: Vec<usize> = df
        .columns()
        .iter()
        .enumerate()
        .filter(|(_, c)| c.dtype() == &DataType::String)
        .map(|(i, _)| i)
        .collect();
    for index in text_columns {
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
            .map_err(|source| DataError::Polars {
                path: path.to_path_buf(),
                source,
            })?;
        report.notes.push(format!(
            "column '{name}' holds numbers and {blanks} blank value(s): read as numbers, blanks \
             as missing"
        ));
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
