//! Monitoring on the sample: a model trained on the original two years forecasts the later
//! half-year with its covariates carried forward; once its actuals are added the monitor shows
//! every week above the validation's band and alerts (exit 4 under --fail-on-alert). A model
//! trained on all but the last 26 weeks, forecasting them with their plan, raises none. Adding a
//! file twice changes nothing; bad rows are counted by why; the report opens in Chromium.

use serde_json::Value;

use crate::common::{describe, project, shelfcast};

fn ok(root: &std::path::Path, args: &[&str]) -> String {
    let output = shelfcast(root, args);
    assert!(output.status.success(), "{args:?}: {}", describe(&output));
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// Trains a lag model on `data` and registers it as `model`'s champion.
fn train_register(root: &std::path::Path, data: &str, model: &str, run: &str) {
    ok(
        root,
        &[
            "train",
            "--data",
            data,
            "--target",
            "units_sold",
            "--split",
            "time:week_start:26",
            "--param",
            "objective=poisson",
            "--param",
            "rounds=80",
            "--lags",
            "1,2,52",
            "--group",
            "store_id,item_id",
            "--wait",
        ],
    );
    ok(
        root,
        &["register", run, "--model", model, "--alias", "champion"],
    );
}

#[test]
fn the_monitor_alerts_after_the_samples_drift_and_not_on_held_out_weeks() {
    let (_tmp, root) = project();
    shelfcast::data::sample::write_sample(&root.join("data"), 42).expect("sample");
    train_register(&root, "data/sales_weekly.csv", "sales", "1");
    let fc = root.join("fc.csv");
    ok(
        &root,
        &[
            "forecast",
            "--model",
            "sales@champion",
            "--horizon",
            "26",
            "--carry-forward",
            "--output",
            fc.to_str().expect("path"),
        ],
    );
    let added: Value = serde_json::from_str(&ok(
        &root,
        &[
            "actuals",
            "add",
            "data/sales_weekly_2024h1.csv",
            "--model",
            "sales",
            "--json",
        ],
    ))
    .expect("json");
    assert_eq!(added["rows"], 27300);
    assert_eq!(added["matched"], 23920, "{added}");
    assert_eq!(
        added["unknown_series"], 3380,
        "the new store and items: {added}"
    );
    assert_eq!(added["stored"]["inserted"], 23920);
    // The same file again changes nothing.
    let again: Value = serde_json::from_str(&ok(
        &root,
        &["actuals", "add", "data/sales_weekly_2024h1.csv", "--json"],
    ))
    .expect("json");
    assert_eq!(again["stored"]["inserted"], 0);
    assert_eq!(again["stored"]["unchanged"], 23920);

    let html = root.join("reports/monitor.html");
    let output = shelfcast(
        &root,
        &[
            "monitor",
            "--model",
            "sales",
            "--segment",
            "store_id",
            "--json",
            "--fail-on-alert",
            "--html",
            html.to_str().expect("path"),
        ],
    );
    assert_eq!(output.status.code(), Some(4), "{}", describe(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    let periods = report["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 26, "26 weeks scored");
    let band = &report["band"];
    let upper = band["upper"].as_f64().expect("a band");
    let validation = band["overall"]["wape"].as_f64().expect("validation wape");
    let first = periods[0]["score"]["wape"].as_f64().expect("wape");
    println!(
        "validation WAPE {validation:.2}%, band up to {upper:.2}; live week 1 {first:.2}%, \
         overall {:.2}%",
        report["overall"]["wape"].as_f64().unwrap_or_default()
    );
    assert!(first > upper, "the drift shows from the first week");
    let kinds: Vec<&str> = report["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["band", "degradation"]);
    let segments = report["segments"].as_array().expect("segments");
    assert_eq!(segments.len(), 20, "twenty stores");
    let changes: Vec<f64> = segments
        .iter()
        .filter_map(|s| s["change"].as_f64())
        .collect();
    assert!(
        changes.windows(2).all(|w| w[0] >= w[1]),
        "worst first: {changes:?}"
    );
    let page = std::fs::read_to_string(&html).expect("report");
    assert!(page.contains("<svg") && page.contains("Alerts") && page.contains("By store_id"));
    if let Some(bytes) = crate::common::chromium_screenshot(&html, 2000) {
        assert!(bytes > 40_000, "a near-blank screenshot: {bytes} bytes");
    }

    // Weeks held out from the original file, forecast with their plan: no alert.
    let original = std::fs::read_to_string(root.join("data/sales_weekly.csv")).expect("data");
    let first_part: String = original
        .lines()
        .enumerate()
        .filter(|(i, l)| {
            *i == 0
                || l.as_bytes()
                    .get(..10)
                    .is_some_and(|d| d < b"2023-07-03".as_slice())
        })
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(root.join("data/first_part.csv"), first_part).expect("first part");
    train_register(&root, "data/first_part.csv", "early", "2");
    ok(
        &root,
        &[
            "forecast",
            "--model",
            "early@champion",
            "--horizon",
            "26",
            "--future",
            "data/sales_weekly.csv",
            "--output",
            root.join("fc_early.csv").to_str().expect("path"),
        ],
    );
    let added: Value = serde_json::from_str(&ok(
        &root,
        &[
            "actuals",
            "add",
            "data/sales_weekly.csv",
            "--model",
            "early",
            "--json",
        ],
    ))
    .expect("json");
    assert_eq!(added["matched"], 26000);
    assert_eq!(
        added["dates_never_predicted"], 130000,
        "the history's weeks"
    );
    let output = shelfcast(
        &root,
        &["monitor", "--model", "early", "--json", "--fail-on-alert"],
    );
    assert!(output.status.success(), "no alert: {}", describe(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        report["alerts"].as_array().map(Vec::len),
        Some(0),
        "{}",
        report["alerts"]
    );
    println!(
        "held-out weeks: WAPE {:.2}% against the validation's {:.2}%",
        report["overall"]["wape"].as_f64().unwrap_or_default(),
        report["band"]["overall"]["wape"]
            .as_f64()
            .unwrap_or_default()
    );
}

/// Bad rows are counted by why and named by row; a file the model cannot read at all stores
/// nothing; `monitor` refuses a segment that is not a series key.
#[test]
fn bad_actuals_are_counted_by_why_and_a_broken_file_stores_nothing() {
    let (_tmp, root) = project();
    std::fs::write(
        root.join("data/walks.csv"),
        crate::forecast::random_walks(3, 40),
    )
    .expect("data");
    ok(
        &root,
        &[
            "train",
            "--data",
            "data/walks.csv",
            "--target",
            "units",
            "--group",
            "store",
            "--split",
            "time:week:8",
            "--lags",
            "1,2",
            "--param",
            "rounds=20",
            "--wait",
        ],
    );
    ok(
        &root,
        &["register", "1", "--model", "walks", "--alias", "champion"],
    );
    ok(
        &root,
        &[
            "forecast",
            "--model",
            "walks",
            "--horizon",
            "2",
            "--carry-forward",
            "--output",
            root.join("fc.csv").to_str().expect("path"),
        ],
    );
    let forecast = std::fs::read_to_string(root.join("fc.csv")).expect("forecast");
    println!(
        "{}",
        forecast.lines().take(3).collect::<Vec<_>>().join("\n")
    );
    // The first forecast week, for store 0; then bad and unmatched rows.
    let header = forecast.lines().next().expect("header");
    let columns: Vec<&str> = header.split(',').collect();
    let row: Vec<&str> = forecast.lines().nth(1).expect("a row").split(',').collect();
    let at = |name: &str| row[columns.iter().position(|c| *c == name).expect(name)];
    let (store, week) = (at("store"), at("week"));
    // A batch file for the same week and store: its prediction is logged to be scored too.
    std::fs::write(
        root.join("batch.csv"),
        format!("week,store,promo\n{week},{store},0\n"),
    )
    .expect("batch");
    let output = shelfcast(
        &root,
        &[
            "predict",
            "--model",
            "walks",
            "--input",
            root.join("batch.csv").to_str().expect("path"),
            "--output",
            root.join("batch-out.csv").to_str().expect("path"),
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("1 prediction(s) logged by series and date"),
        "{}",
        describe(&output)
    );
    let actuals = format!(
        "week,store,units\n{week},{store},12\n{week},{store},13\n{week},{store},lots\n\
         not-a-date,{store},4\n{week},nowhere,5\n2001-01-01,{store},6\n"
    );
    std::fs::write(root.join("actuals.csv"), actuals).expect("actuals");
    let output = shelfcast(&root, &["actuals", "add", "actuals.csv", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["matched"], 1, "{report}");
    assert_eq!(report["duplicates"], 1);
    assert_eq!(report["bad_rows"], 2);
    assert_eq!(report["unknown_series"], 1);
    assert_eq!(report["dates_never_predicted"], 1);
    let examples = report["examples"].to_string();
    for said in [
        "row 4: units 'lots' is not a number",
        "row 5: week 'not-a-date' is not a date",
        "row 6: series nowhere was never predicted by walks",
        "was never predicted for 2001-01-01",
        "row 3: ",
    ] {
        assert!(examples.contains(said), "{said}: {examples}");
    }
    // A file without the date column: refused, naming it, and nothing stored.
    std::fs::write(root.join("nodate.csv"), format!("store,units\n{store},3\n")).expect("file");
    let output = shelfcast(&root, &["actuals", "add", "nodate.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no column 'week'; the file has store, units"),
        "{stderr}"
    );
    let report: Value = serde_json::from_str(&ok(&root, &["monitor", "--json"])).expect("json");
    assert_eq!(
        report["pairs"], 2,
        "the one matched actual scores the forecast and the batch prediction: {report}"
    );
    let output = shelfcast(&root, &["monitor", "--segment", "region"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--segment region: not one of the model's series keys; expected store")
    );
    let output = shelfcast(&root, &["monitor", "--by", "fortnight"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected day, week or month"));
    for (args, said) in [
        (
            vec!["monitor", "--consecutive", "0"],
            "--consecutive 0: expected a whole number of periods, 1 or more",
        ),
        (
            vec!["monitor", "--sigma", "-1"],
            "--sigma -1: expected a positive number",
        ),
        (
            vec!["monitor", "--degrade", "-5"],
            "--degrade -5: expected a percentage, 0 or more",
        ),
        (
            vec!["monitor", "--segment", "store", "--value", "S9"],
            "--value S9: no scored prediction has store = S9; it has",
        ),
    ] {
        let output = shelfcast(&root, &args);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }

    // Another value for a stored actual is kept unless --replace says the file is a correction.
    let changed = format!("week,store,units\n{week},{store},99\n");
    std::fs::write(root.join("changed.csv"), changed).expect("changed");
    let report: Value =
        serde_json::from_str(&ok(&root, &["actuals", "add", "changed.csv", "--json"]))
            .expect("json");
    assert_eq!(report["stored"]["conflicting"], 1, "{report}");
    let report: Value = serde_json::from_str(&ok(
        &root,
        &["actuals", "add", "changed.csv", "--replace", "--json"],
    ))
    .expect("json");
    assert_eq!(report["stored"]["corrected"], 1, "{report}");
    // A file none of whose rows can be scored is an error, and stores nothing.
    std::fs::write(
        root.join("none.csv"),
        format!("week,store,units\n{week},{store},\n"),
    )
    .expect("none");
    let output = shelfcast(&root, &["actuals", "add", "none.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no row matches a prediction of walks (1 bad")
            && stderr.contains("units is missing"),
        "{stderr}"
    );
    // The same forecast made again counts once; a version's own predictions by NAME:VERSION.
    ok(
        &root,
        &[
            "forecast",
            "--model",
            "walks",
            "--horizon",
            "2",
            "--carry-forward",
            "--output",
            root.join("fc2.csv").to_str().expect("path"),
        ],
    );
    let report: Value =
        serde_json::from_str(&ok(&root, &["monitor", "--model", "walks:1", "--json"]))
            .expect("json");
    assert_eq!(
        report["pairs"], 2,
        "the forecast once and the batch prediction: {report}"
    );
}

/// The daemon's monitor job on a file trigger: a dropped file of actuals is added, the model is
/// scored, the report written, and `--on-alert` hears the alerts.
#[test]
fn a_monitor_job_adds_dropped_actuals_scores_and_calls_on_alert() {
    let (_tmp, root) = project();
    crate::tui_monitor::monitored_walks(&root);
    ok(
        &root,
        &[
            "schedule",
            "add",
            "weekly",
            "--on-file",
            "data/actuals/*.csv",
            "--on-alert",
            "printf '%s' \"$SHELFCAST_ALERTS\" > alerted.txt",
            "monitor",
            "--model",
            "walks",
            "--html",
            "reports/monitor-{name}.html",
        ],
    );
    ok(&root, &["daemon", "start"]);
    std::fs::create_dir_all(root.join("data/actuals")).expect("folder");
    // The same weeks, corrected upwards.
    let corrected: String = std::fs::read_to_string(root.join("actuals.csv"))
        .expect("actuals")
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return format!("{l}\n");
            }
            let (head, units) = l.rsplit_once(',').expect("a row");
            let units: f64 = units.parse().expect("units");
            format!("{head},{:.1}\n", units * 1.5)
        })
        .collect();
    std::fs::write(root.join("data/actuals/week.csv"), corrected).expect("drop");
    let started = std::time::Instant::now();
    let run = loop {
        let runs: Value =
            serde_json::from_str(&ok(&root, &["schedule", "history", "--json"])).expect("json");
        if let Some(run) = runs.as_array().and_then(|r| {
            r.iter()
                .find(|r| r["state"] == "succeeded" || r["state"] == "failed")
        }) {
            break run.clone();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no monitor job: {runs}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    ok(&root, &["daemon", "stop"]);
    assert_eq!(run["state"], "succeeded", "{run}");
    let produced: Value =
        serde_json::from_str(run["produced_json"].as_str().expect("produced")).expect("json");
    assert_eq!(produced["reports"][0], "reports/monitor-week.html");
    assert!(root.join("reports/monitor-week.html").is_file());
    let alerts = produced["alerts"].as_array().expect("alerts");
    assert!(!alerts.is_empty(), "{produced}");
    let log = std::fs::read_to_string(root.join("models/daemon.log")).expect("log");
    assert!(
        log.contains("matched to walks's predictions (0 new, 24 kept against a different value)"),
        "{log}"
    );
    // The hook runs after the job; give it a moment.
    let heard = (0..50).find_map(|_| {
        let text = std::fs::read_to_string(root.join("alerted.txt")).ok();
        if text.is_none() {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        text
    });
    assert!(
        heard.is_some_and(|t| t.contains("above the reference band") || t.contains("WAPE")),
        "{log}"
    );
}
