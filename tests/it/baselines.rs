//! Forecasting baselines are models (trained, validated recursively, registered and forecast
//! through the same pipeline), and backtests refit at rolling cut-offs as child runs.

use serde_json::Value;

use crate::common::{describe, project, shelfcast};
use crate::forecast::random_walks;

/// Trains `model` as run `id` and reads its metrics.
fn train(root: &std::path::Path, model: &str, id: u32) -> Value {
    crate::forecast::train_walks(root, &["--split", "time:week:12", "--model", model]);
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

    // Compare says how much each run beats seasonal naive, in words.
    let output = shelfcast(&root, &["compare", "1", "2"]);
    assert!(output.status.success(), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    let naive_skill = naive["horizon"]["baseline"]["skill"]
        .as_f64()
        .expect("skill");
    assert!(naive_skill > 0.0, "{naive_skill}");
    assert!(
        text.contains("run 1: scores as seasonal naive does")
            && text.contains(&format!(
                "run 2: beats seasonal naive by {:.1}%",
                100.0 * naive_skill
            )),
        "{text}"
    );

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

#[test]
fn a_backtest_trains_each_window_as_a_child_run_and_pools_their_errors_per_step() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(6, 90)).expect("data");
    let backtest = |windows: &str| {
        shelfcast(
            &root,
            &[
                "backtest",
                "--data",
                "data/walks.csv",
                "--target",
                "units",
                "--date",
                "week",
                "--lags",
                "1,2",
                "--group",
                "store",
                "--param",
                "rounds=30",
                "--windows",
                windows,
                "--horizon",
                "4",
                "--wait",
            ],
        )
    };
    // Windows that do not fit the data are refused before anything is recorded.
    let output = backtest("30");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("windows that leave the oldest one at least 4 training dates"),
        "{stderr}"
    );
    assert!(!root.join("models/runs/1").exists());

    let output = backtest("3");
    assert!(output.status.success(), "{}", describe(&output));
    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let children = store
        .list_runs(&shelfcast::store::RunFilter {
            parent_run_id: Some(1),
            ..Default::default()
        })
        .expect("children");
    assert_eq!(children.len(), 3, "one child run per window");
    let metrics = |id: i64| -> Value {
        serde_json::from_slice(
            &std::fs::read(root.join(format!("models/runs/{id}/model/metrics.json")))
                .expect("metrics"),
        )
        .expect("json")
    };
    let mut cutoffs = Vec::new();
    for child in &children {
        assert_eq!(child.status.as_str(), "finished");
        let steps = store
            .metric_history(child.id, "h_step_wape")
            .expect("series");
        assert_eq!(steps.len(), 4, "run {}: an error per step", child.id);
        let params = store.params(child.id).expect("params");
        let param = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(param("split").as_deref(), Some("time:week:4"));
        cutoffs.push(param("backtest.cutoff").expect("cutoff"));
    }
    cutoffs.sort();
    // Four weeks apart, the last window ending at the data's last week (2022-09-19), so its
    // cut-off is four weeks before.
    assert_eq!(cutoffs, ["2022-06-27", "2022-07-25", "2022-08-22"]);
    let pooled = metrics(1);
    let by_step = pooled["horizon"]["by_step"].as_array().expect("steps");
    assert_eq!(by_step.len(), 4);
    // Each step pools the six series of all three windows.
    assert!(by_step.iter().all(|s| s["rows"] == 18), "{by_step:?}");
    assert!(by_step.iter().all(|s| s["half_width"].is_number()));
    let child_wapes: Vec<f64> = children
        .iter()
        .map(|c| metrics(c.id)["validation"]["wape"].as_f64().expect("wape"))
        .collect();
    let wape = pooled["validation"]["wape"].as_f64().expect("wape");
    let (low, high) = child_wapes
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    println!("backtest of 3 windows: pooled WAPE {wape:.2}%, windows {child_wapes:?}");
    assert!(low <= wape && wape <= high, "{wape} within {child_wapes:?}");
    let per_window = store.metric_history(1, "backtest_wape").expect("series");
    assert_eq!(per_window.len(), 3);
}

