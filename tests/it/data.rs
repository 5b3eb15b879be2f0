//! Datasets: profiles checked against hand-computed values, the profile cache, and every bad
//! input with its specific message from the core and the CLI.

use shelfcast::data::{self, ColumnKind, DataError, DatasetFile};
use shelfcast::store::RunStore;

use crate::common::{describe, fixtures, project, shelfcast};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

#[test]
fn profile_matches_hand_computed_values() {
    let path = fixtures().join("small/weekly_sales.csv");
    let file = DatasetFile::from_path(&path, &fixtures()).expect("stat");
    let profile = data::compute_profile(&file, &Default::default(), &|_| {}).expect("profile");
    assert_eq!(profile.rows, 12);
    assert_eq!(profile.columns.len(), 6);
    let col = |name: &str| {
        profile
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };

    let week = col("week");
    assert_eq!(week.kind, ColumnKind::Date, "ISO date strings are dates");
    let range = week.date_range.as_ref().expect("date range");
    assert_eq!(
        (range.min.as_str(), range.max.as_str(), range.days),
        ("2024-01-01", "2024-02-05", 36)
    );
    assert_eq!(week.distinct, 6);

    // units: 10 12 15 9 20 11 _ 14 13 16 8 18 (one missing) — computed by hand and in Python.
    let units = col("units");
    assert_eq!(units.kind, ColumnKind::Numeric);
    assert_eq!(units.missing, 1);
    assert!(close(units.missing_pct, 100.0 / 12.0));
    assert_eq!(units.distinct, 11);
    let n = units.numeric.as_ref().expect("numbers");
    assert_eq!((n.min, n.max), (8.0, 20.0));
    assert!(close(n.mean, 146.0 / 11.0), "mean {}", n.mean);
    assert!(close(n.std, 3.7707004413214555), "std {}", n.std);
    assert_eq!((n.q25, n.median, n.q75), (10.5, 13.0, 15.5));
    let histogram = units.histogram.as_ref().expect("histogram");
    assert_eq!(histogram.counts.iter().sum::<u64>(), 11);
    assert_eq!(histogram.counts.len(), data::profile::HISTOGRAM_BINS);
    assert_eq!(histogram.counts[0], 1, "8 is alone in the first bin");
    assert_eq!(histogram.counts[19], 1, "20 (the max) is in the last bin");

    let price = col("price");
    let p = price.numeric.as_ref().expect("numbers");
    assert!(close(p.mean, 2.1) && close(p.std, 0.7307530362578044));
    assert!(close(p.q25, 1.6) && close(p.median, 2.0) && close(p.q75, 2.5));

    let category = col("category");
    assert_eq!(category.kind, ColumnKind::Categorical);
    assert_eq!(category.distinct, 3);
    let top: Vec<(&str, u64)> = category
        .top
        .iter()
        .map(|t| (t.value.as_str(), t.count))
        .collect();
    assert_eq!(top, vec![("Snacks", 6), ("Dairy", 4), ("Bakery", 2)]);
    assert!(close(category.top[0].share, 0.5));

    let promo = col("promo");
    assert_eq!(
        promo
            .top
            .iter()
            .map(|t| (t.value.as_str(), t.count))
            .collect::<Vec<_>>(),
        vec![("0", 8), ("1", 4)]
    );
    assert_eq!(profile.sample.rows.len(), 12);
    assert_eq!(
        profile.sample.rows[6],
        vec!["2024-01-15", "S2", "Dairy", "0", "", ""]
    );
}

#[test]
fn quantiles_interpolate_linearly_like_numpy() {
    let mut values = vec![4.0, 1.0, 3.0, 2.0];
    assert_eq!(data::profile::quantile(&mut values, 0.25), 1.75);
    assert_eq!(data::profile::quantile(&mut values, 0.5), 2.5);
    assert_eq!(data::profile::quantile(&mut values, 1.0), 4.0);
    assert!(data::profile::quantile(&mut [], 0.5).is_nan());

    // The nested quartile selection agrees with three independent ones, ties and all.
    let mut rng = shelfcast::data::sample::SampleRng::new(9);
    for n in [64, 65, 100, 1_001, 10_000] {
        let values: Vec<f64> = (0..n).map(|_| (rng.uniform() * 50.0).floor()).collect();
        let separate = [0.25, 0.5, 0.75].map(|q| data::profile::quantile(&mut values.clone(), q));
        assert_eq!(
            data::profile::quartiles(&mut values.clone()),
            separate,
            "n = {n}"
        );
    }
}

