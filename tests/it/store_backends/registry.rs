//! The model registry, predictions, datasets and profiles, drift reports.

use super::*;
use crate::backends::on_both_backends;

pub(super) fn the_registry_numbers_versions_moves_aliases_and_never_hands_a_number_out_twice(
    backend: &TestStore,
) {
    let mut store = backend.open();
    let run_id = run(&mut store, "trained");
    store
        .set_status(run_id, RunStatus::Finished, None)
        .expect("finish");
    assert_eq!(store.next_model_version("promo").expect("next"), 1);
    let v1 = register(&mut store, "promo", run_id);
    assert_eq!(
        (
            v1.model_name.as_str(),
            v1.version,
            v1.run_id,
            v1.status.as_str()
        ),
        ("promo", 1, run_id, "active")
    );
    assert_eq!(v1.artifact_path, "models/promo/1");
    assert_eq!(v1.metrics_json, r#"{"wape":0.2}"#);
    assert!(v1.aliases.is_empty() && v1.description.is_none() && v1.dataset_id.is_none());
    assert_eq!(register(&mut store, "promo", run_id).version, 2);
    let v3 = store
        .add_model_version(
            3,
            &NewModelVersion {
                artifact_path: "models/promo/3",
                description: Some("placed by hand"),
                ..new_version("promo", run_id)
            },
        )
        .expect("version 3");
    assert_eq!(
        (v3.version, v3.description.as_deref()),
        (3, Some("placed by hand"))
    );
    assert!(
        store
            .add_model_version(3, &new_version("promo", run_id))
            .is_err(),
        "a version number is taken once"
    );
    assert_eq!(store.next_model_version("promo").expect("next"), 4);
    assert_eq!(store.next_model_version("other").expect("next"), 1);
    store
        .add_model_version(1, &new_version("another", run_id))
        .expect("another model");
    let all: Vec<String> = store
        .model_versions(None)
        .expect("all")
        .iter()
        .map(|v| format!("{} {}", v.model_name, v.version))
        .collect();
    assert_eq!(all, ["another 1", "promo 1", "promo 2", "promo 3"]);

    assert_eq!(
        store
            .move_alias("promo", "champion", Some(1), "first model")
            .expect("alias"),
        None
    );
    assert_eq!(
        store
            .move_alias("promo", "challenger", Some(2), "watch it")
            .expect("alias"),
        None
    );
    assert_eq!(
        aliases_of(&store, "promo"),
        ["1:champion", "2:challenger", "3:"]
    );
    assert_eq!(
        store
            .move_alias("promo", "champion", Some(2), "challenger won")
            .expect("promote"),
        Some(1)
    );
    assert_eq!(aliases_of(&store, "promo"), ["1:", "2:champion", "3:"]);
    let champion = store
        .model_version_by_alias("promo", "champion")
        .expect("champion")
        .expect("a champion");
    assert_eq!(
        (champion.version, champion.aliases.clone()),
        (2, vec!["champion".to_string()])
    );
    assert_eq!(
        store
            .model_version_by_alias("promo", "challenger")
            .expect("none"),
        None
    );
    assert_eq!(
        store
            .move_alias("promo", "challenger", Some(3), "next try")
            .expect("alias"),
        None
    );
    assert!(
        store
            .move_alias("promo", "champion", Some(9), "no such version")
            .is_err()
    );
    assert_eq!(
        aliases_of(&store, "promo"),
        ["1:", "2:champion", "3:challenger"]
    );
    let three = store.model_version("promo", 3).expect("v3").expect("there");
    assert_eq!(three.aliases, ["challenger"]);
    assert_eq!(store.model_version("promo", 9).expect("none"), None);
    assert_eq!(
        store
            .move_alias("promo", "challenger", None, "stop watching")
            .expect("remove"),
        Some(3)
    );
    assert_eq!(aliases_of(&store, "promo"), ["1:", "2:champion", "3:"]);
    let history: Vec<String> = store
        .alias_history("promo")
        .expect("history")
        .iter()
        .map(|m| {
            format!(
                "{} {:?} {:?} {}",
                m.alias, m.version, m.previous_version, m.reason
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            "champion Some(1) None first model",
            "challenger Some(2) None watch it",
            "challenger None Some(2) the version became champion",
            "champion Some(2) Some(1) challenger won",
            "challenger Some(3) None next try",
            "challenger None Some(3) stop watching",
        ]
    );
    assert!(store.alias_history("another").expect("none").is_empty());
    store.set_version_status("promo", 1, true).expect("archive");
    assert_eq!(
        store
            .model_version("promo", 1)
            .expect("v1")
            .expect("there")
            .status,
        "archived"
    );
    assert!(store.set_version_status("promo", 99, true).is_err());

    let mut numbers: Vec<i64> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(move || {
                    let mut own = backend.open();
                    register(&mut own, "promo", run_id).version
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| w.join().expect("register thread"))
            .collect()
    });
    numbers.sort();
    assert_eq!(numbers, [4, 5], "two registers at once get two numbers");
    let promo: Vec<i64> = store
        .model_versions(Some("promo"))
        .expect("promo")
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(promo, [1, 2, 3, 4, 5]);
}

pub(super) fn predictions_are_counted_read_back_and_pruned_by_age(backend: &TestStore) {
    let mut store = backend.open();
    let run_id = run(&mut store, "served");
    let v1 = register(&mut store, "promo", run_id);
    let v2 = register(&mut store, "promo", run_id);
    let rows: Vec<LoggedPrediction> = (0..3)
        .map(|i| LoggedPrediction {
            input: format!(r#"{{"store":{i}}}"#),
            output: format!(r#"{{"units":{}}}"#, 10 + i),
            series_key: Some(format!("S{i}")),
            target_date: Some("2024-01-08".into()),
            prediction: Some(10.0 + f64::from(i)),
        })
        .collect();
    store.log_predictions(v1.id, &rows).expect("log");
    store.log_predictions(v2.id, &rows[..1]).expect("log");
    store.log_predictions(v2.id, &[]).expect("nothing to log");
    assert_eq!(store.prediction_count(v1.id).expect("count"), 3);
    assert_eq!(store.prediction_count(v2.id).expect("count"), 1);
    assert_eq!(
        store.logged_inputs(&[v1.id], None).expect("inputs"),
        [r#"{"store":0}"#, r#"{"store":1}"#, r#"{"store":2}"#]
    );
    assert_eq!(
        store
            .logged_inputs(&[v1.id, v2.id], None)
            .expect("inputs")
            .len(),
        4
    );
    assert_eq!(
        store
            .logged_inputs(&[v1.id], Some("2000-01-01"))
            .expect("since")
            .len(),
        3
    );
    assert!(
        store
            .logged_inputs(&[v1.id], Some("9999-01-01"))
            .expect("since")
            .is_empty()
    );
    let mut keys: Vec<(String, String)> = store
        .predicted_keys("promo")
        .expect("keys")
        .into_iter()
        .collect();
    keys.sort();
    let expected: Vec<(String, String)> = (0..3)
        .map(|i| (format!("S{i}"), "2024-01-08".to_string()))
        .collect();
    assert_eq!(keys, expected);

    let hour_ago = chrono::Utc::now() - Duration::from_secs(3_600);
    assert_eq!(store.prune_predictions(hour_ago).expect("prune"), 0);
    assert_eq!(store.prediction_count(v1.id).expect("count"), 3);
    let soon = chrono::Utc::now() + Duration::from_secs(60);
    assert_eq!(store.prune_predictions(soon).expect("prune"), 4);
    assert_eq!(store.prediction_count(v1.id).expect("count"), 0);
    assert_eq!(store.prediction_count(v2.id).expect("count"), 0);
    assert!(
        store
            .logged_inputs(&[v1.id, v2.id], None)
            .expect("none")
            .is_empty()
    );
}

pub(super) fn datasets_are_recorded_by_path_and_bytes_and_profiles_are_cached_by_content(
    backend: &TestStore,
) {
    let mut store = backend.open();
    let sha = "ab".repeat(32);
    let bytes = 5_000_000_000u64;
    let dataset = |path, modified_ns| NewDataset {
        path,
        sha256: &sha,
        bytes,
        modified_ns,
        format: "csv",
    };
    let first = store
        .record_dataset(&dataset("data/sales.csv", 42))
        .expect("record");
    assert_eq!(
        (
            first.path.as_str(),
            first.sha256.as_str(),
            first.bytes,
            first.modified_ns
        ),
        ("data/sales.csv", sha.as_str(), bytes, 42)
    );
    assert_eq!(first.format, "csv");
    let touched = store
        .record_dataset(&dataset("data/sales.csv", 43))
        .expect("again");
    assert_eq!(
        (touched.id, touched.modified_ns),
        (first.id, 43),
        "same path and bytes: same row"
    );
    assert_eq!(
        store
            .dataset_by_stat("data/sales.csv", bytes, 43)
            .expect("stat"),
        Some(touched.clone())
    );
    assert_eq!(
        store
            .dataset_by_stat("data/sales.csv", bytes, 42)
            .expect("stat"),
        None
    );
    assert_eq!(store.dataset(first.id).expect("by id"), Some(touched));
    assert_eq!(store.dataset(9999).expect("none"), None);

    let profile = CachedProfile {
        rows: 1_200,
        columns: 7,
        schema_json: r#"{"units":"int"}"#.into(),
        profile_json: r#"{"units":{"mean":4.5}}"#.into(),
    };
    let copy = store
        .record_profiled_dataset(&dataset("data/copy.csv", 44), 1, &profile)
        .expect("profiled");
    assert_ne!(copy.id, first.id, "another path is another record");
    assert_eq!(
        store.fingerprints_of_size(bytes).expect("sizes"),
        std::slice::from_ref(&sha)
    );
    assert!(store.fingerprints_of_size(1).expect("sizes").is_empty());
    let cached = store
        .cached_profile(&sha, 1)
        .expect("cached")
        .expect("a profile");
    assert_eq!(
        (
            cached.rows,
            cached.columns,
            cached.schema_json,
            cached.profile_json
        ),
        (
            profile.rows,
            profile.columns,
            profile.schema_json.clone(),
            profile.profile_json.clone()
        )
    );
    assert!(
        store
            .cached_profile(&sha, 2)
            .expect("other version")
            .is_none()
    );
    assert!(
        store
            .cached_profile("cd", 1)
            .expect("other bytes")
            .is_none()
    );
    let refreshed = CachedProfile {
        rows: 1_300,
        ..profile
    };
    store
        .record_profiled_dataset(&dataset("data/copy.csv", 45), 1, &refreshed)
        .expect("profiled again");
    assert_eq!(
        store
            .cached_profile(&sha, 1)
            .expect("cached")
            .expect("one")
            .rows,
        1_300
    );
}

pub(super) fn drift_reports_are_listed_newest_first_with_their_json(backend: &TestStore) {
    let mut store = backend.open();
    let run_id = run(&mut store, "trained");
    let version = register(&mut store, "promo", run_id);
    let files = NewDriftReport {
        reference_label: "data/2023.csv",
        current_label: "data/2024.csv",
        model_version_id: None,
        dataset_drift: false,
        drifted_columns: 0,
        tested_columns: 6,
        report_json: r#"{"columns":[]}"#,
        html_path: None,
    };
    let first = store.add_drift_report(&files).expect("report");
    let served = NewDriftReport {
        reference_label: "promo v1 training data",
        current_label: "logged predictions",
        model_version_id: Some(version.id),
        dataset_drift: true,
        drifted_columns: 2,
        tested_columns: 5,
        report_json: r#"{"columns":["price","week"]}"#,
        html_path: Some("reports/drift-2.html"),
    };
    let second = store.add_drift_report(&served).expect("report");
    let reports = store.drift_reports(10).expect("reports");
    assert_eq!(reports.len(), 2);
    let expected = |id: i64, created_at: &str, r: &NewDriftReport<'_>| DriftReportRow {
        id,
        created_at: created_at.to_string(),
        reference_label: r.reference_label.into(),
        current_label: r.current_label.into(),
        model_version_id: r.model_version_id,
        dataset_drift: r.dataset_drift,
        drifted_columns: r.drifted_columns as i64,
        tested_columns: r.tested_columns as i64,
        html_path: r.html_path.map(String::from),
    };
    assert_eq!(
        reports[0],
        expected(second, reports[0].created_at.as_str(), &served)
    );
    assert_eq!(
        reports[1],
        expected(first, reports[1].created_at.as_str(), &files)
    );
    assert_eq!(store.drift_reports(1).expect("newest").len(), 1);
    assert_eq!(
        store.drift_report_json(first).expect("json").as_deref(),
        Some(r#"{"columns":[]}"#)
    );
    assert_eq!(store.drift_report_json(9999).expect("none"), None);
}

on_both_backends!(
    the_registry_numbers_versions_moves_aliases_and_never_hands_a_number_out_twice,
    predictions_are_counted_read_back_and_pruned_by_age,
    datasets_are_recorded_by_path_and_bytes_and_profiles_are_cached_by_content,
    drift_reports_are_listed_newest_first_with_their_json,
);
