//! The Monitor tab in-process: a walks model's forecast scored against actuals that went
//! elsewhere; the tab charts the error by week beside the validation's band with the alerts, the
//! stores worst first; Enter opens a store's forecast against its actuals; `h` writes the report.

use crossterm::event::KeyCode;
use shelfcast::tui::panes::Tab;

use crate::common::{describe, project, shelfcast};
use crate::forecast::random_walks;
use crate::tui::{Panes, draw, key, screen_text, settle};

/// A lag model of four stores over 60 weeks, its 6-week forecast, and actuals for those weeks
/// (walks drawn afresh, so they went elsewhere).
pub(crate) fn monitored_walks(root: &std::path::Path) {
    std::fs::write(root.join("data/walks.csv"), random_walks(4, 60)).expect("data");
    crate::forecast::train_walks(
        root,
        &[
            "--split",
            "time:week:8",
            "--lags",
            "1,2",
            "--param",
            "rounds=40",
        ],
    );
    let ok = |args: &[&str]| {
        let output = shelfcast(root, args);
        assert!(output.status.success(), "{args:?}: {}", describe(&output));
    };
    ok(&["register", "1", "--model", "walks", "--alias", "champion"]);
    let out = root.join("fc.csv").display().to_string();
    ok(&[
        "forecast",
        "--model",
        "walks@champion",
        "--horizon",
        "6",
        "--carry-forward",
        "--output",
        &out,
    ]);
    let later = random_walks(4, 66);
    let actuals: String = later
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.as_bytes().get(..10) >= Some(b"2022-02-28".as_slice()))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(root.join("actuals.csv"), actuals).expect("actuals");
    ok(&["actuals", "add", "actuals.csv"]);
}

#[test]
fn the_monitor_tab_charts_the_error_with_its_band_and_opens_a_store() {
    let (_tmp, root) = project();
    monitored_walks(&root);
    let mut app = crate::tui::app_for(&root);
    settle(&mut app);
    app.switch_to(Tab::Monitor);
    settle(&mut app);
    let report = app.monitor().report.clone().expect("a report");
    assert_eq!(
        report.periods.len(),
        6,
        "six forecast weeks: {:?}",
        report.periods
    );
    assert_eq!(report.segments.len(), 4, "four stores");
    assert!(report.band.is_some(), "{:?}", report.band_missing);
    let screen = screen_text(&draw(&mut app, 120, 34));
    assert!(screen.contains("wape by week"), "{screen}");
    assert!(screen.contains("Segments by wape, worst first"), "{screen}");
    insta::assert_snapshot!("monitor_pane", draw(&mut app, 120, 34).backend());

    let worst = report.segments[0].value.clone();
    key(&mut app, KeyCode::Enter);
    settle(&mut app);
    let detail = app.monitor().detail.clone().expect("the store's report");
    assert_eq!(detail.segment_value.as_deref(), Some(worst.as_str()));
    let screen = screen_text(&draw(&mut app, 120, 34));
    assert!(
        screen.contains(&format!("store = {worst}: forecast against the actuals")),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('h'));
    settle(&mut app);
    let message = app.monitor().message.clone().expect("a message");
    assert!(
        !message.0 && message.1.contains("reports/monitor-walks-"),
        "{message:?}"
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.monitor().opened.is_none());
}
