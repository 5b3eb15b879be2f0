//! The runs table at scale: the filter language (parse, errors with their column, SQL), sorting,
//! metric summaries kept by every batch, and soft delete / purge.

use crate::backends::{TestStore, on_both_backends};
use shelfcast::store::{
    MetricPoint, MetricValue, NewRun, RunQuery, RunSort, RunStatus, RunStore, SortKey, parse_filter,
};

fn error_of(text: &str) -> (usize, String) {
    let error = parse_filter(text).expect_err(text);
    (error.column, error.message)
}

#[test]
fn filters_parse_and_bad_ones_point_at_the_column_of_the_mistake() {
    for good in [
        "",
        "metrics.rmse < 900",
        "metrics.rmse < 900 and params.model = \"gbdt\" and tags.team = 'fresh' and status = \"finished\"",
        "(metrics.rmse <= 4.5 or metrics.r2 >= 0.9) and not status = 'failed'",
        "params.`model.objective` in ('poisson', \"tweedie\")",
        "params.model.rounds > 100 AND name LIKE '%promo%' OR experiment != 'default'",
        "attributes.status not in ('failed', 'killed')",
        "metrics.`val loss` < 1e-3",
        "id >= 10",
    ] {
        assert!(
            parse_filter(good).is_ok(),
            "{good}: {:?}",
            parse_filter(good)
        );
    }
    let cases: [(&str, usize, &str); 9] = [
        ("metrics.rmse <", 15, "expected a value"),
        ("metrics.rmse < \"low\"", 16, "metrics compare with numbers"),
        (
            "params.model = gbdt",
            16,
            "expected a value: a number or a quoted string, found 'gbdt'",
        ),
        ("(status = 'finished'", 21, "expected ')'"),
        ("colour = 'red'", 1, "unknown field 'colour'"),
        ("name = 'promo", 8, "never closed"),
        (
            "metrics.rmse < 3 metrics.mae < 2",
            18,
            "expected and, or, or the end",
        ),
        ("status ~ 'x'", 8, "unexpected '~'"),
        ("params. = 'x'", 1, "expected a name after the dot"),
    ];
    for (text, column, message) in cases {
        let (at, said) = error_of(text);
        assert_eq!(at, column, "{text}: {said}");
        assert!(said.contains(message), "{text}: {said}");
    }
}

fn run(store: &mut RunStore, name: &str, experiment: &str) -> i64 {
    store
        .create_run(&NewRun {
            experiment: experiment.into(),
            name: name.into(),
            model_kind: "gbdt".into(),
            task: "regression".into(),
            dataset_id: None,
            parent_run_id: None,
        })
        .expect("run")
}

fn point(key: &str, step: i64, value: f64) -> MetricPoint {
    MetricPoint {
        key: key.into(),
        step,
        value,
        timestamp_ms: 1_700_000_000_000 + step,
    }
}

/// 30 runs: rmse = 10 + i, model gbdt for even i and ridge for odd, rounds 100 * i, team fresh
/// for i < 10; run 29 has no rmse; run 7 is killed.
fn seeded(backend: &TestStore) -> (RunStore, Vec<i64>) {
    let mut store = backend.open();
    let mut ids = Vec::new();
    for i in 0..30 {
        let id = run(
            &mut store,
            &format!("promo-{i:02}"),
            if i % 3 == 0 { "a" } else { "b" },
        );
        let model = if i % 2 == 0 { "gbdt" } else { "ridge" };
        let rounds = (100 * i).to_string();
        store
            .log_params(id, &[("model", model), ("model.rounds", &rounds)])
            .expect("params");
        if i < 10 {
            store.set_tags(id, &[("team", "fresh")]).expect("tags");
        }
        if i != 29 {
            store
                .log_metrics(id, &[point("rmse", 5, 10.0 + i as f64)])
                .expect("metric");
        }
        if i == 7 {
            store
                .set_status(id, RunStatus::Killed, Some("cancelled"))
                .expect("status");
        }
        ids.push(id);
    }
    (store, ids)
}

fn names(store: &RunStore, filter: &str, sort: RunSort) -> Vec<String> {
    store
        .query_runs(&RunQuery {
            filter: parse_filter(filter).expect("filter"),
            sort,
            metrics: vec!["rmse".into()],
            ..Default::default()
        })
        .expect("query")
        .into_iter()
        .map(|r| r.run.name)
        .collect()
}

