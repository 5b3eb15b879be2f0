//! Drift statistics against scipy and Evidently on committed fixtures (to 1e-6; the script that
//! produced them is beside them), then whole checks: the preset's choice of test per column, the
//! dataset verdict, schema differences reported column by column, and an empty current refused.

use serde_json::Value;
use shelfcast::drift::special::kolmogorov_sf;
use shelfcast::drift::stats::{
    LevelCounts, binned_numbers, chi_square_gof, chi2_contingency, chisquare, fill_zeroes,
    jensen_shannon, ks_2samp, level_shares, psi, wasserstein, wasserstein_normed, z_test,
};

use crate::common::fixtures;

const TOLERANCE: f64 = 1e-6;

fn expected() -> Value {
    let path = fixtures().join("drift/expected.json");
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("json")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_str().expect("text").to_string())
        .collect()
}

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= TOLERANCE,
        "{what}: got {got}, scipy/Evidently {want} (difference {:e})",
        (got - want).abs()
    );
}

/// The fixture's cases of one kind, numbered.
fn cases<'a>(e: &'a Value, kind: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    e[kind]
        .as_array()
        .unwrap_or_else(|| panic!("no {kind} in the fixture"))
        .iter()
        .enumerate()
}

/// `got` agrees with the fixture's `field` of case `i` of `kind`.
fn agrees(kind: &str, i: usize, case: &Value, field: &str, got: f64) {
    let want = case[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{kind} {i}: no {field}"));
    close(&format!("{kind} {i} {field}"), got, want);
}

#[test]
fn statistics_agree_with_scipy_to_a_millionth() {
    let e = expected();
    let sides = |case: &Value| (numbers(&case["reference"]), numbers(&case["current"]));
    for (i, case) in cases(&e, "ks") {
        let (r, c) = sides(case);
        let (d, p) = ks_2samp(&r, &c);
        agrees("ks", i, case, "statistic", d);
        agrees("ks", i, case, "pvalue", p);
    }
    for (i, case) in cases(&e, "kstwo") {
        let (n, d) = (
            case["n"].as_u64().expect("n"),
            case["d"].as_f64().expect("d"),
        );
        agrees("kstwo", i, case, "sf", kolmogorov_sf(n, d));
    }
    for (i, case) in cases(&e, "wasserstein") {
        let (r, c) = sides(case);
        agrees("wasserstein", i, case, "distance", wasserstein(&r, &c));
    }
    for (i, case) in cases(&e, "chisquare") {
        let (s, p) = chisquare(&numbers(&case["observed"]), &numbers(&case["expected"]));
        agrees("chisquare", i, case, "statistic", s);
        agrees("chisquare", i, case, "pvalue", p);
    }
    for (i, case) in cases(&e, "chi2_contingency") {
        let (r, c) = sides(case);
        let (s, p) = chi2_contingency(&r, &c);
        agrees("chi2_contingency", i, case, "statistic", s);
        agrees("chi2_contingency", i, case, "pvalue", p);
    }
    for (i, case) in cases(&e, "jensenshannon") {
        let js = jensen_shannon(&numbers(&case["p"]), &numbers(&case["q"]));
        agrees("jensenshannon", i, case, "distance", js);
    }
}

#[test]
fn evidently_scores_are_reproduced_for_numbers_and_categories() {
    let e = expected();
    for (i, case) in cases(&e, "evidently_numeric") {
        let (r, c) = (numbers(&case["reference"]), numbers(&case["current"]));
        let kind = "evidently_numeric";
        agrees(kind, i, case, "ks", ks_2samp(&r, &c).1);
        agrees(kind, i, case, "wasserstein", wasserstein_normed(&r, &c));
        let (rp, cp) = binned_numbers(&r, &c, true);
        agrees(kind, i, case, "psi", psi(&rp, &cp));
        let (rj, cj) = binned_numbers(&r, &c, false);
        agrees(kind, i, case, "jensenshannon", jensen_shannon(&rj, &cj));
    }
    for (i, case) in cases(&e, "evidently_categorical") {
        let (r, c) = (texts(&case["reference"]), texts(&case["current"]));
        let counts = LevelCounts::new(r.iter().map(String::as_str), c.iter().map(String::as_str));
        let kind = "evidently_categorical";
        agrees(kind, i, case, "chisquare", chi_square_gof(&counts).1);
        if case["z"].is_number() {
            agrees(kind, i, case, "z", z_test(&counts).1);
        }
        let (mut rp, mut cp) = level_shares(&counts);
        agrees(kind, i, case, "jensenshannon", jensen_shannon(&rp, &cp));
        fill_zeroes(&mut rp);
        fill_zeroes(&mut cp);
        agrees(kind, i, case, "psi", psi(&rp, &cp));
    }
}

use crate::common::{describe, project, sales_project, shelfcast, train_sales};

fn drift_json(root: &std::path::Path, args: &[&str]) -> (std::process::Output, Value) {
    let mut all = vec!["drift", "--json"];
    all.extend_from_slice(args);
    let output = shelfcast(root, &all);
    let json = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output, json)
}

