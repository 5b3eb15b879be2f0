//! Horizon-aware validation: a time-split run with lags is scored as its forecast will be made,
//! recursively from the cut-off, with the one-step score, the error per step and the seasonal
//! naive baseline beside it.

use serde_json::Value;

use crate::common::{describe, project, shelfcast};

/// Random walks, one per store: last week's actual value is nearly the answer, so a validation
/// that leaks it (one step ahead) looks far better than a forecast 12 weeks out can be.
pub(crate) fn random_walks(stores: usize, weeks: usize) -> String {
    let mut csv = String::from("week,store,promo,units\n");
    let start = chrono::NaiveDate::from_ymd_opt(2021, 1, 4).expect("date");
    let mut state = 11u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5
    };
    for store in 0..stores {
        let mut level = 100.0 + 20.0 * store as f64;
        for week in 0..weeks {
            level = (level + 12.0 * noise()).max(5.0);
            let day = start + chrono::Duration::weeks(week as i64);
            let promo = (week + store) % 6 == 0;
            let units = level * if promo { 1.3 } else { 1.0 };
            csv.push_str(&format!("{day},S{store},{},{units:.1}\n", u8::from(promo)));
        }
    }
    csv
}

/// `shelfcast train` on `data/walks.csv` (target `units`, series by store) with `args`, to the
/// end.
pub(crate) fn train_walks(root: &std::path::Path, args: &[&str]) {
    let mut all = vec![
        "train",
        "--data",
        "data/walks.csv",
        "--target",
        "units",
        "--group",
        "store",
        "--wait",
    ];
    all.extend_from_slice(args);
    let output = shelfcast(root, &all);
    assert!(output.status.success(), "{args:?}: {}", describe(&output));
}

