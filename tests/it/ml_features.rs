//! Task inference and the feature pipeline: fitted on training rows only, saved and reloaded
//! without changing a single encoded value.

use crate::common::frame_from_csv;
use shelfcast::ml::MlError;
use shelfcast::ml::features::{ColumnEncoder, FeaturePipeline, Task, target_spec};

const SALES: &str = "\
week,store,category,promo,price,units,churn
2024-01-01,S1,Snacks,0,2.0,10,No
2024-01-08,S1,Snacks,1,,12,Yes
2024-01-15,S2,Dairy,0,4.0,15,No
2024-01-22,S2,Dairy,1,6.0,9,No
2024-01-29,S3,Bakery,0,100.0,20,Yes
2024-02-05,S9,Frozen,1,200.0,11,No
";

#[test]
fn the_task_follows_the_target_and_odd_targets_are_refused() {
    let (_t, df) = frame_from_csv(SALES);
    let units = target_spec(&df, "units", None).expect("units");
    assert_eq!((units.task, units.positive), (Task::Regression, None));
    let promo = target_spec(&df, "promo", None).expect("promo");
    assert_eq!(promo.task, Task::BinaryClassification);
    assert_eq!(promo.positive.as_deref(), Some("1"));
    let churn = target_spec(&df, "churn", None).expect("churn");
    assert_eq!(churn.positive.as_deref(), Some("Yes"));

    let error = target_spec(&df, "category", None).expect_err("4 text values");
    assert!(
        error.to_string().contains("text with 4 distinct values"),
        "{error}"
    );
    let error = target_spec(&df, "churn", Some(Task::Regression)).expect_err("text regression");
    assert!(
        error
            .to_string()
            .contains("regression needs a numeric target"),
        "{error}"
    );
    let error = target_spec(&df, "units", Some(Task::BinaryClassification)).expect_err("6 classes");
    assert!(error.to_string().contains("exactly two classes"), "{error}");
    let (_t, one) = frame_from_csv("a,b\n1,x\n2,x\n");
    let error = target_spec(&one, "b", None).expect_err("one class");
    assert!(error.to_string().contains("single value ('x')"), "{error}");
    let error = target_spec(&df, "sales", None).expect_err("missing");
    assert!(matches!(error, MlError::NoSuchColumn { .. }), "{error}");
}

fn features(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn encoders_are_fitted_on_the_training_rows_only() {
    let (_t, df) = frame_from_csv(SALES);
    let target = target_spec(&df, "units", None).expect("target");
    // Train on the first four weeks; S3, S9, Bakery, Frozen and the big prices are unseen.
    let pipeline = FeaturePipeline::fit(
        &df,
        &[0, 1, 2, 3],
        target,
        &features(&["week", "store", "category", "promo", "price"]),
    )
    .expect("fit");
    assert_eq!(
        pipeline.encoders[4],
        ColumnEncoder::Numeric {
            column: "price".into(),
            median: 4.0,
            missing_indicator: true
        },
        "the median of 2, 4, 6 (training rows), not of all rows"
    );
    let m = pipeline.transform(&df).expect("transform");
    assert_eq!(
        m.names,
        vec![
            "week__year",
            "week__month",
            "week__week",
            "week__weekday",
            "week__yearday",
            "store=S1",
            "store=S2",
            "category=Dairy",
            "category=Snacks",
            "promo",
            "price",
            "price__missing"
        ]
    );
    assert_eq!(
        m.row(0)[..5],
        [2024.0, 1.0, 1.0, 1.0, 1.0],
        "2024-01-01 is a Monday"
    );
    assert_eq!(
        m.column("price").expect("price"),
        vec![2.0, 4.0, 4.0, 6.0, 100.0, 200.0]
    );
    assert_eq!(
        m.column("price__missing").expect("flag"),
        vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    );
    // Unseen levels encode as all zeros.
    assert_eq!(m.row(5)[5..9], [0.0, 0.0, 0.0, 0.0]);
    assert_eq!(pipeline.target_values(&df).expect("y")[..2], [10.0, 12.0]);
}

#[test]
fn many_levels_become_codes_by_training_frequency() {
    let mut csv = String::from("item,units\n");
    for i in 0..40 {
        // item I00 appears most often, then I01, ...
        for _ in 0..(40 - i) / 10 + 1 {
            csv.push_str(&format!("I{i:02},{i}\n"));
        }
    }
    let (_t, df) = frame_from_csv(&csv);
    let rows: Vec<_> = (0..df.height() as u32).collect();
    let target = target_spec(&df, "units", None).expect("target");
    let pipeline = FeaturePipeline::fit(&df, &rows, target, &features(&["item"])).expect("fit");
    let ColumnEncoder::Codes { levels, .. } = &pipeline.encoders[0] else {
        panic!("40 levels should be codes, got {:?}", pipeline.encoders[0]);
    };
    assert_eq!(levels[0], "I00");
    let (_t, new) = frame_from_csv("item,units\nI00,1\nI39,1\nNEW,1\n");
    let m = pipeline.transform(&new).expect("transform");
    assert_eq!(m.values, vec![1.0, 40.0, 0.0], "unseen items are code 0");
}

#[test]
fn a_saved_pipeline_encodes_exactly_as_the_fitted_one() {
    let (_t, df) = frame_from_csv(SALES);
    let mut target = target_spec(&df, "units", None).expect("target");
    target.log1p = true;
    let pipeline = FeaturePipeline::fit(
        &df,
        &[0, 1, 2, 3, 4],
        target,
        &features(&["week", "store", "promo", "price"]),
    )
    .expect("fit");
    let json = serde_json::to_string(&pipeline).expect("save");
    let loaded: FeaturePipeline = serde_json::from_str(&json).expect("load");
    assert_eq!(loaded, pipeline);
    assert_eq!(
        loaded.transform(&df).expect("a"),
        pipeline.transform(&df).expect("b")
    );
    let y = loaded.target_values(&df).expect("y");
    assert!((y[0] - 11f64.ln()).abs() < 1e-12, "log1p(10) = ln 11");
}

#[test]
fn bad_features_are_refused_naming_what_and_why() {
    let (_t, df) = frame_from_csv(SALES);
    let target = target_spec(&df, "units", None).expect("target");
    let error = FeaturePipeline::fit(&df, &[0, 1], target.clone(), &features(&["prise"]))
        .expect_err("typo");
    assert!(error.to_string().contains("no column 'prise'"), "{error}");
    assert!(
        error.to_string().contains("price"),
        "available columns listed: {error}"
    );
    let error = FeaturePipeline::fit(&df, &[0, 1], target, &features(&["units"]))
        .expect_err("target as feature");
    assert!(error.to_string().contains("it is the target"), "{error}");
}