fn drifted_columns(report: &Value) -> Vec<String> {
    let mut names: Vec<String> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter(|c| c["drifted"] == true)
        .map(|c| c["column"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

/// Issue 7's acceptance on the sample: the drifted half-year is flagged, the columns drifted by
/// construction (sample_truth.json) are exactly the ones named, and the same season a year apart
/// shows no drift. The HTML report is written, small, with a chart per column, and recorded.
#[test]
fn the_sample_drifted_half_year_is_flagged_on_exactly_the_columns_drifted_by_construction() {
    let (_tmp, root) = project();
    shelfcast::data::sample::write_sample(&root.join("data"), 42).expect("sample");
    let truth: Value =
        serde_json::from_slice(&std::fs::read(root.join("data/sample_truth.json")).expect("truth"))
            .expect("json");
    let mut expected: Vec<String> = truth["drift"]["drifted"]
        .as_array()
        .expect("drifted")
        .iter()
        .map(|c| c.as_str().expect("name").to_string())
        .collect();
    expected.sort();
    let (output, report) = drift_json(
        &root,
        &[
            "--reference",
            "data/sales_weekly.csv",
            "--current",
            "data/sales_weekly_2024h1.csv",
            "--fail-on-drift",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", describe(&output));
    assert_eq!(report["dataset_drift"], true);
    assert_eq!(drifted_columns(&report), expected);
    for column in report["columns"].as_array().expect("columns") {
        println!(
            "{:<16} {:<14} {:.4} {}",
            column["column"].as_str().unwrap_or(""),
            column["test"].as_str().unwrap_or(""),
            column["score"].as_f64().unwrap_or(f64::NAN),
            if column["drifted"] == true {
                "drift"
            } else {
                ""
            }
        );
    }
    assert_eq!(report["skipped"][0]["column"], "week_start");

    // Same season, a year apart: nothing drifts (and --fail-on-drift exits 0).
    let (output, report) = drift_json(
        &root,
        &[
            "--reference",
            "data/sales_weekly.csv@2021-01..2021-06",
            "--current",
            "data/sales_weekly.csv@2022-01..2022-06",
            "--fail-on-drift",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(report["dataset_drift"], false);
    assert_eq!(drifted_columns(&report), Vec::<String>::new());
    assert_eq!(
        report["reference"]["label"],
        "data/sales_weekly.csv @ 2021-01-01 … 2021-06-30"
    );

    // Every check wrote a standalone report under reports/ and recorded it.
    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let reports = store.drift_reports(10).expect("reports");
    assert_eq!(reports.len(), 2);
    assert!(reports[1].dataset_drift && !reports[0].dataset_drift);
    let html_path = root.join(reports[1].html_path.as_deref().expect("html"));
    let html = std::fs::read_to_string(&html_path).expect("html file");
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    assert_eq!(
        html.matches("<svg").count(),
        11,
        "a chart per tested column"
    );
    assert!(html.contains("Dataset drift detected: 6 of 11 columns drifted"));
    // Standalone: no script, nothing linked or fetched (the SVG namespace is only a name).
    for needle in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(needle), "{needle} in the report");
    }
}

/// The preset's rules on a small reference (at most 1,000 rows): KS for numbers, chi-square for
/// categories, the Z-test for two values; a test can be set per column.
#[test]
fn small_references_use_p_value_tests_and_tests_can_be_chosen_per_column() {
    let (_tmp, root) = sales_project(2, 2, 30);
    std::fs::write(
        root.join("data/later.csv"),
        crate::common::weekly_sales_csv(2, 2, 45)
            .lines()
            .enumerate()
            .filter(|(i, _)| *i == 0 || *i > 30 * 4)
            .map(|(_, l)| format!("{l}\n"))
            .collect::<String>(),
    )
    .expect("later");
    let (output, report) = drift_json(
        &root,
        &[
            "--reference",
            "data/sales.csv",
            "--current",
            "data/later.csv",
            "--test",
            "store=psi:0.2",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let test_of = |name: &str| {
        report["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .find(|c| c["column"] == name)
            .map(|c| {
                (
                    c["test"].as_str().unwrap_or("").to_string(),
                    c["rule"].clone(),
                )
            })
            .unwrap_or_else(|| panic!("no column {name}: {report}"))
    };
    assert_eq!(test_of("units").0, "kolmogorov_smirnov", "{report}");
    assert_eq!(test_of("price").0, "chi_square", "numbers with 3 values");
    assert_eq!(test_of("promo").0, "z_test");
    assert_eq!(test_of("item").0, "z_test");
    assert_eq!(test_of("store").0, "psi");
    assert_eq!(test_of("store").1, "set for the column");
    assert_eq!(
        test_of("constant").0,
        "z_test",
        "one level: p = 1, no drift"
    );
}

/// Schemas that differ are reported column by column; an empty current dataset, an empty period
/// and an unknown test are refused with what was expected; nothing is recorded.
#[test]
fn bad_inputs_are_refused_column_by_column_and_nothing_is_recorded() {
    let (_tmp, root) = sales_project(2, 2, 20);
    let csv = crate::common::weekly_sales_csv(2, 2, 20);
    let changed: String = csv
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<&str> = line.split(',').collect();
            cells.remove(6); // drop "constant"
            if i > 0 {
                cells[4] = "cheap"; // price becomes text
            }
            format!("{}\n", cells.join(","))
        })
        .collect();
    std::fs::write(root.join("data/changed.csv"), changed).expect("changed");
    // A type change is always an error; a column one side lacks only under --strict.
    let output = shelfcast(
        &root,
        &[
            "drift",
            "--reference",
            "data/sales.csv",
            "--current",
            "data/changed.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the two datasets differ in 1 column(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("price: type changed: numbers in the reference, text in the current"),
        "{stderr}"
    );
    let output = shelfcast(
        &root,
        &[
            "drift",
            "--reference",
            "data/sales.csv",
            "--current",
            "data/changed.csv",
            "--strict",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the two datasets differ in 2 column(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("constant: missing from the current dataset"),
        "{stderr}"
    );

    std::fs::write(
        root.join("data/empty.csv"),
        csv.lines().next().expect("header").to_string() + "\n",
    )
    .expect("empty");
    let output = shelfcast(
        &root,
        &[
            "drift",
            "--reference",
            "data/sales.csv",
            "--current",
            "data/empty.csv",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("data/empty.csv: the file has a header line but no data rows"),
        "{stderr}"
    );

    let output = shelfcast(
        &root,
        &[
            "drift",
            "--reference",
            "data/sales.csv@2022",
            "--current",
            "data/sales.csv@2030",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no rows with week in 2030-01-01 … 2030-12-31; its dates run 2022-01-03"),
        "{stderr}"
    );
    let output = shelfcast(
        &root,
        &[
            "drift",
            "--reference",
            "data/sales.csv",
            "--current",
            "data/sales.csv",
            "--test",
            "units=t-test",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'t-test' is not a drift test; expected one of ks, wasserstein"),
        "{stderr}"
    );

    // An empty frame in the core says which side.
    let frame = shelfcast::ml::train::load_frame(&root.join("data/sales.csv"), &Default::default())
        .expect("frame");
    let empty = frame.head(Some(0));
    let error = shelfcast::drift::check_drift(
        (&frame, "reference"),
        (&empty, "current"),
        &shelfcast::drift::DriftOptions::default(),
        &|_, _, _| {},
    )
    .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "the current dataset (current) has no rows; a drift check needs rows on both sides"
    );
    let store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    assert!(store.drift_reports(10).expect("reports").is_empty());
}

/// With --model, the reference is the model's training data (its bytes checked against the
/// fingerprint the registry kept) and the columns are the model's.
#[test]
fn a_model_is_checked_against_its_training_data_by_fingerprint() {
    let (_tmp, root) = sales_project(2, 2, 40);
    train_sales(&root, 5, &["--param", "rounds=5"]);
    let output = shelfcast(
        &root,
        &["register", "1", "--model", "promo", "--alias", "champion"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    std::fs::write(
        root.join("data/new.csv"),
        crate::common::weekly_sales_csv(2, 2, 60)
            .lines()
            .enumerate()
            .filter(|(i, _)| *i == 0 || *i > 40 * 4)
            .map(|(_, l)| format!("{l}\n"))
            .collect::<String>(),
    )
    .expect("new");
    let (output, report) = drift_json(
        &root,
        &["--model", "promo@champion", "--current", "data/new.csv"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(report["model"], "promo version 1");
    assert!(
        report["reference"]["label"]
            .as_str()
            .is_some_and(|l| l.contains("training data of promo version 1")),
        "{report}"
    );
    let tested: Vec<&str> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["column"].as_str().expect("name"))
        .collect();
    assert!(tested.contains(&"units"), "the target too: {tested:?}");

    // The records the HTTP endpoint logged, as the current side (no target there).
    let mut store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    let version = store
        .model_version("promo", 1)
        .expect("query")
        .expect("version");
    let rows: Vec<shelfcast::store::LoggedPrediction> = (0..300)
        .map(|i| {
            let input = serde_json::json!({"week": "2022-11-07", "store": format!("S{}", i % 2),
                "item": format!("I{}", i % 2), "category": if i % 2 == 0 { "Dairy" } else { "Snacks" },
                "price": 4.0 + (i % 3) as f64, "promo": i % 4 == 0, "constant": "same"});
            shelfcast::store::LoggedPrediction {
                input: input.to_string(),
                output: "{\"value\": 10.0}".to_string(),
                ..Default::default()
            }
        })
        .collect();
    store.log_predictions(version.id, &rows).expect("log");
    drop(store);
    let (output, report) = drift_json(
        &root,
        &["--model", "promo@champion", "--current", "logged:7d"],
    );
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(report["current"]["rows"], 300);
    assert!(
        report["current"]["label"]
            .as_str()
            .is_some_and(|l| l.starts_with("predictions logged for promo version 1 since")),
        "{report}"
    );
    let price = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == "price")
        .expect("price");
    assert_eq!(
        price["drifted"], true,
        "logged prices 4-6 against 2-3.5: {price}"
    );
    // The training file changes: the model's reference is refused, naming the file.
    let mut bytes = std::fs::read(root.join("data/sales.csv")).expect("read");
    bytes.extend_from_slice(b"2099-01-05,S0,I0,Dairy,2.5,0,same,10\n");
    std::fs::write(root.join("data/sales.csv"), bytes).expect("write");
    let output = shelfcast(
        &root,
        &[
            "drift",
            "--model",
            "promo@champion",
            "--current",
            "data/new.csv",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("data/sales.csv: the file changed since promo version 1 was trained on it"),
        "{stderr}"
    );
}

/// The HTML report opens in a headless browser and draws its charts: Debian's Chromium takes a
/// screenshot (skipped, saying why, where Chromium is not installed). A blank page of this size
/// compresses to a few KB; one with the tables and eleven charts does not.
#[test]
fn the_html_report_renders_with_its_charts_in_headless_chromium() {
    let (_tmp, root) = project();
    shelfcast::data::sample::write_sample(&root.join("data"), 42).expect("sample");
    let html = root.join("reports/sample.html");
    let output = shelfcast(
        &root,
        &[
            "drift",
            "--reference",
            "data/sales_weekly.csv",
            "--current",
            "data/sales_weekly_2024h1.csv",
            "--html",
            html.to_str().expect("path"),
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let Some(bytes) = crate::common::chromium_screenshot(&html, 2400) else {
        return;
    };
    assert!(bytes > 60_000, "a near-blank screenshot: {bytes} bytes");
}
