//! The Compare tab in-process: each section as a TestBackend snapshot, the only-differences
//! toggle, and an export whose SVG, Markdown and CSV exist and parse.

use crossterm::event::KeyCode;
use shelfcast::tui::app::App;
use shelfcast::tui::panes::Tab;

use crate::tui::{Panes, key};
use crate::tui_train::{app_for, sales_fixture, seed_runs};

#[test]
fn compare_sections_show_params_metrics_curves_importance_and_scatter_and_export() {
    let (_tmp, root) = sales_fixture();
    seed_runs(&root);
    // Make the params differ: a different rounds and split for run 2.
    let mut store = shelfcast::store::RunStore::open(&root.join("runs.db")).expect("store");
    store
        .log_params(2, &[("model.rounds", "80"), ("split", "time:week:4")])
        .expect("params");
    drop(store);
    let mut app = app_for(&root);
    key(&mut app, KeyCode::Char('3'));
    // Runs are listed newest first: mark 3, 2, 1 and compare.
    for _ in 0..3 {
        key(&mut app, KeyCode::Char(' '));
    }
    key(&mut app, KeyCode::Char('C'));
    assert_eq!(app.active, Tab::Compare);
    assert_eq!(app.compare().ids, vec![1, 2, 3]);
    let draw = |app: &mut App| crate::tui::draw(app, 110, 24);
    insta::assert_snapshot!("compare_params", draw(&mut app).backend());
    key(&mut app, KeyCode::Char('d'));
    let only = crate::tui::screen_text(&draw(&mut app));
    assert!(only.contains("2 of 6 differ (only differences"), "{only}");
    assert!(!only.contains("target"), "equal params hidden: {only}");
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("compare_metrics", draw(&mut app).backend());
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("compare_curves", draw(&mut app).backend());
    // The grid: a chart per metric, a line per run; zoom and smoothing change what is drawn and
    // say so; the running run's partial curve is there.
    let grid = crate::tui::screen_text(&draw(&mut app));
    assert!(
        grid.contains("valid_loss") && grid.contains("train_loss"),
        "{grid}"
    );
    key(&mut app, KeyCode::Char('z'));
    key(&mut app, KeyCode::Char('s'));
    let zoomed = crate::tui::screen_text(&draw(&mut app));
    assert!(
        zoomed.contains("zoomed to") && zoomed.contains("smoothed · "),
        "{zoomed}"
    );
    key(&mut app, KeyCode::Char('t'));
    let timed = crate::tui::screen_text(&draw(&mut app));
    assert!(
        timed.contains("x: seconds") && !timed.contains("zoomed to"),
        "{timed}"
    );
    assert_eq!(
        app.compare()
            .series
            .iter()
            .map(|s| s.series.get("valid_loss").map_or(0, |c| c.steps.len()))
            .collect::<Vec<_>>(),
        [40, 12, 25]
    );
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('Z'));
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("compare_importance", draw(&mut app).backend());
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("compare_scatter", draw(&mut app).backend());
    let scatter = crate::tui::screen_text(&draw(&mut app));
    assert!(
        scatter.contains("rmse against model.rounds over 3 filtered run(s)"),
        "{scatter}"
    );
    assert_eq!(app.compare().scatter.points, vec![(40.0, 3.2554)]);

    key(&mut app, KeyCode::Char('e'));
    let message = app.compare().message.clone().unwrap_or_default();
    assert!(
        message.starts_with("wrote reports/compare-1-2-3-"),
        "{message}"
    );
    let reports: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("reports"))
        .expect("reports")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(reports.len(), 3, "{reports:?}");
    let svg_path = reports
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "svg"))
        .expect("svg");
    let svg = std::fs::read_to_string(svg_path).expect("svg");
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg}"
    );
    for (run, colour) in [
        ("run 1 finished-run", "#1F77B4"),
        ("run 2 failed-run", "#FF7F0E"),
        ("run 3 live-run", "#2CA02C"),
    ] {
        assert!(svg.contains(run), "the legend names {run}");
        assert!(
            svg.contains(&format!("stroke=\"{colour}\"")),
            "a line in {colour}"
        );
    }
    let md = std::fs::read_to_string(svg_path.with_extension("md")).expect("md");
    assert!(
        md.contains("| **model.rounds** (differs) | 40 | 80 | 40 |"),
        "{md}"
    );
    assert!(md.contains("| rmse | **3.2554** | - | - |"), "{md}");
    let csv = std::fs::read_to_string(svg_path.with_extension("csv")).expect("csv");
    assert!(csv.starts_with("section,key,run 1,run 2,run 3\n"), "{csv}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.active, Tab::Runs);
}
