//! The Runs table in-process: the filter line (and its caret under a mistake), sorting, marks,
//! rename / tag / delete through the keys, rendered into a TestBackend.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shelfcast::store::RunStore;
use shelfcast::tui::component::Component;

use crate::tui::{Panes, key, typed};
use crate::tui_train::{app_for, sales_fixture, seed_runs};

fn screen(app: &mut shelfcast::tui::app::App) -> String {
    crate::tui::screen_text(&crate::tui::draw(app, 110, 20))
}

#[test]
fn the_runs_table_filters_sorts_marks_and_edits_runs_from_the_keyboard() {
    let (_tmp, root) = sales_fixture();
    seed_runs(&root);
    // The running run's duration counts from its start to now: without a start it shows "-",
    // which keeps the snapshots stable.
    rusqlite::Connection::open(root.join("runs.db"))
        .expect("sqlite")
        .execute("UPDATE runs SET started_at = NULL WHERE id = 3", [])
        .expect("unpin");
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('3'));

    // A filter with a mistake: nothing crashes, the caret sits under the column of the error.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "status = finished");
    let text = screen(&mut app);
    assert!(text.contains("filter status = finished"), "{text}");
    assert!(
        text.contains(
            "                ^ expected a value: a number or a quoted string, found 'finished'"
        ),
        "{text}"
    );
    insta::assert_snapshot!(
        "runs_filter_error",
        crate::tui::draw(&mut app, 110, 10).backend()
    );
    key(&mut app, KeyCode::Enter);
    assert!(
        app.runs().captures_text(),
        "a bad filter stays open to be mended"
    );
    for _ in 0.."finished".len() {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "'finished' or status = 'failed'");
    key(&mut app, KeyCode::Enter);
    assert!(!app.runs().captures_text());
    let ids: Vec<i64> = app.runs().rows.iter().map(|r| r.run.id).collect();
    assert_eq!(ids, [2, 1]);
    // Status, durations and times of finished runs are pinned: a stable snapshot.
    insta::assert_snapshot!(
        "runs_table_filtered",
        crate::tui::draw(&mut app, 110, 12).backend()
    );

    // Sort: id, status, experiment, name, model, rmse (ascending: best first).
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('s'));
    }
    assert_eq!(
        app.runs().sort.key,
        shelfcast::store::SortKey::Metric("rmse".into())
    );
    assert_eq!(
        app.runs().rows.first().map(|r| r.run.id),
        Some(1),
        "the run with an rmse first"
    );

    // Esc clears the filter; mark two runs; rename, tag and delete through the keys.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.runs().rows.len(), 3);
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.runs().marked.len(), 2);
    key(&mut app, KeyCode::Char('g'));
    let first = app.runs().rows[0].run.id;
    key(&mut app, KeyCode::Char('R'));
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    typed(&mut app, "best so far q");
    key(&mut app, KeyCode::Enter);
    assert!(!app.should_quit, "typed text never quits");
    key(&mut app, KeyCode::Char('T'));
    typed(&mut app, "team=fresh");
    key(&mut app, KeyCode::Enter);
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    assert_eq!(store.get_run(first).expect("run").name, "best so far q");
    assert!(
        store
            .tags(first)
            .expect("tags")
            .contains(&("team".into(), "fresh".into()))
    );

    // Delete the marked runs: one is still running, so it is refused; then only finished ones.
    key(&mut app, KeyCode::Char('D'));
    assert!(
        app.runs()
            .message
            .as_deref()
            .is_some_and(|m| m.contains("before deleting")),
        "{:?}",
        app.runs().message
    );
    key(&mut app, KeyCode::Char('u'));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "status = 'failed'");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('D'));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.runs().message.as_deref(), Some("nothing changed"));
    key(&mut app, KeyCode::Char('D'));
    key(&mut app, KeyCode::Char('y'));
    assert!(
        app.runs().rows.is_empty(),
        "the failed run is gone from the table"
    );
    let store = RunStore::open(&root.join("runs.db")).expect("store");
    assert!(
        store
            .get_run(2)
            .expect("kept until purged")
            .deleted_at
            .is_some()
    );
}

