//! Forecasts and actuals, schedules and job runs, studies and trials, promotion decisions.

use super::*;
use crate::backends::on_both_backends;

/// `source forecast_id series date predicted actual` of each pair.
fn shown(pairs: &[ScoredPair]) -> Vec<String> {
    pairs
        .iter()
        .map(|p| {
            let id = p.forecast_id;
            let (series, date) = (&p.series_key, &p.target_date);
            format!(
                "{} {id:?} {series} {date} {} {}",
                p.source, p.predicted, p.actual
            )
        })
        .collect()
}

pub(super) fn forecasts_are_scored_against_actuals_added_later(backend: &TestStore) {
    let mut store = backend.open();
    let run_id = run(&mut store, "trained");
    let version = register(&mut store, "sales", run_id);
    let at = |series: &str, date: &str, step, value, band: Option<(f64, f64)>| ForecastValue {
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
                at("S1", "2024-01-08", 1, 10.0, Some((8.0, 12.0))),
                at("S1", "2024-01-15", 2, 11.0, Some((8.5, 13.5))),
                at("S2", "2024-01-08", 1, 20.0, None),
                at("S2", "2024-01-15", 2, 21.0, None),
            ],
        )
        .expect("forecast");
    let recorded = store.forecasts(10).expect("forecasts");
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (
            recorded[0].id,
            recorded[0].model_version_id,
            recorded[0].origin.as_str()
        ),
        (first, version.id, "2024-01-01")
    );
    assert_eq!(
        (recorded[0].horizon, recorded[0].series, recorded[0].values),
        (2, 2, 4)
    );
    assert_eq!(recorded[0].output_path, "forecasts/1.csv");

    let truth = |series: &str, date: &str, actual| NewActual {
        series_key: series.into(),
        target_date: date.into(),
        actual,
    };
    let week1 = [
        truth("S1", "2024-01-08", 9.0),
        truth("S2", "2024-01-08", 22.0),
    ];
    let added = store
        .add_actuals("sales", &week1, "actuals.csv", false)
        .expect("add");
    assert_eq!(added.inserted, 2);
    let again = store
        .add_actuals("sales", &week1, "actuals.csv", false)
        .expect("again");
    assert_eq!((again.inserted, again.unchanged), (0, 2));
    let fix = [truth("S1", "2024-01-08", 9.5)];
    let kept = store
        .add_actuals("sales", &fix, "fixed.csv", false)
        .expect("conflict");
    assert_eq!(kept.conflicting, 1);
    assert_eq!(
        kept.differences,
        [("S1".to_string(), "2024-01-08".to_string(), 9.0, 9.5)]
    );
    let fixed = store
        .add_actuals("sales", &fix, "fixed.csv", true)
        .expect("replace");
    assert_eq!((fixed.corrected, fixed.conflicting), (1, 0));

    let pairs = store.scored_pairs("sales", None).expect("pairs");
    assert_eq!(
        shown(&pairs),
        [
            format!("forecast Some({first}) S1 2024-01-08 10 9.5"),
            format!("forecast Some({first}) S2 2024-01-08 20 22"),
        ]
    );
    assert_eq!(
        (
            pairs[0].version,
            pairs[0].forecast_id,
            pairs[0].origin.as_deref(),
            pairs[0].step
        ),
        (1, Some(first), Some("2024-01-01"), Some(1))
    );

    // Made again from the same origin: only the newest forecast is scored.
    let second = store
        .record_forecast(
            &forecast("forecasts/2.csv"),
            &[
                at("S1", "2024-01-08", 1, 10.5, None),
                at("S2", "2024-01-08", 1, 19.0, None),
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
        .add_actuals(
            "sales",
            &[truth("S1", "2024-01-15", 12.0)],
            "week2.csv",
            false,
        )
        .expect("week 2");
    assert_eq!(
        shown(&store.scored_pairs("sales", None).expect("pairs")),
        [
            format!("forecast Some({second}) S1 2024-01-08 10.5 9.5"),
            format!("forecast Some({second}) S2 2024-01-08 19 22"),
            "prediction None S1 2024-01-15 11.25 12".to_string(),
        ]
    );
    let since = store
        .scored_pairs("sales", Some("2024-01-09"))
        .expect("since");
    assert_eq!(since.len(), 1);
    assert_eq!((since[0].source, since[0].predicted), ("prediction", 11.25));
    assert_eq!(store.predicted_keys("sales").expect("keys").len(), 4);
    assert!(store.scored_pairs("other", None).expect("none").is_empty());
}

pub(super) fn schedules_account_their_slots_and_job_runs_move_through_their_states(
    backend: &TestStore,
) {
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
    assert!(
        store.add_schedule(&nightly).is_err(),
        "a name is taken once"
    );
    store
        .add_schedule(&NewSchedule {
            name: "hourly",
            timeout_s: None,
            hooks_json: Some(r#"{"on_failure":"notify"}"#),
            ..nightly.clone()
        })
        .expect("another");
    let names: Vec<String> = store
        .schedules()
        .expect("all")
        .into_iter()
        .map(|s| s.name)
        .collect();
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
    assert_eq!(
        store
            .set_schedule_paused("nightly", true, T0)
            .expect("pause"),
        0
    );
    assert!(store.schedule("nightly").expect("paused").paused);
    let missing = store
        .schedule("weekly")
        .expect_err("no such schedule")
        .to_string();
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
                job(
                    JobState::Skipped,
                    Some(slot1),
                    Some("missed while down"),
                    None,
                ),
                job(JobState::Queued, Some(slot2), None, None),
            ],
        )
        .expect("account");
    let (skipped, queued) = (accounted[0], accounted[1]);
    assert_eq!(
        store.schedule("nightly").expect("slot").last_slot_ms,
        Some(slot2)
    );
    let manual = store
        .add_job_run(&NewJobRun {
            schedule_id: None,
            schedule_name: None,
            ..job(JobState::Queued, None, None, Some(T0 + 10_000))
        })
        .expect("manual");

    assert_eq!(
        store.next_due_job(T0).expect("due").map(|j| j.id),
        Some(queued)
    );
    assert!(store.start_job_run(queued, 4242, T0 + 1).expect("start"));
    assert!(
        !store.start_job_run(queued, 4343, T0 + 2).expect("taken"),
        "started once"
    );
    assert_eq!(
        store.next_due_job(T0).expect("due"),
        None,
        "the manual run waits"
    );
    assert_eq!(
        store.next_due_job(T0 + 10_000).expect("due").map(|j| j.id),
        Some(manual)
    );
    store
        .end_job_run(
            queued,
            JobState::Succeeded,
            None,
            Some(r#"{"version":3}"#),
            T0 + 5,
        )
        .expect("end");
    let done = store.job_run(queued).expect("done");
    assert_eq!((done.state, done.pid), (JobState::Succeeded, Some(4242)));
    assert_eq!(
        (done.started_ms, done.ended_ms),
        (Some(T0 + 1), Some(T0 + 5))
    );
    assert_eq!(done.produced_json.as_deref(), Some(r#"{"version":3}"#));
    let missed = store.job_run(skipped).expect("skipped");
    assert_eq!(missed.state, JobState::Skipped);
    assert_eq!(missed.reason.as_deref(), Some("missed while down"));
    assert_eq!(
        (missed.slot_ms, missed.ended_ms, missed.attempt),
        (Some(slot1), Some(T0 + 100), 1)
    );

    let of_schedule: Vec<i64> = store
        .job_runs(Some(id), 10)
        .expect("runs")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(of_schedule, [queued, skipped]);
    assert_eq!(store.job_runs(None, 10).expect("runs").len(), 3);
    assert_eq!(store.job_runs(None, 1).expect("runs")[0].id, manual);

    assert!(store.start_job_run(manual, 77, T0 + 10_001).expect("start"));
    let orphaned = store
        .fail_orphaned_jobs(&|_: i64| false, T0 + 20_000)
        .expect("orphans");
    assert_eq!(orphaned.len(), 1);
    assert_eq!(
        (orphaned[0].id, orphaned[0].state),
        (manual, JobState::Failed)
    );
    let failed = store.job_run(manual).expect("failed");
    assert_eq!(
        (failed.state, failed.ended_ms),
        (JobState::Failed, Some(T0 + 20_000))
    );
    assert!(failed.reason.unwrap_or_default().contains("pid 77"));
    assert!(store.job_run(9999).is_err());

    // Pausing skips what the schedule still had queued, and only that; resuming skips nothing.
    store
        .set_schedule_paused("nightly", false, T0)
        .expect("resume");
    let waiting = store
        .add_job_run(&job(JobState::Queued, None, None, Some(T0 + 60_000)))
        .expect("a retry waiting");
    assert_eq!(
        store
            .set_schedule_paused("nightly", true, T0 + 30_000)
            .expect("pause"),
        1
    );
    let dropped = store.job_run(waiting).expect("skipped on pause");
    assert_eq!(
        (dropped.state, dropped.reason.as_deref(), dropped.ended_ms),
        (
            JobState::Skipped,
            Some("its schedule was paused"),
            Some(T0 + 30_000)
        )
    );
    assert_eq!(
        store.job_run(queued).expect("done").state,
        JobState::Succeeded
    );
    assert_eq!(
        store
            .set_schedule_paused("nightly", false, T0 + 40_000)
            .expect("resume"),
        0
    );
    assert_eq!(store.next_due_job(T0 + 100_000).expect("due"), None);

    store.remove_schedule("nightly").expect("remove");
    assert_eq!(store.schedules().expect("left").len(), 1);
    let kept = store.job_run(skipped).expect("kept");
    assert_eq!(
        (kept.schedule_id, kept.schedule_name.as_deref()),
        (None, Some("nightly"))
    );
}

pub(super) fn studies_keep_their_trials_by_number_with_state_and_value(backend: &TestStore) {
    let mut store = backend.open();
    let parent = run(&mut store, "study");
    let config = r#"{"trials":3,"sampler":"tpe"}"#;
    let study = store
        .create_study("tune-promo", parent, config, "minimize", "val_rmse")
        .expect("study");
    assert!(
        store
            .create_study("tune-promo", parent, config, "minimize", "val_rmse")
            .is_err()
    );
    let row = store.study("tune-promo").expect("by name");
    assert_eq!(
        (row.id, row.run_id, row.config_json.as_str()),
        (study, parent, config)
    );
    assert_eq!(
        (row.direction.as_str(), row.metric.as_str()),
        ("minimize", "val_rmse")
    );
    assert_eq!(
        store.study_of_run(parent).expect("of run"),
        Some(row.clone())
    );
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
    assert_eq!(
        store.next_queued_child(parent).expect("next"),
        Some(children[0])
    );
    store
        .set_status(children[0], RunStatus::Finished, None)
        .expect("finish");
    assert_eq!(
        store.next_queued_child(parent).expect("next"),
        Some(children[1])
    );

    store
        .start_trial(study, 0, Some(children[0]), r#"{"lr":0.1}"#)
        .expect("trial 0");
    store
        .start_trial(study, 1, Some(children[1]), r#"{"lr":0.3}"#)
        .expect("trial 1");
    store
        .start_trial(study, 2, None, r#"{"lr":0.05}"#)
        .expect("trial 2");
    assert!(
        store.start_trial(study, 1, None, "{}").is_err(),
        "a number is taken once"
    );
    store
        .end_trial(study, 0, TrialState::Complete, Some(4.5), None)
        .expect("complete");
    store
        .end_trial(
            study,
            1,
            TrialState::Pruned,
            Some(7.25),
            Some("worse than the median"),
        )
        .expect("prune");
    let trials = store.trials(study).expect("trials");
    let states: Vec<(i64, Option<RunId>, TrialState, Option<f64>)> = trials
        .iter()
        .map(|t| (t.number, t.run_id, t.state, t.value))
        .collect();
    assert_eq!(
        states,
        [
            (0, Some(children[0]), TrialState::Complete, Some(4.5)),
            (1, Some(children[1]), TrialState::Pruned, Some(7.25)),
            (2, None, TrialState::Running, None),
        ]
    );
    assert_eq!(trials[2].params_json, r#"{"lr":0.05}"#);
    assert_eq!(trials[1].reason.as_deref(), Some("worse than the median"));
    let ended: Vec<bool> = trials.iter().map(|t| t.ended_at.is_some()).collect();
    assert_eq!(ended, [true, true, false]);
    assert!(store.trials(study + 1).expect("none").is_empty());
}

pub(super) fn promotion_decisions_are_listed_newest_first_per_model(backend: &TestStore) {
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
    assert_eq!(
        decisions[0],
        with(&promoted, second, decisions[0].decided_at.as_str())
    );
    assert_eq!(
        decisions[1],
        with(&kept, first, decisions[1].decided_at.as_str())
    );
    assert_eq!(store.decisions("promo", 1).expect("newest")[0].id, second);
    assert_eq!(store.decisions("other", 10).expect("other").len(), 1);
    assert!(store.decisions("nobody", 10).expect("none").is_empty());
}

on_both_backends!(
    forecasts_are_scored_against_actuals_added_later,
    schedules_account_their_slots_and_job_runs_move_through_their_states,
    studies_keep_their_trials_by_number_with_state_and_value,
    promotion_decisions_are_listed_newest_first_per_model,
);