#[test]
fn a_lag_run_is_validated_recursively_from_the_cut_off_beside_its_one_step_score() {
    let (_tmp, root) = project();
    std::fs::write(root.join("data/walks.csv"), random_walks(6, 90)).expect("data");
    let args = [
        "train",
        "--data",
        "data/walks.csv",
        "--target",
        "units",
        "--split",
        "time:week:12",
        "--lags",
        "1,2",
        "--group",
        "store",
        "--param",
        "rounds=60",
        "--wait",
    ];
    let output = shelfcast(&root, &args);
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the shortest lag (1) is below the 12-period horizon"),
        "{stderr}"
    );
    let metrics: Value = serde_json::from_slice(
        &std::fs::read(root.join("models/runs/1/model/metrics.json")).expect("metrics"),
    )
    .expect("json");
    let wape = |v: &Value| v["wape"].as_f64().expect("wape");
    let recursive = wape(&metrics["validation"]);
    let one_step = wape(&metrics["one_step"]);
    println!("12-step WAPE {recursive:.2}%, one-step WAPE {one_step:.2}%");
    assert!(
        recursive > 1.15 * one_step,
        "a forecast 12 weeks out cannot score like one step ahead: {recursive} vs {one_step}"
    );
    let horizon = &metrics["horizon"];
    assert_eq!(horizon["horizon"], 12);
    assert_eq!(horizon["shortest_lag"], 1);
    let steps = horizon["by_step"].as_array().expect("steps");
    assert_eq!(steps.len(), 12);
    assert!(steps.iter().all(|s| s["rows"] == 6));
    let first = steps[0]["mae"].as_f64().expect("mae");
    let last = steps[11]["mae"].as_f64().expect("mae");
    assert!(
        last > first,
        "the error grows with the step: {first} then {last}"
    );
    let baseline = &horizon["baseline"];
    assert_eq!(baseline["season"], 52);
    assert_eq!(baseline["rows"], 72);
    assert!(baseline["skill"].is_number(), "{baseline}");

    // The run view says what its validation is, beside the one-step score and the baseline.
    let mut app = crate::tui::app_for(&root);
    crate::tui::settle(&mut app);
    app.update(shelfcast::tui::action::Action::Open(
        shelfcast::tui::action::Target::Run(1),
    ));
    let screen = crate::tui::screen_text(&crate::tui::draw(&mut app, 150, 40));
    for said in [
        "validation: 12 steps from the cut-off, recursive",
        "one step ahead",
        "seasonal naive (52)",
        "WAPE by step: h1 ",
        "lag 1 is shorter than the horizon",
    ] {
        assert!(screen.contains(said), "{said}:\n{screen}");
    }

    // The run's record has the same figures: per-step errors as a series, the baseline.
    let output = shelfcast(&root, &["run", "show", "1", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for key in [
        "h_step_wape",
        "one_step_wape",
        "seasonal_naive_wape",
        "skill_vs_seasonal_naive",
    ] {
        assert!(text.contains(key), "{key} missing from the run");
    }
}

#[test]
fn forecast_writes_every_series_next_periods_with_intervals_and_names_missing_covariates() {
    let (_tmp, root) = project();
    let full = random_walks(6, 95);
    let lines: Vec<&str> = full.lines().collect();
    // The history: each store's first 90 weeks; the last 5 are the actuals to score against.
    let history: Vec<&str> = std::iter::once(lines[0])
        .chain(
            lines[1..]
                .chunks(95)
                .flat_map(|store| store[..90].iter().copied()),
        )
        .collect();
    std::fs::write(root.join("data/walks.csv"), history.join("\n") + "\n").expect("history");
    std::fs::write(root.join("actuals.csv"), &full).expect("actuals");
    train_walks(
        &root,
        &[
            "--split",
            "time:week:8",
            "--lags",
            "1,2",
            "--param",
            "rounds=40",
        ],
    );
    let output = shelfcast(&root, &["register", "1", "--model", "walks"]);
    assert!(output.status.success(), "{}", describe(&output));

    let out = root.join("forecast.csv").display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "forecast",
            "--model",
            "walks",
            "--horizon",
            "5",
            "--output",
            &out,
        ];
        args.extend_from_slice(extra);
        shelfcast(&root, &args)
    };
    // Without the covariates' future, nothing is guessed.
    let output = run(&[]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the covariates promo are not known for the future"),
        "{stderr}"
    );
    assert!(!root.join("forecast.csv").exists(), "nothing written");

    // A future file that lacks one store's week is named.
    let mut future: Vec<&str> = full.lines().take(1).collect();
    future.extend(
        lines[1..]
            .chunks(95)
            .flat_map(|store| store[90..].iter().copied()),
    );
    future.remove(3);
    std::fs::write(root.join("future.csv"), future.join("\n") + "\n").expect("future");
    let output = run(&["--future", "future.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the future file has no row for store S0 on 2022-10-10"),
        "{stderr}"
    );

    let output = run(&[
        "--future",
        "future.csv",
        "--carry-forward",
        "--score",
        "actuals.csv",
        "--json",
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let summary: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(summary["series"], 6);
    assert_eq!(summary["rows"], 30);
    assert_eq!(summary["score"]["matched"], 30);
    // Recorded with every value, for scoring when actuals arrive.
    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let recorded = store.forecasts(10).expect("forecasts");
    assert_eq!(recorded.len(), 1);
    assert_eq!(summary["forecast_id"], recorded[0].id);
    assert_eq!(
        (recorded[0].horizon, recorded[0].series, recorded[0].values),
        (5, 6, 30)
    );
    assert_eq!(recorded[0].origin, "2022-09-25");
    let wape = summary["score"]["wape"].as_f64().expect("wape");
    println!("5-week forecast WAPE against the actuals: {wape:.2}%");
    assert!(wape < 25.0, "{wape}");
    let written = std::fs::read_to_string(root.join("forecast.csv")).expect("output");
    let mut lines = written.lines();
    assert_eq!(
        lines.next(),
        Some("store,week,step,forecast,lower,upper,model,version")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 30);
    assert_eq!(rows[0][..3], ["S0", "2022-09-26", "1"]);
    assert_eq!(rows[4][..3], ["S0", "2022-10-24", "5"]);
    for row in &rows {
        let (value, low, high): (f64, f64, f64) = (
            row[3].parse().expect("forecast"),
            row[4].parse().expect("lower"),
            row[5].parse().expect("upper"),
        );
        assert!(low <= value && value <= high, "{row:?}");
    }
}
