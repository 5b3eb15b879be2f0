//! Which columns a drift check tests: the columns both sides share, with their kinds, and the
//! schema differences column by column (a type change is an error; a column one side lacks is
//! listed, and an error only under `--strict`).

use polars::prelude::*;

use super::columns::{StorageClass, class_name, kind_of, storage_class};
use super::{ColumnKind, DriftError, DriftOptions, SchemaIssue, SkippedColumn};

/// The columns to test, each with the kind it is tested as.
pub(super) type Planned = Vec<(String, ColumnKind)>;

/// The columns both frames share, with their kinds; differences in schema are errors, column by
/// column.
pub(super) fn plan(
    reference: &DataFrame,
    current: &DataFrame,
    options: &DriftOptions,
) -> Result<(Planned, Vec<SkippedColumn>), DriftError> {
    let mut issues = Vec::new();
    // Columns one side lacks: listed, and the check goes on over the common ones (a current
    // file without the target is the usual case); `strict` makes them errors.
    let mut absent: Vec<SchemaIssue> = Vec::new();
    let wanted: Vec<String> = match &options.columns {
        Some(columns) => columns.clone(),
        None => reference
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect(),
    };
    for column in &wanted {
        let (r, c) = (reference.column(column).ok(), current.column(column).ok());
        match (r, c) {
            (None, _) => absent.push(SchemaIssue {
                column: column.clone(),
                problem: "missing from the reference dataset".into(),
            }),
            (Some(_), None) => absent.push(SchemaIssue {
                column: column.clone(),
                problem: "missing from the current dataset".into(),
            }),
            (Some(r), Some(c)) => {
                let (rc, cc) = (storage_class(r.dtype()), storage_class(c.dtype()));
                let numeric = |k| matches!(k, StorageClass::Integer | StorageClass::Float);
                let all_missing = c.null_count() == c.len() || r.null_count() == r.len();
                if rc != cc && !(numeric(rc) && numeric(cc)) && !all_missing {
                    // A number column turned to text is usually a missing-value spelling the
                    // project does not read as missing yet: show one such cell.
                    let example = [(c, cc, "current"), (r, rc, "reference")]
                        .into_iter()
                        .find(|(_, class, _)| *class == StorageClass::Text)
                        .filter(|_| numeric(rc) || numeric(cc))
                        .and_then(|(side, _, name)| {
                            let text = side.as_materialized_series().str().ok()?;
                            let (row, value) = text.iter().enumerate().find_map(|(i, v)| {
                                v.filter(|v| v.trim().parse::<f64>().is_err())
                                    .map(|v| (i, v))
                            })?;
                            Some(format!(
                                " (e.g. '{}' in row {} of the {name}; if it means missing, \
                                 --na-values or shelfcast.toml's [data] na_values can say so)",
                                crate::data::printable::printable_capped(value, 20),
                                row + 1
                            ))
                        })
                        .unwrap_or_default();
                    issues.push(SchemaIssue {
                        column: column.clone(),
                        problem: format!(
                            "type changed: {} in the reference, {} in the current{example}",
                            class_name(rc),
                            class_name(cc)
                        ),
                    });
                }
            }
        }
    }
    if options.columns.is_none() {
        for name in current.get_column_names() {
            if reference.column(name).is_err() {
                absent.push(SchemaIssue {
                    column: name.to_string(),
                    problem: "only in the current dataset".into(),
                });
            }
        }
    }
    if options.strict {
        issues.extend(absent.iter().cloned());
    }
    if !issues.is_empty() {
        return Err(DriftError::Schema(issues));
    }
    let wanted: Vec<String> = wanted
        .into_iter()
        .filter(|c| reference.column(c).is_ok() && current.column(c).is_ok())
        .collect();
    let mut planned = Vec::new();
    let mut skipped: Vec<SkippedColumn> = absent
        .into_iter()
        .map(|a| SkippedColumn {
            column: a.column,
            reason: format!("{} (--strict makes this an error)", a.problem),
        })
        .collect();
    for column in wanted {
        let series = reference.column(&column)?.as_materialized_series();
        match kind_of(series) {
            Ok(kind) => planned.push((column, kind)),
            Err(reason) => skipped.push(SkippedColumn { column, reason }),
        }
    }
    Ok((planned, skipped))
}
