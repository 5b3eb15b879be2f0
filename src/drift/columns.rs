//! From two frames to a `DriftReport`: the schemas compared column by column, each column typed
//! and given its test (the preset's rule unless one was set), scored on its non-missing values,
//! and summarized for its chart. Columns are spread over the cores; `progress` hears of each.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use polars::prelude::*;

use super::charts::{histogram_chart, level_chart};

use super::plan::plan;
use super::stats::{
    LevelCounts, binned_numbers, chi_square_gof, distinct_sorted, fill_zeroes, jensen_shannon,
    ks_2samp_sorted, level_shares, psi, std_dev, wasserstein_sorted, z_test,
};
use super::{
    ColumnDrift, ColumnKind, DriftError, DriftOptions, DriftReport, DriftTest, SampleInfo,
    TestChoice,
};

/// Integers with at most this many distinct values are categories (as Evidently infers).
const INTEGER_CATEGORY_LIMIT: usize = 10;
/// The preset's small-reference limit: at most this many rows use p-value tests.
const SMALL_REFERENCE: usize = 1000;
/// Numbers with at most this many distinct values are tested as levels.
const FEW_VALUES: usize = 5;

/// What a column holds, before its values are looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StorageClass {
    Integer,
    Float,
    Text,
    Flag,
    Date,
    Other,
}

pub(super) fn storage_class(dtype: &DataType) -> StorageClass {
    match dtype {
        d if d.is_integer() => StorageClass::Integer,
        d if d.is_float() => StorageClass::Float,
        DataType::String => StorageClass::Text,
        DataType::Boolean => StorageClass::Flag,
        DataType::Date | DataType::Datetime(..) | DataType::Time | DataType::Duration(_) => {
            StorageClass::Date
        }
        _ => StorageClass::Other,
    }
}

pub(super) fn class_name(class: StorageClass) -> &'static str {
    match class {
        StorageClass::Integer | StorageClass::Float => "numbers",
        StorageClass::Text => "text",
        StorageClass::Flag => "true/false",
        StorageClass::Date => "dates",
        StorageClass::Other => "another type",
    }
}

/// The kind each column of `reference` is tested as, or why it is not tested.
pub fn column_kinds(reference: &DataFrame) -> Vec<(String, Result<ColumnKind, String>)> {
    reference
        .columns()
        .iter()
        .map(|c| {
            let series = c.as_materialized_series();
            (c.name().to_string(), kind_of(series))
        })
        .collect()
}

/// Whether an integer column takes at most `limit` distinct values: one pass with a tiny list,
/// stopping at the first value past the limit (a hash of every row costs more).
fn few_integers(series: &Series, limit: usize) -> bool {
    let Ok(values) = series.cast(&DataType::Int64) else {
        return false;
    };
    let Ok(values) = values.i64() else {
        return false;
    };
    let mut seen: Vec<i64> = Vec::with_capacity(limit + 1);
    for v in values.iter().flatten() {
        if !seen.contains(&v) {
            seen.push(v);
            if seen.len() > limit {
                return false;
            }
        }
    }
    true
}

pub(super) fn kind_of(series: &Series) -> Result<ColumnKind, String> {
    let distinct = || series.drop_nulls().n_unique().unwrap_or(0);
    match storage_class(series.dtype()) {
        StorageClass::Float => Ok(ColumnKind::Numeric),
        StorageClass::Integer if few_integers(series, INTEGER_CATEGORY_LIMIT) => {
            Ok(ColumnKind::Categorical)
        }
        StorageClass::Integer => Ok(ColumnKind::Numeric),
        StorageClass::Flag => Ok(ColumnKind::Categorical),
        StorageClass::Text => {
            let present = series.len() - series.null_count();
            if present > 0 && distinct() * 2 > present {
                Err("mostly unique text (an identifier or free text): not tested".into())
            } else {
                Ok(ColumnKind::Categorical)
            }
        }
        StorageClass::Date => {
            Err("dates are not tested (they always move); split by them instead".into())
        }
        StorageClass::Other => Err(format!("type {} is not tested", series.dtype())),
    }
}

/// Finite numbers of a column, sorted, and how many rows had none.
fn sorted_numbers(series: &Series) -> Result<(Vec<f64>, usize), DriftError> {
    let cast = series.cast(&DataType::Float64)?;
    let mut values: Vec<f64> = cast
        .f64()?
        // `into_no_null_iter` would read a null slot's placeholder (0.0) as a value.
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    let missing = series.len() - values.len();
    values.sort_unstable_by(f64::total_cmp);
    Ok((values, missing))
}

/// The two samples of one column, as the tests need them.
enum Samples {
    Numbers {
        reference: Vec<f64>,
        current: Vec<f64>,
    },
    Levels(LevelCounts),
}

