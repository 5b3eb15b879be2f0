//! Lag and rolling features by group: by date (gaps respected), from the past only.

use polars::prelude::DataFrame;

use crate::common::frame_from_csv;
use shelfcast::ml::lags::{LagSpec, add_lag_features};

// Store A is weekly with no row on Jan 15 (closed); store B has two weeks. Rows are shuffled:
// the output keeps this order.
const WEEKLY: &str = "\
week,store,units
2024-01-29,A,50
2024-01-01,B,1
2024-01-01,A,10
2024-01-22,A,40
2024-01-08,B,2
2024-01-08,A,20
";

fn spec() -> LagSpec {
    LagSpec {
        date: "week".into(),
        groups: vec!["store".into()],
        value: "units".into(),
        lags: vec![1, 2],
        rolling_means: vec![2],
    }
}

fn column(df: &DataFrame, name: &str) -> Vec<Option<f64>> {
    df.column(name)
        .expect(name)
        .as_materialized_series()
        .f64()
        .expect("f64")
        .iter()
        .collect()
}

#[test]
fn lags_and_rolling_means_look_back_by_date_within_each_group() {
    let (_t, df) = frame_from_csv(WEEKLY);
    let out = add_lag_features(&df, &spec()).expect("lags");
    assert_eq!(
        spec().output_names(),
        vec!["units__lag_1", "units__lag_2", "units__mean_2"]
    );
    // Rows: A@01-29, B@01-01, A@01-01, A@01-22, B@01-08, A@01-08.
    assert_eq!(
        column(&out, "units__lag_1"),
        vec![Some(40.0), None, None, None, Some(1.0), Some(10.0)],
        "A@01-22's previous week (01-15) has no row, so its lag 1 is missing"
    );
    assert_eq!(
        column(&out, "units__lag_2"),
        vec![None, None, None, Some(20.0), None, None]
    );
    assert_eq!(
        column(&out, "units__mean_2"),
        vec![Some(40.0), None, None, Some(20.0), Some(1.0), Some(10.0)],
        "A@01-29 averages 01-15 (absent) and 01-22 (40)"
    );
}

#[test]
fn no_feature_sees_its_own_row_or_the_future() {
    let (_t, df) = frame_from_csv(WEEKLY);
    let before = add_lag_features(&df, &spec()).expect("lags");
    // Change A's last week (row 0): its own features and every earlier row's stay the same.
    let (_t2, changed) = frame_from_csv(&WEEKLY.replace("2024-01-29,A,50", "2024-01-29,A,999"));
    let after = add_lag_features(&changed, &spec()).expect("lags");
    for name in spec().output_names() {
        assert_eq!(
            column(&before, &name),
            column(&after, &name),
            "{name} moved"
        );
    }
}

#[test]
fn lag_inputs_are_checked() {
    let (_t, df) = frame_from_csv(WEEKLY);
    let mut bad = spec();
    bad.date = "store".into();
    let error = add_lag_features(&df, &bad).expect_err("not a date");
    assert!(error.to_string().contains("needs a date column"), "{error}");
    let mut bad = spec();
    bad.value = "store".into();
    let error = add_lag_features(&df, &bad).expect_err("text");
    assert!(error.to_string().contains("lags need numbers"), "{error}");
    let (_t, twice) = frame_from_csv("week,store,units\n2024-01-01,A,1\n2024-01-01,A,2\n");
    let error = add_lag_features(&twice, &spec()).expect_err("duplicate");
    assert!(
        error.to_string().contains("share the date 2024-01-01"),
        "{error}"
    );
}