#[test]
fn a_backtest_is_a_train_form_choice() {
    use crossterm::event::KeyCode;
    use shelfcast::tui::panes::Tab;
    use shelfcast::tui::panes::train::TextField;

    use crate::tui::{Panes, key, settle};

    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(4, 70)).expect("data");
    let mut app = crate::tui::app_for(&root);
    settle(&mut app);
    app.switch_to(Tab::Train);
    settle(&mut app);
    let tab = app.train();
    tab.choose_dataset(&root.join("data/walks.csv"));
    assert_eq!(tab.target_name(), Some("units"));
    tab.split = TextField::new("time:week:4");
    tab.lags = TextField::new("1,2");
    tab.groups = TextField::new("store");
    tab.backtest = TextField::new("many");
    tab.validate();
    assert_eq!(
        tab.backtest.error.as_deref(),
        Some("'many': a number of windows from 1 to 100, or empty")
    );
    tab.backtest = TextField::new("3");
    tab.validate();
    assert_eq!(tab.backtest.error, None);
    key(&mut app, KeyCode::Enter);
    let jobs = app.take_jobs();
    let Some(shelfcast::tui::action::Job::Launch { request, .. }) = jobs.first() else {
        panic!("a launch request, not {jobs:?}");
    };
    let backtest = request.spec.backtest.clone().expect("a backtest");
    assert_eq!(
        (backtest.windows, backtest.horizon, backtest.step),
        (3, 4, 4)
    );
    // Queued as the TUI's launch does; the worker is the real binary's (a launch from this test
    // process would start the test executable).
    let mut store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let (run, _) =
        shelfcast::jobs::launch::queue_run(&app.project, &mut store, request).expect("queued");
    let output = shelfcast(&root, &["worker", "--run", &run.to_string()]);
    assert!(output.status.success(), "{}", describe(&output));
    let children = store
        .list_runs(&shelfcast::store::RunFilter {
            parent_run_id: Some(run),
            ..Default::default()
        })
        .expect("children");
    assert_eq!(children.len(), 3);
}

/// What a new user gets wrong is refused before a run is recorded, in words about what they
/// typed.
#[test]
fn bad_baseline_and_backtest_requests_are_refused_before_any_run() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(3, 60)).expect("data");
    let refused = |args: &[&str], said: &str| {
        let mut all = vec!["train", "--data", "data/walks.csv", "--target", "units"];
        all.extend_from_slice(args);
        let output = shelfcast(&root, &all);
        assert!(!output.status.success(), "{args:?} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    };
    // A season longer than the history: no training row has the value it repeats.
    refused(
        &[
            "--split",
            "time:week:8",
            "--group",
            "store",
            "--model",
            "seasonal_naive",
            "--param",
            "season=200",
        ],
        "it looks 200 periods back, and the training rows span 52 dates",
    );
    refused(
        &[
            "--split",
            "time:week:8",
            "--group",
            "store,store",
            "--lags",
            "1",
        ],
        "it is named twice among the series' columns",
    );
    refused(
        &["--group", "store", "--model", "naive"],
        "parameter split = 'random:0.2' is not allowed; expected a time split",
    );
    refused(
        &["--split", "time:week:8", "--model", "naive"],
        "two rows share the date 2021-01-04; lags need one row per date, or the columns of one \
         series",
    );
    let backtest = |extra: &[&str], said: &str| {
        let mut all = vec![
            "backtest",
            "--data",
            "data/walks.csv",
            "--target",
            "units",
            "--date",
            "week",
            "--group",
            "store",
            "--lags",
            "1,26",
        ];
        all.extend_from_slice(extra);
        let output = shelfcast(&root, &all);
        assert!(!output.status.success(), "{extra:?} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{extra:?}: {stderr}");
    };
    backtest(
        &["--windows", "3", "--horizon", "0"],
        "parameter horizon = '0' is not allowed",
    );
    // 60 weeks in 5 windows of 8: the oldest trains on its first 20 weeks, where lag 26 has no
    // value at all.
    backtest(
        &["--windows", "5", "--horizon", "8"],
        "the oldest window (trained until 2021-07-12) cannot be trained: feature 'units__lag_26'",
    );
    assert!(!root.join("models/runs").exists(), "no run was recorded");
    // A baseline given lags says it uses only its own (on a history long enough for lag 52).
    std::fs::write(root.join("data/walks.csv"), random_walks(3, 90)).expect("data");
    let output = shelfcast(
        &root,
        &[
            "train",
            "--data",
            "data/walks.csv",
            "--target",
            "units",
            "--split",
            "time:week:8",
            "--group",
            "store",
            "--model",
            "seasonal_naive",
            "--lags",
            "1,2",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "seasonal_naive uses only units__lag_52; the lags and rolling means given are not used"
        ) && !stderr.contains("shortest lag"),
        "{stderr}"
    );
}
