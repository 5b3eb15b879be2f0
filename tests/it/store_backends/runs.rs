//! A run's life, metric batches and curves, change notices and concurrent writers.

use super::*;
use crate::backends::on_both_backends;

pub(super) fn a_run_goes_from_queued_to_finished_and_lists_by_every_filter(backend: &TestStore) {
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
    assert_eq!(
        (queued.model_kind.as_str(), queued.task.as_str()),
        ("gbdt", "regression")
    );
    assert_eq!(
        (queued.pid, queued.cancel_requested, queued.parent_run_id),
        (None, false, None)
    );
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
    assert!(
        !store.claim_run(a, pid).expect("second claim"),
        "claimed once"
    );
    let running = store.get_run(a).expect("running");
    assert_eq!(running.status, RunStatus::Running);
    assert_eq!(running.pid, Some(i64::from(pid)));
    assert!(running.started_at.is_some());
    store
        .set_status(a, RunStatus::Finished, None)
        .expect("finish");
    let finished = store.get_run(a).expect("finished");
    assert_eq!(
        (finished.status, finished.error),
        (RunStatus::Finished, None)
    );
    assert!(finished.ended_at.is_some());
    assert!(!store.claim_run(a, pid).expect("claim a finished run"));

    assert!(!store.cancel_requested(b).expect("flag"));
    store.request_cancel(b).expect("cancel");
    let killed = store.get_run(b).expect("killed");
    assert_eq!(
        killed.status,
        RunStatus::Killed,
        "queued and held by nobody"
    );
    assert!(killed.cancel_requested && killed.ended_at.is_some());
    assert_eq!(
        killed.error.as_deref(),
        Some("cancelled before a worker started it")
    );
    assert!(store.cancel_requested(b).expect("flag"));
    assert!(!store.cancel_requested(c).expect("flag"));
    assert!(store.cancel_requested(9999).is_err());
    assert!(store.request_cancel(9999).is_err());
    assert!(
        store
            .set_status(9999, RunStatus::Failed, Some("x"))
            .is_err()
    );

    let filter =
        |experiment: Option<&str>, status: Option<RunStatus>, parent: Option<RunId>| RunFilter {
            experiment: experiment.map(String::from),
            status,
            parent_run_id: parent,
            include_deleted: false,
        };
    assert_eq!(
        listed(&store, RunFilter::default()),
        [c, b, a],
        "newest first"
    );
    assert_eq!(listed(&store, filter(Some("promo"), None, None)), [c, a]);
    assert_eq!(listed(&store, filter(Some("Baseline"), None, None)), [b]);
    assert!(listed(&store, filter(Some("alpha"), None, None)).is_empty());
    assert_eq!(
        listed(&store, filter(None, Some(RunStatus::Killed), None)),
        [b]
    );
    assert_eq!(
        listed(&store, filter(None, Some(RunStatus::Queued), None)),
        [c]
    );
    assert_eq!(
        listed(&store, filter(None, Some(RunStatus::Finished), None)),
        [a]
    );
    assert!(listed(&store, filter(None, Some(RunStatus::Running), None)).is_empty());
    assert_eq!(listed(&store, filter(None, None, Some(a))), [c]);
    assert!(listed(&store, filter(None, None, Some(b))).is_empty());
    assert_eq!(
        listed(
            &store,
            filter(Some("promo"), Some(RunStatus::Queued), Some(a))
        ),
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
        .add_artifact(
            a,
            &artifact("plots/fit.png", "plot", cc.clone(), 5_000_000_000),
        )
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

pub(super) fn metric_batches_keep_the_last_value_of_a_repeated_point_and_read_back_by_step(
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
    assert_eq!(steps, (0..200).collect::<Vec<i64>>());
    assert_eq!(rmse[100], point("rmse", 100, 95.0));
    assert_eq!(rmse[99], point("rmse", 99, rmse_at(99)));
    assert_eq!(
        store.metric_history(id, "loss").expect("loss"),
        (0..300)
            .map(|s| point("loss", s, loss_at(s)))
            .collect::<Vec<_>>()
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
    assert_eq!(
        (loss.last_step, loss.last_value),
        (Some(299), Some(loss_at(299)))
    );
    let lr = summary(&store, id, "lr");
    assert_eq!(
        (lr.points, lr.min_value, lr.max_value),
        (199, Some(lr_at(0)), Some(lr_at(198)))
    );
    assert_eq!((lr.last_step, lr.last_value), (Some(198), Some(lr_at(198))));
    let summarized = summary(&store, id, "rmse");
    assert_eq!(summarized.points, 200, "the repeated point counts once");
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
        (
            summarized.last_step,
            summarized.last_value,
            summarized.min_value
        ),
        (Some(199), Some(70.0), Some(70.0))
    );

    let window = store
        .curve(id, "loss", Some(10), Some(19), 0)
        .expect("window");
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
    assert_eq!(
        store
            .curve(id, "loss", None, None, 0)
            .expect("all")
            .steps
            .len(),
        300
    );
    let thin = store.curve(id, "loss", None, None, 50).expect("thin");
    assert_eq!(
        (
            thin.steps.len(),
            thin.values.len(),
            thin.timestamps_ms.len()
        ),
        (50, 50, 50)
    );
    assert_eq!(thin.total_points, 300);
    assert_eq!(
        (thin.steps[0], thin.steps[49]),
        (0.0, 299.0),
        "the ends are kept"
    );
    assert!(thin.steps.windows(2).all(|w| w[0] < w[1]));
    for ((step, value), time) in thin.steps.iter().zip(&thin.values).zip(&thin.timestamps_ms) {
        assert_eq!((*value, *time), (loss_at(*step as i64), T0 + *step as i64));
    }
    assert_eq!(
        store
            .curve(id, "loss", Some(1_000), None, 0)
            .expect("empty"),
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

pub(super) fn a_connection_hears_of_other_connections_commits_and_not_of_its_own(
    backend: &TestStore,
) {
    let mut a = backend.open();
    let mut b = backend.open();
    let b_before = b.data_version().expect("version");
    let a_before = a.data_version().expect("version");
    run(&mut a, "written through a");
    assert!(
        changes_within_five_seconds(&b, b_before),
        "b never heard of a's commit"
    );
    assert_eq!(
        a.data_version().expect("version"),
        a_before,
        "a's own commit"
    );
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

pub(super) fn eight_writers_on_their_own_connections_lose_no_point(backend: &TestStore) {
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
    a_connection_hears_of_other_connections_commits_and_not_of_its_own,
    eight_writers_on_their_own_connections_lose_no_point,
);