fn filters_select_the_same_runs_as_their_meaning_and_sorting_puts_missing_values_last(
    backend: &TestStore,
) {
    let (store, _) = seeded(backend);
    let by_id = RunSort::default();
    assert_eq!(names(&store, "", by_id.clone()).len(), 30);
    assert_eq!(
        names(&store, "metrics.rmse < 13", by_id.clone()),
        ["promo-02", "promo-01", "promo-00"]
    );
    let expected: Vec<String> = (0..30)
        .rev()
        .filter(|i| (*i < 10 && i % 2 == 0) || *i == 7 || *i >= 28)
        .map(|i| format!("promo-{i:02}"))
        .collect();
    assert_eq!(
        names(
            &store,
            "(tags.team = 'fresh' and params.model = \"gbdt\") or status = 'killed' or \
             params.model.rounds >= 2800",
            by_id.clone()
        ),
        expected
    );
    assert_eq!(
        names(
            &store,
            "params.model in ('ridge') and experiment = 'a' and metrics.rmse > 30",
            by_id.clone()
        ),
        ["promo-27", "promo-21"]
    );
    assert_eq!(names(&store, "name like '%-1_'", by_id.clone()).len(), 10);
    assert_eq!(
        names(&store, "not name like '%-1_'", by_id.clone()).len(),
        20
    );
    assert_eq!(
        names(&store, "tags.team != 'fresh'", by_id.clone()).len(),
        0,
        "no tag, no match"
    );

    let ascending = names(
        &store,
        "",
        RunSort {
            key: SortKey::Metric("rmse".into()),
            descending: false,
        },
    );
    assert_eq!(ascending.first().map(String::as_str), Some("promo-00"));
    assert_eq!(
        ascending.last().map(String::as_str),
        Some("promo-29"),
        "no rmse: last"
    );
    let descending = names(
        &store,
        "",
        RunSort {
            key: SortKey::Metric("rmse".into()),
            descending: true,
        },
    );
    assert_eq!(descending.first().map(String::as_str), Some("promo-28"));
    assert_eq!(
        descending.last().map(String::as_str),
        Some("promo-29"),
        "no rmse: last"
    );
    let by_rounds = names(
        &store,
        "",
        RunSort {
            key: SortKey::Param("model.rounds".into()),
            descending: true,
        },
    );
    assert_eq!(
        by_rounds.first().map(String::as_str),
        Some("promo-29"),
        "numbers as numbers"
    );
}

fn summaries_follow_every_batch_and_deleted_runs_hide_until_purged(backend: &TestStore) {
    let (mut store, ids) = seeded(backend);
    let id = ids[3];
    store
        .log_metrics(
            id,
            &[
                point("loss", 2, 5.0),
                point("loss", 0, 9.0),
                point("loss", 1, 7.0),
            ],
        )
        .expect("batch");
    store
        .log_metrics(id, &[point("loss", 3, 4.0), point("loss", 1, 8.0)])
        .expect("batch");
    let loss = store
        .metric_summaries(id)
        .expect("summaries")
        .into_iter()
        .find(|s| s.key == "loss")
        .expect("loss");
    assert_eq!(loss.last_step, Some(3));
    assert_eq!(loss.last_value, Some(4.0));
    assert_eq!(loss.min_value, Some(4.0));
    assert_eq!(loss.max_value, Some(9.0));
    assert_eq!(loss.points, 5);
    let value_of = |metric_value| {
        store
            .query_runs(&RunQuery {
                metrics: vec!["loss".into()],
                metric_value,
                ..Default::default()
            })
            .expect("query")
            .into_iter()
            .find(|r| r.run.id == id)
            .and_then(|r| r.metrics[0])
    };
    assert_eq!(value_of(MetricValue::Last), Some(4.0));
    assert_eq!(value_of(MetricValue::Best), Some(4.0));
    assert_eq!(
        value_of(MetricValue::AtStep(1)),
        Some(8.0),
        "the later point at step 1"
    );
    assert_eq!(value_of(MetricValue::AtStep(0)), Some(9.0));
    assert_eq!(value_of(MetricValue::AtStep(9)), None);

    store.delete_run(id).expect("delete");
    assert_eq!(names(&store, "", RunSort::default()).len(), 29);
    let with_deleted = store
        .query_runs(&RunQuery {
            include_deleted: true,
            ..Default::default()
        })
        .expect("query");
    assert_eq!(with_deleted.len(), 30);
    assert!(
        with_deleted
            .iter()
            .any(|r| r.run.id == id && r.run.deleted_at.is_some())
    );
    store.restore_run(id).expect("restore");
    assert_eq!(names(&store, "", RunSort::default()).len(), 30);
    store.delete_run(id).expect("delete again");
    assert_eq!(store.purge_deleted().expect("purge"), vec![id]);
    assert!(store.get_run(id).is_err());
    assert!(
        store
            .metric_history(id, "loss")
            .expect("history")
            .is_empty()
    );
    store.rename_run(ids[0], "baseline").expect("rename");
    store.set_note(ids[0], Some("first try")).expect("note");
    let run = store.get_run(ids[0]).expect("run");
    assert_eq!(
        (run.name.as_str(), run.note.as_deref()),
        ("baseline", Some("first try"))
    );
    assert!(store.rename_run(9999, "x").is_err());
}

fn runs_record_who_launched_them_and_where_and_filter_by_it(backend: &TestStore) {
    let (store, ids) = seeded(backend);
    let launcher = shelfcast::store::Launcher::current();
    let (user, host) = (
        launcher.user.clone().expect("an OS user"),
        launcher.host.clone().expect("a host name"),
    );
    let run = store.get_run(ids[0]).expect("run");
    assert_eq!(run.launched_by.as_deref(), Some(user.as_str()));
    assert_eq!(run.launched_on.as_deref(), Some(host.as_str()));
    let both = format!("user = '{user}' and host = '{host}' and name like 'promo-0%'");
    assert_eq!(names(&store, &both, RunSort::default()).len(), 10);
    assert!(
        names(
            &store,
            "attributes.launched_by = 'nobody-here'",
            RunSort::default()
        )
        .is_empty()
    );
    let (column, message) = error_of("hots = 'x'");
    assert_eq!(column, 1);
    assert!(message.contains("user, host"), "{message}");
}

on_both_backends!(
    filters_select_the_same_runs_as_their_meaning_and_sorting_puts_missing_values_last,
    summaries_follow_every_batch_and_deleted_runs_hide_until_purged,
    runs_record_who_launched_them_and_where_and_filter_by_it,
);
