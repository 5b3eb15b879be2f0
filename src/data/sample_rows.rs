//! The first rows of a file as display text, and the one way a data cell's number or date is
//! written for display.

use polars::prelude::*;

use super::profile::{RowSample, SAMPLE_ROWS};
use crate::text::{Precision, format_number};

pub fn day_text(days_since_epoch: i32) -> String {
    chrono::NaiveDate::from_num_days_from_ce_opt(days_since_epoch + 719_163)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("day {days_since_epoch}"))
}

/// A data cell's number as the file holds it (`Precision::Exact`).
pub fn number_text(v: f64) -> String {
    format_number(v, Precision::Exact)
}

/// The first `SAMPLE_ROWS` rows as display text (missing values empty).
pub fn sample_rows(df: &DataFrame) -> RowSample {
    let head = df.head(Some(SAMPLE_ROWS));
    let headers = head
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let rows = (0..head.height())
        .map(|i| {
            head.columns()
                .iter()
                .map(|c| match c.get(i) {
                    Ok(AnyValue::Null) | Err(_) => String::new(),
                    Ok(AnyValue::String(s)) => s.to_string(),
                    Ok(AnyValue::StringOwned(s)) => s.to_string(),
                    Ok(AnyValue::Float64(v)) => number_text(v),
                    Ok(AnyValue::Float32(v)) => number_text(f64::from(v)),
                    Ok(other) => other.to_string(),
                })
                .collect()
        })
        .collect();
    RowSample { headers, rows }
}
