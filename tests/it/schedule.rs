//! The scheduler on a simulated clock: cron in a time zone across both DST changes, the
//! catch-up rules after downtime, retries with their delays, and a job a killed daemon left
//! running. A month of schedules runs in well under a second.

use chrono::{TimeZone, Utc};
use shelfcast::schedule::catchup::CatchUp;
use shelfcast::schedule::clock::{Clock, SimulatedClock};
use shelfcast::schedule::job::{JobSpec, Produced};
use shelfcast::schedule::tick::{
    LATE_AFTER_MS, account_due_slots, recover_orphans, retry_delay_ms, run_next_job,
};
use shelfcast::schedule::trigger::Trigger;
use shelfcast::store::{JobState, NewJobRun, NewSchedule, RunStore};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a time")
        .timestamp_millis()
}

fn store() -> (tempfile::TempDir, RunStore) {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = RunStore::open(&tmp.path().join("runs.db")).expect("store");
    (tmp, store)
}

fn add(
    store: &mut RunStore,
    name: &str,
    trigger: &Trigger,
    catch_up: CatchUp,
    retries: u32,
    at: i64,
) {
    let job = JobSpec::Retrain {
        like: 1,
        data: None,
        like_champion_of: None,
        slurm: None,
    };
    store
        .add_schedule(&NewSchedule {
            name,
            trigger_json: &serde_json::to_string(trigger).expect("json"),
            job_json: &serde_json::to_string(&job).expect("json"),
            catch_up: &catch_up.to_string(),
            retries,
            timeout_s: None,
            created_ms: at,
            hooks_json: None,
        })
        .expect("added");
}

/// Ticks every `step_ms` from `from` to `to`, accounting slots and running every due job with a
/// job that succeeds; the slots of the job runs that ran, in order.
fn simulate(store: &mut RunStore, clock: &SimulatedClock, to: i64, step_ms: i64) -> Vec<i64> {
    let mut ran = Vec::new();
    while clock.now_ms() < to {
        clock.advance(step_ms);
        account_due_slots(store, clock.now_ms()).expect("tick");
        while let Some((id, _)) = run_next_job(
            store,
            clock.now_ms(),
            1,
            &mut |_, _| Ok(Produced::default()),
            clock,
        )
        .expect("run")
        {
            ran.push(store.job_run(id).expect("run").slot_ms.expect("slot"));
        }
    }
    ran
}

#[test]
fn cron_in_a_time_zone_fires_the_expected_instants_across_both_dst_changes() {
    // Midnight every Sunday in Amsterdam, across the end of summer time (25 October 2026).
    let (_tmp, mut store) = store();
    let start = utc(2026, 10, 18, 12, 0);
    let sunday = Trigger::cron("0 0 * * SUN", "Europe/Amsterdam").expect("cron");
    add(&mut store, "weekly", &sunday, CatchUp::Once, 0, start);
    let clock = SimulatedClock::at(start);
    let ran = simulate(&mut store, &clock, utc(2026, 11, 9, 0, 0), 3_600_000);
    assert_eq!(
        ran,
        [
            utc(2026, 10, 24, 22, 0), // 00:00 CEST (UTC+2)
            utc(2026, 10, 31, 23, 0), // 00:00 CET (UTC+1)
            utc(2026, 11, 7, 23, 0),
        ]
    );

    // 02:30 every day: on 29 March 2026 that time does not exist (02:00 jumps to 03:00), so it
    // fires at 03:00 CEST; on 25 October it happens twice, and fires once, at the first.
    let daily = Trigger::cron("30 2 * * *", "Europe/Amsterdam").expect("cron");
    let at = |from: i64, n: usize| {
        let mut out = Vec::new();
        let mut t = from;
        for _ in 0..n {
            t = daily.next_after(t, from).expect("next").expect("a slot");
            out.push(t);
        }
        out
    };
    assert_eq!(
        at(utc(2026, 3, 27, 12, 0), 3),
        [
            utc(2026, 3, 28, 1, 30), // 02:30 CET
            utc(2026, 3, 29, 1, 0),  // the gap: 03:00 CEST, the first valid time
            utc(2026, 3, 30, 0, 30), // 02:30 CEST
        ]
    );
    assert_eq!(
        at(utc(2026, 10, 23, 12, 0), 3),
        [
            utc(2026, 10, 24, 0, 30), // 02:30 CEST
            utc(2026, 10, 25, 0, 30), // the first of the two 02:30s, and only it
            utc(2026, 10, 26, 1, 30), // 02:30 CET
        ]
    );
    // Bad input is named.
    let error = Trigger::cron("0 0 * * SUN", "Europe/Amsterdm").expect_err("a bad zone");
    assert!(
        error
            .to_string()
            .contains("'Europe/Amsterdm' is not a time zone"),
        "{error}"
    );
    assert!(Trigger::cron("0 0 * *", "UTC").is_err());
    assert!(Trigger::every("6x").is_err());
    assert_eq!(
        Trigger::every("6h").expect("6h"),
        Trigger::Every { seconds: 21_600 }
    );
}