#[test]
fn profiles_are_cached_by_content_and_refreshed_when_the_file_changes() {
    let (_tmp, root) = project();
    let path = root.join("data/sales.csv");
    std::fs::copy(fixtures().join("small/weekly_sales.csv"), &path).expect("copy");
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    let file = DatasetFile::from_path(&path, &root.join("data")).expect("stat");
    let first =
        data::profile_dataset(&mut store, &file, &Default::default(), true, &|_| {}).expect("cold");
    assert!(!first.from_cache);
    let second = data::profile_dataset(&mut store, &file, &Default::default(), true, &|_| {})
        .expect("cached");
    assert!(second.from_cache);
    assert_eq!(first.profile, second.profile);
    assert_eq!(first.dataset.id, second.dataset.id);

    // The same bytes under another name (a copy or rename) come from the cache by fingerprint,
    // reported under their new path.
    let copy = root.join("data/sales_copy.csv");
    std::fs::copy(&path, &copy).expect("copy");
    let copied = DatasetFile::from_path(&copy, &root.join("data")).expect("stat");
    let from_content =
        data::profile_dataset(&mut store, &copied, &Default::default(), true, &|_| {})
            .expect("copy");
    assert!(from_content.from_cache, "a copy must not be profiled again");
    assert_eq!(from_content.profile.path, copy.to_string_lossy());
    assert_eq!(from_content.profile.columns, first.profile.columns);
    assert_ne!(
        from_content.dataset.id, first.dataset.id,
        "a record per path"
    );

    // New bytes at the same path: a new dataset record and a new profile.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("2024-02-12,S1,Snacks,0,2.50,30\n");
    std::fs::write(&path, text).expect("append");
    let changed = DatasetFile::from_path(&path, &root.join("data")).expect("stat");
    let third = data::profile_dataset(&mut store, &changed, &Default::default(), true, &|_| {})
        .expect("changed");
    assert!(!third.from_cache);
    assert_eq!(third.profile.rows, 13);
    assert_ne!(third.dataset.id, first.dataset.id);
    assert_ne!(third.profile.sha256, first.profile.sha256);
}

/// Each bad fixture and the message it must produce (the file name is prefixed by the caller).
pub const BAD_INPUTS: &[(&str, &str)] = &[
    (
        "empty.csv",
        "the file is empty; expected a header line and at least one data row",
    ),
    (
        "header_only.csv",
        "the file has a header line but no data rows",
    ),
    (
        "ragged_row.csv",
        "line 3: expected 3 fields (as in the header), found 2",
    ),
    (
        "unclosed_quote.csv",
        "line 2, column 4: a quoted field opens here and is never closed",
    ),
    (
        "stray_quote.csv",
        "line 2, column 6: '\"' inside an unquoted field",
    ),
    (
        "text_after_quote.csv",
        "line 2, column 13: unexpected character after a closing quote",
    ),
    (
        "invalid_utf8.csv",
        "line 2, column 7: invalid UTF-8 (byte 0xe9)",
    ),
    (
        "duplicate_header.csv",
        "line 1: column name 'store' appears twice (fields 1 and 3)",
    ),
    (
        "truncated.parquet",
        "not a readable Parquet file: truncated or incomplete",
    ),
    (
        "not_really.parquet",
        "not a readable Parquet file: missing the 'PAR1' magic at the start",
    ),
    (
        "whitespace_only.csv",
        "the file is empty; expected a header line and at least one data row",
    ),
];