#[test]
fn metric_columns_show_the_last_the_best_or_the_value_at_a_step() {
    let (_tmp, root) = sales_fixture();
    seed_runs(&root);
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    let valid_loss = |app: &shelfcast::tui::app::App, id: i64| {
        let runs = app
            .pane::<shelfcast::tui::panes::runs::RunsTab>()
            .expect("the Runs tab");
        let column = runs
            .metric_columns
            .iter()
            .position(|m| m == "valid_loss")
            .expect("a valid_loss column");
        runs.rows
            .iter()
            .find(|r| r.run.id == id)
            .and_then(|r| r.metrics[column])
    };
    // Run 1's validation loss falls from 14 at step 0 to about 4.25 at step 39.
    let last = valid_loss(&app, 1).expect("last");
    key(&mut app, KeyCode::Char('v'));
    assert!(screen(&mut app).contains("metrics: best value"));
    assert_eq!(
        valid_loss(&app, 1),
        Some(last),
        "a falling loss is best last"
    );
    key(&mut app, KeyCode::Char('v'));
    assert!(app.runs().captures_text());
    typed(&mut app, "x");
    key(&mut app, KeyCode::Enter);
    assert!(app.runs().captures_text(), "not a step: asked again");
    key(&mut app, KeyCode::Backspace);
    typed(&mut app, "0");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&mut app).contains("metrics: value at step 0"));
    assert_eq!(valid_loss(&app, 1), Some(3.0 + 10.0 * 1.1));
    key(&mut app, KeyCode::Char('v'));
    assert_eq!(valid_loss(&app, 1), Some(last));
}

#[test]
fn a_filter_on_a_key_no_run_has_says_so_under_the_filter() {
    let (_tmp, root) = sales_fixture();
    seed_runs(&root);
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "params.modl = 'gbdt'");
    key(&mut app, KeyCode::Enter);
    app.on_tick();
    let text = screen(&mut app);
    assert!(
        text.contains("⚠ no run has params.modl; did you mean params.model?"),
        "{text}"
    );
    assert!(text.contains("No run matches"), "{text}");
}

/// The scheduler's word in the table and the run view: a run on Slurm waiting in its queue
/// shows `PENDING (Resources)` beside its status, its job in the view's header; a run Slurm
/// answered nothing for shows its status alone.
#[test]
fn a_run_on_slurm_shows_where_it_waits_in_the_queue() {
    use shelfcast::jobs::slurm::{QueueState, QueueSurvey};
    use shelfcast::tui::action::Action;
    let (_tmp, root) = sales_fixture();
    seed_runs(&root);
    rusqlite::Connection::open(root.join("runs.db"))
        .expect("sqlite")
        .execute(
            "UPDATE runs SET status = 'queued', started_at = NULL, pid = NULL, \
             slurm_job_id = '4242' WHERE id = 3",
            [],
        )
        .expect("on slurm");
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    let before = screen(&mut app);
    assert!(!before.contains("PENDING"), "{before}");
    app.update(Action::SlurmQueue(Ok(QueueSurvey {
        ended: Vec::new(),
        in_flight: vec![(
            3,
            QueueState::Pending {
                reason: "Resources".into(),
            },
        )],
    })));
    // On a wide terminal each row says it; on a narrow one, PENDING, and the selected run's
    // reason on the filter line.
    let wide = crate::tui::screen_text(&crate::tui::draw(&mut app, 160, 12));
    assert!(wide.contains("queued 25 · PENDING (Resources)"), "{wide}");
    let text = screen(&mut app);
    assert!(text.contains("⠋ PENDING"), "{text}");
    assert!(
        text.contains("run 3 · slurm job 4242: PENDING (Resources)"),
        "the selected run's reason: {text}"
    );
    // Slurm could not be asked: said on the status line, nothing invented.
    app.update(Action::SlurmQueue(Err(
        "asking Slurm about its runs: squeue could not run".into(),
    )));
    let text = screen(&mut app);
    assert!(text.contains("squeue could not run"), "{text}");
    app.update(Action::SlurmQueue(Ok(QueueSurvey {
        ended: Vec::new(),
        in_flight: vec![(
            3,
            QueueState::Running {
                node: "node07".into(),
            },
        )],
    })));
    let row = app
        .runs()
        .rows
        .iter()
        .position(|r| r.run.id == 3)
        .expect("run 3");
    for _ in 0..row {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    let view = screen(&mut app);
    assert!(
        view.contains("slurm job 4242: waiting for an array task"),
        "a queued run whose job runs waits for a task: {view}"
    );
}
