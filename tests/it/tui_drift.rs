//! The Drift tab in-process on the sample: the pair of files offered first, a check run as the
//! event loop runs it (inline here), the verdict banner, the table and a column's overlaid
//! distributions as snapshots, periods checked as typed, a schema error shown in full, and past
//! reports reopened from the store.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use shelfcast::drift::run::run_drift;
use shelfcast::project::Project;
use shelfcast::tui::action::Action;
use shelfcast::tui::app::App;
use shelfcast::tui::panes::Tab;

use crate::common::project;
use crate::tui::{Panes, key};

fn draw(app: &mut App) -> ratatui::Terminal<ratatui::backend::TestBackend> {
    crate::tui::draw(app, 130, 34)
}

fn screen(app: &mut App) -> String {
    crate::tui::screen_text(&draw(app))
}

/// Runs the check the tab asked for, as the event loop does (inline), and pins what varies
/// from run to run (its time, the report's name, the past reports' times).
fn settle(app: &mut App, root: &std::path::Path) {
    let Some(shelfcast::tui::action::Job::Drift(request)) = crate::tui::take_job(app, |job| {
        matches!(job, shelfcast::tui::action::Job::Drift(_))
    }) else {
        panic!("a check was asked for");
    };
    let mut store = shelfcast::store::RunStore::open(app.store.path()).expect("store");
    let result = run_drift(
        &Project::new(root),
        &mut store,
        &request,
        &|done, total, column| {
            assert!(done <= total, "{column}");
        },
    )
    .map_err(|e| e.to_string());
    let ran = result.is_ok();
    app.update(Action::DriftDone(Box::new(result)));
    if let Some(report) = &mut app.drift().report {
        report.elapsed_ms = 0.0;
    }
    if let Some(html) = app.drift().html.as_ref().filter(|_| ran) {
        assert!(
            html.starts_with("reports/drift-") && html.ends_with(".html"),
            "{html}"
        );
        app.drift().html = Some("reports/drift.html".into());
        app.drift().message = None;
    }
    let db = rusqlite::Connection::open(root.join("runs.db")).expect("sqlite");
    db.execute(
        "UPDATE drift_reports SET created_at = '2026-11-20T09:0' || id || ':00.000Z'",
        [],
    )
    .expect("pin");
    let store = shelfcast::store::RunStore::open(app.store.path()).expect("store");
    app.drift().reload_past(&store);
}

#[test]
fn the_drift_tab_checks_the_sample_and_shows_verdicts_distributions_and_past_reports() {
    let (_tmp, root) = project();
    shelfcast::data::sample::write_sample(&root.join("data"), 42).expect("sample");
    let mut app = crate::tui::app_for(&root);
    key(&mut app, KeyCode::Char('7'));
    assert_eq!(app.active, Tab::Drift);
    let text = screen(&mut app);
    assert!(
        text.contains("Reference ‹ data/sales_weekly.csv ›"),
        "{text}"
    );
    assert!(
        text.contains("Current   ‹ data/sales_weekly_2024h1.csv ›"),
        "{text}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(app.drift().running, "the check runs off the UI task");
    settle(&mut app, &root);
    insta::assert_snapshot!("drift_pane", draw(&mut app).backend());
    let report = app.drift().report.clone().expect("report");
    assert!(report.dataset_drift);
    assert_eq!(report.drifted_columns, 6);
    // The table lists drifted columns first; the sixth row down is the first that did not drift.
    for _ in 0..6 {
        key(&mut app, KeyCode::Char('j'));
    }
    let selected = app.drift().table.selected().expect("row");
    assert_eq!(report.columns[selected].column, "region");
    insta::assert_snapshot!("drift_pane_levels", draw(&mut app).backend());

    // A period is checked as it is typed; the same season a year apart does not drift.
    key(&mut app, KeyCode::Char('p'));
    for c in "2021-01..2021-0x".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    assert!(screen(&mut app).contains("is not a period; expected YYYY, YYYY-MM"));
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('c'));
    let text = screen(&mut app);
    assert!(
        text.contains("Current   ‹ data/sales_weekly.csv ›"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('P'));
    for c in "2022-01..2022-06".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    settle(&mut app, &root);
    let text = screen(&mut app);
    assert!(
        text.contains("NO DATASET DRIFT: 0 of 11 columns drifted"),
        "{text}"
    );

    // Files of different schemas: the error, in full, where the table was.
    key(&mut app, KeyCode::Char('c'));
    let text = screen(&mut app);
    assert!(
        text.contains("Current   ‹ data/coupon_redemption.csv ›")
            || text.contains("Current   ‹ data/sales_weekly.parquet ›"),
        "{text}"
    );
    while !screen(&mut app).contains("Current   ‹ data/coupon_redemption.csv ›") {
        key(&mut app, KeyCode::Char('c'));
    }
    key(&mut app, KeyCode::Char('P'));
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    settle(&mut app, &root);
    let text = screen(&mut app);
    // Columns the current file lacks are left out and named; the common ones are checked.
    assert!(text.contains("NO DATASET DRIFT: 0 of 1 columns"), "{text}");
    let report = app.drift().report.as_ref().expect("a report");
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.column == "store_id"
                && s.reason.starts_with("missing from the current dataset")),
        "{:?}",
        report.skipped
    );

    // Past reports: the three checks that ran are listed and reopen.
    assert_eq!(app.drift().past.len(), 3);
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Char('o'));
    key(&mut app, KeyCode::Char('o'));
    let text = screen(&mut app);
    assert!(text.contains("past report 1"), "{text}");
    assert!(
        text.contains("DATASET DRIFT: 6 of 11 columns drifted"),
        "{text}"
    );
}