#[test]
fn missed_slots_follow_the_catch_up_rule_and_every_one_is_recorded() {
    for (rule, queued, skipped) in [
        (CatchUp::Skip, 0, 5),
        (CatchUp::Once, 1, 4),
        (CatchUp::Backfill(2), 2, 3),
    ] {
        let (_tmp, mut store) = store();
        let start = utc(2026, 12, 1, 0, 0);
        add(
            &mut store,
            "hourly",
            &Trigger::every("1h").expect("1h"),
            rule,
            0,
            start,
        );
        // The daemon was down for five hours and ten minutes: five slots were missed.
        let now = start + 5 * 3_600_000 + 600_000;
        let done = account_due_slots(&mut store, now).expect("tick");
        assert_eq!((done.queued, done.skipped), (queued, skipped), "{rule}");
        let runs = store.job_runs(None, 100).expect("runs");
        assert_eq!(runs.len(), 5, "{rule}: every missed slot is recorded");
        for run in &runs {
            match run.state {
                JobState::Skipped => assert!(
                    run.reason
                        .as_deref()
                        .is_some_and(|r| r.contains("missed while the daemon was not running")),
                    "{run:?}"
                ),
                JobState::Queued => {}
                other => panic!("{other:?}"),
            }
        }
        // The latest slots are the ones run.
        let queued_slots: Vec<i64> = runs
            .iter()
            .filter(|r| r.state == JobState::Queued)
            .filter_map(|r| r.slot_ms)
            .collect();
        assert!(
            queued_slots
                .iter()
                .all(|s| *s > start + (5 - queued as i64) * 3_600_000),
            "{rule}: {queued_slots:?}"
        );
        // A second pass at the same time finds nothing new: slots are accounted once.
        assert_eq!(
            account_due_slots(&mut store, now).expect("tick"),
            Default::default()
        );
        // A slot reached while watching runs whatever the rule.
        let next = start + 6 * 3_600_000 + 1;
        assert!(next - LATE_AFTER_MS < start + 6 * 3_600_000);
        assert_eq!(account_due_slots(&mut store, next).expect("tick").queued, 1);
    }
}

#[test]
fn a_failed_job_is_retried_with_doubling_delays_and_an_orphan_is_failed_and_retried() {
    let (_tmp, mut store) = store();
    let start = utc(2026, 12, 1, 0, 0);
    add(
        &mut store,
        "flaky",
        &Trigger::every("1d").expect("1d"),
        CatchUp::Once,
        2,
        start,
    );
    let clock = SimulatedClock::at(start + 86_400_000 + 1);
    account_due_slots(&mut store, clock.now_ms()).expect("tick");
    let mut attempts = Vec::new();
    // A day of ticks a minute apart: each failure waits its delay before the next attempt.
    for _ in 0..1_440 {
        let ran = run_next_job(
            &mut store,
            clock.now_ms(),
            1,
            &mut |run, _| {
                attempts.push((run.attempt, clock.now_ms()));
                Err("the data file is missing".to_string())
            },
            &clock,
        )
        .expect("run");
        if ran.is_none() {
            clock.advance(60_000);
        }
    }
    let numbers: Vec<u32> = attempts.iter().map(|a| a.0).collect();
    assert_eq!(numbers, [1, 2, 3], "{attempts:?}");
    let runs = store.job_runs(None, 10).expect("runs");
    assert_eq!(runs.len(), 3);
    assert!(runs.iter().all(|r| r.state == JobState::Failed));
    let second = runs.iter().find(|r| r.attempt == 2).expect("attempt 2");
    let first = runs.iter().find(|r| r.attempt == 1).expect("attempt 1");
    assert_eq!(
        second.not_before_ms,
        Some(first.ended_ms.expect("ended") + retry_delay_ms(1, first.id))
    );
    assert!(retry_delay_ms(2, 7) > retry_delay_ms(1, 7));

    // A job run left running by a process that is gone: failed with why, then retried.
    let job = serde_json::to_string(&JobSpec::Retrain {
        like: 1,
        data: None,
        like_champion_of: None,
        slurm: None,
    })
    .expect("json");
    let schedule = store.schedule("flaky").expect("schedule");
    let id = store
        .add_job_run(&NewJobRun {
            schedule_id: Some(schedule.id),
            schedule_name: Some("flaky"),
            kind: "retrain",
            job_json: &job,
            slot_ms: Some(clock.now_ms()),
            state: JobState::Queued,
            reason: None,
            attempt: 1,
            not_before_ms: None,
            input_path: None,
            created_ms: clock.now_ms(),
        })
        .expect("job");
    assert!(
        store
            .start_job_run(id, 999_999, clock.now_ms())
            .expect("start")
    );
    let failed = recover_orphans(&mut store, clock.now_ms(), &|_| false).expect("recover");
    assert_eq!(failed, [id]);
    let orphan = store.job_run(id).expect("run");
    assert_eq!(orphan.state, JobState::Failed);
    assert!(
        orphan
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("pid 999999) ended before the job did")),
        "{orphan:?}"
    );
    let retry = store.job_runs(None, 1).expect("runs").remove(0);
    assert_eq!((retry.state, retry.attempt), (JobState::Queued, 2));
}
