//! The gbdt adapter: models of the earlier backend still load; damaged model files are refused.

use super::*;
use hessboost::prelude::{
    DMatrix, Iterations, ModelFormat, Objective, RegLoss, Trainer, TrainingParams, TreeMethod,
};

/// A model the earlier backend saved still loads and predicts as it did, so registered
/// champions keep serving after the booster changed.
#[test]
fn a_model_saved_by_hessboost_still_loads_and_predicts_the_same() {
    let rows = 200;
    let values: Vec<f64> = (0..rows * 2).map(|i| ((i * 37) % 101) as f64).collect();
    let labels: Vec<f64> = values.chunks(2).map(|r| 3.0 * r[0] - r[1]).collect();
    let x = Matrix {
        rows,
        names: vec!["a".into(), "b".into()],
        values,
    };
    let f32s: Vec<f32> = x.values.iter().map(|&v| v as f32).collect();
    let label32: Vec<f32> = labels.iter().map(|&v| v as f32).collect();
    let train = DMatrix::from_dense_vec(f32s.clone(), rows, 2)
        .and_then(|m| m.with_labels(&label32))
        .expect("dmatrix");
    let params = TrainingParams::builder()
        .objective(Objective::SquaredError(RegLoss::default()))
        .tree_method(TreeMethod::Hist)
        .max_depth(3)
        .build()
        .expect("params");
    let model = Trainer::new(&params, &train, 10)
        .train()
        .expect("train")
        .model;
    let expected: Vec<f64> = model
        .predict(
            &DMatrix::from_dense_vec(f32s, rows, 2).expect("rows"),
            Iterations::Best,
        )
        .expect("predict")
        .as_slice()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let bytes = model.encode(ModelFormat::Binary).expect("encode");
    let loaded = GbdtModel::from_bytes(&bytes, x.names.clone(), Task::Regression).expect("load");
    assert_eq!(loaded.rounds(), 10);
    assert_eq!(loaded.predict(&x).expect("predict"), expected);
    assert_eq!(loaded.encode().expect("encode").0, "model.hessboost");
}

/// A damaged model file is refused with the reason, never read into trees that loop.
#[test]
fn a_truncated_or_inconsistent_model_file_is_refused() {
    let x = Matrix {
        rows: 64,
        names: vec!["a".into()],
        values: (0..64).map(f64::from).collect(),
    };
    let y: Vec<f64> = (0..64).map(|i| f64::from(i % 8)).collect();
    let mut params = GbdtParams::defaults(Task::Regression);
    params.rounds = 5;
    let model = train_gbdt(&params, Task::Regression, &x, &y, None, &mut |_| true).expect("fit");
    let bytes = model.to_bytes().expect("bytes");
    let names = x.names.clone();
    let error = GbdtModel::from_bytes(&bytes[..bytes.len() - 3], names.clone(), Task::Regression)
        .err()
        .expect("truncated");
    assert!(error.to_string().contains("truncated"), "{error}");
    // The first tree's root pointing back at itself.
    let mut looping = bytes.clone();
    let root_left = 8 + 1 + 4 + 8 + 4 + 4 + 4 + 8 + 1 + 1;
    looping[root_left..root_left + 4].copy_from_slice(&0u32.to_le_bytes());
    let error = GbdtModel::from_bytes(&looping, names, Task::Regression)
        .err()
        .expect("looping");
    assert!(error.to_string().contains("inconsistent"), "{error}");
}
