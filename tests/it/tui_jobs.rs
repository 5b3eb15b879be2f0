//! The Jobs tab in-process: schedules and job runs from the store, a run opened, a pause and a
//! removal through the one confirm dialog, as a TestBackend snapshot.

use crossterm::event::KeyCode;
use shelfcast::schedule::catchup::CatchUp;
use shelfcast::schedule::job::JobSpec;
use shelfcast::schedule::trigger::Trigger;
use shelfcast::store::{JobState, NewJobRun, NewSchedule, RunStore};
use shelfcast::tui::panes::Tab;

use crate::common::project;
use crate::tui::{draw, key, screen_text, settle};

#[test]
fn the_jobs_tab_lists_schedules_and_runs_opens_a_run_and_pauses_and_removes() {
    let (_tmp, root) = project();
    let mut store = RunStore::open(&root.join("runs.db")).expect("store");
    let start = 1_796_169_600_000; // 2026-12-01 00:00 UTC
    let job = serde_json::to_string(&JobSpec::Drift {
        model: "sales@champion".into(),
        current: None,
    })
    .expect("json");
    for (name, trigger) in [
        (
            "weekly",
            Trigger::cron("0 0 * * SUN", "Europe/Amsterdam").expect("cron"),
        ),
        (
            "incoming",
            Trigger::File {
                glob: "data/incoming/*.csv".into(),
            },
        ),
    ] {
        store
            .add_schedule(&NewSchedule {
                name,
                trigger_json: &serde_json::to_string(&trigger).expect("json"),
                job_json: &job,
                catch_up: &CatchUp::Once.to_string(),
                retries: 1,
                timeout_s: None,
                created_ms: start,
                hooks_json: None,
            })
            .expect("schedule");
        // Paused, so the table shows no time that moves with the clock.
        store.set_schedule_paused(name, true, start).expect("pause");
    }
    let weekly = store.schedule("weekly").expect("weekly").id;
    for (state, reason) in [
        (
            JobState::Skipped,
            Some("missed while the daemon was not running"),
        ),
        (JobState::Queued, None),
    ] {
        store
            .add_job_run(&NewJobRun {
                schedule_id: Some(weekly),
                schedule_name: Some("weekly"),
                kind: "drift",
                job_json: &job,
                slot_ms: Some(start),
                state,
                reason,
                attempt: 1,
                not_before_ms: None,
                input_path: None,
                created_ms: start,
            })
            .expect("run");
    }
    let failed = store.job_runs(None, 1).expect("runs")[0].id;
    assert!(
        store
            .start_job_run(failed, 4242, start + 1_000)
            .expect("start")
    );
    store
        .end_job_run(
            failed,
            JobState::Failed,
            Some("data/new.csv does not exist"),
            None,
            start + 3_500,
        )
        .expect("end");

    let mut app = crate::tui::app_for(&root);
    settle(&mut app);
    app.switch_to(Tab::Jobs);
    settle(&mut app);
    insta::assert_snapshot!("jobs_pane", draw(&mut app, 120, 24).backend());
    let screen = screen_text(&draw(&mut app, 120, 24));
    assert!(screen.contains("daemon off"), "{screen}");
    assert!(screen.contains("data/new.csv does not exist"), "{screen}");
    assert!(
        screen.contains("2.5s"),
        "the failed run took 2.5 s:\n{screen}"
    );

    // Enter on the failed run opens its record.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    let screen = screen_text(&draw(&mut app, 120, 24));
    assert!(
        screen.contains(&format!("job run {failed} of weekly · drift · failed")),
        "{screen}"
    );
    key(&mut app, KeyCode::Esc);
    // R retries it: a second attempt is queued.
    key(&mut app, KeyCode::Char('R'));
    settle(&mut app);
    let runs = store.job_runs(None, 10).expect("runs");
    assert!(
        runs.iter()
            .any(|r| r.attempt == 2 && r.state == JobState::Queued),
        "{runs:?}"
    );

    // p resumes the first schedule; D removes it after a yes.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('p'));
    settle(&mut app);
    assert!(!store.schedule("incoming").expect("incoming").paused);
    key(&mut app, KeyCode::Char('D'));
    key(&mut app, KeyCode::Char('y'));
    settle(&mut app);
    assert!(store.schedule("incoming").is_err(), "removed");
}