fn level_counts(reference: &Series, current: &Series) -> Result<LevelCounts, DriftError> {
    if reference.dtype().is_primitive_numeric() {
        let (r, _) = sorted_numbers(reference)?;
        let (c, _) = sorted_numbers(current)?;
        return Ok(LevelCounts::from_numbers(&r, &c));
    }
    let (r, c) = (
        reference.cast(&DataType::String)?,
        current.cast(&DataType::String)?,
    );
    Ok(LevelCounts::new(
        r.str()?.iter().flatten(),
        c.str()?.iter().flatten(),
    ))
}

/// The preset's test for a column (see the module's table), with the rule in words.
fn preset_test(kind: ColumnKind, reference_rows: usize, distinct: usize) -> (DriftTest, String) {
    let small = reference_rows <= SMALL_REFERENCE;
    let size = if small {
        "reference ≤ 1,000 rows"
    } else {
        "reference > 1,000 rows"
    };
    let few = kind == ColumnKind::Numeric && distinct <= FEW_VALUES;
    let test = match (small, kind, few) {
        (true, ColumnKind::Numeric, false) => DriftTest::KolmogorovSmirnov,
        (true, _, _) if distinct > 2 => DriftTest::ChiSquare,
        (true, _, _) => DriftTest::ZTest,
        (false, ColumnKind::Numeric, false) => DriftTest::Wasserstein,
        (false, _, _) => DriftTest::JensenShannon,
    };
    let what = match (kind, few) {
        (ColumnKind::Numeric, false) => "numeric with > 5 values".to_string(),
        (ColumnKind::Numeric, true) => format!("numeric with {distinct} values"),
        (ColumnKind::Categorical, _) if distinct <= 2 && small => "binary".to_string(),
        (ColumnKind::Categorical, _) => "categorical".to_string(),
    };
    (test, format!("{size}, {what}"))
}

fn choice_for(
    options: &DriftOptions,
    column: &str,
    kind: ColumnKind,
) -> Option<(TestChoice, String)> {
    if let Some(choice) = options.per_column.get(column) {
        return Some((*choice, "set for the column".into()));
    }
    let by_kind = match kind {
        ColumnKind::Numeric => options.numeric,
        ColumnKind::Categorical => options.categorical,
    };
    by_kind.map(|c| (c, format!("set for {} columns", kind.as_str())))
}

/// Tests one column of both frames.
fn test_column(
    name: &str,
    kind: ColumnKind,
    reference: &Series,
    current: &Series,
    options: &DriftOptions,
) -> Result<ColumnDrift, DriftError> {
    let (samples, reference_missing, current_missing) = match kind {
        ColumnKind::Numeric => {
            let (r, rm) = sorted_numbers(reference)?;
            let (c, cm) = sorted_numbers(current)?;
            (
                Samples::Numbers {
                    reference: r,
                    current: c,
                },
                rm,
                cm,
            )
        }
        ColumnKind::Categorical => (
            Samples::Levels(level_counts(reference, current)?),
            reference.null_count(),
            current.null_count(),
        ),
    };
    let (reference_rows, current_rows, distinct) = match &samples {
        Samples::Numbers { reference, current } => (
            reference.len(),
            current.len(),
            distinct_sorted(reference, current),
        ),
        Samples::Levels(counts) => {
            let (r, c) = counts.totals();
            (r as usize, c as usize, counts.levels.len())
        }
    };
    if reference_rows == 0 || current_rows == 0 {
        let side = if reference_rows == 0 {
            "reference"
        } else {
            "current"
        };
        return Err(DriftError::BadChoice {
            column: name.to_string(),
            message: format!("no values in the {side} dataset"),
        });
    }
    let (test, threshold, rule) = match choice_for(options, name, kind) {
        Some((choice, rule)) => (
            choice.test,
            choice.threshold.unwrap_or(choice.test.default_threshold()),
            rule,
        ),
        None => {
            let (test, rule) = preset_test(kind, reference_rows, distinct);
            (test, test.default_threshold(), rule)
        }
    };
    if test.needs_numbers() && kind == ColumnKind::Categorical {
        return Err(DriftError::BadChoice {
            column: name.to_string(),
            message: format!("{} needs numbers; the column is categorical", test.title()),
        });
    }
    // Levels for the level tests; numbers become levels for chi-square and Z (JS and PSI bin
    // numbers themselves, as Evidently's `get_binned_data`).
    let numeric_levels;
    let levels = match &samples {
        Samples::Levels(counts) => Some(counts),
        Samples::Numbers { reference, current }
            if matches!(test, DriftTest::ChiSquare | DriftTest::ZTest) =>
        {
            numeric_levels = LevelCounts::from_numbers(reference, current);
            Some(&numeric_levels)
        }
        Samples::Numbers { .. } => None,
    };
    let (score, statistic) = match (test, &samples, levels) {
        (DriftTest::KolmogorovSmirnov, Samples::Numbers { reference, current }, _) => {
            let (d, p) = ks_2samp_sorted(reference, current);
            (p, Some(d))
        }
        (DriftTest::Wasserstein, Samples::Numbers { reference, current }, _) => (
            wasserstein_sorted(reference, current) / std_dev(reference).max(0.001),
            None,
        ),
        (DriftTest::ChiSquare, _, Some(counts)) => {
            let (statistic, p) = chi_square_gof(counts);
            (p, Some(statistic))
        }
        (DriftTest::ZTest, _, Some(counts)) => {
            let (z, p) = z_test(counts);
            (p, Some(z))
        }
        (DriftTest::JensenShannon | DriftTest::Psi, _, Some(counts)) => {
            let (mut r, mut c) = level_shares(counts);
            if test == DriftTest::Psi {
                fill_zeroes(&mut r);
                fill_zeroes(&mut c);
                (psi(&r, &c), None)
            } else {
                (jensen_shannon(&r, &c), None)
            }
        }
        (
            DriftTest::JensenShannon | DriftTest::Psi,
            Samples::Numbers { reference, current },
            None,
        ) => {
            let fill = test == DriftTest::Psi;
            let (r, c) = binned_numbers(reference, current, fill);
            if fill {
                (psi(&r, &c), None)
            } else {
                (jensen_shannon(&r, &c), None)
            }
        }
        _ => {
            return Err(DriftError::BadChoice {
                column: name.to_string(),
                message: format!("{} cannot test this column", test.title()),
            });
        }
    };
    let distribution = match (&samples, levels) {
        (Samples::Numbers { reference, current }, _) if distinct > 20 => {
            histogram_chart(reference, current)
        }
        (_, Some(counts)) => level_chart(counts),
        (Samples::Numbers { reference, current }, None) => {
            level_chart(&LevelCounts::from_numbers(reference, current))
        }
        (Samples::Levels(counts), None) => level_chart(counts),
    };
    Ok(ColumnDrift {
        column: name.to_string(),
        kind,
        test,
        score,
        statistic,
        threshold,
        drifted: test.drifted(score, threshold),
        rule,
        reference_rows,
        current_rows,
        reference_missing,
        current_missing,
        distribution,
    })
}

