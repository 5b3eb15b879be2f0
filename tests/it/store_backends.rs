//! The store's typed API on both backends: a run's life, metric batches and curves, the model
//! registry and what hangs off it (predictions, drift reports, forecasts and actuals, decisions),
//! datasets and profiles, schedules and job runs, studies and trials, change notices between
//! connections, and concurrent writers on their own connections.

use std::time::{Duration, Instant};

use crate::backends::{TestStore, on_both_backends};
use shelfcast::store::{
    CachedProfile, Curve, Decision, DriftReportRow, ForecastValue, JobState, LoggedPrediction,
    MetricPoint, MetricSummary, ModelVersion, NewActual, NewArtifact, NewDataset, NewDriftReport,
    NewForecast, NewJobRun, NewModelVersion, NewRun, NewSchedule, QueuedRun, RunFilter, RunId,
    RunStatus, RunStore, ScheduleRow, StoreError, TrialState,
};

const T0: i64 = 1_700_000_000_000;

fn new_run(experiment: &str, name: &str, parent_run_id: Option<RunId>) -> NewRun {
    NewRun {
        experiment: experiment.into(),
        name: name.into(),
        model_kind: "gbdt".into(),
        task: "regression".into(),
        dataset_id: None,
        parent_run_id,
    }
}

fn run(store: &mut RunStore, name: &str) -> RunId {
    store
        .create_run(&new_run("default", name, None))
        .expect("run")
}

fn point(key: &str, step: i64, value: f64) -> MetricPoint {
    MetricPoint {
        key: key.into(),
        step,
        value,
        timestamp_ms: T0 + step,
    }
}

fn listed(store: &RunStore, filter: RunFilter) -> Vec<RunId> {
    store
        .list_runs(&filter)
        .expect("list")
        .iter()
        .map(|r| r.id)
        .collect()
}

fn summary(store: &RunStore, id: RunId, key: &str) -> MetricSummary {
    store
        .metric_summaries(id)
        .expect("summaries")
        .into_iter()
        .find(|s| s.key == key)
        .expect(key)
}

fn new_version(model: &str, run_id: RunId) -> NewModelVersion<'_> {
    NewModelVersion {
        model_name: model,
        run_id,
        metrics_json: r#"{"wape":0.2}"#,
        signature_json: r#"{"features":["week"]}"#,
        artifact_path: "",
        dataset_id: None,
        description: None,
    }
}

/// The next version of `model`, its files "placed" at `models/<model>/<version>`.
fn register(store: &mut RunStore, model: &str, run_id: RunId) -> ModelVersion {
    store
        .add_next_model_version(&new_version(model, run_id), |version| {
            Ok::<_, StoreError>(format!("models/{model}/{version}"))
        })
        .expect("register")
}

/// `version:aliases` of each version of `model`.
fn aliases_of(store: &RunStore, model: &str) -> Vec<String> {
    store
        .model_versions(Some(model))
        .expect("versions")
        .iter()
        .map(|v| format!("{}:{}", v.version, v.aliases.join(",")))
        .collect()
}

