//! Lookups on one key and on two, as real retail data comes: weekly sales by store and
//! department, a store table, and a store-by-week covariates table (with `NA` markdowns and
//! `TRUE`/`FALSE` holidays). The model keeps the tables, so a record needs only the main file.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{describe, fixtures, project, shelfcast_in};

fn walmart_project() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = project();
    for name in [
        "weekly_sales.csv",
        "weekly_predict.csv",
        "stores.csv",
        "covariates.csv",
    ] {
        std::fs::copy(
            fixtures().join("real").join(name),
            root.join("data").join(name),
        )
        .expect("copy");
    }
    (tmp, root)
}

fn train_with_lookups(root: &Path) -> std::process::Output {
    shelfcast_in(
        root,
        &[
            "train",
            "--data",
            "data/weekly_sales.csv",
            "--target",
            "Weekly_Sales",
            "--lookup",
            "data/stores.csv:Store",
            "--lookup",
            "data/covariates.csv:Store,Date",
            "--split",
            "time:Date:8",
            "--param",
            "rounds=60",
            "--wait",
        ],
    )
}

fn predict_record(root: &Path, record: &str) -> std::process::Output {
    shelfcast_in(root, &["predict", "--model", "walmart", "--record", record])
}

#[test]
fn two_lookups_train_and_a_record_of_the_main_columns_predicts_from_the_bundle() {
    let (_tmp, root) = walmart_project();
    let output = train_with_lookups(&root);
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("lookup data/stores.csv: 2 column(s) joined; all 1680 rows matched"),
        "{stderr}"
    );
    assert!(
        stderr.contains("lookup data/covariates.csv: 4 column(s) joined; all 1680 rows matched"),
        "{stderr}"
    );
    let output = shelfcast_in(&root, &["run", "show", "1", "--json"]);
    let run: Value = serde_json::from_slice(&output.stdout).expect("json");
    let features = run["params"]["features"]
        .as_str()
        .expect("features")
        .to_string();
    for column in ["Type", "Size", "Temperature", "MarkDown1", "IsHoliday"] {
        assert!(features.contains(column), "{features}");
    }
    let output = shelfcast_in(&root, &["register", "1", "--model", "walmart"]);
    assert!(output.status.success(), "{}", describe(&output));

    // The signature asks for the main file's columns only; the tables are checksummed files.
    let bundle = root.join("models/walmart/1");
    let json_of = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(bundle.join(name)).expect(name))
            .expect("json")
    };
    let signature = json_of("signature.json");
    let inputs: Vec<&str> = signature["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(inputs, ["Store", "Dept", "Date"]);
    let manifest = json_of("manifest.json");
    let lookups: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["kind"] == "lookup")
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(lookups, ["lookup-1.parquet", "lookup-2.parquet"]);

    let record = r#"{"Store": 3, "Dept": 2, "Date": "2023-04-28"}"#;
    let output = predict_record(&root, record);
    assert!(output.status.success(), "{}", describe(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
    let value = answer["prediction"]["value"].as_f64().expect("value");
    assert!(value > 1000.0, "{answer}");

    // The values come from the bundle: the files in data/ can change or go.
    std::fs::remove_file(root.join("data/stores.csv")).expect("rm");
    std::fs::write(root.join("data/covariates.csv"), "Store,Date\n").expect("truncate");
    let again: Value = serde_json::from_slice(&predict_record(&root, record).stdout).expect("json");
    assert_eq!(again["prediction"]["value"].as_f64(), Some(value));

    // Another store gets its own looked-up values, hence another prediction.
    let other: Value = serde_json::from_slice(
        &predict_record(&root, r#"{"Store": 8, "Dept": 2, "Date": "2023-04-28"}"#).stdout,
    )
    .expect("json");
    assert_ne!(other["prediction"]["value"].as_f64(), Some(value));

    // A key a table lacks is that record's error, naming the table and the key.
    let output = predict_record(&root, r#"{"Store": 99, "Dept": 2, "Date": "2023-04-28"}"#);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no row of the lookup data/stores.csv has Store=99"),
        "{stderr}"
    );
    let output = predict_record(&root, r#"{"Store": 3, "Dept": 2, "Date": "2030-01-04"}"#);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no row of the lookup data/covariates.csv has Store=3, Date=2030-01-04"),
        "{stderr}"
    );

    // A batch of the predict-only file: every row answered, its cells as written.
    let output = shelfcast_in(
        &root,
        &[
            "predict",
            "--model",
            "walmart",
            "--input",
            "data/weekly_predict.csv",
            "--output",
            "out.csv",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let written = std::fs::read_to_string(root.join("out.csv")).expect("out");
    assert_eq!(written.lines().count(), 97);
    assert!(
        written.starts_with("Store,Dept,Date,prediction,prediction_low_90,prediction_high_90\n"),
        "{written}"
    );
}

#[test]
fn lookup_keys_are_reconciled_or_refused_and_unmatched_rows_are_counted() {
    let (_tmp, root) = project();
    std::fs::write(
        root.join("data/sales.csv"),
        (0..40)
            .map(|i| format!("{},2024-01-{:02},{}\n", i % 5, 1 + i % 28, 10 + i))
            .fold("Store,Date,units\n".to_string(), |acc, l| acc + &l),
    )
    .expect("sales");
    // Store ids as text ("1") against the dataset's integers: cast, and store 4 has no row.
    std::fs::write(
        root.join("data/stores_text.csv"),
        "Store,Kind\n\"0\",a\n\"1\",b\n\"2\",a\n\"3\",b\n",
    )
    .expect("stores");
    let train = |lookup: &str| {
        shelfcast_in(
            &root,
            &[
                "train",
                "--data",
                "data/sales.csv",
                "--target",
                "units",
                "--lookup",
                lookup,
                "--param",
                "rounds=5",
            ],
        )
    };
    let output = train("data/stores_text.csv:Store");
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("8 of 40 rows have no match (first: Store=4) and get missing values"),
        "{stderr}"
    );
    // Text that is no number cannot match an integer key: refused, naming the value.
    std::fs::write(
        root.join("data/stores_named.csv"),
        "Store,Kind\nS0,a\nS1,b\n",
    )
    .expect("named");
    let output = train("data/stores_named.csv:Store");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the key 'Store' is text in the lookup and integer in")
            && stderr.contains("its value 'S0' is not an integer"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("the key 'Store'").count(), 1, "{stderr}");
    // A key that repeats, a missing key column, a malformed flag.
    std::fs::write(root.join("data/twice.csv"), "Store,Kind\n1,a\n1,b\n").expect("twice");
    let stderr = String::from_utf8_lossy(&train("data/twice.csv:Store").stderr).into_owned();
    assert!(
        stderr.contains("the lookup key Store repeats (2 rows, 1 distinct keys)"),
        "{stderr}"
    );
    let stderr = String::from_utf8_lossy(&train("data/twice.csv:Store,Week").stderr).into_owned();
    assert!(stderr.contains("no column 'Week'"), "{stderr}");
    let stderr = String::from_utf8_lossy(&train("data/twice.csv").stderr).into_owned();
    assert!(stderr.contains("expected FILE:KEY"), "{stderr}");
    let output = shelfcast_in(&root, &["runs", "--json"]);
    let runs: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "only the good run");
}

#[test]
fn a_lookup_that_matches_no_row_is_refused_and_unused_record_fields_are_named() {
    let (_tmp, root) = walmart_project();
    std::fs::write(
        root.join("data/stores_named.csv"),
        "Store,Kind\n101,a\n102,b\n",
    )
    .expect("stores");
    let output = shelfcast_in(
        &root,
        &[
            "train",
            "--data",
            "data/weekly_sales.csv",
            "--target",
            "Weekly_Sales",
            "--lookup",
            "data/stores_named.csv:Store",
        ],
    );
    assert!(!output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no row of") && stderr.contains("matches the lookup on Store"),
        "{stderr}"
    );
    assert!(
        !root.join("runs.db").exists() || {
            let output = shelfcast_in(&root, &["runs", "--json"]);
            serde_json::from_slice::<Value>(&output.stdout)
                .ok()
                .and_then(|v| v.as_array().map(Vec::is_empty))
                .unwrap_or(false)
        }
    );
    let output = train_with_lookups(&root);
    assert!(output.status.success(), "{}", describe(&output));
    let output = shelfcast_in(&root, &["register", "1", "--model", "walmart"]);
    assert!(output.status.success(), "{}", describe(&output));
    let output = predict_record(
        &root,
        r#"{"Store": 3, "Dept": 2, "Date": "2023-04-28", "dept": 1, "Type": "A", "Foo": 1}"#,
    );
    assert!(output.status.success(), "{}", describe(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("json");
    let warnings: Vec<&str> = answer["prediction"]["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in [
        "dept: not an input of this model (did you mean Dept?); it is ignored",
        "Type: comes from the model's lookup table data/stores.csv; the value given is not used",
        "Foo: not an input of this model; it is ignored",
    ] {
        assert!(warnings.contains(&expected), "{warnings:?}");
    }
}