/// Tests every common column of `reference` and `current` and gives the dataset verdict.
/// `progress(done, total, column)` is called as columns finish (from worker threads).
pub fn check_drift(
    reference: (&DataFrame, &str),
    current: (&DataFrame, &str),
    options: &DriftOptions,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> Result<DriftReport, DriftError> {
    let started = Instant::now();
    let (reference_frame, current_frame) = (reference.0, current.0);
    if reference_frame.height() == 0 {
        return Err(DriftError::Empty {
            side: "reference",
            label: reference.1.to_string(),
        });
    }
    if current_frame.height() == 0 {
        return Err(DriftError::Empty {
            side: "current",
            label: current.1.to_string(),
        });
    }
    let (planned, skipped) = plan(reference_frame, current_frame, options)?;
    if planned.is_empty() {
        return Err(DriftError::NoColumns(if skipped.is_empty() {
            "the datasets have no common column".into()
        } else {
            skipped
                .iter()
                .map(|s| format!("{} ({})", s.column, s.reason))
                .collect::<Vec<_>>()
                .join("; ")
        }));
    }
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<ColumnDrift, DriftError>>>> =
        Mutex::new((0..planned.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(planned.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((name, kind)) = planned.get(i) else {
                        break;
                    };
                    let result = reference_frame
                        .column(name)
                        .and_then(|r| current_frame.column(name).map(|c| (r, c)))
                        .map_err(DriftError::from)
                        .and_then(|(r, c)| {
                            test_column(
                                name,
                                *kind,
                                r.as_materialized_series(),
                                c.as_materialized_series(),
                                options,
                            )
                        });
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                    progress(
                        done.fetch_add(1, Ordering::Relaxed) + 1,
                        planned.len(),
                        name,
                    );
                }
            });
        }
    });
    let slots = results
        .into_inner()
        .map_err(|_| DriftError::Source("a drift worker panicked".into()))?;
    let mut columns = Vec::with_capacity(slots.len());
    for slot in slots {
        columns.push(slot.ok_or_else(|| DriftError::Source("a column was not tested".into()))??);
    }
    let drifted_columns = columns.iter().filter(|c| c.drifted).count();
    let drifted_share = drifted_columns as f64 / columns.len() as f64;
    Ok(DriftReport {
        reference: SampleInfo {
            label: reference.1.to_string(),
            rows: reference_frame.height(),
        },
        current: SampleInfo {
            label: current.1.to_string(),
            rows: current_frame.height(),
        },
        drifted_columns,
        drifted_share,
        share_threshold: options.share_threshold,
        dataset_drift: drifted_share >= options.share_threshold,
        columns,
        skipped,
        model: None,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}
