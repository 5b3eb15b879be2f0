//! Forecasting baselines are models: trained, validated recursively, registered and forecast
//! through the same pipeline, so a run can be compared with them like with any other.

use serde_json::Value;

use crate::common::{describe, project, shelfcast};
use crate::forecast::random_walks;

/// Trains `model` as run `id` and reads its metrics.
fn train(root: &std::path::Path, model: &str, id: u32) -> Value {
    let output = shelfcast(
        root,
        &[
            "train",
            "--data",
            "data/walks.csv",
            "--target",
            "units",
            "--split",
            "time:week:12",
            "--group",
            "store",
            "--model",
            model,
            "--wait",
        ],
    );
    assert!(output.status.success(), "{model}: {}", describe(&output));
    serde_json::from_slice(
        &std::fs::read(root.join(format!("models/runs/{id}/model/metrics.json"))).expect("metrics"),
    )
    .expect("json")
}

#[test]
fn baselines_train_as_runs_and_seasonal_naive_scores_what_every_run_compares_with() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(6, 90)).expect("data");

    let seasonal = train(&root, "seasonal_naive", 1);
    let wape = seasonal["validation"]["wape"].as_f64().expect("wape");
    let baseline = &seasonal["horizon"]["baseline"];
    // The seasonal naive model and the baseline every run records are the same forecast.
    assert_eq!(baseline["season"], 52);
    assert!(
        (wape - baseline["wape"].as_f64().expect("baseline")).abs() < 1e-9,
        "{wape} vs {baseline}"
    );
    assert!(baseline["skill"].as_f64().expect("skill").abs() < 1e-12);
    assert_eq!(
        seasonal["horizon"]["by_step"].as_array().map(Vec::len),
        Some(12)
    );

    // On random walks last week is the best guess: naive beats seasonal naive by far.
    let naive = train(&root, "naive", 2);
    let naive_wape = naive["validation"]["wape"].as_f64().expect("wape");
    println!("random walks, 12 weeks: naive WAPE {naive_wape:.2}%, seasonal naive {wape:.2}%");
    assert!(naive_wape < wape, "{naive_wape} vs {wape}");
    for (id, model) in [(3, "window_average"), (4, "series_mean")] {
        let metrics = train(&root, model, id);
        assert!(
            metrics["validation"]["wape"].is_number(),
            "{model}: {metrics}"
        );
    }

    // The run records the resolved season and what it repeats.
    let output = shelfcast(&root, &["run", "show", "1", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("\"model.season\""), "{text}");

    // A baseline needs the series: refused before a run is made, saying what to give.
    let output = shelfcast(
        &root,
        &[
            "train",
            "--data",
            "data/walks.csv",
            "--target",
            "units",
            "--model",
            "naive",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a date column"), "{stderr}");

    // Registered and forecast, naive stays flat at each store's last value.
    let output = shelfcast(&root, &["register", "2", "--model", "naive-walks"]);
    assert!(output.status.success(), "{}", describe(&output));
    let out = root.join("naive.csv").display().to_string();
    let output = shelfcast(
        &root,
        &[
            "forecast",
            "--model",
            "naive-walks",
            "--horizon",
            "4",
            "--output",
            &out,
            "--carry-forward",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(&out).expect("forecast");
    let history = random_walks(6, 90);
    let last_s0 = history
        .lines()
        .rfind(|l| l.contains(",S0,"))
        .and_then(|l| l.rsplit(',').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("last value");
    let s0: Vec<f64> = written
        .lines()
        .filter(|l| l.starts_with("S0,"))
        .map(|l| {
            l.split(',')
                .nth(3)
                .and_then(|v| v.parse().ok())
                .expect("value")
        })
        .collect();
    assert_eq!(s0.len(), 4);
    assert!(
        s0.iter().all(|v| (v - last_s0).abs() < 1e-9),
        "{s0:?} vs {last_s0}"
    );
}