/// Polls `store.data_version()` for up to 5 s until it is not `from`.
fn changes_within_five_seconds(store: &RunStore, from: i64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if store.data_version().expect("data version") != from {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn a_run_goes_from_queued_to_finished_and_lists_by_every_filter(backend: &TestStore) {
    let mut store = backend.open();
    let params = [
        ("model".to_string(), "gbdt".to_string()),
        ("rounds".to_string(), "200".to_string()),
    ];
    let tags = [("team".to_string(), "fresh".to_string())];
    let spec = r#"{"target":"units","horizon":8}"#;
    let a = store
        .create_queued_run(&QueuedRun {
            run: &new_run("promo", "gbdt-1", None),
            params: &params,
            tags: &tags,
            spec_json: Some(spec),
        })
        .expect("queue");
    let b = store
        .create_run(&new_run("Baseline", "ridge-1", None))
        .expect("run");
    let c = store
        .create_run(&new_run("promo", "gbdt-1-child", Some(a)))
        .expect("child");

    let queued = store.get_run(a).expect("get");
    assert_eq!(
        (queued.id, queued.experiment.as_str(), queued.name.as_str()),
        (a, "promo", "gbdt-1")
    );
    assert_eq!(queued.status, RunStatus::Queued);
    assert_eq!((queued.model_kind.as_str(), queued.task.as_str()), ("gbdt", "regression"));
    assert_eq!((queued.pid, queued.cancel_requested, queued.parent_run_id), (None, false, None));
    assert!(queued.started_at.is_none() && queued.ended_at.is_none());
    assert!(queued.error.is_none() && queued.deleted_at.is_none());
    assert_eq!(store.get_run(c).expect("child").parent_run_id, Some(a));
    assert_eq!(store.params(a).expect("params"), params.to_vec());
    assert_eq!(store.tags(a).expect("tags"), tags.to_vec());
    assert!(store.params(b).expect("params").is_empty());
    assert_eq!(store.run_spec(a).expect("spec").as_deref(), Some(spec));
    assert_eq!(store.run_spec(b).expect("spec"), None);
    assert!(store.run_spec(9999).is_err());
    assert!(store.get_run(9999).is_err());

    let alpha = store.experiment_id("alpha").expect("experiment");
    assert_eq!(store.experiment_id("alpha").expect("again"), alpha);
    assert_eq!(
        store.experiment_names().expect("names"),
        ["alpha", "Baseline", "promo"],
        "alphabetical, whatever the case"
    );

    let pid = std::process::id();
    assert!(store.claim_run(a, pid).expect("claim"));
    assert!(!store.claim_run(a, pid).expect("second claim"), "claimed once");
    let running = store.get_run(a).expect("running");
    assert_eq!(running.status, RunStatus::Running);
    assert_eq!(running.pid, Some(i64::from(pid)));
    assert!(running.started_at.is_some());
    store
        .set_status(a, RunStatus::Finished, None)
        .expect("finish");
    let finished = store.get_run(a).expect("finished");
    assert_eq!((finished.status, finished.error), (RunStatus::Finished, None));
    assert!(finished.ended_at.is_some());
    assert!(!store.claim_run(a, pid).expect("claim a finished run"));

    assert!(!store.cancel_requested(b).expect("flag"));
    store.request_cancel(b).expect("cancel");
    let killed = store.get_run(b).expect("killed");
    assert_eq!(killed.status, RunStatus::Killed, "queued and held by nobody");
    assert!(killed.cancel_requested && killed.ended_at.is_some());
    assert_eq!(
        killed.error.as_deref(),
        Some("cancelled before a worker started it")
    );
    assert!(store.cancel_requested(b).expect("flag"));
    assert!(!store.cancel_requested(c).expect("flag"));
    assert!(store.cancel_requested(9999).is_err());
    assert!(store.request_cancel(9999).is_err());
    assert!(store.set_status(9999, RunStatus::Failed, Some("x")).is_err());

    let filter = |experiment: Option<&str>, status: Option<RunStatus>, parent: Option<RunId>| {
        RunFilter {
            experiment: experiment.map(String::from),
            status,
            parent_run_id: parent,
            include_deleted: false,
        }
    };
    assert_eq!(listed(&store, RunFilter::default()), [c, b, a], "newest first");
    assert_eq!(listed(&store, filter(Some("promo"), None, None)), [c, a]);
    assert_eq!(listed(&store, filter(Some("Baseline"), None, None)), [b]);
    assert!(listed(&store, filter(Some("alpha"), None, None)).is_empty());
    assert_eq!(listed(&store, filter(None, Some(RunStatus::Killed), None)), [b]);
    assert_eq!(listed(&store, filter(None, Some(RunStatus::Queued), None)), [c]);
    assert_eq!(listed(&store, filter(None, Some(RunStatus::Finished), None)), [a]);
    assert!(listed(&store, filter(None, Some(RunStatus::Running), None)).is_empty());
    assert_eq!(listed(&store, filter(None, None, Some(a))), [c]);
    assert!(listed(&store, filter(None, None, Some(b))).is_empty());
    assert_eq!(
        listed(&store, filter(Some("promo"), Some(RunStatus::Queued), Some(a))),
        [c]
    );
    store.delete_run(c).expect("delete");
    assert_eq!(listed(&store, RunFilter::default()), [b, a]);
    assert!(listed(&store, filter(None, None, Some(a))).is_empty());
    let with_deleted = RunFilter {
        include_deleted: true,
        ..filter(None, None, Some(a))
    };
    assert_eq!(listed(&store, with_deleted), [c]);
    let everything = RunFilter {
        include_deleted: true,
        ..RunFilter::default()
    };
    assert_eq!(listed(&store, everything), [c, b, a]);

    store.rename_run(a, "gbdt-final").expect("rename");
    store
        .set_note(a, Some("beats the baseline by 4%"))
        .expect("note");
    let noted = store.get_run(a).expect("noted");
    assert_eq!(
        (noted.name.as_str(), noted.note.as_deref()),
        ("gbdt-final", Some("beats the baseline by 4%"))
    );
    store.set_note(a, None).expect("clear note");
    assert_eq!(store.get_run(a).expect("run").note, None);

    let artifact = |path: &str, kind: &str, sha256: String, bytes: u64| NewArtifact {
        path: path.into(),
        kind: kind.into(),
        sha256,
        bytes,
    };
    let (aa, bb, cc) = ("aa".repeat(32), "bb".repeat(32), "cc".repeat(32));
    let model = store
        .add_artifact(a, &artifact("model/model.json", "model", aa, 1_024))
        .expect("artifact");
    let plot = store
        .add_artifact(a, &artifact("plots/fit.png", "plot", cc.clone(), 5_000_000_000))
        .expect("artifact");
    let again = store
        .add_artifact(a, &artifact("model/model.json", "model", bb.clone(), 2_048))
        .expect("same path again");
    assert_eq!(again, model, "the same path is the same row");
    let artifacts = store.artifacts(a).expect("artifacts");
    let rows: Vec<(i64, &str, &str, u64)> = artifacts
        .iter()
        .map(|x| (x.id, x.path.as_str(), x.sha256.as_str(), x.bytes))
        .collect();
    assert_eq!(
        rows,
        [
            (model, "model/model.json", bb.as_str(), 2_048),
            (plot, "plots/fit.png", cc.as_str(), 5_000_000_000),
        ]
    );
    assert!(artifacts.iter().all(|x| x.run_id == a));
    assert_eq!(artifacts[1].kind, "plot");
    assert!(store.artifacts(b).expect("none").is_empty());
}

fn loss_at(step: i64) -> f64 {
    1.0 / (step + 1) as f64
}

fn rmse_at(step: i64) -> f64 {
    100.0 - step as f64 * 0.1
}

fn lr_at(step: i64) -> f64 {
    0.05 + step as f64 * 0.001
}

fn metric_batches_keep_the_last_value_of_a_repeated_point_and_read_back_by_step(
    backend: &TestStore,
) {
    let mut store = backend.open();
    let id = run(&mut store, "curves");
    let mut batch = Vec::new();
    for step in 0..300 {
        batch.push(point("loss", step, loss_at(step)));
        if step < 200 {
            batch.push(point("rmse", step, rmse_at(step)));
        }
        if step < 199 {
            batch.push(point("lr", step, lr_at(step)));
        }
    }
    // The same key, step and time as rmse's step 100 (90.0): the later value is kept.
    batch.push(point("rmse", 100, 95.0));
    assert_eq!(batch.len(), 700);
    store.log_metrics(id, &batch).expect("batch");

    assert_eq!(store.metric_keys(id).expect("keys"), ["loss", "lr", "rmse"]);
    let rmse = store.metric_history(id, "rmse").expect("rmse");
    assert_eq!(rmse.len(), 200, "the repeated point is one point");
    let steps: Vec<i64> = rmse.iter().map(|p| p.step).collect();
    assert_eq!(steps, (0..200).collect::<Vec<_>>());
    assert_eq!(rmse[100], point("rmse", 100, 95.0));
    assert_eq!(rmse[99], point("rmse", 99, rmse_at(99)));
    assert_eq!(
        store.metric_history(id, "loss").expect("loss"),
        (0..300).map(|s| point("loss", s, loss_at(s))).collect::<Vec<_>>()
    );
    assert_eq!(
        store.last_metric(id, "loss").expect("last"),
        Some(point("loss", 299, loss_at(299)))
    );
    assert_eq!(store.last_metric(id, "nope").expect("none"), None);
    assert!(store.metric_history(id, "nope").expect("none").is_empty());

    let loss = summary(&store, id, "loss");
    assert_eq!(
        (loss.points, loss.min_value, loss.max_value),
        (300, Some(loss_at(299)), Some(1.0))
    );
    assert_eq!((loss.last_step, loss.last_value), (Some(299), Some(loss_at(299))));
    let lr = summary(&store, id, "lr");
    assert_eq!(
        (lr.points, lr.min_value, lr.max_value),
        (199, Some(lr_at(0)), Some(lr_at(198)))
    );
    assert_eq!((lr.last_step, lr.last_value), (Some(198), Some(lr_at(198))));
    let summarized = summary(&store, id, "rmse");
    assert_eq!(
        (summarized.min_value, summarized.max_value),
        (Some(rmse_at(199)), Some(100.0))
    );
    assert_eq!(
        (summarized.last_step, summarized.last_value),
        (Some(199), Some(rmse_at(199)))
    );

    // Across batches: the same point again is overwritten; the same step at a later time is a
    // second point, and the later one is the last.
    store
        .log_metrics(id, &[point("rmse", 100, 96.0)])
        .expect("again");
    let later = MetricPoint {
        timestamp_ms: T0 + 1_000,
        ..point("rmse", 199, 70.0)
    };
    store
        .log_metrics(id, std::slice::from_ref(&later))
        .expect("later");
    let rmse = store.metric_history(id, "rmse").expect("rmse");
    assert_eq!(rmse.len(), 201);
    assert_eq!(rmse[100].value, 96.0);
    assert_eq!(rmse[199], point("rmse", 199, rmse_at(199)));
    assert_eq!(rmse[200], later);
    assert_eq!(store.last_metric(id, "rmse").expect("last"), Some(later));
    let summarized = summary(&store, id, "rmse");
    assert_eq!(
        (summarized.last_step, summarized.last_value, summarized.min_value),
        (Some(199), Some(70.0), Some(70.0))
    );

    let window = store.curve(id, "loss", Some(10), Some(19), 0).expect("window");
    assert_eq!(
        window,
        Curve {
            steps: (10..20).map(|s| s as f64).collect(),
            values: (10..20).map(loss_at).collect(),
            timestamps_ms: (10..20).map(|s| T0 + s).collect(),
            total_points: 10,
        }
    );
    let tail = store.curve(id, "loss", Some(290), None, 0).expect("tail");
    assert_eq!(tail.steps, (290..300).map(|s| s as f64).collect::<Vec<_>>());
    assert_eq!(store.curve(id, "loss", None, None, 0).expect("all").steps.len(), 300);
    let thin = store.curve(id, "loss", None, None, 50).expect("thin");
    assert_eq!((thin.steps.len(), thin.values.len(), thin.timestamps_ms.len()), (50, 50, 50));
    assert_eq!(thin.total_points, 300);
    assert_eq!((thin.steps[0], thin.steps[49]), (0.0, 299.0), "the ends are kept");
    assert!(thin.steps.windows(2).all(|w| w[0] < w[1]));
    for ((step, value), time) in thin.steps.iter().zip(&thin.values).zip(&thin.timestamps_ms) {
        assert_eq!((*value, *time), (loss_at(*step as i64), T0 + *step as i64));
    }
    assert_eq!(
        store.curve(id, "loss", Some(1_000), None, 0).expect("empty"),
        Curve::default()
    );

    store
        .heartbeat_with(id, &[point("sys_cpu", 0, 12.5), point("sys_cpu", 1, 30.0)])
        .expect("heartbeat");
    store.heartbeat_with(id, &[]).expect("bare heartbeat");
    assert_eq!(
        store.metric_keys(id).expect("keys"),
        ["loss", "lr", "rmse", "sys_cpu"]
    );
    let cpu: Vec<f64> = store
        .metric_history(id, "sys_cpu")
        .expect("cpu")
        .iter()
        .map(|p| p.value)
        .collect();
    assert_eq!(cpu, [12.5, 30.0]);
    assert_eq!(summary(&store, id, "sys_cpu").points, 2);
    assert_eq!(
        store.metric_key_names().expect("all keys"),
        ["loss", "lr", "rmse", "sys_cpu"]
    );
}

fn the_registry_numbers_versions_moves_aliases_and_never_hands_a_number_out_twice(
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
        (v1.model_name.as_str(), v1.version, v1.run_id, v1.status.as_str()),
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
    assert_eq!((v3.version, v3.description.as_deref()), (3, Some("placed by hand")));
    assert!(
        store.add_model_version(3, &new_version("promo", run_id)).is_err(),
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
    assert_eq!(aliases_of(&store, "promo"), ["1:champion", "2:challenger", "3:"]);
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
    assert_eq!((champion.version, champion.aliases.clone()), (2, vec!["champion".to_string()]));
    assert_eq!(store.model_version_by_alias("promo", "challenger").expect("none"), None);
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
    assert_eq!(aliases_of(&store, "promo"), ["1:", "2:champion", "3:challenger"]);
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
        .map(|m| format!("{} {:?} {:?} {}", m.alias, m.version, m.previous_version, m.reason))
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
    store
        .set_version_status("promo", 1, true)
        .expect("archive");
    assert_eq!(store.model_version("promo", 1).expect("v1").expect("there").status, "archived");
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

fn predictions_are_counted_read_back_and_pruned_by_age(backend: &TestStore) {
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
    assert_eq!(store.logged_inputs(&[v1.id, v2.id], None).expect("inputs").len(), 4);
    assert_eq!(store.logged_inputs(&[v1.id], Some("2000-01-01")).expect("since").len(), 3);
    assert!(store.logged_inputs(&[v1.id], Some("9999-01-01")).expect("since").is_empty());
    let mut keys: Vec<(String, String)> =
        store.predicted_keys("promo").expect("keys").into_iter().collect();
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
    assert!(store.logged_inputs(&[v1.id, v2.id], None).expect("none").is_empty());
}

fn datasets_are_recorded_by_path_and_bytes_and_profiles_are_cached_by_content(
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
        (first.path.as_str(), first.sha256.as_str(), first.bytes, first.modified_ns),
        ("data/sales.csv", sha.as_str(), bytes, 42)
    );
    assert_eq!(first.format, "csv");
    let touched = store
        .record_dataset(&dataset("data/sales.csv", 43))
        .expect("again");
    assert_eq!((touched.id, touched.modified_ns), (first.id, 43), "same path and bytes: same row");
    assert_eq!(
        store.dataset_by_stat("data/sales.csv", bytes, 43).expect("stat"),
        Some(touched.clone())
    );
    assert_eq!(store.dataset_by_stat("data/sales.csv", bytes, 42).expect("stat"), None);
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
    assert_eq!(store.fingerprints_of_size(bytes).expect("sizes"), [sha.clone()]);
    assert!(store.fingerprints_of_size(1).expect("sizes").is_empty());
    let cached = store.cached_profile(&sha, 1).expect("cached").expect("a profile");
    assert_eq!(
        (cached.rows, cached.columns, cached.schema_json, cached.profile_json),
        (profile.rows, profile.columns, profile.schema_json.clone(), profile.profile_json.clone())
    );
    assert!(store.cached_profile(&sha, 2).expect("other version").is_none());
    assert!(store.cached_profile("cd", 1).expect("other bytes").is_none());
    let refreshed = CachedProfile {
        rows: 1_300,
        ..profile
    };
    store
        .record_profiled_dataset(&dataset("data/copy.csv", 45), 1, &refreshed)
        .expect("profiled again");
    assert_eq!(store.cached_profile(&sha, 1).expect("cached").expect("one").rows, 1_300);
}

fn drift_reports_are_listed_newest_first_with_their_json(backend: &TestStore) {
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
    assert_eq!(reports[0], expected(second, &reports[0].created_at, &served));
    assert_eq!(reports[1], expected(first, &reports[1].created_at, &files));
    assert_eq!(store.drift_reports(1).expect("newest").len(), 1);
    assert_eq!(
        store.drift_report_json(first).expect("json").as_deref(),
        Some(r#"{"columns":[]}"#)
    );
    assert_eq!(store.drift_report_json(9999).expect("none"), None);
}

fn forecasts_are_scored_against_actuals_added_later(backend: &TestStore) {
    let mut store = backend.open();
    let run_id = run(&mut store, "trained");
    let version = register(&mut store, "sales", run_id);
    let value = |series: &str, date: &str, step, value, band: Option<(f64, f64)>| ForecastValue {
        series_key: series.into(),
        target_date: date.into(),
        step,
        value,
        lower: band.map(|b| b.0),
        upper: band.map(|b| b.1),
    };
    let forecast = |output_path| NewForecast {
        model_version_id: version.id,
        origin: "2024-01-01",
        horizon: 2,
        series: 2,
        output_path,
    };
    let first = store
        .record_forecast(
            &forecast("forecasts/1.csv"),
            &[
                value("S1", "2024-01-08", 1, 10.0, Some((8.0, 12.0))),
                value("S1", "2024-01-15", 2, 11.0, Some((8.5, 13.5))),
                value("S2", "2024-01-08", 1, 20.0, None),
                value("S2", "2024-01-15", 2, 21.0, None),
            ],
        )
        .expect("forecast");
    let listed = store.forecasts(10).expect("forecasts");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id, listed[0].model_version_id, listed[0].origin.as_str()),
        (first, version.id, "2024-01-01")
    );
    assert_eq!((listed[0].horizon, listed[0].series, listed[0].values), (2, 2, 4));
    assert_eq!(listed[0].output_path, "forecasts/1.csv");

    let actual = |series: &str, date: &str, actual| NewActual {
        series_key: series.into(),
        target_date: date.into(),
        actual,
    };
    let week1 = [actual("S1", "2024-01-08", 9.0), actual("S2", "2024-01-08", 22.0)];
    let added = store.add_actuals("sales", &week1, "actuals.csv", false).expect("add");
    assert_eq!(added.inserted, 2);
    let again = store.add_actuals("sales", &week1, "actuals.csv", false).expect("again");
    assert_eq!((again.inserted, again.unchanged), (0, 2));
    let fix = [actual("S1", "2024-01-08", 9.5)];
    let kept = store.add_actuals("sales", &fix, "fixed.csv", false).expect("conflict");
    assert_eq!(kept.conflicting, 1);
    assert_eq!(kept.differences, [("S1".to_string(), "2024-01-08".to_string(), 9.0, 9.5)]);
    let fixed = store.add_actuals("sales", &fix, "fixed.csv", true).expect("replace");
    assert_eq!((fixed.corrected, fixed.conflicting), (1, 0));

    let pairs = store.scored_pairs("sales", None).expect("pairs");
    let shown: Vec<String> = pairs
        .iter()
        .map(|p| format!("{} {} {} {} {}", p.source, p.series_key, p.target_date, p.predicted, p.actual))
        .collect();
    assert_eq!(
        shown,
        ["forecast S1 2024-01-08 10 9.5", "forecast S2 2024-01-08 20 22"]
    );
    assert_eq!(
        (pairs[0].version, pairs[0].forecast_id, pairs[0].origin.as_deref(), pairs[0].step),
        (1, Some(first), Some("2024-01-01"), Some(1))
    );

    // Made again from the same origin: only the newest forecast is scored.
    let second = store
        .record_forecast(
            &forecast("forecasts/2.csv"),
            &[
                value("S1", "2024-01-08", 1, 10.5, None),
                value("S2", "2024-01-08", 1, 19.0, None),
            ],
        )
        .expect("forecast again");
    let newest: Vec<(i64, usize)> = store
        .forecasts(10)
        .expect("forecasts")
        .iter()
        .map(|f| (f.id, f.values))
        .collect();
    assert_eq!(newest, [(second, 2), (first, 4)]);
    store
        .log_predictions(
            version.id,
            &[LoggedPrediction {
                input: "{}".into(),
                output: "{}".into(),
                series_key: Some("S1".into()),
                target_date: Some("2024-01-15".into()),
                prediction: Some(11.25),
            }],
        )
        .expect("prediction");
    store
        .add_actuals("sales", &[actual("S1", "2024-01-15", 12.0)], "week2.csv", false)
        .expect("week 2");
    let pairs = store.scored_pairs("sales", None).expect("pairs");
    let shown: Vec<String> = pairs
        .iter()
        .map(|p| format!("{} {:?} {} {} {} {}", p.source, p.forecast_id, p.series_key, p.target_date, p.predicted, p.actual))
        .collect();
    assert_eq!(
        shown,
        [
            format!("forecast Some({second}) S1 2024-01-08 10.5 9.5"),
            format!("forecast Some({second}) S2 2024-01-08 19 22"),
            "prediction None S1 2024-01-15 11.25 12".to_string(),
        ]
    );
    let since = store.scored_pairs("sales", Some("2024-01-09")).expect("since");
    assert_eq!(since.len(), 1);
    assert_eq!((since[0].source, since[0].predicted), ("prediction", 11.25));
    assert_eq!(store.predicted_keys("sales").expect("keys").len(), 4);
    assert!(store.scored_pairs("other", None).expect("none").is_empty());
}

fn schedules_account_their_slots_and_job_runs_move_through_their_states(backend: &TestStore) {
    let mut store = backend.open();
    let nightly = NewSchedule {
        name: "nightly",
        trigger_json: r#"{"cron":"0 2 * * *"}"#,
        job_json: r#"{"kind":"retrain"}"#,
        catch_up: "latest",
        retries: 2,
        timeout_s: Some(600),
        created_ms: T0,
        hooks_json: None,
    };
    let id = store.add_schedule(&nightly).expect("schedule");
    assert!(store.add_schedule(&nightly).is_err(), "a name is taken once");
    store
        .add_schedule(&NewSchedule {
            name: "hourly",
            timeout_s: None,
            hooks_json: Some(r#"{"on_failure":"notify"}"#),
            ..nightly.clone()
        })
        .expect("another");
    let names: Vec<String> = store.schedules().expect("all").into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["hourly", "nightly"]);
    assert_eq!(
        store.schedule("nightly").expect("nightly"),
        ScheduleRow {
            id,
            name: "nightly".into(),
            trigger_json: nightly.trigger_json.into(),
            job_json: nightly.job_json.into(),
            catch_up: "latest".into(),
            retries: 2,
            timeout_s: Some(600),
            paused: false,
            created_ms: T0,
            last_slot_ms: None,
            hooks_json: None,
        }
    );
    store.set_schedule_paused("nightly", true).expect("pause");
    assert!(store.schedule("nightly").expect("paused").paused);
    let missing = store.schedule("weekly").expect_err("no such schedule").to_string();
    assert!(missing.contains("hourly, nightly"), "{missing}");

    let job = |state, slot_ms, reason, not_before_ms| NewJobRun {
        schedule_id: Some(id),
        schedule_name: Some("nightly"),
        kind: "retrain",
        job_json: r#"{"kind":"retrain"}"#,
        slot_ms,
        state,
        reason,
        attempt: 1,
        not_before_ms,
        input_path: None,
        created_ms: T0 + 100,
    };
    let (slot1, slot2) = (T0 + 86_400_000, T0 + 2 * 86_400_000);
    let accounted = store
        .account_slots(
            id,
            slot2,
            &[
                job(JobState::Skipped, Some(slot1), Some("missed while down"), None),
                job(JobState::Queued, Some(slot2), None, None),
            ],
        )
        .expect("account");
    let (skipped, queued) = (accounted[0], accounted[1]);
    assert_eq!(store.schedule("nightly").expect("slot").last_slot_ms, Some(slot2));
    let manual = store
        .add_job_run(&NewJobRun {
            schedule_id: None,
            schedule_name: None,
            ..job(JobState::Queued, None, None, Some(T0 + 10_000))
        })
        .expect("manual");

    assert_eq!(store.next_due_job(T0).expect("due").map(|j| j.id), Some(queued));
    assert!(store.start_job_run(queued, 4242, T0 + 1).expect("start"));
    assert!(!store.start_job_run(queued, 4343, T0 + 2).expect("taken"), "started once");
    assert_eq!(store.next_due_job(T0).expect("due"), None, "the manual run waits");
    assert_eq!(store.next_due_job(T0 + 10_000).expect("due").map(|j| j.id), Some(manual));
    store
        .end_job_run(queued, JobState::Succeeded, None, Some(r#"{"version":3}"#), T0 + 5)
        .expect("end");
    let done = store.job_run(queued).expect("done");
    assert_eq!((done.state, done.pid), (JobState::Succeeded, Some(4242)));
    assert_eq!((done.started_ms, done.ended_ms), (Some(T0 + 1), Some(T0 + 5)));
    assert_eq!(done.produced_json.as_deref(), Some(r#"{"version":3}"#));
    let missed = store.job_run(skipped).expect("skipped");
    assert_eq!((missed.state, missed.reason.as_deref()), (JobState::Skipped, Some("missed while down")));
    assert_eq!((missed.slot_ms, missed.ended_ms, missed.attempt), (Some(slot1), Some(T0 + 100), 1));

    let of_schedule: Vec<i64> = store.job_runs(Some(id), 10).expect("runs").iter().map(|j| j.id).collect();
    assert_eq!(of_schedule, [queued, skipped]);
    assert_eq!(store.job_runs(None, 10).expect("runs").len(), 3);
    assert_eq!(store.job_runs(None, 1).expect("runs")[0].id, manual);

    assert!(store.start_job_run(manual, 77, T0 + 10_001).expect("start"));
    let orphaned = store.fail_orphaned_jobs(&|_| false, T0 + 20_000).expect("orphans");
    assert_eq!(orphaned.len(), 1);
    assert_eq!((orphaned[0].id, orphaned[0].state), (manual, JobState::Failed));
    let failed = store.job_run(manual).expect("failed");
    assert_eq!((failed.state, failed.ended_ms), (JobState::Failed, Some(T0 + 20_000)));
    assert!(failed.reason.unwrap_or_default().contains("pid 77"));
    assert!(store.job_run(9999).is_err());

    store.remove_schedule("nightly").expect("remove");
    assert_eq!(store.schedules().expect("left").len(), 1);
    let kept = store.job_run(skipped).expect("kept");
    assert_eq!((kept.schedule_id, kept.schedule_name.as_deref()), (None, Some("nightly")));
}

fn studies_keep_their_trials_by_number_with_state_and_value(backend: &TestStore) {
    let mut store = backend.open();
    let parent = run(&mut store, "study");
    let config = r#"{"trials":3,"sampler":"tpe"}"#;
    let study = store
        .create_study("tune-promo", parent, config, "minimize", "val_rmse")
        .expect("study");
    assert!(store.create_study("tune-promo", parent, config, "minimize", "val_rmse").is_err());
    let row = store.study("tune-promo").expect("by name");
    assert_eq!((row.id, row.run_id, row.config_json.as_str()), (study, parent, config));
    assert_eq!((row.direction.as_str(), row.metric.as_str()), ("minimize", "val_rmse"));
    assert_eq!(store.study_of_run(parent).expect("of run"), Some(row.clone()));
    assert_eq!(store.studies().expect("all"), [row]);
    assert!(store.study("nope").is_err());

    let children: Vec<RunId> = (0..2)
        .map(|i| {
            store
                .create_run(&new_run("default", &format!("trial-{i}"), Some(parent)))
                .expect("child")
        })
        .collect();
    assert_eq!(store.study_of_run(children[0]).expect("not a study"), None);
    assert_eq!(store.next_queued_child(parent).expect("next"), Some(children[0]));
    store
        .set_status(children[0], RunStatus::Finished, None)
        .expect("finish");
    assert_eq!(store.next_queued_child(parent).expect("next"), Some(children[1]));

    store.start_trial(study, 0, Some(children[0]), r#"{"lr":0.1}"#).expect("trial 0");
    store.start_trial(study, 1, Some(children[1]), r#"{"lr":0.3}"#).expect("trial 1");
    store.start_trial(study, 2, None, r#"{"lr":0.05}"#).expect("trial 2");
    assert!(store.start_trial(study, 1, None, "{}").is_err(), "a number is taken once");
    store
        .end_trial(study, 0, TrialState::Complete, Some(4.5), None)
        .expect("complete");
    store
        .end_trial(study, 1, TrialState::Pruned, Some(7.25), Some("worse than the median at step 10"))
        .expect("prune");
    let trials = store.trials(study).expect("trials");
    let shown: Vec<(i64, Option<RunId>, TrialState, Option<f64>)> = trials
        .iter()
        .map(|t| (t.number, t.run_id, t.state, t.value))
        .collect();
    assert_eq!(
        shown,
        [
            (0, Some(children[0]), TrialState::Complete, Some(4.5)),
            (1, Some(children[1]), TrialState::Pruned, Some(7.25)),
            (2, None, TrialState::Running, None),
        ]
    );
    assert_eq!(trials[2].params_json, r#"{"lr":0.05}"#);
    assert_eq!(trials[1].reason.as_deref(), Some("worse than the median at step 10"));
    let ended: Vec<bool> = trials.iter().map(|t| t.ended_at.is_some()).collect();
    assert_eq!(ended, [true, true, false]);
    assert!(store.trials(study + 1).expect("none").is_empty());
}

fn promotion_decisions_are_listed_newest_first_per_model(backend: &TestStore) {
    let mut store = backend.open();
    let challenger = run(&mut store, "challenger");
    let kept = Decision {
        id: 0,
        decided_at: String::new(),
        model_name: "promo".into(),
        champion_version: Some(1),
        challenger_run: challenger,
        challenger_version: None,
        metric: "wape".into(),
        champion_score: Some(0.2),
        challenger_score: 0.199,
        margin: 0.02,
        p_value: None,
        promoted: false,
        why: "kept the champion: 0.5% better, below the 2.0% margin".into(),
    };
    let promoted = Decision {
        champion_version: None,
        challenger_version: Some(2),
        champion_score: None,
        challenger_score: 0.15,
        p_value: Some(0.01),
        promoted: true,
        why: "no champion yet".into(),
        ..kept.clone()
    };
    let first = store.record_decision(&kept).expect("decision");
    let second = store.record_decision(&promoted).expect("decision");
    store
        .record_decision(&Decision {
            model_name: "other".into(),
            ..kept.clone()
        })
        .expect("other model");
    let decisions = store.decisions("promo", 10).expect("decisions");
    assert_eq!(decisions.len(), 2);
    assert!(decisions.iter().all(|d| !d.decided_at.is_empty()));
    let with = |d: &Decision, id, decided_at: &str| Decision {
        id,
        decided_at: decided_at.to_string(),
        ..d.clone()
    };
    assert_eq!(decisions[0], with(&promoted, second, &decisions[0].decided_at));
    assert_eq!(decisions[1], with(&kept, first, &decisions[1].decided_at));
    assert_eq!(store.decisions("promo", 1).expect("newest")[0].id, second);
    assert_eq!(store.decisions("other", 10).expect("other").len(), 1);
    assert!(store.decisions("nobody", 10).expect("none").is_empty());
}

fn a_connection_hears_of_other_connections_commits_and_not_of_its_own(backend: &TestStore) {
    let mut a = backend.open();
    let mut b = backend.open();
    let b_before = b.data_version().expect("version");
    let a_before = a.data_version().expect("version");
    run(&mut a, "written through a");
    assert!(
        changes_within_five_seconds(&b, b_before),
        "b never heard of a's commit"
    );
    assert_eq!(a.data_version().expect("version"), a_before, "a's own commit");
    let b_seen = b.data_version().expect("version");
    run(&mut b, "written through b");
    assert_eq!(b.data_version().expect("version"), b_seen, "b's own commit");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        b.data_version().expect("version"),
        b_seen,
        "b's own commit, a moment later (postgres: {})",
        backend.is_postgres()
    );
    assert!(
        changes_within_five_seconds(&a, a_before),
        "a never heard of b's commit"
    );
    assert_eq!(listed(&b, RunFilter::default()).len(), 2);
}

fn eight_writers_on_their_own_connections_lose_no_point(backend: &TestStore) {
    let store = backend.open();
    let ids: Vec<RunId> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..8)
            .map(|t| {
                s.spawn(move || {
                    let mut own = backend.open();
                    let id = run(&mut own, &format!("writer-{t}"));
                    for batch in 0..50 {
                        let points: Vec<MetricPoint> = (0..20)
                            .map(|i| {
                                let step = batch * 20 + i;
                                point("loss", step, (t * 10_000 + step) as f64)
                            })
                            .collect();
                        own.log_metrics(id, &points).expect("batch");
                    }
                    id
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| w.join().expect("writer thread"))
            .collect()
    });
    assert_eq!(listed(&store, RunFilter::default()).len(), 8);
    for (t, id) in ids.iter().enumerate() {
        let loss = summary(&store, *id, "loss");
        assert_eq!(loss.points, 1_000, "run {id}");
        assert_eq!(loss.last_step, Some(999));
        assert_eq!(loss.last_value, Some((t as i64 * 10_000 + 999) as f64));
        let history = store.metric_history(*id, "loss").expect("history");
        assert_eq!(history.len(), 1_000, "run {id}");
        assert!(history.iter().enumerate().all(|(i, p)| p.step == i as i64));
    }
}

on_both_backends!(
    a_run_goes_from_queued_to_finished_and_lists_by_every_filter,
    metric_batches_keep_the_last_value_of_a_repeated_point_and_read_back_by_step,
    the_registry_numbers_versions_moves_aliases_and_never_hands_a_number_out_twice,
    predictions_are_counted_read_back_and_pruned_by_age,
    datasets_are_recorded_by_path_and_bytes_and_profiles_are_cached_by_content,
    drift_reports_are_listed_newest_first_with_their_json,
    forecasts_are_scored_against_actuals_added_later,
    schedules_account_their_slots_and_job_runs_move_through_their_states,
    studies_keep_their_trials_by_number_with_state_and_value,
    promotion_decisions_are_listed_newest_first_per_model,
    a_connection_hears_of_other_connections_commits_and_not_of_its_own,
    eight_writers_on_their_own_connections_lose_no_point,
);
