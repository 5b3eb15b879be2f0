//! Reading columns out of a polars frame for the ml layer, with errors a user can act on.

use polars::prelude::*;

use super::MlError;

/// The named column, or an error listing the columns there are.
pub(crate) fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Column, MlError> {
    df.column(name).map_err(|_| MlError::NoSuchColumn {
        column: name.to_string(),
        available: df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// A date column as days since 1970-01-01, refusing a column that is not a date or has rows
/// without one.
pub(crate) fn day_numbers(df: &DataFrame, name: &str) -> Result<Vec<i32>, MlError> {
    let values = column(df, name)?;
    if !matches!(values.dtype(), DataType::Date | DataType::Datetime(_, _)) {
        return Err(MlError::NotADateColumn {
            column: name.to_string(),
            dtype: values.dtype().to_string(),
        });
    }
    let dates = values.cast(&DataType::Date)?;
    let physical = dates.as_materialized_series().date()?.physical().clone();
    if physical.null_count() > 0 {
        return Err(MlError::MissingDates {
            column: name.to_string(),
            rows: physical.null_count(),
        });
    }
    Ok(physical.iter().flatten().collect())
}
