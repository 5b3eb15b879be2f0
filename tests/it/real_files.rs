//! Real files as exports write them: missing values spelled `NA`, `NULL`, `#N/A`…, classic Mac
//! line endings, escape sequences in cells, and bad files that every reader (profile, train,
//! predict, drift) must name the same precise way.

use std::path::Path;

use shelfcast::data::{self, ColumnKind, DatasetFile, ReadOptions};

use crate::common::{describe, fixtures, project, sales_project, shelfcast_in, train_sales};

fn real(name: &str) -> std::path::PathBuf {
    fixtures().join("real").join(name)
}

fn profile(path: &Path, options: &ReadOptions) -> data::DatasetProfile {
    let file = DatasetFile::from_path(path, path.parent().expect("parent")).expect("file");
    data::compute_profile(&file, options, &|_| {}).expect("profile")
}

#[test]
fn na_written_numbers_profile_train_and_drift_as_numbers_with_missing_counted() {
    let profiled = profile(&real("na_tokens.csv"), &ReadOptions::default());
    assert_eq!(profiled.rows, 120);
    let column = |name: &str| {
        profiled
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let price = column("price");
    assert_eq!(price.kind, ColumnKind::Numeric, "{price:?}");
    assert_eq!(price.missing, 7);
    assert_eq!(price.missing_text(), "5.8% missing, written NA");
    let markdown = column("markdown");
    assert_eq!(markdown.kind, ColumnKind::Numeric);
    assert_eq!(markdown.missing, 72);
    assert_eq!(
        markdown.missing_text(),
        "60.0% missing, written N/A (24), blank (12), NA (12), NaN (12), null (12)"
    );
    assert_eq!(column("units").missing_text(), "no missing values");

    // Without the tokens (an empty list), `NA` is text again: the column is categorical.
    let plain = profile(&real("na_tokens.csv"), &ReadOptions::from_list(""));
    let price = plain
        .columns
        .iter()
        .find(|c| c.name == "price")
        .expect("price");
    assert_ne!(price.kind, ColumnKind::Numeric, "{price:?}");

    // The CLI says how missing was written; trains on the numbers; drift counts the missing.
    let (_tmp, root) = project();
    std::fs::copy(real("na_tokens.csv"), root.join("data/na.csv")).expect("copy");
    let output = shelfcast_in(&root, &["profile", "data/na.csv"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("missing: price: 5.8% missing, written NA"),
        "{}",
        describe(&output)
    );
    crate::common::train_na_fixture(&root);
    let signature = std::fs::read_to_string(root.join("models/runs/1/model/signature.json"))
        .expect("signature");
    let signature: serde_json::Value = serde_json::from_str(&signature).expect("json");
    let kind = |name: &str| {
        signature["inputs"]
            .as_array()
            .expect("inputs")
            .iter()
            .find(|i| i["name"] == name)
            .map(|i| (i["kind"].clone(), i["missing_seen"].clone()))
    };
    assert_eq!(
        kind("markdown"),
        Some((serde_json::json!("number"), serde_json::json!(true)))
    );
    assert_eq!(
        kind("price"),
        Some((serde_json::json!("number"), serde_json::json!(true)))
    );
    let output = shelfcast_in(
        &root,
        &[
            "drift",
            "--reference",
            "data/na.csv@2022",
            "--current",
            "data/na.csv@2023",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let markdown = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == "markdown")
        .expect("markdown tested");
    let (r, c) = (
        markdown["reference_missing"].as_u64().expect("r"),
        markdown["current_missing"].as_u64().expect("c"),
    );
    assert_eq!(r + c, 72, "{markdown}");
    assert!(r > 0 && c > 0, "{markdown}");
    assert_eq!(markdown["kind"], "numeric");
}

#[test]
fn the_project_config_and_the_command_line_choose_the_missing_tokens() {
    let (_tmp, root) = project();
    std::fs::write(
        root.join("data/dash.csv"),
        "week,store,units\n2024-01-01,S1,3\n2024-01-08,S1,-\n2024-01-15,S2,5\n",
    )
    .expect("write");
    let units = |output: &std::process::Output| -> serde_json::Value {
        let profile: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", describe(output)));
        profile["columns"][2].clone()
    };
    // `-` is no pandas token: the column is text.
    let output = shelfcast_in(&root, &["profile", "data/dash.csv", "--json", "--no-cache"]);
    assert_eq!(units(&output)["kind"], "categorical");
    std::fs::write(
        root.join("shelfcast.toml"),
        "[data]\nna_values = [\"-\", \"NA\"]\n",
    )
    .expect("config");
    let output = shelfcast_in(&root, &["profile", "data/dash.csv", "--json", "--no-cache"]);
    let column = units(&output);
    assert_eq!(column["kind"], "numeric", "{column}");
    assert_eq!(column["missing"], 1);
    assert_eq!(column["missing_written"], serde_json::json!([["-", 1]]));
    // --na-values wins over the file.
    let output = shelfcast_in(
        &root,
        &["--na-values", "NA", "profile", "data/dash.csv", "--json"],
    );
    assert_eq!(units(&output)["kind"], "categorical");
    // A mistake in the config is named with the file.
    std::fs::write(root.join("shelfcast.toml"), "[data]\nna_value = [\"-\"]\n").expect("bad");
    let output = shelfcast_in(&root, &["profile", "data/dash.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("shelfcast.toml") && stderr.contains("na_value"),
        "{stderr}"
    );
}

#[test]
fn a_cr_only_file_profiles_with_its_rows_and_joins_as_a_lookup() {
    let profiled = profile(&real("stores_cr.csv"), &ReadOptions::default());
    assert_eq!(profiled.rows, 8);
    assert_eq!(profiled.columns.len(), 3);
    assert_eq!(profiled.columns[2].name, "Size");
    assert_eq!(profiled.columns[2].kind, ColumnKind::Numeric);

    let (_tmp, root) = project();
    for name in ["weekly_sales.csv", "stores_cr.csv"] {
        std::fs::copy(real(name), root.join("data").join(name)).expect("copy");
    }
    let output = shelfcast_in(
        &root,
        &[
            "train",
            "--data",
            "data/weekly_sales.csv",
            "--target",
            "Weekly_Sales",
            "--lookup",
            "data/stores_cr.csv:Store",
            "--split",
            "time:Date:8",
            "--param",
            "rounds=30",
            "--wait",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("lookup data/stores_cr.csv: 2 column(s) joined; all 1680 rows matched"),
        "{stderr}"
    );
}

/// The message of a refused command: its stderr without the leading "error: ".
fn message(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr)
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

/// No clause of `text` (split at ": " and "; ") comes twice.
fn repeats_no_clause(text: &str) -> bool {
    let clauses: Vec<&str> = text
        .split([':', ';'])
        .map(str::trim)
        .filter(|c| c.len() > 3)
        .collect();
    clauses
        .iter()
        .enumerate()
        .all(|(i, c)| !clauses[..i].contains(c))
}

#[test]
fn every_bad_file_gets_the_same_precise_error_from_profile_train_predict_and_drift() {
    let (_tmp, root) = sales_project(2, 2, 30);
    train_sales(&root, 4, &["--param", "rounds=20"]);
    let output = shelfcast_in(&root, &["register", "1", "--model", "sales"]);
    assert!(output.status.success(), "{}", describe(&output));
    let bad = fixtures().join("bad");
    let mut names: Vec<String> = std::fs::read_dir(&bad)
        .expect("bad fixtures")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        std::fs::copy(bad.join(name), root.join("data").join(name)).expect("copy");
        let file = format!("data/{name}");
        let structural = [
            "ragged_row.csv",
            "stray_quote.csv",
            "text_after_quote.csv",
            "unclosed_quote.csv",
            "invalid_utf8.csv",
            "duplicate_header.csv",
        ]
        .contains(&name.as_str());
        let out = format!("out-{name}.csv");
        let commands: Vec<(&str, Vec<&str>)> = vec![
            ("profile", vec!["profile", &file, "--no-cache"]),
            ("train", vec!["train", "--data", &file, "--target", "units"]),
            (
                "predict",
                vec![
                    "predict", "--model", "sales", "--input", &file, "--output", &out,
                ],
            ),
            (
                "drift",
                vec!["drift", "--reference", "data/sales.csv", "--current", &file],
            ),
        ];
        let mut first: Option<String> = None;
        for (what, args) in commands {
            let output = shelfcast_in(&root, &args);
            assert!(
                !output.status.success(),
                "{what} {name}: {}",
                describe(&output)
            );
            let text = message(&output);
            assert!(text.contains(name.as_str()), "{what} {name}: {text}");
            if structural {
                assert!(text.contains("line "), "{what} {name}: {text}");
            }
            assert!(repeats_no_clause(&text), "{what} {name}: {text}");
            for raw in [
                "infer_schema_length",
                "polars",
                "ComputeError",
                "You might want",
            ] {
                assert!(!text.contains(raw), "{what} {name}: {text}");
            }
            // The same file gets the same reason from every reader.
            let reason = text[text.find(name.as_str()).expect("named")..].to_string();
            match &first {
                None => first = Some(reason),
                Some(expected) => assert_eq!(&reason, expected, "{what} {name}"),
            }
        }
        assert!(!root.join(&out).exists(), "{name}: an output was written");
    }
    // Nothing was recorded for any of them but the one good run.
    let output = shelfcast_in(&root, &["runs", "--json"]);
    let runs: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
}

#[test]
fn escape_sequences_in_cells_and_names_never_reach_the_terminal() {
    let (_tmp, root) = project();
    let long = "x".repeat(500);
    std::fs::write(
        root.join("data/evil.csv"),
        format!(
            "store,\"\x1b]0;pwned\x07note\",units\nS1,\"\x1b[2Jcleared\",3\nS2,{long},4\nS3,plain,5\n"
        ),
    )
    .expect("write");
    for args in [
        vec!["profile", "data/evil.csv"],
        vec!["datasets"],
        vec![
            "drift",
            "--reference",
            "data/evil.csv",
            "--current",
            "data/evil.csv",
        ],
    ] {
        let output = shelfcast_in(&root, &args);
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains('\x1b') && !text.contains('\x07'),
                "{args:?}: {text:?}"
            );
            assert!(
                text.lines().all(|l| l.chars().count() < 400),
                "{args:?}: an uncapped cell"
            );
        }
    }
    let output = shelfcast_in(&root, &["profile", "data/evil.csv"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("�]0;pwned�note"), "{stdout}");
}

#[test]
fn quoted_empty_cells_are_missing_and_quoted_names_are_unescaped() {
    let (_tmp, root) = project();
    std::fs::write(
        root.join("data/quoted.csv"),
        "k,\"a\"\"b\",\"c,d\",interval\n1,2,3,\"\"\n2,\"\",4,Jan\n3,x,5,\"\"\n",
    )
    .expect("write");
    let output = shelfcast_in(&root, &["profile", "data/quoted.csv", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let profile: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let names: Vec<&str> = profile["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["k", "a\"b", "c,d", "interval"]);
    let interval = &profile["columns"][3];
    assert_eq!(interval["missing"], 2, "{interval}");
    assert_eq!(interval["missing_written"], serde_json::json!([["", 2]]));
    assert_eq!(
        interval["top"].as_array().map(Vec::len),
        Some(1),
        "{interval}"
    );
}

#[test]
fn a_closed_pipe_ends_a_command_quietly_and_csv_output_carries_no_control_byte() {
    let (_tmp, root) = sales_project(2, 2, 30);
    let evil = root.join("data/\x1b[31mevil.csv");
    std::fs::copy(root.join("data/sales.csv"), &evil).expect("copy");
    let evil_arg = evil.to_string_lossy().into_owned();
    let output = shelfcast_in(
        &root,
        &[
            "train", "--data", &evil_arg, "--target", "units", "--param", "rounds=5", "--wait",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let output = shelfcast_in(&root, &["runs", "--csv"]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        !output.stdout.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&output.stdout)
    );
    // `| head -1`: the reader closes after one line; no panic, no backtrace.
    let mut child = std::process::Command::new(crate::common::bin())
        .current_dir(&root)
        .args(["profile", "data/sales.csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("profile");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
