//! Comparing runs: params that differ, the best metric per row (lower or higher is better),
//! importances side by side, curves of a deleted and of a still-running run, LTTB downsampling.

use shelfcast::compare::{Best, compare_curves, compare_runs, higher_is_better, smooth};
use shelfcast::project::Project;
use shelfcast::store::{MetricPoint, NewRun, RunStatus, RunStore, lttb_indices};

use crate::common::project;

fn point(key: &str, step: i64, value: f64) -> MetricPoint {
    MetricPoint {
        key: key.into(),
        step,
        value,
        timestamp_ms: 1_000 + step,
    }
}

#[test]
fn comparison_marks_differences_and_the_best_value_per_metric() {
    let (_tmp, root) = project();
    let project = Project::new(&root);
    let mut store = RunStore::open(&project.store_path()).expect("store");
    let mut ids = Vec::new();
    for (i, (rounds, rmse, r2, bias)) in [
        (100, 5.0, 0.8, -0.5),
        (300, 4.0, 0.7, 0.2),
        (300, 6.0, 0.9, -0.1),
    ]
    .into_iter()
    .enumerate()
    {
        let id = store
            .create_run(&NewRun {
                experiment: "e".into(),
                name: format!("r{i}"),
                model_kind: "gbdt".into(),
                task: "regression".into(),
                dataset_id: None,
                parent_run_id: None,
            })
            .expect("run");
        let rounds = rounds.to_string();
        store
            .log_params(id, &[("model.rounds", &rounds), ("target", "units")])
            .expect("params");
        let steps: Vec<MetricPoint> = (0..(1000 * (i as i64 + 1)))
            .map(|s| point("valid_loss", s, 10.0 / (1.0 + s as f64)))
            .collect();
        store.log_metrics(id, &steps).expect("curve");
        store
            .log_metrics(
                id,
                &[
                    point("rmse", 9, rmse),
                    point("r2", 9, r2),
                    point("bias", 9, bias),
                    // Lower is better, but a training-set score picks nothing.
                    point("train_rmse", 9, rmse / 10.0),
                ],
            )
            .expect("finals");
        ids.push(id);
    }
    store
        .set_status(ids[0], RunStatus::Finished, None)
        .expect("finish");
    store
        .delete_run(ids[0])
        .expect("a deleted run still compares");
    store
        .set_status(ids[2], RunStatus::Running, None)
        .expect("still running");
    std::fs::create_dir_all(root.join("models/runs/2/model")).expect("dir");
    std::fs::write(
        root.join("models/runs/2/model/metrics.json"),
        r#"{"train":{"task":"regression","rows":1,"rmse":1,"mae":1,"mape":null,"mape_zero_targets_skipped":0,"wape":null,"r2":null,"bias":0},
            "validation":{"task":"regression","rows":1,"rmse":1,"mae":1,"mape":null,"mape_zero_targets_skipped":0,"wape":null,"r2":null,"bias":0},
            "importance_kind":"total gain","importance":[["promo",0.7],["price",0.3]],"steps":10,"stopped_early":false}"#,
    )
    .expect("metrics file");

    let comparison = compare_runs(&project, &store, &ids).expect("compare");
    let differing: Vec<&str> = comparison
        .differing_params()
        .map(|p| p.key.as_str())
        .collect();
    assert_eq!(differing, ["model.rounds"]);
    assert_eq!(comparison.params.len(), 2);
    let metric = |key: &str| {
        comparison
            .metrics
            .iter()
            .find(|m| m.key == key)
            .unwrap_or_else(|| panic!("{key}"))
    };
    assert_eq!(metric("rmse").best, Best::Lowest);
    assert_eq!(metric("rmse").best_run, Some(1));
    assert_eq!(metric("train_rmse").best_run, None);
    assert_eq!(metric("r2").best_run, Some(2));
    assert_eq!(metric("bias").best_run, Some(2), "nearest zero");
    let promo = &comparison.importances[0];
    assert_eq!(promo.feature, "promo");
    assert_eq!(promo.shares, vec![None, Some(0.7), None]);

    let curves = compare_curves(&store, &ids, "valid_loss", (None, None), 200).expect("curves");
    assert_eq!(
        curves.iter().map(|c| c.total_points).collect::<Vec<_>>(),
        [1000, 2000, 3000]
    );
    assert!(curves.iter().all(|c| c.steps.len() == 200));
    assert_eq!(curves[2].steps.first(), Some(&0.0));
    assert_eq!(curves[2].steps.last(), Some(&2999.0));
    let zoomed =
        compare_curves(&store, &ids, "valid_loss", (Some(500), Some(1499)), 0).expect("zoom");
    assert_eq!(zoomed[0].total_points, 500, "run 1 stops at step 999");
    assert_eq!(zoomed[1].total_points, 1000);
}

#[test]
fn lttb_keeps_ends_and_peaks_and_smoothing_follows_the_trend() {
    let xs: Vec<f64> = (0..10_000).map(f64::from).collect();
    let mut ys: Vec<f64> = xs.iter().map(|x| (x / 500.0).sin()).collect();
    ys[4321] = 50.0;
    let kept = lttb_indices(&xs, &ys, 300);
    assert_eq!(kept.len(), 300);
    assert_eq!((kept[0], kept[299]), (0, 9999));
    assert!(kept.contains(&4321), "the spike survives");
    assert!(kept.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(lttb_indices(&xs[..10], &ys[..10], 300).len(), 10);
    let smoothed = smooth(&[0.0, 10.0, 10.0, 10.0], 0.5);
    assert_eq!(smoothed, vec![0.0, 5.0, 7.5, 8.75]);
    assert_eq!(higher_is_better("train_roc_auc"), Some(true));
    assert_eq!(higher_is_better("valid_loss"), Some(false));
    assert_eq!(higher_is_better("bias"), None);
}