#[test]
fn unusual_but_valid_csv_reads_as_a_user_expects() {
    let read = |name: &str| {
        let path = fixtures().join("edge").join(name);
        let file = DatasetFile::from_path(&path, &fixtures()).expect("stat");
        data::compute_profile(&file, &Default::default(), &|_| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let names =
        |p: &data::DatasetProfile| p.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();

    // Blank lines are not rows (polars reads them as rows of missing values; they are dropped).
    let blank = read("blank_lines.csv");
    assert_eq!((blank.rows, blank.columns[0].missing), (2, 0));
    // A byte-order mark is not part of the first column's name.
    assert_eq!(names(&read("bom.csv")), vec!["a", "b"]);
    // CRLF line ends leave no '\r' in values.
    let crlf = read("crlf.csv");
    assert_eq!(crlf.rows, 2);
    assert_eq!(crlf.sample.rows[1], vec!["3", "4"]);
    // The last line needs no line break.
    assert_eq!(read("no_final_newline.csv").rows, 1);
    // Quoted line breaks and doubled quotes are one value each.
    let quoted = read("quoted.csv");
    assert_eq!(quoted.rows, 2);
    let values: Vec<&str> = quoted.columns[1]
        .top
        .iter()
        .map(|t| t.value.as_str())
        .collect();
    assert_eq!(values, vec!["line one\nline two", "say \"hi\""]);
}

#[test]
fn the_bad_fixture_set_is_complete() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures().join("bad"))
        .expect("bad dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = BAD_INPUTS.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every bad fixture needs its expected message here"
    );
}

#[test]
fn every_bad_input_gets_its_specific_error_from_the_core() {
    for (name, expected) in BAD_INPUTS {
        let path = fixtures().join("bad").join(name);
        let file = DatasetFile::from_path(&path, &fixtures()).expect("stat");
        let error = data::compute_profile(&file, &Default::default(), &|_| {})
            .err()
            .unwrap_or_else(|| panic!("{name} was accepted"));
        let message = error.to_string();
        assert!(
            message.contains(name),
            "{name}: the message names no file: {message}"
        );
        assert!(
            message.contains(expected),
            "{name}: got '{message}', wanted '{expected}'"
        );
        assert!(
            !matches!(error, DataError::Polars { .. }),
            "{name}: unspecific polars error"
        );
    }
}

#[test]
fn every_bad_input_gets_its_specific_error_from_the_cli_and_nothing_is_stored() {
    let (_tmp, root) = project();
    for (name, expected) in BAD_INPUTS {
        let path = fixtures().join("bad").join(name);
        let output = shelfcast(&root, &["profile", path.to_str().expect("utf8 path")]);
        assert!(
            !output.status.success(),
            "{name} exited 0:\n{}",
            describe(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{name}:\n{}",
            describe(&output)
        );
        assert!(
            !stderr.contains("panicked"),
            "{name} panicked:\n{}",
            describe(&output)
        );
        assert!(output.stdout.is_empty(), "{name}: error output on stdout");
    }
    // No half-written dataset or profile rows for the refused files.
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    for (name, _) in BAD_INPUTS {
        let path = fixtures().join("bad").join(name);
        let file = DatasetFile::from_path(&path, &fixtures()).expect("stat");
        assert!(
            data::cached_profile(&store, &file, &Default::default())
                .expect("lookup")
                .is_none(),
            "{name}"
        );
    }
}

#[test]
fn cli_profile_json_is_stable_and_datasets_lists_the_folder() {
    let (_tmp, root) = project();
    std::fs::copy(
        fixtures().join("small/weekly_sales.csv"),
        root.join("data/sales.csv"),
    )
    .expect("copy");
    let output = shelfcast(
        &root,
        &[
            "profile",
            root.join("data/sales.csv").to_str().expect("utf8"),
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", describe(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["rows"], 12);
    assert_eq!(json["columns"][5]["name"], "units");
    assert_eq!(json["columns"][5]["numeric"]["median"], 13.0);

    let output = shelfcast(&root, &["datasets", "--json"]);
    assert!(output.status.success(), "{}", describe(&output));
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["path"], "sales.csv");
    assert_eq!(list[0]["rows"], 12);
    assert_eq!(list[0]["columns"], 6);
}

#[test]
fn cli_refuses_a_project_folder_that_does_not_exist() {
    let (_tmp, root) = project();
    let missing = root.join("typo");
    let output = shelfcast(&missing, &["datasets"]);
    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("does not exist"),
        "{}",
        describe(&output)
    );
    assert!(!missing.exists(), "a mistyped --root was created");
}

#[test]
fn cli_reports_a_missing_file_on_stderr_with_a_failure_code() {
    let (_tmp, root) = project();
    let output = shelfcast(&root, &["profile", "no/such/file.csv"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no/such/file.csv") && stderr.contains("cannot read"),
        "{}",
        describe(&output)
    );
}
